/**
 * await-deployment against the local Argo CD server (its answers checked against Argo CD's
 * swagger.json) and the GitHub test server (deployments, checked against GitHub's OpenAPI). The
 * Argo CD server plays each sync from the real manifests commit; time is a fake clock, so the
 * polls are counted, never waited for.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ArgoCdClient,
  ArgoCdError,
  awaitDeployment,
  confirmDeployment,
  DeploymentFailedError,
  deploymentLine,
  deploymentSummary,
  type Clock,
} from '../../packages/deploy/index.js';
import { awaitDeploymentCommand } from '../../packages/cli/await-deployment-command.js';
import { runCli } from '../../packages/cli/cli.js';
import { createGitHubClient } from '../../packages/github/index.js';
import { failureLine, recordingLogger, silentLogger } from '../../packages/kit/index.js';
import { startArgoCdServer, type ArgoCdTestServer } from '../support/argocd-server/server.js';
import { argoSchemaErrors } from '../support/argocd-server/openapi.js';
import {
  deploymentsOf,
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';
import { responseValidator } from '../support/openapi.js';

const REGISTRY = '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/cms';

let github: GitHubTestServer;
let argo: ArgoCdTestServer;
let manifests: TestRepo;
let appRepo: TestRepo;
let appCount = 0;

beforeAll(async () => {
  [github, argo] = await Promise.all([startGitHubServer(), startArgoCdServer()]);
  manifests = await github.createRepo('octo-org/manifests');
  appRepo = await github.createRepo('octo-org/cms');
});

afterAll(async () => {
  // Every answer the Argo CD server gave, checked against Argo CD's own description.
  const invalid = argo.requests.flatMap((request) =>
    argoSchemaErrors(
      request.status === 200 ? 'v1alpha1Application' : 'runtimeError',
      request.body,
    ).map((error) => `${request.path} ${String(request.status)}: ${error}`),
  );
  await Promise.all([github.close(), argo.close()]);
  expect(invalid).toEqual([]);
});

function fakeClock(): Clock & { polls: () => number } {
  let now = 0;
  let sleeps = 0;
  return {
    now: () => now,
    sleep: (ms) => {
      now += ms;
      sleeps += 1;
      return Promise.resolve();
    },
    polls: () => sleeps + 1,
  };
}

function values(tag: string): string {
  return `deployment:\n  container:\n    image: ${REGISTRY}:${tag} # the app\n`;
}

/** An application of its own folder, deployed at v0.0.1; returns its name and folder. */
async function newApplication(
  scenario?: Parameters<ArgoCdTestServer['setScenario']>[1],
): Promise<{ name: string; path: string }> {
  appCount += 1;
  const name = `cms-${String(appCount)}`;
  const path = `apps/${name}`;
  await manifests.commit(`add ${name}`, { [`${path}/values.yaml`]: values('v0.0.1') });
  await argo.addApplication({
    name,
    gitDir: manifests.gitDir,
    repoURL: `${github.url}/${manifests.fullName}.git`,
    path,
    ...(scenario === undefined ? {} : { scenario }),
  });
  return { name, path };
}

function client(token = argo.token): ArgoCdClient {
  return new ArgoCdClient({ server: argo.url, token, sleep: () => Promise.resolve() });
}

const base = { pollIntervalMs: 10_000, timeoutMs: 600_000, logger: silentLogger };

describe('awaitDeployment', () => {
  it('the swagger check is live: a body Argo CD would not send fails it', () => {
    expect(argoSchemaErrors('v1alpha1Application', { status: { sync: { status: 3 } } })).toEqual([
      '/status/sync/status must be string',
    ]);
    expect(argoSchemaErrors('runtimeError', { code: 'sixteen' })).not.toEqual([]);
  });

  it('refreshes, then follows OutOfSync -> Syncing -> Synced/Progressing -> Healthy to the new image', async () => {
    const { name, path } = await newApplication();
    const revision = await manifests.commit('release v0.0.2', {
      [`${path}/values.yaml`]: values('v0.0.2'),
    });
    const clock = fakeClock();
    const logger = recordingLogger();
    const state = await awaitDeployment({
      ...base,
      logger,
      clock,
      client: client(),
      application: name,
      revision,
      image: `${REGISTRY}:v0.0.2`,
    });
    expect(state).toMatchObject({
      sync: 'Synced',
      health: 'Healthy',
      revision,
      images: [`${REGISTRY}:v0.0.2`],
    });
    expect(state.syncedAt).toMatch(/^2026-01-01T00:00:\d\dZ$/);
    const mine = argo.requests.filter((request) => request.path.endsWith(`/${name}`));
    // Refresh until Argo CD has seen the commit, then plain reads; one GET per poll.
    expect(mine.map((request) => request.query.refresh ?? '-')).toEqual(['normal', '-', '-', '-']);
    expect(clock.polls()).toBe(4);
    expect(logger.records.map((record) => record.message).join('\n')).toMatch(
      /OutOfSync[\s\S]*Progressing[\s\S]*Healthy/,
    );
  });

  it('does not take Healthy at the old revision for the new one: a server that never refreshes times out saying so', async () => {
    const { name, path } = await newApplication('never-refreshes');
    const revision = await manifests.commit('release', {
      [`${path}/values.yaml`]: values('v0.0.3'),
    });
    const clock = fakeClock();
    const error = await awaitDeployment({
      ...base,
      clock,
      timeoutMs: 60_000,
      client: client(),
      application: name,
      revision,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeploymentFailedError);
    expect((error as DeploymentFailedError).reason).toBe('timeout');
    expect((error as Error).message).toContain(`never refreshed to ${revision.slice(0, 12)}`);
    // Polls at 0, 10, ..., 60 s: the last one at the deadline itself.
    expect(clock.polls()).toBe(7);
    // Every poll asked for a refresh, since Argo CD had not seen the commit.
    const mine = argo.requests.filter((request) => request.path.endsWith(`/${name}`));
    expect(mine.every((request) => request.query.refresh === 'normal')).toBe(true);
  });

  it('Degraded: fails naming the crash-looping pod and its message', async () => {
    const { name, path } = await newApplication('degraded');
    const revision = await manifests.commit('release', {
      [`${path}/values.yaml`]: values('v0.0.4'),
    });
    const error = await awaitDeployment({
      ...base,
      clock: fakeClock(),
      client: client(),
      application: name,
      revision,
    }).catch((caught: unknown) => caught);
    expect((error as DeploymentFailedError).reason).toBe('degraded');
    const line = failureLine('await-deployment', error);
    expect(line).toContain(`${name} is Degraded at ${revision.slice(0, 12)}`);
    expect(line).toContain(
      `Pod ${name}/${name}-${revision.slice(0, 7)}-x7k2p is Degraded: back-off 5m0s restarting failed container`,
    );
    expect(line).toContain('CrashLoopBackOff');
    expect(line).not.toContain('Service');
    expect(line.split('\n')).toHaveLength(1);
  });

  it('a failed sync fails naming the refused resource and Argo CD message', async () => {
    const { name, path } = await newApplication('sync-error');
    const revision = await manifests.commit('release', {
      [`${path}/values.yaml`]: values('v0.0.5'),
    });
    const error = await awaitDeployment({
      ...base,
      clock: fakeClock(),
      client: client(),
      application: name,
      revision,
    }).catch((caught: unknown) => caught);
    expect((error as DeploymentFailedError).reason).toBe('sync-failed');
    expect((error as Error).message).toContain(`Argo CD could not sync ${name}`);
    expect((error as Error).message).toContain(`Deployment ${name}/${name} SyncFailed`);
    expect((error as Error).message).toContain('Invalid value: "2Gi"');
  });

  it('Healthy with another image than the release is not done: it waits and times out naming the image', async () => {
    const { name, path } = await newApplication();
    // Someone's commit leaves the image alone: Argo CD syncs it Healthy, but v0.0.6 never runs.
    const revision = await manifests.commit('unrelated', {
      [`${path}/other.yaml`]: 'replicas: 2\n',
    });
    const error = await awaitDeployment({
      ...base,
      clock: fakeClock(),
      timeoutMs: 100_000,
      client: client(),
      application: name,
      revision,
      image: `${REGISTRY}:v0.0.6`,
    }).catch((caught: unknown) => caught);
    expect((error as DeploymentFailedError).reason).toBe('timeout');
    expect((error as Error).message).toContain(`${REGISTRY}:v0.0.6 is not running yet`);
  });

  it('5xx answers are retried until Argo CD answers; too many fail naming the status', async () => {
    const { name, path } = await newApplication();
    const revision = await manifests.commit('release', {
      [`${path}/values.yaml`]: values('v0.0.7'),
    });
    argo.failNext(503, 3);
    const state = await awaitDeployment({
      ...base,
      clock: fakeClock(),
      client: client(),
      application: name,
      revision,
    });
    expect(state.health).toBe('Healthy');
    argo.failNext(502, 4);
    const error = await client()
      .getApplication(name, false)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ArgoCdError);
    expect((error as ArgoCdError).status).toBe(502);
    expect((error as Error).message).toContain('Argo CD answered 502');
  });

  it.each([
    ['a wrong token', 'not-the-token', 'argocd-token', /answered 401 .*not valid/],
    [
      'a token without rights',
      'forbidden-token',
      'argocd-token',
      /answered 403 .*"applications, get"/,
    ],
  ])('%s names argocd-token, never the token itself', async (_label, token, input, message) => {
    argo.addForbiddenToken('forbidden-token');
    const { name } = await newApplication();
    const error = await client(token)
      .getApplication(name, true)
      .catch((caught: unknown) => caught);
    expect((error as ArgoCdError).input).toBe(input);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(token);
  });

  it('an unknown application names argocd-application; an unreachable server names argocd-server', async () => {
    const unknown = await client()
      .getApplication('no-such-app', true)
      .catch((caught: unknown) => caught);
    expect(failureLine('await-deployment', unknown)).toMatch(
      /^await-deployment failed: input 'argocd-application': .*there is no application named no-such-app/,
    );
    const closed = new ArgoCdClient({
      server: 'http://127.0.0.1:9',
      token: 't',
      sleep: () => Promise.resolve(),
    });
    const unreachable = await closed.getApplication('cms', true).catch((caught: unknown) => caught);
    expect((unreachable as ArgoCdError).input).toBe('argocd-server');
  });
});

// GitHub's client spaces writes 1 s apart (the throttling plugin), so these take seconds.
describe('confirmDeployment reports to GitHub deployments', () => {
  const octokit = () =>
    createGitHubClient({
      token: 'app-token',
      logger: silentLogger,
      baseUrl: github.url,
      throttleId: 'deploy',
    });

  it('one deployment per environment and version: in_progress then success, linking the Argo CD application', async () => {
    const { name, path } = await newApplication();
    const revision = await manifests.commit('release', {
      [`${path}/values.yaml`]: values('v0.0.8'),
    });
    const appSha = await appRepo.head();
    const request = {
      ...base,
      clock: fakeClock(),
      client: client(),
      application: name,
      revision,
      image: `${REGISTRY}:v0.0.8`,
      version: 'v0.0.8',
      environment: 'dev',
      github: {
        octokit: octokit(),
        repository: { owner: 'octo-org', repo: 'cms' },
        ref: appSha,
        logUrl: 'https://example.org/run/1',
      },
    };
    const confirmed = await confirmDeployment(request);
    expect(confirmed.applicationUrl).toBe(`${argo.url}/applications/${name}`);
    // A re-run reports on the same deployment instead of adding one.
    const again = await confirmDeployment({ ...request, clock: fakeClock() });
    expect(again.deploymentId).toBe(confirmed.deploymentId);
    const deployments = deploymentsOf(appRepo).filter(
      (deployment) => deployment.payload.version === 'v0.0.8',
    );
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ sha: appSha, environment: 'dev', task: 'deploy' });
    expect(deployments[0]?.statuses.map((status) => status.state)).toEqual([
      'in_progress',
      'success',
      'in_progress',
      'success',
    ]);
    expect(deployments[0]?.statuses[1]).toMatchObject({
      environmentUrl: `${argo.url}/applications/${name}`,
      logUrl: 'https://example.org/run/1',
    });
    expect(deploymentLine({ environment: 'dev', version: 'v0.0.8', state: confirmed.state })).toBe(
      `dev: v0.0.8 commit ${revision.slice(0, 12)} synced ${confirmed.state.syncedAt} Healthy`,
    );
    expect(
      deploymentSummary([{ environment: 'dev', version: 'v0.0.8', state: confirmed.state }]),
    ).toContain(
      `| dev | v0.0.8 | ${revision.slice(0, 12)} | ${confirmed.state.syncedAt} | Healthy |`,
    );
    // The deployments endpoints answer as GitHub documents them.
    const kit = octokit();
    const listed = await kit.rest.repos.listDeployments({
      owner: 'octo-org',
      repo: 'cms',
      environment: 'dev',
    });
    expect(responseValidator('GET', '/repos/{owner}/{repo}/deployments', 200)(listed.data)).toEqual(
      [],
    );
    const statuses = await kit.rest.repos.listDeploymentStatuses({
      owner: 'octo-org',
      repo: 'cms',
      deployment_id: confirmed.deploymentId ?? 0,
    });
    expect(
      responseValidator(
        'GET',
        '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        200,
      )(statuses.data),
    ).toEqual([]);
    expect(statuses.data[0]?.state).toBe('success');
  }, 30_000);

  it('a Degraded deployment is marked failure with the reason, and the error still stops the caller', async () => {
    const { name, path } = await newApplication('degraded');
    const revision = await manifests.commit('release', {
      [`${path}/values.yaml`]: values('v0.0.9'),
    });
    const error = await confirmDeployment({
      ...base,
      clock: fakeClock(),
      client: client(),
      application: name,
      revision,
      version: 'v0.0.9',
      environment: 'staging',
      github: { octokit: octokit(), repository: { owner: 'octo-org', repo: 'cms' }, ref: 'main' },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeploymentFailedError);
    const deployment = deploymentsOf(appRepo).find(
      (candidate) => candidate.payload.version === 'v0.0.9',
    );
    expect(deployment?.statuses.map((status) => status.state)).toEqual(['in_progress', 'failure']);
    expect(deployment?.statuses[1]?.description).toContain('Degraded');
    expect(deployment?.statuses[1]?.description.length).toBeLessThanOrEqual(140);
  }, 30_000);
});

describe('gitops-release await-deployment', () => {
  it('prints one line for the environment: version, commit, synced at, health', async () => {
    const { name, path } = await newApplication();
    const revision = await manifests.commit('release', {
      [`${path}/values.yaml`]: values('v0.0.10'),
    });
    let out = '';
    let err = '';
    const code = await awaitDeploymentCommand(
      [
        '--argocd-server',
        argo.url,
        '--argocd-application',
        name,
        '--revision',
        revision,
        '--image',
        `${REGISTRY}:v0.0.10`,
        '--version',
        'v0.0.10',
        '--environment',
        'dev',
      ],
      {
        stdout: (text) => (out += text),
        stderr: (text) => (err += text),
        env: { ARGOCD_TOKEN: argo.token },
        clock: fakeClock(),
      },
    );
    expect(code).toBe(0);
    expect(out).toMatch(
      new RegExp(
        `^dev: v0\\.0\\.10 commit ${revision.slice(0, 12)} synced 2026-01-01T\\S+ Healthy\\n$`,
      ),
    );
    expect(err).toContain('Healthy');
    expect(`${out}${err}`).not.toContain(argo.token);
  });

  it('takes the token from ARGOCD_TOKEN only, and blames it by that name', async () => {
    const { name } = await newApplication();
    const revision = await manifests.head();
    const run = async (env: NodeJS.ProcessEnv) => {
      let err = '';
      const code = await runCli(
        [
          'await-deployment',
          '--argocd-server',
          argo.url,
          '--argocd-application',
          name,
          '--revision',
          revision,
        ],
        {
          stdin: () => Promise.resolve(''),
          stdout: () => undefined,
          stderr: (text) => (err += text),
          env,
        },
      );
      return { code, err };
    };
    expect(await run({})).toEqual({
      code: 1,
      err: 'gitops-release: set ARGOCD_TOKEN to an Argo CD API token allowed "applications, get"\n',
    });
    const wrong = await run({ ARGOCD_TOKEN: 'argocd-wrong-token' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^gitops-release: ARGOCD_TOKEN: Argo CD answered 401/);
    expect(wrong.err).not.toContain('argocd-wrong-token');
    let badUrl = '';
    const code = await runCli(['await-deployment', '--argocd-server', 'argocd.example.org'], {
      stdin: () => Promise.resolve(''),
      stdout: () => undefined,
      stderr: (text) => (badUrl += text),
      env: { ARGOCD_TOKEN: argo.token },
    });
    expect([code, badUrl]).toEqual([
      1,
      'gitops-release: --argocd-server: "argocd.example.org" is not a URL: give https://<host>[:port][/path], e.g. https://argocd.example.org\n',
    ]);
  });
});
