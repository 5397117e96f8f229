import { resolve, relative, isAbsolute } from 'node:path';
import {
  InputError,
  parseRepositoryInput,
  requireInput,
  type RepositoryRef,
} from '../../../packages/kit/index.js';
import { tokenSourceOf } from '../../../packages/ssm/index.js';

export interface Inputs {
  readonly repository: RepositoryRef;
  readonly ref: string;
  /** Absolute folder inside the workspace. */
  readonly path: string;
  /** The token, or '' when it comes from `tokenParameter`. */
  readonly token: string;
  readonly tokenParameter: string | undefined;
}

export type GetInput = (name: string) => string;

// Git's ref rules, narrowed to what is sensible in a branch, tag or commit name.
const REF = /^(?!-|\/|.*\/\/|.*\/$|.*\.\.|.*\.lock$|.*@\{)[A-Za-z0-9._/-]{1,200}$/;

export function getInputs(getInput: GetInput, env: NodeJS.ProcessEnv = process.env): Inputs {
  const { token, tokenParameter } = tokenSourceOf(
    getInput,
    { token: 'token', parameter: 'token-parameter' },
    'a token that can read the repository',
  );
  const ref = getInput('ref').trim();
  if (ref !== '' && !REF.test(ref)) {
    throw new InputError('ref', `"${ref}" is not a branch, tag or commit name`);
  }
  const workspace = resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const path = resolve(workspace, getInput('path').trim() || 'manifests');
  const inside = relative(workspace, path);
  if (inside === '' || inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
    throw new InputError(
      'path',
      `"${getInput('path')}" must be a folder inside the workspace, e.g. manifests`,
    );
  }
  return {
    repository: parseRepositoryInput(
      'repository',
      requireInput('repository', getInput('repository')),
    ),
    ref,
    path,
    token,
    tokenParameter,
  };
}
