/**
 * ecr-build-push speed, reported as ratios (never asserted: timings on a shared 2-core machine are noisy).
 *   1. the action's cached no-change rebuild + push (its core, publishImage: ECR token, docker login,
 *      tag look-up, build, push, digest check, cache tag) vs the raw `docker build && docker push` it
 *      wraps (the same build argv, already logged in)                                 goal <= 1.10x
 *   2. promote (retag through the ECR API) vs that rebuild + push                     goal <= 0.05x
 * Runs against the real parts (private dockerd, registry, ECR test server); reuses the ones `.ci/run`
 * started when GITOPS_TEST_* is set. bench.ts calls benchEcr; alone: npx tsx scripts/bench-ecr.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  createDockerConfigDir,
  DockerCli,
  processExec,
  publishImage,
  type Exec,
  type PublishRequest,
} from '../packages/docker/index.js';
import { createEcrClient } from '../packages/ecr/index.js';
import { silentLogger } from '../packages/kit/index.js';
import {
  BASE_IMAGE,
  ensureBaseImage,
  startDockerDaemon,
  startRegistry,
} from '../test/support/docker/index.js';
import { startEcrServer } from '../test/support/ecr-server/index.js';
import { markdownTable, median, row, type BenchRow } from './bench-support.js';

const REGION = 'us-gov-west-1';

export interface EcrBenchOptions {
  /** Interleaved runs of each variant (default 7); medians are reported. */
  readonly runs?: number;
}

export interface EcrBenchResult {
  readonly rows: BenchRow[];
  /** The daemon the builds ran on, for the machine description. */
  readonly storageDriver: string;
  readonly dockerEnv: Readonly<Record<string, string>>;
}

const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAGITOPSBENCH00001',
  AWS_SECRET_ACCESS_KEY: 'bench-secret',
  AWS_REGION: REGION,
  AWS_EC2_METADATA_DISABLED: 'true',
  // The SDK's notice about Node 20 (the tooling's Node) is about the machine, not the figures.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export async function benchEcr(options: EcrBenchOptions = {}): Promise<EcrBenchResult> {
  const runs = options.runs ?? 7;
  const work = mkdtempSync(join(tmpdir(), 'bench-ecr-'));
  const [daemon, registry] = await Promise.all([startDockerDaemon(), startRegistry()]);
  const server = await startEcrServer({ registry, region: REGION });
  // The SDK reads credentials and the endpoint from the environment; put back what was there.
  const aws = { ...AWS_ENV, AWS_ENDPOINT_URL_ECR: server.endpoint };
  const saved = Object.fromEntries(Object.keys(aws).map((name) => [name, process.env[name]]));
  Object.assign(process.env, aws);
  const ecr = createEcrClient({ region: REGION, logger: silentLogger });
  try {
    await ensureBaseImage(daemon);
    const repository = `bench/app-${randomBytes(3).toString('hex')}`;
    server.createRepository(repository);
    const context = join(work, 'context');
    mkdirSync(context);
    // A layer big enough that pushing it for nothing would show (1 MiB of random bytes).
    writeFileSync(join(context, 'payload.bin'), randomBytes(1024 * 1024));
    writeFileSync(
      join(context, 'Dockerfile'),
      [
        `FROM ${BASE_IMAGE} AS build`,
        'COPY payload.bin /src/payload.bin',
        'RUN sha256sum /src/payload.bin > /src/sum.txt',
        `FROM ${BASE_IMAGE}`,
        'COPY --from=build /src/sum.txt /sum.txt',
        'COPY payload.bin /payload.bin',
        '',
      ].join('\n'),
    );

    let buildArgv: readonly string[] = [];
    const exec: Exec = (command, args, options = {}) => {
      if (args[0] === 'build') buildArgv = args;
      return processExec(command, args, { ...options, env: { ...daemon.env, ...options.env } });
    };
    let sequence = 0;
    const nextTag = (): string => `bench-${String(++sequence)}`;
    const request = (tag: string): PublishRequest => ({
      repository,
      tags: [tag],
      ifTagExists: 'skip-same-digest',
      build: { context, network: 'none', push: true, source: {} },
    });
    const created = new Date(Date.UTC(2026, 0, 1));
    const actionRun = async (tag: string): Promise<number> => {
      const docker = new DockerCli({
        exec,
        logger: silentLogger,
        configDir: createDockerConfigDir(work),
      });
      const started = performance.now();
      await publishImage(request(tag), {
        ecr,
        docker,
        logger: silentLogger,
        maskSecret: () => undefined,
        clock: () => created,
      });
      return performance.now() - started;
    };

    // Warm-up: fills the build cache and the registry, and records the build argv the action runs.
    await actionRun(nextTag());
    await actionRun(nextTag());

    const rawEnv = (configDir: string) => ({
      ...daemon.env,
      DOCKER_CONFIG: configDir,
      DOCKER_BUILDKIT: '1',
    });
    const rawLogin = async (configDir: string): Promise<void> => {
      const login = await processExec(
        'docker',
        ['login', '-u', 'AWS', '--password-stdin', registry.host],
        { input: registry.password, env: rawEnv(configDir) },
      );
      if (login.exitCode !== 0) throw new Error(`raw login failed: ${login.stderr}`);
    };
    const loggedIn = createDockerConfigDir(work);
    await rawLogin(loggedIn);
    /** The action's own build argv for `tag` (its tag and version label), then `docker push`. */
    const rawRun = async (tag: string, withLogin: boolean): Promise<number> => {
      const reference = `${registry.host}/${repository}:${tag}`;
      const argv = buildArgv.map((arg, index) => {
        if (buildArgv[index - 1] === '--tag') return reference;
        return arg.startsWith('org.opencontainers.image.version=')
          ? `org.opencontainers.image.version=${tag}`
          : arg;
      });
      const configDir = withLogin ? createDockerConfigDir(work) : loggedIn;
      const started = performance.now();
      if (withLogin) await rawLogin(configDir);
      const built = await processExec('docker', argv, { env: rawEnv(configDir) });
      if (built.exitCode !== 0) throw new Error(`raw build failed: ${built.stderr}`);
      const pushed = await processExec('docker', ['push', reference], { env: rawEnv(configDir) });
      if (pushed.exitCode !== 0) throw new Error(`raw push failed: ${pushed.stderr}`);
      return performance.now() - started;
    };
    const promoteRun = async (tag: string): Promise<number> => {
      const started = performance.now();
      await publishImage(
        { repository, tags: [tag], ifTagExists: 'skip-same-digest', promoteFrom: 'bench-1' },
        { ecr, logger: silentLogger, maskSecret: () => undefined },
      );
      return performance.now() - started;
    };

    const action: number[] = [];
    const raw: number[] = [];
    const rawWithLogin: number[] = [];
    const promote: number[] = [];
    // Interleaved, so drift on the machine hits all of them alike.
    for (let run = 0; run < runs; run++) {
      action.push(await actionRun(nextTag()));
      raw.push(await rawRun(nextTag(), false));
      rawWithLogin.push(await rawRun(nextTag(), true));
      promote.push(await promoteRun(nextTag()));
    }
    const note = `${String(runs)} interleaved runs, medians`;
    return {
      rows: [
        row({
          what: 'ecr-build-push cached no-change rebuild+push vs raw `docker build && docker push`',
          value: median(action),
          unit: 'ms',
          baseline: { value: median(raw), label: 'raw, logged in' },
          goal: { op: '<=', value: 1.1, unit: 'x' },
          note: `action core (ECR token, login, tag look-up, build, push, digest check); ${note}`,
        }),
        row({
          what: '  the same vs raw counting its `docker login --password-stdin`',
          value: median(action),
          unit: 'ms',
          baseline: { value: median(rawWithLogin), label: 'raw with login' },
          goal: { op: '<=', value: 1.1, unit: 'x' },
          note: 'a fresh runner logs in too',
        }),
        row({
          what: 'promote (BatchGetImage + PutImage) vs rebuild+push',
          value: median(promote),
          unit: 'ms',
          baseline: { value: median(action), label: 'action rebuild+push' },
          goal: { op: '<=', value: 0.05, unit: 'x' },
          note,
        }),
      ],
      storageDriver: daemon.storageDriver,
      dockerEnv: daemon.env,
    };
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
    ecr.sdk.destroy();
    await server.close();
    await Promise.all([daemon.stop(), registry.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}

// Alone (npx tsx scripts/bench-ecr.ts): the same rows, as a table.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchEcr({ runs: process.argv.includes('--quick') ? 3 : 7 });
  console.log(markdownTable(result.rows));
  console.log(`docker builds on ${result.storageDriver}`);
}
