/**
 * The release pull requests' policy (packages/release/release-pulls.ts) through the change step,
 * against the GitHub test server backed by git: an app repository with real release tags (so
 * "contains the fix" is git's ancestry) and a manifests repository whose pull requests are opened,
 * merged and closed through the API.
 *
 * The story of the issue: production runs v0.0.1, v0.0.2's pull request waits for review, and the
 * hotfix v0.0.1-1 must reach production first, forward, without being closed on arrival.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createGitHubClient, GitHubRepository } from '../../packages/github/index.js';
import { recordingLogger } from '../../packages/kit/index.js';
import { changeManifests, type ChangeResult } from '../../packages/release/change.js';
import { withNotices } from '../../packages/release/release-pulls.js';
import { VersionFormat } from '../../packages/version/index.js';
import {
  manifestFor,
  startGitHubServer,
  type GitHubTestServer,
  type PullRequestState,
  type TestRepo,
} from '../support/github-server.js';

const MANIFEST = 'apps/vsp-cms/prod/values.yaml';
const FORMAT = VersionFormat.parse('v0.0.{n}');

let server: GitHubTestServer;
let runs = 0;

beforeAll(async () => {
  server = await startGitHubServer();
});

afterAll(async () => {
  await server.close();
});

/** One workflow run: its own client (the throttle spaces one client's writes). */
function repositoryOf(repo: TestRepo): GitHubRepository {
  runs += 1;
  const client = createGitHubClient({
    token: 'ghs_release_pulls',
    baseUrl: server.url,
    logger: recordingLogger(),
    throttleId: `release-pulls-${String(runs)}`,
  });
  return new GitHubRepository(client, { owner: repo.owner, repo: repo.name });
}

interface Story {
  readonly app: TestRepo;
  readonly manifests: TestRepo;
  /** Commits of the app repository by release. */
  readonly commits: Record<string, string>;
}

/** v0.0.1 on main and deployed; v0.0.2 on main after it; the hotfix v0.0.1-1 on a branch from v0.0.1. */
async function story(name: string): Promise<Story> {
  const app = await server.createRepo(`octo-org/${name}`);
  const manifests = await server.createRepo(`va-org/${name}-manifests`);
  const first = await app.commit('Home page', { 'web/index.html': '<h1>Welcome</h1>\n' });
  await app.createTag('v0.0.1', first);
  const second = await app.commit('Contact page', { 'web/contact.html': '<h1>Contact</h1>\n' });
  await app.createTag('v0.0.2', second);
  const fix = await app.commit(
    'Fix the title',
    { 'web/index.html': '<h1>Welcome to VA.gov</h1>\n' },
    { branch: 'hotfix/v0.0.1', from: first },
  );
  await app.createTag('v0.0.1-1', fix);
  await manifests.commit('vsp-cms at v0.0.1', { [MANIFEST]: manifestFor('v0.0.1') });
  return { app, manifests, commits: { 'v0.0.1': first, 'v0.0.2': second, 'v0.0.1-1': fix } };
}

/** The change step of one environment's run, as open-manifest-pr and runRelease call it. */
async function propose(
  target: Story,
  version: string,
  deployed: string,
  options: { files?: boolean; releases?: boolean } = {},
): Promise<{ change: ChangeResult; lines: string[] }> {
  const logger = recordingLogger();
  const manifests = repositoryOf(target.manifests);
  const change = await changeManifests(manifests, {
    mode: 'pull-request',
    base: 'main',
    files:
      options.files === false
        ? []
        : [{ path: MANIFEST, before: manifestFor(deployed), after: manifestFor(version) }],
    message: `Release vsp-cms ${version}`,
    pullRequest: {
      branch: `release/vsp-cms/${version}`,
      title: `Release vsp-cms ${version}`,
      body: () => `Release ${version}.\n`,
      labels: ['release:vsp-cms'],
      reviewers: [],
      teamReviewers: [],
    },
    supersede: {
      app: 'vsp-cms',
      version,
      format: FORMAT,
      deployed,
      releases:
        options.releases === false
          ? undefined
          : { repository: repositoryOf(target.app), gitTagPrefix: '' },
    },
    logger,
  });
  return { change, lines: logger.records.map((record) => `${record.level}: ${record.message}`) };
}

async function pull(repo: TestRepo, number: number | undefined): Promise<PullRequestState> {
  const found = (await repo.pulls()).find((candidate) => candidate.number === number);
  if (found === undefined) throw new Error(`no pull request #${String(number)}`);
  return found;
}

async function merge(repo: TestRepo, number: number): Promise<void> {
  const response = await fetch(
    `${server.url}/repos/${repo.fullName}/pulls/${String(number)}/merge`,
    {
      method: 'PUT',
      headers: { authorization: 'token ghs_release_pulls', 'content-type': 'application/json' },
      body: JSON.stringify({ merge_method: 'squash' }),
    },
  );
  expect(response.status).toBe(200);
}

describe('release pull requests with a hotfix', () => {
  it('keeps the hotfix open beside a newer unmerged release, notes the missing fix on it, and closes the hotfix once the newer release is deployed', async () => {
    const target = await story('hotfix-story');
    const v2 = (await propose(target, 'v0.0.2', 'v0.0.1')).change;
    expect(v2.operation).toBe('created');

    // The emergency: the hotfix of the deployed v0.0.1 while v0.0.2 waits for review.
    const hotfix = await propose(target, 'v0.0.1-1', 'v0.0.1');
    expect(hotfix.change.operation).toBe('created');
    expect(hotfix.change.supersededBy).toBeUndefined();
    expect(hotfix.change.superseded).toEqual([]);
    const hotfixPull = await pull(target.manifests, hotfix.change.pullRequest?.number);
    const v2Pull = await pull(target.manifests, v2.pullRequest?.number);
    expect(hotfixPull.state).toBe('open');
    expect(v2Pull.state).toBe('open');
    expect(hotfixPull.body).toContain(
      `**Hotfix** of v0.0.1. Merge this before #${String(v2Pull.number)} (v0.0.2)`,
    );
    expect(v2Pull.body).toContain(
      `**v0.0.2 does not contain the fix of v0.0.1-1** (#${String(hotfixPull.number)}): merging it would drop the fix`,
    );
    // The body the run wrote is still there, under the notices.
    expect(v2Pull.body).toContain('Release v0.0.2.');

    // A re-run of v0.0.2 rewrites its body and checks again: the note comes back, nothing closes.
    const again = await propose(target, 'v0.0.2', 'v0.0.1');
    expect(again.change.superseded).toEqual([]);
    expect(again.change.supersededBy).toBeUndefined();
    expect((await pull(target.manifests, v2Pull.number)).body).toContain(
      'does not contain the fix of v0.0.1-1',
    );

    // The reviewers merge v0.0.2 first; the hotfix's re-run finds the base ahead of it.
    await merge(target.manifests, v2Pull.number);
    const late = await propose(target, 'v0.0.1-1', 'v0.0.2', { files: false });
    expect(late.change.operation).toBe('unchanged');
    expect(late.change.superseded).toEqual([hotfixPull.number]);
    const closed = await pull(target.manifests, hotfixPull.number);
    expect(closed.state).toBe('closed');
    expect(closed.comments.at(-1)).toBe(
      'Superseded: `main` deploys v0.0.2 now, which is not older than v0.0.1-1; merging this would deploy an older version.',
    );
  }, 120_000);

  it('drops the missing-fix note once the newer release contains the fix, and still closes normal older releases', async () => {
    const target = await story('fix-on-main');
    const v2 = (await propose(target, 'v0.0.2', 'v0.0.1')).change;
    const hotfix = (await propose(target, 'v0.0.1-1', 'v0.0.1')).change;
    // The fix reaches main (merged from the hotfix branch), and v0.0.3 is released from there.
    const merged = await target.app.commit(
      'Merge the fix',
      { 'web/index.html': '<h1>Welcome to VA.gov</h1>\n' },
      {},
    );
    expect(merged).toMatch(/^[0-9a-f]{40}$/);
    const { execFileSync } = await import('node:child_process');
    const mergeCommit = execFileSync(
      'git',
      [
        `--git-dir=${target.app.gitDir}`,
        'commit-tree',
        `${merged}^{tree}`,
        '-p',
        merged,
        '-p',
        target.commits['v0.0.1-1'] ?? '',
        '-m',
        'Merge hotfix/v0.0.1',
      ],
      { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '2026-11-02T00:00:00Z' } },
    ).trim();
    await target.app.createTag('v0.0.3', mergeCommit);

    const v3 = (await propose(target, 'v0.0.3', 'v0.0.1')).change;
    // v0.0.2 is superseded by v0.0.3; the hotfix is not (it must still go first).
    expect(v3.superseded).toEqual([v2.pullRequest?.number]);
    const v3Pull = await pull(target.manifests, v3.pullRequest?.number);
    expect(v3Pull.body).not.toContain('does not contain the fix');
    const hotfixPull = await pull(target.manifests, hotfix.pullRequest?.number);
    expect(hotfixPull.state).toBe('open');
    expect(hotfixPull.body).toContain(`Merge this before #${String(v3Pull.number)} (v0.0.3)`);
    expect(hotfixPull.body).not.toContain(`#${String(v2.pullRequest?.number)} (v0.0.2)`);
  }, 120_000);

  it('a normal release yields to a newer reserved release, but not to a planted branch without its tag', async () => {
    const target = await story('planted');
    // A writer of the manifests repository plants release/vsp-cms/v0.0.9 with the label.
    await target.manifests.commit(
      'planted',
      { [MANIFEST]: manifestFor('v0.0.9') },
      {
        branch: 'release/vsp-cms/v0.0.9',
      },
    );
    const planted = await target.manifests.openPullRequest({
      head: 'release/vsp-cms/v0.0.9',
      base: 'main',
      title: 'Release vsp-cms v0.0.9',
      labels: ['release:vsp-cms'],
    });
    const v2 = await propose(target, 'v0.0.2', 'v0.0.1');
    expect(v2.change.supersededBy).toBeUndefined();
    expect((await pull(target.manifests, v2.change.pullRequest?.number)).state).toBe('open');
    expect(v2.lines.join('\n')).toContain(
      `#${String(planted.number)} claims the release v0.0.9, but octo-org/planted has no tag v0.0.9: not yielding to it`,
    );

    // Reserved for real (compute-version's tag): the slower v0.0.2 run now yields.
    await target.app.createTag('v0.0.9', target.commits['v0.0.2'] ?? '');
    const rerun = await propose(target, 'v0.0.2', 'v0.0.1');
    expect(rerun.change.supersededBy).toBe(planted.number);
    expect((await pull(target.manifests, v2.change.pullRequest?.number)).state).toBe('closed');
  }, 120_000);
});

describe('withNotices', () => {
  it('adds, replaces and removes the notices section and leaves the rest byte for byte', () => {
    const body = 'Release v0.0.2.\n\n| a | b |\n';
    const noted = withNotices(body, ['first', 'second']);
    expect(noted).toBe(
      '<!-- gitops-release-notices -->\n> [!WARNING]\n> first\n>\n> second\n<!-- /gitops-release-notices -->\n\nRelease v0.0.2.\n\n| a | b |\n',
    );
    expect(withNotices(noted, ['third'])).toBe(
      '<!-- gitops-release-notices -->\n> [!WARNING]\n> third\n<!-- /gitops-release-notices -->\n\nRelease v0.0.2.\n\n| a | b |\n',
    );
    expect(withNotices(noted, [])).toBe(body);
    expect(withNotices(body, [])).toBe(body);
  });
});
