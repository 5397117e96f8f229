/**
 * `gitops-release release` settings: flags, a config file holding the same values (flags win),
 * and the environment. Pure, so every rule is table-tested without a network.
 */
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildContextInside, dockerfileInside, type BuildPathBase } from '../docker/index.js';
import { resolveEcrRegistry } from '../ecr/index.js';
import { PARAMETER_CHECK_MODES, type ParameterCheckMode } from '../external-secrets/index.js';
import {
  errorMessage,
  GitOpsError,
  parseRepositoryInput,
  type RepositoryRef,
} from '../kit/index.js';
import { DEFAULT_LOOK_BACK, MAX_LOOK_BACK } from '../release/green-commit.js';
import { checkReleaseRequest, type ReleaseMode, type ReleasePlan } from '../release/preflight.js';
import { parameterNameProblem } from '../ssm/index.js';
import { DEFAULT_FORMAT, VersionFormat } from '../version/index.js';

/**
 * A command line that cannot run. With an `input` (an option's long name) the message reads
 * `--<input>: <problem>`, the command line's way of naming what is at fault.
 */
export class UsageError extends GitOpsError {
  override name = 'UsageError';

  constructor(problem: string, options: { input?: string; cause?: unknown } = {}) {
    super(problem, options);
    if (options.input !== undefined) this.message = `--${options.input}: ${problem}`;
  }
}

/** Every option of `release`, as node:util parseArgs takes them. */
export const RELEASE_OPTIONS = {
  app: { type: 'string' },
  registry: { type: 'string' },
  region: { type: 'string' },
  repository: { type: 'string' },
  manifests: { type: 'string' },
  'manifests-path': { type: 'string' },
  files: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
  base: { type: 'string' },
  'app-repository': { type: 'string' },
  context: { type: 'string' },
  file: { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  target: { type: 'string' },
  platform: { type: 'string' },
  network: { type: 'string' },
  sha: { type: 'string' },
  from: { type: 'string' },
  'hotfix-of': { type: 'string' },
  'promote-from': { type: 'string' },
  mode: { type: 'string' },
  reviewers: { type: 'string', multiple: true },
  'team-reviewers': { type: 'string', multiple: true },
  labels: { type: 'string', multiple: true },
  body: { type: 'string' },
  format: { type: 'string' },
  'git-tag-prefix': { type: 'string' },
  'start-at': { type: 'string' },
  'ignore-ecr-tags': { type: 'boolean' },
  'pin-digest': { type: 'boolean' },
  'check-parameters': { type: 'string' },
  'allow-downgrade': { type: 'boolean' },
  reason: { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean' },
  config: { type: 'string' },
  verbose: { type: 'boolean' },
  'require-checks': { type: 'string', multiple: true },
  'newest-green': { type: 'boolean' },
  'look-back': { type: 'string' },
  'token-parameter': { type: 'string' },
} as const;

export type ReleaseOptionName = keyof typeof RELEASE_OPTIONS;
type OptionValue = string | boolean | string[] | undefined;
export type ReleaseFlags = Partial<Record<ReleaseOptionName, OptionValue>>;

/**
 * Options a config file may not hold: `--yes` must be given for each run, so a file can never turn
 * the questions off unseen; `--config` and `--verbose` are about the invocation itself.
 */
const FLAG_ONLY: ReadonlySet<ReleaseOptionName> = new Set(['yes', 'config', 'verbose']);

export interface ReleaseSettings {
  readonly app: string;
  readonly registryId: string | undefined;
  readonly region: string;
  readonly repository: string;
  readonly manifests: RepositoryRef;
  readonly manifestsPath: string;
  readonly files: string[] | undefined;
  readonly set: string[];
  readonly base: string | undefined;
  /** Undefined: from the context's `git remote get-url origin`. */
  readonly appRepository: RepositoryRef | undefined;
  readonly context: string;
  readonly file: string | undefined;
  readonly buildArgs: string[];
  readonly target: string | undefined;
  readonly platform: string | undefined;
  readonly network: string | undefined;
  /** Undefined: the context's `git rev-parse HEAD`. */
  readonly sha: string | undefined;
  /** A commit or branch of the context's repository to build and release (instead of HEAD). */
  readonly from: string | undefined;
  readonly hotfixOf: string | undefined;
  readonly promoteFrom: string | undefined;
  readonly mode: ReleaseMode;
  readonly reviewers: string[];
  readonly teamReviewers: string[];
  readonly labels: string[];
  /** The pull request's own text, above the release table. */
  readonly body: string | undefined;
  readonly format: VersionFormat;
  readonly startAt: number;
  readonly ecrVersions: boolean;
  readonly pinDigest: boolean;
  readonly checkParameters: ParameterCheckMode;
  readonly allowDowngrade: boolean;
  readonly downgradeReason: string | undefined;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly verbose: boolean;
  /** Checks that must have succeeded on the released commit. */
  readonly requireChecks: string[];
  /** Release the newest green commit of the default branch (instead of --sha or HEAD): its look-back. */
  readonly newestGreen: { readonly lookBack: number } | undefined;
  /** The SSM parameter holding the GitHub token, read instead of GH_TOKEN; undefined: GH_TOKEN. */
  readonly tokenParameter: string | undefined;
}

function isOptionName(name: string): name is ReleaseOptionName {
  return Object.hasOwn(RELEASE_OPTIONS, name);
}

/**
 * A config file's values, checked against the options: keys are the long option names (`app`,
 * `manifests-path`, `team-reviewers`, ...); lists are YAML/JSON arrays or comma-separated strings.
 * JSON is YAML, so one parser reads both. Every scalar is read as text (YAML's failsafe schema):
 * the core schema would turn `registry: 008577686731` into the number 8577686731.
 */
export function parseReleaseConfig(text: string, source: string): ReleaseFlags {
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { schema: 'failsafe' });
  } catch (error: unknown) {
    throw new UsageError(`--config ${source} is not YAML or JSON: ${errorMessage(error)}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--config ${source} must hold a mapping of option names to values`);
  }
  const flags: ReleaseFlags = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!isOptionName(key)) {
      throw new UsageError(
        `--config ${source}: unknown key "${key}" (keys are the long option names, e.g. manifests-path)`,
      );
    }
    if (FLAG_ONLY.has(key)) {
      throw new UsageError(`--config ${source}: "${key}" is a command-line flag only`);
    }
    const option = RELEASE_OPTIONS[key];
    const wrong = (expected: string): UsageError =>
      new UsageError(`--config ${source}: "${key}" must be ${expected}`);
    if (option.type === 'boolean') {
      if (value !== 'true' && value !== 'false') throw wrong('true or false');
      flags[key] = value === 'true';
    } else if ('multiple' in option) {
      if (typeof value === 'string') flags[key] = [value];
      else if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
        flags[key] = value;
      else throw wrong('a list of strings');
    } else if (typeof value === 'string') {
      flags[key] = value;
    } else {
      throw wrong('a string');
    }
  }
  return flags;
}

/**
 * A config file's `context` and `file`, resolved against the config file's own directory and
 * confined to it by the rule ecr-build-push applies to its workspace (the same functions): a file
 * in a repository cannot send the build to `/` or read `../../etc/passwd` as its Dockerfile, nor
 * escape through a symlink. With a config `context` and no `file`, its Dockerfile is checked too,
 * as the action checks its default. Values a flag overrides are not used, so not checked; flags
 * are the person's own and stay relative to the current directory.
 */
export function confineConfigPaths(
  config: ReleaseFlags,
  configFile: string,
  flags: ReleaseFlags,
): ReleaseFlags {
  const base: BuildPathBase = {
    dir: dirname(resolve(configFile)),
    name: `${configFile}'s directory`,
    fix: "keep a config file's paths inside its directory, or give the option on the command line",
  };
  const confined: ReleaseFlags = { ...config };
  try {
    const context = flags.context === undefined ? config.context : undefined;
    if (typeof context === 'string') {
      confined.context = buildContextInside('context', context, base);
    }
    const file = flags.file === undefined ? config.file : undefined;
    const promoting = (flags['promote-from'] ?? config['promote-from']) !== undefined;
    if (typeof file === 'string') {
      confined.file = dockerfileInside('file', file, base.dir, base);
    } else if (typeof context === 'string' && flags.file === undefined && !promoting) {
      dockerfileInside('file', '', String(confined.context), base);
    }
  } catch (error: unknown) {
    throw asUsageError(error);
  }
  return confined;
}

function text(merged: ReleaseFlags, name: ReleaseOptionName): string | undefined {
  const value = merged[name];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function required(merged: ReleaseFlags, name: ReleaseOptionName, example: string): string {
  const value = text(merged, name);
  if (value === undefined) throw new UsageError(`--${name} is required, e.g. --${name} ${example}`);
  return value;
}

/** Repeated flags, each of which may also be comma-separated. */
function list(merged: ReleaseFlags, name: ReleaseOptionName): string[] {
  const value = merged[name];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return items
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `--set` and `--build-arg` values may contain commas: only repeated, never split. */
function repeated(merged: ReleaseFlags, name: ReleaseOptionName): string[] {
  const value = merged[name];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

function repositoryOption(name: ReleaseOptionName, raw: string): RepositoryRef {
  try {
    return parseRepositoryInput(name, raw);
  } catch (error: unknown) {
    throw asUsageError(error);
  }
}

/** Where an input of the actions has another name as a flag. */
const FLAG_OF_INPUT: Readonly<Record<string, ReleaseOptionName>> = {
  'manifests-files': 'files',
  'downgrade-reason': 'reason',
};

/** An error from a shared parser that blames an input, worded for the command line (`--region: ...`). */
function asUsageError(error: unknown): Error {
  if (error instanceof GitOpsError && error.input !== undefined) {
    const flag = FLAG_OF_INPUT[error.input] ?? error.input;
    return new UsageError(error.problem, { input: flag, cause: error });
  }
  return error instanceof Error ? error : new UsageError(errorMessage(error));
}

/** `--newest-green` and `--look-back`, checked against the options they cannot go with. */
function newestGreenOf(
  merged: ReleaseFlags,
  requireChecks: readonly string[],
): ReleaseSettings['newestGreen'] {
  const lookBackText = text(merged, 'look-back') ?? String(DEFAULT_LOOK_BACK);
  const lookBack = Number(lookBackText);
  if (!/^[0-9]+$/.test(lookBackText) || lookBack < 1 || lookBack > MAX_LOOK_BACK) {
    throw new UsageError(
      `"${lookBackText}" is not a whole number from 1 to ${String(MAX_LOOK_BACK)}: each commit looked at costs API calls`,
      { input: 'look-back' },
    );
  }
  if (merged['newest-green'] !== true) return undefined;
  if (requireChecks.length === 0) {
    throw new UsageError(
      'needs --require-checks: name the checks that make a commit green, e.g. --require-checks build,test',
      { input: 'newest-green' },
    );
  }
  const conflict = (['sha', 'hotfix-of', 'promote-from'] as const).find(
    (name) => text(merged, name) !== undefined,
  );
  if (conflict !== undefined) {
    throw new UsageError(
      `chooses the commit itself, so --${conflict} cannot go with it: drop one of them`,
      { input: 'newest-green' },
    );
  }
  return { lookBack };
}

function parameterCheckMode(raw: string | undefined): ParameterCheckMode {
  const mode = PARAMETER_CHECK_MODES.find((known) => known === (raw ?? 'error').toLowerCase());
  if (mode === undefined) {
    throw new UsageError(`"${raw ?? ''}" is not one of ${PARAMETER_CHECK_MODES.join(', ')}`, {
      input: 'check-parameters',
    });
  }
  return mode;
}

/** Flags over the config file's values, then checked and completed from the environment. */
export function resolveReleaseSettings(
  flags: ReleaseFlags,
  config: ReleaseFlags,
  env: NodeJS.ProcessEnv,
): ReleaseSettings {
  const merged: ReleaseFlags = { ...config };
  for (const name of Object.keys(RELEASE_OPTIONS).filter(isOptionName)) {
    const value = flags[name];
    if (value !== undefined) merged[name] = value;
  }
  const app = required(merged, 'app', 'cms');
  const repository = required(merged, 'repository', 'dsva/cms-drupal');
  const manifests = repositoryOption(
    'manifests',
    required(merged, 'manifests', 'department-of-veterans-affairs/vsp-infra-application-manifests'),
  );
  let target: { registryId: string | undefined; region: string };
  try {
    target = resolveEcrRegistry(
      { registry: text(merged, 'registry') ?? '', region: text(merged, 'region') ?? '' },
      env,
    );
  } catch (error: unknown) {
    throw asUsageError(error);
  }
  const appRepositoryText = text(merged, 'app-repository');
  let format: VersionFormat;
  try {
    format = VersionFormat.parse(
      text(merged, 'format') ?? DEFAULT_FORMAT,
      text(merged, 'git-tag-prefix') ?? '',
    );
  } catch (error: unknown) {
    // VersionFormat names the option at fault: `format` or `git-tag-prefix`.
    if (error instanceof GitOpsError && error.input !== undefined) throw asUsageError(error);
    throw new UsageError(`--format/--git-tag-prefix: ${errorMessage(error)}`, { cause: error });
  }
  const startAtText = text(merged, 'start-at') ?? '1';
  const startAt = Number(startAtText);
  if (!/^[0-9]+$/.test(startAtText) || !Number.isSafeInteger(startAt) || startAt < 1) {
    throw new UsageError(
      `--start-at "${startAtText}" is not a positive whole number: use 1, 2, 3, ...`,
    );
  }
  const promoteFrom = text(merged, 'promote-from');
  if (promoteFrom !== undefined) {
    const buildOnly = (['file', 'build-arg', 'target', 'platform'] as const).find(
      (name) => merged[name] !== undefined,
    );
    if (buildOnly !== undefined) {
      throw new UsageError(
        `--${buildOnly} configures a build, but --promote-from releases an existing image without one: drop one of them`,
      );
    }
  }
  const allowDowngrade = merged['allow-downgrade'] === true;
  const downgradeReason = text(merged, 'reason');
  // The release preflight, the same rules the composite and the reusable workflow apply.
  let plan: ReleasePlan;
  try {
    plan = checkReleaseRequest({
      app,
      mode: text(merged, 'mode'),
      manifestsPath: text(merged, 'manifests-path'),
      manifestsFiles: list(merged, 'files'),
      hotfixOf: text(merged, 'hotfix-of'),
      promoteFrom,
      allowDowngrade,
      downgradeReason,
    });
  } catch (error: unknown) {
    throw asUsageError(error);
  }
  const [environment] = plan.environments;
  const sha = text(merged, 'sha');
  if (sha !== undefined && !/^[0-9a-fA-F]{7,40}$/.test(sha)) {
    throw new UsageError(`--sha "${sha}" is not a commit SHA: use 7 to 40 hexadecimal characters`);
  }
  const from = text(merged, 'from');
  if (from !== undefined && (sha !== undefined || promoteFrom !== undefined)) {
    throw new UsageError(
      `--from ${from} names the commit to build and release: drop ${sha === undefined ? '--promote-from' : '--sha'}`,
    );
  }
  if (from?.startsWith('-')) {
    throw new UsageError(`--from "${from}" is not a commit or branch name`);
  }
  const requireChecks = list(merged, 'require-checks');
  return {
    app,
    requireChecks,
    newestGreen: newestGreenOf(merged, requireChecks),
    registryId: target.registryId,
    region: target.region,
    repository,
    manifests,
    manifestsPath: text(merged, 'manifests-path') ?? '',
    files: list(merged, 'files').length > 0 ? list(merged, 'files') : undefined,
    set: repeated(merged, 'set'),
    base: text(merged, 'base'),
    appRepository:
      appRepositoryText === undefined
        ? undefined
        : repositoryOption('app-repository', appRepositoryText),
    context: text(merged, 'context') ?? '.',
    file: text(merged, 'file'),
    buildArgs: repeated(merged, 'build-arg'),
    target: text(merged, 'target'),
    platform: text(merged, 'platform'),
    network: text(merged, 'network'),
    sha,
    from,
    hotfixOf: text(merged, 'hotfix-of'),
    promoteFrom,
    mode: environment?.mode ?? 'pull-request',
    reviewers: list(merged, 'reviewers'),
    teamReviewers: list(merged, 'team-reviewers'),
    labels: list(merged, 'labels'),
    body: text(merged, 'body'),
    format,
    startAt,
    ecrVersions: merged['ignore-ecr-tags'] !== true,
    pinDigest: merged['pin-digest'] === true,
    checkParameters: parameterCheckMode(text(merged, 'check-parameters')),
    allowDowngrade,
    downgradeReason,
    dryRun: merged['dry-run'] === true,
    yes: merged.yes === true,
    verbose: merged.verbose === true,
    tokenParameter: tokenParameterOf(text(merged, 'token-parameter')),
  };
}

function tokenParameterOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const problem = parameterNameProblem(value);
  if (problem !== undefined) throw new UsageError(`--token-parameter: ${problem}`);
  return value;
}

/**
 * Whether the release may write without asking: a dry run writes nothing; `--yes` answers every
 * question; otherwise a person must be there to answer, or the run is refused before it starts.
 */
export type Confirmation = 'not-needed' | 'assume-yes' | 'ask' | 'refuse';

export function confirmationRule(options: {
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly interactive: boolean;
}): Confirmation {
  if (options.dryRun) return 'not-needed';
  if (options.yes) return 'assume-yes';
  return options.interactive ? 'ask' : 'refuse';
}

/**
 * `owner/name` of a GitHub remote URL: `https://github.com/o/n(.git)`, `git@github.com:o/n.git`,
 * `ssh://git@github.com/o/n.git` (GitHub Enterprise hosts too); undefined for anything else.
 */
export function repositoryFromRemoteUrl(url: string): RepositoryRef | undefined {
  const trimmed = url.trim();
  const match =
    /^(?:https?:\/\/(?:[^@/]+@)?|ssh:\/\/(?:[^@/]+@)?|git:\/\/)[^/]+(?::[0-9]+)?\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(
      trimmed,
    ) ?? /^[^@/:\s]+@[^:/\s]+:([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(trimmed);
  const [, owner, repo] = match ?? [];
  if (owner === undefined || repo === undefined) return undefined;
  try {
    return parseRepositoryInput('app-repository', `${owner}/${repo}`);
  } catch {
    return undefined;
  }
}

/** The GitHub token from the environment: GH_TOKEN (the gh CLI's), else GITHUB_TOKEN. */
export function tokenFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['GH_TOKEN', 'GITHUB_TOKEN']) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}
