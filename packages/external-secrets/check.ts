/**
 * The parameter check: every SSM parameter the manifests' ExternalSecrets name must exist before a
 * release points the cluster at them, or the new pods start without their secrets. It asks for
 * metadata only (the port is DescribeParameters by name), never a value, and decrypts nothing.
 */
import { GitOpsError, type Logger } from '../kit/index.js';
import {
  findParameterReferences,
  type ManifestText,
  type ParameterReference,
} from './references.js';

export const PARAMETER_CHECK_MODES = ['error', 'warn', 'off'] as const;
export type ParameterCheckMode = (typeof PARAMETER_CHECK_MODES)[number];

/** DescribeParameters' limit on the values of one `Name` filter. */
export const NAMES_PER_REQUEST = 50;

/** The one thing the check asks of SSM: which of these (at most 50) names exist. Metadata only. */
export interface ParameterLookup {
  existingNames(names: readonly string[]): Promise<ReadonlySet<string>>;
}

export interface ParameterCheckRequest {
  readonly sources: readonly ManifestText[];
  readonly mode: ParameterCheckMode;
  /** Where a reference naming no region of its own is looked up; undefined: ask only if none needs it. */
  readonly region: string | undefined;
  /** The input (or CLI flag) that sets `region`, named when it is missing. */
  readonly regionInput: string;
  /** The input that sets `mode`, named in the fixes the messages suggest. */
  readonly modeInput: string;
  /** A lookup for a region; made only when some name is to be looked up there. */
  readonly lookupFor: (region: string) => ParameterLookup;
  readonly logger: Logger;
}

export interface MissingParameter extends ParameterReference {
  readonly region: string;
}

export interface ParameterCheckResult {
  readonly mode: ParameterCheckMode;
  /** Distinct names looked up, per region. */
  readonly checked: number;
  readonly missing: readonly MissingParameter[];
  readonly unchecked: number;
}

/** Parameters the manifests need are missing; `missing` has each with its file and line. */
export class MissingParametersError extends GitOpsError {
  override name = 'MissingParametersError';
  readonly missing: readonly MissingParameter[];

  constructor(missing: readonly MissingParameter[], modeInput: string) {
    const first = missing[0];
    const where = first ? `${first.file}:${String(first.line)}` : '';
    const names = [...new Set(missing.map((parameter) => parameter.name))];
    super(
      inert(
        `${String(names.length)} SSM parameter(s) named by ExternalSecrets do not exist (first: ${first?.name ?? ''} at ${where}): create them before releasing, or set ${modeInput}: warn`,
      ),
    );
    this.missing = missing;
  }
}

/**
 * Text from the manifests made inert for a log line: a key or path holding a newline could
 * otherwise start a line of its own (`::add-mask::`, `::stop-commands::` on a runner), and escape
 * sequences could rewrite a terminal.
 */
export function inert(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** The line each missing parameter gets: `apps/x/dev/secrets.yaml:14: SSM parameter ... in us-gov-west-1`. */
export function missingLine(parameter: MissingParameter): string {
  const where = `${parameter.file}:${String(parameter.line)}`;
  return inert(
    parameter.invalid === undefined
      ? `${where}: SSM parameter ${parameter.name} does not exist in ${parameter.region}`
      : `${where}: SSM parameter '${parameter.name}' cannot exist in ${parameter.region}: ${parameter.invalid}`,
  );
}

function batches<T>(values: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < values.length; start += size) {
    result.push(values.slice(start, start + size));
  }
  return result;
}

/**
 * Checks the parameters the ExternalSecrets in `sources` name; with mode `error` a missing one
 * throws MissingParametersError after each is logged as an error line, with `warn` each is a warning.
 */
export async function checkParameters(
  request: ParameterCheckRequest,
): Promise<ParameterCheckResult> {
  const { logger, mode } = request;
  if (mode === 'off') return { mode, checked: 0, missing: [], unchecked: 0 };
  const scan = findParameterReferences(request.sources);
  // Lines start with fixed text: a file name from the manifests never starts a log line.
  for (const skipped of scan.unchecked) {
    logger.info(
      inert(
        `parameter check: not checked: ${skipped.file}:${String(skipped.line)} (${skipped.resource}): ${skipped.reason}`,
      ),
    );
  }
  const byRegion = new Map<string, ParameterReference[]>();
  for (const reference of scan.references) {
    const region = reference.region ?? request.region;
    if (region === undefined) {
      throw new GitOpsError(
        inert(
          `no AWS region to look up SSM parameter ${reference.name} (${reference.file}:${String(reference.line)}) in: set it, or the job's AWS_REGION`,
        ),
        { input: request.regionInput },
      );
    }
    byRegion.set(region, [...(byRegion.get(region) ?? []), reference]);
  }

  const missing: MissingParameter[] = [];
  let checked = 0;
  for (const [region, references] of byRegion) {
    const names = [
      ...new Set(references.filter((ref) => ref.invalid === undefined).map((ref) => ref.name)),
    ];
    const existing = new Set<string>();
    if (names.length > 0) {
      const lookup = request.lookupFor(region);
      for (const batch of batches(names, NAMES_PER_REQUEST)) {
        for (const name of await lookup.existingNames(batch)) existing.add(name);
      }
    }
    checked += names.length;
    for (const reference of references) {
      if (!existing.has(reference.name)) missing.push({ ...reference, region });
    }
  }

  for (const parameter of missing) {
    if (mode === 'error') logger.error(missingLine(parameter));
    else logger.warning(missingLine(parameter));
  }
  logger.info(
    inert(
      `parameter check: ${String(checked)} SSM parameter(s) named by ${String(scan.resources)} ExternalSecret(s) looked up in ${[...byRegion.keys()].join(', ') || 'no region'}; ${String(missing.length)} missing, ${String(scan.unchecked.length)} reference(s) not checked`,
    ),
  );
  if (missing.length > 0 && mode === 'error') {
    throw new MissingParametersError(missing, request.modeInput);
  }
  return { mode, checked, missing, unchecked: scan.unchecked.length };
}
