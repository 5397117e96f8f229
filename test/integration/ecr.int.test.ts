/**
 * packages/ecr with the real `@aws-sdk/client-ecr`, reaching the ECR test server through AWS's own
 * AWS_ENDPOINT_URL_ECR variable, with images stored in the real registry.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BatchDeleteImageCommand, CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { createEcrClient, EcrError, type EcrClient } from '../../packages/ecr/index.js';
import { recordingLogger } from '../../packages/kit/index.js';
import { ecrVersionSource } from '../../packages/release/index.js';
import { nextVersion, VersionFormat } from '../../packages/version/index.js';
import {
  registryAvailability,
  startRegistry,
  type StoredManifest,
  type TestRegistry,
} from '../support/docker/index.js';
import { startEcrServer, type EcrTestServer } from '../support/ecr-server/index.js';

const ACCOUNT_ID = '008577686731';
const REGION = 'us-gov-west-1';
const REGISTRY_HOST = `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;

// Fake credentials for the SDK's default chain; the server checks the request is signed, not the signature.
const ACCESS_KEY_ID = 'AKIAGITOPSTEST000001';
const SECRET_ACCESS_KEY = randomBytes(30).toString('base64');
const SESSION_TOKEN = `session-${randomBytes(24).toString('hex')}`;

const availability = registryAvailability();
if (!availability.ok)
  process.stderr.write(`ECR integration tests skipped: ${availability.reason}\n`);
const describeEcr = availability.ok ? describe : describe.skip;

describeEcr('packages/ecr against the ECR test server', () => {
  let registry: TestRegistry;
  let server: EcrTestServer;
  let ecr: EcrClient;
  const logger = recordingLogger();
  const savedEnv = { ...process.env };
  // Unique per run: a registry started by .ci/run is shared by every test file.
  const run = randomBytes(3).toString('hex');
  const repo = {
    app: `team/app-${run}`,
    locked: `team/locked-${run}`,
    many: `team/many-${run}`,
  };
  let build1: StoredManifest;
  let build2: StoredManifest;
  let ociBuild: StoredManifest;

  /** Everything an error exposes when printed; none of it may carry a credential. */
  function expectNoSecrets(error: unknown): void {
    const printed = `${String(error)}\n${inspect(error, { depth: 6 })}`;
    for (const secret of [ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, registry.password]) {
      expect(printed).not.toContain(secret);
    }
  }

  async function failure(promise: Promise<unknown>): Promise<EcrError> {
    try {
      await promise;
    } catch (error: unknown) {
      expectNoSecrets(error);
      if (error instanceof EcrError) return error;
      throw error;
    }
    throw new Error('expected an EcrError');
  }

  beforeAll(async () => {
    registry = await startRegistry();
    server = await startEcrServer({ registry, accountId: ACCOUNT_ID, region: REGION });
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      AWS_SESSION_TOKEN: SESSION_TOKEN,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_ECR: server.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_MAX_ATTEMPTS;
    ecr = createEcrClient({ region: REGION, logger });

    server.createRepository(repo.app);
    server.createRepository(repo.locked, { imageTagMutability: 'IMMUTABLE' });
    server.createRepository(repo.many);
    [build1, build2, ociBuild] = await Promise.all([
      registry.api.pushSyntheticImage(repo.app, 'build-1', { content: 'one' }),
      registry.api.pushSyntheticImage(repo.app, 'build-2', { content: 'two' }),
      registry.api.pushSyntheticImage(repo.app, 'oci-build', { content: 'oci', format: 'oci' }),
    ]);
    await Promise.all([
      registry.api.pushSyntheticImage(repo.locked, 'build-1', { content: 'one' }),
      registry.api.pushSyntheticImage(repo.locked, 'build-2', { content: 'two' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    for (const key of Object.keys(process.env)) {
      if (!(key in savedEnv)) Reflect.deleteProperty(process.env, key);
    }
    Object.assign(process.env, savedEnv);
    ecr.sdk.destroy();
    await server.close();
    await registry.stop();
  });

  it('gets registry credentials and the proxy endpoint from a signed GetAuthorizationToken', async () => {
    const auth = await ecr.getAuthorization();
    expect(auth.username).toBe('AWS');
    expect(auth.password).toBe(registry.password);
    expect(auth.proxyEndpoint).toBe(`http://${registry.host}`);
    expect(auth.registry).toBe(registry.host);
    expect(auth.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 11 * 3600 * 1000);

    // The credentials work against the registry itself.
    const response = await fetch(`http://${auth.registry}/v2/`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
      },
    });
    expect(response.status).toBe(200);

    const [request] = server.requestsFor('GetAuthorizationToken');
    expect(request?.accessKeyId).toBe(ACCESS_KEY_ID);
    expect(request?.signingRegion).toBe(REGION);
    expect(request?.headers['x-amz-security-token']).toBe(SESSION_TOKEN);
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=/);
  });

  it('lists more than 100 tags across ListImages pages', async () => {
    const seed = await registry.api.pushSyntheticImage(repo.many, 'seed');
    const tags = Array.from({ length: 150 }, (_, index) => `t${String(index).padStart(3, '0')}`);
    // One manifest under many tags: PUTs only, no blobs (cheap).
    for (let start = 0; start < tags.length; start += 15) {
      await Promise.all(
        tags
          .slice(start, start + 15)
          .map((tag) => registry.api.putManifest(repo.many, tag, seed.body, seed.mediaType)),
      );
    }
    const before = server.requestsFor('ListImages').length;

    const listed = await ecr.listImageTags(repo.many);

    expect(listed).toEqual(['seed', ...tags].sort());
    const pages = server.requestsFor('ListImages').slice(before);
    expect(pages.map((request) => request.input.nextToken === undefined)).toEqual([true, false]);
    expect(pages.every((request) => request.status === 200)).toBe(true);
  }, 30_000);

  it('counts release tags as versions, ignoring a planted out-of-range one with a warning', async () => {
    const versions = `team/versions-${run}`;
    server.createRepository(versions);
    const seed = await registry.api.pushSyntheticImage(versions, 'v0.0.7');
    // Anyone with ecr:PutImage can push a tag; N + 1 of this one is not an exact number.
    for (const tag of ['v0.0.8', 'v0.0.9007199254740991', 'v0.0.8-1000000000', 'latest']) {
      await registry.api.putManifest(versions, tag, seed.body, seed.mediaType);
    }
    const sourceLog = recordingLogger();
    const source = ecrVersionSource(ecr, versions, sourceLog);
    const format = VersionFormat.parse('v0.0.{n}');

    const found = await source.listVersions(format);

    expect(found.map((version) => version.tag)).toEqual(['v0.0.7', 'v0.0.8']);
    expect(nextVersion(format, found).tag).toBe('v0.0.9');
    expect(sourceLog.records).toEqual(
      ['v0.0.8-1000000000', 'v0.0.9007199254740991'].map((tag) => ({
        level: 'warning',
        message: `ignoring tag ${tag} in ecr ${versions}: release and hotfix numbers above 999999999 are not releases this suite writes; delete the tag if it was pushed by mistake`,
      })),
    );
  });

  it('finds the digest behind a tag, and knows when a tag is absent', async () => {
    expect(await ecr.getImageDigest(repo.app, 'build-1')).toBe(build1.digest);
    const details = await ecr.describeImage(repo.app, 'oci-build');
    expect(details).toMatchObject({
      digest: ociBuild.digest,
      tags: ['oci-build'],
      manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(details?.sizeInBytes).toBeGreaterThan(0);
    expect(details?.pushedAt).toBeInstanceOf(Date);
    expect(await ecr.tagExists(repo.app, 'build-2')).toBe(true);
    expect(await ecr.tagExists(repo.app, 'never-built')).toBe(false);
    expect(await ecr.getImageDigest(repo.app, 'never-built')).toBeUndefined();
  });

  it('reads tag mutability', async () => {
    expect(await ecr.getTagMutability(repo.app)).toBe('MUTABLE');
    expect(await ecr.getTagMutability(repo.locked)).toBe('IMMUTABLE');
  });

  it('promotes by copying the manifest: zero blob uploads, identical manifest, idempotent', async () => {
    const uploadsBefore = registry.blobUploads(repo.app);
    const registryRequestsBefore = registry.requests(repo.app).length;
    const putsBefore = server.requestsFor('PutImage').length;

    const result = await ecr.promoteImage({
      repository: repo.app,
      source: { tag: 'build-1' },
      targetTag: '1.0.0',
    });

    expect(result).toEqual({
      digest: build1.digest,
      mediaType: build1.mediaType,
      alreadyPresent: false,
      previousDigest: undefined,
    });
    expect(registry.blobUploads(repo.app)).toBe(uploadsBefore);
    const blobWrites = registry
      .requests(repo.app)
      .slice(registryRequestsBefore)
      .filter((request) => request.path.includes('/blobs/') && request.method !== 'HEAD');
    expect(blobWrites).toEqual([]);
    const pulled = await registry.api.getManifest(repo.app, '1.0.0');
    expect(pulled?.digest).toBe(build1.digest);
    expect(pulled?.body.equals(build1.body)).toBe(true);
    expect(pulled?.mediaType).toBe(build1.mediaType);

    const again = await ecr.promoteImage({
      repository: repo.app,
      source: { tag: 'build-1' },
      targetTag: '1.0.0',
    });
    expect(again.alreadyPresent).toBe(true);
    expect(server.requestsFor('PutImage').length).toBe(putsBefore + 1);
  });

  it('promotes an OCI image by digest, and moves a tag on a mutable repository', async () => {
    const oci = await ecr.promoteImage({
      repository: repo.app,
      source: { digest: ociBuild.digest },
      targetTag: 'oci-release',
    });
    expect(oci).toMatchObject({ digest: ociBuild.digest, alreadyPresent: false });
    const pulled = await registry.api.getManifest(repo.app, 'oci-release');
    expect(pulled?.body.equals(ociBuild.body)).toBe(true);
    expect(pulled?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');

    await ecr.promoteImage({
      repository: repo.app,
      source: { tag: 'build-1' },
      targetTag: 'stable',
    });
    const moved = await ecr.promoteImage({
      repository: repo.app,
      source: { tag: 'build-2' },
      targetTag: 'stable',
    });
    expect(moved).toMatchObject({ digest: build2.digest, previousDigest: build1.digest });
    expect(await ecr.getImageDigest(repo.app, 'stable')).toBe(build2.digest);
    expect(logger.records).toContainEqual({
      level: 'info',
      message: `moved ${repo.app}:stable from ${build1.digest} to ${build2.digest}`,
    });
  });

  it('on an immutable repository, re-promotes the same digest but refuses another one', async () => {
    const first = await ecr.promoteImage({
      repository: repo.locked,
      source: { tag: 'build-1' },
      targetTag: 'release',
    });
    expect(first.alreadyPresent).toBe(false);
    const rerun = await ecr.promoteImage({
      repository: repo.locked,
      source: { tag: 'build-1' },
      targetTag: 'release',
    });
    expect(rerun.alreadyPresent).toBe(true);

    const error = await failure(
      ecr.promoteImage({
        repository: repo.locked,
        source: { tag: 'build-2' },
        targetTag: 'release',
      }),
    );
    expect(error.kind).toBe('tag-immutable');
    expect(error.message).toContain(build1.digest);
    expect(error.message).toContain(build2.digest);
    expect(error.message).toContain(`'${repo.locked}:release'`);
    expect(await ecr.getImageDigest(repo.locked, 'release')).toBe(build1.digest);
  });

  it('reports a missing image to promote', async () => {
    const error = await failure(
      ecr.promoteImage({ repository: repo.app, source: { tag: 'never-built' }, targetTag: 'x' }),
    );
    expect(error.kind).toBe('image-not-found');
    expect(error.message).toContain(`tag 'never-built' not found in ECR repository '${repo.app}'`);
  });

  it('names repository, registry and region when the repository does not exist', async () => {
    const error = await failure(ecr.listImageTags('team/missing'));
    expect(error.kind).toBe('repository-not-found');
    expect(error.message).toBe(
      `ECR repository 'team/missing' not found in registry ${REGISTRY_HOST} (${REGION}): ` +
        'create it, or check the repository name, account and region',
    );
  });

  it('says which permission is missing when access is denied', async () => {
    server.denyAccess({ operation: 'PutImage', repository: repo.app });
    try {
      const error = await failure(
        ecr.promoteImage({ repository: repo.app, source: { tag: 'build-1' }, targetTag: 'denied' }),
      );
      expect(error.kind).toBe('access-denied');
      expect(error.message).toContain('ecr:PutImage');
      expect(error.message).toContain(repo.app);
    } finally {
      server.allowAll();
    }
  });

  it('retries throttling with the SDK retry strategy, then succeeds', async () => {
    server.injectFault({
      operation: 'DescribeImages',
      kind: 'throttling',
      times: 2,
      repository: repo.app,
    });
    const before = server.requestsFor('DescribeImages').length;

    expect(await ecr.getImageDigest(repo.app, 'build-2')).toBe(build2.digest);

    const attempts = server.requestsFor('DescribeImages').slice(before);
    expect(attempts.map((request) => request.status)).toEqual([400, 400, 200]);
    expect(attempts.map((request) => request.sdkRequest)).toEqual([
      'attempt=1; max=5',
      'attempt=2; max=5',
      'attempt=3; max=5',
    ]);
    expect(logger.records).toContainEqual({
      level: 'info',
      message: 'ECR DescribeImages succeeded after 3 attempts',
    });
  }, 30_000);

  it('retries server errors, and gives up with one clear line after maxAttempts', async () => {
    server.injectFault({
      operation: 'ListImages',
      kind: 'server-error',
      times: 1,
      repository: repo.app,
    });
    expect(await ecr.listImageTags(repo.app)).toContain('build-1');

    const impatient = createEcrClient({ region: REGION, logger, maxAttempts: 2 });
    server.injectFault({ operation: 'DescribeRepositories', kind: 'throttling', times: 2 });
    const error = await failure(impatient.getTagMutability(repo.app));
    impatient.sdk.destroy();
    expect(error.kind).toBe('throttled');
    expect(error.message).toBe(
      'ECR kept throttling DescribeRepositories after 2 attempts (ThrottlingException); try again later',
    );
  }, 30_000);

  it('uses an endpoint given in code over AWS_ENDPOINT_URL_ECR', async () => {
    const configured = process.env.AWS_ENDPOINT_URL_ECR;
    process.env.AWS_ENDPOINT_URL_ECR = 'http://127.0.0.1:9';
    try {
      const direct = createEcrClient({ region: REGION, logger, endpoint: server.endpoint });
      expect(await direct.getImageDigest(repo.app, 'build-1')).toBe(build1.digest);
      direct.sdk.destroy();
    } finally {
      process.env.AWS_ENDPOINT_URL_ECR = configured;
    }
  });

  it('serves CreateRepository and BatchDeleteImage to the SDK', async () => {
    const name = `team/scratch-${run}`;
    const created = await ecr.sdk.send(
      new CreateRepositoryCommand({ repositoryName: name, imageTagMutability: 'IMMUTABLE' }),
    );
    expect(created.repository).toMatchObject({
      repositoryName: name,
      repositoryUri: `${registry.host}/${name}`,
      repositoryArn: `arn:aws-us-gov:ecr:${REGION}:${ACCOUNT_ID}:repository/${name}`,
    });
    expect(await ecr.getTagMutability(name)).toBe('IMMUTABLE');
    const image = await registry.api.pushSyntheticImage(name, 'gone-soon');
    const deleted = await ecr.sdk.send(
      new BatchDeleteImageCommand({ repositoryName: name, imageIds: [{ imageTag: 'gone-soon' }] }),
    );
    expect(deleted.imageIds).toEqual([{ imageDigest: image.digest, imageTag: 'gone-soon' }]);
    expect(await ecr.tagExists(name, 'gone-soon')).toBe(false);
  });

  it('refuses bad names before calling AWS', async () => {
    const before = server.requests.length;
    expect((await failure(ecr.listImageTags('Team/App'))).kind).toBe('invalid-argument');
    expect((await failure(ecr.getImageDigest(repo.app, 'bad tag'))).kind).toBe('invalid-argument');
    expect(() => createEcrClient({ region: 'us-gov-north-1', logger })).toThrow(
      'not a known AWS region',
    );
    expect(server.requests.length).toBe(before);
  });
});
