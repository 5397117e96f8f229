import {
  InputError,
  nonBlank,
  parsePositiveIntegerInput,
  parseRepositoryInput,
  parseShaInput,
  requireInput,
  type RepositoryRef,
} from '../../../packages/kit/index.js';
import { tokenSourceOf } from '../../../packages/ssm/index.js';
import { parseArgoApplicationName, parseArgoServer } from '../../../packages/deploy/inputs.js';

export interface Inputs {
  readonly server: string;
  readonly application: string;
  /** Empty when `tokenParameter` names where to read it. */
  readonly token: string;
  readonly tokenParameter: string | undefined;
  readonly revision: string;
  readonly image: string | undefined;
  readonly version: string;
  /** The GitHub deployment's environment; undefined: none reported. */
  readonly environment: string | undefined;
  /** Where the deployment is reported: with an `environment` and an `app-token`. */
  readonly github:
    | { readonly repository: RepositoryRef; readonly token: string; readonly ref: string }
    | undefined;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
}

export type GetInput = (name: string) => string;

export function getInputs(getInput: GetInput): Inputs {
  const server = parseArgoServer('argocd-server', getInput('argocd-server'));
  const application = parseArgoApplicationName(
    'argocd-application',
    getInput('argocd-application'),
  );
  // The token as a secret, or the Parameter Store SecureString holding it (read in main.ts).
  const { token, tokenParameter } = tokenSourceOf(
    getInput,
    { token: 'argocd-token', parameter: 'argocd-token-parameter' },
    'an Argo CD API token (${{ secrets.ARGOCD_TOKEN }})',
  );
  const revision = parseShaInput(
    'revision',
    requireInput('revision', getInput('revision'), 'the manifests commit'),
  );
  const environment = nonBlank(getInput('environment'));
  // Reported to GitHub when there is an environment and a token to report with (the reusable
  // workflow passes its optional deployments-token secret, empty when the caller gives none).
  const appToken = getInput('app-token').trim();
  const reports = environment !== undefined && appToken !== '';
  const version = getInput('version').trim();
  if (reports && version === '') {
    throw new InputError(
      'version',
      `is required to report the ${environment} deployment: give compute-version's version`,
    );
  }
  const image = nonBlank(getInput('image'));
  if (image !== undefined && /\s/.test(image)) {
    throw new InputError(
      'image',
      `"${image}" is not an image reference: give <registry>/<repository>:<tag>`,
    );
  }
  const timeout = parsePositiveIntegerInput('timeout', getInput('timeout'), 600);
  const pollInterval = parsePositiveIntegerInput('poll-interval', getInput('poll-interval'), 10);
  return {
    server,
    application,
    token,
    tokenParameter,
    revision,
    image,
    version,
    environment,
    github: reports
      ? {
          repository: parseRepositoryInput('app-repository', getInput('app-repository')),
          token: appToken,
          ref: requireInput('ref', getInput('ref'), "compute-version's sha"),
        }
      : undefined,
    timeoutMs: timeout * 1000,
    pollIntervalMs: pollInterval * 1000,
  };
}
