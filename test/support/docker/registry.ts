/**
 * A real OCI registry: Debian's `docker-registry` (CNCF Distribution 2.8) on 127.0.0.1 with htpasswd
 * basic auth for user `AWS`, the way ECR's `docker login` works. Docker speaks plain HTTP to 127.0.0.0/8.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  isExecutable,
  run,
  settlesWithin,
  waitUntil,
  type Availability,
} from './process.js';
import { RegistryApi } from './registry-api.js';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';
export const HTPASSWD = '/usr/bin/htpasswd';

/** Reuse a registry started outside the test (by `.ci/run`): `127.0.0.1:PORT`, its password and log file. */
export const REGISTRY_ENV = 'GITOPS_TEST_REGISTRY';
export const REGISTRY_PASSWORD_ENV = 'GITOPS_TEST_REGISTRY_PASSWORD';
export const REGISTRY_LOG_ENV = 'GITOPS_TEST_REGISTRY_LOG';

export const REGISTRY_USERNAME = 'AWS';

/** One request from the registry's access log. */
export interface RegistryRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, what `docker login` and image names use. */
  readonly host: string;
  readonly username: typeof REGISTRY_USERNAME;
  readonly password: string;
  readonly reused: boolean;
  /** The OCI distribution API with these credentials. */
  readonly api: RegistryApi;
  /** Every line the registry has logged so far (a shared registry logs other tests' requests too). */
  logLines(): string[];
  /** Requests from the access log, optionally only those under `/v2/<repository>/`. */
  requests(repository?: string): RegistryRequest[];
  /** Blob upload starts (`POST /v2/<repository>/blobs/uploads/`): zero means nothing was pushed. */
  blobUploads(repository: string): number;
  stop(): Promise<void>;
}

export function registryAvailability(): Availability {
  if (process.env[REGISTRY_ENV]) return { ok: true };
  if (!isExecutable(DOCKER_REGISTRY)) {
    return { ok: false, reason: `${DOCKER_REGISTRY} is missing (apt-get install docker-registry)` };
  }
  if (!isExecutable(HTPASSWD)) {
    return { ok: false, reason: `${HTPASSWD} is missing (apt-get install apache2-utils)` };
  }
  return { ok: true };
}

// Combined log format, as Distribution's access log writes it:
// 127.0.0.1 - - [28/Nov/2026:03:00:00 +0000] "POST /v2/team/app/blobs/uploads/ HTTP/1.1" 202 0 "" "ua"
const ACCESS_LINE = /"([A-Z]+) (\S+) HTTP\/[0-9.]+" ([0-9]{3}) /;

function parseRequests(lines: readonly string[]): RegistryRequest[] {
  const requests: RegistryRequest[] = [];
  for (const line of lines) {
    const match = ACCESS_LINE.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined && match[3] !== undefined) {
      requests.push({ method: match[1], path: match[2], status: Number(match[3]) });
    }
  }
  return requests;
}

function makeRegistry(
  host: string,
  password: string,
  logFile: string,
  reused: boolean,
  stop: () => Promise<void>,
): TestRegistry {
  const logLines = (): string[] => {
    try {
      return readFileSync(logFile, 'utf8').split('\n');
    } catch {
      return [];
    }
  };
  const requests = (repository?: string): RegistryRequest[] =>
    parseRequests(logLines()).filter(
      (request) => repository === undefined || request.path.startsWith(`/v2/${repository}/`),
    );
  return {
    host,
    username: REGISTRY_USERNAME,
    password,
    reused,
    api: new RegistryApi({ host, username: REGISTRY_USERNAME, password }),
    logLines,
    requests,
    blobUploads: (repository) =>
      requests(repository).filter(
        (request) =>
          request.method === 'POST' && request.path.startsWith(`/v2/${repository}/blobs/uploads/`),
      ).length,
    stop,
  };
}

async function answers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/v2/`);
    await response.body?.cancel();
    return response.status === 401;
  } catch {
    return false;
  }
}

/** The registry config: filesystem storage, deletes on, htpasswd auth, access log on stdout. */
function registryConfig(dir: string, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${String(port)}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    'auth:',
    '  htpasswd:',
    '    realm: basic-realm',
    `    path: ${join(dir, 'htpasswd')}`,
    '',
  ].join('\n');
}

/**
 * Starts docker-registry on a free port (about 0.1 s), or returns the one named by GITOPS_TEST_REGISTRY
 * (then GITOPS_TEST_REGISTRY_PASSWORD and GITOPS_TEST_REGISTRY_LOG must be set too).
 */
export async function startRegistry(): Promise<TestRegistry> {
  const reuse = process.env[REGISTRY_ENV];
  if (reuse) {
    const password = process.env[REGISTRY_PASSWORD_ENV];
    const logFile = process.env[REGISTRY_LOG_ENV];
    if (!password || !logFile) {
      throw new Error(
        `${REGISTRY_ENV} is set: set ${REGISTRY_PASSWORD_ENV} and ${REGISTRY_LOG_ENV} too`,
      );
    }
    if (!(await answers(reuse))) throw new Error(`${REGISTRY_ENV}=${reuse} does not answer`);
    return makeRegistry(reuse, password, logFile, true, () => Promise.resolve());
  }

  const dir = mkdtempSync(join(tmpdir(), 'gitops-registry-'));
  const password = randomBytes(18).toString('base64url');
  // bcrypt cost 5: the registry checks the hash on every request (cost 12 costs 0.24 s each).
  await run(HTPASSWD, ['-c', '-i', '-B', '-C', '5', join(dir, 'htpasswd'), REGISTRY_USERNAME], {
    input: password,
  });
  const logFile = join(dir, 'registry.log');
  const failures: string[] = [];
  // The free port may be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${String(port)}`;
    writeFileSync(join(dir, 'config.yml'), registryConfig(dir, port));
    const log = openSync(logFile, 'a');
    const child = spawn(DOCKER_REGISTRY, ['serve', join(dir, 'config.yml')], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    let exited = false;
    const exit = new Promise<void>((resolve) => {
      child.on('exit', () => {
        exited = true;
        resolve();
      });
      child.on('error', () => {
        exited = true;
        resolve();
      });
    });
    try {
      await waitUntil(`docker-registry on ${host}`, () => answers(host), {
        timeoutMs: 15_000,
        gaveUp: () => exited,
        describe: () => readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n'),
      });
    } catch (error: unknown) {
      child.kill('SIGKILL');
      await exit;
      failures.push(error instanceof Error ? error.message : String(error));
      continue;
    }
    const stop = async (): Promise<void> => {
      // SIGTERM: a background process may ignore SIGINT.
      child.kill('SIGTERM');
      if (!(await settlesWithin(exit, 5000))) {
        child.kill('SIGKILL');
        await exit;
      }
      rmSync(dir, { recursive: true, force: true });
    };
    return makeRegistry(host, password, logFile, false, stop);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`could not start docker-registry:\n${failures.join('\n')}`);
}
