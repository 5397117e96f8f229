import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { node24Path, runAction } from '../support/action-runner.js';
import { registryAvailability, startRegistry } from '../support/docker/index.js';
import { startEcrServer } from '../support/ecr-server/index.js';
import {
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';

// The committed bundle, under Node 24, with the runner's environment: what a workflow gets.
let server: GitHubTestServer;
let repo: TestRepo;

beforeAll(async () => {
  node24Path();
  server = await startGitHubServer();
  repo = await server.createRepo('octo-org/cms');
  await repo.createTags(['v0.0.998', 'v0.0.999', 'latest'], await repo.head());
}, 120_000);

afterAll(async () => {
  await server.close();
});

const action = 'actions/compute-version';
const env = () => ({ GITHUB_API_URL: server.url });
const github = (sha: string) => ({ token: 'ghs_e2e_secret_token', repository: repo.fullName, sha });

describe('dist/compute-version under Node 24', () => {
  it('runs on Node 24', () => {
    expect(execFileSync(node24Path(), ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
  });

  it('reserves the next version, writes outputs and one summary table, masks the token', async () => {
    const sha = await repo.commit('feature', { 'f.txt': 'f' });
    const start = server.requests.length;
    const run = await runAction({ action, github: github(sha), env: env() });
    expect(run.exitCode).toBe(0);
    // The tags came in one git protocol v2 request (after its capability read), not API pages.
    const listings = server.requests
      .slice(start)
      .filter((request) => /\.git\/|\/git\/matching-refs\//.test(request.path))
      .map((request) => `${request.method} ${request.path} ${String(request.status)}`);
    expect(listings).toEqual([
      'GET /octo-org/cms.git/info/refs 200',
      'POST /octo-org/cms.git/git-upload-pack 200',
    ]);
    expect(run.outputs).toEqual({
      version: 'v0.0.1000',
      number: '1000',
      'git-tag': 'v0.0.1000',
      'previous-version': 'v0.0.999',
      sha,
      'is-hotfix': 'false',
      reservation: 'created',
      skipped: 'false',
      'skip-reason': '',
      'diverged-from': '',
      'chosen-reason': '',
      // No `app`: no release preflight, no plan.
      environments: '',
    });
    expect(run.stdout).toContain('::add-mask::ghs_e2e_secret_token');
    expect(run.stdout.replace('::add-mask::ghs_e2e_secret_token', '')).not.toContain(
      'ghs_e2e_secret_token',
    );
    expect(run.summary).toContain('| New | Previous | Commit | Tag | Skipped |');
    expect(run.summary).toContain(
      `| v0.0.1000 | v0.0.999 | ${sha.slice(0, 12)} | octo-org/cms v0.0.1000: reserved now | no |`,
    );
    // One table: one header separator line.
    expect(run.summary.split('\n').filter((line) => line.startsWith('| --- |'))).toHaveLength(1);
    expect((await repo.tags()).get('v0.0.1000')).toBe(sha);

    const again = await runAction({ action, github: github(sha), env: env() });
    expect(again.outputs).toMatchObject({
      version: 'v0.0.1000',
      reservation: 'reused',
      skipped: 'false',
    });

    repo.createRelease('v0.0.1000');
    const scheduled = await runAction({ action, github: github(sha), env: env() });
    expect(scheduled.exitCode).toBe(0);
    expect(scheduled.outputs).toMatchObject({
      skipped: 'true',
      reservation: 'released',
      'skip-reason': `commit ${sha.slice(0, 7)} was already released as v0.0.1000`,
    });
    expect(scheduled.summary).toContain('yes: commit');
  }, 60_000);

  it('with app: checks the release before reserving, and plans its environments', async () => {
    const sha = await repo.commit('preflight', { 'p.txt': '1' });
    const refused = await runAction({
      action,
      github: github(sha),
      env: env(),
      inputs: { app: 'vsp-cms', 'hotfix-of': 'v0.0.999', 'promote-from': 'v0.0.999' },
    });
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain(
      "::error::compute-version failed: input 'promote-from': a hotfix is built from its commit",
    );
    expect([...(await repo.tags()).values()]).not.toContain(sha);

    const planned = await runAction({
      action,
      github: github(sha),
      env: env(),
      inputs: {
        app: 'vsp-cms',
        reserve: 'false',
        environments:
          '{"dev": {"path": "apps/vsp-cms/dev", "mode": "direct"}, "prod": {"path": "apps/vsp-cms/prod"}}',
      },
    });
    expect(planned.exitCode).toBe(0);
    expect(JSON.parse(planned.outputs.environments ?? '')).toMatchObject([
      { name: 'dev', mode: 'direct', app: 'vsp-cms-dev', last: false },
      { name: 'prod', mode: 'pull-request', app: 'vsp-cms-prod', last: true },
    ]);
    expect(planned.summary).toContain('(dry run: nothing reserved, pushed or committed)');
    expect(planned.summary).toContain('| prod | apps/vsp-cms/prod | pull-request | yes |');
  }, 30_000);

  it('makes a hotfix with git-tag-prefix-free inputs', async () => {
    const sha = await repo.commit('fix', { 'fix.txt': '1' }, { branch: 'hotfix-999' });
    const run = await runAction({
      action,
      github: github(sha),
      env: env(),
      inputs: { 'hotfix-of': 'v0.0.999', 'skip-if-released': 'false' },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      version: 'v0.0.999-1',
      'is-hotfix': 'true',
      number: '999',
    });
  }, 30_000);

  it.each([
    [{ format: 'v0.0.' }, 'input \'format\': "v0.0." must contain {n} exactly once'],
    [{ format: '{n}-{n}' }, "input 'format'"],
    [{ 'start-at': '0' }, 'input \'start-at\': "0" is not a positive whole number'],
    [{ repository: 'no-slash' }, "input 'repository'"],
    [{ sha: 'not-a-sha' }, "input 'sha'"],
    [{ sha: 'abcdef1234' }, "input 'sha': commit abcdef1234 was not found in octo-org/cms"],
    [{ token: '' }, "input 'token': is empty"],
    [
      { 'hotfix-of': 'v0.0.5' },
      "input 'hotfix-of': release v0.0.5 does not exist, so it cannot be hotfixed",
    ],
    [{ 'hotfix-of': 'nope' }, 'input \'hotfix-of\': "nope" does not match the format'],
  ])(
    'fails %j with exit code 1, one error line, no outputs and no new tag',
    async (inputs, message) => {
      const tagsBefore = await repo.tags();
      const sha = await repo.head();
      const run = await runAction({ action, github: github(sha), env: env(), inputs });
      expect(run.exitCode).toBe(1);
      const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`compute-version failed: ${message}`);
      expect(run.outputs).toEqual({});
      expect(await repo.tags()).toEqual(tagsBefore);
    },
    30_000,
  );
});

describe('dist/compute-version with ECR as a second source of numbers', () => {
  const availability = registryAvailability();
  const maybe = availability.ok ? it : it.skip;
  if (!availability.ok) process.stderr.write(`ECR source e2e skipped: ${availability.reason}\n`);

  maybe(
    'counts image tags in ECR: the next N is above both sources',
    async () => {
      const registry = await startRegistry();
      const ecr = await startEcrServer({
        registry,
        accountId: '008577686731',
        region: 'us-gov-west-1',
      });
      try {
        const repository = `dsva/cms-drupal-${randomBytes(3).toString('hex')}`;
        ecr.createRepository(repository, { imageTagMutability: 'IMMUTABLE' });
        // An image pushed by an older pipeline as v0.0.1500, never tagged in git.
        for (const tag of ['v0.0.1500', 'latest', 'cache']) {
          await registry.api.pushSyntheticImage(repository, tag, {
            format: 'docker',
            content: tag,
          });
        }
        const sha = await repo.commit('ecr source', { 'e.txt': 'e' });
        const awsEnv = {
          ...env(),
          AWS_ACCESS_KEY_ID: 'AKIAGITOPSTEST000002',
          AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
          AWS_ENDPOINT_URL_ECR: ecr.endpoint,
          AWS_EC2_METADATA_DISABLED: 'true',
        };
        const inputs = {
          sources: 'git,ecr',
          'ecr-repository': repository,
          registry: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com',
        };
        const run = await runAction({ action, github: github(sha), env: awsEnv, inputs });
        expect(run.stderr).not.toContain('Could not load credentials');
        expect(run.exitCode).toBe(0);
        expect(run.outputs).toMatchObject({
          version: 'v0.0.1501',
          'previous-version': 'v0.0.1500',
        });

        const badRegion = await runAction({
          action,
          github: github(sha),
          env: awsEnv,
          inputs: { ...inputs, registry: '', region: 'us-gov-west-9' },
        });
        expect(badRegion.exitCode).toBe(1);
        expect(badRegion.stdout).toContain(
          'input \'region\': "us-gov-west-9" is not a known AWS region',
        );
      } finally {
        await ecr.close();
        await registry.stop();
      }
    },
    60_000,
  );
});
