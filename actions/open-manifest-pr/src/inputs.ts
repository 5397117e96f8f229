import { resolve } from 'node:path';
import {
  InputError,
  parseBooleanInput,
  parseListInput,
  parseRepositoryInput,
  parseShaInput,
  requireInput,
  type RepositoryRef,
} from '../../../packages/kit/index.js';
import { parseManifestEdit, type PreparedEdit } from '../../../packages/manifest/index.js';
import { checkedCheckoutFile } from '../../../packages/release/checkout.js';
import { tokenSourceOf } from '../../../packages/ssm/index.js';
import { DEFAULT_FORMAT, VersionError, VersionFormat } from '../../../packages/version/index.js';

export type Mode = 'pull-request' | 'direct';
export type AutoMerge = 'off' | 'merge' | 'squash' | 'rebase';

export interface Inputs {
  /** The manifests token, or '' when it comes from `tokenParameter`. */
  readonly token: string;
  /** The SSM parameter holding the token (name or ARN); undefined when `token` is given. */
  readonly tokenParameter: string | undefined;
  readonly repository: RepositoryRef;
  readonly base: string;
  /** Absolute path of the manifests checkout. */
  readonly path: string;
  /** Changed files relative to `path` (`/`-separated); undefined = ask git. */
  readonly files: string[] | undefined;
  readonly mode: Mode;
  readonly app: string;
  readonly version: string;
  readonly previousVersion: string;
  readonly image: string;
  readonly digest: string;
  readonly branch: string;
  readonly title: string;
  readonly body: string;
  readonly commitMessage: string;
  readonly releaseNotesFrom: RepositoryRef | undefined;
  readonly appToken: string;
  readonly gitTagPrefix: string;
  readonly releaseTag: string;
  readonly labels: string[];
  readonly reviewers: string[];
  readonly teamReviewers: string[];
  readonly draft: boolean;
  readonly autoMerge: AutoMerge;
  readonly supersede: boolean;
  readonly downgradeReason: string;
  readonly format: VersionFormat;
  /** The released commit: the end of the release notes and the body's origin. */
  readonly sha: string | undefined;
  /** update-manifest's edit, made again on files that changed on the base meanwhile. */
  readonly edit: PreparedEdit | undefined;
  /** The tag the image was promoted from, for the body. */
  readonly promotedFrom: string;
  /** The branch or ref the released commit came from; '' when not given. */
  readonly sourceRef: string;
  /** The environment's folder shown in the body; default the changed files' common folder. */
  readonly environment: string;
}

export type GetInput = (name: string) => string;

const MODES: readonly Mode[] = ['pull-request', 'direct'];
const AUTO_MERGE: readonly AutoMerge[] = ['off', 'merge', 'squash', 'rebase'];
// Git's ref rules, narrowed to what is sensible in a branch name.
const BRANCH = /^(?!\/|.*\/\/|.*\/$|.*\.\.|.*\.lock$|.*@\{)[A-Za-z0-9._/-]{1,200}$/;
const APP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[], fallback: T): T {
  const value = raw.trim() === '' ? fallback : raw.trim().toLowerCase();
  const match = allowed.find((candidate) => candidate === value);
  if (!match) throw new InputError(name, `"${raw}" is not one of ${allowed.join(', ')}`);
  return match;
}

/** `changed-files` is a JSON array (update-manifest's output) or one path per line. */
export function parseFilesInput(raw: string): string[] | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  if (value.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new InputError(
        'files',
        "starts with [ but is not a JSON array: pass update-manifest's changed-files output as it is",
      );
    }
    if (
      !Array.isArray(parsed) ||
      !parsed.every((item): item is string => typeof item === 'string')
    ) {
      throw new InputError(
        'files',
        'must be a JSON array of strings, e.g. ["apps/vsp-cms/values.yaml"]',
      );
    }
    return parsed;
  }
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** A version input: an image tag and, when it starts like the format's versions, one of them. */
function checkedVersion(name: string, value: string, format: VersionFormat, fix: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(value) || format.isLookalike(value)) {
    throw new InputError(
      name,
      `"${value}" is not a ${format.template} version or image tag (up to 128 of [A-Za-z0-9_.-]): ${fix}`,
    );
  }
  return value;
}

// Git's rules for a tag name (check-ref-format), as GitHub applies them to release tags.
const GIT_TAG =
  /^(?![./]|.*[./]$|.*\.\.|.*\/\/|.*\.lock$|.*@\{|.*\/\.)[^\s~^:?*[\\\p{Cc}]{1,250}$/u;

function parseFormat(raw: string): VersionFormat {
  try {
    return VersionFormat.parse(raw.trim() || DEFAULT_FORMAT);
  } catch (error) {
    if (error instanceof VersionError) {
      throw new InputError(error.input ?? 'format', error.problem, { cause: error });
    }
    throw error;
  }
}

export function getInputs(getInput: GetInput, env: NodeJS.ProcessEnv = process.env): Inputs {
  const { token, tokenParameter } = tokenSourceOf(
    getInput,
    { token: 'token', parameter: 'token-parameter' },
    'a token for the manifests repository with contents: write and pull-requests: write',
  );
  const app = requireInput('app', getInput('app'));
  if (!APP.test(app)) {
    throw new InputError(
      'app',
      `"${app}" must be letters, digits, '.', '_' or '-' (it goes into branch names and labels)`,
    );
  }
  const format = parseFormat(getInput('format'));
  const version = checkedVersion(
    'version',
    requireInput('version', getInput('version'), 'v0.0.418'),
    format,
    "pass compute-version's version output",
  );
  const previousVersionRaw = getInput('previous-version').trim();
  const previousVersion =
    previousVersionRaw === ''
      ? ''
      : checkedVersion(
          'previous-version',
          previousVersionRaw,
          format,
          "pass update-manifest's previous-version output, or leave it empty",
        );
  const releaseTag = getInput('release-tag').trim();
  if (releaseTag !== '' && !GIT_TAG.test(releaseTag)) {
    throw new InputError(
      'release-tag',
      `"${releaseTag}" is not a git tag name: pass the git-tag output of compute-version, or leave it empty`,
    );
  }
  const branch = getInput('branch').trim() || `release/${app}/${version}`;
  if (!BRANCH.test(branch))
    throw new InputError('branch', `"${branch}" is not a valid branch name`);
  const base = getInput('base').trim();
  if (base !== '' && !BRANCH.test(base))
    throw new InputError('base', `"${base}" is not a valid branch name`);
  const path = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), getInput('path').trim() || '.');
  const files = parseFilesInput(getInput('files'))?.map((file) =>
    checkedCheckoutFile(path, file, 'files'),
  );
  const releaseNotesFrom = getInput('release-notes-from').trim();
  const digest = getInput('digest').trim();
  if (digest !== '' && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw new InputError('digest', `"${digest}" is not a digest: use sha256: and 64 hex digits`);
  }
  return {
    token,
    tokenParameter,
    repository: parseRepositoryInput(
      'repository',
      requireInput('repository', getInput('repository')),
    ),
    base,
    path,
    files,
    mode: oneOf('mode', getInput('mode'), MODES, 'pull-request'),
    app,
    version,
    previousVersion,
    image: getInput('image').trim(),
    digest,
    branch,
    title: getInput('title').trim() || 'Release {app} {version}',
    body: getInput('body'),
    commitMessage: getInput('commit-message').trim() || 'Release {app} {version}',
    releaseNotesFrom:
      releaseNotesFrom === ''
        ? undefined
        : parseRepositoryInput('release-notes-from', releaseNotesFrom),
    appToken: getInput('app-token').trim(),
    gitTagPrefix: getInput('git-tag-prefix').trim(),
    releaseTag,
    labels: parseListInput(getInput('labels')),
    reviewers: parseListInput(getInput('reviewers')),
    teamReviewers: parseListInput(getInput('team-reviewers')),
    draft: parseBooleanInput('draft', getInput('draft'), false),
    autoMerge: oneOf('auto-merge', getInput('auto-merge'), AUTO_MERGE, 'off'),
    supersede: parseBooleanInput('supersede', getInput('supersede'), true),
    downgradeReason: getInput('downgrade-reason').trim(),
    format,
    sha: getInput('sha').trim() === '' ? undefined : parseShaInput('sha', getInput('sha')),
    edit: getInput('edit').trim() === '' ? undefined : parseManifestEdit(getInput('edit'), 'edit'),
    promotedFrom: getInput('promoted-from').trim(),
    sourceRef: getInput('source-ref').trim(),
    environment: getInput('environment').trim(),
  };
}
