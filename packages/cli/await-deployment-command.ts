/**
 * `gitops-release await-deployment`: the await-deployment action's step from a terminal. The Argo CD
 * token comes from ARGOCD_TOKEN, never from the command line (it would land in shell history and
 * the process list); the GitHub token, for reporting the deployment, from GH_TOKEN/GITHUB_TOKEN.
 */
import { parseArgs } from 'node:util';
import {
  ArgoCdClient,
  confirmDeployment,
  deploymentLine,
  parseArgoApplicationName,
  parseArgoServer,
  type Clock,
  type FetchPort,
} from '../deploy/index.js';
import { createGitHubClient } from '../github/client.js';
import {
  GitOpsError,
  nonBlank,
  parsePositiveIntegerInput,
  parseRepositoryInput,
  parseShaInput,
  requireInput,
  type Logger,
} from '../kit/index.js';
import { tokenFromEnv, UsageError } from './release-options.js';

export const AWAIT_DEPLOYMENT_USAGE = `Usage:
  gitops-release await-deployment --argocd-server URL --argocd-application A --revision SHA
                                  [--image I] [--version V] [--environment E]
                                  [--app-repository O/N --ref R] [--timeout S] [--poll-interval S]
      Asks Argo CD to refresh application A and waits until it has synced the manifests commit SHA
      and is Healthy (with image I among its images, when given); prints one line:
        <environment>: <version> commit <revision> synced <time> <health>
      Fails naming the unhealthy resources on Degraded, a failed sync or the timeout (default 600 s).
      With --app-repository (and --environment, --version, --ref) the deployment is reported to
      GitHub's deployment API on that repository.

Environment: ARGOCD_TOKEN (required); GH_TOKEN or GITHUB_TOKEN with --app-repository;
GITHUB_API_URL (default https://api.github.com).
`;

export interface AwaitDeploymentIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Tests pass a fake clock; default real time. */
  readonly clock?: Clock;
  readonly fetch?: FetchPort;
}

export async function awaitDeploymentCommand(
  args: readonly string[],
  io: AwaitDeploymentIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      'argocd-server': { type: 'string', default: '' },
      'argocd-application': { type: 'string', default: '' },
      revision: { type: 'string', default: '' },
      image: { type: 'string', default: '' },
      version: { type: 'string', default: '' },
      environment: { type: 'string', default: '' },
      'app-repository': { type: 'string', default: '' },
      ref: { type: 'string', default: '' },
      timeout: { type: 'string', default: '' },
      'poll-interval': { type: 'string', default: '' },
    },
  });
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals.join(' ')}"`);
  }
  const server = parseArgoServer('argocd-server', values['argocd-server']);
  const application = parseArgoApplicationName('argocd-application', values['argocd-application']);
  const revision = parseShaInput(
    'revision',
    requireInput('revision', values.revision, 'the manifests commit'),
  );
  const token = io.env.ARGOCD_TOKEN?.trim() ?? '';
  if (token === '') {
    throw new UsageError('set ARGOCD_TOKEN to an Argo CD API token allowed "applications, get"');
  }
  const version = values.version.trim();
  const environment = nonBlank(values.environment) ?? application;
  const appRepository = nonBlank(values['app-repository']);
  let github;
  if (appRepository !== undefined) {
    const gitHubToken = tokenFromEnv(io.env);
    if (gitHubToken === undefined) {
      throw new UsageError(
        'set GH_TOKEN (or GITHUB_TOKEN) to a token with deployments: write on --app-repository',
      );
    }
    if (version === '')
      throw new UsageError('is required with --app-repository', { input: 'version' });
    github = {
      octokit: createGitHubClient({
        token: gitHubToken,
        logger: quietLogger(io),
        ...(io.env.GITHUB_API_URL ? { baseUrl: io.env.GITHUB_API_URL } : {}),
      }),
      repository: parseRepositoryInput('app-repository', appRepository),
      ref: requireInput('ref', values.ref, 'the released commit'),
    };
  }
  const client = new ArgoCdClient({
    server,
    token,
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
    ...(io.clock === undefined ? {} : { sleep: (ms) => io.clock?.sleep(ms) ?? Promise.resolve() }),
  });
  try {
    const confirmed = await confirmDeployment({
      client,
      application,
      revision,
      image: nonBlank(values.image),
      version,
      environment,
      timeoutMs: parsePositiveIntegerInput('timeout', values.timeout, 600) * 1000,
      pollIntervalMs:
        parsePositiveIntegerInput('poll-interval', values['poll-interval'], 10) * 1000,
      logger: quietLogger(io),
      ...(io.clock === undefined ? {} : { clock: io.clock }),
      github,
    });
    io.stdout(
      `${deploymentLine({ environment, version: version || '-', state: confirmed.state })}\n`,
    );
    return 0;
  } catch (error: unknown) {
    // The token is an environment variable here, not an option: say so rather than `--argocd-token`.
    if (error instanceof GitOpsError && error.input === 'argocd-token') {
      throw new GitOpsError(`ARGOCD_TOKEN: ${error.problem}`, { cause: error });
    }
    throw error;
  }
}

/** Progress on stderr, so stdout holds only the result line. */
function quietLogger(io: AwaitDeploymentIo): Logger {
  return {
    debug: () => undefined,
    info: (message) => {
      io.stderr(`${message}\n`);
    },
    warning: (message) => {
      io.stderr(`warning: ${message}\n`);
    },
    error: (message) => {
      io.stderr(`error: ${message}\n`);
    },
  };
}
