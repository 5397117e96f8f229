/**
 * A manifests checkout as the change step takes it: which files update-manifest changed, their new
 * content, and what they were at the checked-out commit (the base the edit was made on).
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import type { Exec } from '../docker/index.js';
import { errorMessage, InputError } from '../kit/index.js';
import type { ChangedFile } from './change.js';

/**
 * Where a file to commit was named: in the `files` input, or found by git in the checkout (an
 * untracked or changed file, which whatever ran before in the job may have put there).
 */
export type CheckoutFileOrigin = 'files' | 'git';

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

const leavesRoot = (inside: string): boolean =>
  inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside);

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : undefined;
}

interface ConfinedFile {
  /** Relative to the checkout, `/`-separated: the path committed in the repository. */
  readonly file: string;
  /** The real path to read; undefined when nothing is there (the file was deleted). */
  readonly real: string | undefined;
}

function refuse(file: string, origin: CheckoutFileOrigin, problem: string, fix: string): never {
  throw origin === 'files'
    ? new InputError('files', `"${file}" ${problem}: ${fix}`)
    : new InputError(
        'path',
        `"${file}", changed or untracked in the checkout, ${problem}: delete it, or name the files to commit in 'files'`,
      );
}

/** The link a dangling symlink holds; undefined when `absolute` is not a symlink. */
function danglingLink(absolute: string): string | undefined {
  try {
    return lstatSync(absolute).isSymbolicLink() ? readlinkSync(absolute) : undefined;
  } catch {
    return undefined;
  }
}

function confine(root: string, file: string, origin: CheckoutFileOrigin): ConfinedFile {
  const absolute = resolve(root, file);
  const inside = relative(root, absolute);
  if (file.trim() === '' || isAbsolute(file) || inside === '' || leavesRoot(inside)) {
    refuse(file, origin, "is outside the checkout at 'path'", 'give paths relative to it');
  }
  const linkFix = 'commit the file itself, not a link out of the checkout';
  let real: string | undefined;
  try {
    real = realpathSync(absolute);
  } catch (error: unknown) {
    if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
  }
  const committed = inside.split(sep).join('/');
  if (real === undefined) {
    // Nothing there is a deleted file; a dangling link could be pointed anywhere before it is read.
    const link = danglingLink(absolute);
    if (link !== undefined)
      refuse(file, origin, `is a symlink to ${link}, which does not exist`, linkFix);
    return { file: committed, real: undefined };
  }
  if (leavesRoot(relative(realpathSync(root), real))) {
    refuse(file, origin, `is a symlink to ${real}, outside the checkout at 'path'`, linkFix);
  }
  return { file: committed, real };
}

/**
 * A file to commit must lie inside the checkout: it is committed under the same path in the
 * repository. Its real path must too, or a symlink (`values.yaml -> /etc/passwd`, `etc -> /etc`)
 * would commit a file of the runner to the manifests repository. A link that stays inside is read
 * through, as `files` always allowed. One rule for files named in `files` and files git found.
 * Returns the path relative to the checkout, with `/`.
 */
export function checkedCheckoutFile(
  root: string,
  file: string,
  origin: CheckoutFileOrigin,
): string {
  return confine(root, file, origin).file;
}

/**
 * Files git reports as changed or new under the checkout (update-manifest wrote them), each through
 * checkedCheckoutFile: anything can leave an untracked file in a checkout.
 */
export async function filesChangedInCheckout(exec: Exec, path: string): Promise<string[]> {
  const list = (text: string) => text.split('\0').filter((entry) => entry !== '');
  const changed = list(await git(exec, path, ['diff', '--name-only', '-z', 'HEAD', '--relative']));
  const untracked = list(
    await git(exec, path, ['ls-files', '--others', '--exclude-standard', '-z']),
  );
  return [...new Set([...changed, ...untracked])]
    .map((file) => checkedCheckoutFile(path, file, 'git'))
    .sort();
}

/**
 * Each file's new content from the checkout, and its content at the checked-out commit. Checked
 * again as it is read, through its real path, so a link swapped in after the check is still refused.
 */
export async function readCheckoutChange(
  exec: Exec,
  path: string,
  files: readonly string[],
  origin: CheckoutFileOrigin = 'files',
): Promise<CheckoutChange> {
  const head = await git(exec, path, ['rev-parse', 'HEAD']).catch(() => '');
  const changed = await Promise.all(
    files.map(async (file): Promise<ChangedFile> => {
      const { real } = confine(path, file, origin);
      const after =
        real === undefined
          ? null
          : await readFile(real, 'utf8').catch((error: unknown) => {
              if (errorCode(error) === 'ENOENT') return null;
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
