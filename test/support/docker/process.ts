import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';

/** Whether a real part can run here; the reason is printed when tests skip. */
export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface RunOptions {
  /** Written to stdin, then stdin is closed (how secrets reach a command: never argv). */
  readonly input?: string | Buffer;
  /** Replaces the environment entirely when given; callers usually pass `{ ...process.env, ... }`. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandError extends Error {
  override name = 'CommandError';
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;

  constructor(command: string, exitCode: number | null, result: RunResult, why: string) {
    const tail = result.stderr.trim().split('\n').slice(-15).join('\n');
    super(`${command} ${why}${tail ? `:\n${tail}` : ''}`);
    this.exitCode = exitCode;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}

/** Runs a command to completion; rejects with its stderr tail when it exits non-zero or times out. */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const label = [command, ...args.slice(0, 3)].join(' ');
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if (timedOut) {
        reject(new CommandError(label, code, result, 'timed out'));
      } else if (code === 0) {
        resolve(result);
      } else {
        reject(new CommandError(label, code, result, `exited ${String(code)}`));
      }
    });
    // A command that exits without reading stdin makes the write fail with EPIPE; its exit code tells more.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port that was free a moment ago (racy by nature: callers retry on EADDRINUSE). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settled within `ms`; the timer is cleared either way, so it holds no test open. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` until it returns true; throws with `describe()` (e.g. a log tail) after the timeout or
 * as soon as `gaveUp()` says waiting is pointless (the process died).
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; gaveUp?: () => boolean; describe?: () => string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    const died = options.gaveUp?.() ?? false;
    if (died || Date.now() > deadline) {
      const detail = options.describe?.() ?? '';
      throw new Error(
        `${what}: ${died ? 'the process exited' : `not ready after ${String(options.timeoutMs)} ms`}` +
          (detail ? `\n${detail}` : ''),
      );
    }
    await sleep(50);
  }
}
