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
