import {
  InputError,
  parseBooleanInput,
  parseListInput,
  parsePositiveIntegerInput,
  parseRepositoryInput,
  parseShaInput,
  requireInput,
  type RepositoryRef,
} from '../../../packages/kit/index.js';
import { repositoryNameProblem, resolveEcrRegistry } from '../../../packages/ecr/index.js';
import type { ReleaseRequest } from '../../../packages/release/preflight.js';
import { DEFAULT_FORMAT, VersionError, VersionFormat } from '../../../packages/version/index.js';

/** Where ECR image tags are read from, when `sources` includes `ecr`. */
export interface EcrSourceInputs {
  readonly repository: string;
  readonly region: string;
  /** Account id; undefined for the credentials' own account. */
  readonly registryId: string | undefined;
}

export interface Inputs {
  readonly token: string;
  readonly repository: RepositoryRef;
  readonly sha: string;
  readonly format: VersionFormat;
  readonly startAt: number;
  readonly hotfixOf: string;
  readonly reserve: boolean;
  readonly skipIfReleased: boolean;
  readonly requireChecks: string[];
  readonly ecr: EcrSourceInputs | undefined;
  /** The release this version is for, checked before anything is reserved (`app` given). */
  readonly release: ReleaseRequest | undefined;
}

export type GetInput = (name: string) => string;

const SOURCES = new Set(['git', 'ecr']);

function getEcrSource(getInput: GetInput, env: NodeJS.ProcessEnv): EcrSourceInputs | undefined {
  const sources = parseListInput(getInput('sources').toLowerCase());
  for (const source of sources) {
    if (!SOURCES.has(source)) {
      throw new InputError('sources', `"${source}" is not a source: use git or git,ecr`);
    }
  }
  if (sources.length > 0 && !sources.includes('git')) {
    throw new InputError('sources', 'must include git: the version is reserved as a git tag');
  }
  if (!sources.includes('ecr')) return undefined;

  const repository = getInput('ecr-repository').trim();
  if (repository === '') {
    throw new InputError(
      'ecr-repository',
      'is required when sources includes ecr, e.g. dsva/cms-drupal',
    );
  }
  const repositoryProblem = repositoryNameProblem(repository);
  if (repositoryProblem) throw new InputError('ecr-repository', repositoryProblem);

  const target = resolveEcrRegistry(
    { registry: getInput('registry'), region: getInput('region') },
    env,
  );
  return { repository, ...target };
}

/** The release inputs of the reusable workflow and the composite; checked by checkReleaseRequest. */
function getReleaseRequest(getInput: GetInput): ReleaseRequest | undefined {
  const app = getInput('app').trim();
  if (app === '') return undefined;
  return {
    app,
    mode: getInput('mode'),
    manifestsPath: getInput('manifests-path'),
    manifestsFiles: getInput('manifests-files').split('\n'),
    manifestsBase: getInput('manifests-base'),
    environments: getInput('environments'),
    githubEnvironment: getInput('environment'),
    hotfixOf: getInput('hotfix-of'),
    promoteFrom: getInput('promote-from'),
    allowDowngrade: parseBooleanInput('allow-downgrade', getInput('allow-downgrade'), false),
    downgradeReason: getInput('downgrade-reason'),
  };
}

/** Reads and validates every input once; the first bad one throws a one-line InputError. */
export function getInputs(getInput: GetInput, env: NodeJS.ProcessEnv = process.env): Inputs {
  const token = getInput('token').trim();
  if (token === '') {
    throw new InputError(
      'token',
      'is empty: pass ${{ github.token }} or a token with contents: write on the repository',
    );
  }
  const gitTagPrefix = getInput('git-tag-prefix').trim();
  let format: VersionFormat;
  try {
    format = VersionFormat.parse(getInput('format').trim() || DEFAULT_FORMAT, gitTagPrefix);
  } catch (error) {
    if (!(error instanceof VersionError)) throw error;
    // VersionFormat names the input at fault: `format` or `git-tag-prefix`.
    throw new InputError(error.input ?? 'format', error.problem, { cause: error });
  }
  return {
    token,
    repository: parseRepositoryInput(
      'repository',
      requireInput('repository', getInput('repository')),
    ),
    sha: parseShaInput('sha', requireInput('sha', getInput('sha'))),
    format,
    startAt: parsePositiveIntegerInput('start-at', getInput('start-at'), 1),
    hotfixOf: getInput('hotfix-of').trim(),
    reserve: parseBooleanInput('reserve', getInput('reserve'), true),
    skipIfReleased: parseBooleanInput('skip-if-released', getInput('skip-if-released'), true),
    requireChecks: parseListInput(getInput('require-checks')),
    ecr: getEcrSource(getInput, env),
    release: getReleaseRequest(getInput),
  };
}
