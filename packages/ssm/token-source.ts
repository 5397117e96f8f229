/**
 * A token given as a secret input, or the Parameter Store SecureString holding it: exactly one of
 * the two, checked with the inputs, and read (masked as it arrives) by the step that uses it.
 */
import { InputError, type Logger } from '../kit/index.js';
import { parameterNameProblem } from './parameter-name.js';
import { readParameterSecret } from './secret-parameter.js';

export interface TokenSource {
  /** The token, or '' when it comes from `tokenParameter`. */
  readonly token: string;
  readonly tokenParameter: string | undefined;
}

/**
 * The token input or the parameter input, never both, never neither. `wanted` completes the
 * error for neither, e.g. `a token that can read the repository`.
 */
export function tokenSourceOf(
  getInput: (name: string) => string,
  names: { readonly token: string; readonly parameter: string },
  wanted: string,
): TokenSource {
  const token = getInput(names.token).trim();
  const tokenParameter = getInput(names.parameter).trim();
  if (token === '' && tokenParameter === '') {
    throw new InputError(
      names.token,
      `is empty: pass ${wanted}, or name the SSM parameter holding it in ${names.parameter}`,
    );
  }
  if (token !== '' && tokenParameter !== '') {
    throw new InputError(
      names.parameter,
      `is given as well as ${names.token}: pass one of them, the token or the SSM parameter holding it`,
    );
  }
  const problem = tokenParameter === '' ? undefined : parameterNameProblem(tokenParameter);
  if (problem !== undefined) throw new InputError(names.parameter, problem);
  return { token, tokenParameter: tokenParameter === '' ? undefined : tokenParameter };
}

/** The token itself: as given, or read from Parameter Store (masked before anything else). */
export function readTokenSource(
  source: TokenSource,
  parameterInput: string,
  ports: {
    readonly env: NodeJS.ProcessEnv;
    readonly maskSecret: (secret: string) => void;
    readonly logger: Logger;
  },
): Promise<string> {
  return source.tokenParameter === undefined
    ? Promise.resolve(source.token)
    : readParameterSecret({ name: source.tokenParameter, input: parameterInput, ...ports });
}
