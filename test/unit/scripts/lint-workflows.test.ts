/**
 * Each rule of scripts/lint-workflows.mjs fails a workflow that breaks it: a tree of mutants (one
 * violation per file, each a one-line change of a control workflow that passes) is linted in one
 * run with `--root`, and every mutant must be reported with exactly its rule's message while the
 * control passes (scripts/test.sh lints the repository's own files).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROOT } from '../../support/action-runner.js';

const SCRIPT = join(ROOT, 'scripts/lint-workflows.mjs');
const CHECKOUT = 'actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0';

/** Passes every rule: untrusted values reach the scripts through env:, actions pinned by SHA. */
const CONTROL = `name: control
on:
  workflow_dispatch:
    inputs:
      version:
        description: the version
        required: true
        type: string
permissions: {}
jobs:
  plan:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    outputs:
      tag: \${{ steps.tag.outputs.tag }}
    steps:
      - uses: ${CHECKOUT}
      - id: tag
        env:
          VERSION: \${{ inputs.version }}
        run: echo "tag=v$VERSION" >> "$GITHUB_OUTPUT"
      - uses: ./actions/probe
        with:
          color: blue
  release:
    needs: plan
    runs-on: ubuntu-latest
    permissions:
      contents: write
    strategy:
      matrix:
        target: [dev, prod]
    steps:
      - env:
          TAG: \${{ needs.plan.outputs.tag }}
          TARGET: \${{ matrix.target }}
          REF: \${{ github.head_ref }}
          TITLE: \${{ github.event.head_commit.message }}
        run: echo "release $TAG to $TARGET from $REF ($TITLE)"
`;

const RELEASE_RUN = '        run: echo "release $TAG to $TARGET from $REF ($TITLE)"';

/** file name -> [the line replaced, its replacement, the hardening messages expected]. */
const MUTANTS: Record<string, [string, string, string[]]> = {
  'run-github-event': [
    RELEASE_RUN,
    '        run: echo "${{ github.event.head_commit.message }}"',
    ['run: interpolates github.event.* (${{ github.event.head_commit.message }})'],
  ],
  'run-head-ref': [
    RELEASE_RUN,
    '        run: git checkout "${{ github.head_ref }}"',
    ['run: interpolates github.head_ref'],
  ],
  'run-inputs': [
    '        run: echo "tag=v$VERSION" >> "$GITHUB_OUTPUT"',
    '        run: echo "tag=v${{ inputs.version }}" >> "$GITHUB_OUTPUT"',
    ['run: interpolates inputs.*'],
  ],
  'run-step-output': [
    RELEASE_RUN,
    '        run: echo "${{ steps.plan.outputs.tag }}"',
    ['run: interpolates steps.*.outputs'],
  ],
  'run-needs-output': [
    RELEASE_RUN,
    '        run: echo "release ${{ needs.plan.outputs.tag }}"',
    ['run: interpolates needs.*.outputs'],
  ],
  'run-matrix': [
    RELEASE_RUN,
    '        run: echo "deploy to ${{ matrix.target }}"',
    ['run: interpolates matrix.*'],
  ],
  'no-permissions': [
    'permissions: {}\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n',
    'jobs:\n  plan:\n    runs-on: ubuntu-latest\n',
    ['workflow has no top-level permissions', 'job plan has no permissions'],
  ],
  'workflow-grants-write': [
    'permissions: {}',
    'permissions:\n  contents: write',
    ['workflow: grants contents: write to every job'],
  ],
  'write-all': ['permissions: {}', 'permissions: write-all', ['workflow: permissions: write-all']],
  'unpinned-tag': [
    `      - uses: ${CHECKOUT}`,
    '      - uses: actions/checkout@v4',
    ['actions/checkout@v4: pin third-party actions to a full commit SHA'],
  ],
  'sha-without-version': [
    `      - uses: ${CHECKOUT}`,
    '      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262',
    ['add the version the SHA stands for as a comment'],
  ],
  'docker-without-digest': [
    `      - uses: ${CHECKOUT}`,
    '      - uses: docker://alpine:3.20',
    ['docker://alpine:3.20: pin the image to a digest'],
  ],
};

/** Mutants other tools catch: actionlint and GitHub's parser, and the local `uses:` checks. */
const OTHER_MUTANTS: Record<string, [string, string, string]> = {
  'actionlint-runner-label': [
    '    runs-on: ubuntu-latest\n    permissions:\n      contents: write',
    '    runs-on: ubuntu-lates\n    permissions:\n      contents: write',
    'label "ubuntu-lates" is unknown',
  ],
  'undeclared-input': [
    '          color: blue',
    '          colour: blue',
    'input "colour" is not declared',
  ],
  'missing-action': [
    '      - uses: ./actions/probe',
    '      - uses: ./actions/gone',
    'no action.yml',
  ],
};

interface Problem {
  readonly file: string;
  readonly message: string;
  readonly source: string;
}

function mutate(name: string, from: string, to: string): string {
  if (!CONTROL.includes(from)) throw new Error(`mutant ${name}: "${from}" is not in the control`);
  return CONTROL.replace(from, to);
}

describe('lint-workflows rules', () => {
  let root: string;
  let problems: Problem[];
  let exitCode: number | null;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'lint-workflows-'));
    const write = (file: string, text: string): void => {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    };
    write('.github/workflows/control.yml', CONTROL);
    for (const [name, [from, to]] of Object.entries({ ...MUTANTS, ...OTHER_MUTANTS })) {
      write(`.github/workflows/${name}.yml`, mutate(name, from, to));
    }
    write(
      'actions/probe/action.yml',
      'name: probe\ndescription: a local action\ninputs:\n  color:\n    description: a colour\nruns:\n  using: node24\n  main: index.js\n',
    );
    write('actions/probe/index.js', '');
    write(
      'actions/old-node/action.yml',
      'name: old\ndescription: on node20\nruns:\n  using: node20\n  main: index.js\n',
    );
    write('actions/old-node/index.js', '');
    // The composite: one step through env: (fine), one interpolating its input, one unpinned.
    write(
      'action.yml',
      [
        'name: composite',
        'description: a composite action',
        'inputs:',
        '  name:',
        '    description: a name',
        'runs:',
        '  using: composite',
        '  steps:',
        '    - shell: bash',
        '      env:',
        '        NAME: ${{ inputs.name }}',
        '      run: echo "$NAME"',
        '    - shell: bash',
        '      run: echo "${{ inputs.name }}"',
        '    - uses: actions/cache@v4',
        '',
      ].join('\n'),
    );
    const lint = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });
    exitCode = lint.status;
    problems = lint.stdout
      .split('\n')
      .map((line) => /^([^:]+):\d+:\d+: (.*) \[([^\]]+)\]$/.exec(line))
      .filter((match) => match !== null)
      .map(([, file = '', message = '', source = '']) => ({ file, message, source }));
  }, 120_000);

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const of = (file: string): Problem[] => problems.filter((problem) => problem.file === file);

  it('fails the run, and passes the control workflow and the well-formed local action', () => {
    expect(exitCode).toBe(1);
    expect(of('.github/workflows/control.yml')).toEqual([]);
    expect(of('actions/probe/action.yml')).toEqual([]);
  });

  it.each(Object.entries(MUTANTS))('hardening rule: %s', (name, [, , expected]) => {
    const found = of(`.github/workflows/${name}.yml`)
      .filter((problem) => problem.source === 'hardening')
      .map((problem) => problem.message);
    expect(found).toHaveLength(expected.length);
    expected.forEach((message, index) => {
      expect(found[index]).toContain(message);
    });
  });

  it.each(Object.entries(OTHER_MUTANTS))('other check: %s', (name, [, , expected]) => {
    expect(of(`.github/workflows/${name}.yml`).map((problem) => problem.message)).toEqual(
      expect.arrayContaining([expect.stringContaining(expected)]),
    );
  });

  it('composite action: interpolated input and unpinned action, nothing else', () => {
    expect(of('action.yml').map((problem) => problem.message)).toEqual([
      expect.stringContaining('run: interpolates inputs.*'),
      expect.stringContaining('actions/cache@v4: pin third-party actions to a full commit SHA'),
    ]);
  });

  it('layout: a suite action must run on node24', () => {
    expect(of('actions/old-node/action.yml').map((problem) => problem.message)).toEqual([
      'runs.using must be node24 (found node20)',
    ]);
  });
});

/**
 * The suite's own `uses:` (how release.yml names its actions): on main they follow the major tag;
 * on a release commit (its marker written by scripts/pin-release.mjs) each must name the release's
 * source commit, so a caller pinning that commit cannot pick up a moved `v1`.
 */
describe('lint-workflows: the suite pins on a release commit', () => {
  const SUITE = 'department-of-veterans-affairs/gitops-release-actions';
  const SOURCE = '0123456789abcdef0123456789abcdef01234567';
  const OTHER = 'fedcba9876543210fedcba9876543210fedcba98';
  const suiteWorkflow = (ref: string): string =>
    mutate('suite', '      - uses: ./actions/probe', `      - uses: ${SUITE}/actions/probe@${ref}`);

  /** Lints a tree of these workflows (with the probe action and, given, the release marker). */
  function lintTree(workflows: Record<string, string>, marker?: unknown): Problem[] {
    const root = mkdtempSync(join(tmpdir(), 'lint-suite-pins-'));
    try {
      const write = (file: string, text: string): void => {
        mkdirSync(dirname(join(root, file)), { recursive: true });
        writeFileSync(join(root, file), text);
      };
      for (const [name, text] of Object.entries(workflows)) {
        write(`.github/workflows/${name}.yml`, text);
      }
      write(
        'actions/probe/action.yml',
        'name: probe\ndescription: a local action\ninputs:\n  color:\n    description: a colour\nruns:\n  using: node24\n  main: index.js\n',
      );
      write('actions/probe/index.js', '');
      if (marker !== undefined) write('.github/suite-release.json', JSON.stringify(marker));
      const lint = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });
      return lint.stdout
        .split('\n')
        .map((line) => /^([^:]+):\d+:\d+: (.*) \[([^\]]+)\]$/.exec(line))
        .filter((match) => match !== null)
        .map(([, file = '', message = '', source = '']) => ({ file, message, source }));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  it('main: the major tag passes, a SHA pin (a release commit merged back) does not', () => {
    const problems = lintTree({
      'follows-v1': suiteWorkflow('v1'),
      'pinned-on-main': suiteWorkflow(`${SOURCE} # v1.2.3`),
    });
    expect(problems).toEqual([
      {
        file: '.github/workflows/pinned-on-main.yml',
        message: expect.stringContaining(
          "only a release commit (scripts/pin-release.mjs) pins the suite's own actions",
        ),
        source: 'suite-pins',
      },
    ]);
  }, 120_000);

  it('release commit: only `@<source> # <version>` passes', () => {
    const problems = lintTree(
      {
        pinned: suiteWorkflow(`${SOURCE} # v1.2.3`),
        'still-v1': suiteWorkflow('v1'),
        'other-commit': suiteWorkflow(`${OTHER} # v1.2.3`),
        'other-version': suiteWorkflow(`${SOURCE} # v1.2.2`),
      },
      { version: 'v1.2.3', source: SOURCE },
    );
    const flagged = problems.map((problem) => `${problem.file} [${problem.source}]`).sort();
    expect(flagged).toEqual([
      '.github/workflows/other-commit.yml [suite-pins]',
      '.github/workflows/other-version.yml [suite-pins]',
      '.github/workflows/still-v1.yml [suite-pins]',
    ]);
    expect(problems[0]?.message).toContain(`pinned to its source (@${SOURCE} # v1.2.3)`);
  }, 120_000);

  it('release commit: a marker without a full source SHA is itself a problem', () => {
    const problems = lintTree(
      { pinned: suiteWorkflow(`${SOURCE} # v1.2.3`) },
      { version: 'v1.2.3', source: 'v1' },
    );
    expect(problems).toEqual([
      expect.objectContaining({ file: '.github/suite-release.json', source: 'suite-pins' }),
    ]);
  }, 120_000);
});
