#!/usr/bin/env node
// Makes the suite's release commit: the source commit (on main, dist/ checked by the caller) with
// every `uses:` of the suite's own actions rewritten from `@v1` to `@<source sha> # <version>`,
// and a marker (.github/suite-release.json) that tells scripts/lint-workflows.mjs to hold the
// files to those pins. A caller pinning `release.yml@<release commit>` then runs exactly the
// actions of the source commit, whatever `v1` points at later; `v1` itself names a release commit
// too, so one run never mixes two releases.
//
//   node scripts/pin-release.mjs --version v1.2.3 [--source <rev>] [--main <ref>] [--root <dir>]
//                                [--commit]
//
// Guards, each failing with one line and nothing changed:
//   - the version is vX.Y.Z and its tag does not exist yet;
//   - the source commit is on main (an ancestor of --main, default origin/main);
//   - never backwards: the version is above every vX.*.* tag of its major, so above the major tag's;
//   - the checkout is at the source commit with no changes to the files it rewrites.
// With --commit it commits (the source as parent), tags the version and moves the major tag
// locally; release-suite.yml pushes both, the major tag with a lease on its old commit.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SUITE = 'department-of-veterans-affairs/gitops-release-actions';
export const MARKER = '.github/suite-release.json';
const VERSION = /^v(\d+)\.(\d+)\.(\d+)$/;

/** `uses: <SUITE>[/path]@<ref>` with an optional comment, as one YAML line. */
const SUITE_USES = new RegExp(
  `^([ \\t]*(?:-[ \\t]+)?uses:[ \\t]*['"]?)(${SUITE}(?:/[^@\\s'"]*)?)@[^\\s'"#]+(['"]?)([ \\t]*#.*)?$`,
  'gim',
);

export class PinError extends Error {}

/** [major, minor, patch] of `vX.Y.Z`, or undefined. */
export function parseVersion(version) {
  const match = VERSION.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** Numeric order of two `vX.Y.Z` versions: negative, zero or positive. */
export function compareVersions(a, b) {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  if (!x || !y) throw new PinError(`cannot order ${a} and ${b}: give vX.Y.Z versions`);
  for (let i = 0; i < 3; i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/**
 * The file's text with every suite `uses:` pinned to `sha` (`# version` as its comment), and how
 * many were rewritten.
 */
export function pinSuiteUses(text, sha, version) {
  let count = 0;
  const pinned = text.replace(SUITE_USES, (_line, head, target, quote) => {
    count += 1;
    return `${head}${target}@${sha}${quote} # ${version}`;
  });
  return { text: pinned, count };
}

/**
 * Refuses a release that would go backwards: `version` must be above every `vMAJOR.*.*` tag
 * (which includes the one the major tag stands for) and not exist yet.
 */
export function checkForward(version, existingTags) {
  const parsed = parseVersion(version);
  if (!parsed) throw new PinError(`--version ${version}: give vX.Y.Z, e.g. v1.4.0`);
  const sameMajor = existingTags.filter((tag) => parseVersion(tag)?.[0] === parsed[0]);
  if (sameMajor.includes(version)) {
    throw new PinError(`--version ${version}: the tag exists already: give the next version`);
  }
  const newest = sameMajor.sort(compareVersions).at(-1);
  if (newest !== undefined && compareVersions(version, newest) < 0) {
    throw new PinError(
      `--version ${version} is older than ${newest}: v${String(parsed[0])} never moves backwards; give a version above ${newest}`,
    );
  }
}

/** The workflow and action files whose suite `uses:` a release pins, relative to root. */
export function pinnedFiles(root) {
  const workflows = path.join(root, '.github', 'workflows');
  const files = existsSync(workflows)
    ? readdirSync(workflows)
        .filter((name) => /\.ya?ml$/.test(name))
        .sort()
        .map((name) => `.github/workflows/${name}`)
    : [];
  for (const name of ['action.yml', 'action.yaml']) {
    if (existsSync(path.join(root, name))) files.push(name);
  }
  const actions = path.join(root, 'actions');
  if (existsSync(actions)) {
    for (const dir of readdirSync(actions).sort()) {
      for (const name of ['action.yml', 'action.yaml']) {
        if (existsSync(path.join(actions, dir, name))) files.push(`actions/${dir}/${name}`);
      }
    }
  }
  return files;
}

function git(root, args) {
  return execFileSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

function gitOk(root, args) {
  try {
    git(root, args);
    return true;
  } catch {
    return false;
  }
}

/** Runs the guards and rewrites the files; with `commit`, commits, tags and moves the major tag. */
export function pinRelease({
  root,
  version,
  source = 'HEAD',
  main = 'origin/main',
  commit = false,
}) {
  const parsed = parseVersion(version);
  if (!parsed) throw new PinError(`--version ${version}: give vX.Y.Z, e.g. v1.4.0`);
  const major = `v${String(parsed[0])}`;
  let sha;
  try {
    sha = git(root, ['rev-parse', '--verify', `${source}^{commit}`]);
  } catch {
    throw new PinError(`--source ${source}: not a commit of this repository`);
  }
  if (!gitOk(root, ['rev-parse', '--verify', `${main}^{commit}`])) {
    throw new PinError(`--main ${main}: not a commit of this repository: fetch main first`);
  }
  if (!gitOk(root, ['merge-base', '--is-ancestor', sha, main])) {
    throw new PinError(`--source ${source} (${sha}) is not on ${main}: release a commit of main`);
  }
  checkForward(
    version,
    git(root, ['tag', '--list', `${major}.*`])
      .split('\n')
      .filter(Boolean),
  );
  if (git(root, ['rev-parse', 'HEAD']) !== sha) {
    throw new PinError(`the checkout is not at --source ${source} (${sha}): check it out first`);
  }
  const files = pinnedFiles(root);
  if (git(root, ['status', '--porcelain', '--', ...files, MARKER]) !== '') {
    throw new PinError(`the checkout has changes to ${files.join(', ')}: release a clean checkout`);
  }
  const changed = [];
  for (const file of files) {
    const before = readFileSync(path.join(root, file), 'utf8');
    const { text, count } = pinSuiteUses(before, sha, version);
    if (count > 0) {
      writeFileSync(path.join(root, file), text);
      changed.push(file);
    }
  }
  if (!changed.includes('.github/workflows/release.yml')) {
    throw new PinError(
      `.github/workflows/release.yml names none of the suite's actions: nothing to pin`,
    );
  }
  writeFileSync(path.join(root, MARKER), `${JSON.stringify({ version, source: sha }, null, 2)}\n`);
  changed.push(MARKER);
  let release;
  if (commit) {
    git(root, ['add', '--', ...changed]);
    git(root, [
      '-c',
      'user.name=gitops-release-actions',
      '-c',
      'user.email=gitops-release-actions@users.noreply.github.com',
      'commit',
      '--quiet',
      '--no-verify',
      '-m',
      `release ${version}: the suite's own actions pinned to ${sha}`,
    ]);
    release = git(root, ['rev-parse', 'HEAD']);
    git(root, ['tag', version, release]);
    git(root, ['tag', '--force', major, release]);
  }
  return { sha, major, changed, release };
}

function argument(name) {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const result = pinRelease({
      root: path.resolve(argument('--root') ?? process.cwd()),
      version: argument('--version') ?? '',
      source: argument('--source') ?? 'HEAD',
      main: argument('--main') ?? 'origin/main',
      commit: process.argv.includes('--commit'),
    });
    console.log(`pinned ${result.changed.join(', ')} to ${result.sha}`);
    if (result.release)
      console.log(`release commit ${result.release}, tagged and ${result.major} moved locally`);
  } catch (error) {
    if (!(error instanceof PinError)) throw error;
    console.error(`pin-release failed: ${error.message}`);
    process.exit(1);
  }
}
