/**
 * Git smart HTTP, as github.com serves it at `<server>/<owner>/<repo>.git`: the real `git
 * http-backend` CGI over the bare repository, so a client reads the bytes git itself writes
 * (protocol v2 when the request's `Git-Protocol` header asks for it). Fetch only: pushes go through
 * the API here. Like a private repository on GitHub, it wants `Authorization: Basic` with a token
 * as the password (any user name, `x-access-token` by custom) and answers 401 otherwise.
 */
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';

export interface SmartHttpPath {
  readonly owner: string;
  readonly name: string;
  /** `/info/refs` or `/git-upload-pack` (`/git-receive-pack` is refused). */
  readonly service: string;
}

export function smartHttpPath(path: string): SmartHttpPath | undefined {
  const match = /^\/([^/]+)\/([^/]+)\.git(\/info\/refs|\/git-upload-pack|\/git-receive-pack)$/.exec(
    path,
  );
  if (match === null) return undefined;
  const [, owner = '', name = '', service = ''] = match;
  return { owner, name, service };
}

/** The password of a Basic header: what git sends (GitHub takes the token there). */
export function basicPassword(authorization: string | undefined): string | undefined {
  const match = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization?.trim() ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return password === '' ? undefined : password;
}

export interface SmartHttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

function plain(status: number, text: string, headers: Record<string, string> = {}) {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
    body: Buffer.from(text),
  };
}

/**
 * Answers one smart-HTTP request for the bare repository `gitDir` (undefined: no such repository).
 * `tokenAccepted` says whether the Basic password is a token this server takes.
 */
export async function serveSmartHttp(
  request: IncomingMessage,
  path: SmartHttpPath,
  gitDir: string | undefined,
  query: URLSearchParams,
  tokenAccepted: (token: string) => boolean,
): Promise<SmartHttpAnswer> {
  const token = basicPassword(request.headers.authorization);
  if (token === undefined || !tokenAccepted(token)) {
    // GitHub's answer for a private repository without (valid) credentials.
    return plain(401, 'Invalid username or token.\n', {
      'www-authenticate': 'Basic realm="GitHub"',
    });
  }
  if (gitDir === undefined) return plain(404, 'Repository not found.\n');
  const receive =
    path.service === '/git-receive-pack' || query.get('service') === 'git-receive-pack';
  if (receive) return plain(403, 'Pushes go through the API on this server.\n');

  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: dirname(gitDir),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${basename(gitDir)}${path.service}`,
      QUERY_STRING: query.toString(),
      REQUEST_METHOD: request.method ?? 'GET',
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      REMOTE_USER: 'x-access-token',
      REMOTE_ADDR: '127.0.0.1',
      GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output: Buffer[] = [];
  const errors: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      resolve(code ?? 1);
    });
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(Buffer.concat(chunks));
  const code = await exited;
  const cgi = Buffer.concat(output);
  const split = cgi.indexOf('\r\n\r\n');
  if (code !== 0 || split < 0) {
    return plain(500, `git http-backend failed: ${Buffer.concat(errors).toString('utf8')}`);
  }
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of cgi.subarray(0, split).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = parseInt(value, 10);
    else if (name !== '') headers[name] = value;
  }
  return { status, headers, body: cgi.subarray(split + 4) };
}

export function writeSmartHttp(response: ServerResponse, answer: SmartHttpAnswer): void {
  response.writeHead(answer.status, {
    ...answer.headers,
    'content-length': String(answer.body.length),
  });
  response.end(answer.body);
}
