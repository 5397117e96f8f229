import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGitHubClient,
  GitHubRepository,
  GitProtocolUnavailable,
  listTagsOverGit,
  tagListerFor,
  type GitTagSource,
  type TagRef,
} from '../../packages/github/index.js';
import { recordingLogger, silentLogger } from '../../packages/kit/index.js';
import { computeVersion } from '../../packages/release/index.js';
import { VersionFormat } from '../../packages/version/index.js';
import {
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';
import { findLeaks } from '../support/secret-scan.js';

// The smart-HTTP answers are git http-backend's own bytes, read by the suite's ls-refs client.
const TOKEN = 'ghs_git_protocol_secret';
const format = VersionFormat.parse('v0.0.{n}', 'cms/');
let server: GitHubTestServer;
let big: TestRepo;
let annotatedCommit: string;

beforeAll(async () => {
  server = await startGitHubServer();
  big = await server.createRepo('octo-org/cms-big');
  const first = await big.head();
  // 10,000 release tags in one update-ref transaction, and what must stay out of the listing.
  await big.createTags(
    Array.from({ length: 10_000 }, (_, index) => `cms/v0.0.${String(index + 1)}`),
    first,
  );
  await big.createTags(['cms/latest', 'other/v0.0.20000', 'v0.0.20000', 'cms/v0.0.x'], first);
  annotatedCommit = await big.commit('annotated release', { 'a.txt': 'a' });
  await big.createTag('cms/v0.0.10001', annotatedCommit, { annotated: true });
}, 120_000);

afterAll(async () => {
  await server.close();
});

const remoteOf = (repo: TestRepo): string => `${server.url}/${repo.owner}/${repo.name}.git`;
const source = (overrides: Partial<GitTagSource> = {}): GitTagSource => ({
  serverUrl: server.url,
  apiUrl: server.url,
  token: TOKEN,
  ...overrides,
});

function repositoryOf(repo: TestRepo, token = TOKEN): GitHubRepository {
  const client = createGitHubClient({ token, baseUrl: server.url, logger: silentLogger });
  return new GitHubRepository(client, { owner: repo.owner, repo: repo.name });
}

/** Requests the server received while `work` ran. */
async function requestsDuring(work: () => Promise<unknown>) {
  const start = server.requests.length;
  await work();
  return server.requests.slice(start);
}

const byName = (tags: TagRef[]) => [...tags].sort((a, b) => a.name.localeCompare(b.name));

describe('release tags over git protocol v2 (smart HTTP of the GitHub test server)', () => {
  it('lists 10,000 tags in two requests, prefix-filtered and peeled, equal to the API listing', async () => {
    let tags: TagRef[] = [];
    const requests = await requestsDuring(async () => {
      tags = await listTagsOverGit(remoteOf(big), format.gitTagListPrefix, source());
    });
    expect(
      requests.map((request) => `${request.method} ${request.path} ${String(request.status)}`),
    ).toEqual([
      `GET /octo-org/cms-big.git/info/refs 200`,
      `POST /octo-org/cms-big.git/git-upload-pack 200`,
    ]);
    // The token arrived in the Basic header git sends, and only there.
    expect(requests.map((request) => request.token)).toEqual([TOKEN, TOKEN]);

    const repository = repositoryOf(big);
    const api = await repository.listTags(format.gitTagListPrefix);
    expect(api).toHaveLength(10_002);
    expect(
      byName(tags).map(({ name, objectSha, objectType }) => ({ name, objectSha, objectType })),
    ).toEqual(byName(api));
    expect(tags.map((tag) => tag.name)).not.toContain('cms/latest');
    const annotated = tags.find((tag) => tag.name === 'cms/v0.0.10001');
    expect(annotated).toMatchObject({ objectType: 'tag', peeledSha: annotatedCommit });
    expect(await repository.peelTag(annotated?.objectSha ?? '')).toBe(annotatedCommit);
  }, 60_000);

  it('gives computeVersion the same answer as the API, without peeling through the API', async () => {
    const repo = await server.createRepo('octo-org/cms-annotated');
    const commits: string[] = [];
    for (const n of [1, 2, 3]) {
      commits.push(await repo.commit(`release ${String(n)}`, { 'r.txt': String(n) }));
      await repo.createTag(`cms/v0.0.${String(n)}`, commits.at(-1) ?? '', { annotated: true });
    }
    await repo.createTags(['cms/v0.0.3-1', 'cms/latest'], commits[2] ?? '');
    const next = await repo.commit('next', { 'n.txt': 'n' });
    const run = (tags: 'git' | 'api', sha: string) =>
      computeVersion({
        repository: repositoryOf(repo),
        sha,
        format,
        startAt: 1,
        reserve: false,
        skipIfReleased: true,
        requireChecks: [],
        logger: silentLogger,
        ...(tags === 'git'
          ? { tags: tagListerFor(repositoryOf(repo), source(), silentLogger) }
          : {}),
      });
    const results: unknown[] = [];
    for (const sha of [next, commits[2] ?? '']) {
      let throughGit: unknown;
      const gitRequests = await requestsDuring(async () => {
        throughGit = await run('git', sha);
      });
      expect(throughGit).toEqual(await run('api', sha));
      expect(gitRequests.filter((request) => request.path.includes('/git/'))).toEqual([]);
      results.push(throughGit);
    }
    expect(results).toMatchObject([
      { version: 'v0.0.4', previousVersion: 'v0.0.3-1' },
      { version: 'v0.0.3-1', reservation: 'reused' },
    ]);
  }, 60_000);

  it('wants the token: 401 without one, and a revoked token is refused', async () => {
    const repo = await server.createRepo('octo-org/cms-auth');
    const anonymous = await fetch(`${remoteOf(repo)}/info/refs?service=git-upload-pack`, {
      headers: { 'git-protocol': 'version=2' },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');

    server.revokeToken('ghs_revoked');
    const refused = listTagsOverGit(remoteOf(repo), 'v0.0.', source({ token: 'ghs_revoked' }));
    await expect(refused).rejects.toBeInstanceOf(GitProtocolUnavailable);
    await expect(refused).rejects.toMatchObject({ status: 401 });
    const error = await refused.then(
      () => '',
      (caught: unknown) => String(caught),
    );
    expect(findLeaks([{ name: 'token', value: 'ghs_revoked' }], 'error', error)).toEqual([]);
  });

  it('falls back to the API once, saying why, when the server answers 404 for smart HTTP', async () => {
    const repo = await server.createRepo('octo-org/cms-no-git');
    await repo.createTags(['v0.0.3', 'v0.0.4'], await repo.head());
    server.faults.add({
      route: /\/cms-no-git\.git\/info\/refs$/,
      kind: 'server-error',
      status: 404,
    });
    const logger = recordingLogger();
    const lister = tagListerFor(repositoryOf(repo), source(), logger);
    const requests = await requestsDuring(async () => {
      expect((await lister.listTags('v0.0.')).map((tag) => tag.name).sort()).toEqual([
        'v0.0.3',
        'v0.0.4',
      ]);
      // Chosen once: the second listing (a lost reservation race) goes straight to the API.
      await lister.listTags('v0.0.');
    });
    expect(lister.source()).toBe('api');
    expect(requests.filter((request) => request.path.endsWith('.git/info/refs'))).toHaveLength(1);
    expect(logger.records).toContainEqual({
      level: 'info',
      message: `listing tags through the GitHub API: ${remoteOf(repo)} answered 404`,
    });
    const log = logger.records.map((record) => record.message).join('\n');
    expect(findLeaks([{ name: 'token', value: TOKEN }], 'log', log)).toEqual([]);
  });

  it('falls back when the git endpoint cannot be reached, and never sends the token to another host', async () => {
    const repo = await server.createRepo('octo-org/cms-offline');
    await repo.createTags(['v0.0.8'], await repo.head());
    const logger = recordingLogger();
    const unreachable = tagListerFor(
      repositoryOf(repo),
      source({
        fetch: () =>
          Promise.reject(new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') })),
      }),
      logger,
    );
    expect((await unreachable.listTags('v0.0.')).map((tag) => tag.name)).toEqual(['v0.0.8']);
    expect(logger.records.at(-1)?.message).toBe(
      `listing tags through the GitHub API: ${remoteOf(repo)} did not answer (fetch failed: ECONNREFUSED)`,
    );

    // A runner whose server is not the API's host (here github.com with a local API): the API only.
    const fetched: string[] = [];
    const elsewhere = tagListerFor(
      repositoryOf(repo),
      source({
        serverUrl: 'https://github.com',
        fetch: (input) => {
          fetched.push(input instanceof URL ? input.href : JSON.stringify(input));
          return Promise.reject(new Error('must not be called'));
        },
      }),
      logger,
    );
    expect(elsewhere.source()).toBe('api');
    expect((await elsewhere.listTags('v0.0.')).map((tag) => tag.name)).toEqual(['v0.0.8']);
    expect(fetched).toEqual([]);
    expect(logger.records.at(-1)?.message).toBe(
      `listing tags through the GitHub API: GITHUB_SERVER_URL https://github.com is not the server of GITHUB_API_URL ${server.url}`,
    );
  });

  it('does not follow a redirect with the token', async () => {
    // Where a redirect would lead: it records whatever reaches it.
    const reached: (string | undefined)[] = [];
    const elsewhere = createServer((request, response) => {
      reached.push(request.headers.authorization);
      response.end();
    });
    const redirecting = createServer((_request, response) => {
      const { port } = elsewhere.address() as AddressInfo;
      response.writeHead(302, { location: `http://127.0.0.1:${String(port)}/x.git/info/refs` });
      response.end();
    });
    const listen = (http: typeof elsewhere) =>
      new Promise<number>((resolve) => {
        http.listen(0, '127.0.0.1', () => {
          resolve((http.address() as AddressInfo).port);
        });
      });
    await listen(elsewhere);
    const port = await listen(redirecting);
    try {
      await expect(
        listTagsOverGit(`http://127.0.0.1:${String(port)}/octo-org/cms.git`, 'v0.0.', source()),
      ).rejects.toBeInstanceOf(GitProtocolUnavailable);
      expect(reached).toEqual([]);
    } finally {
      redirecting.close();
      elsewhere.close();
    }
  });
});
