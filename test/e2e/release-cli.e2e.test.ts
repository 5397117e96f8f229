/**
 * `gitops-release release`, the committed CLI bundle run as a person runs it from a laptop, against
 * the sandbox (GitHub test server, ECR test server, registry, dockerd). Its release must read
 * exactly as the reusable workflow's and the composite's: the same pull-request body and release
 * body (test/support/release-texts.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/action-runner.js';
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
      }),
    );
  }, 240_000);

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
});
