/**
 * What a commit's author can put in front of the approvers: the subjects and author names of the
 * release's commits, read through real Octokit from the GitHub test server, rendered inert in the
 * pull-request and release bodies (issue 13, item 5).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createGitHubClient, GitHubRepository } from '../../packages/github/index.js';
import { silentLogger } from '../../packages/kit/index.js';
import { pullRequestBody, readReleaseNotes, releaseBody } from '../../packages/release/facts.js';
import { startGitHubServer, type GitHubTestServer } from '../support/github-server.js';

let server: GitHubTestServer;

beforeAll(async () => {
  server = await startGitHubServer();
});

afterAll(async () => {
  await server.close();
});

it('renders hostile commit subjects inert: no mention notifies, no HTML folds or hides the body', async () => {
  const repo = await server.createRepo('octo-org/cms-texts');
  await repo.createTags(['v0.0.1'], await repo.head());
  // What someone who can push a branch that gets released tries first.
  const hostile = [
    'Ping @octo-org/admins and @alice',
    '<details><summary>fine</summary>',
    '<!-- the rest of the body is hidden',
    '[innocent](https://evil.example/phish) **bold** <img src=x onerror=alert(1)>',
  ];
  let sha = '';
  for (const [index, subject] of hostile.entries()) {
    sha = await repo.commit(subject, { [`f${String(index)}.txt`]: subject });
  }
  const app = new GitHubRepository(
    createGitHubClient({ token: 'ghs_test', baseUrl: server.url, logger: silentLogger }),
    { owner: repo.owner, repo: repo.name },
  );
  const notes = await readReleaseNotes(
    app,
    { previousVersion: 'v0.0.1', gitTagPrefix: '', to: sha },
    silentLogger,
  );
  expect(notes?.total).toBe(4);
  const facts = {
    app: 'cms',
    version: 'v0.0.2',
    previousVersion: 'v0.0.1',
    appRepository: repo.fullName,
    commit: sha,
    notes,
  };
  const bodies = [
    pullRequestBody(facts),
    releaseBody(facts, { kind: 'commit', repository: 'octo-org/manifests', sha }),
  ];
  for (const body of bodies) {
    // Mentions only inside code spans; no raw HTML tag or comment; no link hiding its target.
    const outsideCode = body.replace(/`[^`\n]*`/g, '');
    expect(outsideCode).not.toMatch(/@octo-org\/admins|@alice/);
    expect(body).toContain('`@octo-org/admins`');
    // A backslash-escaped `<` is literal text in GitHub markdown, never a tag.
    expect(body).not.toMatch(/(^|[^\\])<(details|summary|img|!--)/m);
    expect(body).toContain('\\<details\\>');
    expect(body).not.toContain('[innocent](');
    // Every subject is still there to read.
    expect(body).toContain('details');
    expect(body).toContain('the rest of the body is hidden');
  }
});
