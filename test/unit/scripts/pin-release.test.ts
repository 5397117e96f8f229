/**
 * scripts/pin-release.mjs on a real git repository: the release commit pins every `uses:` of the
 * suite's own actions to the source commit and nothing else, and each guard (a commit off main, a
 * version that goes backwards or exists, a bad version, a dirty checkout) refuses with one line and
 * leaves no tag, commit or file change behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ROOT } from '../../support/action-runner.js';

const SCRIPT = join(ROOT, 'scripts/pin-release.mjs');
const SUITE = 'department-of-veterans-affairs/gitops-release-actions';
const CHECKOUT = 'actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0';

const RELEASE_YML = `# Called as ${SUITE}/.github/workflows/release.yml@v1
name: release
on:
  workflow_call: {}
permissions: {}
jobs:
  version:
    runs-on: ubuntu-24.04
    permissions:
      contents: write
    steps:
      - uses: ${CHECKOUT}
      - name: Compute the version
        uses: ${SUITE}/actions/compute-version@v1
        with:
          reserve: true
      - uses: '${SUITE}/actions/update-manifest@v1' # quoted
`;

describe('the release commit (scripts/pin-release.mjs)', () => {
  let repo: string;

  const git = (...args: string[]): string => {
    const run = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
    return run.stdout.trim();
  };
  const commit = (message: string, files: Record<string, string>): string => {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(repo, name)), { recursive: true });
      writeFileSync(join(repo, name), text);
    }
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  const pin = (...args: string[]) =>
    spawnSync(process.execPath, [SCRIPT, '--root', repo, '--main', 'main', ...args], {
      encoding: 'utf8',
    });
  /** Everything a refused run must have left as it was. */
  const state = () => ({
    tags: git('tag', '--list').split('\n'),
    head: git('rev-parse', 'HEAD'),
    status: git('status', '--porcelain'),
  });

  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'pin-release-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Test');
    git('config', 'user.email', 'test@example.com');
    commit('first', { '.github/workflows/release.yml': RELEASE_YML, 'action.yml': 'name: x\n' });
    git('tag', 'v1.0.0');
    commit('second', { 'README.md': 'two\n' });
    git('tag', 'v1.1.0');
    git('tag', 'v1');
  });

  afterEach(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  it('pins the suite actions to the source, tags the release commit and moves v1 there', () => {
    const source = commit('third', { 'README.md': 'three\n' });
    const run = pin('--version', 'v1.2.0', '--commit');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const release = git('rev-parse', 'v1.2.0^{commit}');
    expect(git('rev-parse', 'v1^{commit}')).toBe(release);
    expect(git('rev-parse', `${release}^`)).toBe(source);
    // The release commit is the source plus the pins and the marker, nothing else.
    expect(git('diff', '--name-only', source, release).split('\n')).toEqual([
      '.github/suite-release.json',
      '.github/workflows/release.yml',
    ]);
    const pinned = git('show', `${release}:.github/workflows/release.yml`);
    expect(pinned).toBe(
      RELEASE_YML.replace(
        `${SUITE}/actions/compute-version@v1`,
        `${SUITE}/actions/compute-version@${source} # v1.2.0`,
      )
        .replace(
          `'${SUITE}/actions/update-manifest@v1' # quoted`,
          `'${SUITE}/actions/update-manifest@${source}' # v1.2.0`,
        )
        .trimEnd(),
    );
    expect(JSON.parse(git('show', `${release}:.github/suite-release.json`))).toEqual({
      version: 'v1.2.0',
      source,
    });
  });

  it.each([
    ['a version below the newest of its major', ['--version', 'v1.0.5'], 'is older than v1.1.0'],
    ['a version whose tag exists', ['--version', 'v1.1.0'], 'the tag exists already'],
    ['a version that is not vX.Y.Z', ['--version', '1.2'], '--version 1.2: give vX.Y.Z'],
    ['an unknown source', ['--version', 'v1.2.0', '--source', 'nope'], 'not a commit'],
    [
      'a source that is not checked out',
      ['--version', 'v1.2.0', '--source', 'v1.0.0'],
      'is not at',
    ],
  ])('refuses %s and changes nothing', (_case, args, message) => {
    const before = state();
    const run = pin(...args, '--commit');
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
    expect(state()).toEqual(before);
  });

  it('refuses a commit that is not on main: a writer cannot release their branch', () => {
    git('checkout', '-q', '-b', 'feature');
    const branchCommit = commit('not reviewed', {
      '.github/workflows/release.yml': `${RELEASE_YML}# run something else\n`,
    });
    const before = state();
    const run = pin('--version', 'v1.2.0', '--commit');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`(${branchCommit}) is not on main: release a commit of main`);
    expect(state()).toEqual(before);
  });

  it('refuses a checkout with changes to the files it pins', () => {
    writeFileSync(join(repo, '.github/workflows/release.yml'), `${RELEASE_YML}# edited\n`);
    const before = state();
    const run = pin('--version', 'v1.2.0', '--commit');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('the checkout has changes to');
    expect(state()).toEqual(before);
    expect(readFileSync(join(repo, '.github/workflows/release.yml'), 'utf8')).toContain('# edited');
  });
});
