/**
 * Which files a request covers, confined to the root, and writing them all or none.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { Logger } from '../kit/index.js';
import { ManifestError } from './errors.js';

export const DEFAULT_FILE_PATTERNS: readonly string[] = ['**/*.yaml', '**/*.yml'];
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

export interface ManifestFile {
  /** Relative to the root, with `/`. */
  readonly file: string;
  readonly absolutePath: string;
  /** Named in `files` without a glob: problems with it are errors, not warnings. */
  readonly explicit: boolean;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

/** The real root directory; refuses a missing root or one that is not a directory. */
export async function resolveRoot(root: string): Promise<string> {
  if (root.trim() === '') {
    throw new ManifestError('is empty; give the directory holding the manifests', {
      input: 'root',
    });
  }
  let real: string;
  try {
    real = await realpath(root);
  } catch (error: unknown) {
    if (errorCode(error) === 'ENOENT') {
      throw new ManifestError(
        `'${root}' does not exist; check out the manifests repository there`,
        {
          input: 'root',
        },
      );
    }
    throw error;
  }
  if (!(await stat(real)).isDirectory()) {
    throw new ManifestError(`'${root}' is not a directory`, { input: 'root' });
  }
  return real;
}

function refuseEscape(entry: string, root: string): never {
  throw new ManifestError(
    `'${entry}' is outside the root ${root}; give a path relative to the root, without '..'`,
    { input: 'files' },
  );
}

/** Real path of `relative` under `root`; refuses anything (also via a symlink) that leaves the root. */
async function confinedRealPath(root: string, relative: string, entry: string): Promise<string> {
  const real = await realpath(path.join(root, relative));
  if (!isInside(root, real)) {
    throw new ManifestError(
      `'${entry}' is a symlink to ${real}, outside the root ${root}; replace the link with the file, or leave it out of 'files'`,
      { input: 'files' },
    );
  }
  return real;
}

async function walk(root: string, directory: string, found: string[]): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true });
  for (const entry of entries) {
    const absolute = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) await walk(root, absolute, found);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      // Symlinked directories are not followed: that avoids cycles, and their targets inside the
      // root are reached through their real paths anyway.
      found.push(toPosix(path.relative(root, absolute)));
    }
  }
}

/**
 * Expands `files` (paths and globs relative to the root; default every `*.yaml`/`*.yml` outside
 * `.git/` and `node_modules/`) into real files inside the root, sorted and without duplicates.
 */
export async function resolveFiles(
  root: string,
  entries: readonly string[] | undefined,
  logger: Logger,
): Promise<ManifestFile[]> {
  const given = (entries ?? []).map((entry) => entry.trim()).filter((entry) => entry !== '');
  const requested = given.length > 0 ? given : DEFAULT_FILE_PATTERNS;
  const byRealPath = new Map<string, ManifestFile>();
  const add = (file: ManifestFile): void => {
    const existing = byRealPath.get(file.absolutePath);
    if (!existing || (file.explicit && !existing.explicit)) byRealPath.set(file.absolutePath, file);
  };
  const patterns: { entry: string; matcher: picomatch.Matcher }[] = [];
  for (const entry of requested) {
    if (path.isAbsolute(entry) || /^[A-Za-z]:[\\/]/.test(entry)) refuseEscape(entry, root);
    const normalized = path.posix.normalize(entry.replaceAll('\\', '/')).replace(/\/$/, '');
    if (normalized === '..' || normalized.startsWith('../') || /(^|\/)\.\.(\/|$)/.test(entry)) {
      refuseEscape(entry, root);
    }
    if (picomatch.scan(normalized).isGlob) {
      patterns.push({ entry, matcher: picomatch(normalized, { dot: true }) });
      continue;
    }
    let real: string;
    try {
      real = await confinedRealPath(root, normalized, entry);
    } catch (error: unknown) {
      if (errorCode(error) !== 'ENOENT') throw error;
      throw new ManifestError(`'${entry}' does not exist under ${root}; check the path`, {
        input: 'files',
      });
    }
    if ((await stat(real)).isDirectory()) {
      // A directory stands for the YAML files below it.
      const base = normalized === '.' ? '' : `${normalized}/`;
      for (const pattern of DEFAULT_FILE_PATTERNS) {
        patterns.push({ entry, matcher: picomatch(`${base}${pattern}`, { dot: true }) });
      }
      continue;
    }
    add({ file: toPosix(path.relative(root, real)), absolutePath: real, explicit: true });
  }
  if (patterns.length > 0) {
    const candidates: string[] = [];
    await walk(root, root, candidates);
    const matchedEntries = new Set<string>();
    for (const candidate of candidates) {
      const matching = patterns.filter(({ matcher }) => matcher(candidate));
      if (matching.length === 0) continue;
      for (const { entry } of matching) matchedEntries.add(entry);
      const absolute = path.join(root, candidate);
      let real = absolute;
      if ((await lstat(absolute)).isSymbolicLink()) {
        try {
          real = await confinedRealPath(root, candidate, candidate);
        } catch (error: unknown) {
          if (errorCode(error) !== 'ENOENT') throw error;
          logger.warning(`${candidate}: skipped, a symlink to a missing file`);
          continue;
        }
        if (!(await stat(real)).isFile()) continue;
      }
      add({ file: toPosix(path.relative(root, real)), absolutePath: real, explicit: false });
    }
    if (requested === DEFAULT_FILE_PATTERNS) {
      if (matchedEntries.size === 0) logger.warning(`no *.yaml or *.yml file under ${root}`);
    } else {
      for (const { entry } of patterns) {
        if (!matchedEntries.has(entry)) logger.warning(`files: '${entry}' matched no file`);
      }
    }
  }
  return [...byRealPath.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

export interface PendingWrite {
  readonly absolutePath: string;
  readonly before: string;
  readonly after: string;
}

function temporaryPathFor(absolutePath: string): string {
  const directory = path.dirname(absolutePath);
  const name = path.basename(absolutePath);
  return path.join(
    directory,
    `.${name}.${String(process.pid)}-${randomBytes(4).toString('hex')}.tmp`,
  );
}

async function writeThroughTemporary(
  absolutePath: string,
  text: string,
  mode: number,
): Promise<string> {
  const temporary = temporaryPathFor(absolutePath);
  await writeFile(temporary, text, { flag: 'wx', mode });
  // The umask may have narrowed the mode at creation.
  await chmod(temporary, mode);
  return temporary;
}

/**
 * Writes every file through a temporary file in its own directory and a rename, keeping its mode.
 * All temporary files are written before the first rename, and renamed files are put back if a
 * later rename fails, so an error leaves every file as it was.
 */
export async function writeAllOrNothing(writes: readonly PendingWrite[]): Promise<void> {
  const staged: { write: PendingWrite; temporary: string; mode: number }[] = [];
  try {
    for (const write of writes) {
      const mode = (await stat(write.absolutePath)).mode & 0o7777;
      staged.push({
        write,
        temporary: await writeThroughTemporary(write.absolutePath, write.after, mode),
        mode,
      });
    }
  } catch (error: unknown) {
    await Promise.all(staged.map(({ temporary }) => rm(temporary, { force: true })));
    throw error;
  }
  const renamed: (typeof staged)[number][] = [];
  try {
    for (const item of staged) {
      await rename(item.temporary, item.write.absolutePath);
      renamed.push(item);
    }
  } catch (error: unknown) {
    await Promise.all(
      staged
        .filter((item) => !renamed.includes(item))
        .map(({ temporary }) => rm(temporary, { force: true })),
    );
    for (const item of renamed) {
      const restore = await writeThroughTemporary(
        item.write.absolutePath,
        item.write.before,
        item.mode,
      );
      await rename(restore, item.write.absolutePath);
    }
    throw error;
  }
}
