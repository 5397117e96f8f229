/**
 * The whole release chain as one function over the packages, for the command line and the sandbox:
 * compute (and reserve) the version in the app repository, build and push the image (or promote
 * one), point the manifests at it through the GitHub API (no clone), open the pull request (or
 * commit directly), and publish the GitHub release that marks the release finished.
 *
 * Nothing is written until the plan checks out: the version is computed without reserving it and
 * the manifest edit is made in memory first, so a wrong manifests path, a refused downgrade or a
 * declined confirmation leaves no tag, no image and no branch behind.
 */
import { tmpdir } from 'node:os';
import { posix } from 'node:path';
import picomatch from 'picomatch';
import {
  chooseRegistryHost,
  createDockerConfigDir,
  DockerCli,
  publishImage,
  removeDockerConfigDir,
  type Exec,
  type LogGroups,
  type PublishOutcome,
  type PublishResult,
} from '../docker/index.js';
import { registryHost, type EcrClient } from '../ecr/index.js';
import {
  commitAndOpenPullRequest,
  commitEditsToBranch,
  GitHubRepository,
  listTreeBlobs,
  readBlob,
  readBranchTip,
  releaseNotes,
  type FileEdit,
  type GitHubClient,
  type ReleaseNotes,
} from '../github/index.js';
import {
  errorMessage,
  escapeMarkdownCell,
  markdownTable,
  type Logger,
  type RepositoryRef,
} from '../kit/index.js';
import {
  DEFAULT_FILE_PATTERNS,
  formatImageName,
  ManifestError,
  NotYamlError,
  parseImageName,
  parseSetEntry,
  rewriteYaml,
  unifiedDiff,
  type ImageName,
  type Reference,
  type SetEntry,
} from '../manifest/index.js';
import { compareVersions, DEFAULT_FORMAT, VersionFormat } from '../version/index.js';
import { computeVersion, type ComputedVersion, type VersionSource } from './compute-version.js';
import { ecrVersionSource } from './ecr-source.js';

export type ReleaseMode = 'pull-request' | 'direct';

export interface ReleaseImageTarget {
  /** The ECR repository, e.g. `dsva/cms-drupal`. */
  readonly repository: string;
  readonly region: string;
  /** The registry's account id; undefined means the credentials' own registry. */
  readonly registryId?: string | undefined;
  readonly fips?: boolean | undefined;
}

export interface ReleaseBuild {
  /** The build context directory (a checkout of the app repository at `sha`). */
  readonly context: string;
  /** The Dockerfile, relative to the working directory as docker takes it. */
  readonly file?: string | undefined;
  readonly buildArgs?: readonly string[] | undefined;
  readonly target?: string | undefined;
  readonly platform?: string | undefined;
  /** `none` for a daemon without a bridge network. */
  readonly network?: string | undefined;
}

export interface ReleaseManifests {
  readonly repository: RepositoryRef;
  /** The directory of this app's manifests in that repository, e.g. `apps/vsp-cms`; '' for the root. */
  readonly path: string;
  /** Paths and globs relative to `path`; default every `*.yaml` and `*.yml` below it. */
  readonly files?: readonly string[] | undefined;
  /** Explicit `path=value` entries, e.g. `web.envSecrets[name=DD_VERSION].value={version}`. */
  readonly set?: readonly string[] | undefined;
  /** The branch the manifests are deployed from; default the repository's default branch. */
  readonly base?: string | undefined;
}

export interface ReleaseConfig {
  /** Short name of the app (`cms`): branch names `release/<app>/<version>`, label `release:<app>`. */
  readonly app: string;
  /** The application's repository, where version tags and releases live. */
  readonly appRepository: RepositoryRef;
  /** The commit to release (full or short SHA). */
  readonly sha: string;
  readonly format?: VersionFormat | undefined;
  /** First N when no version exists anywhere. Default 1. */
  readonly startAt?: number | undefined;
  /** A release to hotfix (`v0.0.417`); the commit must carry the fix on top of it. */
  readonly hotfixOf?: string | undefined;
  /** Count ECR's image tags as release numbers too, so a number ECR holds is never reused. Default true. */
  readonly ecrVersions?: boolean | undefined;
  readonly image: ReleaseImageTarget;
  /** Exactly one of build and promoteFrom. */
  readonly build?: ReleaseBuild | undefined;
  /** An image tag already in the ECR repository to release without a build. */
  readonly promoteFrom?: string | undefined;
  readonly manifests: ReleaseManifests;
  readonly mode: ReleaseMode;
  readonly reviewers?: readonly string[] | undefined;
  readonly teamReviewers?: readonly string[] | undefined;
  /** Labels besides `release:<app>`. */
  readonly labels?: readonly string[] | undefined;
  readonly allowDowngrade?: boolean | undefined;
  readonly downgradeReason?: string | undefined;
  /**
   * Write the pushed digest into the manifests too (`tag@digest`, and `digest:` fields). Default
   * false: references keep their shape, and any old digest is dropped so it cannot pin the old image.
   */
  readonly pinDigest?: boolean | undefined;
  /** Compute without reserving, build without pushing, edit without committing. */
  readonly dryRun: boolean;
  /** For the image's OCI source label; default https://github.com. */
  readonly serverUrl?: string | undefined;
}

export const RELEASE_STEPS = ['version', 'manifests', 'image', 'change', 'release'] as const;
export type ReleaseStepName = (typeof RELEASE_STEPS)[number];

export interface ReleaseStepEvent {
  readonly step: ReleaseStepName;
  /** 1-based position among `total` steps. */
  readonly index: number;
  readonly total: number;
  readonly title: string;
}

/** The logger port plus the chain's progress: each step announced, build and push output in groups. */
export interface ReleaseLogger extends Logger, Partial<LogGroups> {
  step(event: ReleaseStepEvent): void;
}

export interface ReleasePorts {
  readonly logger: ReleaseLogger;
  /** Asked before anything is reserved or pushed, and before the manifests change; false stops the run. */
  readonly confirm: (question: string) => Promise<boolean>;
  /** Runs the docker CLI. */
  readonly exec: Exec;
  /** Reaches the app repository (and the manifests repository unless `manifestsGithub` is given). */
  readonly github: GitHubClient;
  readonly manifestsGithub?: GitHubClient | undefined;
  readonly ecr: EcrClient;
  /** Called with each secret (the registry password) the moment it exists. */
  readonly maskSecret?: ((secret: string) => void) | undefined;
  /** For the image's `created` label; a fixed time per commit lets a re-run rebuild the same image. */
  readonly clock?: (() => Date) | undefined;
  /** Where the private DOCKER_CONFIG directory of the run goes. Default the OS temp dir. */
  readonly tempDir?: string | undefined;
  /** The docker client to run. Default `docker` from PATH. */
  readonly docker?: string | undefined;
}

/** One manifest file the release changes. */
export interface ManifestChange {
  /** Path in the manifests repository. */
  readonly file: string;
  readonly before: string;
  readonly after: string;
  readonly diff: string;
}

export interface ManifestPlan {
  readonly repository: string;
  readonly base: string;
  /** The base commit the files were read at. */
  readonly baseSha: string;
  /** What the manifests reference, e.g. `008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal`. */
  readonly image: string;
  /** YAML files looked at. */
  readonly scanned: readonly string[];
  readonly changes: readonly ManifestChange[];
  readonly references: readonly Reference[];
  /** Every change's diff, one after another. */
  readonly diff: string;
  /** The newest version the references held before. */
  readonly previousVersion: string | undefined;
  /** Set when a downgrade was allowed. */
  readonly downgradeReason: string | undefined;
}

export interface ReleaseImage {
  /** What the manifests name and Argo CD pulls: `<ECR host>/<repository>:<tag>`. */
  readonly reference: string;
  /** Where it went (the registry the credentials reach): `<registry>/<repository>:<tag>`. */
  readonly pushedTo: string;
  readonly digest: string | undefined;
  /** `checked` is a dry run's promote: the source tag exists, nothing else happened. */
  readonly outcome: PublishOutcome | 'checked';
  readonly promotedFrom: string | undefined;
  readonly publish: PublishResult | undefined;
}

export interface PullRequestPlan {
  readonly repository: string;
  readonly branch: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
  readonly labels: readonly string[];
  readonly reviewers: readonly string[];
  readonly teamReviewers: readonly string[];
}

export interface OpenedPullRequest {
  readonly number: number;
  readonly url: string;
  readonly operation: 'created' | 'updated' | 'unchanged';
  readonly superseded: readonly number[];
  /** A newer release's pull request was already open: this one was closed in its favour. */
  readonly supersededBy: number | undefined;
}

export interface ManifestCommit {
  readonly sha: string;
  readonly branch: string;
  readonly changed: boolean;
}

/**
 * `released`: the chain ran to the end; `skipped`: the commit was already released (or already
 * part of a release); `planned`: a dry run; `cancelled`: a confirmation was declined.
 */
export type ReleaseStatus = 'released' | 'skipped' | 'planned' | 'cancelled';

export interface ReleaseResult {
  readonly status: ReleaseStatus;
  /** Why it was skipped or cancelled; '' otherwise. */
  readonly reason: string;
  readonly version: ComputedVersion;
  readonly manifests?: ManifestPlan;
  readonly image?: ReleaseImage;
  /** The pull request opened, or in a dry run the one that would be (pull-request mode only). */
  readonly pullRequest?: PullRequestPlan & { readonly opened?: OpenedPullRequest };
  /** The manifests commit: on the pull request branch, or on the base in direct mode. */
  readonly commit?: ManifestCommit;
  readonly release?: { readonly url: string; readonly created: boolean };
}

const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function short(sha: string): string {
  return sha.slice(0, 7);
}

function plural(count: number, noun: string): string {
  return `${String(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/** Computes a source once: the preview and the reservation read ECR's tags once between them. */
function cachedSource(source: VersionSource): VersionSource {
  let versions: ReturnType<VersionSource['listVersions']> | undefined;
  return {
    name: source.name,
    listVersions: (format) => (versions ??= source.listVersions(format)),
  };
}

/** `apps/vsp-cms/` -> `apps/vsp-cms`; `.` and `` -> ``; refuses absolute paths and `..`. */
export function normalizeManifestsPath(path: string): string {
  const trimmed = path.trim().replaceAll('\\', '/');
  if (trimmed.startsWith('/') || /(^|\/)\.\.(\/|$)/.test(trimmed)) {
    throw new ManifestError(
      `'${path}' leaves the repository: give a directory relative to its root, e.g. apps/vsp-cms`,
      { input: 'manifests-path' },
    );
  }
  const normalized = posix.normalize(trimmed === '' ? '.' : trimmed).replace(/\/+$/, '');
  return normalized === '.' ? '' : normalized;
}

export interface SelectedManifest {
  /** Path in the repository. */
  readonly path: string;
  /** Named without a glob: a problem with it is an error, not a skipped file. */
  readonly explicit: boolean;
}

/**
 * The files of a repository tree that a release looks at: under `root`, matching `entries` (paths,
 * directories and globs relative to `root`; default every `*.yaml` and `*.yml`).
 */
export function selectManifestFiles(
  treePaths: Iterable<string>,
  root: string,
  entries: readonly string[] | undefined,
): SelectedManifest[] {
  const prefix = root === '' ? '' : `${root}/`;
  const below = [...treePaths].filter((path) => path.startsWith(prefix));
  const relative = new Set(below.map((path) => path.slice(prefix.length)));
  const given = (entries ?? []).map((entry) => entry.trim()).filter((entry) => entry !== '');
  const requested = given.length > 0 ? given : DEFAULT_FILE_PATTERNS;
  const matchers: picomatch.Matcher[] = [];
  const selected = new Map<string, boolean>();
  for (const entry of requested) {
    if (entry.startsWith('/') || /(^|\/)\.\.(\/|$)/.test(entry)) {
      throw new ManifestError(
        `'${entry}' leaves ${root === '' ? 'the repository' : root}: give a path relative to it`,
        { input: 'files' },
      );
    }
    const normalized = posix.normalize(entry).replace(/\/+$/, '');
    if (picomatch.scan(normalized).isGlob) {
      matchers.push(picomatch(normalized, { dot: true }));
    } else if (relative.has(normalized)) {
      selected.set(normalized, true);
    } else if ([...relative].some((path) => path.startsWith(`${normalized}/`))) {
      // A directory stands for the YAML files below it.
      for (const pattern of DEFAULT_FILE_PATTERNS) {
        matchers.push(picomatch(`${normalized}/${pattern}`, { dot: true }));
      }
    } else {
      throw new ManifestError(
        `'${entry}' is not in ${root === '' ? 'the repository' : root}: check the path`,
        { input: 'files' },
      );
    }
  }
  for (const path of relative) {
    if (!selected.has(path) && matchers.some((matcher) => matcher(path))) {
      selected.set(path, false);
    }
  }
  return [...selected]
    .map(([path, explicit]) => ({ path: prefix + path, explicit }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface ManifestSource {
  readonly path: string;
  readonly text: string;
  readonly explicit: boolean;
}

interface EditOptions {
  readonly image: ImageName;
  readonly tag: string;
  readonly digest: string | undefined;
  readonly set: readonly SetEntry[];
  readonly format: VersionFormat;
  readonly sha: string;
  readonly allowDowngrade: boolean;
  readonly downgradeReason: string;
}

function describeDowngrade(reference: Reference): string {
  return `${reference.file}:${String(reference.line)} (${reference.keyPath}) holds ${reference.oldTag ?? ''}, newer than ${reference.newTag}`;
}

/** Refuses a downgrade unless it is allowed with a reason; a rollback can lose data. */
function guardDowngrade(
  references: readonly Reference[],
  options: EditOptions,
): string | undefined {
  const downgrades = references.filter((reference) => reference.downgrade);
  const [first] = downgrades;
  if (first === undefined) return undefined;
  if (!options.allowDowngrade) {
    const more = downgrades.length > 1 ? ` and ${String(downgrades.length - 1)} more` : '';
    throw new ManifestError(
      `refusing to downgrade to ${options.tag}: ${describeDowngrade(first)}${more}; a rollback can lose data the newer release wrote, so allow the downgrade and give a reason if it is intended`,
    );
  }
  return options.downgradeReason;
}

function rewriteOne(source: ManifestSource, options: EditOptions) {
  return rewriteYaml(source.text, source.path, {
    image: options.image,
    tag: options.tag,
    set: options.set,
    format: options.format,
    placeholders: { sha: options.sha },
    ...(options.digest === undefined ? {} : { digest: options.digest }),
  });
}

/** The in-memory edit of every file: references, changes and diffs, with the guards applied. */
function planManifestEdit(
  sources: readonly ManifestSource[],
  options: EditOptions,
  context: { repository: string; base: string; baseSha: string; logger: Logger },
): ManifestPlan {
  const changes: ManifestChange[] = [];
  const references: Reference[] = [];
  const scanned: string[] = [];
  const setHits = new Set<string>();
  for (const source of sources) {
    let rewritten: ReturnType<typeof rewriteYaml>;
    try {
      rewritten = rewriteOne(source, options);
    } catch (error: unknown) {
      if (!(error instanceof NotYamlError) || source.explicit) throw error;
      context.logger.warning(`${error.file}: skipped, it ${error.reason}`);
      continue;
    }
    scanned.push(source.path);
    references.push(...rewritten.references);
    for (const hit of rewritten.setHits) setHits.add(hit);
    if (rewritten.text !== source.text) {
      changes.push({
        file: source.path,
        before: source.text,
        after: rewritten.text,
        diff: unifiedDiff(source.path, source.text, rewritten.edits),
      });
    }
  }
  const missing = options.set.find((entry) => !setHits.has(entry.raw));
  if (missing) {
    throw new ManifestError(
      `entry '${missing.raw}': the path is in none of the ${plural(scanned.length, 'file')} in scope; check the path or the files`,
      { input: 'set' },
    );
  }
  if (references.length === 0) {
    throw new ManifestError(
      `no reference to ${formatImageName(options.image)} in the ${plural(scanned.length, 'YAML file')} read from ${context.repository}@${context.base}: check the manifests path and files`,
    );
  }
  const downgradeReason = guardDowngrade(references, options);
  let previous: ReturnType<VersionFormat['parse']>;
  for (const reference of references) {
    if (reference.kind === 'set' || reference.oldTag === undefined) continue;
    const version = options.format.parse(reference.oldTag);
    if (version && (!previous || compareVersions(version, previous) > 0)) previous = version;
  }
  return {
    repository: context.repository,
    base: context.base,
    baseSha: context.baseSha,
    image: formatImageName(options.image),
    scanned,
    changes,
    references,
    diff: changes.map((change) => change.diff).join(''),
    previousVersion: previous?.tag,
    downgradeReason,
  };
}

/** Reads the app's manifests at the tip of `base` through the Git Data API: one tree, one blob each. */
async function readManifests(
  repository: GitHubRepository,
  base: string,
  manifests: ReleaseManifests,
): Promise<{ baseSha: string; sources: ManifestSource[] }> {
  const tip = await readBranchTip(repository, base);
  if (tip === undefined) {
    throw new Error(
      `branch ${base} was not found in ${repository.fullName}: check the base branch and that the token can read the repository`,
    );
  }
  const blobs = await listTreeBlobs(repository, tip.treeSha);
  if (blobs === undefined) {
    throw new Error(
      `${repository.fullName} is too large for one tree listing: name the manifest files explicitly`,
    );
  }
  const root = normalizeManifestsPath(manifests.path);
  const selected = selectManifestFiles(blobs.keys(), root, manifests.files);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const sources: ManifestSource[] = [];
  for (const file of selected) {
    const blob = blobs.get(file.path);
    if (blob === undefined) continue;
    const bytes = await readBlob(repository, blob.sha);
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      if (file.explicit) throw new NotYamlError(file.path, 'is not UTF-8 text');
      continue;
    }
    sources.push({ path: file.path, text, explicit: file.explicit });
  }
  return { baseSha: tip.sha, sources };
}

/** The host Argo CD pulls from, when the account is known; else any host with this repository path. */
function manifestImageName(target: ReleaseImageTarget): ImageName {
  if (target.registryId === undefined) return parseImageName(target.repository);
  const host = registryHost({
    accountId: target.registryId,
    region: target.region,
    ...(target.fips === undefined ? {} : { fips: target.fips }),
  });
  return parseImageName(`${host}/${target.repository}`);
}

function pullRequestBody(
  config: ReleaseConfig,
  version: ComputedVersion,
  plan: ManifestPlan,
  imageReference: string,
  digest: string | undefined,
  notes: ReleaseNotes | undefined,
): string {
  const previous = plan.previousVersion ?? version.previousVersion ?? '(none)';
  const table = markdownTable(
    ['App', 'Environment', 'Version', 'Image'],
    [
      [
        config.app,
        normalizeManifestsPath(config.manifests.path) || '.',
        `${previous} → ${version.version}${version.hotfix > 0 ? ' (hotfix)' : ''}`,
        `\`${imageReference}${digest === undefined ? '' : `@${digest}`}\``,
      ],
    ],
  );
  const parts: string[] = [];
  if (plan.downgradeReason !== undefined) {
    parts.push(
      `> [!CAUTION]\n> **Downgrade** from ${escapeMarkdownCell(previous)} to ${version.version}. Part of the application's state (the database schema) only moves forward: check before merging.\n> Reason given: ${escapeMarkdownCell(plan.downgradeReason)}`,
    );
  }
  parts.push(table.trimEnd());
  if (notes) {
    const since = notes.firstRelease ? '' : ` since ${version.previousVersion ?? ''}`;
    parts.push(`### Changes${since}\n\n${notes.markdown.trimEnd()}`);
  }
  parts.push(
    `Changed files: ${plan.changes.map((change) => `\`${change.file}\``).join(', ') || '(none)'}`,
  );
  parts.push(
    `---\nOpened by gitops-release for ${config.appRepository.owner}/${config.appRepository.repo}@${short(version.sha)}.`,
  );
  return `${parts.join('\n\n')}\n`;
}

function releaseBody(
  imageReference: string,
  digest: string | undefined,
  deployment: string,
  notes: ReleaseNotes | undefined,
): string {
  return [
    `Image: \`${imageReference}${digest === undefined ? '' : `@${digest}`}\``,
    deployment,
    notes ? notes.markdown.trimEnd() : '',
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

function validateConfig(config: ReleaseConfig): void {
  if (!APP_NAME.test(config.app)) {
    throw new Error(
      `app "${config.app}" must be letters, digits, '.', '_' or '-' (it goes into branch names and labels)`,
    );
  }
  if ((config.build === undefined) === (config.promoteFrom === undefined)) {
    throw new Error('give exactly one of a build (context) and promote-from');
  }
  if (config.allowDowngrade === true && (config.downgradeReason ?? '').trim() === '') {
    throw new ManifestError(
      'a downgrade needs a reason: it goes into the pull request and the release',
      { input: 'reason' },
    );
  }
}

class Steps {
  private index = 0;
  constructor(
    private readonly logger: ReleaseLogger,
    private readonly total: number,
  ) {}

  start(step: ReleaseStepName, title: string): void {
    this.index += 1;
    this.logger.step({ step, index: this.index, total: this.total, title });
  }
}

/** Runs the chain; see the module comment. Re-running for the same commit picks up where it stopped. */
export async function runRelease(
  config: ReleaseConfig,
  ports: ReleasePorts,
): Promise<ReleaseResult> {
  validateConfig(config);
  const { logger } = ports;
  const format = config.format ?? VersionFormat.parse(DEFAULT_FORMAT);
  const appRepository = new GitHubRepository(ports.github, config.appRepository);
  const manifestsRepository = new GitHubRepository(
    ports.manifestsGithub ?? ports.github,
    config.manifests.repository,
  );
  const steps = new Steps(logger, RELEASE_STEPS.length);
  const set = (config.manifests.set ?? [])
    .filter((entry) => entry.trim() !== '')
    .map((entry) => parseSetEntry(entry.trim()));
  const image = manifestImageName(config.image);

  // 1. The version: computed first without reserving, so a plan that fails later reserves nothing.
  steps.start(
    'version',
    `Version: ${config.hotfixOf ? `hotfix of ${config.hotfixOf}` : 'next release'} for ${short(config.sha)} in ${appRepository.fullName}`,
  );
  const sources =
    config.ecrVersions === false
      ? []
      : [cachedSource(ecrVersionSource(ports.ecr, config.image.repository))];
  // The preview's own lines would repeat what this step says; its warnings still show.
  const previewLogger: Logger = {
    debug: (message) => {
      logger.debug(message);
    },
    info: (message) => {
      logger.debug(message);
    },
    warning: (message) => {
      logger.warning(message);
    },
    error: (message) => {
      logger.error(message);
    },
  };
  const compute = (reserve: boolean) =>
    computeVersion({
      repository: appRepository,
      sha: config.sha,
      format,
      startAt: config.startAt ?? 1,
      hotfixOf: config.hotfixOf ?? '',
      reserve,
      skipIfReleased: true,
      requireChecks: [],
      extraSources: sources,
      logger: reserve ? logger : previewLogger,
    });
  let version = await compute(false);
  if (version.skipped) {
    logger.info(`nothing to release: ${version.skipReason}`);
    return { status: 'skipped', reason: version.skipReason, version };
  }
  const numbers = `numbers from git tags${sources.length > 0 ? ` and ECR ${config.image.repository}` : ''}`;
  logger.info(
    version.reservation === 'not-reserved'
      ? `${version.version} is next${version.previousVersion ? ` after ${version.previousVersion}` : ''} (${numbers}; not reserved yet)`
      : `${version.version}: ${version.gitTag} is already on ${short(version.sha)} from a run that did not finish; continuing it`,
  );

  // 2. The manifest edit, in memory.
  const base = config.manifests.base ?? (await manifestsRepository.defaultBranch());
  steps.start(
    'manifests',
    `Manifests: point ${formatImageName(image)} at ${version.version} in ${manifestsRepository.fullName}/${normalizeManifestsPath(config.manifests.path) || '.'}`,
  );
  let { baseSha, sources: manifestSources } = await readManifests(
    manifestsRepository,
    base,
    config.manifests,
  );
  const editOptions = (tag: string, digest: string | undefined): EditOptions => ({
    image,
    tag,
    digest,
    set,
    format,
    sha: version.sha,
    allowDowngrade: config.allowDowngrade === true,
    downgradeReason: (config.downgradeReason ?? '').trim(),
  });
  const planFor = (tag: string, digest: string | undefined): ManifestPlan =>
    planManifestEdit(manifestSources, editOptions(tag, digest), {
      repository: manifestsRepository.fullName,
      base,
      baseSha,
      logger,
    });
  let plan = planFor(version.version, undefined);
  logger.info(
    `${plural(plan.references.length, 'reference')} in ${plural(plan.scanned.length, 'file')} at ${base}@${short(baseSha)}; ${plural(plan.changes.length, 'file')} to change`,
  );
  if (plan.downgradeReason !== undefined) {
    logger.warning(`downgrading to ${version.version}: ${plan.downgradeReason}`);
  }

  // 3. The image.
  const repository = config.image.repository;
  const expectedRegistry = config.image.registryId === undefined ? undefined : image.registry;
  const buildText = config.build
    ? `build ${config.build.context}${config.build.file ? ` (${config.build.file})` : ''}`
    : `promote ${repository}:${config.promoteFrom ?? ''}`;
  steps.start(
    'image',
    `Image: ${buildText} ${config.dryRun ? 'without pushing' : 'and push'} ${repository}:${version.version}`,
  );
  // A run that stopped after its push left the image under the tag reserved for this commit (the
  // reservation makes the tag this commit's alone): use it, since a rebuild need not be
  // byte-identical.
  const earlier =
    version.reservation === 'reused' && config.build !== undefined
      ? await findPublishedImage(ports, repository, version.version, expectedRegistry)
      : undefined;
  if (earlier !== undefined) {
    logger.info(
      `${repository}:${version.version} is already in ECR (${earlier.digest ?? ''}), pushed by an earlier run for ${short(version.sha)}: not building it again`,
    );
  } else if (!config.dryRun) {
    const reserving = version.reservation === 'not-reserved';
    const publishing = `${config.build ? 'push' : 'promote'} ${formatImageName(image)}:${version.version}`;
    const question = reserving
      ? `Reserve ${version.gitTag} in ${appRepository.fullName} and ${publishing}?`
      : `${publishing.charAt(0).toUpperCase()}${publishing.slice(1)} (${version.gitTag} is already reserved)?`;
    if (!(await ports.confirm(question))) {
      return cancelled(
        version,
        plan,
        reserving
          ? `declined before ${version.gitTag} was reserved: nothing was changed`
          : `declined before the image was published: nothing was changed (${version.gitTag} stays reserved for ${short(version.sha)})`,
      );
    }
    if (reserving) {
      const previewed = version.version;
      version = await compute(true);
      if (version.skipped) return { status: 'skipped', reason: version.skipReason, version };
      if (version.version !== previewed) {
        logger.info(
          `${previewed} was taken by another run meanwhile: releasing as ${version.version}`,
        );
        plan = planFor(version.version, undefined);
      }
    }
  }
  const published =
    earlier ?? (await publishReleaseImage(config, ports, version.version, expectedRegistry));
  const reference = `${formatImageName(image)}:${version.version}`;
  const releaseImage: ReleaseImage = {
    reference: image.registry === undefined ? published.pushedTo : reference,
    pushedTo: published.pushedTo,
    digest: published.digest,
    outcome: published.outcome,
    promotedFrom: config.promoteFrom,
    publish: published.publish,
  };
  const pinnedDigest = config.pinDigest === true ? published.digest : undefined;
  if (pinnedDigest !== undefined) plan = planFor(version.version, pinnedDigest);

  // 4. The manifests change: a pull request, or a commit straight to the base.
  const notes = await readNotes(appRepository, format, version, logger);
  const title = `Release ${config.app} ${version.version}`;
  const pullRequestFor = (edit: ManifestPlan): PullRequestPlan => ({
    repository: manifestsRepository.fullName,
    branch: `release/${config.app}/${version.version}`,
    base,
    title,
    body: pullRequestBody(config, version, edit, releaseImage.reference, published.digest, notes),
    labels: [`release:${config.app}`, ...(config.labels ?? [])],
    reviewers: config.reviewers ?? [],
    teamReviewers: config.teamReviewers ?? [],
  });
  let pullRequestPlan = pullRequestFor(plan);
  steps.start(
    'change',
    config.mode === 'direct'
      ? `Commit: ${plural(plan.changes.length, 'file')} straight to ${base} of ${manifestsRepository.fullName}`
      : `Pull request: ${pullRequestPlan.branch} → ${base} of ${manifestsRepository.fullName}`,
  );
  if (plan.diff !== '') logger.info(`diff:\n${plan.diff.trimEnd()}`);
  const planned = () => ({
    version,
    manifests: plan,
    image: releaseImage,
    ...(config.mode === 'pull-request' ? { pullRequest: pullRequestPlan } : {}),
  });
  if (config.dryRun) {
    logger.info(
      plan.changes.length === 0
        ? `${base} already holds ${version.version}: no change would be made`
        : config.mode === 'direct'
          ? `would commit ${plural(plan.changes.length, 'file')} to ${base}`
          : `would open "${title}" from ${pullRequestPlan.branch} with labels ${pullRequestPlan.labels.join(', ')}`,
    );
    steps.start(
      'release',
      `Release: ${version.gitTag} would be published in ${appRepository.fullName}`,
    );
    return { status: 'planned', reason: '', ...planned() };
  }
  let commit: ManifestCommit | undefined;
  let opened: OpenedPullRequest | undefined;
  if (plan.changes.length === 0) {
    logger.info(`${base} already holds ${version.version}: nothing to change`);
  } else {
    const question =
      config.mode === 'direct'
        ? `Commit ${plural(plan.changes.length, 'file')} straight to ${base} of ${manifestsRepository.fullName}?`
        : `Open the pull request ${pullRequestPlan.branch} → ${base} in ${manifestsRepository.fullName}?`;
    if (!(await ports.confirm(question))) {
      return cancelled(
        version,
        plan,
        `declined before the manifests changed: ${releaseImage.pushedTo} is pushed and ${version.gitTag} reserved; a re-run continues from there`,
        releaseImage,
      );
    }
    // The build and push took a while: a base that moved meanwhile gets the edit made again on its
    // files, so the pull request never reverts what others merged.
    const tip =
      config.mode === 'direct' ? undefined : await readBranchTip(manifestsRepository, base);
    if (tip !== undefined && tip.sha !== baseSha) {
      logger.info(
        `${base} moved to ${short(tip.sha)} meanwhile: making the edit again on its files`,
      );
      ({ baseSha, sources: manifestSources } = await readManifests(
        manifestsRepository,
        base,
        config.manifests,
      ));
      plan = planFor(version.version, pinnedDigest);
      pullRequestPlan = pullRequestFor(plan);
    }
    if (plan.changes.length === 0) {
      logger.info(`${base} already holds ${version.version}: nothing to change`);
    } else if (config.mode === 'direct') {
      commit = await commitDirectly(
        manifestsRepository,
        plan,
        editOptions(version.version, pinnedDigest),
        manifestSources,
        title,
        logger,
      );
    } else {
      ({ commit, opened } = await openPullRequest(
        manifestsRepository,
        pullRequestPlan,
        plan.changes,
        format,
        version.version,
        logger,
      ));
    }
  }

  // 5. The GitHub release: compute-version reads it as "this commit is released".
  steps.start('release', `Release: publish ${version.gitTag} in ${appRepository.fullName}`);
  const deployment = opened
    ? `Manifest pull request: ${opened.url}`
    : commit
      ? `Manifest commit: ${manifestsRepository.fullName}@${commit.sha}`
      : `Manifests already at ${version.version} in ${manifestsRepository.fullName}@${base}`;
  const release = await appRepository.publishRelease(version.gitTag, {
    name: `${config.app} ${version.version}`,
    body: releaseBody(releaseImage.reference, published.digest, deployment, notes),
  });
  logger.info(`${release.created ? 'published' : 'found'} release ${release.htmlUrl}`);
  return {
    status: 'released',
    reason: '',
    ...planned(),
    ...(config.mode === 'pull-request'
      ? { pullRequest: { ...pullRequestPlan, ...(opened ? { opened } : {}) } }
      : {}),
    ...(commit ? { commit } : {}),
    release: { url: release.htmlUrl, created: release.created },
  };
}

function cancelled(
  version: ComputedVersion,
  manifests: ManifestPlan,
  reason: string,
  image?: ReleaseImage,
): ReleaseResult {
  return { status: 'cancelled', reason, version, manifests, ...(image ? { image } : {}) };
}

async function readNotes(
  appRepository: GitHubRepository,
  format: VersionFormat,
  version: ComputedVersion,
  logger: Logger,
): Promise<ReleaseNotes | undefined> {
  try {
    return await releaseNotes(appRepository, {
      ...(version.previousVersion === undefined
        ? {}
        : { from: format.gitTagPrefix + version.previousVersion }),
      to: version.sha,
      limit: 50,
    });
  } catch (error: unknown) {
    // Notes help reviewers but never block a release.
    logger.warning(`release notes from ${appRepository.fullName} skipped: ${errorMessage(error)}`);
    return undefined;
  }
}

interface PublishedImage {
  readonly pushedTo: string;
  readonly digest: string | undefined;
  readonly outcome: PublishOutcome | 'checked';
  readonly publish: PublishResult | undefined;
}

/** The image already under `tag` in ECR, if any, named by the registry it is pushed to. */
async function findPublishedImage(
  ports: ReleasePorts,
  repository: string,
  tag: string,
  expectedRegistry: string | undefined,
): Promise<PublishedImage | undefined> {
  const digest = await ports.ecr.getImageDigest(repository, tag);
  if (digest === undefined) return undefined;
  const auth = await ports.ecr.getAuthorization();
  (ports.maskSecret ?? (() => undefined))(auth.password);
  const registry = chooseRegistryHost(auth.registry, expectedRegistry);
  return {
    pushedTo: `${registry}/${repository}:${tag}`,
    digest,
    outcome: 'already-present',
    publish: undefined,
  };
}

/** Build and push (or build only in a dry run), or promote; the docker credentials go afterwards. */
async function publishReleaseImage(
  config: ReleaseConfig,
  ports: ReleasePorts,
  tag: string,
  expectedRegistry: string | undefined,
): Promise<PublishedImage> {
  const { logger } = ports;
  const repository = config.image.repository;
  const maskSecret = ports.maskSecret ?? (() => undefined);
  if (config.promoteFrom !== undefined && config.dryRun) {
    const digest = await ports.ecr.getImageDigest(repository, config.promoteFrom);
    if (digest === undefined) {
      throw new Error(
        `cannot promote: tag '${config.promoteFrom}' not found in ECR repository '${repository}' (${ports.ecr.region})`,
      );
    }
    logger.info(`would promote ${repository}:${config.promoteFrom} (${digest}) to ${tag}`);
    const auth = await ports.ecr.getAuthorization();
    maskSecret(auth.password);
    return {
      pushedTo: `${expectedRegistry ?? auth.registry}/${repository}:${tag}`,
      digest,
      outcome: 'checked',
      publish: undefined,
    };
  }
  const build = config.build;
  const configDir =
    build === undefined ? undefined : createDockerConfigDir(ports.tempDir ?? tmpdir());
  const docker =
    configDir === undefined
      ? undefined
      : new DockerCli({
          exec: ports.exec,
          logger,
          configDir,
          ...(ports.docker === undefined ? {} : { docker: ports.docker }),
        });
  let loggedIn: string | undefined;
  try {
    const result = await publishImage(
      {
        repository,
        tags: [tag],
        ifTagExists: 'skip-same-digest',
        expectedRegistry,
        promoteFrom: config.promoteFrom,
        build:
          build === undefined
            ? undefined
            : {
                context: build.context,
                file: build.file,
                buildArgs: build.buildArgs,
                target: build.target,
                platform: build.platform,
                network: build.network,
                push: !config.dryRun,
                source: {
                  serverUrl: config.serverUrl ?? 'https://github.com',
                  repository: `${config.appRepository.owner}/${config.appRepository.repo}`,
                  revision: config.sha,
                },
              },
      },
      {
        ecr: ports.ecr,
        docker,
        logger,
        maskSecret,
        onLogin: (registry) => {
          loggedIn = registry;
        },
        clock: ports.clock,
      },
    );
    logger.info(
      result.digest === undefined
        ? 'not pushed (dry run)'
        : `${result.image}@${result.digest} (${result.outcome})`,
    );
    return {
      pushedTo: result.image,
      digest: result.digest,
      outcome: result.outcome,
      publish: result,
    };
  } finally {
    if (docker !== undefined && configDir !== undefined) {
      if (loggedIn !== undefined) await docker.logout(loggedIn);
      removeDockerConfigDir(configDir);
    }
  }
}

async function openPullRequest(
  manifests: GitHubRepository,
  plan: PullRequestPlan,
  changes: readonly ManifestChange[],
  format: VersionFormat,
  version: string,
  logger: Logger,
): Promise<{ commit: ManifestCommit; opened: OpenedPullRequest | undefined }> {
  const [releaseLabel = ''] = plan.labels;
  const branchPrefix = plan.branch.slice(0, plan.branch.length - version.length);
  const ours = format.parse(version);
  const result = await commitAndOpenPullRequest(manifests, {
    branch: plan.branch,
    base: plan.base,
    files: changes.map((change) => ({ path: change.file, content: change.after })),
    message: plan.title,
    title: plan.title,
    body: plan.body,
    labels: plan.labels,
    reviewers: plan.reviewers,
    teamReviewers: plan.teamReviewers,
    supersede: {
      label: releaseLabel,
      branchPrefix,
      comment: (kept) => `Superseded by #${String(kept.number)} (${version}).`,
      // Only older releases: a slow run must never close a newer release's pull request.
      supersedes: (candidate) => {
        const theirs = format.parse(candidate.headRef.slice(branchPrefix.length));
        return !ours || !theirs || compareVersions(theirs, ours) < 0;
      },
    },
    logger,
  });
  const commit = {
    sha: result.commit.commitSha,
    branch: plan.branch,
    changed: result.commit.changed,
  };
  const pull = result.pullRequest;
  if (pull === undefined) return { commit, opened: undefined };
  logger.info(pull.htmlUrl);
  return {
    commit,
    opened: {
      number: pull.number,
      url: pull.htmlUrl,
      operation: pull.operation,
      superseded: result.superseded,
      supersededBy: result.supersededBy,
    },
  };
}

/**
 * Direct mode: the base only fast-forwards. When someone pushed in between, the edit is made again
 * on their version of each file, with the downgrade guard applied to what is there now.
 */
async function commitDirectly(
  manifests: GitHubRepository,
  plan: ManifestPlan,
  options: EditOptions,
  sources: readonly ManifestSource[],
  message: string,
  logger: Logger,
): Promise<ManifestCommit> {
  const edits: FileEdit[] = plan.changes.map((change) => ({
    path: change.file,
    edit: (current) => {
      if (current === change.before) return change.after;
      if (current === undefined) {
        throw new Error(
          `${change.file} was removed from ${plan.base} while releasing: run the release again`,
        );
      }
      const explicit = sources.some((source) => source.path === change.file && source.explicit);
      const rewritten = rewriteOne({ path: change.file, text: current, explicit }, options);
      guardDowngrade(rewritten.references, options);
      return rewritten.text;
    },
  }));
  const result = await commitEditsToBranch(manifests, {
    branch: plan.base,
    edits,
    message,
    logger,
  });
  logger.info(
    result.changed
      ? `committed ${result.commitSha} to ${plan.base}`
      : `${plan.base} already held the change`,
  );
  return { sha: result.commitSha, branch: plan.base, changed: result.changed };
}
