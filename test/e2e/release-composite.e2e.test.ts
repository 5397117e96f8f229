/**
 * The root action.yml (the composite "GitOps release" action) end to end, in one job of a user's
 * workflow: checked out app, then `uses: department-of-veterans-affairs/gitops-release-actions@v1`.
 * Interpreted locally with the same services and checks as release.yml (release-workflow.e2e.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../support/action-runner.js';
import { fixtureReleaseTexts } from '../support/release-texts.js';
import { describeRun, runWorkflow, type WorkflowRun } from '../support/workflow-runner/index.js';
import {
  ACCOUNT_ID,
  APP,
  MANIFESTS_PATH,
  MANIFESTS_REPOSITORY,
  MANIFESTS_TOKEN,
  MANIFESTS_TOKEN_PARAMETER,
  PARAMETER_TOKEN,
  REGION,
  ROLE_ARN,
  TEAM,
  VALUES_FILE,
  leftoverDockerConfigs,
  releaseAvailability,
  startReleaseFixture,
  type ReleaseFixture,
} from '../support/workflow-runner/release-fixture.js';

interface CompositeStep {
  readonly name?: string;
  readonly run?: string;
  readonly env?: Record<string, string>;
}

interface ActionFile {
  readonly inputs?: Record<string, { readonly default?: string }>;
  readonly runs: { readonly steps?: readonly CompositeStep[] };
}

const readAction = (file: string): ActionFile =>
  parseYaml(readFileSync(file, 'utf8')) as ActionFile;

describe('action.yml (composite) sets every input of the bundles it runs', () => {
  const composite = readAction(join(ROOT, 'action.yml'));
  // The steps that run a bundle's main step (the cleanup runs its post step, which takes no inputs).
  const bundleSteps = (composite.runs.steps ?? []).flatMap((step) => {
    const bundle = /dist\/([a-z-]+)\/index\.js/.exec(step.run ?? '')?.[1];
    const inputs = Object.keys(step.env ?? {}).some((key) => key.startsWith('INPUT_'));
    return bundle === undefined || !inputs ? [] : [{ bundle, step }];
  });

  it('runs all four actions, and checkout-manifests for a token from Parameter Store', () => {
    expect(new Set(bundleSteps.map(({ bundle }) => bundle))).toEqual(
      new Set([
        'compute-version',
        'ecr-build-push',
        'checkout-manifests',
        'update-manifest',
        'open-manifest-pr',
      ]),
    );
  });

  // The runner passes no INPUT_* to a `run:` step: a missing one would read as '' (not the
  // action's default), an extra one would be ignored. Both are drift from actions/<name>/action.yml.
  it.each(bundleSteps.map(({ bundle, step }) => [step.name ?? bundle, bundle, step] as const))(
    '%s: INPUT_* are exactly the inputs of actions/%s',
    (_name, bundle, step) => {
      const declared = Object.keys(
        readAction(join(ROOT, 'actions', bundle, 'action.yml')).inputs ?? {},
      );
      const given = Object.keys(step.env ?? {})
        .filter((key) => key.startsWith('INPUT_'))
        .map((key) => key.slice('INPUT_'.length));
      expect([...given].sort()).toEqual(declared.map((name) => name.toUpperCase()).sort());
    },
  );
});

const availability = releaseAvailability();
if (!availability.ok)
  process.stderr.write(`release composite e2e skipped: ${availability.reason}\n`);
const describeReal = availability.ok ? describe : describe.skip;

describeReal('action.yml (composite) in one job, run by the local workflow interpreter', () => {
  let fixture: ReleaseFixture;

  beforeAll(async () => {
    fixture = await startReleaseFixture();
  }, 120_000);

  afterAll(async () => {
    await fixture.close();
  }, 60_000);

  /** A user's workflow: one job, the app checked out, then the whole release in one step. */
  const userWorkflow = (extra: Record<string, string> = {}): string =>
    [
      'name: release',
      'on: push',
      'permissions:',
      '  contents: read',
      'jobs:',
      '  release:',
      '    runs-on: ubuntu-24.04',
      '    permissions:',
      '      contents: write',
      '      id-token: write',
      '    outputs:',
      '      version: ${{ steps.release.outputs.version }}',
      '      skipped: ${{ steps.release.outputs.skipped }}',
      '      image: ${{ steps.release.outputs.image }}',
      '      digest: ${{ steps.release.outputs.digest }}',
      '      pull-request-url: ${{ steps.release.outputs.pull-request-url }}',
      '    steps:',
      '      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0',
      '        with:',
      '          persist-credentials: false',
      '      - id: release',
      '        uses: department-of-veterans-affairs/gitops-release-actions@v1',
      '        with:',
      `          app: ${APP}`,
      `          registry: '${ACCOUNT_ID}'`,
      `          region: ${REGION}`,
      `          ecr-repository: ${fixture.ecrRepository}`,
      `          aws-role-to-assume: ${ROLE_ARN}`,
      '          build-network: none',
      `          manifests-repository: ${MANIFESTS_REPOSITORY}`,
      '          manifests-token: ${{ secrets.MANIFESTS_TOKEN }}',
      `          manifests-path: ${MANIFESTS_PATH}`,
      `          team-reviewers: ${TEAM}`,
      ...Object.entries(extra).map(([key, value]) => `          ${key}: ${value}`),
      '',
    ].join('\n');

  const release = (
    sha: string,
    options: {
      extra?: Record<string, string>;
      token?: string;
      suiteRoot?: string;
      secrets?: Record<string, string>;
    } = {},
  ): Promise<WorkflowRun> =>
    runWorkflow({
      workflow: { text: userWorkflow(options.extra), name: 'user-release.yml' },
      secrets: options.secrets ?? { MANIFESTS_TOKEN: options.token ?? MANIFESTS_TOKEN },
      github: fixture.github(sha, { event_name: 'push', workflow: 'release' }),
      services: fixture.services,
      workDir: fixture.workDir,
      ...(options.suiteRoot ? { suiteRoot: options.suiteRoot } : {}),
    });

  const expectSucceeded = (run: WorkflowRun): void => {
    if (run.result !== 'success') throw new Error(describeRun(run));
  };

  const stepsOf = (run: WorkflowRun): string[] =>
    (run.jobs.release?.legs[0]?.steps ?? []).map((step) => `${step.name}: ${step.outcome}`);

  it('releases the next version in one step, then removes the registry credentials', async () => {
    const sha = await fixture.app.head();
    const run = await release(sha);
    expectSucceeded(run);
    const outputs = run.jobs.release?.outputs ?? {};
    expect(outputs).toMatchObject({ version: 'v0.0.418', skipped: 'false' });
    expect(await fixture.releaseProblems({ version: 'v0.0.418', sha, outputs })).toEqual([]);
    // What the approvers read: the same texts as the reusable workflow's and the CLI's release.
    const texts = await fixtureReleaseTexts(fixture, outputs, sha);
    expect(texts.actual).toEqual(texts.expected);
    expect(stepsOf(run)).toContain('Remove the registry credentials: success');
    expect(leftoverDockerConfigs(fixture.workDir)).toEqual([]);
    expect(fixture.checkouts.at(-1)).toMatchObject({
      repository: MANIFESTS_REPOSITORY,
      token: MANIFESTS_TOKEN,
      path: '.gitops-release/manifests',
    });
  }, 120_000);

  it('releases nothing for the same commit again', async () => {
    const sha = await fixture.app.head();
    const tags = await fixture.app.tags();
    const pulls = await fixture.manifests.pulls();
    const run = await release(sha);
    expectSucceeded(run);
    expect(run.jobs.release?.outputs).toMatchObject({
      version: 'v0.0.418',
      skipped: 'true',
      image: '',
    });
    expect(stepsOf(run)).toEqual(
      expect.arrayContaining([
        'Build and push the image: skipped',
        'Point the manifests at the new image: skipped',
        'Commit the change or open the release pull request: skipped',
      ]),
    );
    expect(await fixture.app.tags()).toEqual(tags);
    expect(await fixture.manifests.pulls()).toEqual(pulls);
  }, 60_000);

  it('removes the registry credentials when a later step fails', async () => {
    const readOnly = 'ghs_manifests_read_only';
    fixture.manifests.setTokenPermissions(readOnly, { contents: 'read', pull_requests: 'read' });
    const sha = await fixture.app.commit('Fix the contact form (#419)', {
      'form.html': '<form/>\n',
    });
    const run = await release(sha, { token: readOnly });
    expect(run.result).toBe('failure');
    expect(stepsOf(run)).toEqual(
      expect.arrayContaining([
        'Build and push the image: success',
        'Commit the change or open the release pull request: failure',
        'Remove the registry credentials: success',
      ]),
    );
    expect(leftoverDockerConfigs(fixture.workDir)).toEqual([]);
  }, 90_000);

  it('catches a mis-wired copy: update-manifest given the previous version instead of the new one', async () => {
    const suiteRoot = join(fixture.workDir, 'miswired-suite');
    mkdirSync(suiteRoot);
    symlinkSync(join(ROOT, 'dist'), join(suiteRoot, 'dist'));
    const original = readFileSync(join(ROOT, 'action.yml'), 'utf8');
    const wired = 'INPUT_TAG: ${{ steps.version.outputs.version }}';
    expect(original.split(wired)).toHaveLength(2);
    writeFileSync(
      join(suiteRoot, 'action.yml'),
      original.replace(wired, 'INPUT_TAG: ${{ steps.version.outputs.previous-version }}'),
    );
    // The failed run above reserved v0.0.419 for its commit; this commit gets v0.0.420.
    const sha = await fixture.app.commit('Update the footer (#420)', {
      'footer.html': '<footer/>\n',
    });
    const run = await release(sha, { suiteRoot });
    const outputs = run.jobs.release?.outputs ?? {};
    const problems = await fixture.releaseProblems({ version: 'v0.0.420', sha, outputs });
    expect(problems).toContain(
      `${VALUES_FILE} on release/${APP}/v0.0.420 does not name v0.0.420 (or changed more)`,
    );
  }, 90_000);

  it('takes the manifests token from Parameter Store, read by the steps that use it', async () => {
    const sha = await fixture.app.commit('Add the search page (#421)', {
      'search.html': '<h1>Search</h1>\n',
    });
    const ssmBefore = fixture.ssm.requests.length;
    const gitBefore = fixture.gitRequests().length;
    const run = await release(sha, {
      extra: { 'manifests-token-parameter': MANIFESTS_TOKEN_PARAMETER },
      secrets: {},
    });
    expectSucceeded(run);
    const outputs = run.jobs.release?.outputs ?? {};
    expect(await fixture.releaseProblems({ version: outputs.version ?? '', sha, outputs })).toEqual(
      [],
    );
    expect(stepsOf(run)).toEqual(
      expect.arrayContaining([
        'Check out the manifests: skipped',
        'Check out the manifests (token from Parameter Store): success',
      ]),
    );
    expect(
      fixture
        .gitRequests()
        .slice(gitBefore)
        .every((r) => r.token === PARAMETER_TOKEN),
    ).toBe(true);
    expect(
      fixture.ssm.requests.slice(ssmBefore).map((r) => [r.operation, r.names, r.withDecryption]),
    ).toEqual([
      ['GetParameter', [MANIFESTS_TOKEN_PARAMETER], true],
      ['GetParameter', [MANIFESTS_TOKEN_PARAMETER], true],
    ]);
  }, 120_000);

  it('fails first, reserving nothing, given both the token and the parameter', async () => {
    const tags = await fixture.app.tags();
    const run = await release(await fixture.app.head(), {
      extra: { 'manifests-token-parameter': MANIFESTS_TOKEN_PARAMETER },
    });
    expect(run.result).toBe('failure');
    expect(stepsOf(run)).toEqual(
      expect.arrayContaining([
        'Check the manifests token: failure',
        'Compute the version: skipped',
      ]),
    );
    const check = run.jobs.release?.legs[0]?.steps.find(
      (step) => step.name === 'Check the manifests token',
    );
    expect(check?.errors.join('\n')).toContain(
      "release failed: input 'manifests-token-parameter': is given as well as manifests-token",
    );
    expect(await fixture.app.tags()).toEqual(tags);
  }, 30_000);
});
