/**
 * A manifests checkout as the change step takes it: which files update-manifest changed, their new
 * content, and what they were at the checked-out commit (the base the edit was made on).
 */
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Exec } from '../docker/index.js';
import { errorMessage } from '../kit/index.js';
import type { ChangedFile } from './change.js';

export interface CheckoutChange {
  /** The checked-out commit; undefined when the checkout has none. */
  readonly baseSha: string | undefined;
  readonly files: ChangedFile[];
}

async function git(exec: Exec, path: string, args: readonly string[]): Promise<string> {
  const result = await exec('git', ['-C', path, ...args]).catch((error: unknown) => ({
    exitCode: -1,
    stdout: '',
    stderr: errorMessage(error),
  }));
  if (result.exitCode !== 0) {
    throw new Error(
      `could not ask git about ${path} (${result.stderr.trim().split('\n')[0] ?? ''}): pass update-manifest's changed-files output as 'files'`,
    );
  }
  return result.stdout;
}

/** Files git reports as changed or new under the checkout (update-manifest wrote them). */
export async function filesChangedInCheckout(exec: Exec, path: string): Promise<string[]> {
  const list = (text: string) => text.split('\0').filter((entry) => entry !== '');
  const changed = list(await git(exec, path, ['diff', '--name-only', '-z', 'HEAD', '--relative']));
  const untracked = list(
    await git(exec, path, ['ls-files', '--others', '--exclude-standard', '-z']),
  );
  return [...new Set([...changed, ...untracked])].sort();
}

/** Each file's new content from the checkout, and its content at the checked-out commit. */
export async function readCheckoutChange(
  exec: Exec,
  path: string,
  files: readonly string[],
): Promise<CheckoutChange> {
  const head = await git(exec, path, ['rev-parse', 'HEAD']).catch(() => '');
  const changed = await Promise.all(
    files.map(async (file): Promise<ChangedFile> => {
      const after = await readFile(join(path, file), 'utf8').catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      });
      const before = await git(exec, path, ['show', `HEAD:${file}`]).catch(() => undefined);
      return { path: file, before, after };
    }),
  );
  return { baseSha: head.trim() || undefined, files: changed };
}

/** The folder all changed files share: the environment the pull request changes. */
export function commonFolder(files: readonly string[]): string {
  const folders = files.map((file) => posix.dirname(file).split('/'));
  const [first] = folders;
  if (!first) return '.';
  let length = first.length;
  for (const parts of folders) {
    while (length > 0 && parts.slice(0, length).join('/') !== first.slice(0, length).join('/'))
      length--;
  }
  return first.slice(0, length).join('/') || '.';
}
