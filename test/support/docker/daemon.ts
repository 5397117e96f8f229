/**
 * A real Docker Engine (Debian's `dockerd`) private to the test run: its own data root, exec root,
 * pidfile and unix socket, nothing shared with a system daemon, no bridge, no firewall or forwarding changes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  isExecutable,
  run,
  settlesWithin,
  waitUntil,
  type Availability,
  type RunOptions,
  type RunResult,
} from './process.js';

export const DOCKERD = '/usr/sbin/dockerd';
/**
 * The Debian client (20.10), matching the daemon. Some machines put a newer static client first in PATH
 * (/usr/local/bin/docker 28.x): without the buildx plugin it can't do BuildKit builds.
 */
export const DOCKER_CLI = '/usr/bin/docker';

/** Reuse a daemon started outside the test (by `.ci/run`): its `unix://` host. */
export const DOCKER_HOST_ENV = 'GITOPS_TEST_DOCKER_HOST';

export interface DockerDaemon {
  /** `unix:///tmp/gtd-.../docker.sock` */
  readonly host: string;
  /**
   * For child processes: DOCKER_HOST, and PATH led by a directory whose `docker` is DOCKER_CLI, so code
   * that runs plain `docker` talks to this daemon with a client that matches it.
   */
  readonly env: { readonly DOCKER_HOST: string; readonly PATH: string };
  readonly storageDriver: string;
  /**
   * Whether the daemon has a bridge network. The daemons started here never do (`--bridge=none`), so
   * `docker build` needs `--network=none` or `--network=host` ("network bridge not found").
   */
  readonly bridge: boolean;
  /** True when this is the daemon named by GITOPS_TEST_DOCKER_HOST; stop() then leaves it running. */
  readonly reused: boolean;
  /** Runs DOCKER_CLI against this daemon (`options.env` is added to the environment). */
  docker(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  stop(): Promise<void>;
}

/** Whether a daemon can be started (or reused) here; the reason is printed when tests skip. */
export function dockerAvailability(): Availability {
  if (process.env[DOCKER_HOST_ENV]) return { ok: true };
  for (const binary of [DOCKERD, DOCKER_CLI]) {
    if (!isExecutable(binary)) {
      return { ok: false, reason: `${binary} is missing (apt-get install docker.io)` };
    }
  }
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: 'dockerd needs root and the tests are not running as root' };
  }
  return { ok: true };
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => {
      resolve(false);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** A directory whose `docker` is DOCKER_CLI, to put first in PATH. */
function clientPathDir(): string {
  const dir = mkdtempSync('/tmp/gtd-bin-');
  symlinkSync(DOCKER_CLI, join(dir, 'docker'));
  return dir;
}

function makeDaemon(
  host: string,
  binDir: string,
  details: { storageDriver: string; bridge: boolean; reused: boolean },
  shutdown: () => Promise<void>,
): DockerDaemon {
  const env = {
    DOCKER_HOST: host,
    PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  };
  const docker = (args: readonly string[], options: RunOptions = {}): Promise<RunResult> =>
    run(DOCKER_CLI, args, { ...options, env: { ...process.env, ...env, ...options.env } });
  let stopped = false;
  return {
    host,
    env,
    ...details,
    docker,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await shutdown();
      rmSync(binDir, { recursive: true, force: true });
    },
  };
}

async function describeDaemon(
  docker: (args: readonly string[]) => Promise<RunResult>,
): Promise<{ storageDriver: string; bridge: boolean }> {
  const info = await docker(['info', '--format', '{{.Driver}}']);
  const networks = await docker(['network', 'ls', '--format', '{{.Name}}']);
  return {
    storageDriver: info.stdout.trim(),
    bridge: networks.stdout.split('\n').includes('bridge'),
  };
}

async function reuseDaemon(host: string): Promise<DockerDaemon> {
  const binDir = clientPathDir();
  const docker = (args: readonly string[]): Promise<RunResult> =>
    run(DOCKER_CLI, args, { env: { ...process.env, DOCKER_HOST: host } });
  try {
    await docker(['version']);
  } catch (error: unknown) {
    rmSync(binDir, { recursive: true, force: true });
    throw new Error(
      `${DOCKER_HOST_ENV}=${host} does not answer: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const details = await describeDaemon(docker);
  return makeDaemon(host, binDir, { ...details, reused: true }, () => Promise.resolve());
}

interface Launched {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  hasExited(): boolean;
}

function launch(dir: string, driver: string): Launched {
  const log = openSync(join(dir, `dockerd-${driver}.log`), 'a');
  const child = spawn(
    DOCKERD,
    [
      // `--config-file /dev/null` fails ("unable to configure ... EOF"): an empty JSON object works.
      '--config-file',
      join(dir, 'daemon.json'),
      `--storage-driver=${driver}`,
      '--data-root',
      join(dir, `data-${driver}`),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      `unix://${join(dir, 'docker.sock')}`,
      // Leave the host's firewall and forwarding alone (without --ip-forward=false dockerd sets it to 1).
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      // No bridge at all: no private-range (10.x) interface on the host, and no container network that
      // could send DNS to the host's resolver. Builds run with `--network none` (or host).
      '--bridge=none',
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      done = true;
      resolve();
    });
    child.on('error', () => {
      done = true;
      resolve();
    });
  });
  return { child, exited, hasExited: () => done };
}

function logTail(dir: string, driver: string): string {
  try {
    return readFileSync(join(dir, `dockerd-${driver}.log`), 'utf8')
      .split('\n')
      .slice(-20)
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts a private dockerd (overlay2, or vfs where overlay2 can't work) and waits until `docker version`
 * answers; or returns the daemon named by GITOPS_TEST_DOCKER_HOST. Startup takes about 0.3 s.
 */
export async function startDockerDaemon(): Promise<DockerDaemon> {
  const reuse = process.env[DOCKER_HOST_ENV];
  if (reuse) return reuseDaemon(reuse);

  // Short path on purpose: containerd's socket under the exec root must stay within 104 characters.
  const dir = mkdtempSync('/tmp/gtd-');
  mkdirSync(join(dir, 'exec'));
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  writeFileSync(join(dir, 'daemon.json'), '{}\n');

  let daemon: Launched | undefined;
  let driver = '';
  const failures: string[] = [];
  for (const candidate of ['overlay2', 'vfs']) {
    const launched = launch(dir, candidate);
    try {
      await waitUntil(`dockerd (${candidate})`, () => ping(socket), {
        timeoutMs: 30_000,
        gaveUp: () => launched.hasExited(),
        describe: () => logTail(dir, candidate),
      });
      daemon = launched;
      driver = candidate;
      break;
    } catch (error: unknown) {
      launched.child.kill('SIGKILL');
      await launched.exited;
      await run('umount', [join(dir, `data-${candidate}`)]).catch(() => undefined);
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (daemon === undefined) {
    throw new Error(`could not start dockerd (logs in ${dir}):\n${failures.join('\n')}`);
  }
  const running = daemon;
  const binDir = clientPathDir();
  const docker = (args: readonly string[]): Promise<RunResult> =>
    run(DOCKER_CLI, args, { env: { ...process.env, DOCKER_HOST: host } });
  await docker(['version']);
  const details = await describeDaemon(docker);

  const shutdown = async (): Promise<void> => {
    // A running container holds shutdown for its 10 s stop timeout; removing it first takes 0.1 s.
    const ids = (await docker(['ps', '-aq']).catch(() => ({ stdout: '' }))).stdout.split(/\s+/);
    const containers = ids.filter((id) => id !== '');
    if (containers.length > 0) await docker(['rm', '-f', ...containers]).catch(() => undefined);
    running.child.kill('SIGTERM');
    if (!(await settlesWithin(running.exited, 20_000))) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    // After a clean stop this is a no-op; after SIGKILL the data root stays bind-mounted.
    await run('umount', [join(dir, `data-${driver}`)]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  return makeDaemon(host, binDir, { ...details, reused: false }, shutdown);
}
