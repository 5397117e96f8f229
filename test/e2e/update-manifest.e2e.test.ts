import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { node24Path, ROOT, runAction } from '../support/action-runner.js';
import { registryAvailability, startRegistry, type TestRegistry } from '../support/docker/index.js';
import { startEcrServer, type EcrTestServer } from '../support/ecr-server/index.js';

// The committed bundle under Node 24, in a workspace holding a copy of a fixture manifests tree.
const action = 'actions/update-manifest';
const FIXTURES = join(ROOT, 'test/fixtures/manifests');
const IMAGE = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal';
let workspace: string;

beforeAll(() => {
  node24Path();
});

async function workspaceWith(fixture: string): Promise<string> {
  workspace = await mkdtemp(join(tmpdir(), 'update-manifest-e2e-'));
  await cp(join(FIXTURES, fixture, 'input'), join(workspace, 'manifests'), { recursive: true });
  return workspace;
}

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const values = () => readFile(join(workspace, 'manifests/values.yaml'), 'utf8');
const expectedValues = () =>
  readFile(join(FIXTURES, 'helm-values-ecr-govcloud/expected/values.yaml'), 'utf8');

describe('dist/update-manifest under Node 24', () => {
  it('changes a layered values file that overrides the tag, and lists it as an override in the summary', async () => {
    const dir = await workspaceWith('helm-layered-values');
    const run = await runAction({
      action,
      env: { GITHUB_WORKSPACE: dir },
      inputs: { path: 'manifests', image: IMAGE, tag: 'v0.0.418' },
    });
    expect(run.exitCode).toBe(0);
    for (const file of ['values.yaml', 'values-prod.yaml', 'values-staging.yaml']) {
      expect(await readFile(join(dir, 'manifests/charts/cms', file), 'utf8')).toBe(
        await readFile(join(FIXTURES, 'helm-layered-values/expected/charts/cms', file), 'utf8'),
      );
    }
    expect(run.summary).toMatch(
      /\| charts\/cms\/values-prod\.yaml \| \d+ \| [^|]* \(override of charts\/cms\/values\.yaml:/,
    );
    // The edit handed to open-manifest-pr carries the overrides, for a base that moves meanwhile.
    expect(JSON.parse(run.outputs.edit ?? '{}')).toMatchObject({
      overrides: expect.arrayContaining([
        expect.objectContaining({ file: 'charts/cms/values-prod.yaml' }),
      ]),
    });
  });

  it('rewrites the tag byte-for-byte and reports references, files, diff and summary', async () => {
    const dir = await workspaceWith('helm-values-ecr-govcloud');
    const run = await runAction({
      action,
      env: { GITHUB_WORKSPACE: dir },
      inputs: { path: 'manifests', image: IMAGE, tag: 'v0.0.418' },
    });
    expect(run.exitCode).toBe(0);
    expect(await values()).toBe(await expectedValues());
    expect(run.outputs.changed).toBe('true');
    expect(JSON.parse(run.outputs['changed-files'] ?? '')).toEqual(['values.yaml']);
    expect(run.outputs['previous-version']).toBe('v0.0.417');
    expect(JSON.parse(run.outputs.references ?? '')).toEqual([
      {
        file: 'values.yaml',
        line: 8,
        keyPath: 'deployment.container.image',
        oldValue: `${IMAGE}:v0.0.417`,
        newValue: `${IMAGE}:v0.0.418`,
      },
    ]);
    expect(run.outputs.diff).toContain(`-    image: ${IMAGE}:v0.0.417`);
    expect(run.outputs.diff).toContain(`+    image: ${IMAGE}:v0.0.418`);
    expect(run.summary).toContain('| values.yaml | 8 | deployment.container.image |');
    expect(run.summary).toContain('<details><summary>Diff</summary>');

    const again = await runAction({
      action,
      env: { GITHUB_WORKSPACE: dir },
      inputs: { path: 'manifests', image: IMAGE, tag: 'v0.0.418' },
    });
    expect(again.exitCode).toBe(0);
    expect(again.outputs.changed).toBe('false');
  });

  it('writes nothing in a dry run', async () => {
    const dir = await workspaceWith('helm-values-ecr-govcloud');
    const before = await values();
    const run = await runAction({
      action,
      env: { GITHUB_WORKSPACE: dir },
      inputs: { path: 'manifests', image: 'dsva/cms-drupal', tag: 'v0.0.500', 'dry-run': 'true' },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.changed).toBe('true');
    expect(run.summary).toContain('(dry run)');
    expect(await values()).toBe(before);
  });

  it.each([
    [{ tag: 'v0.0.416' }, 'refusing to downgrade to v0.0.416: values.yaml:8'],
    [{ tag: 'v0.0.416', 'allow-downgrade': 'true' }, "input 'downgrade-reason'"],
    [{ image: `${IMAGE}:v1` }, "input 'image'"],
    [{ tag: 'bad tag' }, "input 'tag'"],
    [{ tag: '' }, "input 'tag'"],
    [{ digest: 'sha256:123' }, "input 'digest'"],
    [{ set: 'a.b[=x]=1' }, "input 'set'"],
    [{ set: 'missing.path={version}' }, "input 'set'"],
    [{ files: '../outside.yaml' }, "'files'"],
    [{ image: 'dsva/other-app' }, 'no reference to dsva/other-app found'],
    [{ 'dry-run': 'perhaps' }, "input 'dry-run'"],
    [{ format: 'v0.0' }, "input 'format'"],
    [{ path: 'does-not-exist' }, 'does-not-exist'],
  ])('fails %j with exit code 1, one error line and no file changed', async (inputs, message) => {
    const dir = await workspaceWith('helm-values-ecr-govcloud');
    const before = await values();
    const run = await runAction({
      action,
      env: { GITHUB_WORKSPACE: dir },
      inputs: { path: 'manifests', image: IMAGE, tag: 'v0.0.418', ...inputs },
    });
    expect(run.exitCode).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('update-manifest failed: ');
    expect(errors[0]).toContain(message);
    expect(await values()).toBe(before);
  });

  it('allows a downgrade with a reason and shows it in the summary', async () => {
    const dir = await workspaceWith('helm-values-ecr-govcloud');
    const run = await runAction({
      action,
      env: { GITHUB_WORKSPACE: dir },
      inputs: {
        path: 'manifests',
        image: IMAGE,
        tag: 'v0.0.416',
        'allow-downgrade': 'true',
        'downgrade-reason': 'v0.0.417 corrupts uploads; schema unchanged since v0.0.416',
      },
    });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain('Downgrade allowed: v0.0.417 corrupts uploads');
    expect(await values()).toContain(`${IMAGE}:v0.0.416`);
  });
});

describe('dist/update-manifest verify-image against the ECR API', () => {
  const availability = registryAvailability();
  const maybe = availability.ok ? it : it.skip;
  let registry: TestRegistry | undefined;
  let ecr: EcrTestServer | undefined;

  afterAll(async () => {
    await ecr?.close();
    await registry?.stop();
  });

  maybe(
    'refuses a tag ECR does not hold and accepts one it does',
    async () => {
      registry = await startRegistry();
      ecr = await startEcrServer({ registry, accountId: '008577686731', region: 'us-gov-west-1' });
      const repository = `dsva/cms-drupal-${randomBytes(3).toString('hex')}`;
      ecr.createRepository(repository, { imageTagMutability: 'IMMUTABLE' });
      const pushed = await registry.api.pushSyntheticImage(repository, 'v0.0.418', {
        format: 'docker',
        content: 'release 418',
      });
      const dir = await workspaceWith('helm-values-ecr-govcloud');
      const env = {
        GITHUB_WORKSPACE: dir,
        AWS_ACCESS_KEY_ID: 'AKIAGITOPSTEST000003',
        AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
        AWS_ENDPOINT_URL_ECR: ecr.endpoint,
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      const image = `008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/${repository}`;
      const set = `deployment.container.image={image}`;
      const missing = await runAction({
        action,
        env,
        inputs: {
          path: 'manifests',
          image,
          tag: 'v0.0.419',
          'verify-image': 'true',
          set,
          'fail-if-none': 'false',
        },
      });
      expect(missing.exitCode).toBe(1);
      expect(missing.stdout).toContain(
        `image ${repository}:v0.0.419 is not in ECR (us-gov-west-1)`,
      );

      const present = await runAction({
        action,
        env,
        inputs: {
          path: 'manifests',
          image,
          tag: 'v0.0.418',
          digest: pushed.digest,
          'verify-image': 'true',
          set,
        },
      });
      expect(present.stdout).not.toContain('::error::');
      expect(present.exitCode).toBe(0);
      expect(await values()).toContain(`${image}:v0.0.418@${pushed.digest}`);
    },
    60_000,
  );
});
