import {
  buildContextInside,
  dockerfileInside,
  IF_TAG_EXISTS,
  type BuildPathBase,
  type IfTagExists,
  type PromotionRule,
  type SecretEnv,
} from '../../../packages/docker/index.js';
import {
  imageTagProblem,
  parseEcrRegistryHost,
  regionProblem,
  registryHost,
  repositoryNameProblem,
} from '../../../packages/ecr/index.js';
import {
  InputError,
  parseBooleanInput,
  parseListInput,
  parseRepositoryInput,
  type RepositoryRef,
} from '../../../packages/kit/index.js';
// The module, not the package index: one rule shared with the release preflight.
import { allowedDowngradeReason } from '../../../packages/release/preflight.js';

export interface BuildInputs {
  /** Absolute path inside the workspace. */
  readonly context: string;
  /** Absolute path of the Dockerfile. */
  readonly file: string;
  readonly buildArgs: string[];
  readonly labels: Record<string, string>;
  readonly target: string | undefined;
  readonly platform: string | undefined;
  readonly network: string | undefined;
  /** Full SHA of the commit built; undefined when not given. */
  readonly revision: string | undefined;
  readonly cacheFrom: string[];
  readonly cacheTo: string[];
  readonly pull: boolean;
  readonly noCache: boolean;
  readonly secretEnvs: SecretEnv[];
  readonly push: boolean;
}

export interface Inputs {
  readonly region: string;
  /** The account named by `registry`; undefined for the credentials' own registry. */
  readonly accountId: string | undefined;
  /** The ECR host computed from `registry` and the region, when `registry` is given. */
  readonly registryHost: string | undefined;
  /** The registry host names the FIPS endpoint. */
  readonly fips: boolean;
  readonly repository: string;
  /** Deduplicated; the first is the release tag. */
  readonly tags: string[];
  readonly ifTagExists: IfTagExists;
  readonly promoteFrom: string | undefined;
  /** Given with promoteFrom: the source must be an image of `revision`, unless a reason is given. */
  readonly promotion: PromotionRule | undefined;
  /** Undefined when promoting. */
  readonly build: BuildInputs | undefined;
  /** Where the provenance record lives; undefined without `app-token`. */
  readonly provenance: ProvenanceInputs | undefined;
}

export interface ProvenanceInputs {
  /** SECRET: `contents: write` on the app repository. */
  readonly token: string;
  readonly appRepository: RepositoryRef;
  readonly gitTagPrefix: string;
}

export type GetInput = (name: string) => string;

/** The environment variables inputs fall back on. */
export type InputEnvironment = Readonly<Record<string, string | undefined>>;

const BUILD_INPUTS = [
  'context',
  'file',
  'build-args',
  'labels',
  'target',
  'platform',
  'network',
  'cache-from',
  'cache-to',
  'secret-envs',
] as const;

/** One item per line: these values may contain commas (`type=registry,ref=...`, `A=1,2`). */
function lines(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function optional(raw: string): string | undefined {
  const value = raw.trim();
  return value === '' ? undefined : value;
}

function keyValues(name: string, raw: string, keyPattern: RegExp, example: string): string[] {
  const items = lines(raw);
  for (const item of items) {
    const separator = item.indexOf('=');
    if (separator <= 0 || !keyPattern.test(item.slice(0, separator))) {
      throw new InputError(name, `"${item}" is not KEY=VALUE: give one per line, e.g. ${example}`);
    }
  }
  return items;
}

function parseRegion(getInput: GetInput, env: InputEnvironment, hostRegion?: string): string {
  const region =
    optional(getInput('region')) ??
    optional(env.AWS_REGION ?? '') ??
    optional(env.AWS_DEFAULT_REGION ?? '') ??
    hostRegion ??
    '';
  if (region === '') {
    throw new InputError(
      'region',
      'is empty and neither AWS_REGION nor AWS_DEFAULT_REGION is set: give the region, e.g. us-gov-west-1 ' +
        '(aws-actions/configure-aws-credentials sets AWS_REGION)',
    );
  }
  const problem = regionProblem(region);
  if (problem !== undefined) throw new InputError('region', problem);
  if (hostRegion !== undefined && region !== hostRegion) {
    throw new InputError(
      'region',
      `"${region}" does not match the registry host's region ${hostRegion}: leave region empty or use ${hostRegion}`,
    );
  }
  return region;
}

function parseRegistry(
  getInput: GetInput,
  env: InputEnvironment,
): Pick<Inputs, 'region' | 'accountId' | 'registryHost' | 'fips'> {
  const raw = getInput('registry').trim();
  if (raw === '') {
    return {
      region: parseRegion(getInput, env),
      accountId: undefined,
      registryHost: undefined,
      fips: false,
    };
  }
  if (/^[0-9]{12}$/.test(raw)) {
    const region = parseRegion(getInput, env);
    return {
      region,
      accountId: raw,
      registryHost: registryHost({ accountId: raw, region }),
      fips: false,
    };
  }
  const host = parseEcrRegistryHost(raw.replace(/^https?:\/\//, '').replace(/\/+$/, ''));
  if (host === undefined) {
    throw new InputError(
      'registry',
      `"${raw}" is neither an AWS account id nor an ECR registry host: use the 12-digit account id, ` +
        'or <account>.dkr.ecr.<region>.amazonaws.com',
    );
  }
  // An explicit region input must agree with the host's; the environment's region doesn't override it.
  const region = parseRegion(getInput, {}, host.region);
  return { region, accountId: host.accountId, registryHost: host.host, fips: host.fips };
}

function parseTags(raw: string): string[] {
  const tags = [...new Set(parseListInput(raw))];
  if (tags.length === 0) {
    throw new InputError(
      'tags',
      'is empty: give at least the release tag, e.g. ${{ steps.version.outputs.version }}',
    );
  }
  for (const tag of tags) {
    const problem = imageTagProblem(tag);
    if (problem !== undefined) throw new InputError('tags', problem);
  }
  return tags;
}

function parseIfTagExists(raw: string): IfTagExists {
  const value = raw.trim() || 'skip-same-digest';
  const known = IF_TAG_EXISTS.find((option) => option === value);
  if (known === undefined) {
    throw new InputError('if-tag-exists', `"${raw}" is not one of ${IF_TAG_EXISTS.join(', ')}`);
  }
  return known;
}

function parseBuild(getInput: GetInput, env: InputEnvironment): BuildInputs {
  const workspace: BuildPathBase = {
    dir: optional(env.GITHUB_WORKSPACE ?? '') ?? process.cwd(),
    name: 'the workspace',
    fix: 'use a path inside the repository checkout',
  };
  const context = buildContextInside('context', getInput('context'), workspace);
  const file = dockerfileInside('file', getInput('file'), context, workspace);

  const platform = optional(getInput('platform'));
  if (platform !== undefined && !/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(platform)) {
    throw new InputError(
      'platform',
      `"${platform}" is not one platform like linux/amd64 or linux/arm64 (multi-platform images are not supported)`,
    );
  }
  const revision = parseRevision(getInput);
  const network = optional(getInput('network'));
  if (network !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(network)) {
    throw new InputError(
      'network',
      `"${network}" is not a network: use none, host, default or a network name`,
    );
  }
  const labels: Record<string, string> = {};
  for (const item of keyValues(
    'labels',
    getInput('labels'),
    /^[A-Za-z0-9][A-Za-z0-9._/-]*$/,
    'com.example.team=cms',
  )) {
    const separator = item.indexOf('=');
    labels[item.slice(0, separator)] = item.slice(separator + 1);
  }
  const secretEnvs = keyValues(
    'secret-envs',
    getInput('secret-envs'),
    /^[A-Za-z0-9_.-]+$/,
    'npm_token=NPM_TOKEN',
  ).map((item) => {
    const separator = item.indexOf('=');
    const secret = { id: item.slice(0, separator), env: item.slice(separator + 1) };
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(secret.env)) {
      throw new InputError('secret-envs', `"${secret.env}" is not an environment variable name`);
    }
    if (env[secret.env] === undefined) {
      throw new InputError(
        'secret-envs',
        `environment variable ${secret.env} (secret ${secret.id}) is not set: set it in the step's env:`,
      );
    }
    return secret;
  });
  return {
    context,
    file,
    buildArgs: keyValues(
      'build-args',
      getInput('build-args'),
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      'NODE_ENV=production',
    ),
    labels,
    target: optional(getInput('target')),
    platform,
    network,
    revision,
    cacheFrom: lines(getInput('cache-from')),
    cacheTo: lines(getInput('cache-to')),
    pull: parseBooleanInput('pull', getInput('pull'), false),
    noCache: parseBooleanInput('no-cache', getInput('no-cache'), false),
    secretEnvs,
    push: parseBooleanInput('push', getInput('push'), true),
  };
}

function parseProvenance(getInput: GetInput, env: InputEnvironment): ProvenanceInputs | undefined {
  const token = getInput('app-token').trim();
  if (token === '') return undefined;
  const raw = optional(getInput('app-repository')) ?? env.GITHUB_REPOSITORY ?? '';
  if (raw === '') {
    throw new InputError('app-repository', 'is required with app-token: give owner/name');
  }
  return {
    token,
    appRepository: parseRepositoryInput('app-repository', raw),
    gitTagPrefix: getInput('git-tag-prefix').trim(),
  };
}

/** `revision`: a full commit SHA, lower case; undefined when not given. */
function parseRevision(getInput: GetInput): string | undefined {
  const revision = optional(getInput('revision'))?.toLowerCase();
  if (revision !== undefined && !/^[0-9a-f]{40}$/.test(revision)) {
    throw new InputError(
      'revision',
      `"${revision}" is not a full commit SHA: use the 40 hex characters`,
    );
  }
  return revision;
}

/** Promotion's rule: the released commit (`revision`), and the reason for another commit's image. */
function parsePromotion(getInput: GetInput, env: InputEnvironment): PromotionRule {
  const revision = parseRevision(getInput) ?? env.GITHUB_SHA?.toLowerCase() ?? '';
  if (revision === '') {
    throw new InputError(
      'revision',
      `is required to promote: give the commit being released (40 hex characters), so the source image can be checked against it`,
    );
  }
  const reason = allowedDowngradeReason(
    parseBooleanInput('allow-downgrade', getInput('allow-downgrade'), false),
    getInput('downgrade-reason'),
  );
  return { revision, otherRevisionReason: reason };
}

/** Reads and validates every input once; the first bad one throws a one-line InputError. */
export function getInputs(getInput: GetInput, env: InputEnvironment): Inputs {
  const provenance = parseProvenance(getInput, env);
  const registry = parseRegistry(getInput, env);
  const repository = getInput('repository').trim();
  if (repository === '')
    throw new InputError('repository', 'is required: give the ECR repository name, e.g. team/cms');
  // A valid repository name can look like a host, but nobody means `<account>.dkr.ecr...` as a name.
  if (/\.dkr\.ecr(-fips)?\./.test(repository)) {
    throw new InputError(
      'repository',
      `"${repository}" names a registry: give the repository name only and the host in registry:`,
    );
  }
  const repositoryProblem = repositoryNameProblem(repository);
  if (repositoryProblem !== undefined) throw new InputError('repository', repositoryProblem);
  const tags = parseTags(getInput('tags'));
  const ifTagExists = parseIfTagExists(getInput('if-tag-exists'));
  const promoteFrom = optional(getInput('promote-from'));
  const common = { ...registry, repository, tags, ifTagExists, provenance };
  if (promoteFrom === undefined) {
    return { ...common, promoteFrom, promotion: undefined, build: parseBuild(getInput, env) };
  }
  const tagProblem = imageTagProblem(promoteFrom);
  if (tagProblem !== undefined) throw new InputError('promote-from', tagProblem);
  const buildInputs: string[] = BUILD_INPUTS.filter((name) => getInput(name).trim() !== '');
  // Booleans have defaults, so only a value that asks for a build counts.
  if (parseBooleanInput('pull', getInput('pull'), false)) buildInputs.push('pull');
  if (parseBooleanInput('no-cache', getInput('no-cache'), false)) buildInputs.push('no-cache');
  if (!parseBooleanInput('push', getInput('push'), true)) buildInputs.push('push');
  if (buildInputs.length > 0) {
    throw new InputError(
      'promote-from',
      `cannot be combined with ${buildInputs.join(', ')}: promoting retags an existing image without building; ` +
        'drop those inputs or promote-from',
    );
  }
  if (tags.includes(promoteFrom)) {
    throw new InputError(
      'promote-from',
      `"${promoteFrom}" is also in tags: promote it to a new tag`,
    );
  }
  return { ...common, promoteFrom, promotion: parsePromotion(getInput, env), build: undefined };
}
