/**
 * Release tags in one git protocol request: `ls-refs` of git protocol v2 over smart HTTP, the
 * request `git ls-remote` makes, spoken here over fetch.
 *
 * Why not run `git ls-remote`: git 2.39 sends no `ref-prefix` for ls-remote's patterns (they are
 * tail-matched), so the server would send every ref of the repository (pull request refs included)
 * and git would filter them; here the server filters on `refs/tags/<prefix>`. The `peel` argument
 * also names the commit of each annotated tag in the same answer, so no tag needs the API to be
 * peeled. And no child process: the token stays in this process, in one request header, never in
 * argv, an environment or a file, and a runner without git lists tags the same way.
 */
import type { RepositoryRef } from '../kit/index.js';
import type { Logger } from '../kit/logger.js';
import type { GitHubRepository, TagRef } from './repository.js';

/** Lists the tags whose names start with a prefix (the name without `refs/tags/`). */
export interface TagLister {
  /** `git` (smart HTTP) or `api` (matching-refs pages); the first listing may switch git to api. */
  readonly source: () => 'git' | 'api';
  listTags(prefix: string): Promise<TagRef[]>;
}

/** Where the repository's git endpoint is, and the token it takes. */
export interface GitTagSource {
  /** GITHUB_SERVER_URL (`https://github.com`, a GHES host); default: the API's server. */
  readonly serverUrl?: string | undefined;
  /** GITHUB_API_URL, to check that the server is the API's own; default `https://api.github.com`. */
  readonly apiUrl?: string | undefined;
  readonly token: string;
  readonly fetch?: typeof fetch;
  /** How long each of the two requests may take before the API is used instead. Default 30 s. */
  readonly timeoutMs?: number;
}

/** The server does not answer git protocol v2 for this repository (or refused the token). */
export class GitProtocolUnavailable extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GitProtocolUnavailable';
  }
}

const DEFAULT_API_URL = 'https://api.github.com';
const AGENT = 'git/gitops-release-actions';

/**
 * The smart-HTTP URL of a repository, `<server>/<owner>/<repo>.git`, when the server URL belongs to
 * the API URL (same origin as on GHES and the test server, or `api.<host>` as on github.com and
 * ghe.com); otherwise the reason, since the token of one host is never sent to another. Without a
 * server URL (the CLI outside a runner) the server is the API's own.
 */
export function gitRemoteUrl(
  repository: RepositoryRef,
  urls: { serverUrl?: string | undefined; apiUrl?: string | undefined },
): { url: string } | { reason: string } {
  const apiText = trimSlashes(given(urls.apiUrl) ?? DEFAULT_API_URL);
  let api: URL;
  try {
    api = new URL(apiText);
  } catch {
    return { reason: `GITHUB_API_URL ${apiText} is not a URL` };
  }
  const serverText = trimSlashes(given(urls.serverUrl) ?? serverOf(api));
  let server: URL;
  try {
    server = new URL(serverText);
  } catch {
    return { reason: `GITHUB_SERVER_URL ${serverText} is not a URL` };
  }
  const sameHost =
    api.origin === server.origin ||
    (api.protocol === server.protocol && api.host === `api.${server.host}`);
  if (!sameHost || (server.protocol !== 'https:' && server.protocol !== 'http:')) {
    return {
      reason: `GITHUB_SERVER_URL ${serverText} is not the server of GITHUB_API_URL ${apiText}`,
    };
  }
  return { url: `${serverText}/${repository.owner}/${repository.repo}.git` };
}

/** `https://api.github.com` -> `https://github.com`; `https://ghes/api/v3` -> `https://ghes`. */
function serverOf(api: URL): string {
  if (api.host.startsWith('api.')) return `${api.protocol}//${api.host.slice('api.'.length)}`;
  return api.origin;
}

/** An environment variable set to '' counts as not set, as on a runner. */
function given(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function trimSlashes(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** The value of `Authorization` GitHub's git endpoint takes for a token (as actions/checkout sends). */
export function gitAuthorization(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')}`;
}

/**
 * Every tag under `refs/tags/<prefix>` in two HTTP requests (capabilities, then ls-refs), with
 * annotated tags peeled. Throws GitProtocolUnavailable when the server does not speak v2 smart
 * HTTP, refuses the token, or cannot be reached.
 */
export async function listTagsOverGit(
  remoteUrl: string,
  prefix: string,
  source: Pick<GitTagSource, 'token' | 'fetch' | 'timeoutMs'>,
): Promise<TagRef[]> {
  const fetchPort = source.fetch ?? fetch;
  const headers = {
    authorization: gitAuthorization(source.token),
    'git-protocol': 'version=2',
    'user-agent': AGENT,
  };
  const timeoutMs = source.timeoutMs ?? 30_000;
  const send = async (path: string, init: RequestInit, contentType: string): Promise<Buffer> => {
    let response: Response;
    let body: Buffer;
    try {
      // A redirect could carry the header elsewhere: refused, like a host that is not the API's.
      response = await fetchPort(`${remoteUrl}${path}`, {
        ...init,
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = Buffer.from(await response.arrayBuffer());
    } catch (error: unknown) {
      throw new GitProtocolUnavailable(`${remoteUrl} did not answer (${causeOf(error)})`);
    }
    if (response.status !== 200) {
      throw new GitProtocolUnavailable(
        `${remoteUrl} answered ${String(response.status)}${response.status === 401 ? ' (the token was refused)' : ''}`,
        response.status,
      );
    }
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith(contentType)) {
      throw new GitProtocolUnavailable(
        `${remoteUrl} answered ${type || 'no content type'}, not ${contentType}`,
      );
    }
    return body;
  };

  const advertisement = await send(
    '/info/refs?service=git-upload-pack',
    { method: 'GET', headers },
    'application/x-git-upload-pack-advertisement',
  );
  const capabilities = readPackets(advertisement, remoteUrl)
    .filter((line): line is string => typeof line === 'string')
    .filter((line) => !line.startsWith('# service='));
  if (capabilities[0] !== 'version 2') {
    throw new GitProtocolUnavailable(`${remoteUrl} does not speak git protocol version 2`);
  }
  if (!capabilities.some((line) => line === 'ls-refs' || line.startsWith('ls-refs='))) {
    throw new GitProtocolUnavailable(`${remoteUrl} does not offer ls-refs`);
  }

  const request = Buffer.concat([
    packet('command=ls-refs\n'),
    packet(`agent=${AGENT}\n`),
    Buffer.from('0001'),
    packet('peel\n'),
    packet(`ref-prefix refs/tags/${prefix}\n`),
    Buffer.from('0000'),
  ]);
  const answer = await send(
    '/git-upload-pack',
    {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/x-git-upload-pack-request',
        accept: 'application/x-git-upload-pack-result',
      },
      body: request,
    },
    'application/x-git-upload-pack-result',
  );
  const tags: TagRef[] = [];
  for (const line of readPackets(answer, remoteUrl)) {
    if (typeof line !== 'string') break;
    const [objectSha = '', ref = '', ...attributes] = line.split(' ');
    // The server filters by prefix; this keeps anything else out should one ignore ref-prefix.
    if (!ref.startsWith(`refs/tags/${prefix}`)) continue;
    const peeled = attributes.find((attribute) => attribute.startsWith('peeled:'));
    tags.push({
      name: ref.slice('refs/tags/'.length),
      objectSha,
      // ls-refs peels tag objects only: an unpeeled ref names its commit, as the API's `commit`.
      objectType: peeled === undefined ? 'commit' : 'tag',
      ...(peeled === undefined ? {} : { peeledSha: peeled.slice('peeled:'.length) }),
    });
  }
  return tags;
}

const FLUSH = Symbol('flush');
const DELIM = Symbol('delim');

function packet(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

/** pkt-lines as text without the trailing newline; flush and delimiter packets as markers. */
function readPackets(data: Buffer, remoteUrl: string): (string | typeof FLUSH | typeof DELIM)[] {
  const lines: (string | typeof FLUSH | typeof DELIM)[] = [];
  let offset = 0;
  while (offset < data.length) {
    const header = data.subarray(offset, offset + 4).toString('latin1');
    if (!/^[0-9a-f]{4}$/.test(header)) {
      throw new GitProtocolUnavailable(`${remoteUrl} sent a malformed git packet`);
    }
    const length = parseInt(header, 16);
    if (length === 0 || length === 2) lines.push(FLUSH);
    else if (length === 1) lines.push(DELIM);
    else if (length < 4 || offset + length > data.length) {
      throw new GitProtocolUnavailable(`${remoteUrl} sent a malformed git packet`);
    } else {
      const text = data
        .subarray(offset + 4, offset + length)
        .toString('utf8')
        .replace(/\n$/, '');
      if (text.startsWith('ERR ')) {
        throw new GitProtocolUnavailable(`${remoteUrl} answered: ${text.slice(4)}`);
      }
      lines.push(text);
    }
    offset += length < 4 ? 4 : length;
  }
  return lines;
}

function causeOf(error: unknown): string {
  if (error instanceof Error) {
    const cause: unknown = error.cause;
    const detail = cause instanceof Error ? cause.message : '';
    return detail === '' ? error.message : `${error.message}: ${detail}`;
  }
  return String(error);
}

/** The matching-refs pages of the API: what every repository answers. */
export function apiTagLister(repository: GitHubRepository): TagLister {
  return { source: () => 'api', listTags: (prefix) => repository.listTags(prefix) };
}

/**
 * Git first, chosen once: when the first listing finds no v2 smart HTTP (or the URLs do not pair
 * up), a line says why and this run lists through the API from then on. Without a source, the API.
 */
export function tagListerFor(
  repository: GitHubRepository,
  source: GitTagSource | undefined,
  logger: Logger,
): TagLister {
  const api = apiTagLister(repository);
  if (source === undefined) return api;
  const remote = gitRemoteUrl(repository, source);
  let useApi = false;
  const fallBack = (why: string): void => {
    useApi = true;
    logger.info(`listing tags through the GitHub API: ${why}`);
  };
  if ('reason' in remote) fallBack(remote.reason);
  return {
    source: () => (useApi ? 'api' : 'git'),
    async listTags(prefix) {
      if (useApi || 'reason' in remote) return api.listTags(prefix);
      try {
        const tags = await listTagsOverGit(remote.url, prefix, source);
        logger.debug(
          `${String(tags.length)} tags under refs/tags/${prefix} through git protocol v2`,
        );
        return tags;
      } catch (error: unknown) {
        if (!(error instanceof GitProtocolUnavailable)) throw error;
        fallBack(error.message);
        return api.listTags(prefix);
      }
    },
  };
}
