/**
 * A checkout of a GitHub repository made with git itself, for a token that must stay in this process
 * (read from Parameter Store): the token reaches git only through its environment
 * (`GIT_CONFIG_COUNT` / `http.extraHeader`), never its command line, and nothing is written to the
 * checkout's config, as actions/checkout with `persist-credentials: false` leaves it.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import type { Exec } from '../docker/index.js';
import { errorMessage, GitOpsError, type RepositoryRef } from '../kit/index.js';

export interface CloneRequest {
  /** e.g. `https://github.com` (GITHUB_SERVER_URL on a runner). */
  readonly serverUrl: string;
  readonly repository: RepositoryRef;
  /** Branch, tag or commit to check out; empty for the default branch. */
  readonly ref: string;
  /** Absolute folder to check out into: new or empty. */
  readonly dir: string;
  /** SECRET: the caller has masked it. */
  readonly token: string;
  /** The environment git inherits, for the count of config entries already given there. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The environment that gives one git process the token as an Authorization header, appended to any
 * `GIT_CONFIG_*` entries already in `env` (a runner's or a user's). Redirects are not followed, so the
 * header goes to the remote's host and nowhere else; prompts are off, so a refused token fails.
 */
export function gitCredentialEnv(
  token: string,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const given = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10);
  const first = Number.isInteger(given) && given > 0 ? given : 0;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  const entries: [string, string][] = [
    ['http.extraHeader', `AUTHORIZATION: basic ${basic}`],
    ['http.followRedirects', 'false'],
    ['credential.helper', ''],
  ];
  const added: Record<string, string> = {
    GIT_CONFIG_COUNT: String(first + entries.length),
    GIT_TERMINAL_PROMPT: '0',
  };
  entries.forEach(([key, value], index) => {
    added[`GIT_CONFIG_KEY_${String(first + index)}`] = key;
    added[`GIT_CONFIG_VALUE_${String(first + index)}`] = value;
  });
  return added;
}

/** Clones `repository` at `ref` (depth 1) into `dir`; returns the commit checked out. */
export async function cloneRepository(exec: Exec, request: CloneRequest): Promise<string> {
  const { dir, repository } = request;
  const name = `${repository.owner}/${repository.repo}`;
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new GitOpsError(
      `cannot check out ${name} into ${dir}: the folder exists and is not empty; choose a new path`,
    );
  }
  // git parses options after the remote too: a ref like `--upload-pack=...` would run a program.
  if (request.ref.startsWith('-') || /\s/.test(request.ref)) {
    throw new GitOpsError(
      `cannot check out "${request.ref}" of ${name}: not a branch, tag or commit name`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const url = `${request.serverUrl.replace(/\/+$/, '')}/${name}.git`;
  const credentials = gitCredentialEnv(request.token, request.env);
  const run = async (args: readonly string[], withToken = false): Promise<string> => {
    const result = await exec(
      'git',
      ['-C', dir, ...args],
      withToken ? { env: credentials } : {},
    ).catch((error: unknown) => ({ exitCode: -1, stdout: '', stderr: errorMessage(error) }));
    if (result.exitCode !== 0) {
      const reason = result.stderr.trim().split('\n').at(-1) ?? '';
      throw new GitOpsError(
        `could not check out ${request.ref || 'the default branch'} of ${name} from ${url} (git ${args[0] ?? ''}: ` +
          `${reason}): check the repository, the ref and that the token can read it`,
      );
    }
    return result.stdout.trim();
  };
  await run(['init', '-q']);
  await run(['remote', 'add', 'origin', url]);
  await run(['fetch', '-q', '--no-tags', '--depth=1', 'origin', request.ref || 'HEAD'], true);
  await run(['checkout', '-q', '--detach', 'FETCH_HEAD']);
  return run(['rev-parse', 'HEAD']);
}
