/**
 * Git's smart HTTP protocol for the GitHub test server's repositories, served by git itself
 * (`git http-backend` per request, see ../shared/notes/git-protocol.md), behind GitHub's token check:
 * `Authorization: basic base64(x-access-token:<token>)`, 401 otherwise. Read-only (upload-pack).
 * Reach it at `<url>/<owner>/<repo>.git`, or point `https://github.com/` at it with git's
 * `url.<base>.insteadOf` in a test's HOME.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';

export interface GitHttpRequest {
  readonly repository: string;
  readonly path: string;
  /** The token the request carried (undefined: none); kept for asserting who read what. */
  readonly token: string | undefined;
  readonly status: number;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly requests: readonly GitHttpRequest[];
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  /** The bare repository of `owner/name`, or undefined when there is none. */
  readonly gitDirOf: (repository: string) => string | undefined;
  /** Whether `token` may read `repository`. */
  readonly canRead: (repository: string, token: string) => boolean;
}

function tokenOf(authorization: string | undefined): string | undefined {
  const basic = /^basic\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (basic === undefined) return undefined;
  const [user, ...rest] = Buffer.from(basic, 'base64').toString('utf8').split(':');
  return user === 'x-access-token' ? rest.join(':') : undefined;
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: GitHttpRequest[] = [];

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = /^\/([^/]+\/[^/]+?)\.git(\/.*)$/.exec(url.pathname);
    const repository = match?.[1] ?? '';
    const rest = match?.[2] ?? '';
    const token = tokenOf(request.headers.authorization);
    const answer = (status: number, text: string, headers: Record<string, string> = {}): void => {
      requests.push({ repository, path: rest, token, status });
      response.writeHead(status, { 'content-type': 'text/plain', ...headers });
      response.end(text);
    };
    const gitDir = match === null ? undefined : options.gitDirOf(repository);
    // Like GitHub: a private repository is "not found" to a token that cannot read it.
    if (gitDir === undefined) {
      answer(404, 'Repository not found.\n');
      return;
    }
    if (token === undefined) {
      answer(401, 'Authentication required\n', {
        'www-authenticate': 'Basic realm="GitHub"',
      });
      return;
    }
    if (!options.canRead(repository, token)) {
      answer(404, 'Repository not found.\n');
      return;
    }
    const service = url.searchParams.get('service') ?? '';
    if (rest.includes('receive-pack') || service === 'git-receive-pack') {
      answer(403, 'Write access is not served here.\n');
      return;
    }
    const backend = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '',
        GIT_PROJECT_ROOT: dirname(gitDir),
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: `/${basename(gitDir)}${rest}`,
        QUERY_STRING: url.search.replace(/^\?/, ''),
        REQUEST_METHOD: request.method ?? 'GET',
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        REMOTE_USER: 'x-access-token',
        ...(typeof request.headers['git-protocol'] === 'string'
          ? { GIT_PROTOCOL: request.headers['git-protocol'] }
          : {}),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    request.pipe(backend.stdin);
    const chunks: Buffer[] = [];
    backend.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    backend.on('close', () => {
      const output = Buffer.concat(chunks);
      const end = output.indexOf('\r\n\r\n');
      const split = end >= 0 ? end : output.indexOf('\n\n');
      const gap = end >= 0 ? 4 : 2;
      const head = output.subarray(0, Math.max(split, 0)).toString('utf8');
      const body = split >= 0 ? output.subarray(split + gap) : Buffer.alloc(0);
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
        else headers[key] = value;
      }
      requests.push({ repository, path: rest, token, status });
      response.writeHead(status, headers);
      response.end(body);
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
