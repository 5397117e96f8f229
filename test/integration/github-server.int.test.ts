import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import {
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';
import { responseValidator } from '../support/openapi.js';

const execFileAsync = promisify(execFile);

/** Reads the bare repo with plain git, independently of the server. */
async function gitIn(gitDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', [`--git-dir=${gitDir}`, ...args]);
  return stdout.trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

interface Rejection {
  status: number;
  data: unknown;
  headers: Record<string, unknown>;
  message: string;
}

/** The HTTP status, body and headers of an Octokit RequestError; rethrows anything else. */
function requestErrorOf(error: unknown): Rejection {
  if (error instanceof Error && 'status' in error && typeof error.status === 'number') {
    const response = 'response' in error && isRecord(error.response) ? error.response : {};
    const headers = isRecord(response.headers) ? response.headers : {};
    return { status: error.status, data: response.data, headers, message: error.message };
  }
  throw error;
}

async function rejectionOf(request: Promise<unknown>): Promise<Rejection> {
  try {
    await request;
  } catch (error: unknown) {
    return requestErrorOf(error);
  }
  throw new Error('expected the request to fail');
}

function messageOf(data: unknown): unknown {
  return isRecord(data) ? data.message : undefined;
}

let server: GitHubTestServer;
let clientCount = 0;

interface LimitCalls {
  secondary: number[];
  primary: number[];
}

/**
 * The production client stack. Each client gets its own throttle id: the throttling plugin
 * spaces writes per id, so a shared id would queue one test's POSTs behind another's.
 */
function productionClient(limitCalls: LimitCalls = { secondary: [], primary: [] }) {
  clientCount += 1;
  return getOctokit(
    'test-token',
    {
      baseUrl: server.url,
      throttle: {
        id: `github-server-int-${String(clientCount)}`,
        onRateLimit: (retryAfter: number) => {
          limitCalls.primary.push(retryAfter);
          return true;
        },
        onSecondaryRateLimit: (retryAfter: number) => {
          limitCalls.secondary.push(retryAfter);
          return true;
        },
      },
    },
    retry,
    throttling,
  );
}

/** No retry and no throttling: requests go out at once and failures surface unchanged. */
function bareClient() {
  return getOctokit('test-token', { baseUrl: server.url });
}

function statusesFor(path: string): number[] {
  return server.requests
    .filter((request) => request.path === path)
    .map((request) => request.status);
}

const validate = {
  repo: responseValidator('GET', '/repos/{owner}/{repo}', 200),
  notFound: responseValidator('GET', '/repos/{owner}/{repo}', 404),
  ref: responseValidator('GET', '/repos/{owner}/{repo}/git/ref/{ref}', 200),
  refNotFound: responseValidator('GET', '/repos/{owner}/{repo}/git/ref/{ref}', 404),
  matchingRefs: responseValidator('GET', '/repos/{owner}/{repo}/git/matching-refs/{ref}', 200),
  createdRef: responseValidator('POST', '/repos/{owner}/{repo}/git/refs', 201),
  createRefFailed: responseValidator('POST', '/repos/{owner}/{repo}/git/refs', 422),
  tag: responseValidator('GET', '/repos/{owner}/{repo}/git/tags/{tag_sha}', 200),
  commit: responseValidator('GET', '/repos/{owner}/{repo}/commits/{ref}', 200),
  commitFailed: responseValidator('GET', '/repos/{owner}/{repo}/commits/{ref}', 422),
  gitCommit: responseValidator('GET', '/repos/{owner}/{repo}/git/commits/{commit_sha}', 200),
  checkRuns: responseValidator('GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', 200),
  status: responseValidator('GET', '/repos/{owner}/{repo}/commits/{ref}/status', 200),
  compare: responseValidator('GET', '/repos/{owner}/{repo}/compare/{basehead}', 200),
  releases: responseValidator('GET', '/repos/{owner}/{repo}/releases', 200),
  releaseByTag: responseValidator('GET', '/repos/{owner}/{repo}/releases/tags/{tag}', 200),
  createdRelease: responseValidator('POST', '/repos/{owner}/{repo}/releases', 201),
  createReleaseFailed: responseValidator('POST', '/repos/{owner}/{repo}/releases', 422),
  createdBlob: responseValidator('POST', '/repos/{owner}/{repo}/git/blobs', 201),
  blob: responseValidator('GET', '/repos/{owner}/{repo}/git/blobs/{file_sha}', 200),
  createdTree: responseValidator('POST', '/repos/{owner}/{repo}/git/trees', 201),
  createTreeFailed: responseValidator('POST', '/repos/{owner}/{repo}/git/trees', 422),
  tree: responseValidator('GET', '/repos/{owner}/{repo}/git/trees/{tree_sha}', 200),
  createdCommit: responseValidator('POST', '/repos/{owner}/{repo}/git/commits', 201),
  updatedRef: responseValidator('PATCH', '/repos/{owner}/{repo}/git/refs/{ref}', 200),
  updateRefFailed: responseValidator('PATCH', '/repos/{owner}/{repo}/git/refs/{ref}', 422),
  content: responseValidator('GET', '/repos/{owner}/{repo}/contents/{path}', 200),
  commits: responseValidator('GET', '/repos/{owner}/{repo}/commits', 200),
  pulls: responseValidator('GET', '/repos/{owner}/{repo}/pulls', 200),
  createdPull: responseValidator('POST', '/repos/{owner}/{repo}/pulls', 201),
  createPullFailed: responseValidator('POST', '/repos/{owner}/{repo}/pulls', 422),
  createPullForbidden: responseValidator('POST', '/repos/{owner}/{repo}/pulls', 403),
  pull: responseValidator('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 200),
  updatedPull: responseValidator('PATCH', '/repos/{owner}/{repo}/pulls/{pull_number}', 200),
  merged: responseValidator('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 200),
  mergeRefused: responseValidator('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 405),
  requestedReviewers: responseValidator(
    'POST',
    '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
    201,
  ),
  reviewRequests: responseValidator(
    'GET',
    '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
    200,
  ),
  addedLabels: responseValidator('POST', '/repos/{owner}/{repo}/issues/{issue_number}/labels', 200),
  labels: responseValidator('GET', '/repos/{owner}/{repo}/issues/{issue_number}/labels', 200),
  createdComment: responseValidator(
    'POST',
    '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    201,
  ),
  comments: responseValidator('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 200),
};

beforeAll(async () => {
  server = await startGitHubServer();
});

afterAll(async () => {
  await server.close();
});

describe('repository', () => {
  beforeAll(async () => {
    await server.createRepo('Acme-Corp/Web-App');
  });

  it('answers GET /repos/{owner}/{repo} case-insensitively with a full repository', async () => {
    const { data, status } = await productionClient().rest.repos.get({
      owner: 'acme-corp',
      repo: 'web-app',
    });

    expect(status).toBe(200);
    expect(validate.repo(data)).toEqual([]);
    expect(data).toMatchObject({
      full_name: 'Acme-Corp/Web-App',
      default_branch: 'main',
      owner: { login: 'Acme-Corp' },
      permissions: { push: true, pull: true },
      url: `${server.url}/repos/Acme-Corp/Web-App`,
    });
  });

  it('answers 404 Not Found for unknown repositories and routes', async () => {
    const octokit = bareClient();
    const missingRepo = await rejectionOf(
      octokit.rest.repos.get({ owner: 'acme-corp', repo: 'nope' }),
    );
    const missingRoute = await rejectionOf(octokit.request('GET /repos/acme-corp/web-app/unknown'));

    expect(missingRepo.status).toBe(404);
    expect(validate.notFound(missingRepo.data)).toEqual([]);
    expect(missingRepo.data).toMatchObject({ message: 'Not Found', status: '404' });
    expect(missingRoute.status).toBe(404);
  });

  it('makes an initial commit on a configurable default branch', async () => {
    const trunkRepo = await server.createRepo('acme-corp/trunk-based', { defaultBranch: 'trunk' });
    const { data } = await productionClient().rest.repos.get({
      owner: 'acme-corp',
      repo: 'trunk-based',
    });

    expect(data.default_branch).toBe('trunk');
    expect(await gitIn(trunkRepo.gitDir, 'rev-parse', 'refs/heads/trunk')).toBe(
      await trunkRepo.head(),
    );
    expect(await gitIn(trunkRepo.gitDir, 'log', '--format=%s', 'trunk')).toBe('Initial commit');
  });
});

describe('git refs and tags', () => {
  let repo: TestRepo;
  let first: string;
  let second: string;

  beforeAll(async () => {
    repo = await server.createRepo('acme/refs');
    first = await repo.head();
    second = await repo.commit('feat: second', { 'src/app.ts': 'export {};\n' });
    await repo.createTag('v0.0.1', first);
    await repo.createTag('cms/v0.0.1', second);
    await repo.createTag('v0.0.2', second, { annotated: true, message: 'Release v0.0.2' });
  });

  it('gets a ref by name, including names with slashes, as git sees it', async () => {
    const octokit = productionClient();
    const tag = await octokit.rest.git.getRef({ owner: 'acme', repo: 'refs', ref: 'tags/v0.0.1' });
    const nested = await octokit.rest.git.getRef({
      owner: 'acme',
      repo: 'refs',
      ref: 'tags/cms/v0.0.1',
    });
    const branch = await octokit.rest.git.getRef({
      owner: 'acme',
      repo: 'refs',
      ref: 'heads/main',
    });

    for (const { data } of [tag, nested, branch]) {
      expect(validate.ref(data)).toEqual([]);
      expect(await gitIn(repo.gitDir, 'rev-parse', data.ref)).toBe(data.object.sha);
    }
    expect(tag.data).toMatchObject({
      ref: 'refs/tags/v0.0.1',
      object: { type: 'commit', sha: first },
    });
    expect(nested.data).toMatchObject({ ref: 'refs/tags/cms/v0.0.1', object: { sha: second } });
    expect(branch.data.object.sha).toBe(second);
  });

  it('answers 404 for a missing ref', async () => {
    const missing = await rejectionOf(
      productionClient().rest.git.getRef({ owner: 'acme', repo: 'refs', ref: 'tags/v9.9.9' }),
    );

    expect(missing.status).toBe(404);
    expect(validate.refNotFound(missing.data)).toEqual([]);
  });

  it('lists matching refs by prefix in git order, annotated tags as tag objects', async () => {
    const octokit = productionClient();
    const { data } = await octokit.rest.git.listMatchingRefs({
      owner: 'acme',
      repo: 'refs',
      ref: 'tags/v0.0.',
    });
    const none = await octokit.rest.git.listMatchingRefs({
      owner: 'acme',
      repo: 'refs',
      ref: 'tags/nothing',
    });

    expect(validate.matchingRefs(data)).toEqual([]);
    expect(data.map((ref) => ref.ref)).toEqual(['refs/tags/v0.0.1', 'refs/tags/v0.0.2']);
    const annotated = data[1];
    expect(annotated?.object.type).toBe('tag');
    expect(await gitIn(repo.gitDir, 'cat-file', '-t', annotated?.object.sha ?? '')).toBe('tag');
    expect(none.data).toEqual([]);
  });

  it('gets an annotated tag object', async () => {
    const annotatedSha = (await repo.tags()).get('v0.0.2') ?? '';
    const { data } = await productionClient().rest.git.getTag({
      owner: 'acme',
      repo: 'refs',
      tag_sha: annotatedSha,
    });

    expect(validate.tag(data)).toEqual([]);
    expect(data).toMatchObject({
      sha: annotatedSha,
      tag: 'v0.0.2',
      message: 'Release v0.0.2',
      object: { type: 'commit', sha: second },
    });
    expect(await gitIn(repo.gitDir, 'rev-parse', 'v0.0.2^{commit}')).toBe(second);
  });

  it('paginates 250 tags with RFC 5988 Link headers', async () => {
    const names = Array.from({ length: 250 }, (_, index) => `page/1.0.${String(index)}`);
    await repo.createTags(names, second);
    const octokit = productionClient();
    const params = { owner: 'acme', repo: 'refs', ref: 'tags/page/', per_page: 100 };

    const firstPage = await octokit.rest.git.listMatchingRefs({ ...params, page: 1 });
    const lastPage = await octokit.rest.git.listMatchingRefs({ ...params, page: 3 });
    const all = await octokit.paginate(octokit.rest.git.listMatchingRefs, params);

    expect(firstPage.data).toHaveLength(100);
    expect(firstPage.headers.link).toMatch(/[?&]page=2>; rel="next"/);
    expect(firstPage.headers.link).toMatch(/[?&]page=3>; rel="last"/);
    expect(firstPage.headers.link).not.toMatch(/rel="prev"/);
    expect(lastPage.data).toHaveLength(50);
    expect(lastPage.headers.link).toMatch(/[?&]page=2>; rel="prev"/);
    expect(lastPage.headers.link).toMatch(/[?&]page=1>; rel="first"/);
    expect(lastPage.headers.link).not.toMatch(/rel="next"/);
    expect(validate.matchingRefs(all)).toEqual([]);
    const gitOrder = await gitIn(
      repo.gitDir,
      'for-each-ref',
      '--format=%(refname)',
      'refs/tags/page/',
    );
    expect(all.map((ref) => ref.ref)).toEqual(gitOrder.split('\n'));
  });

  it('creates a ref (201) that git can read', async () => {
    const { data, status } = await productionClient().rest.git.createRef({
      owner: 'acme',
      repo: 'refs',
      ref: 'refs/tags/created/v1',
      sha: first,
    });

    expect(status).toBe(201);
    expect(validate.createdRef(data)).toEqual([]);
    expect(data).toMatchObject({
      ref: 'refs/tags/created/v1',
      object: { sha: first, type: 'commit' },
    });
    expect(await gitIn(repo.gitDir, 'rev-parse', 'refs/tags/created/v1')).toBe(first);
  });

  it.each([
    ['an existing ref', 'refs/tags/v0.0.1', 'existing', 'Reference already exists'],
    ['an unknown sha', 'refs/tags/ghost', 'a'.repeat(40), 'Object does not exist'],
    [
      'a short ref',
      'tags/short',
      'existing',
      'Reference name must contain at least three slash-separated components.',
    ],
    [
      'an invalid ref name',
      'refs/tags/bad..name',
      'existing',
      'refs/tags/bad..name is not a valid ref name.',
    ],
  ])('rejects creating %s with 422', async (_case, ref, sha, message) => {
    const failure = await rejectionOf(
      productionClient().rest.git.createRef({
        owner: 'acme',
        repo: 'refs',
        ref,
        sha: sha === 'existing' ? second : sha,
      }),
    );

    expect(failure.status).toBe(422);
    expect(validate.createRefFailed(failure.data)).toEqual([]);
    expect(messageOf(failure.data)).toBe(message);
  });

  it('leaves an existing ref untouched when a create conflicts', async () => {
    await rejectionOf(
      bareClient().rest.git.createRef({
        owner: 'acme',
        repo: 'refs',
        ref: 'refs/tags/v0.0.1',
        sha: second,
      }),
    );

    expect(await gitIn(repo.gitDir, 'rev-parse', 'refs/tags/v0.0.1')).toBe(first);
  });

  interface CreateAttempt {
    status: number;
    sha?: string;
  }

  it('serialises concurrent creates of one ref: exactly one 201, the first to arrive', async () => {
    const octokit = bareClient();
    const before = server.requests.length;
    const attempts = Array.from({ length: 8 }, (_, index) =>
      octokit.rest.git
        .createRef({
          owner: 'acme',
          repo: 'refs',
          ref: 'refs/tags/race',
          sha: index % 2 === 0 ? first : second,
        })
        .then(
          (response): CreateAttempt => ({ status: response.status, sha: response.data.object.sha }),
          (error: unknown): CreateAttempt => ({ status: requestErrorOf(error).status }),
        ),
    );
    const results = await Promise.all(attempts);

    const created = results.filter((result) => result.status === 201);
    expect(created).toHaveLength(1);
    expect(results.filter((result) => result.status === 422)).toHaveLength(7);
    expect(await gitIn(repo.gitDir, 'rev-parse', 'refs/tags/race')).toBe(created[0]?.sha);
    const inArrivalOrder = server.requests.slice(before).map((request) => request.status);
    expect(inArrivalOrder).toEqual([201, 422, 422, 422, 422, 422, 422, 422]);
  });

  it('creates distinct refs concurrently without losing any', async () => {
    const octokit = bareClient();
    const names = Array.from({ length: 10 }, (_, index) => `refs/tags/burst/${String(index)}`);
    const results = await Promise.all(
      names.map((ref) =>
        octokit.rest.git.createRef({ owner: 'acme', repo: 'refs', ref, sha: second }),
      ),
    );

    expect(results.map((result) => result.status)).toEqual(names.map(() => 201));
    const listed = await octokit.rest.git.listMatchingRefs({
      owner: 'acme',
      repo: 'refs',
      ref: 'tags/burst/',
    });
    expect(listed.data).toHaveLength(10);
  });

  it('sees refs written behind its back once the cache is invalidated', async () => {
    const octokit = bareClient();
    await repo.createTag('helper/one', first);
    const afterHelper = await octokit.rest.git.getRef({
      owner: 'acme',
      repo: 'refs',
      ref: 'tags/helper/one',
    });
    await gitIn(repo.gitDir, 'update-ref', 'refs/tags/outside', first);
    repo.invalidateRefCache();
    const afterOutside = await octokit.rest.git.getRef({
      owner: 'acme',
      repo: 'refs',
      ref: 'tags/outside',
    });

    expect(afterHelper.data.object.sha).toBe(first);
    expect(afterOutside.data.object.sha).toBe(first);
  });
});

describe('commits', () => {
  let repo: TestRepo;
  let root: string;
  let head: string;

  beforeAll(async () => {
    repo = await server.createRepo('acme/commits');
    root = await repo.head();
    head = await repo.commit('feat: add service\n\nWith a body.', {
      'services/api/main.ts': 'one\ntwo\n',
      'README.md': '# commits\nmore\n',
    });
    await repo.createTag('v1.0.0', head);
    await repo.createTag('v1.0.0-annotated', head, { annotated: true });
  });

  it('resolves a sha, short sha, branch, lightweight and annotated tag to the same commit', async () => {
    const octokit = productionClient();
    for (const ref of [head, head.slice(0, 7), 'main', 'v1.0.0', 'v1.0.0-annotated']) {
      const { data } = await octokit.rest.repos.getCommit({ owner: 'acme', repo: 'commits', ref });
      expect(validate.commit(data)).toEqual([]);
      expect(data.sha).toBe(head);
    }
  });

  it('describes the commit, its parents and its files like GitHub', async () => {
    const { data } = await productionClient().rest.repos.getCommit({
      owner: 'acme',
      repo: 'commits',
      ref: head,
    });
    const tree = await gitIn(repo.gitDir, 'rev-parse', `${head}^{tree}`);

    expect(data.commit.message).toBe('feat: add service\n\nWith a body.');
    expect(data.commit.tree.sha).toBe(tree);
    expect(data.parents.map((parent) => parent.sha)).toEqual([root]);
    expect(data.author?.login).toBe('github-actions[bot]');
    expect(
      data.files?.map((file) => [file.filename, file.status, file.additions, file.deletions]),
    ).toEqual([
      ['README.md', 'modified', 1, 0],
      ['services/api/main.ts', 'added', 2, 0],
    ]);
    expect(data.stats).toEqual({ additions: 3, deletions: 0, total: 3 });
  });

  it('answers 422 "No commit found for SHA" for an unknown ref', async () => {
    const failure = await rejectionOf(
      productionClient().rest.repos.getCommit({
        owner: 'acme',
        repo: 'commits',
        ref: 'no-such-branch',
      }),
    );

    expect(failure.status).toBe(422);
    expect(validate.commitFailed(failure.data)).toEqual([]);
    expect(messageOf(failure.data)).toBe('No commit found for SHA: no-such-branch');
  });

  it('gets a git commit object by sha and 404s for anything else', async () => {
    const octokit = productionClient();
    const { data } = await octokit.rest.git.getCommit({
      owner: 'acme',
      repo: 'commits',
      commit_sha: head,
    });
    const missing = await rejectionOf(
      octokit.rest.git.getCommit({ owner: 'acme', repo: 'commits', commit_sha: 'main' }),
    );

    expect(validate.gitCommit(data)).toEqual([]);
    expect(data).toMatchObject({
      sha: head,
      parents: [{ sha: root }],
      message: 'feat: add service\n\nWith a body.',
    });
    expect(missing.status).toBe(404);
  });

  it('writes reproducible commits: the same steps give the same shas on another server', async () => {
    const other = await startGitHubServer();
    try {
      const twin = await other.createRepo('acme/commits');
      const twinHead = await twin.commit('feat: add service\n\nWith a body.', {
        'services/api/main.ts': 'one\ntwo\n',
        'README.md': '# commits\nmore\n',
      });

      expect(twinHead).toBe(head);
    } finally {
      await other.close();
    }
  });
});

describe('compare', () => {
  let repo: TestRepo;
  let forkPoint: string;
  let featureHead: string;
  let mainHead: string;

  beforeAll(async () => {
    repo = await server.createRepo('acme/compare');
    forkPoint = await repo.commit('chore: base', { 'apps/web/index.ts': 'base\n' });
    await repo.commit('feat: one', { 'apps/web/one.ts': '1\n' }, { branch: 'feature' });
    featureHead = await repo.commit(
      'feat: two',
      { 'apps/web/index.ts': 'changed\n' },
      { branch: 'feature' },
    );
    mainHead = await repo.commit('fix: on main', { 'apps/cms/x.ts': 'x\n' });
  });

  async function compare(basehead: string) {
    const { data } = await productionClient().rest.repos.compareCommitsWithBasehead({
      owner: 'acme',
      repo: 'compare',
      basehead,
    });
    expect(validate.compare(data)).toEqual([]);
    return data;
  }

  it('reports diverged branches with ahead/behind counts, commits and files', async () => {
    const data = await compare('main...feature');

    expect(data).toMatchObject({ status: 'diverged', ahead_by: 2, behind_by: 1, total_commits: 2 });
    expect(data.merge_base_commit.sha).toBe(forkPoint);
    expect(data.base_commit.sha).toBe(mainHead);
    expect(data.commits.map((commit) => commit.commit.message)).toEqual(['feat: one', 'feat: two']);
    expect(data.files?.map((file) => [file.filename, file.status])).toEqual([
      ['apps/web/index.ts', 'modified'],
      ['apps/web/one.ts', 'added'],
    ]);
    expect(await gitIn(repo.gitDir, 'rev-list', '--count', 'main..feature')).toBe('2');
  });

  it.each([
    ['ahead', 'forkPoint...main', 1, 0],
    ['behind', 'main...forkPoint', 0, 1],
    ['identical', 'main...main', 0, 0],
  ])('reports %s', async (status, basehead, aheadBy, behindBy) => {
    const data = await compare(basehead.replace('forkPoint', forkPoint));

    expect(data).toMatchObject({ status, ahead_by: aheadBy, behind_by: behindBy });
  });

  it('compares tags and shas, and 404s for unknown ones', async () => {
    await repo.createTag('web/v1.0.0', forkPoint);
    const data = await compare(`web/v1.0.0...${featureHead}`);
    const missing = await rejectionOf(
      productionClient().rest.repos.compareCommitsWithBasehead({
        owner: 'acme',
        repo: 'compare',
        basehead: 'main...nope',
      }),
    );

    expect(data).toMatchObject({ status: 'ahead', ahead_by: 2 });
    expect(missing.status).toBe(404);
  });
});

describe('checks and statuses', () => {
  let repo: TestRepo;
  let sha: string;

  beforeAll(async () => {
    repo = await server.createRepo('acme/checks');
    sha = await repo.head();
    repo.addCheckRun(sha, { name: 'build', conclusion: 'failure' });
    repo.addCheckRun(sha, { name: 'build' });
    repo.addCheckRun(sha, { name: 'lint', status: 'in_progress' });
  });

  it('lists the latest check run per name for a ref', async () => {
    const { data } = await productionClient().rest.checks.listForRef({
      owner: 'acme',
      repo: 'checks',
      ref: 'main',
    });

    expect(validate.checkRuns(data)).toEqual([]);
    expect(data.total_count).toBe(2);
    const byName = Object.fromEntries(
      data.check_runs.map((run) => [run.name, [run.status, run.conclusion]]),
    );
    expect(byName).toEqual({ build: ['completed', 'success'], lint: ['in_progress', null] });
    expect(data.check_runs.every((run) => run.head_sha === sha)).toBe(true);
  });

  it('filters by check_name, keeps every run with filter=all and paginates', async () => {
    const octokit = productionClient();
    const lint = await octokit.rest.checks.listForRef({
      owner: 'acme',
      repo: 'checks',
      ref: sha,
      check_name: 'lint',
    });
    const all = await octokit.rest.checks.listForRef({
      owner: 'acme',
      repo: 'checks',
      ref: sha,
      filter: 'all',
    });
    const paged = await octokit.rest.checks.listForRef({
      owner: 'acme',
      repo: 'checks',
      ref: sha,
      filter: 'all',
      per_page: 1,
    });

    expect(lint.data.check_runs.map((run) => run.name)).toEqual(['lint']);
    expect(all.data.total_count).toBe(3);
    expect(paged.data.check_runs).toHaveLength(1);
    expect(paged.data.total_count).toBe(3);
    expect(paged.headers.link).toMatch(/[?&]page=3>; rel="last"/);
  });

  it('combines commit statuses the way GitHub does', async () => {
    const octokit = productionClient();
    const combined = async () => {
      const { data } = await octokit.rest.repos.getCombinedStatusForRef({
        owner: 'acme',
        repo: 'checks',
        ref: 'main',
      });
      expect(validate.status(data)).toEqual([]);
      return data;
    };

    expect(await combined()).toMatchObject({ state: 'pending', total_count: 0, sha });
    repo.addStatus(sha, { context: 'ci', state: 'success' });
    repo.addStatus(sha, { context: 'deploy', state: 'pending' });
    expect((await combined()).state).toBe('pending');
    repo.addStatus(sha, { context: 'deploy', state: 'success' });
    const allGreen = await combined();
    expect(allGreen).toMatchObject({ state: 'success', total_count: 2 });
    repo.addStatus(sha, { context: 'lint', state: 'failure' });
    expect((await combined()).state).toBe('failure');
  });
});

describe('releases', () => {
  let repo: TestRepo;

  beforeAll(async () => {
    repo = await server.createRepo('acme/releases');
    repo.createRelease('v0.9.0', { name: 'Old release' });
  });

  it('creates a release and its tag at target_commitish', async () => {
    const target = await repo.commit('feat: release me', { 'a.txt': 'a\n' });
    const { data, status } = await productionClient().rest.repos.createRelease({
      owner: 'acme',
      repo: 'releases',
      tag_name: 'v1.0.0',
      target_commitish: 'main',
      name: 'v1.0.0',
      body: 'Notes',
    });

    expect(status).toBe(201);
    expect(validate.createdRelease(data)).toEqual([]);
    expect(data).toMatchObject({
      tag_name: 'v1.0.0',
      draft: false,
      prerelease: false,
      body: 'Notes',
    });
    expect(await gitIn(repo.gitDir, 'rev-parse', 'refs/tags/v1.0.0')).toBe(target);
  });

  it('rejects a second release for the same tag with already_exists', async () => {
    const failure = await rejectionOf(
      bareClient().rest.repos.createRelease({
        owner: 'acme',
        repo: 'releases',
        tag_name: 'v1.0.0',
      }),
    );

    expect(failure.status).toBe(422);
    expect(validate.createReleaseFailed(failure.data)).toEqual([]);
    expect(failure.data).toMatchObject({
      errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
    });
  });

  it('gets a release by tag, but not drafts, which get no tag', async () => {
    const octokit = bareClient();
    await octokit.rest.repos.createRelease({
      owner: 'acme',
      repo: 'releases',
      tag_name: 'v2.0.0',
      draft: true,
    });
    const byTag = await octokit.rest.repos.getReleaseByTag({
      owner: 'acme',
      repo: 'releases',
      tag: 'v1.0.0',
    });
    const draft = await rejectionOf(
      octokit.rest.repos.getReleaseByTag({ owner: 'acme', repo: 'releases', tag: 'v2.0.0' }),
    );

    expect(validate.releaseByTag(byTag.data)).toEqual([]);
    expect(byTag.data.tag_name).toBe('v1.0.0');
    expect(draft.status).toBe(404);
    expect((await repo.tags()).has('v2.0.0')).toBe(false);
  });

  it('lists releases newest first with pagination', async () => {
    const octokit = productionClient();
    const firstPage = await octokit.rest.repos.listReleases({
      owner: 'acme',
      repo: 'releases',
      per_page: 2,
    });
    const all = await octokit.paginate(octokit.rest.repos.listReleases, {
      owner: 'acme',
      repo: 'releases',
      per_page: 2,
    });

    expect(validate.releases(all)).toEqual([]);
    expect(firstPage.headers.link).toMatch(/rel="next"/);
    expect(all.map((release) => release.tag_name)).toEqual(['v2.0.0', 'v1.0.0', 'v0.9.0']);
  });
});

describe('git data', () => {
  let repo: TestRepo;
  let root: string;
  const params = { owner: 'acme', repo: 'git-data' };

  beforeAll(async () => {
    repo = await server.createRepo('acme/git-data');
    root = await repo.commit('chore: layout', {
      'apps/cms/values.yaml': 'image:\n  tag: v0.0.1\n',
      'apps/web/values.yaml': 'image:\n  tag: v1.0.0\n',
    });
  });

  it('stores blobs from utf-8 and base64 content, byte for byte', async () => {
    const octokit = bareClient();
    const binary = Buffer.from([0, 159, 146, 150, 255, 10]);
    const text = await octokit.rest.git.createBlob({ ...params, content: 'héllo\n' });
    const bytes = await octokit.rest.git.createBlob({
      ...params,
      content: binary.toString('base64'),
      encoding: 'base64',
    });
    const read = await octokit.rest.git.getBlob({ ...params, file_sha: bytes.data.sha });

    expect(text.status).toBe(201);
    expect(validate.createdBlob(text.data)).toEqual([]);
    expect(validate.blob(read.data)).toEqual([]);
    expect(await gitIn(repo.gitDir, 'cat-file', 'blob', text.data.sha)).toBe('héllo');
    expect(Buffer.from(read.data.content, 'base64')).toEqual(binary);
    expect(read.data.size).toBe(binary.length);
  });

  it('builds a tree on base_tree from content, sha and deletions, and lists it recursively', async () => {
    const octokit = bareClient();
    const baseTree = await gitIn(repo.gitDir, 'rev-parse', `${root}^{tree}`);
    const blob = await octokit.rest.git.createBlob({ ...params, content: 'new file\n' });
    const { data, status } = await octokit.rest.git.createTree({
      ...params,
      base_tree: baseTree,
      tree: [
        {
          path: 'apps/cms/values.yaml',
          mode: '100644',
          type: 'blob',
          content: 'image:\n  tag: v0.0.2\n',
        },
        { path: 'docs/notes.md', mode: '100644', type: 'blob', sha: blob.data.sha },
        { path: 'apps/web/values.yaml', mode: '100644', type: 'blob', sha: null },
      ],
    });
    const listed = await octokit.rest.git.getTree({
      ...params,
      tree_sha: data.sha,
      recursive: '1',
    });

    expect(status).toBe(201);
    expect(validate.createdTree(data)).toEqual([]);
    expect(validate.tree(listed.data)).toEqual([]);
    expect(listed.data.tree.map((entry) => [entry.path, entry.type])).toEqual([
      ['README.md', 'blob'],
      ['apps', 'tree'],
      ['apps/cms', 'tree'],
      ['apps/cms/values.yaml', 'blob'],
      ['docs', 'tree'],
      ['docs/notes.md', 'blob'],
    ]);
    expect(await gitIn(repo.gitDir, 'show', `${data.sha}:apps/cms/values.yaml`)).toBe(
      'image:\n  tag: v0.0.2',
    );
  });

  it('refuses to delete a path the base tree lacks, and entries with both sha and content', async () => {
    const octokit = bareClient();
    const baseTree = await gitIn(repo.gitDir, 'rev-parse', `${root}^{tree}`);
    const missing = await rejectionOf(
      octokit.rest.git.createTree({
        ...params,
        base_tree: baseTree,
        tree: [{ path: 'nope.txt', mode: '100644', type: 'blob', sha: null }],
      }),
    );
    const both = await rejectionOf(
      octokit.request('POST /repos/{owner}/{repo}/git/trees', {
        ...params,
        tree: [{ path: 'a', mode: '100644', type: 'blob', sha: 'a'.repeat(40), content: 'x' }],
      }),
    );

    expect(missing.status).toBe(422);
    expect(validate.createTreeFailed(missing.data)).toEqual([]);
    expect(messageOf(missing.data)).toBe('GitRPC::BadObjectState');
    expect(both.status).toBe(422);
    expect(messageOf(both.data)).toMatch(/either tree.sha or tree.content/);
  });

  it('creates commits with the author given (or the bot) that git log shows', async () => {
    const octokit = bareClient();
    const tree = await gitIn(repo.gitDir, 'rev-parse', `${root}^{tree}`);
    const byPerson = await octokit.rest.git.createCommit({
      ...params,
      message: 'chore: by a person\n\nWith a body.',
      tree,
      parents: [root],
      author: { name: 'Ada Lovelace', email: 'ada@example.com', date: '2024-02-03T04:05:06Z' },
    });
    const byBot = await octokit.rest.git.createCommit({
      ...params,
      message: 'chore: by the bot',
      tree,
      parents: [byPerson.data.sha],
    });

    expect(byPerson.status).toBe(201);
    expect(validate.createdCommit(byPerson.data)).toEqual([]);
    expect(byPerson.data).toMatchObject({
      author: { name: 'Ada Lovelace', email: 'ada@example.com', date: '2024-02-03T04:05:06Z' },
      committer: { name: 'Ada Lovelace' },
      parents: [{ sha: root }],
    });
    expect(
      await gitIn(repo.gitDir, 'log', '--format=%an <%ae> %aI|%cn|%s', '-n', '2', byBot.data.sha),
    ).toBe(
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com> ' +
        `${await gitIn(repo.gitDir, 'log', '-1', '--format=%aI', byBot.data.sha)}|github-actions[bot]|chore: by the bot\n` +
        'Ada Lovelace <ada@example.com> 2024-02-03T04:05:06+00:00|Ada Lovelace|chore: by a person',
    );
  });

  it('moves a ref only as a fast-forward unless forced, and deletes it', async () => {
    const octokit = bareClient();
    const tree = await gitIn(repo.gitDir, 'rev-parse', `${root}^{tree}`);
    const commitOn = async (parent: string, message: string) =>
      (await octokit.rest.git.createCommit({ ...params, message, tree, parents: [parent] })).data
        .sha;
    await octokit.rest.git.createRef({ ...params, ref: 'refs/heads/topic', sha: root });
    const ahead = await commitOn(root, 'ahead');
    const sideways = await commitOn(root, 'sideways');

    const forward = await octokit.rest.git.updateRef({ ...params, ref: 'heads/topic', sha: ahead });
    const refused = await rejectionOf(
      octokit.rest.git.updateRef({ ...params, ref: 'heads/topic', sha: sideways }),
    );
    expect(await gitIn(repo.gitDir, 'rev-parse', 'refs/heads/topic')).toBe(ahead);
    const forced = await octokit.rest.git.updateRef({
      ...params,
      ref: 'heads/topic',
      sha: sideways,
      force: true,
    });
    const deleted = await octokit.rest.git.deleteRef({ ...params, ref: 'heads/topic' });
    const deletedAgain = await rejectionOf(
      octokit.rest.git.deleteRef({ ...params, ref: 'heads/topic' }),
    );
    const missing = await rejectionOf(
      octokit.rest.git.updateRef({ ...params, ref: 'heads/nope', sha: ahead }),
    );

    expect(validate.updatedRef(forward.data)).toEqual([]);
    expect(forward.data.object.sha).toBe(ahead);
    expect(refused.status).toBe(422);
    expect(validate.updateRefFailed(refused.data)).toEqual([]);
    expect(messageOf(refused.data)).toBe('Update is not a fast forward');
    expect(forced.data.object.sha).toBe(sideways);
    expect(deleted.status).toBe(204);
    expect(await gitIn(repo.gitDir, 'for-each-ref', 'refs/heads/topic')).toBe('');
    expect([deletedAgain.status, messageOf(deletedAgain.data)]).toEqual([
      422,
      'Reference does not exist',
    ]);
    expect(messageOf(missing.data)).toBe('Reference does not exist');
  });

  it('reads files and directories through the contents API at a ref', async () => {
    const octokit = bareClient();
    const newer = await repo.commit('chore: bump', {
      'apps/cms/values.yaml': 'image:\n  tag: v0.0.9\n',
    });
    const file = await octokit.rest.repos.getContent({
      ...params,
      path: 'apps/cms/values.yaml',
      ref: root,
    });
    const latest = await octokit.rest.repos.getContent({ ...params, path: 'apps/cms/values.yaml' });
    const directory = await octokit.rest.repos.getContent({ ...params, path: 'apps' });
    const missing = await rejectionOf(
      octokit.rest.repos.getContent({ ...params, path: 'apps/none.yaml' }),
    );

    for (const { data } of [file, latest, directory]) expect(validate.content(data)).toEqual([]);
    const decoded = (data: unknown) =>
      isRecord(data) && typeof data.content === 'string'
        ? Buffer.from(data.content, 'base64').toString('utf8')
        : undefined;
    expect(decoded(file.data)).toBe('image:\n  tag: v0.0.1\n');
    expect(decoded(latest.data)).toBe('image:\n  tag: v0.0.9\n');
    expect(file.data).toMatchObject({
      type: 'file',
      sha: await gitIn(repo.gitDir, 'rev-parse', `${root}:apps/cms/values.yaml`),
    });
    expect(
      Array.isArray(directory.data) && directory.data.map((entry) => [entry.path, entry.type]),
    ).toEqual([
      ['apps/cms', 'dir'],
      ['apps/web', 'dir'],
    ]);
    expect(missing.status).toBe(404);
    expect(await repo.head()).toBe(newer);
  });

  it('lists commits of a ref, newest first, paginated', async () => {
    const octokit = bareClient();
    const firstPage = await octokit.rest.repos.listCommits({ ...params, sha: 'main', per_page: 2 });
    const all = await octokit.paginate(octokit.rest.repos.listCommits, { ...params, per_page: 2 });

    expect(validate.commits(firstPage.data)).toEqual([]);
    expect(firstPage.headers.link).toMatch(/rel="next"/);
    expect(all.map((commit) => commit.sha)).toEqual(
      (await gitIn(repo.gitDir, 'rev-list', 'main')).split('\n'),
    );
  });
});

describe('pull requests', () => {
  let repo: TestRepo;
  const params = { owner: 'acme', repo: 'pulls' };

  beforeAll(async () => {
    repo = await server.createRepo('acme/pulls');
    repo.addCollaborator('Reviewer-One');
    repo.addTeam('cms-infrastructure');
    await repo.commit(
      'feat: one',
      { 'apps/cms/values.yaml': 'tag: v1\n' },
      { branch: 'release/one' },
    );
    await repo.commit(
      'feat: two',
      { 'apps/cms/values.yaml': 'tag: v2\n' },
      { branch: 'release/two' },
    );
    await repo.commit(
      'feat: squash me',
      { 'apps/web.yaml': 'x: 1\n' },
      { branch: 'release/squash' },
    );
  });

  it('opens a pull request (201) with GitHub shape, and refuses a second for the same head', async () => {
    const octokit = bareClient();
    const { data, status } = await octokit.rest.pulls.create({
      ...params,
      head: 'acme:release/one',
      base: 'main',
      title: 'Release v1',
      body: 'Notes',
      draft: true,
    });
    const again = await rejectionOf(
      octokit.rest.pulls.create({ ...params, head: 'release/one', base: 'main', title: 'again' }),
    );
    const empty = await rejectionOf(
      octokit.rest.pulls.create({ ...params, head: 'main', base: 'main', title: 'nothing' }),
    );
    const noBase = await rejectionOf(
      octokit.rest.pulls.create({ ...params, head: 'release/one', base: 'nope', title: 'x' }),
    );

    expect(status).toBe(201);
    expect(validate.createdPull(data)).toEqual([]);
    expect(data).toMatchObject({
      number: 1,
      state: 'open',
      draft: true,
      title: 'Release v1',
      head: { ref: 'release/one', sha: await repo.head('release/one'), label: 'acme:release/one' },
      base: { ref: 'main', sha: await repo.head() },
      commits: 1,
      changed_files: 1,
      mergeable: true,
      mergeable_state: 'draft',
      auto_merge: null,
    });
    expect(again.status).toBe(422);
    expect(validate.createPullFailed(again.data)).toEqual([]);
    expect(again.data).toMatchObject({
      message: 'Validation Failed',
      errors: [{ message: 'A pull request already exists for acme:release/one.' }],
    });
    expect(empty.data).toMatchObject({ errors: [{ message: 'No commits between main and main' }] });
    expect(noBase.data).toMatchObject({ errors: [{ field: 'base', code: 'invalid' }] });
  });

  it('lists pull requests filtered by head, base and state, newest first, paginated', async () => {
    const octokit = bareClient();
    await octokit.rest.pulls.create({
      ...params,
      head: 'release/two',
      base: 'main',
      title: 'Release v2',
    });
    const byHead = await octokit.rest.pulls.list({ ...params, head: 'acme:release/two' });
    const otherOwner = await octokit.rest.pulls.list({ ...params, head: 'someone:release/two' });
    const firstPage = await octokit.rest.pulls.list({ ...params, base: 'main', per_page: 1 });
    const closed = await octokit.rest.pulls.list({ ...params, state: 'closed' });

    expect(validate.pulls(firstPage.data)).toEqual([]);
    expect(byHead.data.map((pull) => pull.number)).toEqual([2]);
    expect(otherOwner.data).toEqual([]);
    expect(firstPage.data.map((pull) => pull.number)).toEqual([2]);
    expect(firstPage.headers.link).toMatch(/rel="next"/);
    expect(closed.data).toEqual([]);
  });

  it('labels (created on the fly), comments and updates a pull request', async () => {
    const octokit = bareClient();
    const labelled = await octokit.rest.issues.addLabels({
      ...params,
      issue_number: 1,
      labels: ['release', 'cms'],
    });
    await octokit.rest.issues.addLabels({ ...params, issue_number: 1, labels: ['Release'] });
    const labels = await octokit.rest.issues.listLabelsOnIssue({ ...params, issue_number: 1 });
    const comment = await octokit.rest.issues.createComment({
      ...params,
      issue_number: 1,
      body: 'Deploying soon',
    });
    const comments = await octokit.rest.issues.listComments({ ...params, issue_number: 1 });
    const updated = await octokit.rest.pulls.update({
      ...params,
      pull_number: 1,
      title: 'Release v1 (updated)',
    });
    const one = await octokit.rest.pulls.get({ ...params, pull_number: 1 });

    expect(validate.addedLabels(labelled.data)).toEqual([]);
    expect(validate.labels(labels.data)).toEqual([]);
    expect(labels.data.map((label) => label.name)).toEqual(['release', 'cms']);
    expect(comment.status).toBe(201);
    expect(validate.createdComment(comment.data)).toEqual([]);
    expect(validate.comments(comments.data)).toEqual([]);
    expect(comments.data.map((entry) => entry.body)).toEqual(['Deploying soon']);
    expect(validate.updatedPull(updated.data)).toEqual([]);
    expect(validate.pull(one.data)).toEqual([]);
    expect(one.data).toMatchObject({ title: 'Release v1 (updated)', comments: 1 });
  });

  it('requests reviews from collaborators and teams; 422 for anyone else, requesting none', async () => {
    const octokit = bareClient();
    const requested = await octokit.rest.pulls.requestReviewers({
      ...params,
      pull_number: 1,
      reviewers: ['reviewer-one'],
      team_reviewers: ['cms-infrastructure'],
    });
    const refused = await rejectionOf(
      octokit.rest.pulls.requestReviewers({
        ...params,
        pull_number: 2,
        reviewers: ['reviewer-one', 'stranger'],
      }),
    );
    const listed = await octokit.rest.pulls.listRequestedReviewers({ ...params, pull_number: 1 });

    expect(requested.status).toBe(201);
    expect(validate.requestedReviewers(requested.data)).toEqual([]);
    expect(validate.reviewRequests(listed.data)).toEqual([]);
    expect(listed.data.users.map((user) => user.login)).toEqual(['Reviewer-One']);
    expect(listed.data.teams.map((team) => team.slug)).toEqual(['cms-infrastructure']);
    expect(refused.status).toBe(422);
    expect(messageOf(refused.data)).toBe(
      'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/pulls repository.',
    );
    const [first, second] = await repo.pulls();
    expect(first).toMatchObject({
      number: 1,
      draft: true,
      labels: ['release', 'cms'],
      requestedReviewers: ['Reviewer-One'],
      requestedTeams: ['cms-infrastructure'],
      comments: ['Deploying soon'],
    });
    expect(second?.requestedReviewers).toEqual([]);
  });

  it('merges with a real merge commit and squashes, moving the base branch', async () => {
    const octokit = bareClient();
    const draftRefused = await rejectionOf(octokit.rest.pulls.merge({ ...params, pull_number: 1 }));
    const baseBefore = await repo.head();
    const twoHead = await repo.head('release/two');
    const merged = await octokit.rest.pulls.merge({ ...params, pull_number: 2 });
    const squashPull = await octokit.rest.pulls.create({
      ...params,
      head: 'release/squash',
      base: 'main',
      title: 'Squash me',
    });
    const squashed = await octokit.rest.pulls.merge({
      ...params,
      pull_number: squashPull.data.number,
      merge_method: 'squash',
    });

    expect(draftRefused.status).toBe(405);
    expect(validate.mergeRefused(draftRefused.data)).toEqual([]);
    expect(validate.merged(merged.data)).toEqual([]);
    expect(merged.data.merged).toBe(true);
    expect(await gitIn(repo.gitDir, 'log', '-1', '--format=%P|%s', merged.data.sha)).toBe(
      `${baseBefore} ${twoHead}|Merge pull request #2 from release/two`,
    );
    expect(await gitIn(repo.gitDir, 'log', '-1', '--format=%P|%s', squashed.data.sha)).toBe(
      `${merged.data.sha}|Squash me (#3)`,
    );
    expect(await repo.head()).toBe(squashed.data.sha);
    expect(await gitIn(repo.gitDir, 'show', 'main:apps/web.yaml')).toBe('x: 1');
    const pulls = await repo.pulls();
    expect(pulls.map((pull) => [pull.number, pull.state, pull.merged])).toEqual([
      [1, 'open', false],
      [2, 'closed', true],
      [3, 'closed', true],
    ]);
  });

  it('closes the open pull requests of a deleted head branch, as GitHub does', async () => {
    const octokit = bareClient();
    await repo.commit('feat: doomed', { 'doomed.txt': 'x\n' }, { branch: 'release/doomed' });
    const opened = await repo.openPullRequest({
      head: 'release/doomed',
      title: 'Doomed',
      labels: ['release'],
    });
    await octokit.rest.git.deleteRef({ ...params, ref: 'heads/release/doomed' });
    const { data } = await octokit.rest.pulls.get({ ...params, pull_number: opened.number });

    expect(data.state).toBe('closed');
    expect(validate.pull(data)).toEqual([]);
  });
});

describe('graphql', () => {
  let repo: TestRepo;
  let nodeId: string;

  beforeAll(async () => {
    repo = await server.createRepo('acme/graphql');
    await repo.commit('feat: x', { 'x.txt': 'x\n' }, { branch: 'release/x' });
    nodeId = (await repo.openPullRequest({ head: 'release/x', title: 'X' })).nodeId;
  });

  const readAutoMerge = `query($owner: String!, $name: String!, $number: Int!) {
    repository(owner: $owner, name: $name) {
      pullRequest(number: $number) { number autoMergeRequest { mergeMethod enabledBy { login } } }
    }
  }`;

  it('enables auto-merge by node id and reads it back by number and by node', async () => {
    const octokit = productionClient();
    const enabled = await octokit.graphql<{
      enablePullRequestAutoMerge: { pullRequest: { autoMergeRequest: { mergeMethod: string } } };
    }>(
      `mutation($id: ID!) {
        enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: SQUASH}) {
          pullRequest { autoMergeRequest { mergeMethod } }
        }
      }`,
      { id: nodeId },
    );
    const byNumber = await octokit.graphql(readAutoMerge, {
      owner: 'acme',
      name: 'graphql',
      number: 1,
    });
    const byNode = await octokit.graphql(
      `{ node(id: "${nodeId}") { __typename ... on PullRequest { state isDraft am: autoMergeRequest { mergeMethod } } } }`,
    );
    const { data: rest } = await octokit.rest.pulls.get({
      owner: 'acme',
      repo: 'graphql',
      pull_number: 1,
    });

    expect(enabled.enablePullRequestAutoMerge.pullRequest.autoMergeRequest.mergeMethod).toBe(
      'SQUASH',
    );
    expect(byNumber).toEqual({
      repository: {
        pullRequest: {
          number: 1,
          autoMergeRequest: { mergeMethod: 'SQUASH', enabledBy: { login: 'github-actions[bot]' } },
        },
      },
    });
    expect(byNode).toEqual({
      node: {
        __typename: 'PullRequest',
        state: 'OPEN',
        isDraft: false,
        am: { mergeMethod: 'SQUASH' },
      },
    });
    expect(validate.pull(rest)).toEqual([]);
    expect(rest.auto_merge).toMatchObject({
      merge_method: 'squash',
      enabled_by: { login: 'github-actions[bot]' },
    });
    expect((await repo.pulls())[0]?.autoMerge).toEqual({
      mergeMethod: 'squash',
      enabledBy: 'github-actions[bot]',
    });
  });

  it("answers GitHub's errors: unknown fields, unknown nodes, auto-merge not allowed", async () => {
    const octokit = bareClient();
    const unknownField = await octokit
      .graphql('{ repository(owner: "acme", name: "graphql") { pullRequest(number: 1) { nope } } }')
      .catch((error: unknown) => error);
    const unknownNode = await octokit
      .graphql(
        'mutation { enablePullRequestAutoMerge(input: {pullRequestId: "PR_nope"}) { clientMutationId } }',
      )
      .catch((error: unknown) => error);
    repo.setAllowAutoMerge(false);
    const notAllowed = await octokit
      .graphql(
        'mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id}) { clientMutationId } }',
        { id: nodeId },
      )
      .catch((error: unknown) => error);
    repo.setAllowAutoMerge(true);

    const errorsOf = (error: unknown) =>
      isRecord(error) && Array.isArray(error.errors) ? (error.errors as unknown[]) : undefined;
    expect(errorsOf(unknownField)).toEqual([
      expect.objectContaining({
        message: "Field 'nope' doesn't exist on type 'PullRequest'",
        extensions: expect.objectContaining({ code: 'undefinedField' }) as unknown,
      }),
    ]);
    expect(errorsOf(unknownNode)).toEqual([
      expect.objectContaining({ type: 'NOT_FOUND', path: ['enablePullRequestAutoMerge'] }),
    ]);
    expect(errorsOf(notAllowed)).toEqual([
      expect.objectContaining({
        type: 'UNPROCESSABLE',
        message: 'Pull request Auto merge is not allowed for this repository',
      }),
    ]);
  });
});

describe('token permissions', () => {
  let repo: TestRepo;
  const params = { owner: 'acme', repo: 'permissions' };

  beforeAll(async () => {
    repo = await server.createRepo('acme/permissions');
    repo.setTokenPermissions('read-token', { contents: 'read', pull_requests: 'read' });
    repo.setTokenPermissions('no-pulls-token', { contents: 'write' });
  });

  it('answers 403 with x-accepted-github-permissions for writes the token may not do', async () => {
    const readOnly = getOctokit('read-token', { baseUrl: server.url });
    const noPulls = getOctokit('no-pulls-token', { baseUrl: server.url });
    const tree = await readOnly.rest.git.getTree({ ...params, tree_sha: 'main' });
    const write = await rejectionOf(
      readOnly.rest.git.createRef({ ...params, ref: 'refs/heads/x', sha: await repo.head() }),
    );
    const pulls = await rejectionOf(noPulls.rest.pulls.list(params));
    const labels = await rejectionOf(
      noPulls.rest.issues.addLabels({ ...params, issue_number: 1, labels: ['x'] }),
    );
    const anyToken = await bareClient().rest.pulls.list(params);

    expect(tree.status).toBe(200);
    expect(write.status).toBe(403);
    expect(validate.createPullForbidden(write.data)).toEqual([]);
    expect(messageOf(write.data)).toBe('Resource not accessible by integration');
    expect(write.headers['x-accepted-github-permissions']).toBe('contents=write');
    expect(pulls.headers['x-accepted-github-permissions']).toBe('pull_requests=read');
    expect(labels.headers['x-accepted-github-permissions']).toBe(
      'issues=write; pull_requests=write',
    );
    expect(anyToken.status).toBe(200);
    expect(await gitIn(repo.gitDir, 'for-each-ref', 'refs/heads/x')).toBe('');
    expect(server.requests.filter((request) => request.token === 'read-token')).toHaveLength(2);
  });
});

describe('compare pagination and request hooks', () => {
  let repo: TestRepo;
  let first: string;

  beforeAll(async () => {
    repo = await server.createRepo('acme/paged-compare');
    first = await repo.head();
    await repo.createTag('v1', first);
    for (let index = 1; index <= 5; index++) {
      await repo.commit(`feat: change ${String(index)}`, {
        [`f${String(index)}.txt`]: `${String(index)}\n`,
      });
    }
  });

  it('pages the commits of a tag...branch comparison with per_page/page', async () => {
    const octokit = bareClient();
    const pages = await Promise.all(
      [1, 2, 3].map((page) =>
        octokit.rest.repos.compareCommitsWithBasehead({
          owner: 'acme',
          repo: 'paged-compare',
          basehead: 'v1...main',
          per_page: 2,
          page,
        }),
      ),
    );

    for (const { data } of pages) expect(validate.compare(data)).toEqual([]);
    expect(pages.map(({ data }) => data.commits.map((commit) => commit.commit.message))).toEqual([
      ['feat: change 1', 'feat: change 2'],
      ['feat: change 3', 'feat: change 4'],
      ['feat: change 5'],
    ]);
    expect(pages[0]?.data.total_commits).toBe(5);
    expect(pages[0]?.headers.link).toMatch(/[?&]page=3>; rel="last"/);
    expect(pages[0]?.data.commits[0]).toMatchObject({
      html_url: expect.stringContaining('/commit/') as unknown,
      author: { login: 'github-actions[bot]' },
    });
  });

  it("runs a 'before' hook ahead of the request, which then sees its effect", async () => {
    const pushed: string[] = [];
    server.faults.add({
      route: 'GET /repos/acme/paged-compare/git/ref/heads/main',
      kind: 'before',
      before: async () => {
        pushed.push(await repo.commit('chore: concurrent push', { 'late.txt': 'late\n' }));
      },
    });
    const { data } = await bareClient().rest.git.getRef({
      owner: 'acme',
      repo: 'paged-compare',
      ref: 'heads/main',
    });

    expect(pushed).toHaveLength(1);
    expect(data.object.sha).toBe(pushed[0]);
  });
});

describe('faults', () => {
  beforeAll(async () => {
    await server.createRepo('acme/faults');
  });

  it('answers a server error once, then the retry plugin succeeds', async () => {
    server.faults.add({ route: 'GET /repos/acme/faults/git/ref/heads/main', kind: 'server-error' });
    const { status } = await productionClient().rest.git.getRef({
      owner: 'acme',
      repo: 'faults',
      ref: 'heads/main',
    });

    expect(status).toBe(200);
    expect(statusesFor('/repos/acme/faults/git/ref/heads/main')).toEqual([502, 200]);
  }, 10_000);

  it('answers a secondary rate limit that the throttling plugin waits out', async () => {
    const limitCalls: LimitCalls = { secondary: [], primary: [] };
    server.faults.add({
      route: /^GET \/repos\/acme\/faults$/,
      kind: 'secondary-rate-limit',
      retryAfterSeconds: 1,
    });
    const started = Date.now();
    const { status } = await productionClient(limitCalls).rest.repos.get({
      owner: 'acme',
      repo: 'faults',
    });

    expect(status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(limitCalls.secondary).toEqual([1]);
    expect(statusesFor('/repos/acme/faults')).toEqual([403, 200]);
  }, 10_000);

  it('answers 429 with rate-limit headers; the retry plugin tries again', async () => {
    server.faults.add({ route: 'GET /repos/acme/faults/releases', kind: 'rate-limit', times: 2 });
    const limited = await rejectionOf(
      bareClient().rest.repos.listReleases({ owner: 'acme', repo: 'faults' }),
    );
    const { status } = await productionClient().rest.repos.listReleases({
      owner: 'acme',
      repo: 'faults',
    });

    expect(limited.status).toBe(429);
    expect(limited.headers).toMatchObject({ 'retry-after': '1', 'x-ratelimit-remaining': '0' });
    expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000 - 1);
    expect(status).toBe(200);
    expect(statusesFor('/repos/acme/faults/releases')).toEqual([429, 429, 200]);
  }, 10_000);

  it('answers a 403 primary rate limit that the throttling plugin waits out', async () => {
    const limitCalls: LimitCalls = { secondary: [], primary: [] };
    const path = '/repos/acme/faults/git/matching-refs/heads/';
    server.faults.add({ route: `GET ${path}`, kind: 'rate-limit', rateLimitStatus: 403 });
    const { data } = await productionClient(limitCalls).rest.git.listMatchingRefs({
      owner: 'acme',
      repo: 'faults',
      ref: 'heads/',
    });

    expect(data.map((ref) => ref.ref)).toEqual(['refs/heads/main']);
    expect(limitCalls.primary).toHaveLength(1);
    expect(limitCalls.primary[0]).toBeGreaterThanOrEqual(1);
    expect(statusesFor(path)).toEqual([403, 200]);
  }, 10_000);

  it('drops the connection: the client sees an error, the next request works', async () => {
    const octokit = bareClient();
    server.faults.add({ route: '/repos/acme/faults/commits/main', kind: 'drop' });
    const dropped = await rejectionOf(
      octokit.rest.repos.getCommit({ owner: 'acme', repo: 'faults', ref: 'main' }),
    );
    const next = await octokit.rest.repos.getCommit({ owner: 'acme', repo: 'faults', ref: 'main' });

    expect(dropped.status).toBe(500);
    expect(next.status).toBe(200);
    expect(statusesFor('/repos/acme/faults/commits/main')).toEqual([0, 200]);
  });

  it('delays a slow answer, long enough for a client timeout to fire', async () => {
    const octokit = bareClient();
    server.faults.add({ route: 'GET /repos/acme/faults/git/ref/', kind: 'slow', delayMs: 300 });
    const started = Date.now();
    await octokit.rest.git.getRef({ owner: 'acme', repo: 'faults', ref: 'heads/main' });
    const elapsed = Date.now() - started;
    server.faults.add({ route: 'GET /repos/acme/faults/git/ref/', kind: 'slow', delayMs: 1000 });
    const timedOut = octokit.rest.git.getRef({
      owner: 'acme',
      repo: 'faults',
      ref: 'heads/main',
      request: { signal: AbortSignal.timeout(100) },
    });

    expect(elapsed).toBeGreaterThanOrEqual(290);
    await expect(timedOut).rejects.toThrow();
  });

  it('applies a fault `times` times, only to matching requests, until cleared', async () => {
    const octokit = bareClient();
    server.faults.add({
      route: 'GET /repos/acme/faults/compare/',
      kind: 'server-error',
      status: 503,
      times: 2,
    });
    server.faults.add({ route: 'POST /never/matches', kind: 'drop' });
    const basehead = { owner: 'acme', repo: 'faults', basehead: 'main...main' };
    const first = await rejectionOf(octokit.rest.repos.compareCommitsWithBasehead(basehead));
    const second = await rejectionOf(octokit.rest.repos.compareCommitsWithBasehead(basehead));
    const third = await octokit.rest.repos.compareCommitsWithBasehead(basehead);

    expect([first.status, second.status, third.status]).toEqual([503, 503, 200]);
    expect(server.faults.pending).toBe(1);
    server.faults.clear();
    expect(server.faults.pending).toBe(0);
  });
});

describe('10,000 tags', () => {
  let repo: TestRepo;
  let createMs: number;

  beforeAll(async () => {
    repo = await server.createRepo('acme/many-tags');
    const sha = await repo.head();
    const started = Date.now();
    await repo.createTags(
      Array.from({ length: 10_000 }, (_, index) => `v0.0.${String(index)}`),
      sha,
    );
    createMs = Date.now() - started;
  }, 20_000);

  it('creates them in one git transaction within a couple of seconds', async () => {
    expect(createMs).toBeLessThan(3000);
    expect((await repo.tags()).size).toBe(10_000);
  });

  const listAll = (octokit: ReturnType<typeof bareClient>) =>
    octokit.paginate(octokit.rest.git.listMatchingRefs, {
      owner: 'acme',
      repo: 'many-tags',
      ref: 'tags/v0.0.',
      per_page: 100,
    });

  it('lists them through matching-refs, 100 per page, well under 3 s', async () => {
    const before = server.requests.length;
    const started = Date.now();
    const refs = await listAll(bareClient());
    const elapsed = Date.now() - started;

    expect(refs).toHaveLength(10_000);
    expect(server.requests.length - before).toBe(100);
    expect(elapsed).toBeLessThan(3000);
    const gitOrder = await gitIn(
      repo.gitDir,
      'for-each-ref',
      '--format=%(refname)',
      'refs/tags/v0.0.*',
    );
    expect(refs.map((ref) => ref.ref)).toEqual(gitOrder.split('\n'));
  }, 20_000);

  it('serves the production client stack from the cached ref list', async () => {
    const before = server.requests.length;
    const refs = await listAll(productionClient());
    const pages = server.requests.slice(before);
    // The retry and throttling plugins schedule every request through Bottleneck, which costs
    // them ~15 ms a page here; the server's own share must stay small.
    const serverMs = pages.reduce((sum, request) => sum + request.durationMs, 0);

    expect(refs).toHaveLength(10_000);
    expect(pages).toHaveLength(100);
    expect(pages.every((request) => request.status === 200)).toBe(true);
    expect(serverMs).toBeLessThan(1000);
  }, 20_000);
});

describe('close', () => {
  it('stops serving and removes the repositories from disk', async () => {
    const own = await startGitHubServer();
    const repo = await own.createRepo('acme/temporary');
    const octokit = getOctokit('test-token', { baseUrl: own.url });
    await octokit.rest.repos.get({ owner: 'acme', repo: 'temporary' });
    await own.close();

    expect(existsSync(repo.gitDir)).toBe(false);
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'temporary' })).rejects.toThrow();
  });
});
