import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { untrustedOutput, type Logger } from '../kit/index.js';
import { buildCommand, type Builder, type BuildSpec } from './build-args.js';
import {
  DockerError,
  engineRetried,
  failureReason,
  isCredentialsRejected,
  isRegistryFull,
  isTransientFailure,
} from './errors.js';
import type { Exec, ExecResult } from './exec.js';

export interface DockerCliOptions {
  readonly exec: Exec;
  readonly logger: Logger;
  /**
   * The private `DOCKER_CONFIG` directory of this run: credentials from `login` live there and nowhere
   * else (never `~/.docker/config.json`). Every command gets it.
   */
  readonly configDir: string;
  /** The docker client to run; default `docker` from PATH. */
  readonly docker?: string;
  /** Attempts per push when the registry fails in passing (5xx, resets, timeouts). Default 3. */
  readonly pushAttempts?: number;
  /** Wait before the first push retry, doubled for each further one. Default 1000 ms. */
  readonly retryDelayMs?: number;
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /**
   * Where the docker client looks for CLI plugins (docker-buildx): the config directory's `cli-plugins`
   * and the system directories. Default: those docker 20.10+ searches.
   */
  readonly pluginDirs?: readonly string[];
}

/** The system CLI plugin directories the docker client searches (cli-plugins/manager, 20.10+). */
export const SYSTEM_PLUGIN_DIRS = [
  '/usr/local/lib/docker/cli-plugins',
  '/usr/local/libexec/docker/cli-plugins',
  '/usr/lib/docker/cli-plugins',
  '/usr/libexec/docker/cli-plugins',
] as const;

export interface RegistryCredentials {
  readonly username: string;
  /** SECRET: goes to `docker login` on stdin only. */
  readonly password: string;
}

export interface BuildResult {
  /** The local image id: the sha256 of the image config, which a pushed manifest names as `config.digest`. */
  readonly imageId: string;
  readonly seconds: number;
}

export interface PushResult {
  /** The manifest digest the registry stored, from docker's `<tag>: digest: sha256:... size: N` line. */
  readonly digest: string;
  /** Size of the manifest in bytes, as docker reports it. */
  readonly manifestSize: number;
  readonly attempts: number;
  readonly seconds: number;
}

const defaultSleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The tag part of `host[:port]/repo:tag`. */
function tagOf(reference: string): string {
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  return colon < 0 ? 'latest' : reference.slice(colon + 1);
}

/** Reads `<tag>: digest: sha256:<hex> size: <n>` from `docker push` output. */
export function parsePushDigest(
  output: string,
  tag: string,
): { digest: string; manifestSize: number } | undefined {
  for (const line of output.split(/\r?\n/)) {
    const match = /^(\S+): digest: (sha256:[0-9a-f]{64}) size: ([0-9]+)\s*$/.exec(line.trim());
    if (match?.[1] === tag && match[2] !== undefined && match[3] !== undefined) {
      return { digest: match[2], manifestSize: Number(match[3]) };
    }
  }
  return undefined;
}

/**
 * The docker CLI over an Exec port, with a private DOCKER_CONFIG. Passwords go on stdin; build and push
 * output is streamed into a log group; pushes are retried on transient registry errors.
 */
export class DockerCli {
  readonly configDir: string;
  private readonly exec: Exec;
  private readonly logger: Logger;
  private readonly docker: string;
  private readonly pushAttempts: number;
  private readonly retryDelayMs: number;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  private readonly pluginDirs: readonly string[];

  constructor(options: DockerCliOptions) {
    this.exec = options.exec;
    this.logger = options.logger;
    this.configDir = options.configDir;
    this.docker = options.docker ?? 'docker';
    this.pushAttempts = options.pushAttempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.sleep = options.sleep ?? defaultSleep;
    this.pluginDirs = options.pluginDirs ?? [
      join(options.configDir, 'cli-plugins'),
      ...SYSTEM_PLUGIN_DIRS,
    ];
  }

  private async run(
    args: readonly string[],
    options: { input?: string; env?: Record<string, string>; stream?: boolean } = {},
  ): Promise<ExecResult> {
    const run = () =>
      this.exec(this.docker, args, {
        env: { ...options.env, DOCKER_CONFIG: this.configDir },
        ...(options.input === undefined ? {} : { input: options.input }),
        ...(options.stream === true
          ? {
              onLine: (line: string) => {
                this.logger.info(line);
              },
            }
          : {}),
      });
    try {
      // A Dockerfile's RUN prints whatever it likes: streamed, none of it may act as a workflow command.
      return await (options.stream === true ? untrustedOutput(this.logger, run) : run());
    } catch (error: unknown) {
      throw new DockerError(
        `docker ${args[0] ?? ''}`,
        `could not run ${this.docker}: ${error instanceof Error ? error.message : String(error)}; ` +
          'install Docker on the runner',
        { cause: error },
      );
    }
  }

  /** Runs `work` inside a log group titled `title` (plain lines where the logger has no groups). */
  private async grouped<T>(title: string, work: () => Promise<T>): Promise<T> {
    const { startGroup, endGroup } = this.logger;
    if (startGroup === undefined || endGroup === undefined) {
      this.logger.info(title);
      return work();
    }
    startGroup.call(this.logger, title);
    try {
      return await work();
    } finally {
      endGroup.call(this.logger);
    }
  }

  /**
   * buildx when the plugin is installed and `docker buildx inspect` works (its driver from the output),
   * else the classic builder (BuildKit via DOCKER_BUILDKIT=1). Where no plugin file exists, no process
   * is started: the answer is already known.
   */
  async detectBuilder(): Promise<Builder> {
    if (!this.pluginDirs.some((dir) => existsSync(join(dir, 'docker-buildx')))) {
      return { kind: 'classic', driver: undefined };
    }
    const inspect = await this.run(['buildx', 'inspect']);
    if (inspect.exitCode === 0) {
      return { kind: 'buildx', driver: /^Driver:\s*(\S+)/m.exec(inspect.stdout)?.[1] };
    }
    const version = await this.run(['buildx', 'version']);
    return version.exitCode === 0
      ? { kind: 'buildx', driver: undefined }
      : { kind: 'classic', driver: undefined };
  }

  /**
   * Stores the registry credentials in this run's private config (`config.json`, mode 0600), as
   * `docker login` would, without its process and registry round trip: the credentials are an ECR
   * token just issued, and the push (or a cache pull) is what uses them. Nothing reaches argv; the
   * password is only in the file (as `auth`, base64 of user:password, which the caller masks).
   */
  storeCredentials(registry: string, credentials: RegistryCredentials): void {
    const file = join(this.configDir, 'config.json');
    let config: { auths?: Record<string, unknown> } & Record<string, unknown> = {};
    if (existsSync(file)) {
      config = JSON.parse(readFileSync(file, 'utf8')) as typeof config;
    }
    const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    config.auths = { ...config.auths, [registry]: { auth } };
    // Written whole and renamed into place: docker never reads half a file.
    const partial = `${file}.${randomBytes(6).toString('hex')}`;
    writeFileSync(partial, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
    renameSync(partial, file);
    this.logger.info(`logged in to ${registry} (credentials kept in ${this.configDir})`);
  }

  /** `docker login --username <user> --password-stdin <registry>`: the password never enters argv. */
  async login(registry: string, credentials: RegistryCredentials): Promise<void> {
    const result = await this.run(
      ['login', '--username', credentials.username, '--password-stdin', registry],
      { input: credentials.password },
    );
    if (result.exitCode !== 0) {
      // docker doesn't echo the password, but a failure line must never carry it.
      const reason = failureReason(result.stderr).split(credentials.password).join('***');
      throw new DockerError('docker login', `docker login to ${registry} failed: ${reason}`, {
        exitCode: result.exitCode,
      });
    }
    this.logger.info(`logged in to ${registry} (credentials kept in ${this.configDir})`);
  }

  /** `docker logout <registry>`; a failure is only a warning (the config directory goes anyway). */
  async logout(registry: string): Promise<void> {
    const result = await this.run(['logout', registry]);
    if (result.exitCode !== 0) {
      this.logger.warning(`docker logout ${registry} failed: ${failureReason(result.stderr)}`);
    }
  }

  /** Builds `spec` (output streamed into a log group) and returns the image id. */
  async build(spec: BuildSpec, builder: Builder): Promise<BuildResult> {
    const iidFile = join(this.configDir, `iid-${randomBytes(6).toString('hex')}`);
    const command = buildCommand({ ...spec, iidFile }, builder);
    for (const setting of command.dropped) this.logger.warning(`ignored ${setting}`);
    const how =
      builder.kind === 'buildx'
        ? `docker buildx (driver ${builder.driver ?? 'unknown'})`
        : 'DOCKER_BUILDKIT=1 docker build (no buildx)';
    const started = performance.now();
    const result = await this.grouped(
      `Building ${spec.tags[0] ?? spec.context} with ${how}`,
      () => {
        this.logger.info(`docker ${command.args.join(' ')}`);
        return this.run(command.args, { env: { ...command.env }, stream: true });
      },
    );
    const seconds = (performance.now() - started) / 1000;
    try {
      if (result.exitCode !== 0) {
        const reason = failureReason(`${result.stdout}\n${result.stderr}`);
        const hint = /buildx component is missing/i.test(result.stderr)
          ? ' (this docker client needs the buildx plugin for BuildKit: install docker-buildx)'
          : '';
        throw new DockerError('docker build', `docker build failed: ${reason}${hint}`, {
          exitCode: result.exitCode,
        });
      }
      const imageId = readFileSync(iidFile, 'utf8').trim();
      if (!/^sha256:[0-9a-f]{64}$/.test(imageId)) {
        throw new DockerError('docker build', `docker build wrote no image id (got "${imageId}")`);
      }
      return { imageId, seconds };
    } finally {
      rmSync(iidFile, { force: true });
    }
  }

  /**
   * `docker push <reference>`, retried with backoff when the registry or network fails in passing; the
   * digest comes from docker's own report of what the registry stored.
   */
  async push(reference: string): Promise<PushResult> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      const result = await this.grouped(`Pushing ${reference}`, () =>
        this.run(['push', reference], { stream: true }),
      );
      const output = `${result.stdout}\n${result.stderr}`;
      if (result.exitCode === 0) {
        const pushed = parsePushDigest(result.stdout, tagOf(reference));
        if (pushed === undefined) {
          throw new DockerError(
            'docker push',
            `docker push ${reference} succeeded but reported no digest line ("<tag>: digest: sha256:... size: N")`,
          );
        }
        return { ...pushed, attempts: attempt, seconds: (performance.now() - started) / 1000 };
      }
      const reason = failureReason(output);
      const failed =
        `docker push ${reference} failed` +
        (attempt > 1 ? ` after ${String(attempt)} attempts` : '');
      if (isRegistryFull(output)) {
        throw new DockerError(
          'docker push',
          `${failed}: the registry is out of storage space (${reason}); nothing was tagged: ` +
            'free space (or raise the quota) on the registry, then re-run',
          { exitCode: result.exitCode, attempts: attempt, kind: 'registry-full' },
        );
      }
      if (isCredentialsRejected(output)) {
        throw new DockerError(
          'docker push',
          `${failed}: the registry refused the credentials (${reason})`,
          {
            exitCode: result.exitCode,
            attempts: attempt,
            kind: 'credentials-rejected',
          },
        );
      }
      const transient = isTransientFailure(output);
      // The engine retries each layer upload 5 times itself (about 50 s): another round adds minutes, not luck.
      const retriedByEngine = engineRetried(output);
      if (!transient || retriedByEngine || attempt >= this.pushAttempts) {
        throw new DockerError(
          'docker push',
          `${failed}${retriedByEngine ? ' (the docker engine retried each layer upload itself)' : ''}: ${reason}`,
          { exitCode: result.exitCode, transient, attempts: attempt },
        );
      }
      const delay = this.retryDelayMs * 2 ** (attempt - 1);
      this.logger.warning(
        `docker push ${reference} failed (${reason}); retrying in ${String(delay / 1000)} s ` +
          `(attempt ${String(attempt + 1)} of ${String(this.pushAttempts)})`,
      );
      await this.sleep(delay);
    }
  }
}
