/**
 * The world a release runs in, all real and local: the GitHub API test server with the application
 * repository (a Dockerfile `FROM local/busybox`, release v0.0.417 published) and the manifests
 * repository (`apps/vsp-cms/values.yaml` in the first user's shape, at v0.0.417), the private
 * dockerd, the registry and the ECR API server in front of it. Plus the stand-ins for the external
 * actions (checkout clones from the test server; AWS credentials point the SDK at the ECR server)
 * and the check of what a finished release leaves behind.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { node24Path } from '../action-runner.js';
import {
  dockerAvailability,
  ensureBaseImage,
  registryAvailability,
  startDockerDaemon,
  startRegistry,
  type TestRegistry,
} from '../docker/index.js';
import { startEcrServer, type EcrTestServer } from '../ecr-server/index.js';
import { startSsmServer, type SsmTestServer } from '../ssm-server/index.js';
import {
  startGitHubServer,
  type GitHubTestServer,
  type PermissionName,
  type TestRepo,
  type TokenPermissions,
  type RecordedRequest,
} from '../github-server.js';
import type { ExternalAction, Permissions, RunnerServices } from './types.js';

export const ACCOUNT_ID = '008577686731';
export const REGION = 'us-gov-west-1';
export const ECR_HOST = `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;
export const APP = 'vsp-cms';
export const APP_REPOSITORY = 'department-of-veterans-affairs/va.gov-cms';
export const MANIFESTS_REPOSITORY =
  'department-of-veterans-affairs/vsp-infra-application-manifests';
export const MANIFESTS_PATH = 'apps/vsp-cms';
export const VALUES_FILE = `${MANIFESTS_PATH}/values.yaml`;
/** Two environments of a second application folder, for the environments input. */
export const ENVIRONMENT_FILES = {
  dev: 'apps/cms-environments/dev/values.yaml',
  prod: 'apps/cms-environments/prod/values.yaml',
} as const;
export const TEAM = 'cms-infrastructure';
export const MANIFESTS_TOKEN = 'ghs_manifests_token_for_the_release';
export const ROLE_ARN = `arn:aws-us-gov:iam::${ACCOUNT_ID}:role/release-cms`;
/** The first user's bot token parameter, holding a manifests token of its own (not MANIFESTS_TOKEN). */
export const MANIFESTS_TOKEN_PARAMETER = '/devops/VA_VSP_BOT_GITHUB_TOKEN';
export const PARAMETER_TOKEN = 'ghs_manifests_token_from_parameter_store';

/** Whether docker and the registry can run here; the tests skip with this reason otherwise. */
export function releaseAvailability(): { ok: true } | { ok: false; reason: string } {
  const docker = dockerAvailability();
  if (!docker.ok) return docker;
  const registry = registryAvailability();
  if (!registry.ok) return registry;
  return { ok: true };
}

/** The first user's values file: the full ECR reference under deployment.container.image. */
export function valuesAt(ecrRepository: string, tag: string): string {
  return [
    '# Default values for cms-drupal.',
    '# This is a YAML-formatted file.',
    '',
    'replicaCount: 2',
    '',
    'deployment:',
    '  container:',
    `    image: ${ECR_HOST}/${ecrRepository}:${tag} # release`,
    '    imagePullPolicy: IfNotPresent',
    '    resources:',
    '      limits:',
    '        cpu: "2"',
    '        memory: 4Gi',
    '',
    'service:',
    '  type: ClusterIP',
    '  port: 80',
    '',
  ].join('\n');
}

const DOCKERFILE = [
  'FROM local/busybox:latest',
  'COPY index.html /www/index.html',
  'RUN wc -c /www/index.html > /www/size',
  '',
].join('\n');

export interface CheckoutCall {
  readonly job: string;
  readonly repository: string;
  readonly ref: string;
  readonly token: string;
  readonly path: string;
}

export interface ReleaseExpectation {
  readonly version: string;
  /** The commit released. */
  readonly sha: string;
  /** Workflow (or composite) outputs: image, digest, pull-request-url. */
  readonly outputs: Readonly<Record<string, string>>;
  /** The manifest file that must now name the version; default the vsp-cms values. */
  readonly file?: string;
  /** `pull-request` (default): a release PR holds the change; `direct`: the default branch does. */
  readonly mode?: 'pull-request' | 'direct';
  /** The app name in the release branch and label; default vsp-cms. */
  readonly pullRequestApp?: string;
}

export interface ReleaseFixture {
  readonly server: GitHubTestServer;
  readonly registry: TestRegistry;
  readonly ecr: EcrTestServer;
  /** Parameter Store: MANIFESTS_TOKEN_PARAMETER, and the parameters ExternalSecrets name (AWS_ENDPOINT_URL_SSM). */
  readonly ssm: SsmTestServer;
  /** The GitHub test server's smart-HTTP requests (https://github.com/ points there via HOME's git config). */
  gitRequests(): RecordedRequest[];
  readonly app: TestRepo;
  readonly manifests: TestRepo;
  /** Unique per fixture: a registry shared by a CI run never mixes two tests' images. */
  readonly ecrRepository: string;
  readonly services: RunnerServices;
  readonly checkouts: CheckoutCall[];
  /** Job tokens handed out, with the permissions they were granted. */
  readonly tokens: Map<string, { job: string; permissions: Permissions }>;
  readonly workDir: string;
  /** The github context of a run of `sha` (default the app's head). */
  github(sha: string, extra?: Record<string, string>): Record<string, string>;
  /** The manifest file's content on a ref of the manifests repository. */
  manifestAt(ref: string, file?: string): string;
  /** Everything that is not as a finished release of `expected` leaves it; empty when all is. */
  releaseProblems(expected: ReleaseExpectation): Promise<string[]>;
  close(): Promise<void>;
}

/** Empty action inputs mean "not given", as in actions/checkout. */
const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

const git = (args: readonly string[], cwd?: string): string =>
  execFileSync('git', args, { encoding: 'utf8', ...(cwd ? { cwd } : {}) }).trim();

const PERMISSION_NAMES: Readonly<Record<string, PermissionName>> = {
  contents: 'contents',
  'pull-requests': 'pull_requests',
  issues: 'issues',
  checks: 'checks',
  statuses: 'statuses',
  deployments: 'deployments',
};

/** A workflow `permissions:` block as the test server's token grants. */
function tokenPermissions(permissions: Permissions): TokenPermissions {
  const grants: TokenPermissions = {};
  for (const [scope, level] of Object.entries(permissions)) {
    const name = PERMISSION_NAMES[scope];
    if (name !== undefined && (level === 'read' || level === 'write' || level === 'none')) {
      grants[name] = level;
    }
  }
  return grants;
}

/** Clones a test server repository into the workspace and checks out the ref, as actions/checkout. */
function checkoutStandIn(server: GitHubTestServer, calls: CheckoutCall[]): ExternalAction {
  return ({ inputs, workspace, job, github }) => {
    const repository = nonEmpty(inputs.repository) ?? github.repository ?? '';
    const repo = server.repo(repository);
    if (repo === undefined) throw new Error(`repository ${repository} not found`);
    const own = repository.toLowerCase() === (github.repository ?? '').toLowerCase();
    const token = inputs.token ?? '';
    if (!own && token === '') {
      throw new Error(`${repository} is another repository: the job's token cannot read it`);
    }
    const dir = resolve(workspace, inputs.path ?? '.');
    if (relative(workspace, dir).startsWith('..'))
      throw new Error(`path ${dir} is outside the workspace`);
    const ref = nonEmpty(inputs.ref) ?? (own ? (github.sha ?? '') : repo.defaultBranch);
    mkdirSync(dir, { recursive: true });
    git(['clone', '-q', repo.gitDir, dir]);
    const commit = [ref, `origin/${ref}`]
      .map((candidate) => {
        try {
          return git(['rev-parse', '--verify', '-q', `${candidate}^{commit}`], dir);
        } catch {
          return '';
        }
      })
      .find((sha) => sha !== '');
    if (commit === undefined) throw new Error(`ref ${ref} not found in ${repository}`);
    git(['checkout', '-q', '--detach', commit], dir);
    calls.push({ job: job.id, repository, ref, token, path: inputs.path ?? '' });
    return Promise.resolve({});
  };
}

/** OIDC into a role needs `id-token: write`; the credentials then reach the ECR test server. */
function awsCredentialsStandIn(ecr: EcrTestServer, ssm: SsmTestServer): ExternalAction {
  return ({ inputs, job }) => {
    if (job.permissions['id-token'] !== 'write') {
      throw new Error(
        'Could not get ID token: the job lacks permissions id-token: write (ACTIONS_ID_TOKEN_REQUEST_URL is not set)',
      );
    }
    if (!inputs['role-to-assume']) throw new Error('role-to-assume is empty: no credentials');
    const region = inputs['aws-region'] ?? '';
    if (region === '') throw new Error('Input required and not supplied: aws-region');
    return Promise.resolve({
      env: {
        AWS_ACCESS_KEY_ID: 'ASIAGITOPSRELEASE001',
        AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
        AWS_SESSION_TOKEN: randomBytes(40).toString('base64'),
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ENDPOINT_URL_ECR: ecr.endpoint,
        AWS_ENDPOINT_URL_SSM: ssm.endpoint,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
  };
}

export async function startReleaseFixture(): Promise<ReleaseFixture> {
  const node24 = node24Path();
  const workDir = mkdtempSync(join(tmpdir(), 'release-workflow-'));
  const home = join(workDir, 'home');
  mkdirSync(home);
  const [server, daemon, registry] = await Promise.all([
    startGitHubServer(),
    startDockerDaemon(),
    startRegistry(),
  ]);
  let ecr: EcrTestServer | undefined;
  let ssm: SsmTestServer | undefined;
  try {
    await ensureBaseImage(daemon);
    ecr = await startEcrServer({ registry, accountId: ACCOUNT_ID, region: REGION });
    const ecrRepository = `dsva/cms-drupal-${randomBytes(3).toString('hex')}`;
    ecr.createRepository(ecrRepository, { imageTagMutability: 'IMMUTABLE' });

    const app = await server.createRepo(APP_REPOSITORY);
    await app.commit('CMS at v0.0.417', { Dockerfile: DOCKERFILE, 'index.html': '<h1>CMS</h1>\n' });
    await app.createTag('v0.0.417', await app.head());
    app.createRelease('v0.0.417');
    await app.commit('Add the events page (#418)', { 'events.html': '<h1>Events</h1>\n' });

    const manifests = await server.createRepo(MANIFESTS_REPOSITORY);
    manifests.addTeam(TEAM);
    await manifests.commit('vsp-cms at v0.0.417', {
      [VALUES_FILE]: valuesAt(ecrRepository, 'v0.0.417'),
      [ENVIRONMENT_FILES.dev]: valuesAt(ecrRepository, 'v0.0.417'),
      [ENVIRONMENT_FILES.prod]: valuesAt(ecrRepository, 'v0.0.417'),
    });

    ssm = await startSsmServer({ accountId: ACCOUNT_ID, region: REGION });
    ssm.putParameter({ name: MANIFESTS_TOKEN_PARAMETER, value: PARAMETER_TOKEN });
    writeFileSync(
      join(home, '.gitconfig'),
      `[url "${server.url}/"]\n\tinsteadOf = https://github.com/\n`,
    );

    const checkouts: CheckoutCall[] = [];
    const tokens = new Map<string, { job: string; permissions: Permissions }>();
    const ecrServer = ecr;
    const services: RunnerServices = {
      env: {
        ...daemon.env,
        // Node 24 first, as the runner's node for `node` in scripts and the composite's steps.
        PATH: `${dirname(node24)}:${daemon.env.PATH}`,
        HOME: home,
      },
      externalActions: {
        'actions/checkout': checkoutStandIn(server, checkouts),
        'aws-actions/configure-aws-credentials': awsCredentialsStandIn(ecrServer, ssm),
      },
      jobToken: (job, permissions) => {
        const token = `ghs_${job.replace(/[^A-Za-z0-9]/g, '_')}_${randomBytes(6).toString('hex')}`;
        app.setTokenPermissions(token, tokenPermissions(permissions));
        // GITHUB_TOKEN cannot write to another repository.
        manifests.setTokenPermissions(token, {});
        tokens.set(token, { job, permissions });
        return token;
      },
      // The login the ECR server hands out: the secret scan watches for it in every step.
      secrets: [registry.password, PARAMETER_TOKEN],
    };

    const manifestAt = (ref: string, file = VALUES_FILE): string =>
      execFileSync('git', ['--git-dir', manifests.gitDir, 'show', `${ref}:${file}`], {
        encoding: 'utf8',
      });

    const releaseProblems = async (expected: ReleaseExpectation): Promise<string[]> => {
      const problems: string[] = [];
      const { version, sha, outputs } = expected;
      const file = expected.file ?? VALUES_FILE;
      const tagged = (await app.tags()).get(version);
      if (tagged !== sha)
        problems.push(`git tag ${version} is at ${tagged ?? 'nothing'}, not ${sha}`);

      const head = await registry.api.headManifest(ecrRepository, version);
      if (head === undefined) problems.push(`no image ${ecrRepository}:${version} in the registry`);
      if (head !== undefined && outputs.digest !== head.digest) {
        problems.push(
          `digest output ${outputs.digest ?? '(none)'} is not the pushed ${head.digest}`,
        );
      }
      const image = `${registry.host}/${ecrRepository}:${version}`;
      if (outputs.image !== image)
        problems.push(`image output ${outputs.image ?? '(none)'} is not ${image}`);

      const wanted = valuesAt(ecrRepository, version);
      if (expected.mode === 'direct') {
        if (manifestAt(manifests.defaultBranch, file) !== wanted) {
          problems.push(
            `${file} on ${manifests.defaultBranch} does not name ${version} (or changed more)`,
          );
        }
      } else {
        const branch = `release/${expected.pullRequestApp ?? APP}/${version}`;
        const pull = (await manifests.pulls()).find((candidate) => candidate.head === branch);
        if (pull === undefined) {
          problems.push(`no pull request from ${branch}`);
        } else {
          if (pull.state !== 'open')
            problems.push(`pull request #${String(pull.number)} is ${pull.state}`);
          if (!pull.requestedTeams.includes(TEAM)) problems.push(`${TEAM} was not asked to review`);
          if (!(outputs['pull-request-url'] ?? '').endsWith(`/pull/${String(pull.number)}`)) {
            problems.push(
              `pull-request-url output ${outputs['pull-request-url'] ?? '(none)'} is not #${String(pull.number)}`,
            );
          }
          if (manifestAt(branch, file) !== wanted) {
            problems.push(`${file} on ${branch} does not name ${version} (or changed more)`);
          }
        }
      }

      const response = await fetch(`${server.url}/repos/${app.fullName}/releases/tags/${version}`);
      const release = response.ok ? ((await response.json()) as { draft: boolean }) : undefined;
      if (release === undefined || release.draft)
        problems.push(`no published GitHub release for ${version}`);
      return problems;
    };

    return {
      server,
      registry,
      ecr,
      ssm,
      gitRequests: () => server.requests.filter((request) => request.path.includes('.git/')),
      app,
      manifests,
      ecrRepository,
      services,
      checkouts,
      tokens,
      workDir,
      github: (sha, extra = {}) => ({
        repository: app.fullName,
        repository_owner: app.owner,
        sha,
        ref: 'refs/heads/main',
        ref_name: 'main',
        event_name: 'schedule',
        api_url: server.url,
        server_url: 'https://github.com',
        run_id: String(4200 + checkouts.length),
        run_number: '1',
        run_attempt: '1',
        workflow: 'scheduled release',
        actor: 'github-actions[bot]',
        ...extra,
      }),
      manifestAt,
      releaseProblems,
      close: async () => {
        await Promise.all([ecrServer.close(), ssm?.close()]);
        await Promise.all([server.close(), daemon.stop(), registry.stop()]);
        rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (error: unknown) {
    await Promise.all([ecr?.close(), ssm?.close()]);
    await Promise.all([server.close(), daemon.stop(), registry.stop()]);
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}

/** Docker credential folders left under a run's job directories (the post step removes them). */
export function leftoverDockerConfigs(workDir: string): string[] {
  if (!existsSync(workDir)) return [];
  return readdirSync(workDir, { recursive: true, encoding: 'utf8' }).filter((entry) =>
    /(^|\/)docker-config-[^/]+$/.test(entry),
  );
}
