/**
 * dist/ecr-build-push under Node 24, main and post steps, as the runner runs them: inputs as INPUT_*,
 * the real AWS SDK reaching the ECR test server through AWS_ENDPOINT_URL_ECR with fake keys, docker
 * against the private dockerd, and the local registry behind it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { node24Path, runAction, type ActionRun } from '../support/action-runner.js';
import {
  BASE_IMAGE,
  ensureBaseImage,
  startDockerDaemon,
  startRegistry,
  type DockerDaemon,
  type TestRegistry,
  describeWithDockerAndRegistry,
} from '../support/docker/index.js';
import { startEcrServer, type EcrTestServer } from '../support/ecr-server/index.js';
import { startGitHubServer, type GitHubTestServer } from '../support/github-server.js';
import { parseRecord } from '../../packages/release/provenance.js';

const describeReal = describeWithDockerAndRegistry('ecr-build-push e2e');

const action = 'actions/ecr-build-push';
const ACCOUNT_ID = '008577686731';
const REGION = 'us-gov-west-1';
const SHA = 'b'.repeat(40);

describeReal('dist/ecr-build-push under Node 24', () => {
  let daemon: DockerDaemon;
  let registry: TestRegistry;
  let server: EcrTestServer;
  let github: GitHubTestServer;
  let work: string;
  let workspace: string;
  let home: string;
  let runnerTemp: string;
  const repository = `team/cms-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    node24Path();
    work = mkdtempSync(join(tmpdir(), 'ecr-build-push-e2e-'));
    workspace = join(work, 'workspace');
    home = join(work, 'home');
    runnerTemp = join(work, 'runner-temp');
    for (const dir of [workspace, home, runnerTemp]) mkdirSync(dir);
    writeFileSync(join(workspace, 'index.html'), '<h1>cms</h1>\n');
    writeFileSync(
      join(workspace, 'Dockerfile'),
      [
        `FROM ${BASE_IMAGE} AS build`,
        'COPY index.html /src/index.html',
        'RUN sed s/cms/CMS/ /src/index.html > /src/out.html',
        `FROM ${BASE_IMAGE}`,
        'COPY --from=build /src/out.html /www/index.html',
        '',
      ].join('\n'),
    );
    [daemon, registry] = await Promise.all([startDockerDaemon(), startRegistry()]);
    await ensureBaseImage(daemon);
    server = await startEcrServer({ registry, accountId: ACCOUNT_ID, region: REGION });
    server.createRepository(repository, { imageTagMutability: 'IMMUTABLE' });
    // The app repository whose GitHub releases keep the images' provenance records.
    github = await startGitHubServer();
    await github.createRepo('octo-org/cms');
  }, 120_000);

  afterAll(async () => {
    await github.close();
    await server.close();
    await Promise.all([daemon.stop(), registry.stop()]);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  const env = (): Record<string, string> => ({
    ...daemon.env,
    HOME: home,
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: workspace,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'octo-org/cms',
    GITHUB_SHA: SHA,
    // A fixed created time: a re-run builds the very same image.
    SOURCE_DATE_EPOCH: '1764288000',
    AWS_ACCESS_KEY_ID: 'AKIAGITOPSE2E0000001',
    AWS_SECRET_ACCESS_KEY: 'e2e-secret-access-key',
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_ECR: server.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    GITHUB_API_URL: github.url,
    GITHUB_RUN_ID: '4200',
  });

  /** The provenance record the app repository's release of `tag` holds (draft or published). */
  const recordOf = async (tag: string) => {
    const response = await fetch(`${github.url}/repos/octo-org/cms/releases?per_page=100`);
    const releases = (await response.json()) as { tag_name: string; body: string | null }[];
    const release = releases.find((candidate) => candidate.tag_name === tag);
    return release === undefined ? undefined : parseRecord(release.body ?? '');
  };

  // The login the ECR server hands out: runAction's secret scan watches for it (and its base64).
  const main = (
    inputs: Record<string, string>,
    extraEnv: Record<string, string> = {},
  ): Promise<ActionRun> =>
    runAction({
      action,
      inputs: { network: 'none', ...inputs },
      env: { ...env(), ...extraEnv },
      secrets: [registry.password],
    });

  const post = (state: Record<string, string>): Promise<ActionRun> =>
    runAction({ action, step: 'post', state, env: env(), secrets: [registry.password] });

  it('builds and pushes, masks the password, writes outputs and summary; post removes the credentials', async () => {
    const run = await main({
      registry: ACCOUNT_ID,
      repository,
      tags: 'v0.0.1,latest',
      'app-token': 'ghs_app_token',
    });
    expect(run.stdout).not.toContain('::error::');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('::add-mask::ghs_app_token');
    const head = await registry.api.headManifest(repository, 'v0.0.1');
    const digest = head?.digest ?? 'missing';
    // The push is recorded where an ECR writer cannot write: the draft release of the tag.
    expect(await recordOf('v0.0.1')).toEqual({
      repository,
      tag: 'v0.0.1',
      imageId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      digest,
      revision: SHA,
      run: 'https://github.com/octo-org/cms/actions/runs/4200',
    });
    const image = `${registry.host}/${repository}:v0.0.1`;
    expect(run.outputs).toEqual({
      image,
      digest,
      'image-with-digest': `${image}@${digest}`,
      registry: registry.host,
      tags: 'v0.0.1,latest',
      built: 'true',
      pushed: 'true',
      'source-revision': '',
      'source-version': '',
      // Set when the directory was made, for a composite that runs the clean-up itself.
      'docker-config': run.state['docker-config'],
    });
    expect((await registry.api.headManifest(repository, 'latest'))?.digest).toBe(digest);

    const basic = Buffer.from(`AWS:${registry.password}`).toString('base64');
    expect(run.stdout).toContain(`::add-mask::${registry.password}`);
    expect(run.stdout).toContain(`::add-mask::${basic}`);
    const unmasked = run.stdout
      .replace(`::add-mask::${registry.password}`, '')
      .replace(`::add-mask::${basic}`, '');
    expect(unmasked).not.toContain(registry.password);
    expect(unmasked).not.toContain(basic);
    // The secret scan saw the docker commands (login, build, push) while they ran.
    expect(run.commands.some((command) => /(^|\/)docker build /.test(command))).toBe(true);
    expect(run.stdout).toContain('::group::Building');
    expect(run.stdout).toContain('DOCKER_BUILDKIT=1 docker build (no buildx)');
    // Build and push output ran between stop-commands and its end, a new random token each time.
    const tokens = [...run.stdout.matchAll(/^::stop-commands::(.*)$/gm)].map(
      (match) => match[1] ?? '',
    );
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const token of tokens) {
      expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(run.stdout.split('\n')).toContain(`::${token}::`);
    }

    expect(run.summary).toContain(
      '| Image | Digest | Size | Tags | What happened | Build | Push |',
    );
    expect(run.summary).toContain(`| ${image} | ${digest} |`);
    expect(run.summary).toContain('| v0.0.1, latest | built (classic) and pushed |');

    const configDir = run.state['docker-config'] ?? '';
    expect(configDir.startsWith(join(runnerTemp, 'docker-config-'))).toBe(true);
    expect(existsSync(join(configDir, 'config.json'))).toBe(true);
    expect(run.state.registry).toBe(registry.host);
    // The clean-up is a bundle of its own (runs.post), so no post marker is needed.
    expect(run.state.isPost).toBeUndefined();

    const cleanup = await post(run.state);
    expect(cleanup.exitCode).toBe(0);
    expect(cleanup.stdout).toContain('removed the docker credentials');
    expect(existsSync(configDir)).toBe(false);
    expect(existsSync(join(home, '.docker'))).toBe(false);
  }, 90_000);

  it('re-runs the same release (runner killed after the push): same digest, nothing built or pushed, then promotes', async () => {
    const before = registry.blobUploads(repository);
    const digest = (await registry.api.headManifest(repository, 'v0.0.1'))?.digest;
    // No SOURCE_DATE_EPOCH and no checkout: a rebuild would get another created time, so another
    // image id. The release is recognised by its provenance record instead.
    const rerun = await main(
      { registry: ACCOUNT_ID, repository, tags: 'v0.0.1,latest', 'app-token': 'ghs_app_token' },
      { SOURCE_DATE_EPOCH: '' },
    );
    expect(rerun.stdout).not.toContain('::error::');
    expect(rerun.exitCode).toBe(0);
    expect(rerun.outputs).toMatchObject({ built: 'false', pushed: 'false', digest });
    expect(rerun.commands.some((command) => /(^|\/)docker build /.test(command))).toBe(false);
    expect(rerun.commands.some((command) => /(^|\/)docker push /.test(command))).toBe(false);
    expect(rerun.summary).toContain(
      'this release (its provenance record names it) is already in ECR: nothing built or pushed',
    );
    expect((await registry.api.headManifest(repository, 'v0.0.1'))?.digest).toBe(digest);
    expect((await registry.api.headManifest(repository, 'latest'))?.digest).toBe(digest);
    expect((await post(rerun.state)).exitCode).toBe(0);

    const promoted = await main({
      repository,
      tags: 'v0.0.2',
      'promote-from': 'v0.0.1',
      network: '',
      revision: SHA,
    });
    expect(promoted.exitCode).toBe(0);
    expect(promoted.outputs).toMatchObject({
      built: 'false',
      pushed: 'true',
      digest: rerun.outputs.digest,
    });
    expect(promoted.summary).toContain('promoted from v0.0.1 (no build, no upload)');
    // A promotion never touches docker: nothing for post to clean.
    expect(promoted.state['docker-config']).toBeUndefined();
    expect((await post(promoted.state)).exitCode).toBe(0);
    expect(registry.blobUploads(repository)).toBe(before);
  }, 90_000);

  it('refuses an image planted under the release tag with the release labels, naming its digest', async () => {
    // An ECR writer pushes their own image under the next, predictable tag, labelled with the
    // revision, version and source the release will carry (here: the bundle itself, without a record).
    writeFileSync(
      join(workspace, 'Dockerfile.planted'),
      [`FROM ${BASE_IMAGE}`, 'RUN echo planted > /www-planted', ''].join('\n'),
    );
    const planted = await main({
      registry: ACCOUNT_ID,
      repository,
      tags: 'v0.0.3',
      file: 'Dockerfile.planted',
    });
    expect(planted.exitCode).toBe(0);
    const plantedDigest = planted.outputs.digest ?? '';
    expect(await recordOf('v0.0.3')).toBeUndefined();

    const release = await main({
      registry: ACCOUNT_ID,
      repository,
      tags: 'v0.0.3,latest',
      'app-token': 'ghs_app_token',
    });
    expect(release.exitCode).toBe(1);
    const errors = release.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toEqual([
      `::error::ecr-build-push failed: tag 'v0.0.3' already has an image in ECR repository '${repository}' (${plantedDigest}) that this release did not push: the GitHub release v0.0.3 of octo-org/cms holds no record of it; someone with push rights to the repository put it there: delete it (aws ecr batch-delete-image --repository-name ${repository} --image-ids imageTag=v0.0.3) and run again`,
    ]);
    // Nothing built, nothing moved, nothing recorded.
    expect(release.commands.some((command) => /(^|\/)docker build /.test(command))).toBe(false);
    expect((await registry.api.headManifest(repository, 'latest'))?.digest).not.toBe(plantedDigest);
    expect(await recordOf('v0.0.3')).toBeUndefined();
    expect((await post(release.state)).exitCode).toBe(0);
  }, 90_000);

  it.each<[string, Record<string, string>, string]>([
    [
      'unknown region',
      { region: 'us-gov-north-1' },
      'input \'region\': "us-gov-north-1" is not a known AWS region',
    ],
    [
      'repository name',
      { repository: 'Team/CMS' },
      'input \'repository\': "Team/CMS" is not a valid ECR repository name',
    ],
    [
      'missing Dockerfile',
      { file: 'docker/Dockerfile' },
      "input 'file': no Dockerfile at docker/Dockerfile",
    ],
    [
      'context outside',
      { context: '../home' },
      'input \'context\': "../home" is outside the workspace',
    ],
    [
      'promote and build',
      { 'promote-from': 'v0.0.1' },
      "input 'promote-from': cannot be combined with network",
    ],
    ['empty tags', { tags: '' }, "input 'tags': is empty"],
    [
      'bad tag',
      { tags: 'v0.0.9:latest' },
      'input \'tags\': "v0.0.9:latest" is not a valid image tag',
    ],
  ])(
    'fails on bad input (%s): one line naming it, exit 1, nothing pushed',
    async (_name, inputs, message) => {
      const tags = await registry.api.tags(repository);
      const run = await main({ repository, tags: 'v0.0.9', ...inputs });
      expect(run.exitCode).toBe(1);
      const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`ecr-build-push failed: ${message}`);
      expect(run.outputs).toEqual({});
      expect(await registry.api.tags(repository)).toEqual(tags);
      expect((await post(run.state)).exitCode).toBe(0);
    },
    30_000,
  );
});
