import { spawn, type ChildProcess } from 'node:child_process';

export interface ExecOptions {
  /** Written to stdin, then stdin is closed: the only way a secret reaches a command. */
  readonly input?: string;
  /** Added to the inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Called with each line of stdout and stderr as it arrives, for streaming into a log. */
  readonly onLine?: (line: string) => void;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The process port: runs a command to completion and reports its exit code (a non-zero exit is a
 * result, not a throw). Rejects only when the command can't be started at all.
 */
export type Exec = (
  command: string,
  args: readonly string[],
  options?: ExecOptions,
) => Promise<ExecResult>;

// A build can print a lot; what callers read (digests, error lines) is near the end.
const KEPT_OUTPUT = 4 * 1024 * 1024;

function collector(onLine: ((line: string) => void) | undefined) {
  let text = '';
  let partial = '';
  return {
    add(chunk: Buffer): void {
      const piece = chunk.toString('utf8');
      text = (text + piece).slice(-KEPT_OUTPUT);
      if (onLine === undefined) return;
      const lines = (partial + piece).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    finish(): string {
      if (onLine !== undefined && partial !== '') onLine(partial);
      partial = '';
      return text;
    },
  };
}

/**
 * The Exec port over node:child_process, with no shell: argv goes to the program as it is. Each
 * child is in `running` while it runs, so a caller interrupted by a signal can stop and await them.
 */
export function trackingProcessExec(running?: Set<ChildProcess>): Exec {
  return (command, args, options = {}) => spawnToCompletion(command, args, options, running);
}

/** The Exec port over node:child_process (see trackingProcessExec). */
export const processExec: Exec = trackingProcessExec();

function spawnToCompletion(
  command: string,
  args: readonly string[],
  options: ExecOptions,
  running: Set<ChildProcess> | undefined,
): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running?.add(child);
    const stdout = collector(options.onLine);
    const stderr = collector(options.onLine);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.add(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.add(chunk);
    });
    child.on('error', (error) => {
      running?.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      running?.delete(child);
      resolve({
        exitCode: code ?? (signal === null ? 1 : 128),
        stdout: stdout.finish(),
        stderr: stderr.finish(),
      });
    });
    // A command that exits without reading stdin makes the write fail with EPIPE; its exit code tells more.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
