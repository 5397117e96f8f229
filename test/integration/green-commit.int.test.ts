import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../packages/cli/cli.js';
import { processExec } from '../../packages/docker/index.js';
import { createGitHubClient, GitHubRepository } from '../../packages/github/index.js';
import { silentLogger } from '../../packages/kit/index.js';
import { computeVersion, findNewestGreenCommit } from '../../packages/release/index.js';
import { VersionFormat } from '../../packages/version/index.js';
import {
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';

let server: GitHubTestServer;
let repoCount = 0;

// Each case makes a few real commits; on a shared 2-core machine that takes seconds.
jest.setTimeout(30_000);

beforeAll(async () => {
  server = await startGitHubServer();
});

afterAll(async () => {
  await server.close();
});

async function newRepo(): Promise<TestRepo> {
  repoCount += 1;
  return server.createRepo(`octo-org/app-${String(repoCount)}`);
}

function repositoryFor(repo: TestRepo): GitHubRepository {
  const client = createGitHubClient({
    token: 'ghs_test',
    baseUrl: server.url,
    logger: silentLogger,
    throttleId: `green-${repo.name}`,
  });
  return new GitHubRepository(client, { owner: repo.owner, repo: repo.name });
}

/** Makes `count` commits on the default branch; the answer gives HEAD~k for each. */
async function commits(repo: TestRepo, count: number): Promise<(stepsBack: number) => string> {
  const shas: string[] = [];
  for (let index = 0; index < count; index++) {
    shas.push(await repo.commit(`change ${String(index + 1)}`, { [`f${String(index)}.txt`]: 'x' }));
  }
  return (stepsBack) => {
    const sha = shas[shas.length - 1 - stepsBack];
    if (sha === undefined) throw new Error(`no HEAD~${String(stepsBack)}`);
    return sha;
  };
}

function green(repo: TestRepo, sha: string, names: readonly string[] = ['build', 'test']): void {
  for (const name of names) repo.addCheckRun(sha, { name, conclusion: 'success' });
}

const search = (repo: TestRepo, names: readonly string[], lookBack?: number) =>
  findNewestGreenCommit(repositoryFor(repo), repo.defaultBranch, names, {
    lookBack,
    logger: silentLogger,
  });

describe('findNewestGreenCommit against the GitHub test server', () => {
  it('passes over a red and a pending HEAD and chooses HEAD~2, saying why', async () => {
    const repo = await newRepo();
    const back = await commits(repo, 4);
    const [red, pending, chosen, older] = [back(0), back(1), back(2), back(3)];
    green(repo, older);
    green(repo, chosen);
    repo.addCheckRun(pending, { name: 'build', conclusion: 'success' });
    repo.addCheckRun(pending, { name: 'test', status: 'in_progress' });
    repo.addCheckRun(red, { name: 'build', conclusion: 'failure' });
    repo.addCheckRun(red, { name: 'test', conclusion: 'success' });

    const result = await search(repo, ['build', 'test']);
    expect(result.chosen?.sha).toBe(chosen);
    expect(result.chosen?.subject).toBe('change 2');
    expect(result.passedOver.map(({ sha, subject, reason }) => ({ sha, subject, reason }))).toEqual(
      [
        { sha: red, subject: 'change 4', reason: 'failed: build' },
        { sha: pending, subject: 'change 3', reason: 'pending: test' },
      ],
    );
    expect(result.reason).toBe(
      `commit ${chosen.slice(0, 7)} is the newest on main whose required checks (build, test) all succeeded; 2 newer commits were passed over`,
    );
  });

  it('reports a required check no check run or status reported as missing', async () => {
    const repo = await newRepo();
    const back = await commits(repo, 2);
    const [head, chosen] = [back(0), back(1)];
    green(repo, chosen, ['build', 'lint']);
    green(repo, head, ['build']);
    const result = await search(repo, ['build', 'lint']);
    expect(result.chosen?.sha).toBe(chosen);
    expect(result.passedOver.map((commit) => commit.reason)).toEqual(['missing: lint']);
  });

  it('counts a commit status for a name no check run has (legacy CI), failing or passing', async () => {
    const repo = await newRepo();
    const back = await commits(repo, 2);
    const [head, chosen] = [back(0), back(1)];
    green(repo, chosen, ['build']);
    repo.addStatus(chosen, { context: 'ci/jenkins', state: 'success' });
    green(repo, head, ['build']);
    repo.addStatus(head, { context: 'ci/jenkins', state: 'success' });
    // The newest status of a context wins, as in GitHub's combined status.
    repo.addStatus(head, { context: 'ci/jenkins', state: 'error' });
    const result = await search(repo, ['build', 'ci/jenkins']);
    expect(result.chosen?.sha).toBe(chosen);
    expect(result.passedOver.map((commit) => commit.reason)).toEqual(['failed: ci/jenkins']);
  });

  it('never lets a commit status named like a required check run turn that red run green', async () => {
    // Any writer can post a status (statuses: write); only the check run of that name counts.
    const repo = await newRepo();
    const back = await commits(repo, 2);
    const [head, chosen] = [back(0), back(1)];
    green(repo, chosen);
    repo.addCheckRun(head, { name: 'build', conclusion: 'failure' });
    repo.addCheckRun(head, { name: 'test', status: 'queued' });
    repo.addStatus(head, { context: 'build', state: 'success' });
    repo.addStatus(head, { context: 'test', state: 'success' });
    const result = await search(repo, ['build', 'test']);
    expect(result.chosen?.sha).toBe(chosen);
    expect(result.passedOver.map((commit) => commit.reason)).toEqual([
      'failed: build; pending: test',
    ]);
  });

  it('takes the newest run of a name: a re-run that succeeded after a failure is green', async () => {
    const repo = await newRepo();
    const back = await commits(repo, 2);
    const [head, older] = [back(0), back(1)];
    green(repo, older);
    repo.addCheckRun(head, { name: 'build', conclusion: 'failure' });
    repo.addCheckRun(head, { name: 'build', conclusion: 'success' });
    repo.addCheckRun(head, { name: 'test', conclusion: 'success' });
    repo.addCheckRun(head, { name: 'test', conclusion: 'failure' });
    const rerun = await search(repo, ['build']);
    expect(rerun.chosen?.sha).toBe(head);
    expect(rerun.passedOver).toEqual([]);
    // ...and the other way round: a failed re-run makes a once-green check red.
    const failedRerun = await search(repo, ['build', 'test']);
    expect(failedRerun.chosen?.sha).toBe(older);
    expect(failedRerun.passedOver.map((commit) => commit.reason)).toEqual(['failed: test']);
  });

  it('walks the first-parent history: a green commit merged in from a branch is not a candidate', async () => {
    const repo = await newRepo();
    const base = (await commits(repo, 1))(0);
    const feature = await repo.commit(
      'feature work',
      { 'feature.txt': 'x' },
      {
        branch: 'feature',
        from: base,
      },
    );
    const mainSide = await repo.commit('main work', { 'main.txt': 'x' });
    const git = (args: string[]) =>
      execFileSync('git', ['--git-dir', repo.gitDir, ...args], { encoding: 'utf8' }).trim();
    const merge = git([
      'commit-tree',
      `${feature}^{tree}`,
      '-p',
      mainSide,
      '-p',
      feature,
      '-m',
      'Merge feature',
    ]);
    git(['update-ref', `refs/heads/${repo.defaultBranch}`, merge]);
    repo.invalidateRefCache();
    green(repo, feature);
    green(repo, base);
    repo.addCheckRun(merge, { name: 'build', conclusion: 'failure' });
    repo.addCheckRun(mainSide, { name: 'build', conclusion: 'failure' });
    const result = await search(repo, ['build', 'test']);
    expect(result.passedOver.map((commit) => commit.sha)).toEqual([merge, mainSide]);
    expect(result.chosen?.sha).toBe(base);
  });

  it('looks exactly look-back commits back, one commits page and one check-runs call each', async () => {
    const repo = await newRepo();
    const back = await commits(repo, 6);
    green(repo, back(5));
    for (const stepsBack of [0, 1, 2, 3, 4]) {
      repo.addCheckRun(back(stepsBack), { name: 'build', conclusion: 'failure' });
    }
    const before = server.requests.length;
    const result = await search(repo, ['build'], 3);
    const calls = server.requests
      .slice(before)
      .map((entry) => `${entry.method} ${entry.path.replace(`/repos/${repo.fullName}`, '')}`);
    expect(result.chosen).toBeUndefined();
    expect(result.passedOver).toHaveLength(3);
    expect(result.reason).toBe(
      'no commit in the newest 3 commits of main (look-back) has all required checks (build) succeeded: nothing to release',
    );
    expect(calls).toEqual([
      'GET /commits',
      `GET /commits/${back(0)}/check-runs`,
      `GET /commits/${back(1)}/check-runs`,
      `GET /commits/${back(2)}/check-runs`,
    ]);
    // With a window that reaches it, the green commit five back is found.
    expect((await search(repo, ['build'], 6)).chosen?.sha).toBe(back(5));
  });

  it('says so when the whole history has nothing green', async () => {
    const repo = await newRepo();
    await commits(repo, 2);
    const result = await search(repo, ['build']);
    expect(result.chosen).toBeUndefined();
    expect(result.passedOver).toHaveLength(3);
    expect(result.passedOver.every((commit) => commit.reason === 'missing: build')).toBe(true);
    expect(result.reason).toBe(
      'no commit in the 3 commits of main (its whole history) has all required checks (build) succeeded: nothing to release',
    );
  });

  it('refuses a missing branch and an empty require-checks, naming the input', async () => {
    const repo = await newRepo();
    await expect(search(repo, [])).rejects.toMatchObject({ input: 'require-checks' });
    await expect(
      findNewestGreenCommit(repositoryFor(repo), 'nope', ['build'], { logger: silentLogger }),
    ).rejects.toMatchObject({
      input: 'branch',
      message: `input 'branch': nope is not a branch of ${repo.fullName}: give an existing branch`,
    });
  });
});

describe('computeVersion with newestGreen', () => {
  const format = VersionFormat.parse('v0.0.{n}');
  const request = (repo: TestRepo) => ({
    repository: repositoryFor(repo),
    sha: 'ignored',
    format,
    startAt: 1,
    reserve: true,
    skipIfReleased: true,
    requireChecks: ['build'],
    newestGreen: { branch: repo.defaultBranch },
    logger: silentLogger,
  });

  it('reserves the version on the newest green commit, not on the red HEAD', async () => {
    const repo = await newRepo();
    const back = await commits(repo, 3);
    const [head, chosen] = [back(0), back(2)];
    green(repo, chosen, ['build']);
    repo.addCheckRun(head, { name: 'build', conclusion: 'failure' });
    const result = await computeVersion(request(repo));
    expect(result).toMatchObject({ version: 'v0.0.1', sha: chosen, reservation: 'created' });
    expect(result.greenSearch?.passedOver.map((commit) => commit.reason)).toEqual([
      'failed: build',
      'missing: build',
    ]);
    expect((await repo.tags()).get('v0.0.1')).toBe(chosen);
  });

  it('releases nothing, reserves nothing, when nothing is green', async () => {
    const repo = await newRepo();
    await commits(repo, 2);
    const result = await computeVersion(request(repo));
    expect(result).toMatchObject({ skipped: true, version: '', sha: '' });
    expect(result.skipReason).toBe(
      'no commit in the 3 commits of main (its whole history) has all required checks (build) succeeded: nothing to release',
    );
    expect((await repo.tags()).size).toBe(0);
  });

  it('refuses a hotfix through newest-green: a hotfix names its commit', async () => {
    const repo = await newRepo();
    await expect(computeVersion({ ...request(repo), hotfixOf: 'v0.0.1' })).rejects.toMatchObject({
      input: 'hotfix-of',
    });
  });
});

describe('gitops-release release --newest-green', () => {
  /** The CLI against the test server, with --context a clone of the app at `checkedOut`. */
  async function release(repo: TestRepo, checkedOut: string) {
    const context = mkdtempSync(join(tmpdir(), 'green-cli-'));
    try {
      execFileSync('git', ['clone', '-q', repo.gitDir, context]);
      execFileSync('git', ['-C', context, 'checkout', '-q', checkedOut]);
      let out = '';
      let err = '';
      const code = await runCli(
        [
          'release',
          ...['--app', 'cms', '--registry', '008577686731', '--region', 'us-gov-west-1'],
          ...['--repository', 'dsva/cms-drupal', '--manifests', 'octo-org/manifests'],
          ...['--app-repository', repo.fullName, '--context', context, '--dry-run'],
          ...['--newest-green', '--require-checks', 'build'],
        ],
        {
          stdin: () => Promise.resolve(''),
          stdout: (text) => {
            out += text;
          },
          stderr: (text) => {
            err += text;
          },
          env: { GH_TOKEN: 'ghs_cli', GITHUB_API_URL: server.url },
          exec: processExec,
        },
      );
      return { code, out, err };
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }

  it('stops, naming the commit to check out, when --context is not the newest green commit', async () => {
    const repo = await newRepo();
    const back = await commits(repo, 2);
    green(repo, back(1), ['build']);
    repo.addCheckRun(back(0), { name: 'build', conclusion: 'failure' });
    const result = await release(repo, back(0));
    expect(result.code).toBe(1);
    expect(result.out).toContain(`passed over ${back(0).slice(0, 7)} change 2: failed: build`);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(result.err).toContain(
      `--newest-green: the newest green commit of main is ${back(1).slice(0, 12)}, but`,
    );
    expect(result.err).toContain(`(git checkout ${back(1)})`);
  });

  it('releases nothing and exits 0 when nothing is green', async () => {
    const repo = await newRepo();
    const back = await commits(repo, 1);
    repo.addCheckRun(back(0), { name: 'build', conclusion: 'failure' });
    const result = await release(repo, back(0));
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain(
      'nothing to release: no commit in the 2 commits of main (its whole history) has all required checks (build) succeeded',
    );
    expect((await repo.tags()).size).toBe(0);
  });
});
