/**
 * open-manifest-pr's GitHub side against the GitHub test server, through the real client from
 * packages/github/client.ts (Octokit + retry + throttling, unchanged).
 *
 * Timing, honestly: the throttling plugin spaces one client's writes 1 s apart (3 s for those
 * that notify people: pull requests, review requests, comments). Each simulated workflow run gets
 * its own client, throttle id and token, exactly as each real run is its own process; no run
 * splits its steps over several ids. The independent scenarios run concurrently (`it.concurrent`),
 * each in its own repository, which is where the time goes down: the waits inside a run are real.
 * The run's token also tells its calls apart in the server's request log.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  commitAndOpenPullRequest,
  commitEditsToBranch,
  commitFiles,
  createGitHubClient,
  GitHubApiError,
  GitHubRepository,
  readFile,
  releaseNotes,
  upsertPullRequest,
  type ChangePullRequestRequest,
} from '../../packages/github/index.js';
import { failureLine, recordingLogger, type Logger } from '../../packages/kit/index.js';
import {
  describeCalls,
  manifestFor,
  measureReleaseCalls,
  startGitHubServer,
  type GitHubTestServer,
  type RecordedRequest,
  type TestRepo,
} from '../support/github-server.js';

const MANIFEST = 'apps/vsp-cms/values.yaml';
const OTHER_MANIFEST = 'apps/web/values.yaml';

let server: GitHubTestServer;

beforeAll(async () => {
  server = await startGitHubServer();
});

afterAll(async () => {
  await server.close();
});

function git(repo: TestRepo, ...args: string[]): string {
  return execFileSync('git', [`--git-dir=${repo.gitDir}`, ...args], { encoding: 'utf8' }).trim();
}

function branches(repo: TestRepo): string[] {
  return git(repo, 'for-each-ref', '--format=%(refname:lstrip=2)', 'refs/heads')
    .split('\n')
    .filter((name) => name !== '');
}

let repoCount = 0;

/** A manifests repository as the first user has it: vsp-cms at v0.0.417, reviewed by a team. */
async function manifestsRepo(): Promise<TestRepo> {
  repoCount += 1;
  const repo = await server.createRepo(`va-org/manifests-${String(repoCount)}`);
  await repo.commit('chore: manifests', {
    [MANIFEST]: manifestFor('v0.0.417'),
    [OTHER_MANIFEST]: 'image: web:v1.0.0\n',
  });
  repo.addCollaborator('cms-lead');
  repo.addTeam('cms-infrastructure');
  return repo;
}

let runCount = 0;

interface SimulatedRun {
  repository: GitHubRepository;
  token: string;
  /** What this run asked the server, in order. */
  requests(): RecordedRequest[];
}

/** One workflow run: its own token, client and throttle id. */
function newRun(repo: TestRepo, logger: Logger, token?: string): SimulatedRun {
  runCount += 1;
  const runToken = token ?? `ghs_pr_run_${String(runCount)}`;
  const client = createGitHubClient({
    token: runToken,
    baseUrl: server.url,
    logger,
    throttleId: `github-pr-${String(runCount)}`,
  });
  return {
    repository: new GitHubRepository(client, { owner: repo.owner, repo: repo.name }),
    token: runToken,
    requests: () => server.requests.filter((request) => request.token === runToken),
  };
}

function releaseRequest(
  version: string,
  overrides: Partial<ChangePullRequestRequest> = {},
): ChangePullRequestRequest {
  return {
    branch: 'release/vsp-cms',
    base: 'main',
    files: [{ path: MANIFEST, content: manifestFor(version) }],
    message: `chore(vsp-cms): release ${version}`,
    title: `Release vsp-cms ${version}`,
    body: `Deploys vsp-cms ${version}.`,
    labels: ['release', 'vsp-cms'],
    teamReviewers: ['cms-infrastructure'],
    ...overrides,
  };
}

describe('open-manifest-pr against the GitHub test server', () => {
  it.concurrent(
    'creates the release pull request, leaves it alone on a re-run, and moves it to a new version, superseding older ones',
    async () => {
      const repo = await manifestsRepo();
      const baseHead = await repo.head();
      const supersede = { label: 'release', branchPrefix: 'release/vsp-cms' };

      // 1. created
      const first = newRun(repo, recordingLogger());
      const created = await commitAndOpenPullRequest(
        first.repository,
        releaseRequest('v0.0.418', { autoMerge: 'squash', supersede }),
      );
      expect(created.commit).toMatchObject({ operation: 'created', changed: true });
      expect(created.pullRequest).toMatchObject({ operation: 'created', draft: false });
      expect(created.autoMergeEnabled).toBe(true);
      expect(git(repo, 'rev-parse', 'release/vsp-cms')).toBe(created.commit.commitSha);
      expect(git(repo, 'log', '--format=%P|%an|%s', '-1', 'release/vsp-cms')).toBe(
        `${baseHead}|github-actions[bot]|chore(vsp-cms): release v0.0.418`,
      );
      expect(git(repo, 'show', `release/vsp-cms:${MANIFEST}`)).toContain('vsp-cms:v0.0.418 #');
      expect(git(repo, 'diff', '--name-only', 'main', 'release/vsp-cms')).toBe(MANIFEST);
      const [pull] = await repo.pulls();
      expect(pull).toMatchObject({
        number: created.pullRequest?.number,
        state: 'open',
        draft: false,
        head: 'release/vsp-cms',
        labels: ['release', 'vsp-cms'],
        requestedTeams: ['cms-infrastructure'],
        autoMerge: { mergeMethod: 'squash' },
      });
      expect(
        first.requests().map((request) => `${request.method} ${String(request.status)}`),
      ).toEqual([
        'GET 422', // branch tip: no branch yet
        'GET 200', // base tip
        'POST 201', // tree
        'POST 201', // commit
        'POST 201', // ref
        'POST 201', // pull request
        'POST 200', // labels
        'POST 201', // team review
        'POST 200', // GraphQL auto-merge
        'GET 200', // open pull requests, for superseding
      ]);

      // 2. re-run, nothing new: reads only, no commit
      const commitsBefore = git(repo, 'rev-list', '--count', '--all');
      const rerun = newRun(repo, recordingLogger());
      const unchanged = await commitAndOpenPullRequest(
        rerun.repository,
        releaseRequest('v0.0.418', { autoMerge: 'squash', supersede }),
      );
      expect(unchanged.commit).toMatchObject({ operation: 'unchanged', changed: false });
      expect(unchanged.pullRequest).toMatchObject({
        operation: 'unchanged',
        number: created.pullRequest?.number,
      });
      expect(git(repo, 'rev-list', '--count', '--all')).toBe(commitsBefore);
      expect(rerun.requests().every((request) => request.method === 'GET')).toBe(true);
      expect(rerun.requests()).toHaveLength(4);

      // Meanwhile a hotfix run opened its own release pull request, and others exist.
      await repo.commit(
        'fix: hotfix',
        { [MANIFEST]: manifestFor('v0.0.417-1') },
        {
          branch: 'release/vsp-cms-hotfix-v0.0.417-1',
        },
      );
      const hotfix = await repo.openPullRequest({
        head: 'release/vsp-cms-hotfix-v0.0.417-1',
        title: 'Hotfix vsp-cms v0.0.417-1',
        labels: ['release'],
      });
      await repo.commit(
        'web',
        { [OTHER_MANIFEST]: 'image: web:v1.0.1\n' },
        { branch: 'release/web' },
      );
      const otherApp = await repo.openPullRequest({
        head: 'release/web',
        title: 'web',
        labels: ['release'],
      });
      await repo.commit('notes', { 'NOTES.md': 'x\n' }, { branch: 'release/vsp-cms-notes' });
      const unlabelled = await repo.openPullRequest({
        head: 'release/vsp-cms-notes',
        title: 'notes',
      });

      // 3. a new version: the same branch and pull request move on; the hotfix one is closed
      const next = newRun(repo, recordingLogger());
      const updated = await commitAndOpenPullRequest(
        next.repository,
        releaseRequest('v0.0.419', { autoMerge: 'squash', supersede }),
      );
      expect(updated.commit).toMatchObject({ operation: 'updated', changed: true });
      expect(updated.pullRequest).toMatchObject({
        operation: 'updated',
        number: created.pullRequest?.number,
      });
      expect(updated.superseded).toEqual([hotfix.number]);
      expect(git(repo, 'log', '--format=%s', 'main..release/vsp-cms')).toBe(
        'chore(vsp-cms): release v0.0.419\nchore(vsp-cms): release v0.0.418',
      );
      expect(git(repo, 'show', `release/vsp-cms:${MANIFEST}`)).toBe(manifestFor('v0.0.419').trim());
      const pulls = new Map((await repo.pulls()).map((state) => [state.number, state]));
      expect(pulls.get(created.pullRequest?.number ?? 0)).toMatchObject({
        state: 'open',
        title: 'Release vsp-cms v0.0.419',
        body: 'Deploys vsp-cms v0.0.419.',
        headSha: updated.commit.commitSha,
      });
      expect(pulls.get(hotfix.number)).toMatchObject({
        state: 'closed',
        comments: [`Superseded by #${String(created.pullRequest?.number)}.`],
      });
      expect(pulls.get(otherApp.number)?.state).toBe('open');
      expect(pulls.get(unlabelled.number)?.state).toBe('open');
      expect(branches(repo).sort()).toEqual([
        'main',
        'release/vsp-cms',
        'release/vsp-cms-notes',
        'release/web',
      ]);
    },
    60_000,
  );

  it.concurrent(
    'commits straight to the base branch and lands both changes when someone pushes in between',
    async () => {
      const repo = await manifestsRepo();
      const logger = recordingLogger();
      const run = newRun(repo, logger);
      const concurrent: string[] = [];
      // Someone scales the deployment between this run's read and its ref update.
      server.faults.add({
        route: `PATCH /repos/${repo.fullName}/git/refs/heads/main`,
        kind: 'before',
        before: async () => {
          concurrent.push(
            await repo.commit('chore: scale vsp-cms to 3', {
              [MANIFEST]: manifestFor('v0.0.417', 3),
            }),
          );
        },
      });

      const result = await commitEditsToBranch(run.repository, {
        branch: 'main',
        edits: [
          {
            path: MANIFEST,
            edit: (current) => (current ?? '').replace(':v0.0.417 ', ':v0.0.418 '),
          },
        ],
        message: 'chore(vsp-cms): release v0.0.418',
        logger,
      });

      expect(result).toMatchObject({ operation: 'updated', changed: true, attempts: 2 });
      expect(git(repo, 'log', '--format=%s', '-2', 'main')).toBe(
        'chore(vsp-cms): release v0.0.418\nchore: scale vsp-cms to 3',
      );
      expect(git(repo, 'rev-parse', 'main^')).toBe(concurrent[0]);
      expect(git(repo, 'show', `main:${MANIFEST}`)).toBe(manifestFor('v0.0.418', 3).trim());
      const refUpdates = run
        .requests()
        .filter((request) => request.method === 'PATCH')
        .map((request) => request.status);
      expect(refUpdates).toEqual([422, 200]);
      expect(logger.records).toContainEqual({
        level: 'info',
        message: expect.stringContaining(
          'main moved while committing (attempt 1 of 10)',
        ) as unknown,
      });
      const file = await readFile(run.repository, MANIFEST, 'main');
      expect(file?.content.toString('utf8')).toBe(manifestFor('v0.0.418', 3));

      // Absolute contents on the base branch are refused, not retried over the other change.
      const stale = newRun(repo, recordingLogger());
      server.faults.add({
        route: `PATCH /repos/${repo.fullName}/git/refs/heads/main`,
        kind: 'before',
        before: () => repo.commit('chore: another push', { 'other.txt': 'x\n' }),
      });
      await expect(
        commitFiles(stale.repository, {
          branch: 'main',
          files: [{ path: MANIFEST, content: manifestFor('v0.0.419') }],
          message: 'chore(vsp-cms): release v0.0.419',
        }),
      ).rejects.toThrow('moved while this commit was being made');
      expect(git(repo, 'show', `main:${MANIFEST}`)).toBe(manifestFor('v0.0.418', 3).trim());
    },
    30_000,
  );

  it.concurrent(
    'opens a draft pull request, requests the team and collaborators, and warns about a non-collaborator',
    async () => {
      const repo = await manifestsRepo();
      const logger = recordingLogger();
      const run = newRun(repo, logger);

      const result = await commitAndOpenPullRequest(
        run.repository,
        releaseRequest('v0.0.418', {
          draft: true,
          reviewers: ['ghost-user', 'cms-lead'],
          logger,
        }),
      );

      expect(result.pullRequest).toMatchObject({ operation: 'created', draft: true });
      expect(result.warnings).toEqual([
        expect.stringContaining(
          `could not request a review from ghost-user on pull request #${String(result.pullRequest?.number)} (${repo.fullName}): not a collaborator`,
        ) as unknown,
      ]);
      expect(logger.records.filter((record) => record.level === 'warning')).toHaveLength(1);
      expect(await repo.pulls()).toEqual([
        expect.objectContaining({
          state: 'open',
          draft: true,
          requestedReviewers: ['cms-lead'],
          requestedTeams: ['cms-infrastructure'],
          labels: ['release', 'vsp-cms'],
        }),
      ]);
    },
    30_000,
  );

  it.concurrent(
    'recovers from a 502 and a secondary rate limit in the middle of a release',
    async () => {
      const repo = await manifestsRepo();
      const logger = recordingLogger();
      const run = newRun(repo, logger);
      const prefix = `/repos/${repo.fullName}`;
      server.faults.add({ route: `POST ${prefix}/git/trees`, kind: 'server-error' });
      server.faults.add({
        route: new RegExp(`^POST ${prefix}/pulls$`),
        kind: 'secondary-rate-limit',
        retryAfterSeconds: 1,
      });

      const result = await commitAndOpenPullRequest(run.repository, releaseRequest('v0.0.418'));

      expect(result.pullRequest?.operation).toBe('created');
      const statuses = (path: string) =>
        run
          .requests()
          .filter((request) => request.path === `${prefix}${path}`)
          .map((request) => request.status);
      expect(statuses('/git/trees')).toEqual([502, 201]);
      expect(statuses('/pulls')).toEqual([403, 201]);
      expect(await repo.pulls()).toHaveLength(1);
      expect(logger.records).toContainEqual({
        level: 'warning',
        message: expect.stringContaining('GitHub secondary rate limit on POST') as unknown,
      });
    },
    30_000,
  );

  it.concurrent(
    'fails with clear lines (missing permission named, missing base or repository, refusal) and leaves no branch behind',
    async () => {
      const repo = await manifestsRepo();
      const readOnlyToken = `ghs_read_only_${repo.name}`;
      const noPullsToken = `ghs_no_pulls_${repo.name}`;
      repo.setTokenPermissions(readOnlyToken, { contents: 'read', pull_requests: 'write' });
      repo.setTokenPermissions(noPullsToken, { contents: 'write', pull_requests: 'read' });

      const readOnly = newRun(repo, recordingLogger(), readOnlyToken);
      const contentsFailure = await commitAndOpenPullRequest(
        readOnly.repository,
        releaseRequest('v0.0.418'),
      ).catch((error: unknown) => error);
      const noPullsLogger = recordingLogger();
      const noPulls = newRun(repo, noPullsLogger, noPullsToken);
      const pullsFailure = await commitAndOpenPullRequest(
        noPulls.repository,
        releaseRequest('v0.0.418', { logger: noPullsLogger }),
      ).catch((error: unknown) => error);

      expect(contentsFailure).toBeInstanceOf(GitHubApiError);
      expect(failureLine('open-manifest-pr', contentsFailure)).toBe(
        `open-manifest-pr failed: the token may not commit to release/vsp-cms (${repo.fullName}): it lacks the "contents: write" permission (GitHub said: Resource not accessible by integration); grant "contents: write" in the job's "permissions:" block, or use a token that has it`,
      );
      expect(pullsFailure).toBeInstanceOf(GitHubApiError);
      expect(String(pullsFailure)).toContain(
        `the token may not open a pull request from release/vsp-cms into main (${repo.fullName}): it lacks the "pull-requests: write" permission`,
      );
      expect(
        noPulls.requests().map((request) => `${request.method} ${String(request.status)}`),
      ).toEqual([
        'GET 422',
        'GET 200',
        'POST 201',
        'POST 201',
        'POST 201', // branch created ...
        'POST 403', // ... pull request refused ...
        'GET 200', // ... none opened after all ...
        'DELETE 204', // ... branch deleted again
      ]);
      expect(noPullsLogger.records).toContainEqual({
        level: 'info',
        message: 'deleted the branch release/vsp-cms again: its pull request could not be opened',
      });
      expect(branches(repo)).toEqual(['main']);
      expect(await repo.pulls()).toEqual([]);

      const missingBase = await commitAndOpenPullRequest(
        newRun(repo, recordingLogger()).repository,
        releaseRequest('v0.0.418', { base: 'production' }),
      ).catch((error: unknown) => error);
      expect(String(missingBase)).toContain(
        `branch production was not found (${repo.fullName}): check the base branch name`,
      );
      const elsewhere = newRun(repo, recordingLogger());
      const missingRepo = await commitAndOpenPullRequest(
        new GitHubRepository(elsewhere.repository.client, {
          owner: 'va-org',
          repo: 'no-such-repo',
        }),
        releaseRequest('v0.0.418'),
      ).catch((error: unknown) => error);
      expect(String(missingRepo)).toContain(
        'branch main was not found (va-org/no-such-repo): check the base branch name, and that the token can read the repository',
      );
      const refused = await upsertPullRequest(elsewhere.repository, {
        head: 'main',
        base: 'main',
        title: 'Nothing',
        body: '',
        headIsNew: true,
      }).catch((error: unknown) => error);
      expect(String(refused)).toBe(
        `GitHubApiError: GitHub refused to open a pull request from main into main (${repo.fullName}): Validation Failed: No commits between main and main`,
      );
    },
    30_000,
  );

  it.concurrent(
    'creates the release pull request for a one-file change in at most 8 API calls',
    async () => {
      const result = await measureReleaseCalls({ server });
      const direct = await measureReleaseCalls({ server, mode: 'direct' });

      expect(result.calls.length).toBeLessThanOrEqual(8);
      expect(result.calls.every((call) => call.status < 300 || call.method === 'GET')).toBe(true);
      expect(describeCalls(result)).toMatch(/^pull-request: 8 calls \(6 writes\)/);
      expect(direct.calls).toHaveLength(6);
      expect(describeCalls(direct)).toMatch(/^direct: 6 calls \(3 writes\)/);
    },
    30_000,
  );

  it.concurrent(
    'writes release notes from the compare API: newest first, capped, paginated, first release',
    async () => {
      repoCount += 1;
      const app = await server.createRepo(`va-org/vsp-cms-${String(repoCount)}`);
      await app.createTag('v0.0.417', await app.head());
      // 120 commits in one fast-import, so the notes need the second compare page.
      const start = await app.head();
      const stream = Array.from({ length: 120 }, (_, index) => {
        const message =
          index === 119 ? 'fix: cache headers (#12)\n' : `feat: change ${String(index + 1)}\n`;
        return [
          'commit refs/heads/main',
          `committer Dev <dev@example.com> ${String(1_700_000_000 + index)} +0000`,
          `data ${String(Buffer.byteLength(message))}`,
          message + (index === 0 ? `from ${start}` : ''),
          `M 644 inline file-${String(index)}.txt`,
          'data 2',
          'x',
          '',
        ].join('\n');
      });
      execFileSync('git', [`--git-dir=${app.gitDir}`, 'fast-import', '--quiet'], {
        input: stream.join('\n'),
      });
      app.invalidateRefCache();
      await app.createTag('v0.0.418', await app.head());
      const run = newRun(app, recordingLogger());

      const notes = await releaseNotes(run.repository, {
        from: 'v0.0.417',
        to: 'v0.0.418',
        limit: 110,
      });
      const first = await releaseNotes(run.repository, { to: 'v0.0.417', limit: 5 });
      const unknownFrom = await releaseNotes(run.repository, {
        from: 'v0.0.1',
        to: 'v0.0.418',
        limit: 2,
      });

      expect(notes).toMatchObject({ total: 120, omitted: 10, firstRelease: false });
      expect(notes.commits).toHaveLength(110);
      expect(notes.commits[0]).toMatchObject({
        subject: 'fix: cache headers (#12)',
        author: 'Dev',
      });
      expect(notes.commits[109]?.subject).toBe('feat: change 11');
      const lines = notes.markdown.split('\n');
      expect(lines[0]).toBe(
        `- fix: cache headers (${app.fullName}#12) ([${notes.commits[0]?.sha.slice(0, 7) ?? ''}](${server.url}/${app.fullName}/commit/${notes.commits[0]?.sha ?? ''})) by Dev`,
      );
      expect(lines.at(-1)).toBe(
        `- … and 10 more ([compare](${server.url}/${app.fullName}/compare/v0.0.417...v0.0.418))`,
      );
      const comparePages = run
        .requests()
        .filter((request) => request.path.includes('/compare/v0.0.417...'))
        .map((request) => request.query.page);
      expect(comparePages).toEqual(['1', '2']);
      expect(first).toMatchObject({ firstRelease: true, total: 1, omitted: 0 });
      expect(first.commits[0]?.subject).toBe('Initial commit');
      expect(unknownFrom).toMatchObject({ firstRelease: true, total: 2 });
    },
    30_000,
  );
});
