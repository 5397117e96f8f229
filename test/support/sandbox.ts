/**
 * The local sandbox a release runs against, made of the test support's real parts: a private Docker
 * Engine (or the one GITOPS_TEST_DOCKER_HOST names), a Distribution registry with the ECR API test
 * server in front of it, and the GitHub API test server holding a sample app repository (a small
 * Dockerfile on the local busybox base image) and a sample manifests repository (Helm values of
 * vsp-cms, shaped like the first user's). `env` points the CLI at all of it.
 *
 * It cleans up after itself: `close()` stops what it started (by its own child processes, never by
 * name) and removes its temporary directories; a reused daemon or registry is left running.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BASE_IMAGE,
  dockerAvailability,
  ensureBaseImage,
  registryAvailability,
  startDockerDaemon,
  startRegistry,
  type DockerDaemon,
  type TestRegistry,
} from './docker/index.js';
import { startEcrServer, type EcrTestServer } from './ecr-server/index.js';
import { startArgoCdServer, type ArgoCdTestServer } from './argocd-server/server.js';
import { startGitHubServer, type GitHubTestServer, type TestRepo } from './github-server.js';
import { startSsmServer, type SsmTestServer } from './ssm-server/index.js';

const execFileAsync = promisify(execFile);

/** The first user's setup: the VA.gov CMS, its ECR repository in GovCloud and its Argo CD app. */
export const SAMPLE = {
  app: 'cms',
  appRepository: 'department-of-veterans-affairs/va.gov-cms',
  manifestsRepository: 'department-of-veterans-affairs/vsp-infra-application-manifests',
  manifestsPath: 'apps/vsp-cms',
  accountId: '008577686731',
  region: 'us-gov-west-1',
  ecrRepository: 'dsva/cms-drupal',
  teamReviewers: ['cms-infrastructure'],
  set: ['web.envSecrets[name=DD_VERSION].value={version}'],
} as const;

export interface SampleNames {
  readonly app?: string;
  readonly appRepository?: string;
  readonly manifestsRepository?: string;
  readonly ecrRepository?: string;
}

/** Helm values of vsp-cms: the full image reference, and DD_VERSION kept in step by a set entry. */
export function sampleValues(tag: string, ecrRepository: string = SAMPLE.ecrRepository): string {
  return [
    '# vsp-cms: Argo CD deploys the image this file names.',
    'deployment:',
    '  replicas: 2',
    '  container:',
    `    image: ${SAMPLE.accountId}.dkr.ecr.${SAMPLE.region}.amazonaws.com/${ecrRepository}:${tag}`,
    '    imagePullPolicy: IfNotPresent',
    'web:',
    '  envSecrets:',
    '    - name: DD_ENV',
    '      value: staging',
    '    - name: DD_VERSION',
    `      value: ${tag} # keep in step with the image tag`,
    '',
  ].join('\n');
}

/** A small app: a page served by busybox httpd, one RUN step so the build shows some work. */
export function sampleAppFiles(page = 'Welcome to VA.gov'): Record<string, string> {
  return {
    Dockerfile: [
      `FROM ${BASE_IMAGE}`,
      'COPY web/ /srv/www/',
      'RUN grep -c "<h1>" /srv/www/index.html && wc -c /srv/www/index.html',
      'EXPOSE 8080',
      'CMD ["httpd", "-f", "-p", "8080", "-h", "/srv/www"]',
      '',
    ].join('\n'),
    'web/index.html': `<!doctype html>\n<h1>${page}</h1>\n`,
    'README.md': '# va.gov-cms (sandbox sample)\n',
  };
}

export interface SampleProject {
  readonly app: string;
  readonly appRepo: TestRepo;
  readonly manifestsRepo: TestRepo;
  readonly manifestsPath: string;
  readonly ecrRepository: string;
  /** A working clone of the app repository (origin names it on github.com), for `--context`. */
  readonly checkout: string;
  /**
   * Commits `files` to the app repository on `branch` (default branch when omitted; a missing branch
   * starts at `from`, default the default branch's head) and checks that commit out in `checkout`.
   */
  commit(
    message: string,
    files: Record<string, string>,
    options?: { readonly branch?: string; readonly from?: string },
  ): Promise<string>;
  /** This project's release settings as a `--config` file holds them. */
  readonly releaseConfig: Readonly<Record<string, string | readonly string[]>>;
}

export interface Sandbox {
  readonly dir: string;
  readonly daemon: DockerDaemon;
  readonly registry: TestRegistry;
  readonly ecr: EcrTestServer;
  /** Parameter Store (AWS_ENDPOINT_URL_SSM): what ExternalSecrets in the manifests name. */
  readonly ssm: SsmTestServer;
  readonly github: GitHubTestServer;
  /** Argo CD's REST API, with the sample's application (SAMPLE.app) following its manifests. */
  readonly argo: ArgoCdTestServer;
  /** The GitHub token the CLI uses here (the server accepts any). */
  readonly token: string;
  /** What the CLI needs to reach the sandbox: GitHub API URL and token, AWS, docker. */
  readonly env: Readonly<Record<string, string>>;
  /** The default sample: SAMPLE's names. */
  readonly sample: SampleProject;
  /** Another sample project with its own repositories (tests use one per scenario). */
  createProject(names: SampleNames): Promise<SampleProject>;
  /** The process environment plus `env`, without AWS settings that would override the sandbox's. */
  childEnv(): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export interface SandboxOptions {
  /** Progress while starting, one line each. */
  readonly log?: (line: string) => void;
}

/** Why the sandbox cannot start here, or undefined when it can. */
export function sandboxUnavailable(): string | undefined {
  const docker = dockerAvailability();
  if (!docker.ok) return docker.reason;
  const registry = registryAvailability();
  return registry.ok ? undefined : registry.reason;
}

async function git(args: readonly string[], cwd?: string): Promise<string> {
  const { stdout } = await execFileAsync('git', [...args], {
    encoding: 'utf8',
    ...(cwd === undefined ? {} : { cwd }),
  });
  return stdout.trim();
}

async function createProject(
  dir: string,
  github: GitHubTestServer,
  ecr: EcrTestServer,
  names: SampleNames,
): Promise<SampleProject> {
  const app = names.app ?? SAMPLE.app;
  const ecrRepository = names.ecrRepository ?? SAMPLE.ecrRepository;
  const appRepo = await github.createRepo(names.appRepository ?? SAMPLE.appRepository);
  const manifestsRepo = await github.createRepo(
    names.manifestsRepository ?? SAMPLE.manifestsRepository,
  );
  await appRepo.commit('Add the CMS image', sampleAppFiles());
  await manifestsRepo.commit('vsp-cms and vets-api at their first versions', {
    [`${SAMPLE.manifestsPath}/values.yaml`]: sampleValues('v0.0.0', ecrRepository),
    'apps/vets-api/values.yaml': `image:\n  repository: ${SAMPLE.accountId}.dkr.ecr.${SAMPLE.region}.amazonaws.com/dsva/vets-api\n  tag: v0.0.12\n`,
  });
  for (const team of SAMPLE.teamReviewers) manifestsRepo.addTeam(team);
  ecr.createRepository(ecrRepository);

  const checkout = join(dir, appRepo.fullName.replace('/', '--'));
  await git(['clone', '--quiet', appRepo.gitDir, checkout]);
  await git(
    ['remote', 'set-url', 'origin', `https://github.com/${appRepo.fullName}.git`],
    checkout,
  );

  const commit: SampleProject['commit'] = async (message, files, options = {}) => {
    const branch = options.branch ?? appRepo.defaultBranch;
    if (options.from !== undefined) {
      await git([
        `--git-dir=${appRepo.gitDir}`,
        'update-ref',
        `refs/heads/${branch}`,
        options.from,
      ]);
      appRepo.invalidateRefCache();
    }
    const sha = await appRepo.commit(message, files, { branch });
    await git(['fetch', '--quiet', appRepo.gitDir, branch], checkout);
    await git(['checkout', '--quiet', '-B', branch, 'FETCH_HEAD'], checkout);
    return sha;
  };
  return {
    app,
    appRepo,
    manifestsRepo,
    manifestsPath: SAMPLE.manifestsPath,
    ecrRepository,
    checkout,
    commit,
    releaseConfig: {
      app,
      registry: SAMPLE.accountId,
      region: SAMPLE.region,
      repository: ecrRepository,
      manifests: manifestsRepo.fullName,
      'manifests-path': SAMPLE.manifestsPath,
      set: SAMPLE.set,
      'team-reviewers': SAMPLE.teamReviewers,
      context: checkout,
      // The sandbox's dockerd has no bridge network.
      network: 'none',
    },
  };
}

/** Starts every part (about 1 s with a reused daemon); on failure stops what already started. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => undefined);
  const unavailable = sandboxUnavailable();
  if (unavailable !== undefined) throw new Error(`the sandbox cannot start here: ${unavailable}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), 'gitops-sandbox-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const [daemon, registry] = await Promise.all([startDockerDaemon(), startRegistry()]);
    cleanups.push(
      () => daemon.stop(),
      () => registry.stop(),
    );
    log(
      `Docker Engine ${daemon.reused ? '(reused) ' : ''}at ${daemon.host} (${daemon.storageDriver}, no bridge)`,
    );
    log(`registry ${registry.reused ? '(reused) ' : ''}at ${registry.host} (htpasswd user AWS)`);
    await ensureBaseImage(daemon);
    log(`base image ${BASE_IMAGE} (a docker import of Debian's static busybox)`);
    const ecr = await startEcrServer({
      registry,
      accountId: SAMPLE.accountId,
      region: SAMPLE.region,
    });
    cleanups.push(() => ecr.close());
    log(`ECR API at ${ecr.endpoint} (account ${ecr.accountId}, ${ecr.region})`);
    const ssm = await startSsmServer({ accountId: SAMPLE.accountId, region: SAMPLE.region });
    cleanups.push(() => ssm.close());
    log(`SSM Parameter Store API at ${ssm.endpoint} (${ssm.region})`);
    const github = await startGitHubServer();
    cleanups.push(() => github.close());
    log(`GitHub API at ${github.url} (bare git repositories)`);

    const sample = await createProject(dir, github, ecr, {});
    log(`app repository ${sample.appRepo.fullName} (git dir ${sample.appRepo.gitDir})`);
    log(
      `manifests repository ${sample.manifestsRepo.fullName}, ${sample.manifestsPath}/values.yaml`,
    );

    const argo = await startArgoCdServer();
    cleanups.push(() => argo.close());
    await argo.addApplication({
      name: sample.app,
      gitDir: sample.manifestsRepo.gitDir,
      repoURL: `${github.url}/${sample.manifestsRepo.fullName}.git`,
      path: sample.manifestsPath,
    });
    log(`Argo CD API at ${argo.url} (application ${sample.app} follows ${sample.manifestsPath})`);

    const token = `ghs_sandbox_${randomBytes(12).toString('hex')}`;
    const env: Record<string, string> = {
      ...daemon.env,
      GITHUB_API_URL: github.url,
      GH_TOKEN: token,
      AWS_ACCESS_KEY_ID: 'AKIASANDBOX000000000',
      AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
      AWS_REGION: SAMPLE.region,
      AWS_ENDPOINT_URL_ECR: ecr.endpoint,
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      // No shared config or credentials files: nothing of the machine's AWS setup leaks in.
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      // The Node 20 support notice is about the machine, not the release; it would fill each run.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ARGOCD_TOKEN: argo.token,
    };
    let closed: Promise<void> | undefined;
    return {
      dir,
      daemon,
      registry,
      ecr,
      ssm,
      github,
      argo,
      token,
      env,
      sample,
      createProject: (names) => createProject(dir, github, ecr, names),
      childEnv: () => {
        const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
        for (const name of [
          'AWS_PROFILE',
          'AWS_SESSION_TOKEN',
          'AWS_ENDPOINT_URL',
          'GITHUB_TOKEN',
        ]) {
          Reflect.deleteProperty(childEnv, name);
        }
        return childEnv;
      },
      close: () => (closed ??= cleanUp()),
    };
  } catch (error: unknown) {
    await cleanUp();
    throw error;
  }
}
