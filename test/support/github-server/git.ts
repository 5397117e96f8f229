import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Identity of every commit and tag the server writes; GitHub maps this email to the bot user. */
export const GIT_IDENTITY = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
} as const;

/** Tree sha git knows without it being stored: lets a root commit diff against "nothing". */
export const EMPTY_TREE_SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Commit dates start here and advance one second per commit, so shas are reproducible. */
const EPOCH_SECONDS = Date.UTC(2024, 0, 1) / 1000;

export function gitDate(tick: number): string {
  return `${String(EPOCH_SECONDS + tick)} +0000`;
}

const baseEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  LC_ALL: 'C',
  // Keep the developer's own git configuration (signing, hooks, templates) out of the test repos.
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: GIT_IDENTITY.name,
  GIT_AUTHOR_EMAIL: GIT_IDENTITY.email,
  GIT_COMMITTER_NAME: GIT_IDENTITY.name,
  GIT_COMMITTER_EMAIL: GIT_IDENTITY.email,
  GIT_AUTHOR_DATE: gitDate(0),
  GIT_COMMITTER_DATE: gitDate(0),
};

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${String(exitCode)}): ${stderr.trim()}`);
    this.name = 'GitError';
  }
}

export interface GitOptions {
  /** Written to the process's stdin (a Buffer for binary blobs). */
  input?: string | Buffer;
  /** Overrides for the deterministic environment (e.g. commit dates). */
  env?: NodeJS.ProcessEnv;
}

function exitCodeOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    return typeof error.code === 'number' ? error.code : undefined;
  }
  return undefined;
}

function stderrOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'stderr' in error) {
    return String(error.stderr);
  }
  return error instanceof Error ? error.message : String(error);
}

/** Runs `git --git-dir=<gitDir> <args>` without a shell and resolves with its stdout. */
export async function git(
  gitDir: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<string> {
  return (await gitBytes(gitDir, args, options)).toString('utf8');
}

/** Runs git and resolves with stdout as bytes: blob contents may be binary. */
export async function gitBytes(
  gitDir: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<Buffer> {
  const pending = execFileAsync('git', [`--git-dir=${gitDir}`, ...args], {
    env: { ...baseEnv, ...options.env },
    encoding: 'buffer',
    maxBuffer: 512 * 1024 * 1024,
  });
  pending.child.stdin?.on('error', () => undefined);
  pending.child.stdin?.end(options.input ?? '');
  try {
    const { stdout } = await pending;
    return stdout;
  } catch (error: unknown) {
    throw new GitError(args, exitCodeOf(error), stderrOf(error));
  }
}

/** Like `git` but resolves undefined on a non-zero exit (for lookups where "missing" is normal). */
export async function gitOrUndefined(
  gitDir: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<string | undefined> {
  try {
    return await git(gitDir, args, options);
  } catch (error: unknown) {
    if (error instanceof GitError && error.exitCode !== undefined) return undefined;
    throw error;
  }
}

export function isFullSha(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}
