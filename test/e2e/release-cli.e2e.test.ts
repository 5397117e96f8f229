/**
 * `gitops-release release`, the committed CLI bundle run as a person runs it from a laptop, against
 * the sandbox (GitHub test server, ECR test server, registry, dockerd). Its release must read
 * exactly as the reusable workflow's and the composite's: the same pull-request body and release
 * body (test/support/release-texts.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/action-runner.js';
import { BASE_IMAGE } from '../support/docker/index.js';
import { expectedReleaseTexts, releaseTextsOn } from '../support/release-texts.js';
import {
  sandboxUnavailable,
  startSandbox,
  SAMPLE,
  type Sandbox,
  type SampleProject,
} from '../support/sandbox.js';

const CLI = join(ROOT, 'dist/cli/index.js');
const unavailable = sandboxUnavailable();
if (unavailable !== undefined) process.stderr.write(`release CLI e2e skipped: ${unavailable}\n`);
const describeReal = unavailable === undefined ? describe : describe.skip;

interface CliRun {
  readonly code: number;
  readonly out: string;
}

describeReal('gitops-release release, the CLI bundle', () => {
  let sandbox: Sandbox;
  let project: SampleProject;
  let config: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    // Names of this run's own: the registry may be shared with earlier runs (GITOPS_TEST_REGISTRY).
    const run = Date.now().toString(36);
    project = await sandbox.createProject({
      app: 'cms',
      appRepository: `octo-org/cli-e2e-${run}`,
      manifestsRepository: `va-org/cli-e2e-manifests-${run}`,
      ecrRepository: `dsva/cli-e2e-${run}`,
    });
    config = join(sandbox.dir, 'cli-e2e.json');
    writeFileSync(config, JSON.stringify(project.releaseConfig));
  }, 120_000);

  afterAll(async () => {
    await sandbox.close();
  }, 60_000);

  const gitopsRelease = (args: readonly string[]): Promise<CliRun> =>
    new Promise((done, fail) => {
      const child = spawn(process.env.NODE24 ?? process.execPath, [CLI, ...args], {
        env: sandbox.childEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.on('error', fail);
      child.on('close', (code) => {
        done({ code: code ?? 1, out });
      });
    });

  it('releases twice; the second reads as the workflow and the composite write it', async () => {
    // The first straight to the base, so the manifests hold v0.0.1 when the second is proposed.
    const first = await gitopsRelease(['release', '--config', config, '--yes', '--mode', 'direct']);
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toContain('Released cms v0.0.1:');
    const sha = await project.commit('Fix the contact form (#419)', { 'form.html': '<form/>\n' });
    const second = await gitopsRelease([
      'release',
      '--config',
      config,
      '--yes',
      '--body',
      'Ships the contact form fix.',
    ]);
    if (second.code !== 0) throw new Error(second.out);

    const pulls = await project.manifestsRepo.pulls();
    const pull = pulls.find((candidate) => candidate.head === 'release/cms/v0.0.2');
    expect(pull).toBeDefined();
    const number = pull?.number ?? 0;
    const image = `${sandbox.registry.host}/${project.ecrRepository}:v0.0.2`;
    const head = await sandbox.registry.api.headManifest(project.ecrRepository, 'v0.0.2');
    const texts = await releaseTextsOn(
      sandbox.github.url,
      { app: project.appRepo.fullName, manifests: project.manifestsRepo.fullName },
      'v0.0.2',
      number,
    );
    expect(texts).toEqual(
      await expectedReleaseTexts(sandbox.github.url, sandbox.token, {
        app: 'cms',
        environment: SAMPLE.manifestsPath,
        previous: 'v0.0.1',
        version: 'v0.0.2',
        image,
        digest: head?.digest ?? '(not pushed)',
        appRepository: project.appRepo.fullName,
        sha,
        files: [`${SAMPLE.manifestsPath}/values.yaml`],
        pullRequestUrl: `${sandbox.github.url}/${project.manifestsRepo.fullName}/pull/${String(number)}`,
        body: 'Ships the contact form fix.',
        sourceRef: 'main',
      }),
    );
  }, 240_000);

  it('hotfix v0.0.1 --from its branch: built from a worktree, its pull request stays open beside v0.0.2, which is told it lacks the fix', async () => {
    // v0.0.1 runs (committed directly above); v0.0.2's pull request waits for review.
    const first = (await project.appRepo.tags()).get('v0.0.1') ?? '';
    const fix = await project.commit(
      'Fix the page title',
      { 'web/index.html': '<h1>Welcome to VA.gov!</h1>\n' },
      { branch: 'hotfix/v0.0.1', from: first },
    );
    // The operator's checkout stays on main: --from builds the branch without switching.
    execFileSync('git', ['-C', project.checkout, 'checkout', '--quiet', 'main']);
    const run = await gitopsRelease([
      'hotfix',
      'v0.0.1',
      '--from',
      'hotfix/v0.0.1',
      '--config',
      config,
      '--yes',
    ]);
    if (run.code !== 0) throw new Error(run.out);
    expect(run.out).toContain('from a temporary worktree');
    expect(run.out).toContain('Released cms v0.0.1-1:');
    expect((await project.appRepo.tags()).get('v0.0.1-1')).toBe(fix);
    expect(
      execFileSync('git', ['-C', project.checkout, 'worktree', 'list'], { encoding: 'utf8' })
        .trim()
        .split('\n'),
    ).toHaveLength(1);
    const pulls = await project.manifestsRepo.pulls();
    const hotfixPull = pulls.find((pull) => pull.head === 'release/cms/v0.0.1-1');
    const newer = pulls.find((pull) => pull.head === 'release/cms/v0.0.2');
    expect([hotfixPull?.state, newer?.state]).toEqual(['open', 'open']);
    expect(hotfixPull?.body).toContain('**Hotfix** of v0.0.1');
    expect(newer?.body).toContain('**v0.0.2 does not contain the fix of v0.0.1-1**');
  }, 240_000);

  it('says before a dry run that it logs in to ECR and runs the Dockerfile here, then writes nothing', async () => {
    // A commit not yet released, so the dry run has something to build.
    await project.commit('Polish the header', { 'web/index.html': '<h1>VA.gov</h1>\n' });
    const tags = await project.appRepo.tags();
    const pulls = await project.manifestsRepo.pulls();
    const run = await gitopsRelease(['release', '--config', config, '--dry-run']);
    if (run.code !== 0) throw new Error(run.out);
    const registry = `${SAMPLE.accountId}.dkr.ecr.${SAMPLE.region}.amazonaws.com`;
    const notice = `dry run: will log in to ECR ${registry} and build ${project.checkout} with ${join(project.checkout, 'Dockerfile')}: the Dockerfile's RUN steps execute on this machine's docker; nothing is pushed, tagged or committed`;
    expect(run.out).toContain(notice);
    // Before the first step, so before the login and the build.
    expect(run.out.indexOf(notice)).toBeLessThan(run.out.indexOf('[1/5]'));
    expect(run.out.indexOf('[1/5]')).toBeLessThan(run.out.indexOf('Building '));
    expect(run.out).toContain('Dry run: nothing was changed.');
    expect(await project.appRepo.tags()).toEqual(tags);
    expect(await project.manifestsRepo.pulls()).toEqual(pulls);
  }, 120_000);

  it('refuses a hotfix that promotes an image, before anything is reserved', async () => {
    const tags = await project.appRepo.tags();
    const run = await gitopsRelease([
      'release',
      '--config',
      config,
      '--yes',
      '--hotfix-of',
      'v0.0.1',
      '--promote-from',
      'v0.0.1',
    ]);
    expect(run.code).toBe(1);
    expect(run.out).toContain('--promote-from: a hotfix is built from its commit');
    expect(await project.appRepo.tags()).toEqual(tags);
  }, 60_000);

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'on %s during the build stops docker, removes the ECR credentials and exits %i',
    async (signal, code) => {
      const stopped = await sandbox.createProject({
        app: 'cms',
        appRepository: `octo-org/cli-${signal.toLowerCase()}-${Date.now().toString(36)}`,
        manifestsRepository: `va-org/cli-${signal.toLowerCase()}-manifests-${Date.now().toString(36)}`,
        ecrRepository: `dsva/cli-${signal.toLowerCase()}-${Date.now().toString(36)}`,
      });
      // A build that blocks long enough to be interrupted (a new layer: no cache can skip it).
      await stopped.commit('A slow build', {
        Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo slow-step-${signal} && sleep 60\n`,
      });
      const stoppedConfig = join(sandbox.dir, `cli-${signal}.json`);
      writeFileSync(stoppedConfig, JSON.stringify(stopped.releaseConfig));
      // The private DOCKER_CONFIG goes into the temp dir: this one, so the test can watch it.
      const temp = join(sandbox.dir, `tmp-${signal}`);
      mkdirSync(temp);
      const configDirs = (): string[] =>
        readdirSync(temp).filter((name) => name.startsWith('docker-config-'));
      const child = spawn(
        process.env.NODE24 ?? process.execPath,
        [CLI, 'release', '--config', stoppedConfig, '--yes'],
        { env: { ...sandbox.childEnv(), TMPDIR: temp }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      const exited = new Promise<{ code: number | null; signal: string | null }>((done) => {
        child.on('close', (exitCode, exitSignal) => {
          done({ code: exitCode, signal: exitSignal });
        });
      });
      const loggedIn = (): boolean =>
        configDirs().some((dir) => {
          const file = join(temp, dir, 'config.json');
          return existsSync(file) && readFileSync(file, 'utf8').includes('"auths"');
        });
      const deadline = Date.now() + 90_000;
      while (!(loggedIn() && out.includes(`slow-step-${signal}`)) && child.exitCode === null) {
        if (Date.now() > deadline) throw new Error(`the build never started:\n${out}`);
        await new Promise((done) => setTimeout(done, 100));
      }
      expect(child.exitCode).toBeNull();
      child.kill(signal);
      const end = await exited;
      expect({ ...end, out }).toMatchObject({ code, signal: null });
      expect(out).toContain(`${signal}: stopping docker and removing the registry credentials`);
      expect(configDirs()).toEqual([]);
    },
    150_000,
  );
});
