/**
 * runRelease, the whole chain, against the sandbox's real parts: dockerd (no bridge, builds with
 * `--network none`), the Distribution registry behind the ECR API test server (the real AWS SDK
 * reaches it through AWS_ENDPOINT_URL_ECR), and the GitHub API test server backed by git.
 *
 * Each scenario has its own repositories and its own GitHub client (throttle id): the throttling
 * plugin spaces one client's writes 1 s apart (3 s for pull requests and review requests), so the
 * independent scenarios run concurrently.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { processExec, type Exec } from '../../packages/docker/index.js';
import { createEcrClient, type EcrClient } from '../../packages/ecr/index.js';
import { createGitHubClient, GitHubRepository } from '../../packages/github/index.js';
import { parseRepositoryInput, type Logger, type StepHeading } from '../../packages/kit/index.js';
import { runRelease, type ReleaseConfig } from '../../packages/release/index.js';
import {
  SAMPLE,
  sampleValues,
  sandboxUnavailable,
  startSandbox,
  type Sandbox,
  type SampleProject,
} from '../support/sandbox.js';
import { branches, git, sampleReleaseConfig } from '../support/release-harness.js';

const skipReason = sandboxUnavailable();
if (skipReason !== undefined) process.stderr.write(`release chain tests skipped: ${skipReason}\n`);
const describeReal = skipReason === undefined ? describe : describe.skip;

const COMMIT_TIME = new Date(Date.UTC(2026, 10, 1, 12, 0, 0));

interface Recorded {
  readonly steps: StepHeading[];
  readonly lines: string[];
  readonly questions: string[];
}

describeReal('runRelease against the sandbox', () => {
  let sandbox: Sandbox;
  let ecr: EcrClient;
  const savedEnv = { ...process.env };
  const run = Date.now().toString(36);
  let scenarios = 0;

  const exec: Exec = (command, args, options = {}) =>
    processExec(command, args, { ...options, env: { ...sandbox.daemon.env, ...options.env } });

  async function project(name: string): Promise<SampleProject> {
    scenarios += 1;
    return sandbox.createProject({
      app: 'cms',
      appRepository: `octo-org/${name}-${run}`,
      manifestsRepository: `va-org/${name}-manifests-${run}`,
      ecrRepository: `dsva/${name}-${run}`,
    });
  }

  function recorder(): Recorded & { logger: Logger } {
    const steps: StepHeading[] = [];
    const lines: string[] = [];
    const record = (message: string): void => {
      lines.push(message);
    };
    return {
      steps,
      lines,
      questions: [],
      logger: {
        step: (event) => steps.push(event),
        debug: () => undefined,
        info: record,
        warning: (message) => {
          record(`warning: ${message}`);
        },
        error: (message) => {
          record(`error: ${message}`);
        },
      },
    };
  }

  function release(
    target: SampleProject,
    overrides: Partial<ReleaseConfig> = {},
    answer: boolean | ((question: string) => Promise<boolean>) = true,
  ): { recorded: Recorded; result: ReturnType<typeof runRelease> } {
    const recorded = recorder();
    const github = createGitHubClient({
      token: sandbox.token,
      baseUrl: sandbox.github.url,
      logger: recorded.logger,
      throttleId: `release-chain-${String((scenarios += 1))}`,
    });
    const result = runRelease(sampleReleaseConfig(target, overrides), {
      logger: recorded.logger,
      confirm: (question) => {
        recorded.questions.push(question);
        return typeof answer === 'boolean' ? Promise.resolve(answer) : answer(question);
      },
      exec,
      github,
      ecr,
      clock: () => COMMIT_TIME,
      tempDir: sandbox.dir,
    });
    return { recorded, result };
  }

  beforeAll(async () => {
    sandbox = await startSandbox();
    Object.assign(process.env, sandbox.env);
    for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) {
      Reflect.deleteProperty(process.env, name);
    }
    ecr = createEcrClient({
      region: SAMPLE.region,
      registryId: SAMPLE.accountId,
      logger: recorder().logger,
    });
  }, 90_000);

  afterAll(async () => {
    for (const key of Object.keys(process.env)) {
      if (!(key in savedEnv)) Reflect.deleteProperty(process.env, key);
    }
    Object.assign(process.env, savedEnv);
    ecr.sdk.destroy();
    await sandbox.close();
  }, 60_000);

  it.concurrent(
    'releases: tag, image with its digest in the registry, pull request with the new tag, published release; a re-run skips; the next release supersedes',
    async () => {
      const target = await project('cms');
      const manifest = `${target.manifestsPath}/values.yaml`;
      const { recorded, result: running } = release(target);
      const result = await running;

      expect(result.status).toBe('released');
      expect(result.version).toMatchObject({
        version: 'v0.0.1',
        gitTag: 'v0.0.1',
        reservation: 'created',
      });
      expect(
        recorded.steps.map(
          (event) => `${String(event.index)}/${String(event.total)} ${event.step}`,
        ),
      ).toEqual(['1/5 version', '2/5 manifests', '3/5 image', '4/5 change', '5/5 release']);
      expect(recorded.questions).toEqual([
        `Reserve v0.0.1 in ${target.appRepo.fullName} and push ${SAMPLE.accountId}.dkr.ecr.${SAMPLE.region}.amazonaws.com/${target.ecrRepository}:v0.0.1?`,
        `Open the pull request release/cms/v0.0.1 → main in ${target.manifestsRepo.fullName}?`,
      ]);

      // The tag, on the released commit.
      const sha = result.version.sha;
      expect((await target.appRepo.tags()).get('v0.0.1')).toBe(sha);
      // The image: what the registry serves under the tag is the digest reported.
      const head = await sandbox.registry.api.headManifest(target.ecrRepository, 'v0.0.1');
      expect(head?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(result.image).toMatchObject({
        digest: head?.digest,
        outcome: 'pushed',
        reference: `${SAMPLE.accountId}.dkr.ecr.${SAMPLE.region}.amazonaws.com/${target.ecrRepository}:v0.0.1`,
        pushedTo: `${sandbox.registry.host}/${target.ecrRepository}:v0.0.1`,
      });
      // The pull request: the new tag in the file, nothing else changed.
      const pulls = await target.manifestsRepo.pulls();
      expect(pulls).toHaveLength(1);
      expect(pulls[0]).toMatchObject({
        state: 'open',
        head: 'release/cms/v0.0.1',
        base: 'main',
        title: 'Release cms v0.0.1',
        labels: ['release:cms'],
        requestedTeams: ['cms-infrastructure'],
      });
      expect(result.pullRequest?.opened).toMatchObject({
        number: pulls[0]?.number,
        operation: 'created',
      });
      expect(git(target.manifestsRepo, 'show', `release/cms/v0.0.1:${manifest}`)).toBe(
        sampleValues('v0.0.1', target.ecrRepository).trimEnd(),
      );
      expect(git(target.manifestsRepo, 'diff', '--name-only', 'main', 'release/cms/v0.0.1')).toBe(
        manifest,
      );
      expect(result.manifests?.diff).toContain(
        `+      value: v0.0.1 # keep in step with the image tag`,
      );
      // The release: published for the tag, naming the image and the pull request.
      const appRepository = new GitHubRepository(
        createGitHubClient({
          token: sandbox.token,
          baseUrl: sandbox.github.url,
          logger: recorder().logger,
        }),
        parseRepositoryInput('app', target.appRepo.fullName),
      );
      expect(await appRepository.getReleaseByTag('v0.0.1')).toMatchObject({ draft: false });
      expect(result.release?.created).toBe(true);

      // A re-run for the same commit: already released, nothing asked, nothing written.
      const again = release(target);
      const skipped = await again.result;
      expect(skipped).toMatchObject({ status: 'skipped' });
      expect(skipped.reason).toMatch(/already released as v0\.0\.1/);
      expect(again.recorded.questions).toEqual([]);
      expect([...(await target.appRepo.tags()).keys()]).toEqual(['v0.0.1']);
      expect(await target.manifestsRepo.pulls()).toHaveLength(1);

      // A new commit: v0.0.2, whose pull request closes the first one.
      await target.commit('Add the contact page', { 'web/contact.html': '<h1>Contact</h1>\n' });
      const next = await release(target).result;
      expect(next.version.version).toBe('v0.0.2');
      expect(next.pullRequest?.opened?.superseded).toEqual([pulls[0]?.number]);
      const after = await target.manifestsRepo.pulls();
      expect(after.map((pull) => [pull.head, pull.state])).toEqual([
        ['release/cms/v0.0.1', 'closed'],
        ['release/cms/v0.0.2', 'open'],
      ]);
      expect(next.pullRequest?.body).toContain('Add the contact page');
    },
    150_000,
  );

  it.concurrent(
    'a dry run changes nothing anywhere (no tag, no image, no branch, no release); the direct release after it commits to the base',
    async () => {
      const target = await project('dry');
      const tagsBefore = await target.appRepo.tags();
      const { recorded, result: running } = release(target, { dryRun: true });
      const plan = await running;

      expect(plan.status).toBe('planned');
      expect(plan.version).toMatchObject({ version: 'v0.0.1', reservation: 'not-reserved' });
      expect(plan.image).toMatchObject({ outcome: 'built-only', digest: undefined });
      expect(plan.manifests?.changes.map((change) => change.file)).toEqual([
        `${target.manifestsPath}/values.yaml`,
      ]);
      expect(plan.manifests?.diff).toContain(
        `+    image: ${SAMPLE.accountId}.dkr.ecr.${SAMPLE.region}.amazonaws.com/${target.ecrRepository}:v0.0.1`,
      );
      expect(plan.pullRequest).toMatchObject({
        branch: 'release/cms/v0.0.1',
        base: 'main',
        labels: ['release:cms'],
        teamReviewers: ['cms-infrastructure'],
      });
      expect(plan.release).toBeUndefined();
      expect(recorded.questions).toEqual([]);
      expect(await target.appRepo.tags()).toEqual(tagsBefore);
      expect(await sandbox.registry.api.tags(target.ecrRepository).catch(() => [])).toEqual([]);
      expect(branches(target.manifestsRepo)).toEqual(['main']);
      expect(await target.manifestsRepo.pulls()).toEqual([]);

      const direct = await release(target, { mode: 'direct' }).result;
      expect(direct.status).toBe('released');
      expect(direct.commit).toMatchObject({ branch: 'main', changed: true });
      expect(direct.pullRequest).toBeUndefined();
      expect(git(target.manifestsRepo, 'rev-parse', 'main')).toBe(direct.commit?.sha);
      expect(
        git(target.manifestsRepo, 'show', `main:${target.manifestsPath}/values.yaml`),
      ).toContain(`${target.ecrRepository}:v0.0.1`);
      expect(branches(target.manifestsRepo)).toEqual(['main']);
    },
    150_000,
  );

  it.concurrent(
    'refuses a downgrade before anything is written, and plans one that is allowed with a reason',
    async () => {
      const target = await project('down');
      await target.manifestsRepo.commit('vsp-cms at v0.0.7', {
        [`${target.manifestsPath}/values.yaml`]: sampleValues('v0.0.7', target.ecrRepository),
      });
      const { recorded, result } = release(target);
      await expect(result).rejects.toThrow(
        /refusing to downgrade to v0\.0\.1: apps\/vsp-cms\/values\.yaml:5 \(deployment\.container\.image\) holds v0\.0\.7/,
      );
      expect(recorded.questions).toEqual([]);
      expect((await target.appRepo.tags()).size).toBe(0);
      expect(await sandbox.registry.api.tags(target.ecrRepository).catch(() => [])).toEqual([]);
      expect(branches(target.manifestsRepo)).toEqual(['main']);

      const allowed = await release(target, {
        dryRun: true,
        allowDowngrade: true,
        downgradeReason: 'v0.0.7 corrupts uploads; the schema is unchanged since v0.0.1',
      }).result;
      expect(allowed.manifests?.downgradeReason).toMatch(/corrupts uploads/);
      expect(allowed.pullRequest?.body).toContain('**Downgrade** from v0.0.7 to v0.0.1');
    },
    150_000,
  );

  it.concurrent(
    'declining the first question leaves nothing behind; declining the second leaves a run that a re-run finishes without building again',
    async () => {
      const target = await project('no');
      const { recorded, result } = release(target, {}, false);
      expect(await result).toMatchObject({ status: 'cancelled' });
      expect(recorded.questions).toHaveLength(1);
      expect((await target.appRepo.tags()).size).toBe(0);
      expect(await sandbox.registry.api.tags(target.ecrRepository).catch(() => [])).toEqual([]);
      expect(branches(target.manifestsRepo)).toEqual(['main']);

      const halfway = await release(target, {}, (question) =>
        Promise.resolve(question.startsWith('Reserve')),
      ).result;
      expect(halfway).toMatchObject({ status: 'cancelled', image: { outcome: 'pushed' } });
      expect(halfway.reason).toMatch(/a re-run continues from there/);
      expect(branches(target.manifestsRepo)).toEqual(['main']);

      const resumed = release(target);
      const finished = await resumed.result;
      expect(finished).toMatchObject({
        status: 'released',
        version: { version: 'v0.0.1', reservation: 'reused' },
        image: { outcome: 'already-present', digest: halfway.image?.digest },
      });
      expect(resumed.recorded.lines).toContainEqual(
        expect.stringMatching(/already is this release .*: nothing to build or push/),
      );
      expect(resumed.recorded.questions).toEqual([
        `Open the pull request release/cms/v0.0.1 → main in ${target.manifestsRepo.fullName}?`,
      ]);
      expect(finished.pullRequest?.opened?.operation).toBe('created');
    },
    90_000,
  );

  it.concurrent(
    'makes the edit again when the base moved during the build, so the pull request reverts nothing',
    async () => {
      const target = await project('moved');
      const manifest = `${target.manifestsPath}/values.yaml`;
      const scaledUp = sampleValues('v0.0.0', target.ecrRepository).replace(
        'replicas: 2',
        'replicas: 3',
      );
      const { result } = release(target, {}, async (question) => {
        // Someone merges a change to the same file while the image is being pushed.
        if (question.startsWith('Open the pull request')) {
          await target.manifestsRepo.commit('Scale vsp-cms to 3', { [manifest]: scaledUp });
        }
        return true;
      });
      const released = await result;
      expect(released.status).toBe('released');
      expect(git(target.manifestsRepo, 'show', `release/cms/v0.0.1:${manifest}`)).toBe(
        sampleValues('v0.0.1', target.ecrRepository)
          .replace('replicas: 2', 'replicas: 3')
          .trimEnd(),
      );
      expect(git(target.manifestsRepo, 'diff', 'main', 'release/cms/v0.0.1')).not.toMatch(
        /^[-+]\s*replicas/m,
      );
    },
    90_000,
  );
});
