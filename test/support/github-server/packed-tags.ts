/**
 * Thousands of tags written straight into `packed-refs`, as GitHub keeps a repository with many
 * tags: git reads 10,000 loose refs (one file each) ~15x slower than packed ones, and writing
 * them one file each takes seconds. Tags that exist already fail the whole batch, as
 * `update-ref --stdin` does.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const HEADER = '# pack-refs with: peeled fully-peeled sorted \n';
// Plain names only; anything else goes through `git update-ref`, which checks git's rules.
const PLAIN_TAG = /^(?!.*(?:\.\.|\/\/|\/\.|\.lock(?:\/|$)|[/.]$))[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** Whether `names` can be packed here; false leaves them to `git update-ref`. */
export function packable(names: readonly string[]): boolean {
  return names.every((name) => PLAIN_TAG.test(name)) && new Set(names).size === names.length;
}

/**
 * Adds `refs/tags/<name>` -> `commit` for each name to packed-refs. `existing` is every ref name
 * (loose or packed) the repository has now. The caller holds the repository's write lock.
 */
export async function addPackedTags(
  gitDir: string,
  names: readonly string[],
  commit: string,
  existing: ReadonlySet<string>,
): Promise<void> {
  // A ref may not also be a folder of refs (`v1` and `v1/x`), here as in git.
  const folders = new Set<string>();
  const taken = new Set(existing);
  for (const ref of [...existing, ...names.map((name) => `refs/tags/${name}`)]) {
    const parts = ref.split('/');
    for (let end = 1; end < parts.length; end++) folders.add(parts.slice(0, end).join('/'));
  }
  for (const name of names) {
    const ref = `refs/tags/${name}`;
    if (taken.has(ref) || folders.has(ref)) throw new Error(`${ref}: reference already exists`);
    taken.add(ref);
  }
  for (const folder of folders) {
    if (taken.has(folder)) throw new Error(`${folder}: reference already exists`);
  }
  const path = join(gitDir, 'packed-refs');
  let current = '';
  try {
    current = await readFile(path, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Records: a "<sha> <ref>" line and its "^<peeled>" line, if any, kept together.
  const records: [string, string][] = [];
  for (const line of current.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const last = records.at(-1);
    if (line.startsWith('^') && last !== undefined) last[1] += `${line}\n`;
    else records.push([line.slice(line.indexOf(' ') + 1), `${line}\n`]);
  }
  for (const name of names) records.push([`refs/tags/${name}`, `${commit} refs/tags/${name}\n`]);
  records.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // git's own lock file name, renamed into place: a reader sees the old file or the new one.
  const lock = `${path}.lock`;
  await writeFile(lock, HEADER + records.map(([, text]) => text).join(''), { flag: 'wx' });
  await rename(lock, path);
}
