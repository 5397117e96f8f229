/**
 * The release branch holds the release and nothing else: the change step (packages/release/
 * change.ts) against the GitHub test server (real bare git repositories), through the real client.
 * `release/<app>/<version>` is predictable and anyone with push rights can create it first; what
 * they put there must never reach the pull request the infrastructure team approves, and the body
 * lists the files the pull request really changes (its compare), not the files the run was given.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createGitHubClient, GitHubRepository } from '../../packages/github/index.js';
import { recordingLogger, type Logger } from '../../packages/kit/index.js';
import { prepareManifestEdit } from '../../packages/manifest/index.js';
import { changeManifests, type ChangeRequest } from '../../packages/release/change.js';
import { pullRequestBody } from '../../packages/release/facts.js';
import { VersionFormat } from '../../packages/version/index.js';
import {
  manifestFor,
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';

const MANIFEST = 'apps/cms/values.yaml';
const PROD_MANIFEST = 'apps/cms-prod/values.yaml';
const PLANTED_FILE = 'apps/cms/sidecar.yaml';
const BRANCH = 'release/cms/v0.0.2';
const IMAGE = '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/vsp-cms';

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

let repoCount = 0;

/** cms at v0.0.1 in two environments. */
async function manifestsRepo(): Promise<TestRepo> {
  repoCount += 1;
  const repo = await server.createRepo(`va-org/release-branch-${String(repoCount)}`);
  await repo.commit('chore: manifests', {
    [MANIFEST]: manifestFor('v0.0.1'),
    [PROD_MANIFEST]: manifestFor('v0.0.1'),
  });
  repo.addTeam('cms-infrastructure');
  return repo;
}

let runCount = 0;

/** One workflow run: its own token, client and throttle id; `requests` is what it asked. */
function newRun(repo: TestRepo, logger: Logger) {
  runCount += 1;
  const token = `ghs_release_branch_${String(runCount)}`;
  const client = createGitHubClient({
    token,
    baseUrl: server.url,
    logger,
    throttleId: `release-branch-${String(runCount)}`,
  });
  return {
    repository: new GitHubRepository(client, { owner: repo.owner, repo: repo.name }),
    requests: () => server.requests.filter((request) => request.token === token),
  };
}

/** The change step of cms v0.0.2 as open-manifest-pr makes it: the files read at `baseSha`. */
function releaseChange(
  baseSha: string,
  logger: Logger,
  files: ChangeRequest['files'] = [
    { path: MANIFEST, before: manifestFor('v0.0.1'), after: manifestFor('v0.0.2') },
  ],
): ChangeRequest {
  const facts = { app: 'cms', version: 'v0.0.2', previousVersion: 'v0.0.1' };
  return {
    mode: 'pull-request',
    base: 'main',
    baseSha,
    files,
    edit: prepareManifestEdit({ image: IMAGE, tag: 'v0.0.2' }),
    message: 'Release cms v0.0.2',
    pullRequest: {
      branch: BRANCH,
      title: 'Release cms v0.0.2',
      body: (changedFiles) => pullRequestBody({ ...facts, changedFiles }),
      labels: ['release:cms'],
      reviewers: [],
      teamReviewers: ['cms-infrastructure'],
    },
    supersede: { app: 'cms', version: 'v0.0.2', format: VersionFormat.parse('v0.0.{n}') },
    logger,
  };
}

const changedOnBranch = (repo: TestRepo): string =>
  git(repo, 'diff', '--name-only', `main...${BRANCH}`);

describe('the release branch holds the release and nothing else', () => {
  it.concurrent(
    'rebuilds a planted release branch from the base: its extra file, its change to another environment and its pull request text do not reach the pull request',
    async () => {
      const repo = await manifestsRepo();
      const base = await repo.head();
      // Someone with push rights creates the next release's branch first, and its pull request.
      const planted = await repo.commit(
        'Release cms v0.0.2',
        {
          [MANIFEST]: manifestFor('v0.0.2'),
          [PROD_MANIFEST]: manifestFor('v0.0.2'),
          [PLANTED_FILE]: 'containers: [{name: relay, image: example.com/relay:latest}]\n',
        },
        { branch: BRANCH },
      );
      const theirs = await repo.openPullRequest({
        head: BRANCH,
        title: 'Release cms v0.0.2',
        body: `Changed files: \`${MANIFEST}\``,
        labels: ['release:cms'],
      });
      const logger = recordingLogger();
      const run = newRun(repo, logger);

      const result = await changeManifests(run.repository, releaseChange(base, logger));

      expect(changedOnBranch(repo)).toBe(MANIFEST);
      expect(git(repo, 'rev-list', '--count', `main..${BRANCH}`)).toBe('1');
      expect(git(repo, 'rev-parse', `${BRANCH}^`)).toBe(base);
      expect(git(repo, 'show', `${BRANCH}:${MANIFEST}`)).toBe(manifestFor('v0.0.2').trimEnd());
      expect(result).toMatchObject({ operation: 'updated', changed: true });
      const pulls = await repo.pulls();
      expect(pulls.filter((pull) => pull.state === 'open')).toHaveLength(1);
      expect(pulls[0]).toMatchObject({
        number: theirs.number,
        headSha: result.commitSha,
        title: 'Release cms v0.0.2',
      });
      expect(pulls[0]?.body).toContain(`Changed files: \`${MANIFEST}\`\n`);
      expect(pulls[0]?.body).not.toMatch(/cms-prod|sidecar/);
      const warning = `the branch ${BRANCH} (${repo.fullName}) held changes this release did not make (files ${PROD_MANIFEST}, ${PLANTED_FILE}): it is rebuilt from main with this release's changes only, and none of them reaches the pull request; find out who pushed them`;
      expect(result.warnings).toEqual([warning]);
      expect(logger.records).toContainEqual({ level: 'warning', message: warning });
      // The planted commit is gone from the branch, not merely hidden under ours.
      expect(git(repo, 'branch', '--contains', planted)).toBe('');
    },
    60_000,
  );

  it.concurrent(
    'rebuilds a branch whose diff is exactly the release but made of other commits, naming them',
    async () => {
      const repo = await manifestsRepo();
      const base = await repo.head();
      const first = await repo.commit(
        'Release cms v0.0.2',
        { [MANIFEST]: manifestFor('v0.0.9') },
        { branch: BRANCH },
      );
      const second = await repo.commit(
        'Release cms v0.0.2',
        { [MANIFEST]: manifestFor('v0.0.2') },
        { branch: BRANCH },
      );
      const logger = recordingLogger();

      const result = await changeManifests(
        newRun(repo, logger).repository,
        releaseChange(base, logger),
      );

      expect(changedOnBranch(repo)).toBe(MANIFEST);
      expect(git(repo, 'rev-parse', `${BRANCH}^`)).toBe(base);
      expect(git(repo, 'branch', '--contains', first)).toBe('');
      expect(result.warnings).toEqual([
        expect.stringContaining(
          `(commits ${first.slice(0, 7)}, ${second.slice(0, 7)}): it is rebuilt from main`,
        ) as unknown,
      ]);
    },
    60_000,
  );

  it.concurrent(
    'the same release run twice: one pull request, one commit, and the re-run writes nothing',
    async () => {
      const repo = await manifestsRepo();
      const base = await repo.head();
      const firstLogger = recordingLogger();
      const first = await changeManifests(
        newRun(repo, firstLogger).repository,
        releaseChange(base, firstLogger),
      );
      const commitsBefore = git(repo, 'rev-list', '--count', '--all');
      const logger = recordingLogger();
      const rerun = newRun(repo, logger);

      const second = await changeManifests(rerun.repository, releaseChange(base, logger));

      expect(first).toMatchObject({ operation: 'created', changed: true, warnings: [] });
      expect(second).toMatchObject({
        operation: 'unchanged',
        changed: false,
        commitSha: first.commitSha,
        pullRequest: first.pullRequest,
        warnings: [],
      });
      expect(git(repo, 'rev-list', '--count', '--all')).toBe(commitsBefore);
      expect(rerun.requests().map((request) => request.method)).not.toContain('POST');
      expect(rerun.requests().map((request) => request.method)).not.toContain('PATCH');
      const pulls = await repo.pulls();
      expect(pulls).toHaveLength(1);
      expect(pulls[0]?.body).toContain(`Changed files: \`${MANIFEST}\`\n`);
      expect(logger.records.filter((record) => record.level === 'warning')).toEqual([]);
    },
    60_000,
  );

  it.concurrent(
    'a re-run after the base moved makes the edit again on the new base, in one commit, without a warning; the next re-run changes nothing',
    async () => {
      const repo = await manifestsRepo();
      const base = await repo.head();
      const first = await changeManifests(
        newRun(repo, recordingLogger()).repository,
        releaseChange(base, recordingLogger()),
      );
      const moved = await repo.commit('chore: scale cms to 3', {
        [MANIFEST]: manifestFor('v0.0.1', 3),
      });
      const logger = recordingLogger();

      const second = await changeManifests(
        newRun(repo, logger).repository,
        releaseChange(base, logger),
      );
      const third = await changeManifests(
        newRun(repo, recordingLogger()).repository,
        releaseChange(base, recordingLogger()),
      );

      expect(second).toMatchObject({
        changed: true,
        pullRequest: first.pullRequest,
        warnings: [],
      });
      expect(git(repo, 'rev-parse', `${BRANCH}^`)).toBe(moved);
      expect(git(repo, 'show', `${BRANCH}:${MANIFEST}`)).toBe(manifestFor('v0.0.2', 3).trimEnd());
      expect(logger.records).toContainEqual({
        level: 'info',
        message: `${BRANCH} holds the edit made on an older main: rebuilding it on main`,
      });
      expect(third).toMatchObject({ operation: 'unchanged', commitSha: second.commitSha });
      expect((await repo.pulls()).map((pull) => pull.state)).toEqual(['open']);
    },
    60_000,
  );

  it.concurrent(
    'lists in the body the files the pull request changes, not the files the run was given',
    async () => {
      const repo = await manifestsRepo();
      const base = await repo.head();
      const logger = recordingLogger();

      const result = await changeManifests(
        newRun(repo, logger).repository,
        releaseChange(base, logger, [
          { path: MANIFEST, before: manifestFor('v0.0.1'), after: manifestFor('v0.0.2') },
          // Already at its content on the base: no change, so not in the pull request.
          { path: PROD_MANIFEST, before: manifestFor('v0.0.1'), after: manifestFor('v0.0.1') },
        ]),
      );

      expect(result.operation).toBe('created');
      expect(changedOnBranch(repo)).toBe(MANIFEST);
      const [pull] = await repo.pulls();
      expect(pull?.body).toContain(`Changed files: \`${MANIFEST}\`\n`);
    },
    60_000,
  );
});
