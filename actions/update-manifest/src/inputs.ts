import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import {
  parseEcrRegistryHost,
  regionProblem,
  repositoryNameProblem,
  resolveEcrRegistry,
  type EcrRegistryTarget,
} from '../../../packages/ecr/index.js';
import {
  PARAMETER_CHECK_MODES,
  type ParameterCheckMode,
} from '../../../packages/external-secrets/index.js';
import {
  InputError,
  nonBlank,
  parseBooleanInput,
  parseShaInput,
  requireInput,
} from '../../../packages/kit/index.js';
import { parseImageName, type ImageName } from '../../../packages/manifest/index.js';
import { DEFAULT_FORMAT, VersionError, VersionFormat } from '../../../packages/version/index.js';

export interface VerifyImageInputs extends EcrRegistryTarget {
  readonly repository: string;
}

export interface Inputs {
  /** Absolute root of the manifests checkout. */
  readonly path: string;
  readonly files: string[] | undefined;
  readonly image: string;
  readonly imageName: ImageName;
  readonly tag: string;
  readonly digest: string | undefined;
  readonly set: string[];
  readonly format: VersionFormat;
  readonly allowDowngrade: boolean;
  readonly downgradeReason: string;
  readonly failIfNone: boolean;
  readonly dryRun: boolean;
  readonly verifyImage: VerifyImageInputs | undefined;
  /** The released commit, for `{sha}` in `set` values. */
  readonly sha: string | undefined;
  /** What a missing SSM parameter named by an ExternalSecret does: fail, warn, or nothing (no lookup). */
  readonly checkParameters: ParameterCheckMode;
  /** Where those parameters are looked up; undefined: none known (an error only if one is needed). */
  readonly parameterRegion: string | undefined;
}

export type GetInput = (name: string) => string;

const lines = (raw: string): string[] =>
  raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

/**
 * The manifests checkout, which must lie in the workspace (where actions/checkout puts it): every
 * YAML file under it may be rewritten, so `/` or `../..` must never be taken for it.
 */
function checkoutPath(raw: string, workspace: string): string {
  const given = raw.trim() || '.';
  const path = resolve(workspace, given);
  // A missing path is reported by the manifest package, naming it; symlinks are judged by target.
  const real = (candidate: string) => (existsSync(candidate) ? realpathSync(candidate) : candidate);
  const inside = relative(real(resolve(workspace)), real(path));
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new InputError(
      'path',
      `"${given}" is outside the workspace (${workspace}): give the manifests checkout's path inside the workspace, as in actions/checkout's path`,
    );
  }
  return path;
}

function parameterCheckMode(raw: string): ParameterCheckMode {
  const mode = raw.trim().toLowerCase() || 'error';
  const known = PARAMETER_CHECK_MODES.find((candidate) => candidate === mode);
  if (known === undefined) {
    throw new InputError(
      'check-parameters',
      `"${raw.trim()}" is not one of ${PARAMETER_CHECK_MODES.join(', ')}`,
    );
  }
  return known;
}

/** The `region` input, else the job's AWS region, else the region of the image's ECR host. */
function parameterRegion(
  raw: string,
  image: ImageName,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const region = [
    raw.trim(),
    env.AWS_REGION,
    env.AWS_DEFAULT_REGION,
    image.registry === undefined ? undefined : parseEcrRegistryHost(image.registry)?.region,
  ].find((candidate) => candidate !== undefined && candidate !== '');
  const problem = region === undefined ? undefined : regionProblem(region);
  if (problem) throw new InputError('region', problem);
  return region;
}

/** Reads and validates every input once; the first bad one throws a one-line InputError. */
export function getInputs(getInput: GetInput, env: NodeJS.ProcessEnv = process.env): Inputs {
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  // parseImageName names the 'image' input in its errors, an empty one included.
  const imageName = parseImageName(getInput('image'));
  const image = getInput('image').trim();
  const tag = requireInput('tag', getInput('tag'), 'v0.0.418');
  let format: VersionFormat;
  try {
    format = VersionFormat.parse(getInput('format').trim() || DEFAULT_FORMAT);
  } catch (error) {
    if (error instanceof VersionError) {
      throw new InputError(error.input ?? 'format', error.problem, { cause: error });
    }
    throw error;
  }
  const files = lines(getInput('files'));
  const digest = getInput('digest').trim();
  const verify = parseBooleanInput('verify-image', getInput('verify-image'), false);
  let verifyImage: VerifyImageInputs | undefined;
  if (verify) {
    const problem = repositoryNameProblem(imageName.repository);
    if (problem) throw new InputError('image', problem);
    verifyImage = {
      repository: imageName.repository,
      ...resolveEcrRegistry(
        {
          registry: getInput('registry'),
          region: getInput('region'),
          hostHint: imageName.registry,
        },
        env,
      ),
    };
  }
  const checkParameters = parameterCheckMode(getInput('check-parameters'));
  return {
    path: checkoutPath(getInput('path'), workspace),
    files: files.length > 0 ? files : undefined,
    image,
    imageName,
    tag,
    digest: digest === '' ? undefined : digest,
    set: lines(getInput('set')),
    format,
    allowDowngrade: parseBooleanInput('allow-downgrade', getInput('allow-downgrade'), false),
    downgradeReason: getInput('downgrade-reason').trim(),
    failIfNone: parseBooleanInput('fail-if-none', getInput('fail-if-none'), true),
    dryRun: parseBooleanInput('dry-run', getInput('dry-run'), false),
    verifyImage,
    // GITHUB_SHA is the workflow's commit, which is the released one only for a release of it.
    sha:
      getInput('sha').trim() === ''
        ? nonBlank(env.GITHUB_SHA)
        : parseShaInput('sha', getInput('sha')),
    checkParameters,
    parameterRegion:
      checkParameters === 'off'
        ? undefined
        : (verifyImage?.region ?? parameterRegion(getInput('region'), imageName, env)),
  };
}
