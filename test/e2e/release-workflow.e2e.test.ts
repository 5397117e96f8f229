/**
 * .github/workflows/release.yml end to end: interpreted locally (test/support/workflow-runner) with
 * the suite's committed bundles under Node 24, against the GitHub API test server, the private
 * dockerd, the registry and the ECR API server. What is checked is what a release leaves behind:
 * the git tag, the image and its digest, the manifest change in a pull request (or on the branch),
 * the published GitHub release.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/action-runner.js';
import { startArgoCdServer, type ArgoCdTestServer } from '../support/argocd-server/server.js';
import { deploymentsOf } from '../support/github-server.js';
import { fixtureReleaseTexts } from '../support/release-texts.js';
import { describeRun, runWorkflow, type WorkflowRun } from '../support/workflow-runner/index.js';
import {
  ACCOUNT_ID,
  APP,
  ECR_HOST,
  ENVIRONMENT_FILES,
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
  valuesAt,
  type ReleaseFixture,
} from '../support/workflow-runner/release-fixture.js';

const RELEASE_WORKFLOW = join(ROOT, '.github/workflows/release.yml');

const availability = releaseAvailability();
if (!availability.ok)
  process.stderr.write(`release workflow e2e skipped: ${availability.reason}\n`);
const describeReal = availability.ok ? describe : describe.skip;

describeReal('release.yml, run by the local workflow interpreter', () => {
  let fixture: ReleaseFixture;

  beforeAll(async () => {
    fixture = await startReleaseFixture();
  }, 120_000);

  afterAll(async () => {
    await fixture.close();
  }, 60_000);

  /** The scheduled caller's inputs (scheduled-release.yml), with a hermetic build for the test daemon. */
  const scheduledInputs = (): Record<string, string | boolean> => ({
    app: APP,
    registry: ACCOUNT_ID,
    region: REGION,
    'ecr-repository': fixture.ecrRepository,
    'manifests-repository': MANIFESTS_REPOSITORY,
    'manifests-path': MANIFESTS_PATH,
    'team-reviewers': TEAM,
    'aws-role-to-assume': ROLE_ARN,
    'build-network': 'none',
  });

  const release = async (
    inputs: Record<string, string | boolean | number>,
    sha: string,
    workflow = RELEASE_WORKFLOW,
    secrets: Record<string, string> = { 'manifests-token': MANIFESTS_TOKEN },
  ): Promise<WorkflowRun> =>
    runWorkflow({
      workflow: { file: workflow },
      inputs,
      secrets,
      github: fixture.github(sha),
      services: fixture.services,
      workDir: fixture.workDir,
    });

  const expectSucceeded = (run: WorkflowRun): void => {
    if (run.result !== 'success') throw new Error(describeRun(run));
  };

  it('releases the next version: tag, image, manifest pull request, published release', async () => {
    const sha = await fixture.app.head();
    const run = await release(scheduledInputs(), sha);
    expectSucceeded(run);
    expect(run.outputs.version).toBe('v0.0.418');
    expect(
      await fixture.releaseProblems({ version: 'v0.0.418', sha, outputs: run.outputs }),
    ).toEqual([]);
    // What the approvers read: the same texts as the composite's and the CLI's release.
    const texts = await fixtureReleaseTexts(fixture, run.outputs, sha);
    expect(texts.actual).toEqual(texts.expected);
    expect(run.concurrencyGroup).toBe(`gitops-release-${APP}`);
    expect(run.jobs.manifests?.legs.map((leg) => leg.concurrencyGroup)).toEqual([
      `gitops-release-manifests-${APP}-default`,
    ]);
    // The manifests were checked out with the manifests token, the app with the job's own.
    expect(fixture.checkouts.filter((call) => call.repository === MANIFESTS_REPOSITORY)).toEqual([
      expect.objectContaining({ job: 'manifests', token: MANIFESTS_TOKEN, path: 'manifests' }),
    ]);
    // Each job's token held exactly its permissions. The image job writes the image's provenance
    // record (the draft release): contents write. OIDC for the image, and for the manifests job's
    // parameter check (check-parameters is on by default).
    const granted = [...fixture.tokens.values()].map(({ job, permissions }) => ({
      job,
      permissions,
    }));
    expect(granted).toEqual([
      { job: 'version', permissions: { contents: 'write', checks: 'read', statuses: 'read' } },
      { job: 'image', permissions: { contents: 'write', 'id-token': 'write' } },
      { job: 'manifests', permissions: { contents: 'write', 'id-token': 'write' } },
    ]);
    expect(
      run.jobs.manifests?.legs[0]?.steps
        .filter((step) => step.name.includes('Parameter Store') || step.name.includes('AWS'))
        .map((step) => step.outcome),
      // The AWS role here serves the ExternalSecrets check (on by default); the token is a secret.
    ).toEqual(['success', 'skipped']);
    // ecr-build-push's post step ran and took the registry credentials with it.
    const image = run.jobs.image?.legs[0]?.steps.map((step) => `${step.id}: ${step.outcome}`);
    expect(image).toContain('post:build: success');
    expect(leftoverDockerConfigs(fixture.workDir)).toEqual([]);
  }, 120_000);

  it('releases nothing for the same commit again: the later jobs are skipped', async () => {
    const sha = await fixture.app.head();
    const tags = await fixture.app.tags();
    const registryTags = await fixture.registry.api.tags(fixture.ecrRepository);
    const pulls = await fixture.manifests.pulls();
    const run = await release(scheduledInputs(), sha);
    expectSucceeded(run);
    expect(run.jobs.version?.outputs).toMatchObject({ version: 'v0.0.418', skipped: 'true' });
    expect(run.jobs.image?.result).toBe('skipped');
    expect(run.jobs.manifests?.result).toBe('skipped');
    expect(run.outputs).toEqual({
      version: 'v0.0.418',
      image: '',
      digest: '',
      'pull-request-url': '',
    });
    expect(await fixture.app.tags()).toEqual(tags);
    expect(await fixture.registry.api.tags(fixture.ecrRepository)).toEqual(registryTags);
    expect(await fixture.manifests.pulls()).toEqual(pulls);
  }, 60_000);

  it('dry run: the plan and the diff in the summaries, nothing reserved, pushed or committed', async () => {
    const workflowCommit = await fixture.app.head();
    const sha = await fixture.app.commit('Fix the contact form (#419)', {
      'form.html': '<form/>\n',
    });
    const tags = await fixture.app.tags();
    const registryTags = await fixture.registry.api.tags(fixture.ecrRepository);
    const pulls = await fixture.manifests.pulls();
    const main = await fixture.manifests.head();
    // A manual release of another ref than the workflow's own commit (GITHUB_SHA).
    const run = await release({ ...scheduledInputs(), 'dry-run': true, ref: sha }, workflowCommit);
    expectSucceeded(run);
    // `{sha}` in set entries is the released commit, not the workflow's.
    const edit = run.jobs.manifests?.legs[0]?.steps.find((step) => step.id === 'manifest');
    expect(edit?.inputs.sha).toBe(sha);
    expect(run.outputs).toMatchObject({ version: 'v0.0.419', digest: '', 'pull-request-url': '' });
    const plan = run.jobs.version?.legs[0]?.summary ?? '';
    // compute-version's preflight writes the plan: one table of the version, one of the environments.
    expect(plan).toContain(
      `Release plan for ${APP} (dry run: nothing reserved, pushed or committed)`,
    );
    expect(plan).toContain(`| v0.0.419 | v0.0.418 | ${sha.slice(0, 12)} |`);
    expect(plan).toContain(`| default | ${MANIFESTS_PATH} | pull-request | yes |`);
    const manifests = run.jobs.manifests?.legs[0];
    expect(manifests?.summary).toContain('(dry run)');
    expect(manifests?.summary).toContain(`:v0.0.419`);
    expect(manifests?.steps.find((step) => step.id === 'pr')?.outcome).toBe('skipped');
    const build = run.jobs.image?.legs[0]?.steps.find((step) => step.id === 'build');
    expect(build?.inputs.push).toBe('false');
    expect(build?.outcome).toBe('success');
    expect(await fixture.app.tags()).toEqual(tags);
    expect(await fixture.registry.api.tags(fixture.ecrRepository)).toEqual(registryTags);
    expect(await fixture.manifests.pulls()).toEqual(pulls);
    expect(await fixture.manifests.head()).toBe(main);
  }, 90_000);

  it('environments one at a time: a failed one stops the rest and leaves the release unfinished', async () => {
    const sha = await fixture.app.head();
    const main = await fixture.manifests.head();
    const environments = {
      dev: { path: 'apps/cms-environments/nowhere', mode: 'direct' },
      prod: { path: 'apps/cms-environments/prod', mode: 'pull-request' },
    };
    const run = await release(
      { ...scheduledInputs(), environments: JSON.stringify(environments) },
      sha,
    );
    expect(run.result).toBe('failure');
    expect(run.jobs.manifests?.legs.map((leg) => `${leg.name}: ${leg.result}`)).toEqual([
      'manifests (dev): failure',
      'manifests (prod): cancelled',
    ]);
    // Reserved (the tag exists) but not released: the next run reuses the tag.
    expect((await fixture.app.tags()).get('v0.0.419')).toBe(sha);
    const published = await fetch(
      `${fixture.server.url}/repos/${fixture.app.fullName}/releases/tags/v0.0.419`,
    );
    expect(published.status).toBe(404);
    expect(await fixture.manifests.head()).toBe(main);
  }, 90_000);

  it('environments in order: dev committed directly, prod by pull request, the last marks the release', async () => {
    const sha = await fixture.app.head();
    const environments = {
      dev: { path: 'apps/cms-environments/dev', mode: 'direct' },
      prod: { path: 'apps/cms-environments/prod', mode: 'pull-request' },
    };
    const run = await release(
      { ...scheduledInputs(), environments: JSON.stringify(environments) },
      sha,
    );
    expectSucceeded(run);
    const version = run.jobs.version?.legs[0]?.steps.find((step) => step.id === 'version');
    expect(version?.outputs).toMatchObject({ version: 'v0.0.419', reservation: 'reused' });
    expect(run.jobs.manifests?.maxParallel).toBe(1);
    const legs = run.jobs.manifests?.legs ?? [];
    expect(legs.map((leg) => leg.concurrencyGroup)).toEqual([
      `gitops-release-manifests-${APP}-dev`,
      `gitops-release-manifests-${APP}-prod`,
    ]);
    const prInputs = legs.map((leg) => leg.steps.find((step) => step.id === 'pr')?.inputs);
    expect(prInputs.map((inputs) => [inputs?.app, inputs?.mode, inputs?.['release-tag']])).toEqual([
      [`${APP}-dev`, 'direct', ''],
      [`${APP}-prod`, 'pull-request', 'v0.0.419'],
    ]);
    expect(fixture.manifestAt('main', ENVIRONMENT_FILES.dev)).toBe(
      valuesAt(fixture.ecrRepository, 'v0.0.419'),
    );
    expect(
      await fixture.releaseProblems({
        version: 'v0.0.419',
        sha,
        outputs: run.outputs,
        file: ENVIRONMENT_FILES.prod,
        pullRequestApp: `${APP}-prod`,
      }),
    ).toEqual([]);
    // The first application's manifests were not touched by this release.
    expect(fixture.manifestAt('main')).toBe(valuesAt(fixture.ecrRepository, 'v0.0.417'));
  }, 90_000);

  it('hotfix of production while a newer release waits: dev (ahead) skipped, the hotfix pull request stays open and goes first; merging the newer one first closes it', async () => {
    // Production (prod) runs v0.0.417, v0.0.419's pull request waits for review, dev runs v0.0.419.
    const environments = {
      dev: { path: 'apps/cms-environments/dev', mode: 'direct' },
      prod: { path: 'apps/cms-environments/prod', mode: 'pull-request' },
    };
    const waiting = (await fixture.manifests.pulls()).find(
      (pull) => pull.head === `release/${APP}-prod/v0.0.419` && pull.state === 'open',
    );
    expect(waiting).toBeDefined();
    const fixed = (await fixture.app.tags()).get('v0.0.417') ?? '';
    const sha = await fixture.app.commit(
      'Fix the login redirect (#421)',
      { 'login.html': '<p>fixed</p>\n' },
      { branch: 'hotfix/v0.0.417', from: fixed },
    );
    const devBefore = await fixture.manifests.head();
    const hotfix = {
      ...scheduledInputs(),
      environments: JSON.stringify(environments),
      ref: sha,
      'hotfix-of': 'v0.0.417',
      'skip-if-released': false,
    };
    const run = await release(hotfix, sha);
    expectSucceeded(run);
    expect(run.outputs.version).toBe('v0.0.417-1');
    const legs = run.jobs.manifests?.legs ?? [];
    const ahead = legs.map(
      (leg) => leg.steps.find((step) => step.id === 'manifest')?.outputs['skipped-ahead'],
    );
    expect(ahead).toEqual(['true', 'false']);
    // dev is ahead (v0.0.419): not downgraded, not refused, untouched.
    expect(fixture.manifestAt('main', ENVIRONMENT_FILES.dev)).toBe(
      valuesAt(fixture.ecrRepository, 'v0.0.419'),
    );
    expect(await fixture.manifests.head()).toBe(devBefore);
    const pulls = await fixture.manifests.pulls();
    const hotfixPull = pulls.find((pull) => pull.head === `release/${APP}-prod/v0.0.417-1`);
    const newer = pulls.find((pull) => pull.number === waiting?.number);
    expect([hotfixPull?.state, newer?.state]).toEqual(['open', 'open']);
    expect(hotfixPull?.body).toContain(`Merge this before #${String(newer?.number)} (v0.0.419)`);
    expect(newer?.body).toContain(
      `**v0.0.419 does not contain the fix of v0.0.417-1** (#${String(hotfixPull?.number)})`,
    );

    // The reviewers merge v0.0.419 first; re-running the hotfix finds prod ahead and closes it.
    const merged = await fetch(
      `${fixture.server.url}/repos/${MANIFESTS_REPOSITORY}/pulls/${String(newer?.number)}/merge`,
      {
        method: 'PUT',
        headers: { authorization: `token ${MANIFESTS_TOKEN}` },
        body: JSON.stringify({ merge_method: 'squash' }),
      },
    );
    expect(merged.status).toBe(200);
    const rerun = await release(hotfix, sha);
    expectSucceeded(rerun);
    expect(
      (rerun.jobs.manifests?.legs ?? []).map(
        (leg) => leg.steps.find((step) => step.id === 'manifest')?.outputs['skipped-ahead'],
      ),
    ).toEqual(['true', 'true']);
    const closed = (await fixture.manifests.pulls()).find(
      (pull) => pull.number === hotfixPull?.number,
    );
    expect(closed?.state).toBe('closed');
    expect(closed?.comments.at(-1)).toContain('deploys v0.0.419 now');
  }, 180_000);

  it('catches a mis-wired copy: update-manifest given the previous version instead of the new one', async () => {
    const original = readFileSync(RELEASE_WORKFLOW, 'utf8');
    const wired = 'tag: ${{ needs.version.outputs.version }}';
    expect(original.split(wired)).toHaveLength(2);
    const mutant = join(fixture.workDir, 'release-miswired.yml');
    writeFileSync(
      mutant,
      original.replace(wired, 'tag: ${{ needs.version.outputs.previous-version }}'),
    );
    const sha = await fixture.app.commit('Update the footer (#420)', {
      'footer.html': '<footer/>\n',
    });
    const run = await release(scheduledInputs(), sha, mutant);
    const problems = await fixture.releaseProblems({
      version: 'v0.0.420',
      sha,
      outputs: run.outputs,
    });
    expect(problems).toContain(
      `${VALUES_FILE} on release/${APP}/v0.0.420 does not name v0.0.420 (or changed more)`,
    );
  }, 90_000);

  it('takes the manifests token from Parameter Store: read by the actions themselves, no secret given', async () => {
    const sha = await fixture.app.commit('Add the search page (#421)', {
      'search.html': '<h1>Search</h1>\n',
    });
    const checkoutsBefore = fixture.checkouts.length;
    const ssmBefore = fixture.ssm.requests.length;
    const gitBefore = fixture.gitRequests().length;
    const run = await release(
      { ...scheduledInputs(), 'manifests-token-parameter': MANIFESTS_TOKEN_PARAMETER },
      sha,
      RELEASE_WORKFLOW,
      {},
    );
    expectSucceeded(run);
    const version = run.outputs.version ?? '';
    expect(await fixture.releaseProblems({ version, sha, outputs: run.outputs })).toEqual([]);
    // No actions/checkout of the manifests: the suite's checkout fetched them with the parameter's
    // token, and the parameter was read with decryption by the two steps that use it, nothing else.
    expect(fixture.checkouts.slice(checkoutsBefore).map((call) => call.repository)).not.toContain(
      MANIFESTS_REPOSITORY,
    );
    const fetched = fixture.gitRequests().slice(gitBefore);
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((request) => request.token === PARAMETER_TOKEN)).toBe(true);
    expect(
      fixture.ssm.requests.slice(ssmBefore).map((r) => [r.operation, r.names, r.withDecryption]),
    ).toEqual([
      ['GetParameter', [MANIFESTS_TOKEN_PARAMETER], true],
      ['GetParameter', [MANIFESTS_TOKEN_PARAMETER], true],
    ]);
    const steps = run.jobs.manifests?.legs[0]?.steps ?? [];
    expect(steps.map((step) => `${step.name}: ${step.outcome}`)).toEqual(
      expect.arrayContaining([
        'Check out the manifests: skipped',
        'Get AWS credentials for Parameter Store: success',
        'Check out the manifests (token from Parameter Store): success',
        'Commit the change or open the release pull request: success',
      ]),
    );
    // The token was never an input or output of any step (the secret scan covered logs and argv).
    for (const leg of Object.values(run.jobs).flatMap((job) => job.legs)) {
      for (const step of leg.steps) {
        expect(JSON.stringify([step.inputs, step.outputs])).not.toContain(PARAMETER_TOKEN);
      }
    }
  }, 120_000);

  it.each<[string, Record<string, string | boolean>, Record<string, string>, string]>([
    [
      'both the secret and the parameter',
      { 'manifests-token-parameter': MANIFESTS_TOKEN_PARAMETER },
      { 'manifests-token': MANIFESTS_TOKEN },
      "release failed: input 'manifests-token-parameter': is given as well as the manifests-token secret",
    ],
    ['neither', {}, {}, "release failed: secret 'manifests-token' is not given"],
  ])(
    'fails before reserving anything given %s',
    async (_case, inputs, secrets, message) => {
      const tags = await fixture.app.tags();
      const sha = await fixture.app.head();
      const run = await release(
        { ...scheduledInputs(), ...inputs },
        sha,
        RELEASE_WORKFLOW,
        secrets,
      );
      expect(run.result).toBe('failure');
      const check = run.jobs.version?.legs[0]?.steps[0];
      expect(check?.name).toBe('Check the manifests token');
      expect(check?.outcome).toBe('failure');
      expect(check?.errors.join('\n')).toContain(message);
      expect(run.jobs.image?.result).toBe('skipped');
      expect(await fixture.app.tags()).toEqual(tags);
    },
    30_000,
  );

  it.each<[string, Record<string, string | boolean>, string]>([
    [
      'a path outside the repository',
      { environments: '{"prod": {"path": "../elsewhere"}}' },
      'path "../elsewhere" must stay inside the manifests repository',
    ],
    [
      'a misspelt key',
      { environments: '{"prod": {"paht": "apps/vsp-cms"}}' },
      "input 'environments': prod: unknown paht (known: path, mode, files, base, environment, argocd-application)",
    ],
    [
      'an unknown mode',
      { environments: '{"prod": {"path": "apps/vsp-cms", "mode": "force-push"}}' },
      'mode "force-push" is not one of pull-request, direct',
    ],
    ['a downgrade without a reason', { 'allow-downgrade': true }, "input 'downgrade-reason'"],
  ])(
    'fails before reserving anything on %s',
    async (_case, inputs, message) => {
      const tags = await fixture.app.tags();
      const run = await release({ ...scheduledInputs(), ...inputs }, await fixture.app.head());
      expect(run.result).toBe('failure');
      // compute-version's preflight, before its reservation.
      const version = run.jobs.version?.legs[0]?.steps.find((step) => step.id === 'version');
      expect(version?.outcome).toBe('failure');
      expect(version?.errors.join('\n')).toContain(message);
      expect(run.jobs.image?.result).toBe('skipped');
      expect(await fixture.app.tags()).toEqual(tags);
    },
    30_000,
  );

  it('newest green: a red HEAD and a pending HEAD~1 are passed over, HEAD~2 is released, the summary says why', async () => {
    const green = await fixture.app.commit('Add the search page (#421)', {
      'search.html': '<search/>\n',
    });
    const pending = await fixture.app.commit('Tune the cache (#422)', { 'cache.txt': '1\n' });
    const red = await fixture.app.commit('Break the build <b>@all</b> (#423)', { 'x.txt': '1\n' });
    fixture.app.addCheckRun(green, { name: 'build', conclusion: 'success' });
    fixture.app.addCheckRun(pending, { name: 'build', status: 'in_progress' });
    fixture.app.addCheckRun(red, { name: 'build', conclusion: 'failure' });
    // A writer's status named like the check cannot turn the red run green.
    fixture.app.addStatus(red, { context: 'build', state: 'success' });
    const run = await release(
      { ...scheduledInputs(), 'require-checks': 'build', 'newest-green': true },
      red,
    );
    expectSucceeded(run);
    expect(run.jobs.version?.outputs).toMatchObject({ sha: green, skipped: 'false' });
    expect((await fixture.app.tags()).get(run.outputs.version ?? '')).toBe(green);
    const build = run.jobs.image?.legs[0]?.steps.find((step) => step.id === 'build');
    expect(build?.inputs.revision).toBe(green);
    const summary = run.jobs.version?.legs[0]?.summary ?? '';
    expect(summary).toContain(
      `**Commit:** commit ${green.slice(0, 7)} is the newest on main whose required checks (build) all succeeded; 2 newer commits were passed over.`,
    );
    expect(summary).toContain(
      `- \`${red.slice(0, 7)}\` Break the build \\<b\\>\`@all\`\\</b\\> (#423): failed: build`,
    );
    expect(summary).toContain(`- \`${pending.slice(0, 7)}\` Tune the cache (#422): pending: build`);
  }, 120_000);

  it('newest green: nothing green in look-back releases nothing and the run succeeds', async () => {
    const head = await fixture.app.commit('Red again (#424)', { 'y.txt': '1\n' });
    fixture.app.addCheckRun(head, { name: 'build', conclusion: 'failure' });
    const tags = await fixture.app.tags();
    const pulls = await fixture.manifests.pulls();
    const run = await release(
      { ...scheduledInputs(), 'require-checks': 'build', 'newest-green': true, 'look-back': 1 },
      head,
    );
    expectSucceeded(run);
    expect(run.jobs.version?.outputs).toMatchObject({ skipped: 'true', sha: '' });
    expect(run.jobs.image?.result).toBe('skipped');
    expect(run.jobs.manifests?.result).toBe('skipped');
    expect(run.jobs.version?.legs[0]?.summary).toContain(
      'no commit in the newest 1 commit of main (look-back) has all required checks (build) succeeded: nothing to release',
    );
    expect(await fixture.app.tags()).toEqual(tags);
    expect(await fixture.manifests.pulls()).toEqual(pulls);
    // A run that names its commit fails on it instead, naming the check.
    const manual = await release(
      { ...scheduledInputs(), 'require-checks': 'build', ref: head },
      head,
    );
    expect(manual.result).toBe('failure');
    const version = manual.jobs.version?.legs[0]?.steps.find((step) => step.id === 'version');
    expect(version?.errors.join('\n')).toContain(
      `required check 'build' (conclusion failure) did not succeed on commit ${head.slice(0, 7)}`,
    );
    expect(await fixture.app.tags()).toEqual(tags);
  }, 90_000);

  describe('with Argo CD: a direct environment runs Healthy before the next one starts', () => {
    let argo: ArgoCdTestServer;
    const environments = {
      dev: { path: 'apps/cms-environments/dev', mode: 'direct', 'argocd-application': 'cms-dev' },
      prod: { path: 'apps/cms-environments/prod', mode: 'pull-request' },
    };

    beforeAll(async () => {
      argo = await startArgoCdServer();
      await argo.addApplication({
        name: 'cms-dev',
        gitDir: fixture.manifests.gitDir,
        repoURL: `${fixture.server.url}/${MANIFESTS_REPOSITORY}.git`,
        path: 'apps/cms-environments/dev',
      });
    });

    afterAll(async () => {
      await argo.close();
    });

    const releaseWithArgo = (sha: string): Promise<WorkflowRun> =>
      runWorkflow({
        workflow: { file: RELEASE_WORKFLOW },
        inputs: {
          ...scheduledInputs(),
          environments: JSON.stringify(environments),
          'argocd-server': argo.url,
          'argocd-poll-interval': 1,
          // A wait that cannot end fails in seconds, not the default ten minutes.
          'argocd-timeout': 30,
        },
        secrets: {
          'manifests-token': MANIFESTS_TOKEN,
          'argocd-token': argo.token,
          'deployments-token': 'ghs_deployments_token_of_the_app',
        },
        github: fixture.github(sha),
        services: fixture.services,
        workDir: fixture.workDir,
      });

    it('dev Healthy at the new commit and image, reported to Deployments; then prod opens its pull request', async () => {
      const sha = await fixture.app.commit('Add the events page (#421)', {
        'events.html': '<h1/>\n',
      });
      const run = await releaseWithArgo(sha);
      expectSucceeded(run);
      const version = run.outputs.version ?? '';
      const [dev, prod] = run.jobs.manifests?.legs ?? [];
      const awaited = dev?.steps.find((step) => step.kind.includes('await-deployment'));
      const devCommit = dev?.steps.find((step) => step.id === 'pr')?.outputs['commit-sha'];
      expect(awaited?.inputs).toMatchObject({
        revision: devCommit,
        'argocd-application': 'cms-dev',
      });
      expect(awaited?.outputs).toMatchObject({
        health: 'Healthy',
        'synced-revision': devCommit,
        // As the manifests name it: the ECR host, where the test pushed to the local registry.
        images: JSON.stringify([`${ECR_HOST}/${fixture.ecrRepository}:${version}`]),
      });
      expect(dev?.summary).toContain(`| dev | ${version} | ${(devCommit ?? '').slice(0, 12)} |`);
      // prod waits for no Argo CD (its pull request is merged later) and opened its pull request.
      expect(prod?.steps.find((step) => step.kind.includes('await-deployment'))?.outcome).toBe(
        'skipped',
      );
      expect(
        await fixture.releaseProblems({
          version,
          sha,
          outputs: run.outputs,
          file: ENVIRONMENT_FILES.prod,
          pullRequestApp: `${APP}-prod`,
        }),
      ).toEqual([]);
      const deployments = deploymentsOf(fixture.app).filter(
        (deployment) => deployment.payload.version === version,
      );
      expect(deployments.map((deployment) => [deployment.environment, deployment.sha])).toEqual([
        ['dev', sha],
      ]);
      expect(deployments[0]?.statuses.map((status) => status.state)).toEqual([
        'in_progress',
        'success',
      ]);
      expect(deployments[0]?.statuses[1]?.environmentUrl).toBe(`${argo.url}/applications/cms-dev`);
    }, 120_000);

    it('dev Degraded stops the release naming the failing pod: prod untouched, the release unfinished', async () => {
      argo.setScenario('cms-dev', 'degraded');
      const sha = await fixture.app.commit('Rework the cache (#422)', { 'cache.php': '<?php\n' });
      const pulls = await fixture.manifests.pulls();
      const prodBefore = fixture.manifestAt('main', ENVIRONMENT_FILES.prod);
      const run = await releaseWithArgo(sha);
      expect(run.result).toBe('failure');
      expect(run.jobs.manifests?.legs.map((leg) => `${leg.name}: ${leg.result}`)).toEqual([
        'manifests (dev): failure',
        'manifests (prod): cancelled',
      ]);
      const version = run.jobs.version?.outputs.version ?? '';
      const awaited = run.jobs.manifests?.legs[0]?.steps.find((step) =>
        step.kind.includes('await-deployment'),
      );
      expect(awaited?.errors).toHaveLength(1);
      expect(awaited?.errors[0]).toMatch(
        /await-deployment failed: cms-dev is Degraded at [0-9a-f]{12}: .*Pod cms-dev\/cms-dev-[0-9a-f]{7}-x7k2p is Degraded: back-off .*CrashLoopBackOff/,
      );
      expect(await fixture.manifests.pulls()).toEqual(pulls);
      expect(fixture.manifestAt('main', ENVIRONMENT_FILES.prod)).toBe(prodBefore);
      const published = await fetch(
        `${fixture.server.url}/repos/${fixture.app.fullName}/releases/tags/${version}`,
      );
      expect(published.status).toBe(404);
      const deployment = deploymentsOf(fixture.app).find(
        (candidate) => candidate.payload.version === version,
      );
      expect(deployment?.statuses.map((status) => status.state)).toEqual([
        'in_progress',
        'failure',
      ]);
    }, 120_000);
  });

  it('stops before any manifest commit when an ExternalSecret names a missing SSM parameter; goes on once it exists', async () => {
    const secrets = `${MANIFESTS_PATH}/external-secret.yaml`;
    const parameter = '/dsva-vagov/vsp-cms/drupal_db_password';
    await fixture.manifests.commit('vsp-cms: database password from SSM', {
      [secrets]: [
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: vsp-cms-secrets, namespace: vsp-cms}',
        'spec:',
        '  backendType: systemManager',
        '  data:',
        `    - key: ${parameter}`,
        '      name: DB_PASSWORD',
        '',
      ].join('\n'),
    });
    const main = await fixture.manifests.head();
    const ssmBefore = fixture.ssm.requests.length;
    const sha = await fixture.app.commit('Add the news page (#421)', {
      'news.html': '<h1>News</h1>\n',
    });
    const failed = await release(scheduledInputs(), sha);
    expect(failed.result).toBe('failure');
    const edit = failed.jobs.manifests?.legs[0]?.steps.find((step) => step.id === 'manifest');
    expect(edit?.outcome).toBe('failure');
    expect(edit?.errors.join('\n')).toContain(
      `${secrets}:7: SSM parameter ${parameter} does not exist in ${REGION}`,
    );
    expect(await fixture.manifests.head()).toBe(main);
    const version = failed.jobs.version?.outputs.version ?? '';
    expect(version).toMatch(/^v0\.0\.[0-9]+$/);
    expect((await fixture.manifests.pulls()).map((pull) => pull.head)).not.toContain(
      `release/${APP}/${version}`,
    );

    fixture.ssm.putParameter({ name: parameter, value: 'correct-horse-battery-staple' });
    const run = await release(scheduledInputs(), sha);
    expectSucceeded(run);
    expect(await fixture.releaseProblems({ version, sha, outputs: run.outputs })).toEqual([]);
    // Metadata only: no operation that returns a value was ever called.
    expect(
      new Set(fixture.ssm.requests.slice(ssmBefore).map((request) => request.operation)),
    ).toEqual(new Set(['DescribeParameters']));
  }, 180_000);
});
