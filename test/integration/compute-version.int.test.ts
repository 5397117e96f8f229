import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createGitHubClient, GitHubRepository } from '../../packages/github/index.js';
import { recordingLogger, silentLogger, type Logger } from '../../packages/kit/index.js';
import { computeVersion, type ComputeVersionRequest } from '../../packages/release/index.js';
import { VersionFormat } from '../../packages/version/index.js';
import {
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';

let server: GitHubTestServer;
let clientCount = 0;

beforeAll(async () => {
  server = await startGitHubServer();
});

afterAll(async () => {
  await server.close();
});

let repoCount = 0;
async function newRepo(): Promise<TestRepo> {
  repoCount += 1;
  return server.createRepo(`octo-org/cms-${String(repoCount)}`);
}

/** One simulated workflow run: its own client, as each run is its own process on a runner. */
function repositoryFor(repo: TestRepo, logger: Logger = silentLogger): GitHubRepository {
  clientCount += 1;
  const client = createGitHubClient({
    token: 'ghs_test',
    baseUrl: server.url,
    logger,
    throttleId: `run-${String(clientCount)}`,
  });
  return new GitHubRepository(client, { owner: repo.owner, repo: repo.name });
}

const defaultFormat = VersionFormat.parse('v0.0.{n}');

function request(
  repo: TestRepo,
  sha: string,
  overrides: Partial<ComputeVersionRequest> = {},
): ComputeVersionRequest {
  return {
    repository: repositoryFor(repo, overrides.logger),
    sha,
    format: defaultFormat,
    startAt: 1,
    reserve: true,
    skipIfReleased: true,
    requireChecks: [],
    logger: silentLogger,
    sleep: () => Promise.resolve(),
    ...overrides,
  };
}

/** What git itself says the tag points at: the reservation is a real ref. */
function gitTagTarget(repo: TestRepo, tag: string): string {
  return execFileSync('git', ['--git-dir', repo.gitDir, 'rev-parse', `refs/tags/${tag}^{commit}`], {
    encoding: 'utf8',
  }).trim();
}

describe('computeVersion against the GitHub test server', () => {
  it('starts at v0.0.1 and reserves the tag as a real git ref', async () => {
    const repo = await newRepo();
    const sha = await repo.head();
    const result = await computeVersion(request(repo, sha.slice(0, 7)));
    expect(result).toMatchObject({
      version: 'v0.0.1',
      number: 1,
      hotfix: 0,
      gitTag: 'v0.0.1',
      previousVersion: undefined,
      sha,
      reservation: 'created',
      skipped: false,
      attempts: 1,
    });
    expect(gitTagTarget(repo, 'v0.0.1')).toBe(sha);
  });

  it('orders numerically across junk tags: v0.0.999 -> v0.0.1000', async () => {
    const repo = await newRepo();
    const old = await repo.head();
    await repo.createTags(['v0.0.998', 'v0.0.999', 'v0.0.99', 'latest', 'v0.0.07', 'v0.0.x'], old);
    const sha = await repo.commit('feature', { 'a.txt': 'a' });
    const result = await computeVersion(request(repo, sha));
    expect(result.version).toBe('v0.0.1000');
    expect(result.previousVersion).toBe('v0.0.999');
    expect(gitTagTarget(repo, 'v0.0.1000')).toBe(sha);
  });

  it('ignores planted tags with numbers above 999999999, warning, and releases max real + 1', async () => {
    const repo = await newRepo();
    const base = await repo.head();
    // Anyone who can push a tag can plant these; N + 1 of the first is not an exact number.
    const junk = ['v0.0.9007199254740991', 'v0.0.1000000000', 'v0.0.41-9007199254740991'];
    await repo.createTags(['v0.0.41', 'v0.0.42', ...junk], base);
    const warning = (tag: string): string =>
      `ignoring tag ${tag} in ${repo.owner}/${repo.name}: release and hotfix numbers above 999999999 are not releases this suite writes; delete the tag if it was pushed by mistake`;

    const fix = await repo.commit('fix', { 'fix.txt': '1' }, { branch: 'hotfix' });
    const hotfixLog = recordingLogger();
    const hotfix = await computeVersion(
      request(repo, fix, { hotfixOf: 'v0.0.41', logger: hotfixLog }),
    );
    expect(hotfix).toMatchObject({ version: 'v0.0.41-1', reservation: 'created' });

    const sha = await repo.commit('feature', { 'a.txt': 'a' });
    const logger = recordingLogger();
    const result = await computeVersion(request(repo, sha, { logger }));
    expect(result).toMatchObject({
      version: 'v0.0.43',
      previousVersion: 'v0.0.42',
      reservation: 'created',
    });
    expect(gitTagTarget(repo, 'v0.0.43')).toBe(sha);
    for (const log of [hotfixLog, logger]) {
      expect(
        log.records.filter((record) => record.level === 'warning').map((record) => record.message),
      ).toEqual(expect.arrayContaining(junk.map(warning)));
    }
  });

  it('reuses the tag of an unfinished run, and skips once the release is published', async () => {
    const repo = await newRepo();
    const sha = await repo.head();
    const first = await computeVersion(request(repo, sha));
    const again = await computeVersion(request(repo, sha));
    expect(again).toMatchObject({ version: first.version, reservation: 'reused', skipped: false });

    repo.createRelease(first.gitTag, { draft: true });
    const draft = await computeVersion(request(repo, sha));
    expect(draft).toMatchObject({ reservation: 'reused', skipped: false });

    const published = await newRepo();
    const publishedSha = await published.head();
    const reserved = await computeVersion(request(published, publishedSha));
    published.createRelease(reserved.gitTag);
    const scheduled = await computeVersion(request(published, publishedSha));
    expect(scheduled).toMatchObject({
      version: 'v0.0.1',
      reservation: 'released',
      skipped: true,
      skipReason: `commit ${publishedSha.slice(0, 7)} was already released as v0.0.1`,
    });
    const manual = await computeVersion(
      request(published, publishedSha, { skipIfReleased: false }),
    );
    expect(manual).toMatchObject({ version: 'v0.0.1', reservation: 'released', skipped: false });
    expect([...(await published.tags()).keys()]).toEqual(['v0.0.1']);
  });

  it('gives 20 concurrent runs 20 distinct consecutive tags', async () => {
    const repo = await newRepo();
    const base = await repo.head();
    await repo.createTags(['v0.0.41'], base);
    const shas: string[] = [];
    for (let index = 0; index < 20; index++) {
      // Sibling branches: every commit is ahead of the base and none is behind another's release;
      // each has diverged from the others' releases, allowed here (the race is what is tested).
      shas.push(
        await repo.commit(
          `change ${String(index)}`,
          { [`f${String(index)}`]: 'x' },
          { branch: `b${String(index)}` },
        ),
      );
    }
    const results = await Promise.all(
      shas.map((sha) =>
        computeVersion(request(repo, sha, { sleep: undefined, divergedReason: 'race test' })),
      ),
    );
    const numbers = results.map((result) => result.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, index) => 42 + index));
    for (const result of results) {
      expect(result.reservation).toBe('created');
      expect(gitTagTarget(repo, result.gitTag)).toBe(result.sha);
    }
    expect(results.some((result) => result.attempts > 1)).toBe(true);
    expect((await repo.tags()).size).toBe(21);
  }, 60_000);

  it('gives concurrent runs for one commit one tag', async () => {
    const repo = await newRepo();
    const sha = await repo.head();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => computeVersion(request(repo, sha, { sleep: undefined }))),
    );
    expect(new Set(results.map((result) => result.version))).toEqual(new Set(['v0.0.1']));
    expect(results.filter((result) => result.reservation === 'created')).toHaveLength(1);
    expect((await repo.tags()).size).toBe(1);
  }, 30_000);

  it('refuses or skips a normal release of a commit behind the newest release', async () => {
    const repo = await newRepo();
    const older = await repo.head();
    const newer = await repo.commit('newer', { 'b.txt': 'b' });
    await computeVersion(request(repo, newer));
    const skipped = await computeVersion(request(repo, older));
    expect(skipped).toMatchObject({
      skipped: true,
      version: 'v0.0.1',
      skipReason: `commit ${older.slice(0, 7)} is already part of release v0.0.1`,
    });
    await expect(computeVersion(request(repo, older, { skipIfReleased: false }))).rejects.toThrow(
      /is behind release v0\.0\.1 \(1 commits\): releasing it as v0\.0\.2 would deploy older code/,
    );
    expect([...(await repo.tags()).keys()]).toEqual(['v0.0.1']);
  });

  it('refuses a commit that has diverged from the newest release unless a reason is given', async () => {
    const repo = await newRepo();
    // 'side' branches off before the released commit, so each has a commit the other lacks.
    const other = await repo.commit('elsewhere', { 'b.txt': '2' }, { branch: 'side' });
    const released = await repo.commit('on main', { 'a.txt': '1' });
    await computeVersion(request(repo, released));
    // What an attacker with a branch would try first: a manual release of an old fork, scheduled or not.
    for (const skipIfReleased of [true, false]) {
      await expect(computeVersion(request(repo, other, { skipIfReleased }))).rejects.toThrow(
        `commit ${other.slice(0, 7)} has diverged from release v0.0.1: 1 commit of release v0.0.1 are missing from it, so releasing it as v0.0.2 would take them out of production`,
      );
    }
    expect([...(await repo.tags()).keys()]).toEqual(['v0.0.1']);

    const logger = recordingLogger();
    const reason = 'the side branch is the new mainline';
    const result = await computeVersion(request(repo, other, { logger, divergedReason: reason }));
    expect(result).toMatchObject({ version: 'v0.0.2', diverged: { from: 'v0.0.1', missing: 1 } });
    expect(
      logger.records.some(
        (record) =>
          record.level === 'warning' && record.message.includes(`reason given: ${reason}`),
      ),
    ).toBe(true);
  });

  it('takes a hotfix only from a commit that contains the release it fixes', async () => {
    const repo = await newRepo();
    const base = await repo.head();
    const fixed = await repo.commit('release 5', { 'a.txt': '5' });
    await repo.createTags(['v0.0.5'], fixed);
    const newer = await repo.commit('release 6', { 'a.txt': '6' });
    await repo.createTags(['v0.0.6'], newer);
    // Built from a commit before v0.0.5: "hotfix" of v0.0.5 that would ship older code.
    const stale = await repo.commit(
      'not on the release',
      { 'fix.txt': '1' },
      { branch: 'stale', from: base },
    );
    await expect(computeVersion(request(repo, stale, { hotfixOf: 'v0.0.5' }))).rejects.toThrow(
      `commit ${stale.slice(0, 7)} does not contain release v0.0.5 (commit ${fixed.slice(0, 7)}, 1 of its commits missing): a hotfix must be that release plus the fix; branch from its tag v0.0.5`,
    );
    // v0.0.6 contains v0.0.5, but is not a fix of it: still refused as a hotfix (it is another release).
    const fix1 = await repo.commit('fix 1', { 'fix.txt': '1' }, { branch: 'hotfix', from: fixed });
    const first = await computeVersion(request(repo, fix1, { hotfixOf: 'v0.0.5' }));
    expect(first.version).toBe('v0.0.5-1');
    // A second fix made beside the first (from v0.0.5, not from v0.0.5-1) would drop the first fix.
    const beside = await repo.commit(
      'fix 2',
      { 'fix2.txt': '2' },
      { branch: 'beside', from: fixed },
    );
    await expect(computeVersion(request(repo, beside, { hotfixOf: 'v0.0.5' }))).rejects.toThrow(
      /does not contain release v0\.0\.5-1/,
    );
    expect([...(await repo.tags()).keys()].sort()).toEqual(['v0.0.5', 'v0.0.5-1', 'v0.0.6']);
  });

  it('makes hotfixes on top of an existing release', async () => {
    const repo = await newRepo();
    const base = await repo.head();
    await repo.createTags(['v0.0.417', 'v0.0.418'], base);
    const fix1 = await repo.commit('fix 1', { 'fix.txt': '1' }, { branch: 'hotfix' });
    const first = await computeVersion(request(repo, fix1, { hotfixOf: 'v0.0.417' }));
    expect(first).toMatchObject({ version: 'v0.0.417-1', hotfix: 1, previousVersion: 'v0.0.417' });
    const fix2 = await repo.commit('fix 2', { 'fix.txt': '2' }, { branch: 'hotfix' });
    const second = await computeVersion(request(repo, fix2, { hotfixOf: 'v0.0.417' }));
    expect(second).toMatchObject({ version: 'v0.0.417-2', previousVersion: 'v0.0.417-1' });
    // The next normal release still counts the hotfixes as their base.
    const main = await repo.commit('main', { 'm.txt': 'm' });
    expect((await computeVersion(request(repo, main, { reserve: false }))).version).toBe(
      'v0.0.419',
    );

    await expect(computeVersion(request(repo, fix2, { hotfixOf: 'v0.0.500' }))).rejects.toThrow(
      'release v0.0.500 does not exist, so it cannot be hotfixed',
    );
    await expect(computeVersion(request(repo, base, { hotfixOf: 'v0.0.417' }))).rejects.toThrow(
      /is already release v0\.0\.418: a hotfix needs a commit that carries the fix/,
    );
    await expect(computeVersion(request(repo, fix2, { hotfixOf: 'latest' }))).rejects.toThrow(
      /input 'hotfix-of': "latest" does not match the format v0\.0\.\{n\}/,
    );
  });

  it('reads git tags through a prefix the image tags do not carry', async () => {
    const repo = await newRepo();
    const base = await repo.head();
    await repo.createTags(['cms/v0.0.7', 'api/v0.0.50', 'v0.0.60'], base);
    const sha = await repo.commit('cms change', { 'cms.txt': 'x' });
    const result = await computeVersion(
      request(repo, sha, { format: VersionFormat.parse('v0.0.{n}', 'cms/') }),
    );
    expect(result).toMatchObject({
      version: 'v0.0.8',
      gitTag: 'cms/v0.0.8',
      previousVersion: 'v0.0.7',
    });
    expect(gitTagTarget(repo, 'cms/v0.0.8')).toBe(sha);
  });

  it('recognises an annotated release tag on the commit', async () => {
    const repo = await newRepo();
    const sha = await repo.head();
    await repo.createTag('v0.0.3', sha, { annotated: true, message: 'release 3' });
    const result = await computeVersion(request(repo, sha));
    expect(result).toMatchObject({ version: 'v0.0.3', reservation: 'reused' });
  });

  it('does not create a tag with reserve: false', async () => {
    const repo = await newRepo();
    const result = await computeVersion(request(repo, await repo.head(), { reserve: false }));
    expect(result).toMatchObject({ version: 'v0.0.1', reservation: 'not-reserved' });
    expect((await repo.tags()).size).toBe(0);
  });

  it('stops on required checks that are missing, pending or failed, naming them', async () => {
    const repo = await newRepo();
    const sha = await repo.head();
    repo.addCheckRun(sha, { name: 'build', status: 'completed', conclusion: 'success' });
    repo.addCheckRun(sha, { name: 'lint', status: 'completed', conclusion: 'skipped' });
    repo.addCheckRun(sha, { name: 'e2e', status: 'in_progress', conclusion: null });
    repo.addCheckRun(sha, { name: 'unit', status: 'completed', conclusion: 'failure' });
    repo.addStatus(sha, { context: 'ci/legacy', state: 'success' });
    repo.addStatus(sha, { context: 'ci/broken', state: 'failure' });

    const passing = await computeVersion(
      request(repo, sha, { requireChecks: ['build', 'lint', 'ci/legacy'], reserve: false }),
    );
    expect(passing.version).toBe('v0.0.1');
    await expect(
      computeVersion(request(repo, sha, { requireChecks: ['build', 'deploy-preview'] })),
    ).rejects.toThrow(
      `required check 'deploy-preview' (not reported) did not succeed on commit ${sha.slice(0, 7)}`,
    );
    await expect(
      computeVersion(request(repo, sha, { requireChecks: ['e2e', 'unit', 'ci/broken'] })),
    ).rejects.toThrow(
      "required checks 'e2e' (status in_progress), 'unit' (conclusion failure), 'ci/broken' (status failure) did not succeed",
    );
    expect((await repo.tags()).size).toBe(0);
  });

  it('names the input for a commit or repository that does not exist', async () => {
    const repo = await newRepo();
    await expect(computeVersion(request(repo, 'deadbeef'))).rejects.toThrow(
      `input 'sha': commit deadbeef was not found in ${repo.owner}/${repo.name}`,
    );
    const missing = new GitHubRepository(
      createGitHubClient({ token: 't', baseUrl: server.url, logger: silentLogger }),
      { owner: 'octo-org', repo: 'does-not-exist' },
    );
    await expect(
      computeVersion({ ...request(repo, 'deadbeef'), repository: missing }),
    ).rejects.toThrow(
      'repository octo-org/does-not-exist was not found, or the token cannot read it',
    );
  });

  it('survives a server error and honours a secondary rate limit', async () => {
    const repo = await newRepo();
    const sha = await repo.head();
    server.faults.add({ route: 'git/matching-refs', kind: 'server-error', status: 502, times: 1 });
    server.faults.add({
      route: /^POST .*\/git\/refs$/,
      kind: 'secondary-rate-limit',
      retryAfterSeconds: 1,
    });
    const logger = recordingLogger();
    const started = Date.now();
    const result = await computeVersion(request(repo, sha, { logger }));
    expect(result).toMatchObject({ version: 'v0.0.1', reservation: 'created' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(logger.records.some((record) => record.message.includes('secondary rate limit'))).toBe(
      true,
    );
    const statuses = server.requests
      .filter((entry) => entry.path.includes(`/${repo.name}/git/`))
      .map((entry) => `${entry.method} ${String(entry.status)}`);
    expect(statuses).toEqual(expect.arrayContaining(['GET 502', 'POST 403', 'POST 201']));
  }, 30_000);

  it('lists 10,000 tags in pages of 100, with no call per tag', async () => {
    const repo = await newRepo();
    const base = await repo.head();
    await repo.createTags(
      Array.from({ length: 10_000 }, (_, index) => `v0.0.${String(index + 1)}`),
      base,
    );
    const sha = await repo.commit('next', { 'n.txt': 'n' });
    const before = server.requests.length;
    const result = await computeVersion(request(repo, sha));
    expect(result).toMatchObject({ version: 'v0.0.10001', previousVersion: 'v0.0.10000' });
    const calls = server.requests.slice(before);
    expect(calls.filter((entry) => entry.path.includes('/git/matching-refs/'))).toHaveLength(100);
    expect(calls.length).toBeLessThan(110);
  }, 60_000);
});
