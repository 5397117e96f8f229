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
import { DEFAULT_FORMAT, VersionError, VersionFormat } from '../../../packages/version/index.js';

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
}

export type GetInput = (name: string) => string;

/** Reads and validates every input once; the first bad one throws a one-line InputError. */
export function getInputs(getInput: GetInput): Inputs {
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
    const input = error.message.startsWith(`"${gitTagPrefix}" is not`)
      ? 'git-tag-prefix'
      : 'format';
    throw new InputError(input, error.message);
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
  };
}
