/**
 * ecr-build-push (publishImage) when things fail part-way, against the real parts: a private dockerd,
 * the htpasswd registry behind a faulty proxy, and the ECR test server the real AWS SDK talks to.
 * Every test asserts the final state in the registry: either the release is complete (the release tag
 * names the digest reported, every blob present) or nothing visible changed, with one clear error line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  createDockerConfigDir,
  DockerCli,
  processExec,
  publishImage,
  type Exec,
  type ExecResult,
  type ImageBuild,
  type ImageRecord,
  type ImageRecordStore,
  type PublishRequest,
} from '../../packages/docker/index.js';
import { createEcrClient, type EcrClient } from '../../packages/ecr/index.js';
import { recordingLogger, type Logger, type RecordedLog } from '../../packages/kit/index.js';
import {
  BASE_IMAGE,
  blobUploadData,
  describeWithDockerAndRegistry,
  DISTRIBUTION_DISK_FULL_BODY,
  ensureBaseImage,
  startDockerDaemon,
  startFaultyProxy,
  startRegistry,
  type DockerDaemon,
  type FaultyProxy,
  type TestRegistry,
} from '../support/docker/index.js';
import { startEcrServer, type EcrTestServer } from '../support/ecr-server/index.js';

const describeReal = describeWithDockerAndRegistry('ecr-build-push fault tests');

const REGION = 'us-gov-west-1';
const ACCOUNT_ID = '008577686731';
const CREATED = new Date(Date.UTC(2026, 10, 1, 12, 0, 0));
const SHA = 'fa17ed'.padEnd(40, '0');

interface ExecCall {
  readonly args: readonly string[];
}

/** A registry front with its own ECR test server and SDK client. */
interface FaultyEcr {
  readonly proxy: FaultyProxy;
  readonly server: EcrTestServer;
  readonly ecr: EcrClient;
  close(): Promise<void>;
}

describeReal('ecr-build-push under registry and ECR faults', () => {
  let daemon: DockerDaemon;
  let registry: TestRegistry;
  let work: string;
  const run = randomBytes(3).toString('hex');
  const savedEnv = { ...process.env };
  const calls: ExecCall[] = [];
  const logs: RecordedLog[] = [];
  const masked: string[] = [];
  /** Set by a test to take over `docker push` (to kill it part-way). */
  let pushOverride: Exec | undefined;

  const exec: Exec = (command, args, options = {}) => {
    calls.push({ args });
    if (args[0] === 'push' && pushOverride !== undefined) {
      return pushOverride(command, args, options);
    }
    return processExec(command, args, { ...options, env: { ...daemon.env, ...options.env } });
  };

  const logger: Logger = {
    debug: (message) => logs.push({ level: 'debug', message }),
    info: (message) => logs.push({ level: 'info', message }),
    warning: (message) => logs.push({ level: 'warning', message }),
    error: (message) => logs.push({ level: 'error', message }),
  };

  const dockerCli = (): DockerCli =>
    new DockerCli({ exec, logger, configDir: createDockerConfigDir(work), retryDelayMs: 100 });

  function context(content: string): string {
    const dir = mkdtempSync(join(work, 'context-'));
    writeFileSync(join(dir, 'greeting.txt'), `${content}\n`);
    // A layer of its own per context, so every push has blobs to upload.
    writeFileSync(join(dir, 'payload.bin'), randomBytes(64 * 1024));
    writeFileSync(
      join(dir, 'Dockerfile'),
      [`FROM ${BASE_IMAGE}`, 'COPY greeting.txt payload.bin /srv/', ''].join('\n'),
    );
    return dir;
  }

  const build = (dir: string, revision = SHA): ImageBuild => ({
    context: dir,
    network: 'none',
    push: true,
    source: { serverUrl: 'https://github.com', repository: 'octo-org/cms', revision },
  });

  const publish = (
    request: PublishRequest,
    ecr: EcrClient,
    options: { cli?: DockerCli; clock?: Date; records?: ImageRecordStore } = {},
  ) =>
    publishImage(request, {
      ecr,
      docker: options.cli ?? dockerCli(),
      logger,
      maskSecret: (secret) => masked.push(secret),
      clock: () => options.clock ?? CREATED,
      records: options.records,
    });

  /** The provenance record port in memory (the GitHub release keeps it; see provenance.ts). */
  function memoryRecords(): ImageRecordStore & { writes: ImageRecord[] } {
    const writes: ImageRecord[] = [];
    return {
      where: 'the GitHub release v1',
      writes,
      read: () => Promise.resolve(writes.at(-1)),
      write: (record) => {
        writes.push(record);
        return Promise.resolve();
      },
    };
  }

  /** The digest a tag names in the registry itself (not through ECR or the proxy). */
  const tagDigest = async (repository: string, tag: string): Promise<string | undefined> =>
    (await registry.api.headManifest(repository, tag))?.digest;

  /** Every blob the tag's manifest names is in the registry: a complete image, not a half one. */
  async function expectCompleteImage(repository: string, tag: string): Promise<void> {
    const manifest = await registry.api.getManifest(repository, tag);
    expect(manifest).toBeDefined();
    const parsed = JSON.parse(manifest?.body.toString('utf8') ?? '{}') as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    for (const digest of [parsed.config.digest, ...parsed.layers.map((layer) => layer.digest)]) {
      expect(await registry.api.hasBlob(repository, digest)).toBe(true);
    }
  }

  const count = (command: string): number =>
    calls.filter((call) => call.args[0] === command).length;

  /** The faulty proxy in front of the registry, and an ECR test server whose images live behind it. */
  async function faultyEcr(options: { issueTokens?: boolean } = {}): Promise<FaultyEcr> {
    const proxy = await startFaultyProxy(
      registry.host,
      options.issueTokens === true
        ? { issueTokens: { username: registry.username, password: registry.password } }
        : {},
    );
    const server = await startEcrServer({
      registry: { host: proxy.host, username: registry.username, password: registry.password },
      ...(options.issueTokens === true ? { authorizationPassword: () => proxy.token() } : {}),
      accountId: ACCOUNT_ID,
      region: REGION,
    });
    const ecr = createEcrClient({
      region: REGION,
      logger: recordingLogger(),
      endpoint: server.endpoint,
    });
    return {
      proxy,
      server,
      ecr,
      close: async () => {
        ecr.sdk.destroy();
        await server.close();
        await proxy.close();
      },
    };
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ecr-faults-'));
    [daemon, registry] = await Promise.all([startDockerDaemon(), startRegistry()]);
    await ensureBaseImage(daemon);
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIAGITOPSTEST000003',
      AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
      AWS_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_ENDPOINT_URL_ECR;
    delete process.env.DOCKER_CONFIG;
  }, 90_000);

  afterAll(async () => {
    for (const key of Object.keys(process.env)) {
      if (!(key in savedEnv)) Reflect.deleteProperty(process.env, key);
    }
    Object.assign(process.env, savedEnv);
    await Promise.all([daemon.stop(), registry.stop()]);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('registry 500 on a blob upload, once: the push retries and completes', async () => {
    const world = await faultyEcr();
    try {
      const repository = `faults/blob-once-${run}`;
      world.server.createRepository(repository);
      world.proxy.addFault({ matches: blobUploadData, status: 500, times: 1 });
      const result = await publish(
        {
          repository,
          tags: ['v1', 'latest'],
          ifTagExists: 'skip-same-digest',
          build: build(context('once')),
        },
        world.ecr,
      );
      expect(world.proxy.faultsServed()).toBe(1);
      expect(result).toMatchObject({ outcome: 'pushed', pushed: true });
      expect(await tagDigest(repository, 'v1')).toBe(result.digest);
      expect(await tagDigest(repository, 'latest')).toBe(result.digest);
      await expectCompleteImage(repository, 'v1');
    } finally {
      await world.close();
    }
  }, 120_000);

  it('registry 500 on every blob upload (Distribution out of disk): one clear error, no tag written', async () => {
    const world = await faultyEcr();
    try {
      const repository = `faults/blob-always-${run}`;
      world.server.createRepository(repository);
      // Distribution's own answer to a full disk: a 500 whose detail docker never sees.
      world.proxy.addFault({
        matches: blobUploadData,
        status: 500,
        body: DISTRIBUTION_DISK_FULL_BODY,
        times: Infinity,
      });
      const pushesBefore = count('push');
      const failing = publish(
        {
          repository,
          tags: ['v1', 'latest'],
          ifTagExists: 'skip-same-digest',
          build: build(context('always')),
        },
        world.ecr,
      );
      await expect(failing).rejects.toThrow(
        /^docker push \S+:v1 failed \(the docker engine retried each layer upload itself\): received unexpected HTTP status: 500 Internal Server Error$/,
      );
      // The engine's five attempts per layer are enough: the action doesn't multiply them.
      expect(count('push') - pushesBefore).toBe(1);
      expect(await tagDigest(repository, 'v1')).toBeUndefined();
      expect(await tagDigest(repository, 'latest')).toBeUndefined();
      expect(await tagDigest(repository, 'cache')).toBeUndefined();
    } finally {
      await world.close();
    }
  }, 180_000);

  it('registry out of storage (507 on blob uploads): says so, release tag not created, no other tag moved', async () => {
    const world = await faultyEcr();
    try {
      const repository = `faults/full-${run}`;
      world.server.createRepository(repository);
      const previous = await publish(
        {
          repository,
          tags: ['v1', 'latest'],
          ifTagExists: 'skip-same-digest',
          build: build(context('v1')),
        },
        world.ecr,
      );
      world.proxy.addFault({ matches: blobUploadData, status: 507, times: Infinity });
      const pushesBefore = count('push');
      const failing = publish(
        {
          repository,
          tags: ['v2', 'latest'],
          ifTagExists: 'skip-same-digest',
          build: build(context('v2'), 'b2'.padEnd(40, '0')),
        },
        world.ecr,
      );
      await expect(failing).rejects.toThrow(
        /^docker push \S+:v2 failed: the registry is out of storage space \(received unexpected HTTP status: 507 Insufficient Storage\); nothing was tagged: free space \(or raise the quota\) on the registry, then re-run$/,
      );
      expect(count('push') - pushesBefore).toBe(1);
      expect(await tagDigest(repository, 'v2')).toBeUndefined();
      expect(await tagDigest(repository, 'latest')).toBe(previous.digest);
      expect(await tagDigest(repository, 'cache')).toBe(previous.digest);
    } finally {
      await world.close();
    }
  }, 180_000);

  it('ECR throttling on every call the action makes, once each: the SDK retries through, same result', async () => {
    const world = await faultyEcr();
    try {
      const repository = `faults/throttled-${run}`;
      world.server.createRepository(repository);
      for (const operation of [
        'GetAuthorizationToken',
        'DescribeRepositories',
        'BatchGetImage',
        'PutImage',
      ] as const) {
        world.server.injectFault({ operation, kind: 'throttling', times: 1 });
      }
      const records = memoryRecords();
      const result = await publish(
        {
          repository,
          tags: ['v1', 'latest'],
          ifTagExists: 'skip-same-digest',
          build: build(context('throttled')),
        },
        world.ecr,
        { records },
      );
      expect(result).toMatchObject({ outcome: 'pushed', pushed: true });
      expect(await tagDigest(repository, 'v1')).toBe(result.digest);
      expect(await tagDigest(repository, 'latest')).toBe(result.digest);
      expect(await tagDigest(repository, 'cache')).toBe(result.digest);
      const throttled = world.server.requests
        .filter((request) => request.errorType === 'ThrottlingException')
        .map((request) => request.operation)
        .sort();
      expect(throttled).toEqual([
        'BatchGetImage',
        'DescribeRepositories',
        'GetAuthorizationToken',
        'PutImage',
      ]);

      // A re-run meets the same throttling and reports the same (recorded) image, writing nothing.
      for (const operation of ['GetAuthorizationToken', 'BatchGetImage'] as const) {
        world.server.injectFault({ operation, kind: 'throttling', times: 1 });
      }
      const again = await publish(
        {
          repository,
          tags: ['v1', 'latest'],
          ifTagExists: 'skip-same-digest',
          build: build(context('throttled')),
        },
        world.ecr,
        { records },
      );
      expect(again).toMatchObject({
        outcome: 'already-present',
        pushed: false,
        digest: result.digest,
      });
    } finally {
      await world.close();
    }
  }, 120_000);

  it('ECR throttling that persists: one clear error, nothing built, pushed or retagged', async () => {
    const world = await faultyEcr();
    try {
      const repository = `faults/throttled-always-${run}`;
      world.server.createRepository(repository);
      const first = await publish(
        { repository, tags: ['v1'], ifTagExists: 'skip-same-digest', build: build(context('t1')) },
        world.ecr,
      );

      // Before the build: the tag look-up never gets through.
      world.server.injectFault({ operation: 'BatchGetImage', kind: 'throttling', times: Infinity });
      const builds = count('build');
      const pushes = count('push');
      await expect(
        publish(
          {
            repository,
            tags: ['v2'],
            ifTagExists: 'skip-same-digest',
            build: build(context('t2'), 'c2'.padEnd(40, '0')),
          },
          world.ecr,
        ),
      ).rejects.toThrow(
        /^ECR kept throttling BatchGetImage after 5 attempts \(ThrottlingException\); try again later/,
      );
      expect(count('build')).toBe(builds);
      expect(count('push')).toBe(pushes);
      expect(await tagDigest(repository, 'v2')).toBeUndefined();
      world.server.clearFaults();

      // A promotion: PutImage never gets through, so neither the release tag nor its followers exist.
      world.server.injectFault({ operation: 'PutImage', kind: 'throttling', times: Infinity });
      await expect(
        publish(
          {
            repository,
            tags: ['v1-release', 'stable'],
            ifTagExists: 'skip-same-digest',
            promoteFrom: 'v1',
          },
          world.ecr,
        ),
      ).rejects.toThrow(
        /^ECR kept throttling PutImage after 5 attempts \(ThrottlingException\); try again later/,
      );
      expect(await tagDigest(repository, 'v1-release')).toBeUndefined();
      expect(await tagDigest(repository, 'stable')).toBeUndefined();
      expect(await tagDigest(repository, 'v1')).toBe(first.digest);
    } finally {
      await world.close();
    }
  }, 180_000);

  it('ECR token expiring mid-push: one fresh token, stored as the login, and the push completes', async () => {
    const world = await faultyEcr({ issueTokens: true });
    try {
      const repository = `faults/expiry-${run}`;
      world.server.createRepository(repository);
      const firstToken = world.proxy.token();
      world.proxy.expireTokenOn(blobUploadData);
      const cli = dockerCli();
      const result = await publish(
        {
          repository,
          tags: ['v1', 'latest'],
          ifTagExists: 'skip-same-digest',
          build: build(context('expiry')),
        },
        world.ecr,
        { cli },
      );
      const secondToken = world.proxy.token();
      expect(secondToken).not.toBe(firstToken);
      expect(world.proxy.expiredTokenAnswers()).toBeGreaterThan(0);
      expect(result).toMatchObject({ outcome: 'pushed', pushed: true });
      expect(await tagDigest(repository, 'v1')).toBe(result.digest);
      expect(await tagDigest(repository, 'latest')).toBe(result.digest);
      await expectCompleteImage(repository, 'v1');

      expect(world.server.requestsFor('GetAuthorizationToken')).toHaveLength(2);
      // The run's docker config now holds the fresh token, and only there (never on argv).
      const config = JSON.parse(readFileSync(join(cli.configDir, 'config.json'), 'utf8')) as {
        auths: Record<string, { auth?: string }>;
      };
      expect(config.auths[world.proxy.host]?.auth).toBe(
        Buffer.from(`${registry.username}:${secondToken}`).toString('base64'),
      );
      for (const call of calls) {
        expect(call.args.join(' ')).not.toContain(firstToken);
        expect(call.args.join(' ')).not.toContain(secondToken);
      }
      expect(masked).toEqual(expect.arrayContaining([firstToken, secondToken]));
      expect(logs).toContainEqual({
        level: 'warning',
        message: expect.stringMatching(
          /authorization token has expired.*logging in again with a new one and pushing once more$/,
        ) as unknown as string,
      });
    } finally {
      await world.close();
    }
  }, 120_000);

  it('ECR token refused again after the fresh login: one clear error, no tag written', async () => {
    const world = await faultyEcr({ issueTokens: true });
    try {
      const repository = `faults/expiry-twice-${run}`;
      world.server.createRepository(repository);
      // Each push's first upload with the current token expires it: the fresh token too.
      const withCurrentToken = (request: IncomingMessage): boolean =>
        blobUploadData(request) &&
        request.headers.authorization ===
          `Basic ${Buffer.from(`${registry.username}:${world.proxy.token()}`).toString('base64')}`;
      world.proxy.expireTokenOn(withCurrentToken);
      world.proxy.expireTokenOn(withCurrentToken);
      const pushes = count('push');
      await expect(
        publish(
          {
            repository,
            tags: ['v1', 'latest'],
            ifTagExists: 'skip-same-digest',
            build: build(context('twice')),
          },
          world.ecr,
        ),
      ).rejects.toThrow(
        /^docker push \S+:v1 failed: the registry refused the credentials \(denied: Your authorization token has expired\. Reauthenticate and try again\.\), also with a fresh ECR token: check that the role may push/,
      );
      expect(count('push') - pushes).toBe(2);
      expect(world.server.requestsFor('GetAuthorizationToken')).toHaveLength(2);
      expect(await tagDigest(repository, 'v1')).toBeUndefined();
      expect(await tagDigest(repository, 'latest')).toBeUndefined();
    } finally {
      await world.close();
    }
  }, 120_000);

  it('runner killed after the push: a re-run finds the image recorded, builds and pushes nothing', async () => {
    const world = await faultyEcr();
    try {
      const repository = `faults/rerun-${run}`;
      world.server.createRepository(repository);
      const dir = context('rerun');
      // The killed job got as far as pushing the release tag (its extra tag never moved), and was
      // killed before it recorded the digest: its record holds the image id written before the push.
      const records = memoryRecords();
      const first = await publish(
        { repository, tags: ['v1'], ifTagExists: 'skip-same-digest', build: build(dir) },
        world.ecr,
        { records },
      );
      records.writes.splice(1);
      expect(records.writes).toEqual([expect.objectContaining({ imageId: first.imageId })]);
      expect(records.writes[0]?.digest).toBeUndefined();
      // The re-run's build would not reproduce the image id (here: another created time, as a warm
      // daemon's build can differ too): the record, not a build, says the tag's image is this one.
      const builds = count('build');
      const uploads = registry.blobUploads(repository);
      const rerun = await publish(
        { repository, tags: ['v1', 'latest'], ifTagExists: 'skip-same-digest', build: build(dir) },
        world.ecr,
        { clock: new Date(CREATED.getTime() + 3_600_000), records },
      );
      expect(rerun).toMatchObject({
        outcome: 'already-present',
        pushed: false,
        built: false,
        digest: first.digest,
        imageId: first.imageId,
      });
      expect(count('build')).toBe(builds);
      expect(registry.blobUploads(repository)).toBe(uploads);
      expect(await tagDigest(repository, 'v1')).toBe(first.digest);
      expect(await tagDigest(repository, 'latest')).toBe(first.digest);
      // The re-run completed the record with the digest.
      expect(records.writes.at(-1)).toMatchObject({ imageId: first.imageId, digest: first.digest });

      // Another revision under the same tag is still refused, naming both images; nothing moves.
      await expect(
        publish(
          {
            repository,
            tags: ['v1', 'latest'],
            ifTagExists: 'skip-same-digest',
            build: build(context('other'), 'd3'.padEnd(40, '0')),
          },
          world.ecr,
        ),
      ).rejects.toThrow(/tag 'v1' already names .* and this build is a different image/);
      expect(await tagDigest(repository, 'v1')).toBe(first.digest);
      expect(await tagDigest(repository, 'latest')).toBe(first.digest);
    } finally {
      await world.close();
    }
  }, 120_000);

  it('docker push killed (SIGKILL) mid-upload: a re-run completes the same tag with a complete image', async () => {
    const world = await faultyEcr();
    let child: ChildProcess | undefined;
    try {
      const repository = `faults/killed-${run}`;
      world.server.createRepository(repository);
      const request: PublishRequest = {
        repository,
        tags: ['v1', 'latest'],
        ifTagExists: 'skip-same-digest',
        build: build(context('killed')),
      };
      pushOverride = (command, args, options = {}) =>
        new Promise<ExecResult>((resolve) => {
          child = spawn(command, args, {
            env: { ...process.env, ...daemon.env, ...options.env },
            stdio: 'ignore',
          });
          child.on('close', (code, signal) => {
            resolve({ exitCode: code ?? 137, stdout: '', stderr: `killed by ${String(signal)}` });
          });
        });
      // The first blob upload holds until the pushing process is dead.
      world.proxy.when(blobUploadData, async () => {
        const closed = new Promise((resolve) => child?.once('close', resolve));
        child?.kill('SIGKILL');
        await closed;
      });
      await expect(publish(request, world.ecr)).rejects.toThrow(/docker push \S+:v1 failed/);
      pushOverride = undefined;
      // Whatever the engine made of the cut-off push, no tag names a half image.
      const afterKill = await tagDigest(repository, 'v1');
      if (afterKill !== undefined) await expectCompleteImage(repository, 'v1');
      expect(await tagDigest(repository, 'latest')).toBeUndefined();

      const rerun = await publish(request, world.ecr);
      expect(rerun.digest).toMatch(/^sha256:/);
      expect(await tagDigest(repository, 'v1')).toBe(rerun.digest);
      expect(await tagDigest(repository, 'latest')).toBe(rerun.digest);
      await expectCompleteImage(repository, 'v1');

      const third = await publish(request, world.ecr);
      expect(third).toMatchObject({
        outcome: 'already-present',
        pushed: false,
        digest: rerun.digest,
      });
    } finally {
      pushOverride = undefined;
      child?.kill('SIGKILL');
      await world.close();
    }
  }, 120_000);
});
