/**
 * runRelease against the sandbox for tests that run many releases at once (load, fault matrix):
 * one sandbox, a project (app repository, manifests repository, ECR repository) per scenario, and
 * a GitHub client per run. Each run gets its own throttle id: the throttling plugin spaces one
 * client's writes 1 s apart, and separate runs are separate processes on real runners.
 */
import { execFileSync } from 'node:child_process';
import { processExec, type Exec } from '../../packages/docker/index.js';
import { createEcrClient, type EcrClient } from '../../packages/ecr/index.js';
import {
  createGitHubClient,
  GitHubRepository,
  type GitHubClient,
} from '../../packages/github/index.js';
import { parseRepositoryInput, type Logger } from '../../packages/kit/index.js';
import {
  runRelease,
  type ReleaseConfig,
  type ReleaseResult,
} from '../../packages/release/index.js';
import { SAMPLE, startSandbox, type Sandbox, type SampleProject } from './sandbox.js';
import type { PullRequestState, TestRepo } from './github-server.js';

const COMMIT_TIME = new Date(Date.UTC(2026, 10, 1, 12, 0, 0));

export function git(repo: TestRepo, ...args: string[]): string {
  return execFileSync('git', [`--git-dir=${repo.gitDir}`, ...args], { encoding: 'utf8' }).trim();
}

export function branches(repo: TestRepo): string[] {
  return git(repo, 'for-each-ref', '--format=%(refname:lstrip=2)', 'refs/heads')
    .split('\n')
    .filter((name) => name !== '');
}

/** The sample project's release (pull-request mode) as `gitops-release release` would run it. */
export function sampleReleaseConfig(
  target: SampleProject,
  overrides: Partial<ReleaseConfig> = {},
): ReleaseConfig {
  return {
    app: target.app,
    appRepository: parseRepositoryInput('app', target.appRepo.fullName),
    sha: git(target.appRepo, 'rev-parse', target.appRepo.defaultBranch),
    image: {
      repository: target.ecrRepository,
      region: SAMPLE.region,
      registryId: SAMPLE.accountId,
    },
    build: { context: target.checkout, network: 'none' },
    manifests: {
      repository: parseRepositoryInput('manifests', target.manifestsRepo.fullName),
      path: target.manifestsPath,
      set: [...SAMPLE.set],
    },
    mode: 'pull-request',
    teamReviewers: [...SAMPLE.teamReviewers],
    dryRun: false,
    ...overrides,
  };
}

export interface RecordingLogger extends Logger {
  readonly lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return {
    lines,
    step: () => undefined,
    debug: () => undefined,
    info: (message) => lines.push(message),
    warning: (message) => lines.push(`warning: ${message}`),
    error: (message) => lines.push(`error: ${message}`),
  };
}

/** What a release left in every system, for "no half state" assertions. */
export interface ReleaseState {
  /** Git tag -> commit, in the app repository. */
  readonly tags: ReadonlyMap<string, string>;
  /** ECR tag -> digest. */
  readonly images: ReadonlyMap<string, string>;
  readonly branches: readonly string[];
  readonly pulls: readonly PullRequestState[];
  /** Tags with a published GitHub release. */
  readonly releases: readonly string[];
}

export interface ReleaseRun {
  readonly logger: RecordingLogger;
  readonly result: Promise<ReleaseResult>;
}

export interface ReleaseHarness {
  readonly sandbox: Sandbox;
  readonly ecr: EcrClient;
  project(name: string): Promise<SampleProject>;
  /** A GitHub client of its own (throttle id), as a separate run would have. */
  client(logger?: RecordingLogger): GitHubClient;
  /** Starts a release of `sha` (default the tip of the app's default branch); everything confirmed. */
  release(target: SampleProject, overrides?: Partial<ReleaseConfig>): ReleaseRun;
  /**
   * The sample image pushed under `tag` without docker, for releases that promote it: labelled as
   * built from `revision` (a promotion takes only an image of the commit it releases).
   */
  seedImage(target: SampleProject, tag: string, revision: string): Promise<string>;
  state(target: SampleProject): Promise<ReleaseState>;
  close(): Promise<void>;
}

export async function startReleaseHarness(prefix: string): Promise<ReleaseHarness> {
  const savedEnv = { ...process.env };
  const sandbox = await startSandbox();
  Object.assign(process.env, sandbox.env);
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) {
    Reflect.deleteProperty(process.env, name);
  }
  const ecr = createEcrClient({
    region: SAMPLE.region,
    registryId: SAMPLE.accountId,
    logger: recordingLogger(),
  });
  const exec: Exec = (command, args, options = {}) =>
    processExec(command, args, { ...options, env: { ...sandbox.daemon.env, ...options.env } });
  const run = `${prefix}-${Date.now().toString(36)}`;
  let clients = 0;

  const client = (logger: RecordingLogger = recordingLogger()): GitHubClient =>
    createGitHubClient({
      token: sandbox.token,
      baseUrl: sandbox.github.url,
      logger,
      throttleId: `${run}-${String((clients += 1))}`,
    });

  const release = (target: SampleProject, overrides: Partial<ReleaseConfig> = {}): ReleaseRun => {
    const logger = recordingLogger();
    const result = runRelease(sampleReleaseConfig(target, overrides), {
      logger,
      confirm: () => Promise.resolve(true),
      exec,
      github: client(logger),
      ecr,
      clock: () => COMMIT_TIME,
      tempDir: sandbox.dir,
    });
    // Observed by the caller; this keeps an early rejection from counting as unhandled.
    result.catch(() => undefined);
    return { logger, result };
  };

  const state = async (target: SampleProject): Promise<ReleaseState> => {
    const images = new Map<string, string>();
    const tags = await sandbox.registry.api.tags(target.ecrRepository).catch(() => []);
    for (const tag of tags) {
      const head = await sandbox.registry.api.headManifest(target.ecrRepository, tag);
      if (head !== undefined) images.set(tag, head.digest);
    }
    const response = await fetch(
      `${sandbox.github.url}/repos/${target.appRepo.fullName}/releases?per_page=100`,
    );
    const releases = ((await response.json()) as { tag_name: string; draft: boolean }[])
      .filter((release) => !release.draft)
      .map((release) => release.tag_name)
      .sort();
    return {
      tags: await target.appRepo.tags(),
      images,
      branches: branches(target.manifestsRepo),
      pulls: await target.manifestsRepo.pulls(),
      releases,
    };
  };

  return {
    sandbox,
    ecr,
    project: (name) =>
      sandbox.createProject({
        app: 'cms',
        appRepository: `octo-org/${name}-${run}`,
        manifestsRepository: `va-org/${name}-manifests-${run}`,
        ecrRepository: `dsva/${name}-${run}`,
      }),
    client,
    release,
    seedImage: async (target, tag, revision) =>
      (
        await sandbox.registry.api.pushSyntheticImage(target.ecrRepository, tag, {
          content: `${target.ecrRepository} candidate\n`,
          labels: { 'org.opencontainers.image.revision': revision },
        })
      ).digest,
    state,
    close: async () => {
      for (const key of Object.keys(process.env)) {
        if (!(key in savedEnv)) Reflect.deleteProperty(process.env, key);
      }
      Object.assign(process.env, savedEnv);
      ecr.sdk.destroy();
      await sandbox.close();
    },
  };
}

/** The app repository as a GitHubRepository, for reads the state helper lacks. */
export function appRepository(harness: ReleaseHarness, target: SampleProject): GitHubRepository {
  return new GitHubRepository(
    harness.client(),
    parseRepositoryInput('app', target.appRepo.fullName),
  );
}
