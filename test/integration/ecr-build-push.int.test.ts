/**
 * packages/docker's publishImage against the real parts: a private dockerd (no bridge, builds with
 * `--network none`), the htpasswd registry, and the ECR test server the real AWS SDK talks to.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  createDockerConfigDir,
  DockerCli,
  processExec,
  publishImage,
  removeDockerConfigDir,
  type Exec,
  type ImageBuild,
  type ImageRecord,
  type ImageRecordStore,
  type PublishRequest,
} from '../../packages/docker/index.js';
import { createEcrClient, type EcrClient } from '../../packages/ecr/index.js';
import { recordingLogger, type Logger, type RecordedLog } from '../../packages/kit/index.js';
import {
  BASE_IMAGE,
  dockerManifestPut,
  ensureBaseImage,
  startDockerDaemon,
  startFaultyProxy,
  startRegistry,
  type DockerDaemon,
  type TestRegistry,
  describeWithDockerAndRegistry,
} from '../support/docker/index.js';
import { startEcrServer, type EcrTestServer } from '../support/ecr-server/index.js';

const describeReal = describeWithDockerAndRegistry('ecr-build-push tests');

const REGION = 'us-gov-west-1';
const ACCOUNT_ID = '008577686731';
const SECRET_ACCESS_KEY = randomBytes(30).toString('base64');
const CREATED = new Date(Date.UTC(2026, 10, 1, 12, 0, 0));
const SHA = 'c0ffee'.padEnd(40, '0');

interface ExecCall {
  readonly args: readonly string[];
  readonly input: string | undefined;
  readonly env: Readonly<Record<string, string>>;
}

describeReal('ecr-build-push through packages/docker and the real parts', () => {
  let daemon: DockerDaemon;
  let registry: TestRegistry;
  let server: EcrTestServer;
  let ecr: EcrClient;
  let work: string;
  let home: string;
  const run = randomBytes(3).toString('hex');
  const repos = {
    app: `team/app-${run}`,
    locked: `team/locked-${run}`,
    flaky: `team/flaky-${run}`,
  };
  const savedEnv = { ...process.env };
  const calls: ExecCall[] = [];
  const logs: RecordedLog[] = [];
  const masked: string[] = [];
  const configDirs: string[] = [];

  /** The exec port, recording every call, pointed at the test daemon with its matching client. */
  const exec: Exec = (command, args, options = {}) => {
    calls.push({ args, input: options.input, env: { ...options.env } });
    return processExec(command, args, { ...options, env: { ...daemon.env, ...options.env } });
  };

  function logger(): Logger {
    return {
      debug: (message) => logs.push({ level: 'debug', message }),
      info: (message) => logs.push({ level: 'info', message }),
      warning: (message) => logs.push({ level: 'warning', message }),
      error: (message) => logs.push({ level: 'error', message }),
      startGroup: (name) => logs.push({ level: 'info', message: `group ${name}` }),
      endGroup: () => undefined,
    };
  }

  function dockerCli(retryDelayMs = 1000): DockerCli {
    const configDir = createDockerConfigDir(work);
    configDirs.push(configDir);
    return new DockerCli({ exec, logger: logger(), configDir, retryDelayMs });
  }

  /** A build context with a two-stage Dockerfile FROM the local base; `content` changes the image. */
  function context(content: string): string {
    const dir = mkdtempSync(join(work, 'context-'));
    writeFileSync(join(dir, 'greeting.txt'), `${content}\n`);
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        `FROM ${BASE_IMAGE} AS build`,
        'COPY greeting.txt /src/greeting.txt',
        'RUN tr a-z A-Z < /src/greeting.txt > /src/shout.txt',
        `FROM ${BASE_IMAGE}`,
        'COPY --from=build /src/shout.txt /shout.txt',
        'CMD ["cat", "/shout.txt"]',
        '',
      ].join('\n'),
    );
    return dir;
  }

  function build(dir: string, options: Partial<ImageBuild> = {}): ImageBuild {
    return {
      context: dir,
      network: 'none',
      push: true,
      source: { serverUrl: 'https://github.com', repository: 'octo-org/cms', revision: SHA },
      ...options,
    };
  }

  function publish(
    request: PublishRequest,
    cli?: DockerCli,
    client: EcrClient = ecr,
    records?: ImageRecordStore,
  ) {
    return publishImage(request, {
      ecr: client,
      docker: cli,
      logger: logger(),
      maskSecret: (secret) => masked.push(secret),
      clock: () => CREATED,
      records,
      run: 'https://github.com/octo-org/cms/actions/runs/7',
    });
  }

  /**
   * The record port in memory, as the GitHub release keeps it (provenance.ts, tested against the
   * GitHub server in the e2e): what matters here is what publishImage reads and writes.
   */
  function memoryRecords(initial?: ImageRecord): ImageRecordStore & { writes: ImageRecord[] } {
    const writes: ImageRecord[] = [];
    return {
      where: 'the GitHub release v9 of octo-org/cms',
      writes,
      read: () => Promise.resolve(writes.at(-1) ?? initial),
      write: (record) => {
        writes.push(record);
        return Promise.resolve();
      },
    };
  }

  const builds = (): number => calls.filter((call) => call.args[0] === 'build').length;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ecr-build-push-'));
    home = join(work, 'home');
    mkdirSync(home);
    [daemon, registry] = await Promise.all([startDockerDaemon(), startRegistry()]);
    await ensureBaseImage(daemon);
    server = await startEcrServer({ registry, accountId: ACCOUNT_ID, region: REGION });
    Object.assign(process.env, {
      HOME: home,
      AWS_ACCESS_KEY_ID: 'AKIAGITOPSTEST000002',
      AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_ECR: server.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.DOCKER_CONFIG;
    ecr = createEcrClient({ region: REGION, logger: recordingLogger() });
    server.createRepository(repos.app);
    server.createRepository(repos.locked, { imageTagMutability: 'IMMUTABLE' });
  }, 90_000);

  afterAll(async () => {
    for (const key of Object.keys(process.env)) {
      if (!(key in savedEnv)) Reflect.deleteProperty(process.env, key);
    }
    Object.assign(process.env, savedEnv);
    ecr.sdk.destroy();
    await server.close();
    await Promise.all([daemon.stop(), registry.stop()]);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('builds a multi-stage image, pushes it, and it pulls back by digest with its OCI labels', async () => {
    const cli = dockerCli();
    const result = await publish(
      {
        repository: repos.app,
        tags: ['v1', 'latest'],
        ifTagExists: 'skip-same-digest',
        build: build(context('hello')),
      },
      cli,
    );
    expect(result).toMatchObject({
      registry: registry.host,
      image: `${registry.host}/${repos.app}:v1`,
      built: true,
      pushed: true,
      outcome: 'pushed',
      builder: 'classic',
    });
    const head = await registry.api.headManifest(repos.app, 'v1');
    expect(result.digest).toBe(head?.digest);
    expect((await registry.api.headManifest(repos.app, 'latest'))?.digest).toBe(result.digest);
    // The inline cache image for the next build.
    expect((await registry.api.headManifest(repos.app, 'cache'))?.digest).toBe(result.digest);
    expect(result.sizeInBytes).toBeGreaterThan(1000);
    // The log says which build path ran (Debian's docker 20.10 has no buildx).
    expect(logs).toContainEqual({
      level: 'info',
      message: `group Building ${result.image} with DOCKER_BUILDKIT=1 docker build (no buildx)`,
    });
    expect(logs.some((log) => log.message.includes('writing image sha256:'))).toBe(true);

    // Pull back by digest into a clean local store, then read the labels docker sees.
    const byDigest = `${registry.host}/${repos.app}@${result.digest ?? ''}`;
    const asClient = { env: { DOCKER_CONFIG: cli.configDir } };
    await daemon.docker(['rmi', `${registry.host}/${repos.app}:v1`], asClient);
    await daemon.docker(['pull', byDigest], asClient);
    const labels = JSON.parse(
      (
        await daemon.docker(
          ['image', 'inspect', '--format', '{{json .Config.Labels}}', byDigest],
          asClient,
        )
      ).stdout,
    ) as Record<string, string>;
    expect(labels).toEqual({
      'org.opencontainers.image.source': 'https://github.com/octo-org/cms',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.version': 'v1',
      'org.opencontainers.image.created': CREATED.toISOString(),
    });
    const { stdout } = await daemon.docker(['run', '--rm', '--network=none', byDigest], asClient);
    expect(stdout).toBe('HELLO\n');
  }, 90_000);

  it('promotes a tag through the ECR API with zero blob uploads', async () => {
    const before = registry.blobUploads(repos.app);
    const source = await registry.api.headManifest(repos.app, 'v1');
    const result = await publish({
      repository: repos.app,
      tags: ['v1-release', 'stable'],
      ifTagExists: 'skip-same-digest',
      promoteFrom: 'v1',
    });
    expect(result).toMatchObject({
      built: false,
      pushed: true,
      outcome: 'promoted',
      digest: source?.digest,
    });
    expect((await registry.api.headManifest(repos.app, 'stable'))?.digest).toBe(source?.digest);
    expect(registry.blobUploads(repos.app)).toBe(before);

    const again = await publish({
      repository: repos.app,
      tags: ['v1-release', 'stable'],
      ifTagExists: 'skip-same-digest',
      promoteFrom: 'v1',
    });
    expect(again).toMatchObject({
      pushed: false,
      outcome: 'already-present',
      digest: source?.digest,
    });
  }, 30_000);

  it('re-runs a release into an immutable tag by its record, and without one only for the very same image', async () => {
    const dir = context('immutable');
    const request: PublishRequest = {
      repository: repos.locked,
      tags: ['v7'],
      ifTagExists: 'skip-same-digest',
      build: build(dir),
    };
    const records = memoryRecords();
    const first = await publish(request, dockerCli(), ecr, records);
    expect(first.outcome).toBe('pushed');
    // Recorded before the push (image id) and after it (digest), by the run that pushed.
    expect(records.writes).toEqual([
      {
        repository: repos.locked,
        tag: 'v7',
        imageId: first.imageId,
        revision: SHA,
        run: 'https://github.com/octo-org/cms/actions/runs/7',
      },
      {
        repository: repos.locked,
        tag: 'v7',
        imageId: first.imageId,
        digest: first.digest,
        revision: SHA,
        run: 'https://github.com/octo-org/cms/actions/runs/7',
      },
    ]);

    // A fresh runner: no local image, no builder cache. The record names the image: nothing is built.
    await daemon.docker(['rmi', `${registry.host}/${repos.locked}:v7`]);
    await daemon.docker(['builder', 'prune', '-af']);
    const uploads = registry.blobUploads(repos.locked);
    const before = builds();
    const rerun = await publish(request, dockerCli(), ecr, records);
    expect(rerun).toMatchObject({
      built: false,
      pushed: false,
      outcome: 'already-present',
      digest: first.digest,
    });
    expect(builds()).toBe(before);
    expect(registry.blobUploads(repos.locked)).toBe(uploads);

    // Without a record, the tag's image is trusted only when a build makes the very same image: a
    // rebuild on the fresh runner is another image (no cache is read from the registry), so refused.
    await expect(publish(request, dockerCli())).rejects.toThrow(
      new RegExp(
        `tag 'v7' already names ${first.digest ?? ''} \\(image ${first.imageId ?? ''}\\).*different image \\(sha256:`,
      ),
    );
    const overwrite = publish(
      { ...request, ifTagExists: 'overwrite', build: build(context('changed')) },
      dockerCli(),
    );
    await expect(overwrite).rejects.toThrow("the repository's tags are immutable");
    expect(registry.blobUploads(repos.locked)).toBe(uploads);
    expect((await registry.api.headManifest(repos.locked, 'v7'))?.digest).toBe(first.digest);
  }, 120_000);

  it('refuses an image planted under the release tag with the right labels, naming its digest', async () => {
    // What an ECR writer tries first: push their own image under the next, predictable number, with
    // the revision, version and source labels the release will look for.
    const planted = await publish(
      {
        repository: repos.app,
        tags: ['v9'],
        ifTagExists: 'skip-same-digest',
        build: build(context('planted')),
      },
      dockerCli(),
    );
    const before = builds();
    const records = memoryRecords();
    const release = publish(
      {
        repository: repos.app,
        tags: ['v9'],
        ifTagExists: 'skip-same-digest',
        build: build(context('hello')),
      },
      dockerCli(),
      ecr,
      records,
    );
    await expect(release).rejects.toThrow(
      `tag 'v9' already has an image in ECR repository '${repos.app}' (${planted.digest ?? ''}) that this release did not push: the GitHub release v9 of octo-org/cms holds no record of it; someone with push rights to the repository put it there: delete it`,
    );
    expect(builds()).toBe(before);
    expect(records.writes).toEqual([]);
    expect((await registry.api.headManifest(repos.app, 'v9'))?.digest).toBe(planted.digest);

    // A record of another image (a tag moved after the release) is refused the same way.
    const other = memoryRecords({
      repository: repos.app,
      tag: 'v9',
      digest: `sha256:${'0'.repeat(64)}`,
    });
    await expect(
      publish(
        {
          repository: repos.app,
          tags: ['v9'],
          ifTagExists: 'skip-same-digest',
          build: build(context('hello')),
        },
        dockerCli(),
        ecr,
        other,
      ),
    ).rejects.toThrow(`records sha256:${'0'.repeat(64)}`);

    // A run killed between its push and the record's digest: the image id it recorded first proves it.
    const unconfirmed = memoryRecords({
      repository: repos.app,
      tag: 'v9',
      imageId: planted.imageId,
    });
    const resumed = await publish(
      {
        repository: repos.app,
        tags: ['v9'],
        ifTagExists: 'skip-same-digest',
        build: build(context('planted')),
      },
      dockerCli(),
      ecr,
      unconfirmed,
    );
    expect(resumed).toMatchObject({
      outcome: 'already-present',
      built: false,
      digest: planted.digest,
    });
    expect(unconfirmed.writes.at(-1)).toMatchObject({
      digest: planted.digest,
      imageId: planted.imageId,
    });
  }, 90_000);

  it('promotes only an image of the released commit, unless a reason is given', async () => {
    const other = 'bad0'.padEnd(40, '1');
    const source = await publish(
      {
        repository: repos.app,
        tags: ['rc-other'],
        ifTagExists: 'skip-same-digest',
        build: build(context('other commit'), {
          source: { serverUrl: 'https://github.com', repository: 'octo-org/cms', revision: other },
        }),
      },
      dockerCli(),
    );
    const promote = (reason?: string, records?: ImageRecordStore) =>
      publish(
        {
          repository: repos.app,
          tags: ['v10'],
          ifTagExists: 'skip-same-digest',
          promoteFrom: 'rc-other',
          promotion: { revision: SHA, otherRevisionReason: reason },
        },
        undefined,
        ecr,
        records,
      );
    await expect(promote()).rejects.toThrow(
      `cannot promote: 'rc-other' (${source.digest ?? ''}) was built from commit ${other.slice(0, 12)}, not from the released commit ${SHA.slice(0, 12)}; promote an image of that commit`,
    );
    expect(await registry.api.headManifest(repos.app, 'v10')).toBeUndefined();

    const records = memoryRecords();
    const allowed = await promote('the rc was tested in staging', records);
    expect(allowed).toMatchObject({
      outcome: 'promoted',
      digest: source.digest,
      promotedSource: {
        tag: 'rc-other',
        digest: source.digest,
        revision: other,
        version: 'rc-other',
      },
    });
    expect(records.writes).toEqual([
      {
        repository: repos.app,
        tag: 'v10',
        digest: source.digest,
        revision: other,
        promotedFrom: 'rc-other',
        run: 'https://github.com/octo-org/cms/actions/runs/7',
        builtBy: undefined,
      },
    ]);
    expect(
      logs.some(
        (log) =>
          log.level === 'warning' &&
          log.message.includes('allowed, reason given: the rc was tested in staging'),
      ),
    ).toBe(true);

    // The source's own release record names another image: the tag was moved after its release.
    await expect(
      publish(
        {
          repository: repos.app,
          tags: ['v11'],
          ifTagExists: 'skip-same-digest',
          promoteFrom: 'rc-other',
          promotion: {
            revision: other,
            sourceRecord: {
              repository: repos.app,
              tag: 'rc-other',
              digest: `sha256:${'1'.repeat(64)}`,
            },
          },
        },
        undefined,
      ),
    ).rejects.toThrow(
      `but its release recorded sha256:${'1'.repeat(64)}: the tag was moved after its release`,
    );
  }, 90_000);

  it('fails before building with if-tag-exists: fail, and moves a mutable tag with overwrite', async () => {
    const builds = calls.filter((call) => call.args[0] === 'build').length;
    const failing = publish(
      {
        repository: repos.app,
        tags: ['v1'],
        ifTagExists: 'fail',
        build: build(context('hello')),
      },
      dockerCli(),
    );
    await expect(failing).rejects.toThrow(
      /tag 'v1' already exists in ECR repository '.*' \(sha256:[0-9a-f]{64}\) and if-tag-exists is fail/,
    );
    expect(calls.filter((call) => call.args[0] === 'build').length).toBe(builds);

    const before = await registry.api.headManifest(repos.app, 'v1');
    const moved = await publish(
      {
        repository: repos.app,
        tags: ['v1'],
        ifTagExists: 'overwrite',
        build: build(context('replacement')),
      },
      dockerCli(),
    );
    expect(moved).toMatchObject({ outcome: 'pushed', previousDigest: before?.digest });
    expect((await registry.api.headManifest(repos.app, 'v1'))?.digest).toBe(moved.digest);
    expect(moved.digest).not.toBe(before?.digest);
  }, 60_000);

  it('retries a push when the registry answers 500 mid-push', async () => {
    const proxy = await startFaultyProxy(registry.host);
    const flakyServer = await startEcrServer({
      registry: { host: proxy.host, username: registry.username, password: registry.password },
      accountId: ACCOUNT_ID,
      region: REGION,
    });
    const client = createEcrClient({
      region: REGION,
      logger: recordingLogger(),
      endpoint: flakyServer.endpoint,
    });
    try {
      flakyServer.createRepository(repos.flaky);
      proxy.addFault({ matches: dockerManifestPut, status: 500 });
      const result = await publish(
        {
          repository: repos.flaky,
          tags: ['v1'],
          ifTagExists: 'skip-same-digest',
          build: build(context('flaky')),
        },
        dockerCli(100),
        client,
      );
      expect(proxy.faultsServed()).toBe(1);
      expect(result.outcome).toBe('pushed');
      expect(result.registry).toBe(proxy.host);
      expect((await registry.api.headManifest(repos.flaky, 'v1'))?.digest).toBe(result.digest);
      const pushes = calls.filter(
        (call) => call.args[0] === 'push' && call.args[1]?.includes(repos.flaky),
      );
      expect(pushes).toHaveLength(2);
      expect(
        logs.some(
          (log) =>
            log.level === 'warning' && /500 Internal Server Error.*retrying/.test(log.message),
        ),
      ).toBe(true);
    } finally {
      client.sdk.destroy();
      await flakyServer.close();
      await proxy.close();
    }
  }, 60_000);

  it('keeps the credentials out of logs, argv and the default docker config, and post removes them', async () => {
    const password = registry.password;
    const basic = Buffer.from(`AWS:${password}`).toString('base64');
    expect(masked).toContain(password);
    expect(masked).toContain(basic);

    // The credentials go straight into the run's own config: no `docker login` process, no argv.
    expect(calls.filter((call) => call.args[0] === 'login')).toHaveLength(0);
    for (const call of calls) {
      const argv = call.args.join(' ');
      for (const secret of [password, basic, SECRET_ACCESS_KEY]) {
        expect(argv).not.toContain(secret);
        expect(JSON.stringify(call.env)).not.toContain(secret);
      }
      expect(call.env.DOCKER_CONFIG).toMatch(/docker-config-/);
    }
    const printed = logs.map((log) => log.message).join('\n');
    for (const secret of [password, basic, SECRET_ACCESS_KEY])
      expect(printed).not.toContain(secret);

    // Only the run's own DOCKER_CONFIG holds the credentials; HOME's docker config was never made.
    expect(existsSync(join(home, '.docker'))).toBe(false);
    const dir = configDirs[0] ?? '';
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
      auths: Record<string, { auth?: string }>;
    };
    expect(config.auths[registry.host]?.auth).toBe(basic);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);

    // What the post step does: log out, then remove the directory.
    for (const configDir of configDirs) {
      const cli = new DockerCli({ exec, logger: logger(), configDir });
      await cli.logout(registry.host);
      removeDockerConfigDir(configDir);
      expect(existsSync(configDir)).toBe(false);
    }
  }, 30_000);
});
