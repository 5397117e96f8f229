/**
 * The real parts the suite builds on: a private dockerd, a base image made without pulling, a BuildKit
 * multi-stage build, and `docker login` + `docker push` to the htpasswd-protected registry.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  BASE_IMAGE,
  ensureBaseImage,
  startDockerDaemon,
  startRegistry,
  type DockerDaemon,
  type TestRegistry,
  describeWithDockerAndRegistry,
} from '../support/docker/index.js';

const describeReal = describeWithDockerAndRegistry('real-parts tests');

describeReal('real Docker Engine and OCI registry', () => {
  let daemon: DockerDaemon;
  let registry: TestRegistry;
  let work: string;
  let dockerConfig: string;
  const repository = `real-parts/app-${randomBytes(4).toString('hex')}`;
  let image: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'real-parts-'));
    dockerConfig = join(work, 'docker-config');
    mkdirSync(dockerConfig);
    [daemon, registry] = await Promise.all([startDockerDaemon(), startRegistry()]);
    image = `${registry.host}/${repository}:v1`;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([daemon.stop(), registry.stop()]);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  /** Docker CLI with this test's own client config (credentials and BuildKit node id stay in `work`). */
  const cli = (args: readonly string[], input?: string) =>
    daemon.docker(args, {
      env: { DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: '1' },
      ...(input === undefined ? {} : { input }),
    });

  it('runs dockerd on its own unix socket', async () => {
    expect(daemon.host).toMatch(/^unix:\/\/\/.+\/docker\.sock$/);
    expect(daemon.env.DOCKER_HOST).toBe(daemon.host);
    const { stdout } = await cli(['version', '--format', '{{.Server.Version}}']);
    expect(stdout.trim()).toMatch(/^[0-9]+\.[0-9]+/);
    expect(['overlay2', 'vfs']).toContain(daemon.storageDriver);
  });

  it('imports a busybox base image without pulling, idempotently', async () => {
    await ensureBaseImage(daemon);
    const first = (await cli(['image', 'inspect', '--format', '{{.Id}}', BASE_IMAGE])).stdout;
    await ensureBaseImage(daemon);
    const second = (await cli(['image', 'inspect', '--format', '{{.Id}}', BASE_IMAGE])).stdout;
    expect(second).toBe(first);
    const { stdout } = await cli([
      'run',
      '--rm',
      '--network=none',
      BASE_IMAGE,
      'sh',
      '-c',
      'echo ok',
    ]);
    expect(stdout.trim()).toBe('ok');
  }, 30_000);

  it('builds a multi-stage Dockerfile FROM the local base with BuildKit', async () => {
    const context = join(work, 'context');
    mkdirSync(context);
    writeFileSync(join(context, 'greeting.txt'), 'hello from the build context\n');
    writeFileSync(
      join(context, 'Dockerfile'),
      [
        `FROM ${BASE_IMAGE} AS build`,
        'COPY greeting.txt /src/greeting.txt',
        'RUN tr a-z A-Z < /src/greeting.txt > /src/shout.txt',
        `FROM ${BASE_IMAGE}`,
        'LABEL org.opencontainers.image.title=real-parts',
        'COPY --from=build /src/shout.txt /shout.txt',
        'CMD ["cat", "/shout.txt"]',
        '',
      ].join('\n'),
    );
    // With no bridge, BuildKit RUN steps fail with "network bridge not found" unless told otherwise.
    const network = daemon.bridge ? [] : ['--network=none'];
    await cli(['build', ...network, '--tag', image, context]);
    const label = await cli([
      'image',
      'inspect',
      '--format',
      '{{index .Config.Labels "org.opencontainers.image.title"}}',
      image,
    ]);
    expect(label.stdout.trim()).toBe('real-parts');
    const { stdout } = await cli(['run', '--rm', '--network=none', image]);
    expect(stdout).toBe('HELLO FROM THE BUILD CONTEXT\n');
  }, 60_000);

  it('logs in with --password-stdin and pushes to the registry', async () => {
    const loginArgs = ['login', '--username', registry.username, '--password-stdin', registry.host];
    expect(loginArgs.join(' ')).not.toContain(registry.password);
    await cli(loginArgs, registry.password);
    const config = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')) as {
      auths: Record<string, { auth?: string }>;
    };
    expect(config.auths[registry.host]?.auth).toBe(
      Buffer.from(`${registry.username}:${registry.password}`).toString('base64'),
    );

    const push = await cli(['push', image]);
    const pushed = /v1: digest: (sha256:[0-9a-f]{64}) size: [0-9]+/.exec(push.stdout)?.[1];
    expect(pushed).toBeDefined();

    expect(await registry.api.tags(repository)).toEqual(['v1']);
    expect((await registry.api.headManifest(repository, 'v1'))?.digest).toBe(pushed);
    expect(registry.blobUploads(repository)).toBeGreaterThan(0);
  }, 60_000);
});
