import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Faults } from './faults.js';
import { executeGraphql } from './graphql.js';
import { ApiError, notFound, readJsonBody, type Reply } from './http.js';
import { forbidden, isAllowed, METADATA_READ, tokenOf } from './permissions.js';
import { PullRepresentations } from './pull-representations.js';
import { Representations } from './representations.js';
import { GitRepository } from './repository.js';
import { routes } from './routes.js';
import { basicPassword, serveSmartHttp, smartHttpPath, writeSmartHttp } from './smart-http.js';
import type { GitHubTestServer, RecordedRequest, TestRepo } from './types.js';

type MutableRecordedRequest = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class TestServer implements GitHubTestServer {
  readonly faults = new Faults();
  readonly requests: RecordedRequest[] = [];
  private readonly repos = new Map<string, GitRepository>();
  private readonly revokedTokens = new Set<string>();
  private readonly ownerIds = new Map<string, number>();
  private readonly views: Representations;
  private readonly pullViews: PullRepresentations;
  private readonly closing = new AbortController();
  private closed: Promise<void> | undefined;
  private lastId = 1000;
  private requestCount = 0;

  constructor(
    private readonly http: Server,
    readonly url: string,
    private readonly rootDir: string,
  ) {
    this.views = new Representations(url);
    this.pullViews = new PullRepresentations(this.views, url);
    http.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void this.handle(request, response);
    });
  }

  private readonly nextId = () => ++this.lastId;

  async createRepo(fullName: string, options: { defaultBranch?: string } = {}): Promise<TestRepo> {
    const [owner = '', name = '', ...rest] = fullName.split('/');
    if (!NAME_PATTERN.test(owner) || !NAME_PATTERN.test(name) || rest.length > 0) {
      throw new Error(`expected 'owner/name', got ${JSON.stringify(fullName)}`);
    }
    const key = fullName.toLowerCase();
    if (this.repos.has(key)) throw new Error(`${fullName} already exists`);
    let ownerId = this.ownerIds.get(owner.toLowerCase());
    if (ownerId === undefined) {
      ownerId = this.nextId();
      this.ownerIds.set(owner.toLowerCase(), ownerId);
    }
    const gitDir = join(this.rootDir, owner.toLowerCase(), `${name.toLowerCase()}.git`);
    const repo = new GitRepository(
      this.nextId(),
      owner,
      ownerId,
      name,
      gitDir,
      options.defaultBranch ?? 'main',
      this.nextId,
    );
    this.repos.set(key, repo);
    try {
      await repo.initialise();
    } catch (error: unknown) {
      this.repos.delete(key);
      throw error;
    }
    return repo;
  }

  revokeToken(token: string): void {
    this.revokedTokens.add(token);
  }

  repo(fullName: string): TestRepo | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing.abort();
    const stopped = new Promise<void>((resolve, reject) => {
      this.http.close((error) => {
        if (error === undefined) resolve();
        else reject(error);
      });
    });
    // Octokit keeps connections alive; without this close() would wait for their timeout.
    this.http.closeAllConnections();
    await stopped;
    // Let writes already running finish before their directories disappear.
    await Promise.all(
      [...this.repos.values()].map((repo) => repo.exclusive(() => Promise.resolve())),
    );
    await rm(this.rootDir, { recursive: true, force: true, maxRetries: 3 });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', this.url);
    let path = url.pathname;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      // Malformed escapes: route on the raw path, which then matches nothing.
    }
    const gitPath = smartHttpPath(path);
    const token =
      gitPath === undefined
        ? tokenOf(request.headers.authorization)
        : basicPassword(request.headers.authorization);
    const record: MutableRecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      token,
      status: 0,
      durationMs: 0,
    };
    const arrivedAt = performance.now();
    this.requests.push(record);
    try {
      const fault = this.faults.take(method, path);
      if (fault?.type === 'drop') {
        request.socket.destroy();
        return;
      }
      if (fault?.type === 'delay') {
        await delay(fault.delayMs, undefined, { signal: this.closing.signal });
      }
      if (fault?.type === 'before') await fault.run();
      if (gitPath !== undefined && fault?.type !== 'reply') {
        const repo = this.repos.get(`${gitPath.owner}/${gitPath.name}`.toLowerCase());
        const answer = await serveSmartHttp(
          request,
          gitPath,
          repo?.gitDir,
          url.searchParams,
          // Like a private repository: a token without contents read is not let in.
          (candidate) =>
            !this.revokedTokens.has(candidate) &&
            (repo?.tokenPermissions.get(candidate)?.contents ?? 'read') !== 'none',
        );
        if (response.destroyed) return;
        writeSmartHttp(response, answer);
        record.status = answer.status;
        record.durationMs = performance.now() - arrivedAt;
        return;
      }
      const reply =
        fault?.type === 'reply'
          ? fault.reply
          : await this.dispatch(request, method, path, token, {
              baseUrl: this.url,
              rawPath: url.pathname,
              query: url.searchParams,
            });
      if (fault?.type === 'drop-after') {
        // The write landed; only the answer is lost.
        request.socket.destroy();
        return;
      }
      this.send(response, record, reply, arrivedAt);
    } catch (error: unknown) {
      if (response.headersSent || response.destroyed) return;
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(500, `GitHub test server failed: ${errorMessage(error)}`);
      this.send(response, record, apiError.toReply(), arrivedAt);
    }
  }

  private async dispatch(
    request: IncomingMessage,
    method: string,
    path: string,
    token: string | undefined,
    location: { baseUrl: string; rawPath: string; query: URLSearchParams },
  ): Promise<Reply> {
    if (token !== undefined && this.revokedTokens.has(token)) {
      throw new ApiError(401, 'Bad credentials');
    }
    if (path === '/graphql' && method === 'POST') return this.graphql(request, token);
    const match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    const [, owner = '', name = '', rest = ''] = match ?? [];
    const repo = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (repo === undefined) throw notFound();
    for (const route of routes) {
      if (route.method !== method) continue;
      const params = route.pattern.exec(rest);
      if (params === null) continue;
      const granted = token === undefined ? undefined : repo.tokenPermissions.get(token);
      const accepted = route.accepted ?? METADATA_READ;
      if (granted !== undefined && !isAllowed(granted, accepted)) throw forbidden(accepted);
      const handle = () =>
        route.handle({
          repo,
          params: params.slice(1),
          query: location.query,
          location,
          readBody: () => readJsonBody(request),
          views: this.views,
          pullViews: this.pullViews,
        });
      // Writes queue per repository from the moment they arrive, body reading included, so
      // concurrent creates are decided in arrival order as on GitHub.
      return method === 'GET' ? handle() : repo.exclusive(handle);
    }
    throw notFound();
  }

  private async graphql(request: IncomingMessage, token: string | undefined): Promise<Reply> {
    const body = await readJsonBody(request);
    const result = await executeGraphql(body, {
      token,
      baseUrl: this.url,
      repository: (owner, name) => this.repos.get(`${owner}/${name}`.toLowerCase()),
      pullById: (id) => {
        for (const repo of this.repos.values()) {
          const pull = repo.pullStore.byId(id);
          if (pull !== undefined) return { repo, pull };
        }
        return undefined;
      },
    });
    return { status: 200, body: result };
  }

  private send(
    response: ServerResponse,
    record: MutableRecordedRequest,
    reply: Reply,
    arrivedAt: number,
  ): void {
    if (response.destroyed) return;
    // 204 No Content (e.g. DELETE /git/refs) has no body and no content type.
    const body = reply.status === 204 ? '' : JSON.stringify(reply.body);
    response.writeHead(reply.status, {
      ...(reply.status === 204 ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'content-length': String(Buffer.byteLength(body)),
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `TEST:${String(++this.requestCount)}`,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      ...reply.headers,
    });
    response.end(body);
    record.status = reply.status;
    record.durationMs = performance.now() - arrivedAt;
  }
}

const SCRATCH_PREFIX = 'github-test-server-';

/**
 * Repositories go to tmpfs (/dev/shm) when it has room: creating 10,000 loose refs there takes
 * ~0.7 s against 2-4 s on a busy disk. GITHUB_TEST_SERVER_TMPDIR overrides the choice.
 */
async function makeScratchDir(): Promise<string> {
  const override = process.env.GITHUB_TEST_SERVER_TMPDIR;
  if (override !== undefined && override !== '') return mkdtemp(join(override, SCRATCH_PREFIX));
  try {
    const shm = await statfs('/dev/shm');
    if (shm.bavail * shm.bsize > 1024 ** 3) return await mkdtemp(join('/dev/shm', SCRATCH_PREFIX));
  } catch {
    // No usable /dev/shm (not Linux, or not writable): use the ordinary temp dir.
  }
  return mkdtemp(join(tmpdir(), SCRATCH_PREFIX));
}

/** Starts the server on 127.0.0.1 with a random port; repositories live in a fresh temp dir. */
export async function startGitHubServer(): Promise<GitHubTestServer> {
  const rootDir = await makeScratchDir();
  const http = createServer();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  return new TestServer(http, `http://127.0.0.1:${String(port)}`, rootDir);
}
