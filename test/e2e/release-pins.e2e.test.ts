/**
 * Pins that hold, with the suite resolved as GitHub resolves it: a git repository of the suite
 * (this checkout's release.yml, actions and dist/ as source commit S1), its release commit made by
 * scripts/pin-release.mjs (v1.1.0, v1), then a later source S2 whose compute-version does
 * something else, released as v1.2.0 so `v1` moved. A caller pinning release.yml to v1.1.0's
 * commit still runs S1's actions (a full release, in GitHub environments); a caller of main's
 * release.yml, whose `uses:` follow `@v1`, runs the moved one. The composite pinned to a commit
 * runs that commit's bundles. Same local services as release-workflow.e2e.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROOT } from '../support/action-runner.js';
import { describeRun, runWorkflow, type WorkflowRun } from '../support/workflow-runner/index.js';
import {
  ACCOUNT_ID,
  APP,
  MANIFESTS_REPOSITORY,
  MANIFESTS_TOKEN,
  REGION,
  ROLE_ARN,
  TEAM,
  releaseAvailability,
  startReleaseFixture,
  type ReleaseFixture,
} from '../support/workflow-runner/release-fixture.js';

const SUITE = 'department-of-veterans-affairs/gitops-release-actions';
const MOVED_MARKER = 'compute-version of the moved v1 ran';

const availability = releaseAvailability();
if (!availability.ok) process.stderr.write(`release pins e2e skipped: ${availability.reason}\n`);
const describeReal = availability.ok ? describe : describe.skip;

describeReal('a SHA-pinned release.yml after v1 moved (workflow interpreter)', () => {
  let fixture: ReleaseFixture;
  let suite: string;
  const commits: Record<string, string> = {};

  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: suite, encoding: 'utf8' }).trim();
  /** A release of the suite as release-suite.yml makes it: pin-release.mjs on a detached HEAD. */
  const releaseSuite = (version: string): string => {
    git('checkout', '-q', '--detach');
    execFileSync(process.execPath, [
      join(ROOT, 'scripts/pin-release.mjs'),
      ...['--root', suite, '--version', version, '--main', 'main', '--commit'],
    ]);
    const release = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    return release;
  };

  beforeAll(async () => {
    fixture = await startReleaseFixture();
    suite = mkdtempSync(join(tmpdir(), 'suite-repository-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Suite maintainer');
    git('config', 'user.email', 'maintainer@example.com');
    for (const path of ['action.yml', 'actions', 'dist', '.github/workflows/release.yml']) {
      cpSync(join(ROOT, path), join(suite, path), { recursive: true });
    }
    git('add', '-A');
    git('commit', '-q', '-m', 'suite source S1');
    commits.s1 = git('rev-parse', 'HEAD');
    commits.r1 = releaseSuite('v1.1.0');
    // S2: compute-version now does something else, detectably, and is released: v1 moves.
    mkdirSync(join(suite, 'dist/compute-version'), { recursive: true });
    writeFileSync(
      join(suite, 'dist/compute-version/index.js'),
      `console.log('::error::${MOVED_MARKER}');\nprocess.exit(1);\n`,
    );
    git('commit', '-q', '-am', 'suite source S2');
    commits.s2 = git('rev-parse', 'HEAD');
    commits.r2 = releaseSuite('v1.2.0');
  }, 180_000);

  afterAll(async () => {
    await fixture.close();
    rmSync(suite, { recursive: true, force: true });
  }, 60_000);

  const inputs = (): Record<string, string | boolean> => ({
    app: APP,
    registry: ACCOUNT_ID,
    region: REGION,
    'ecr-repository': fixture.ecrRepository,
    'manifests-repository': MANIFESTS_REPOSITORY,
    'team-reviewers': TEAM,
    'aws-role-to-assume': ROLE_ARN,
    'build-network': 'none',
    environment: 'release-aws',
    environments: JSON.stringify({
      dev: { path: 'apps/cms-environments/dev', mode: 'direct', environment: 'dev manifests' },
      prod: { path: 'apps/cms-environments/prod', mode: 'pull-request' },
    }),
  });

  /** release.yml as a caller pinned to `ref` gets it, run against the suite repository. */
  const releaseAt = async (ref: string, sha: string): Promise<WorkflowRun> =>
    runWorkflow({
      workflow: { text: git('show', `${ref}:.github/workflows/release.yml`), name: 'release.yml' },
      inputs: inputs(),
      secrets: { 'manifests-token': MANIFESTS_TOKEN },
      github: fixture.github(sha),
      services: fixture.services,
      workDir: fixture.workDir,
      suiteRepository: join(suite, '.git'),
    });

  it('the suite repository: v1 moved to the v1.2.0 release commit, which pins S2', () => {
    expect(git('rev-parse', 'v1^{commit}')).toBe(commits.r2);
    expect(git('rev-parse', 'v1.1.0^{commit}')).toBe(commits.r1);
    expect(git('show', `${commits.r1 ?? ''}:.github/workflows/release.yml`)).toContain(
      `${SUITE}/actions/compute-version@${commits.s1 ?? ''} # v1.1.0`,
    );
  });

  it('a call that follows @v1 (release.yml of main) runs whatever v1 points at now', async () => {
    const run = await releaseAt('main', await fixture.app.head());
    expect(run.result).toBe('failure');
    const step = run.jobs.version?.legs[0]?.steps.find((s) => s.id === 'version');
    expect(step?.kind).toBe(`${SUITE}/actions/compute-version@v1`);
    expect(step?.errors).toEqual([MOVED_MARKER]);
    expect(run.jobs.image?.result).toBe('skipped');
  }, 120_000);

  /**
   * The composite pinned to a commit: it runs that commit's bundles through $GITHUB_ACTION_PATH.
   * A bad app name stops the release at compute-version, so which bundle ran shows in its error
   * (S1's preflight, or the moved v1's marker) without a build.
   */
  it.each([
    ['the S1 source commit', () => commits.s1 ?? '', "input 'app'"],
    ['v1 (moved)', () => 'v1', MOVED_MARKER],
  ])(
    "the composite pinned to %s runs that commit's compute-version",
    async (_case, ref, error) => {
      const text = [
        'name: user release',
        'on: push',
        'permissions:',
        '  contents: read',
        'jobs:',
        '  release:',
        '    runs-on: ubuntu-24.04',
        '    permissions:',
        '      contents: write',
        '      id-token: write',
        '    steps:',
        `      - uses: ${SUITE}@${ref()}`,
        '        with:',
        '          app: cms/prod',
        `          registry: '${ACCOUNT_ID}'`,
        `          region: ${REGION}`,
        `          ecr-repository: ${fixture.ecrRepository}`,
        `          aws-role-to-assume: ${ROLE_ARN}`,
        `          manifests-repository: ${MANIFESTS_REPOSITORY}`,
        '          manifests-token: ${{ secrets.MANIFESTS_TOKEN }}',
        '',
      ].join('\n');
      const run = await runWorkflow({
        workflow: { text, name: 'user-release.yml' },
        secrets: { MANIFESTS_TOKEN },
        github: fixture.github(await fixture.app.head(), { event_name: 'push' }),
        services: fixture.services,
        workDir: fixture.workDir,
        suiteRepository: join(suite, '.git'),
      });
      expect(run.result).toBe('failure');
      const failed = run.jobs.release?.legs[0]?.steps.filter((step) => step.outcome === 'failure');
      expect(failed?.[0]?.name).toBe('Compute the version');
      expect(failed?.[0]?.errors.join('\n')).toContain(error);
    },
    60_000,
  );

  it("a call pinned to v1.1.0's release commit runs S1's actions, in its GitHub environments", async () => {
    const sha = await fixture.app.head();
    const run = await releaseAt(commits.r1 ?? '', sha);
    if (run.result !== 'success') throw new Error(describeRun(run));
    const step = run.jobs.version?.legs[0]?.steps.find((s) => s.id === 'version');
    expect(step?.kind).toBe(`${SUITE}/actions/compute-version@${commits.s1 ?? ''}`);
    expect(run.outputs.version).toBe('v0.0.418');
    expect(
      await fixture.releaseProblems({
        version: 'v0.0.418',
        sha,
        outputs: run.outputs,
        file: 'apps/cms-environments/prod/values.yaml',
        pullRequestApp: `${APP}-prod`,
      }),
    ).toEqual([]);
    // The AWS role's job in the release-wide environment, each manifests leg in its plan's; the
    // version job (its own token only) in none.
    const environments = Object.fromEntries(
      Object.values(run.jobs).map((job) => [job.id, job.legs.map((leg) => leg.environment)]),
    );
    expect(environments).toEqual({
      version: [undefined],
      image: ['release-aws'],
      manifests: ['dev manifests', 'release-aws'],
    });
  }, 180_000);
});
