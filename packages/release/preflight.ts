/**
 * The release preflight: every check of a release request that can be made before anything is
 * reserved, pushed or committed, and the plan of its environments. One rule, one place: the CLI
 * calls it in runRelease, the reusable workflow and the composite through compute-version (its
 * `app` input and the `environments` output).
 */
import { InputError } from '../kit/index.js';
// The module, not the package index: compute-version bundles this without the YAML rewriter.
import { DEFAULT_FILE_PATTERNS } from '../manifest/files.js';

export const RELEASE_MODES = ['pull-request', 'direct'] as const;
export type ReleaseMode = (typeof RELEASE_MODES)[number];

const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ENVIRONMENT_KEYS = ['path', 'mode', 'files', 'base', 'environment'] as const;
/**
 * A GitHub environment name as a job's `environment:` takes it (at most 255 characters): letters,
 * digits, spaces and `._-/`, starting with a letter or digit. Nothing that a YAML or expression
 * context could read differently.
 */
const GITHUB_ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,254}$/;

export interface ReleaseRequest {
  /** Short name of the app: branches `release/<app>/<version>`, label `release:<app>`. */
  readonly app: string;
  /** Default `pull-request`; an environment may set its own. */
  readonly mode?: string | undefined;
  /** The app's folder in the manifests repository; default the root. */
  readonly manifestsPath?: string | undefined;
  /** Globs relative to the environment's path; default every YAML file. */
  readonly manifestsFiles?: readonly string[] | undefined;
  readonly manifestsBase?: string | undefined;
  /** JSON object: environment name -> {path, mode, files, base, environment}, released in the given order. */
  readonly environments?: string | undefined;
  /**
   * The GitHub environment of the jobs that hold the AWS role or the manifests token (its protection
   * rules and secrets apply); an environment of the plan may name its own. Default none.
   */
  readonly githubEnvironment?: string | undefined;
  readonly hotfixOf?: string | undefined;
  readonly promoteFrom?: string | undefined;
  /** Whether the driver has a build configured (true) or none (false); undefined: not known here. */
  readonly canBuild?: boolean | undefined;
  readonly allowDowngrade?: boolean | undefined;
  readonly downgradeReason?: string | undefined;
}

export interface EnvironmentPlan {
  /** `default` when no environments were named. */
  readonly name: string;
  /** Folder in the manifests repository, '' for the root. */
  readonly path: string;
  readonly mode: ReleaseMode;
  /** Globs relative to `path`. */
  readonly files: readonly string[];
  /** '' for the repository's default branch. */
  readonly base: string;
  /** Branch and label name: `<app>-<environment>` for a named environment. */
  readonly app: string;
  /** The GitHub environment its manifests job runs in, '' for none. */
  readonly githubEnvironment: string;
  /** The last environment publishes the GitHub release that marks the release finished. */
  readonly last: boolean;
}

export interface ReleasePlan {
  readonly environments: readonly EnvironmentPlan[];
}

/**
 * The reason given with allow-downgrade, which lets a release go backwards (an older version in the
 * manifests, a commit that diverged from the newest release, a promoted image of another commit);
 * undefined when not allowed. Allowed without a reason is refused.
 */
export function allowedDowngradeReason(allow: boolean, reason: string): string | undefined {
  if (!allow) return undefined;
  if (reason.trim() === '') {
    throw new InputError(
      'downgrade-reason',
      'allow-downgrade needs a reason (part of the state lives in the database schema)',
    );
  }
  return reason.trim();
}

/** `apps/vsp-cms/` -> `apps/vsp-cms`; `.` and `` -> ``; refuses absolute paths and `..`. */
export function normalizeManifestsPath(path: string, input = 'manifests-path'): string {
  const trimmed = path.trim().replaceAll('\\', '/');
  if (trimmed.startsWith('/') || /(^|\/)\.\.(\/|$)/.test(trimmed)) {
    throw new InputError(
      input,
      `path "${path}" must stay inside the manifests repository: give a folder relative to its root, e.g. apps/vsp-cms`,
    );
  }
  const parts = trimmed.split('/').filter((part) => part !== '' && part !== '.');
  return parts.join('/');
}

/** A JSON value given where text is expected: strings as they are, numbers spelled out. */
function textOf(value: unknown, input: string, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new InputError(input, `${what} must be text, not ${JSON.stringify(value)}`);
}

function checkMode(raw: string, input: string): ReleaseMode {
  const mode = raw.trim() || 'pull-request';
  if (!(RELEASE_MODES as readonly string[]).includes(mode)) {
    throw new InputError(input, `mode "${mode}" is not one of ${RELEASE_MODES.join(', ')}`);
  }
  return mode as ReleaseMode;
}

function globList(given: unknown, input: string): string[] {
  const list: unknown[] = Array.isArray(given) ? given : textOf(given, input, 'files').split('\n');
  const globs = list
    .map((glob) => textOf(glob, input, 'a glob').trim())
    .filter((glob) => glob !== '');
  for (const glob of globs) {
    if (glob.startsWith('/') || /(^|\/)\.\.(\/|$)/.test(glob)) {
      throw new InputError(
        input,
        `'${glob}' leaves the environment's folder: give a glob inside it`,
      );
    }
  }
  return globs.length > 0 ? globs : [...DEFAULT_FILE_PATTERNS];
}

/** '' (none) or a GitHub environment name; `input` names where it came from. */
export function checkGithubEnvironment(raw: string, input: string): string {
  const name = raw.trim();
  if (name !== '' && !GITHUB_ENVIRONMENT_NAME.test(name)) {
    throw new InputError(
      input,
      `GitHub environment "${raw}" must be letters, digits, spaces, '.', '_', '-' or '/' (at most 255, starting with a letter or digit), e.g. production`,
    );
  }
  return name;
}

function parseEnvironments(json: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error: unknown) {
    throw new InputError(
      'environments',
      `not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    Array.isArray(parsed) ||
    Object.keys(parsed).length === 0
  ) {
    throw new InputError(
      'environments',
      'give an object, e.g. {"prod": {"path": "apps/vsp-cms/prod", "mode": "pull-request"}}',
    );
  }
  return parsed as Record<string, unknown>;
}

function planEnvironment(
  name: string,
  spec: unknown,
  request: ReleaseRequest,
): Omit<EnvironmentPlan, 'last'> {
  const where = `${name}: `;
  const fail = (problem: string): never => {
    throw new InputError('environments', `${where}${problem}`);
  };
  if (!ENVIRONMENT_NAME.test(name)) fail("use letters, digits, '.', '_' or '-'");
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    fail('give {"path": ..., "mode": ...}');
  }
  const fields = spec as Record<string, unknown>;
  const unknown = Object.keys(fields).filter(
    (key) => !(ENVIRONMENT_KEYS as readonly string[]).includes(key),
  );
  if (unknown.length > 0) {
    fail(`unknown ${unknown.join(', ')} (known: ${ENVIRONMENT_KEYS.join(', ')})`);
  }
  // The shared checks name the environment too: `input 'environments': prod: mode ...`.
  const within = <T>(check: () => T): T => {
    try {
      return check();
    } catch (error: unknown) {
      if (!(error instanceof InputError)) throw error;
      return fail(error.message.replace(/^input '[^']+': /, ''));
    }
  };
  const path = within(() =>
    normalizeManifestsPath(textOf(fields.path, 'environments', 'path'), 'environments'),
  );
  const mode = within(() =>
    checkMode(textOf(fields.mode ?? request.mode, 'environments', 'mode'), 'environments'),
  );
  const files = within(() => globList(fields.files ?? request.manifestsFiles, 'environments'));
  return {
    name,
    path,
    mode,
    files,
    base: within(() => textOf(fields.base ?? request.manifestsBase, 'environments', 'base')).trim(),
    githubEnvironment: within(() =>
      checkGithubEnvironment(
        textOf(fields.environment ?? request.githubEnvironment, 'environments', 'environment'),
        'environments',
      ),
    ),
    // Its own branch and label per named environment: prod's pull request never supersedes staging's.
    app: `${request.app}-${name}`,
  };
}

/** Checks a release request and plans its environments; the first problem throws an InputError. */
export function checkReleaseRequest(request: ReleaseRequest): ReleasePlan {
  if (!APP_NAME.test(request.app)) {
    throw new InputError(
      'app',
      `"${request.app}" must be letters, digits, '.', '_' or '-' (it goes into branch names and labels)`,
    );
  }
  allowedDowngradeReason(request.allowDowngrade === true, request.downgradeReason ?? '');
  const hotfixOf = request.hotfixOf?.trim() ?? '';
  const promoteFrom = request.promoteFrom?.trim() ?? '';
  if (hotfixOf !== '' && promoteFrom !== '') {
    throw new InputError(
      'promote-from',
      'a hotfix is built from its commit, so hotfix-of and promote-from do not go together: give one of them',
    );
  }
  if (request.canBuild === false && promoteFrom === '') {
    throw new InputError('promote-from', 'give a build context or an image to promote');
  }
  if (request.canBuild === true && promoteFrom !== '') {
    throw new InputError(
      'promote-from',
      'a promotion releases an existing image without a build: give a build or promote-from, not both',
    );
  }
  const githubEnvironment = checkGithubEnvironment(request.githubEnvironment ?? '', 'environment');
  const named = (request.environments ?? '').trim();
  if (named === '') {
    return {
      environments: [
        {
          name: 'default',
          path: normalizeManifestsPath(request.manifestsPath ?? ''),
          mode: checkMode(request.mode ?? '', 'mode'),
          files: globList(request.manifestsFiles, 'manifests-files'),
          base: request.manifestsBase?.trim() ?? '',
          app: request.app,
          githubEnvironment,
          last: true,
        },
      ],
    };
  }
  const entries = Object.entries(parseEnvironments(named));
  return {
    environments: entries.map(([name, spec], index) => ({
      ...planEnvironment(name, spec, request),
      last: index === entries.length - 1,
    })),
  };
}

/** An environment's globs relative to the repository root (update-manifest's `files`). */
export function environmentFiles(environment: EnvironmentPlan): string[] {
  return environment.files.map((glob) =>
    environment.path === '' ? glob : `${environment.path}/${glob}`,
  );
}

/** The plan as the workflow's matrix takes it: `files` one glob per line, from the root. */
export function environmentsOutput(plan: ReleasePlan): string {
  return JSON.stringify(
    plan.environments.map((environment) => ({
      ...environment,
      path: environment.path || '.',
      files: environmentFiles(environment).join('\n'),
    })),
  );
}
