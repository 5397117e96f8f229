/**
 * `gitops-release release`: the whole chain from a terminal (emergency releases by hand, and the
 * sandbox demo). Prints each step with its progress, asks before it writes unless --yes, and ends
 * with the pull request link.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { removeDockerConfigDir, type Exec } from '../docker/index.js';
import { createEcrClient } from '../ecr/index.js';
import { createGitHubClient, GitHubRepository } from '../github/index.js';
import { cliFailureLine, errorMessage, type Logger, type RepositoryRef } from '../kit/index.js';
import {
  findNewestGreenCommit,
  imageCreatedTime,
  manifestImageName,
  removeRegistryCredentials,
  runRelease,
  type RegistryCredentials,
  type ReleaseConfig,
  type ReleaseResult,
} from '../release/index.js';
import {
  confineConfigPaths,
  confirmationRule,
  parseReleaseConfig,
  RELEASE_OPTIONS,
  repositoryFromRemoteUrl,
  resolveReleaseSettings,
  tokenFromEnv,
  UsageError,
  type ReleaseFlags,
  type ReleaseSettings,
} from './release-options.js';
import { readParameterSecret } from '../ssm/index.js';
import { interruptible, type SignalPort } from './interrupt.js';

export const RELEASE_USAGE = `gitops-release release: compute the next version, build and push the image to ECR, point
the manifests at it and open the pull request (or commit directly), then publish the release.

Usage:
  gitops-release release --app A --repository R --manifests O/N [--manifests-path P] [options]
  gitops-release release --config release.yaml [options]

Where things are:
  --app A               Short app name: branch release/A/<version>, label release:A (e.g. cms)
  --registry R          ECR account id or registry host (default: the credentials' own registry)
  --region R            AWS region (default AWS_REGION), e.g. us-gov-west-1
  --repository R        ECR repository, e.g. dsva/cms-drupal
  --app-repository O/N  The app's GitHub repository (default: git remote origin of --context)
  --manifests O/N       The manifests repository
  --manifests-path P    The app's directory in it, e.g. apps/vsp-cms (default: the root)
  --files G             Paths or globs under --manifests-path (default every *.yaml, *.yml); repeatable
  --set PATH=VALUE      Explicit value to set, e.g. web.envSecrets[name=DD_VERSION].value={version}
  --pin-digest          Also write the pushed digest (tag@digest); default tags only
  --base B              Branch Argo CD deploys from (default: the repository's default branch)

What to release:
  --context D           Build context, a checkout of the app repository (default .)
  --file F              Dockerfile (default D/Dockerfile)
  --build-arg K=V       Build argument; repeatable
  --target T, --platform P, --network N
                        docker build options (--network none for a daemon without a bridge)
  --sha S               Commit to release (default: git rev-parse HEAD in --context)
  --from REF            Commit or branch of --context's repository to build and release, from a
                        temporary worktree when it is not checked out (e.g. hotfix/v0.0.417)
  --hotfix-of V         Release a hotfix V-k of release V (the commit carries the fix)
  --promote-from TAG    Release an image already in ECR under TAG, without a build
  --format F            Version template (default v0.0.{n}); --git-tag-prefix P for git tags only
  --start-at N          First N when no version exists (default 1)
  --ignore-ecr-tags     Count only git tags as release numbers, not ECR's image tags
  --require-checks C    Checks (check runs or commit statuses) that must have succeeded on the
                        commit, e.g. build,test; repeatable or comma-separated
  --newest-green        Release the newest commit of the default branch whose --require-checks all
                        succeeded (--context must be a checkout of it); none green: nothing to do
  --look-back N         With --newest-green, how many commits back to look at most (default 750)

How:
  --mode M              pull-request (default) or direct (commit straight to --base)
  --reviewers U, --team-reviewers T, --labels L
                        Pull request reviewers, team reviewers (slugs), extra labels; comma lists
  --body TEXT           The pull request's own text, above the release table
  --allow-downgrade --reason "<why>"
                        Allow pointing the manifests at an older version (the reason goes into the PR)
  --check-parameters M  error (default), warn or off: the SSM parameters the manifests'
                        ExternalSecrets name must exist before anything is reserved (metadata only)
  --dry-run             Compute without reserving, build without pushing, change nothing; print the plan
  --yes                 Do not ask before pushing and before opening the pull request
  --config FILE         Values from a YAML or JSON file, keys named as the options (flags win);
                        --yes, --config and --verbose are flags only. The file's context and
                        file are relative to its own directory and must stay inside it (as the
                        action's stay inside the workspace); --context and --file flags are not
                        confined and are relative to the current directory
  --verbose             Also print debug lines
  --token-parameter P   Read the GitHub token from this SSM SecureString (name or ARN; region: the
                        ARN's, else --region) instead of GH_TOKEN; needs ssm:GetParameter on it and
                        kms:Decrypt on its key

Environment: GH_TOKEN (or GITHUB_TOKEN) for both repositories; GITHUB_API_URL (default
https://api.github.com); GITHUB_SERVER_URL (default: the API's server), whose git endpoint lists the
release tags in one request; AWS credentials from the SDK's default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID,
SSO, ...); AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_SSM to reach other ECR / SSM endpoints. SOURCE_DATE_EPOCH fixes the image's
created time (default: the commit time).

Without --yes the command asks before it reserves the tag and pushes, and before it changes the
manifests; with no terminal to ask on it refuses to start. --dry-run says first what it runs: an
ECR login and the build (the Dockerfile's RUN steps execute on this machine's docker). Ctrl-C
(SIGINT) or SIGTERM stops docker and removes the ECR credentials before exiting. Exit codes:
0 released, skipped (already released) or planned (--dry-run); 1 failure or declined; 130 SIGINT,
143 SIGTERM.
`;

export interface ReleaseIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** A person can answer questions (stdin is a terminal). */
  readonly interactive: boolean;
  /** Prints `question` and reads one line of answer. */
  readonly ask: (question: string) => Promise<string>;
  readonly exec: Exec;
  readonly readTextFile: (path: string) => Promise<string>;
  /** SIGINT and SIGTERM during the release: credentials removed, exit 130 or 143. None: not handled. */
  readonly signals?: SignalPort | undefined;
  /** The children `exec` is running, stopped on a signal. */
  readonly running?: ReadonlySet<ChildProcess> | undefined;
}

/** Replaces every secret in a text with `***`: output never carries a token or a password. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join('***');
  }
  return result;
}

async function git(exec: Exec, context: string, args: readonly string[]): Promise<string> {
  const result = await exec('git', ['-C', context, ...args]).catch((error: unknown) => {
    throw new UsageError(`could not run git in ${context}: ${errorMessage(error)}`);
  });
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n').at(-1) ?? '';
    throw new UsageError(`git ${args.join(' ')} in ${context} failed: ${reason}`);
  }
  return result.stdout.trim();
}

async function appRepositoryOf(
  settings: ReleaseSettings,
  exec: Exec,
  context: string,
): Promise<RepositoryRef> {
  if (settings.appRepository) return settings.appRepository;
  const url = await git(exec, context, ['remote', 'get-url', 'origin']).catch(() => '');
  const repository = repositoryFromRemoteUrl(url);
  if (repository === undefined) {
    throw new UsageError(
      `--app-repository is required: ${context} has no GitHub remote origin${url === '' ? '' : ` (${url})`}`,
    );
  }
  return repository;
}

/** Progress on stdout: numbered steps, details indented, build and push output in a gutter. */
function terminalLogger(io: ReleaseIo, verbose: boolean): Logger {
  let gutter = '';
  const write = (stream: (text: string) => void, prefix: string, message: string): void => {
    stream(
      message
        .split('\n')
        .map((line) => `${gutter === '' ? '      ' : gutter}${prefix}${line}\n`)
        .join(''),
    );
  };
  return {
    step: (event) => {
      io.stdout(`\n[${String(event.index)}/${String(event.total)}] ${event.title}\n`);
    },
    debug: (message) => {
      if (verbose) write(io.stdout, 'debug: ', message);
    },
    info: (message) => {
      write(io.stdout, '', message);
    },
    warning: (message) => {
      write(io.stderr, 'warning: ', message);
    },
    error: (message) => {
      write(io.stderr, 'error: ', message);
    },
    startGroup: (name) => {
      io.stdout(`      ${name}\n`);
      gutter = '      │ ';
    },
    endGroup: () => {
      gutter = '';
    },
  };
}

function summary(result: ReleaseResult, settings: ReleaseSettings): string {
  const lines: string[] = [''];
  const { version } = result;
  if (result.status === 'skipped') {
    lines.push(`Nothing to release: ${result.reason}.`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    result.status === 'planned'
      ? `Dry run: nothing was changed. The release would be ${settings.app} ${version.version}:`
      : `Released ${settings.app} ${version.version}:`,
  );
  const row = (name: string, value: string): void => {
    lines.push(`  ${name.padEnd(13)}${value}`);
  };
  row(
    'version',
    `${version.version} (git tag ${version.gitTag}, commit ${version.sha.slice(0, 12)}${
      version.previousVersion ? `, previous ${version.previousVersion}` : ''
    })`,
  );
  if (result.image) {
    const digest = result.image.digest === undefined ? '' : `@${result.image.digest}`;
    row('image', `${result.image.reference}${digest}`);
    if (result.image.pushedTo !== result.image.reference) {
      row(result.status === 'planned' ? 'would push' : 'pushed to', result.image.pushedTo);
    }
  }
  if (result.manifests) {
    const files = result.manifests.changes.map((change) => change.file);
    row('manifests', files.length === 0 ? '(already at this version)' : files.join(', '));
  }
  if (result.commit && settings.mode === 'direct') {
    row('commit', `${result.commit.sha} on ${result.commit.branch}`);
  }
  if (result.release) row('release', result.release.url);
  const pull = result.pullRequest;
  if (pull?.opened && pull.opened.superseded.length > 0) {
    row('superseded', pull.opened.superseded.map((number) => `#${String(number)}`).join(', '));
  }
  if (pull && result.status === 'planned') {
    row('pull request', `"${pull.title}" ${pull.branch} → ${pull.base} (${pull.repository})`);
    row('labels', pull.labels.join(', '));
  }
  lines.push('');
  if (pull?.opened) {
    lines.push(`Pull request #${String(pull.opened.number)}: ${pull.opened.url}`);
  } else if (result.status === 'released' && settings.mode === 'pull-request') {
    lines.push('No pull request: the manifests already name this version.');
  }
  return `${lines.join('\n')}\n`;
}

/** The chain's request from the settings and what the checkout says. */
function releaseConfigOf(
  settings: ReleaseSettings,
  where: {
    readonly appRepository: RepositoryRef;
    readonly sha: string;
    readonly sourceRef: string | undefined;
    readonly context: string;
    readonly env: NodeJS.ProcessEnv;
  },
): ReleaseConfig {
  const { appRepository, sha, context } = where;
  return {
    app: settings.app,
    appRepository,
    sha,
    sourceRef: where.sourceRef,
    format: settings.format,
    startAt: settings.startAt,
    hotfixOf: settings.hotfixOf,
    requireChecks: settings.requireChecks,
    ecrVersions: settings.ecrVersions,
    image: {
      repository: settings.repository,
      region: settings.region,
      registryId: settings.registryId,
    },
    build:
      settings.promoteFrom === undefined
        ? {
            context,
            file: settings.file === undefined ? undefined : resolve(settings.file),
            buildArgs: settings.buildArgs,
            target: settings.target,
            platform: settings.platform,
            network: settings.network,
          }
        : undefined,
    promoteFrom: settings.promoteFrom,
    manifests: {
      repository: settings.manifests,
      path: settings.manifestsPath,
      files: settings.files,
      set: settings.set,
      base: settings.base,
    },
    mode: settings.mode,
    reviewers: settings.reviewers,
    teamReviewers: settings.teamReviewers,
    labels: settings.labels,
    body: settings.body,
    allowDowngrade: settings.allowDowngrade,
    downgradeReason: settings.downgradeReason,
    pinDigest: settings.pinDigest,
    checkParameters: settings.checkParameters,
    dryRun: settings.dryRun,
    serverUrl: where.env.GITHUB_SERVER_URL,
  };
}

/**
 * What a dry run does that is not harmless, said before it starts: it logs in to ECR and builds,
 * and a build runs the Dockerfile's RUN steps on this machine. Nothing is written anywhere else.
 */
export function dryRunNotice(config: ReleaseConfig): string {
  const { image, build } = config;
  const registry =
    (image.registryId === undefined ? undefined : manifestImageName(image).registry) ??
    `the AWS credentials' registry in ${image.region}`;
  const unwritten = 'nothing is pushed, tagged or committed, and no version is reserved';
  if (build === undefined) {
    return `dry run: will read ECR ${registry} (${image.repository}:${config.promoteFrom ?? ''}) and GitHub; ${unwritten}\n`;
  }
  const file = build.file ?? join(build.context, 'Dockerfile');
  return `dry run: will log in to ECR ${registry} and build ${build.context} with ${file}: the Dockerfile's RUN steps execute on this machine's docker; ${unwritten} (the image stays in the local docker)\n`;
}

/** Runs `release`; returns the exit code. Errors are one line (the caller prints them). */
export async function releaseCommand(args: readonly string[], io: ReleaseIo): Promise<number> {
  const secrets: string[] = [];
  try {
    return await runReleaseCommand(args, io, secrets);
  } catch (error: unknown) {
    // Whatever failed, its message must not carry a token or the registry password.
    // The input at fault reads as its flag: `--manifests-path: ...`.
    if (error instanceof UsageError) throw new UsageError(redact(error.message, secrets));
    throw new Error(redact(cliFailureLine(error), secrets), { cause: error });
  }
}

/** The settings of a run: flags over its config file, checked (the release preflight included). */
async function settingsOf(args: readonly string[], io: ReleaseIo): Promise<ReleaseSettings> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: RELEASE_OPTIONS,
  });
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals.join(' ')}"`);
  }
  const flags = values as ReleaseFlags;
  const configPath = typeof values.config === 'string' ? values.config : undefined;
  if (configPath === undefined) return resolveReleaseSettings(flags, {}, io.env);
  const config = parseReleaseConfig(
    await io.readTextFile(configPath).catch((error: unknown) => {
      throw new UsageError(`--config ${configPath} cannot be read: ${errorMessage(error)}`);
    }),
    configPath,
  );
  return resolveReleaseSettings(flags, confineConfigPaths(config, configPath, flags), io.env);
}

/**
 * The commit --newest-green releases, by the rule compute-version applies (findNewestGreenCommit);
 * undefined when nothing is green (said, exit 0). The image is built from --context, so that
 * checkout must be the chosen commit: otherwise the command stops and says which to check out.
 */
async function newestGreenSha(
  lookBack: number,
  where: {
    readonly settings: ReleaseSettings;
    readonly appRepository: RepositoryRef;
    readonly token: string;
    readonly env: NodeJS.ProcessEnv;
    readonly logger: Logger;
    readonly head: string | undefined;
    readonly context: string;
  },
): Promise<string | undefined> {
  const { logger } = where;
  const repository = new GitHubRepository(
    createGitHubClient({
      token: where.token,
      logger,
      ...(where.env.GITHUB_API_URL ? { baseUrl: where.env.GITHUB_API_URL } : {}),
    }),
    where.appRepository,
  );
  const branch = await repository.defaultBranch();
  const search = await findNewestGreenCommit(repository, branch, where.settings.requireChecks, {
    lookBack,
    logger,
  });
  if (!search.chosen) {
    logger.info(`nothing to release: ${search.reason}`);
    return undefined;
  }
  const chosen = search.chosen.sha;
  if (where.head !== chosen) {
    throw new UsageError(
      `the newest green commit of ${branch} is ${chosen.slice(0, 12)}, but ${where.context} is at ${where.head?.slice(0, 12) ?? 'no commit'}: the image is built from that checkout, so check out ${chosen.slice(0, 12)} there (git checkout ${chosen}) and run again`,
      { input: 'newest-green' },
    );
  }
  return chosen;
}

async function runReleaseCommand(
  args: readonly string[],
  io: ReleaseIo,
  secrets: string[],
): Promise<number> {
  const settings = await settingsOf(args, io);
  const confirmation = confirmationRule({
    dryRun: settings.dryRun,
    yes: settings.yes,
    interactive: io.interactive,
  });
  if (confirmation === 'refuse') {
    throw new UsageError(
      'release asks before it pushes and before it opens the pull request, but there is no terminal to ask on: pass --yes to release without asking, or --dry-run to see the plan',
    );
  }
  // From Parameter Store, the token is redacted from every output before it is used.
  const token =
    settings.tokenParameter === undefined
      ? tokenFromEnv(io.env)
      : await readParameterSecret({
          name: settings.tokenParameter,
          input: 'token-parameter',
          env: { ...io.env, AWS_REGION: settings.region },
          maskSecret: (secret) => secrets.push(secret),
          logger: terminalLogger(io, settings.verbose),
        });
  if (token === undefined) {
    throw new UsageError(
      'set GH_TOKEN (or GITHUB_TOKEN) to a token that can create tags and releases in the app repository and pull requests in the manifests repository, or name the SSM parameter holding it with --token-parameter',
    );
  }
  secrets.push(token);
  const out: ReleaseIo = {
    ...io,
    stdout: (text) => {
      io.stdout(redact(text, secrets));
    },
    stderr: (text) => {
      io.stderr(redact(text, secrets));
    },
  };
  const checkout = resolve(settings.context);
  const appRepository = await appRepositoryOf(settings, io.exec, checkout);
  const logger = terminalLogger(out, settings.verbose);
  const from =
    settings.from === undefined
      ? undefined
      : await checkOutFrom(io.exec, checkout, settings.from, logger);
  const context = from?.context ?? checkout;
  const head = await git(io.exec, context, ['rev-parse', 'HEAD']).catch(() => undefined);
  let green: string | undefined;
  if (settings.newestGreen) {
    green = await newestGreenSha(settings.newestGreen.lookBack, {
      settings,
      appRepository,
      token,
      env: io.env,
      logger,
      head,
      context,
    });
    if (green === undefined) return 0;
  }
  const sha = green ?? settings.sha ?? head;
  if (sha === undefined) {
    throw new UsageError(`--sha is required: ${context} is not a git checkout`);
  }
  if (settings.promoteFrom === undefined && head !== undefined && from === undefined) {
    if (!head.startsWith(sha.toLowerCase())) {
      logger.warning(
        `building ${context} at ${head.slice(0, 12)}, but releasing ${sha}: the image may not match the commit`,
      );
    }
    const dirty = await git(io.exec, context, ['status', '--porcelain']).catch(() => '');
    if (dirty !== '') {
      logger.warning(`${context} has uncommitted changes: they go into the image, not into ${sha}`);
    }
  }

  const github = createGitHubClient({
    token,
    logger,
    ...(io.env.GITHUB_API_URL ? { baseUrl: io.env.GITHUB_API_URL } : {}),
  });
  const ecr = createEcrClient({
    region: settings.region,
    registryId: settings.registryId,
    logger,
  });
  // The checkout's branch names where the commit came from, when it is the commit released.
  const branch =
    from?.ref ??
    (head?.startsWith(sha.toLowerCase())
      ? await git(io.exec, context, ['rev-parse', '--abbrev-ref', 'HEAD']).catch(() => '')
      : '');
  const releaseConfig = releaseConfigOf(settings, {
    appRepository,
    sha,
    sourceRef: branch === '' || branch === 'HEAD' ? undefined : branch,
    context,
    env: io.env,
  });
  const created = await imageCreatedTime(io.exec, context, sha, io.env, logger);
  if (settings.dryRun) out.stdout(`\n${dryRunNotice(releaseConfig)}`);
  // The image step leaves its credentials to this command, which removes them however the release
  // ends: done, failed, or stopped by Ctrl-C (a 12-hour ECR token must not stay in the temp dir).
  let credentials: RegistryCredentials | undefined;
  let removal: Promise<void> | undefined;
  const removeCredentials = (): Promise<void> =>
    (removal ??=
      credentials === undefined
        ? Promise.resolve()
        : removeRegistryCredentials(credentials, { exec: io.exec, logger }));
  const release = (): Promise<ReleaseResult> =>
    runRelease(releaseConfig, {
      logger,
      confirm: async (question) => {
        if (confirmation !== 'ask') return true;
        const answer = await io.ask(`\n? ${redact(question, secrets)} [y/N] `);
        return /^\s*y(es)?\s*$/i.test(answer);
      },
      exec: io.exec,
      github,
      ecr,
      maskSecret: (secret) => {
        secrets.push(secret);
      },
      clock: () => created,
      gitTags: { serverUrl: io.env.GITHUB_SERVER_URL, apiUrl: io.env.GITHUB_API_URL, token },
      keepCredentials: (where) => {
        credentials = where;
      },
    });
  try {
    const result =
      io.signals === undefined
        ? await release()
        : await interruptible(release, {
            signals: io.signals,
            running: io.running ?? new Set(),
            cleanUp: removeCredentials,
            cleanUpNow: () => {
              if (credentials !== undefined) removeDockerConfigDir(credentials.configDir);
            },
            notify: out.stderr,
          });
    if (result.status === 'cancelled') throw new UsageError(`cancelled: ${result.reason}`);
    out.stdout(summary(result, settings));
    return 0;
  } finally {
    await removeCredentials();
    ecr.sdk.destroy();
    await from?.remove();
  }
}

/**
 * `--from`: the commit or branch to build, from the checkout's own repository. When it is not what
 * the checkout has, it is built from a temporary detached worktree of it (removed afterwards), so
 * an emergency fix is released from its branch without touching the operator's checkout.
 */
async function checkOutFrom(
  exec: Exec,
  checkout: string,
  ref: string,
  logger: Logger,
): Promise<{ context: string; ref: string | undefined; remove: () => Promise<void> }> {
  const sha = await git(exec, checkout, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${ref}^{commit}`,
  ]).catch(() => {
    throw new UsageError(
      `--from ${ref} is not a commit or branch of ${checkout}: fetch it first (git fetch origin ${ref})`,
    );
  });
  const isBranch = !sha.startsWith(ref.toLowerCase());
  const head = await git(exec, checkout, ['rev-parse', 'HEAD']).catch(() => '');
  if (head === sha) {
    return { context: checkout, ref: isBranch ? ref : undefined, remove: () => Promise.resolve() };
  }
  const top = await git(exec, checkout, ['rev-parse', '--show-toplevel']);
  const worktree = await mkdtemp(join(tmpdir(), 'gitops-release-from-'));
  await git(exec, top, ['worktree', 'add', '--detach', '--quiet', worktree, sha]);
  logger.info(`building ${ref} (${sha.slice(0, 12)}) from a temporary worktree: ${worktree}`);
  return {
    context: join(worktree, relative(top, checkout)),
    ref: isBranch ? ref : undefined,
    remove: async () => {
      await git(exec, top, ['worktree', 'remove', '--force', worktree]).catch(() => undefined);
      await rm(worktree, { recursive: true, force: true });
    },
  };
}
