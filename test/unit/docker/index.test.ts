import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, test } from '@jest/globals';
import {
  buildCommand,
  chooseRegistryHost,
  configDigestOf,
  createDockerConfigDir,
  defaultCache,
  DockerCli,
  DockerError,
  failureReason,
  isTransientFailure,
  ociLabels,
  parsePushDigest,
  registryCacheRef,
  removeDockerConfigDir,
  type Builder,
  type BuildSpec,
  type Exec,
  type ExecOptions,
  type ExecResult,
} from '../../../packages/docker/index.js';
import { recordingLogger } from '../../../packages/kit/index.js';

const classic: Builder = { kind: 'classic', driver: undefined };
const buildx: Builder = { kind: 'buildx', driver: 'docker-container' };
const buildxDocker: Builder = { kind: 'buildx', driver: 'docker' };
const base: BuildSpec = { context: '/w', tags: ['r.example/app:v1'] };

describe('buildCommand', () => {
  test.each<[string, BuildSpec, Builder, string[], Record<string, string>]>([
    [
      'classic, minimal',
      base,
      classic,
      [
        'build',
        '--progress',
        'plain',
        '--tag',
        'r.example/app:v1',
        '--build-arg',
        'BUILDKIT_INLINE_CACHE=1',
        '/w',
      ],
      { DOCKER_BUILDKIT: '1' },
    ],
    [
      'buildx, minimal',
      base,
      buildx,
      ['buildx', 'build', '--load', '--progress', 'plain', '--tag', 'r.example/app:v1', '/w'],
      {},
    ],
    [
      'classic, every option',
      {
        context: '/w/app',
        file: '/w/app/Dockerfile.prod',
        tags: ['h/app:v1', 'h/app:latest'],
        buildArgs: ['A=1', 'B=x,y'],
        labels: { 'org.example.team': 'cms', empty: '' },
        target: 'runtime',
        platform: 'linux/arm64',
        network: 'none',
        cacheFrom: ['type=registry,ref=h/app:cache', 'h/app:v0'],
        pull: true,
        noCache: true,
        secretEnvs: [{ id: 'npm', env: 'NPM_TOKEN' }],
        iidFile: '/tmp/iid',
      },
      classic,
      [
        'build',
        '--progress',
        'plain',
        '--file',
        '/w/app/Dockerfile.prod',
        '--tag',
        'h/app:v1',
        '--tag',
        'h/app:latest',
        '--target',
        'runtime',
        '--platform',
        'linux/arm64',
        '--network',
        'none',
        '--pull',
        '--no-cache',
        '--build-arg',
        'A=1',
        '--build-arg',
        'B=x,y',
        '--build-arg',
        'BUILDKIT_INLINE_CACHE=1',
        '--label',
        'org.example.team=cms',
        '--label',
        'empty=',
        '--cache-from',
        'h/app:cache',
        '--cache-from',
        'h/app:v0',
        '--secret',
        'id=npm,env=NPM_TOKEN',
        '--iidfile',
        '/tmp/iid',
        '/w/app',
      ],
      { DOCKER_BUILDKIT: '1' },
    ],
    [
      'buildx, registry cache and secrets',
      {
        ...base,
        network: 'host',
        cacheFrom: ['type=registry,ref=h/app:cache'],
        cacheTo: ['type=registry,ref=h/app:cache,mode=max'],
        secretEnvs: [
          { id: 'a', env: 'A' },
          { id: 'b', env: 'B' },
        ],
      },
      buildx,
      [
        'buildx',
        'build',
        '--load',
        '--progress',
        'plain',
        '--tag',
        'r.example/app:v1',
        '--network',
        'host',
        '--cache-from',
        'type=registry,ref=h/app:cache',
        '--cache-to',
        'type=registry,ref=h/app:cache,mode=max',
        '--secret',
        'id=a,env=A',
        '--secret',
        'id=b,env=B',
        '/w',
      ],
      {},
    ],
    [
      'buildx, inline cache export adds the build arg',
      { ...base, cacheTo: ['type=inline'] },
      buildxDocker,
      [
        'buildx',
        'build',
        '--load',
        '--progress',
        'plain',
        '--tag',
        'r.example/app:v1',
        '--build-arg',
        'BUILDKIT_INLINE_CACHE=1',
        '--cache-to',
        'type=inline',
        '/w',
      ],
      {},
    ],
  ])('%s', (_name, spec, builder, args, env) => {
    const command = buildCommand(spec, builder);
    expect(command.args).toEqual(args);
    expect(command.env).toEqual(env);
    expect(command.dropped).toEqual([]);
  });

  it('leaves out, and reports, cache settings the classic builder cannot use', () => {
    const command = buildCommand(
      {
        ...base,
        cacheFrom: ['type=gha', 'type=local,src=/c'],
        cacheTo: ['type=registry,ref=h/app:cache', 'type=inline'],
      },
      classic,
    );
    expect(command.args).not.toContain('--cache-from');
    expect(command.args).not.toContain('--cache-to');
    expect(command.dropped).toEqual([
      'cache-from type=gha (needs buildx)',
      'cache-from type=local,src=/c (needs buildx)',
      'cache-to type=registry,ref=h/app:cache (needs buildx; inline cache used)',
    ]);
  });

  it('never puts a secret value on the command line', () => {
    const secretValue = 's3cr3t-value';
    process.env.BUILD_SECRET_FOR_TEST = secretValue;
    const command = buildCommand(
      { ...base, secretEnvs: [{ id: 'token', env: 'BUILD_SECRET_FOR_TEST' }] },
      buildx,
    );
    expect(command.args.join(' ')).not.toContain(secretValue);
    expect(command.args).toContain('id=token,env=BUILD_SECRET_FOR_TEST');
    delete process.env.BUILD_SECRET_FOR_TEST;
  });
});

describe('cache defaults', () => {
  test.each<[Builder, string[], string[]]>([
    [classic, ['h/app:cache', 'h/app:v1'], []],
    [
      buildx,
      ['type=registry,ref=h/app:cache', 'type=registry,ref=h/app:v1'],
      [
        'type=registry,ref=h/app:cache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true',
      ],
    ],
    [
      buildxDocker,
      ['type=registry,ref=h/app:cache', 'type=registry,ref=h/app:v1'],
      ['type=inline'],
    ],
  ])('%j', (builder, cacheFrom, cacheTo) => {
    expect(defaultCache(builder, 'h/app', ['h/app:v1'])).toEqual({ cacheFrom, cacheTo });
  });

  test.each([
    ['h/app:cache', 'h/app:cache'],
    ['type=registry,ref=h/app:cache', 'h/app:cache'],
    ['ref=h/app:cache', 'h/app:cache'],
    ['type=gha', undefined],
    ['type=registry', undefined],
  ])('registryCacheRef(%s) = %s', (entry, ref) => {
    expect(registryCacheRef(entry)).toBe(ref);
  });
});

describe('ociLabels', () => {
  it('names source, revision, version and created', () => {
    expect(
      ociLabels({
        serverUrl: 'https://github.example/',
        repository: 'octo-org/cms',
        revision: 'a'.repeat(40),
        version: 'v0.0.418',
        created: new Date(Date.UTC(2026, 10, 28, 3, 0, 0)),
      }),
    ).toEqual({
      'org.opencontainers.image.source': 'https://github.example/octo-org/cms',
      'org.opencontainers.image.revision': 'a'.repeat(40),
      'org.opencontainers.image.version': 'v0.0.418',
      'org.opencontainers.image.created': '2026-11-28T03:00:00.000Z',
    });
  });

  it('leaves out what it does not know', () => {
    expect(ociLabels({ created: new Date(0) })).toEqual({
      'org.opencontainers.image.created': '1970-01-01T00:00:00.000Z',
    });
  });
});

describe('push output and failures', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;

  test.each([
    [
      `The push refers to repository [h/app]\nabc: Pushed\nv1: digest: ${digest} size: 735\n`,
      'v1',
      digest,
    ],
    [
      `latest: digest: ${digest} size: 1\nv1: digest: sha256:${'0'.repeat(64)} size: 2\n`,
      'latest',
      digest,
    ],
    [`v1: digest: ${digest} size: 735\n`, 'v2', undefined],
    ['v1: Pushed\n', 'v1', undefined],
  ])('parsePushDigest #%#', (output, tag, expected) => {
    expect(parsePushDigest(output, tag)?.digest).toBe(expected);
  });

  test.each([
    ['received unexpected HTTP status: 500 Internal Server Error', true],
    ['error parsing HTTP 503 response body: ...', false],
    ['Head "https://x/v2/": net/http: request canceled while waiting for connection', true],
    ['read tcp 1.2.3.4:5->6.7.8.9:443: read: connection reset by peer', true],
    ['toomanyrequests: Rate exceeded', true],
    ['denied: User is not authorized to perform ecr:InitiateLayerUpload', false],
    [
      'tag invalid: The image tag v1 already exists and cannot be overwritten because the repository is immutable.',
      false,
    ],
    ['unauthorized: authentication required', false],
  ])('isTransientFailure(%s) = %s', (output, transient) => {
    expect(isTransientFailure(output)).toBe(transient);
  });

  it('finds the error line', () => {
    expect(failureReason('#1 building\n#2 ERROR: failed to solve: oops\n#3 done\n')).toBe(
      '#2 ERROR: failed to solve: oops',
    );
    expect(failureReason('just this\n\n')).toBe('just this');
    expect(failureReason('')).toBe('no output');
  });
});

describe('registry host and manifests', () => {
  const govHost = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com';
  test.each([
    [govHost, undefined, govHost],
    [govHost, govHost, govHost],
    // Cross-account: the token's own ECR registry differs from the one asked for.
    ['123456789012.dkr.ecr.us-gov-west-1.amazonaws.com', govHost, govHost],
    // A custom ECR endpoint (tests, proxies) hands out its own registry: that is where images live.
    ['127.0.0.1:5000', govHost, '127.0.0.1:5000'],
  ])('chooseRegistryHost(%s, %s) = %s', (token, expected, chosen) => {
    expect(chooseRegistryHost(token, expected)).toBe(chosen);
  });

  it('reads config.digest from a single-platform manifest only', () => {
    expect(configDigestOf(JSON.stringify({ config: { digest: 'sha256:1' } }))).toBe('sha256:1');
    expect(configDigestOf(JSON.stringify({ manifests: [] }))).toBeUndefined();
    expect(configDigestOf('not json')).toBeUndefined();
  });
});

describe('DockerCli over a recording exec port', () => {
  interface Call {
    readonly command: string;
    readonly args: readonly string[];
    readonly options: ExecOptions;
  }
  const work = mkdtempSync(join(tmpdir(), 'docker-unit-'));
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  function fakeExec(answer: (args: readonly string[], call: number) => Partial<ExecResult>): {
    exec: Exec;
    calls: Call[];
  } {
    const calls: Call[] = [];
    const exec: Exec = (command, args, options = {}) => {
      calls.push({ command, args, options });
      const result = { exitCode: 0, stdout: '', stderr: '', ...answer(args, calls.length) };
      for (const line of `${result.stdout}\n${result.stderr}`.split('\n')) options.onLine?.(line);
      return Promise.resolve(result);
    };
    return { exec, calls };
  }

  it('logs in with the password on stdin only, into its own DOCKER_CONFIG', async () => {
    const { exec, calls } = fakeExec(() => ({}));
    const docker = new DockerCli({ exec, logger: recordingLogger(), configDir: work });
    await docker.login('h.example', { username: 'AWS', password: 'pa55word' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args).toEqual(['login', '--username', 'AWS', '--password-stdin', 'h.example']);
    expect(calls[0]?.options.input).toBe('pa55word');
    expect(calls[0]?.options.env?.DOCKER_CONFIG).toBe(work);
  });

  it('keeps the password out of a login failure', async () => {
    const { exec } = fakeExec(() => ({ exitCode: 1, stderr: 'Error: bad password pa55word\n' }));
    const docker = new DockerCli({ exec, logger: recordingLogger(), configDir: work });
    const failure = docker.login('h.example', { username: 'AWS', password: 'pa55word' });
    await expect(failure).rejects.toThrow(
      'docker login to h.example failed: Error: bad password ***',
    );
  });

  test.each([
    [0, { exitCode: 0 }, 'buildx', 'docker-container'],
    [1, { exitCode: 1 }, 'classic', undefined],
  ])('detects the builder (#%#)', async (_n, inspectResult, kind, driver) => {
    const { exec, calls } = fakeExec((args) =>
      args[1] === 'inspect'
        ? { stdout: 'Name:   ci\nDriver: docker-container\n\nNodes:\n', ...inspectResult }
        : { exitCode: 1 },
    );
    const pluginDir = mkdtempSync(join(work, 'plugins-'));
    writeFileSync(join(pluginDir, 'docker-buildx'), '');
    const docker = new DockerCli({
      exec,
      logger: recordingLogger(),
      configDir: work,
      pluginDirs: [pluginDir],
    });
    expect(await docker.detectBuilder()).toEqual({ kind, driver });
    expect(calls[0]?.args).toEqual(['buildx', 'inspect']);
  });

  it('detects the classic builder without running docker when no buildx plugin is installed', async () => {
    const { exec, calls } = fakeExec(() => ({}));
    const docker = new DockerCli({
      exec,
      logger: recordingLogger(),
      configDir: work,
      pluginDirs: [],
    });
    expect(await docker.detectBuilder()).toEqual({ kind: 'classic', driver: undefined });
    expect(calls).toHaveLength(0);
  });

  it('retries a push that failed on a 5xx, with backoff, and reads the digest', async () => {
    const digest = `sha256:${'cd'.repeat(32)}`;
    const { exec, calls } = fakeExec((_args, call) =>
      call < 3
        ? {
            exitCode: 1,
            stderr: 'received unexpected HTTP status: 500 Internal Server Error\n',
          }
        : { stdout: `v1: digest: ${digest} size: 528\n` },
    );
    const waits: number[] = [];
    const logger = recordingLogger();
    const docker = new DockerCli({
      exec,
      logger,
      configDir: work,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    const pushed = await docker.push('h.example/app:v1');
    expect(pushed).toMatchObject({ digest, manifestSize: 528, attempts: 3 });
    expect(waits).toEqual([1000, 2000]);
    expect(calls.map((call) => call.args)).toEqual([
      ['push', 'h.example/app:v1'],
      ['push', 'h.example/app:v1'],
      ['push', 'h.example/app:v1'],
    ]);
    expect(logger.records.filter((r) => r.level === 'warning')).toHaveLength(2);
  });

  it('gives up after the attempts, and at once on a permanent failure', async () => {
    const noSleep = (): Promise<void> => Promise.resolve();
    const always500 = fakeExec(() => ({
      exitCode: 1,
      stderr: 'received unexpected HTTP status: 502 Bad Gateway\n',
    }));
    const docker = new DockerCli({
      exec: always500.exec,
      logger: recordingLogger(),
      configDir: work,
      sleep: noSleep,
    });
    await expect(docker.push('h/app:v1')).rejects.toThrow(
      'docker push h/app:v1 failed after 3 attempts: received unexpected HTTP status: 502 Bad Gateway',
    );
    expect(always500.calls).toHaveLength(3);

    const denied = fakeExec(() => ({ exitCode: 1, stderr: 'denied: not authorized\n' }));
    const deniedDocker = new DockerCli({
      exec: denied.exec,
      logger: recordingLogger(),
      configDir: work,
      sleep: noSleep,
    });
    const failure = await deniedDocker.push('h/app:v1').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DockerError);
    expect((failure as DockerError).transient).toBe(false);
    expect(denied.calls).toHaveLength(1);
  });

  it('builds in a log group and returns the image id from --iidfile', async () => {
    const imageId = `sha256:${'ef'.repeat(32)}`;
    const { exec, calls } = fakeExec((args) => {
      const iidFile = args[args.indexOf('--iidfile') + 1];
      if (iidFile !== undefined) writeFileSync(iidFile, imageId);
      return { stderr: '#1 [internal] load build definition\n#9 DONE 0.1s\n' };
    });
    const events: string[] = [];
    const logger = {
      ...recordingLogger(),
      info: (message: string) => events.push(`info ${message}`),
      startGroup: (name: string) => events.push(`group ${name}`),
      endGroup: () => events.push('endgroup'),
    };
    const docker = new DockerCli({ exec, logger, configDir: work });
    const built = await docker.build(base, classic);
    expect(built.imageId).toBe(imageId);
    expect(calls[0]?.options.env).toEqual({ DOCKER_BUILDKIT: '1', DOCKER_CONFIG: work });
    expect(events[0]).toBe(
      'group Building r.example/app:v1 with DOCKER_BUILDKIT=1 docker build (no buildx)',
    );
    expect(events).toContain('info #1 [internal] load build definition');
    expect(events.at(-1)).toBe('endgroup');
  });
});

describe('createDockerConfigDir', () => {
  it("links the user's CLI plugins and buildx builders in; removing it keeps them", () => {
    const scratch = mkdtempSync(join(tmpdir(), 'docker-config-test-'));
    try {
      const user = join(scratch, 'user-docker');
      mkdirSync(join(user, 'buildx', 'instances'), { recursive: true });
      writeFileSync(join(user, 'buildx', 'current'), '{"Name":"builder-1"}');
      writeFileSync(join(user, 'config.json'), '{"auths":{"other.example":{"auth":"c2VjcmV0"}}}');
      const dir = createDockerConfigDir(scratch, user);
      expect(readlinkSync(join(dir, 'buildx'))).toBe(join(user, 'buildx'));
      // No cli-plugins folder at the source: nothing linked. The user's credentials never come along.
      expect(existsSync(join(dir, 'cli-plugins'))).toBe(false);
      expect(existsSync(join(dir, 'config.json'))).toBe(false);
      expect(lstatSync(dir).mode & 0o777).toBe(0o700);
      removeDockerConfigDir(dir);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(join(user, 'buildx', 'current'))).toBe(true);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
