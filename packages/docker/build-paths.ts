/**
 * Where a build may read from: its context and Dockerfile must be inside one directory (the
 * workspace for ecr-build-push, the config file's directory for a CLI config file), so a value
 * written by someone else cannot send the build to `/` or read `../../etc/...` as a Dockerfile.
 * Paths are compared after symlinks are resolved, so a link inside cannot point outside either.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { InputError } from '../kit/index.js';

/** The directory relative values are resolved against and confined to, and how errors name it. */
export interface BuildPathBase {
  /** Absolute directory. */
  readonly dir: string;
  /** How errors name it, e.g. `the workspace`. */
  readonly name: string;
  /** How to fix a path outside it, e.g. `use a path inside the repository checkout`. */
  readonly fix: string;
}

/** The real path of `path`, which must be inside `base`; `input` names the value for errors. */
export function pathInside(input: string, raw: string, path: string, base: BuildPathBase): string {
  const real = realpathSync(path);
  const fromBase = relative(realpathSync(base.dir), real);
  if (fromBase.startsWith('..') || isAbsolute(fromBase)) {
    throw new InputError(input, `"${raw}" is outside ${base.name} (${base.dir}): ${base.fix}`);
  }
  return real;
}

/** The real path of the build context `raw` (default `.`), a directory inside `base`. */
export function buildContextInside(input: string, raw: string, base: BuildPathBase): string {
  const given = raw.trim() || '.';
  const path = resolve(base.dir, given);
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new InputError(input, `"${given}" is not a directory in ${base.name} (${base.dir})`);
  }
  return pathInside(input, given, path, base);
}

/** The real path of the Dockerfile `raw` (default `<context>/Dockerfile`), a file inside `base`. */
export function dockerfileInside(
  input: string,
  raw: string,
  context: string,
  base: BuildPathBase,
): string {
  const given = raw.trim();
  const path = given === '' ? join(context, 'Dockerfile') : resolve(base.dir, given);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new InputError(
      input,
      `no Dockerfile at ${relative(base.dir, path) || path}: add one, or name it with file: (relative to ${base.name})`,
    );
  }
  return pathInside(input, given || path, path, base);
}
