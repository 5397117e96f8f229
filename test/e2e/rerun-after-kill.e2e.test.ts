/**
 * The runner killed between (and inside) the steps of a release, then the whole chain run again
 * for the same commit: the committed bundles under Node 24, in the order the composite action runs
 * them (compute-version → ecr-build-push → update-manifest → open-manifest-pr), against the
 * sandbox's dockerd, registry behind the ECR API test server, and the GitHub API test server.
 *
 * Whatever the kill left (a reserved tag; a pushed image; a pull request branch without its pull
 * request), the re-run ends with the same tag, the same image digest, exactly one pull request for
 * the tag, and the manifest on its branch naming that tag.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { node24Path, runAction, type ActionRun } from '../support/action-runner.js';
import {
  SAMPLE,
  sampleValues,
  sandboxUnavailable,
  startSandbox,
  type Sandbox,
  type SampleProject,
} from '../support/sandbox.js';

const skipReason = sandboxUnavailable();
if (skipReason !== undefined) process.stderr.write(`rerun-after-kill e2e skipped: ${skipReason}\n`);
const describeReal = skipReason === undefined ? describe : describe.skip;

const APP_TOKEN = 'ghs_app_token_for_the_release';
const MANIFESTS_TOKEN = 'ghs_manifests_token_for_the_release';
// A fixed created time, as the composite action sets from the commit: a re-run can rebuild the
// very same image.
const SOURCE_DATE_EPOCH = '1764288000';

/** Pids of processes started with `NAME=value` in their environment (readable: same user). */
async function processesWithEnv(entry: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = await readFile(`/proc/${name}/environ`, 'latin1');
      if (environ.split('\0').includes(entry)) pids.push(Number(name));
    } catch {
      // Gone meanwhile, or another user's.
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface ChainRun {
  readonly version: ActionRun;
  readonly build?: ActionRun;
  readonly manifest?: ActionRun;
  readonly pullRequest?: ActionRun;
}

describeReal('the runner killed mid-release, then the release run again', () => {
  let sandbox: Sandbox;
  let target: SampleProject;
  let work: string;
  const run = Date.now().toString(36);
  let checkouts = 0;

  beforeAll(async () => {
    node24Path();
    sandbox = await startSandbox();
    target = await sandbox.createProject({
      app: 'cms',
      appRepository: `octo-org/killed-${run}`,
      manifestsRepository: `va-org/killed-manifests-${run}`,
      ecrRepository: `dsva/killed-${run}`,
    });
    target.manifestsRepo.addTeam('cms-infrastructure');
    work = await mkdtemp(join(sandbox.dir, 'runner-'));
  }, 120_000);

  afterAll(async () => {
    await sandbox.close();
  }, 60_000);

  /** The environment the runner gives every step; `mark` finds this run's processes in /proc. */
  const runnerEnv = (mark: string): Record<string, string> => ({
    ...sandbox.env,
    GITHUB_API_URL: sandbox.github.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: target.appRepo.fullName,
    GITHUB_RUN_ID: '7001',
    // Holds the app checkout and the manifests checkouts, as a job's workspace does.
    GITHUB_WORKSPACE: sandbox.dir,
    SOURCE_DATE_EPOCH,
    GITOPS_E2E_RUN: mark,
  });

  /** A fresh checkout of the manifests repository, as actions/checkout makes one per job. */
  function checkOutManifests(): string {
    const dir = join(work, `manifests-${String((checkouts += 1))}`);
    execFileSync('git', ['clone', '-q', target.manifestsRepo.gitDir, dir]);
    return dir;
  }

  /** The four steps as the composite action wires them; `stopAfter` is where the runner dies. */
  async function releaseChain(sha: string, mark: string, stopAfter?: 'version'): Promise<ChainRun> {
    const env = runnerEnv(mark);
    const version = await runAction({
      action: 'actions/compute-version',
      env,
      inputs: {
        token: APP_TOKEN,
        repository: target.appRepo.fullName,
        sha,
        sources: 'git',
        reserve: 'true',
        'skip-if-released': 'true',
      },
    });
    if (stopAfter === 'version' || version.exitCode !== 0) return { version };
    const tag = version.outputs.version ?? '';
    const build = await runAction({
      action: 'actions/ecr-build-push',
      env,
      inputs: {
        registry: SAMPLE.accountId,
        region: SAMPLE.region,
        repository: target.ecrRepository,
        tags: tag,
        context: target.checkout,
        network: 'none',
        revision: version.outputs.sha ?? sha,
        'if-tag-exists': 'skip-same-digest',
      },
    });
    if (build.exitCode !== 0) return { version, build };
    const checkout = checkOutManifests();
    const manifest = await runAction({
      action: 'actions/update-manifest',
      env,
      inputs: {
        path: checkout,
        files: `${target.manifestsPath}/**/*.yaml`,
        image: target.ecrRepository,
        tag,
        set: SAMPLE.set.join('\n'),
      },
    });
    if (manifest.exitCode !== 0) return { version, build, manifest };
    const pullRequest = await runAction({
      action: 'actions/open-manifest-pr',
      env,
      inputs: {
        token: MANIFESTS_TOKEN,
        repository: target.manifestsRepo.fullName,
        path: checkout,
        files: manifest.outputs['changed-files'] ?? '',
        mode: 'pull-request',
        app: 'cms',
        version: tag,
        'previous-version': manifest.outputs['previous-version'] ?? '',
        image: target.ecrRepository,
        digest: build.outputs.digest ?? '',
        'release-notes-from': target.appRepo.fullName,
        'app-token': APP_TOKEN,
        'release-tag': version.outputs['git-tag'] ?? '',
        'team-reviewers': 'cms-infrastructure',
        supersede: 'true',
      },
    });
    return { version, build, manifest, pullRequest };
  }

  const stepsOf = (chain: ChainRun): (ActionRun | undefined)[] => [
    chain.version,
    chain.build,
    chain.manifest,
    chain.pullRequest,
  ];

  const succeeded = (step: ActionRun | undefined): void => {
    expect(step?.stdout).not.toContain('::error');
    expect(step?.exitCode).toBe(0);
  };

  const manifestOn = (branch: string): string =>
    execFileSync(
      'git',
      [
        `--git-dir=${target.manifestsRepo.gitDir}`,
        'show',
        `${branch}:${target.manifestsPath}/values.yaml`,
      ],
      { encoding: 'utf8' },
    );

  it('killed after compute-version reserved the tag: the re-run reuses the tag and finishes the release', async () => {
    const sha = await target.appRepo.head();
    const killed = await releaseChain(sha, randomUUID(), 'version');
    succeeded(killed.version);
    expect(killed.version.outputs).toMatchObject({ version: 'v0.0.1', reservation: 'created' });
    expect((await target.appRepo.tags()).get('v0.0.1')).toBe(sha);

    const rerun = await releaseChain(sha, randomUUID());
    for (const step of stepsOf(rerun)) succeeded(step);
    expect(rerun.version.outputs).toMatchObject({ version: 'v0.0.1', reservation: 'reused' });
    expect([...(await target.appRepo.tags()).keys()]).toEqual(['v0.0.1']);
    const head = await sandbox.registry.api.headManifest(target.ecrRepository, 'v0.0.1');
    expect(rerun.build?.outputs.digest).toBe(head?.digest);
    const pulls = await target.manifestsRepo.pulls();
    expect(pulls.map((pull) => [pull.head, pull.state])).toEqual([['release/cms/v0.0.1', 'open']]);
    expect(manifestOn('release/cms/v0.0.1')).toBe(sampleValues('v0.0.1', target.ecrRepository));
  }, 180_000);

  it('killed in open-manifest-pr after the branch was committed, before the pull request was opened: the re-run builds the same image and opens exactly one pull request', async () => {
    // The previous release is merged, as the infrastructure owners would have.
    const [first] = await target.manifestsRepo.pulls();
    const merged = await fetch(
      `${sandbox.github.url}/repos/${target.manifestsRepo.fullName}/pulls/${String(first?.number)}/merge`,
      { method: 'PUT', body: JSON.stringify({ merge_method: 'squash' }) },
    );
    expect(merged.status).toBe(200);
    await merged.body?.cancel();
    const sha = await target.commit('Add the contact page', {
      'web/contact.html': '<h1>Contact</h1>\n',
    });

    // The runner dies the moment open-manifest-pr asks for the pull request: its branch and commit
    // exist, the pull request does not.
    const mark = randomUUID();
    let killedPid: number | undefined;
    const pullsRoute = `POST /repos/${target.manifestsRepo.fullName}/pulls`;
    sandbox.github.faults.add({
      route: pullsRoute,
      kind: 'before',
      before: async () => {
        const pids = await processesWithEnv(`GITOPS_E2E_RUN=${mark}`);
        expect(pids).toHaveLength(1);
        killedPid = pids[0];
        process.kill(killedPid ?? 0, 'SIGKILL');
        for (let waited = 0; alive(killedPid ?? 0) && waited < 100; waited++) await delay(50);
        // The request dies with its process: it is never handled.
        throw new Error('the runner was killed');
      },
    });
    const killed = await releaseChain(sha, mark);
    expect(killedPid).toBeDefined();
    succeeded(killed.build);
    expect(killed.pullRequest?.exitCode).not.toBe(0);
    expect(killed.pullRequest?.outputs).toEqual({});
    const tag = killed.version.outputs.version ?? '';
    expect(tag).toBe('v0.0.2');
    const branch = `release/cms/${tag}`;
    expect(manifestOn(branch)).toBe(sampleValues(tag, target.ecrRepository));
    expect((await target.manifestsRepo.pulls()).filter((pull) => pull.head === branch)).toEqual([]);
    expect(sandbox.github.faults.pending).toBe(0);

    const rerun = await releaseChain(sha, randomUUID());
    for (const step of stepsOf(rerun)) succeeded(step);
    expect(rerun.version.outputs).toMatchObject({ version: tag, reservation: 'reused' });
    // The same image: what the killed run pushed is what the re-run reports.
    expect(rerun.build?.outputs.digest).toBe(killed.build?.outputs.digest);
    const head = await sandbox.registry.api.headManifest(target.ecrRepository, tag);
    expect(head?.digest).toBe(killed.build?.outputs.digest);
    const forTag = (await target.manifestsRepo.pulls()).filter((pull) => pull.head === branch);
    expect(forTag).toHaveLength(1);
    expect(forTag[0]).toMatchObject({
      state: 'open',
      number: Number(rerun.pullRequest?.outputs['pull-request-number']),
    });
    expect(manifestOn(branch)).toBe(sampleValues(tag, target.ecrRepository));
    expect(
      execFileSync(
        'git',
        [`--git-dir=${target.manifestsRepo.gitDir}`, 'rev-list', '--count', `main..${branch}`],
        {
          encoding: 'utf8',
        },
      ).trim(),
    ).toBe('1');
    expect([...(await target.appRepo.tags()).keys()]).toEqual(['v0.0.1', 'v0.0.2']);
  }, 180_000);
});
