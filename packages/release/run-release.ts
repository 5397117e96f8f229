/**
 * The whole release as one sequence of the steps the actions run one by one (preflight, version,
 * manifests, image, change, release), plus what only a terminal has: a preview before anything is
 * written, the confirmations, and the dry run.
 *
 * Nothing is written until the plan checks out: the version is computed without reserving it and
 * the manifest edit is made in memory first, so a wrong manifests path, a refused downgrade or a
 * declined confirmation leaves no tag, no image and no branch behind.
 */
import { checkParameters, createParameterLookup } from '../external-secrets/index.js';
import { GitHubRepository, tagListerFor, type TagLister } from '../github/index.js';
import type { Logger } from '../kit/index.js';
import { formatImageName, prepareManifestEdit, type PreparedEdit } from '../manifest/index.js';
import { DEFAULT_FORMAT, VersionFormat } from '../version/index.js';
import { changeManifests, type ChangeResult } from './change.js';
import { ecrVersionSource } from './ecr-source.js';
import {
  deploymentOf,
  pullRequestBody,
  readReleaseNotes,
  readReleaseSource,
  type ReleaseFacts,
} from './facts.js';
import { allowedReason, imageOf, publishConfiguredImage } from './release-image.js';
import {
  manifestImageName,
  planManifests,
  readManifestsAtBase,
  type ManifestPlan,
  type ManifestsAtBase,
} from './manifests.js';
import { markReleased } from './mark-released.js';
import { checkReleaseRequest, normalizeManifestsPath } from './preflight.js';
import {
  RELEASE_STEPS,
  type ManifestCommit,
  type OpenedPullRequest,
  type ReleaseConfig,
  type ReleaseImage,
  type ReleasePorts,
  type ReleaseResult,
  type ReleaseStepName,
} from './release-config.js';
import { computeVersion, type ComputedVersion, type VersionSource } from './version.js';

const short = (sha: string): string => sha.slice(0, 7);
const plural = (count: number, noun: string): string =>
  `${String(count)} ${noun}${count === 1 ? '' : 's'}`;

/** What every step of one run shares. */
interface Run {
  readonly config: ReleaseConfig;
  readonly ports: ReleasePorts;
  readonly logger: Logger;
  readonly format: VersionFormat;
  readonly app: GitHubRepository;
  readonly manifests: GitHubRepository;
  readonly root: string;
  readonly base: string;
  readonly sources: readonly VersionSource[];
  /** Chosen once: the preview and the reservation list tags the same way. */
  readonly tags: TagLister;
  readonly step: (name: ReleaseStepName, title: string) => void;
}

/** Computes a source once: the preview and the reservation read ECR's tags once between them. */
function cachedSource(source: VersionSource): VersionSource {
  let versions: ReturnType<VersionSource['listVersions']> | undefined;
  return {
    name: source.name,
    listVersions: (format) => (versions ??= source.listVersions(format)),
  };
}

/** The preview's own lines would repeat what the step says; its warnings still show. */
function quieter(logger: Logger): Logger {
  return {
    ...logger,
    info: (message) => {
      logger.debug(message);
    },
  };
}

function computeFor(run: Run, reserve: boolean): Promise<ComputedVersion> {
  return computeVersion({
    repository: run.app,
    sha: run.config.sha,
    format: run.format,
    startAt: run.config.startAt ?? 1,
    hotfixOf: run.config.hotfixOf ?? '',
    reserve,
    // A hotfix is re-run on purpose (the next environment, or to settle its pull request).
    skipIfReleased: !run.config.hotfixOf,
    requireChecks: run.config.requireChecks ?? [],
    divergedReason: allowedReason(run.config),
    extraSources: run.sources,
    tags: run.tags,
    logger: reserve ? run.logger : quieter(run.logger),
  });
}

function editFor(run: Run, version: ComputedVersion, digest: string | undefined): PreparedEdit {
  return prepareManifestEdit({
    image: formatImageName(manifestImageName(run.config.image)),
    tag: version.version,
    digest,
    set: run.config.manifests.set,
    format: run.format,
    sha: version.sha,
    allowDowngrade: run.config.allowDowngrade,
    downgradeReason: run.config.downgradeReason,
  });
}

function planFor(run: Run, read: ManifestsAtBase, edit: PreparedEdit): ManifestPlan {
  const where = { repository: run.manifests.fullName, base: run.base };
  return planManifests(read, edit, where, run.logger);
}

async function factsOf(
  run: Run,
  version: ComputedVersion,
  image: ReleaseImage,
  plan: ManifestPlan,
): Promise<ReleaseFacts> {
  const previousVersion = plan.previousVersion ?? version.previousVersion;
  // A promoted image holds the commit of its revision: the notes and the source are that commit's.
  const commit = image.promotedSource?.revision ?? version.sha;
  const [notes, source] = await Promise.all([
    readReleaseNotes(
      run.app,
      { previousVersion, gitTagPrefix: run.format.gitTagPrefix, to: commit },
      run.logger,
    ),
    readReleaseSource(run.app, commit, run.config.sourceRef, run.logger),
  ]);
  return {
    app: run.config.app,
    version: version.version,
    previousVersion,
    hotfix: version.hotfix > 0,
    appRepository: run.app.fullName,
    commit,
    image: {
      reference: image.pushedTo,
      digest: image.digest,
      promotedFrom: image.promotedFrom,
      source: image.promotedSource,
    },
    environment: run.root || '.',
    changedFiles: plan.changedFiles,
    downgradeReason: plan.downgradeReason,
    notes,
    source,
  };
}

/** Version, manifests and image of a run, or why it stopped before the manifests change. */
type Prepared =
  | { readonly done: ReleaseResult }
  | {
      readonly version: ComputedVersion;
      readonly plan: ManifestPlan;
      readonly read: ManifestsAtBase;
      readonly image: ReleaseImage;
    };

/** Steps 1-3: the version (previewed, then reserved), the edit in memory, the image. */
async function prepare(run: Run): Promise<Prepared> {
  const { config, logger } = run;
  run.step(
    'version',
    `Version: ${config.hotfixOf ? `hotfix of ${config.hotfixOf}` : 'next release'} for ${short(config.sha)} in ${run.app.fullName}`,
  );
  let version = await computeFor(run, false);
  if (version.skipped) {
    logger.info(`nothing to release: ${version.skipReason}`);
    return { done: { status: 'skipped', reason: version.skipReason, version } };
  }
  const numbers = `numbers from git tags${run.sources.length > 0 ? ` and ECR ${config.image.repository}` : ''}`;
  logger.info(
    version.reservation === 'not-reserved'
      ? `${version.version} is next${version.previousVersion ? ` after ${version.previousVersion}` : ''} (${numbers}; not reserved yet)`
      : `${version.version}: ${version.gitTag} is already on ${short(version.sha)} from a run that did not finish; continuing it`,
  );

  run.step(
    'manifests',
    `Manifests: point ${formatImageName(manifestImageName(config.image))} at ${version.version} in ${run.manifests.fullName}/${run.root || '.'}`,
  );
  const read = await readManifestsAtBase(run.manifests, run.base, run.root, config.manifests.files);
  let plan = planFor(run, read, editFor(run, version, undefined));
  logger.info(
    `${plural(plan.references.length, 'reference')} in ${plural(plan.files.length, 'file')} at ${run.base}@${short(read.baseSha)}; ${plural(plan.changes.length, 'file')} to change`,
  );
  // Before anything is reserved or pushed: the new pods must find the secrets they are promised.
  await checkParameters({
    sources: read.sources,
    mode: config.checkParameters ?? 'error',
    region: config.image.region,
    regionInput: 'region',
    modeInput: 'check-parameters',
    lookupFor:
      run.ports.parameterLookup ??
      ((region) => createParameterLookup({ region, logger, modeInput: 'check-parameters' })),
    logger,
  });

  const repository = config.image.repository;
  const what = config.build
    ? `build ${config.build.context}${config.build.file ? ` (${config.build.file})` : ''}`
    : `promote ${repository}:${config.promoteFrom ?? ''}`;
  run.step(
    'image',
    `Image: ${what} ${config.dryRun ? 'without pushing' : 'and push'} ${repository}:${version.version}`,
  );
  // A run that stopped after its push left the image under the tag reserved for this commit: the
  // image step checks it is this release (its provenance record) instead of asking to push again.
  const pushedBefore =
    version.reservation === 'reused' &&
    (await run.ports.ecr.getImageDigest(config.image.repository, version.version)) !== undefined;
  if (!config.dryRun && !pushedBefore) {
    const reserving = version.reservation === 'not-reserved';
    const publishing = `${config.build ? 'push' : 'promote'} ${plan.image}:${version.version}`;
    const question = reserving
      ? `Reserve ${version.gitTag} in ${run.app.fullName} and ${publishing}?`
      : `${publishing.charAt(0).toUpperCase()}${publishing.slice(1)} (${version.gitTag} is already reserved)?`;
    if (!(await run.ports.confirm(question))) {
      const reason = reserving
        ? `declined before ${version.gitTag} was reserved: nothing was changed`
        : `declined before the image was published: nothing was changed (${version.gitTag} stays reserved for ${short(version.sha)})`;
      return { done: { status: 'cancelled', reason, version, manifests: plan } };
    }
    if (reserving) {
      const previewed = version.version;
      version = await computeFor(run, true);
      if (version.skipped) {
        return { done: { status: 'skipped', reason: version.skipReason, version } };
      }
      if (version.version !== previewed) {
        logger.info(
          `${previewed} was taken by another run meanwhile: releasing as ${version.version}`,
        );
        plan = planFor(run, read, editFor(run, version, undefined));
      }
    }
  }
  const published = await publishConfiguredImage(run, version);
  logger.info(
    published.digest === undefined
      ? 'not pushed (dry run)'
      : `${published.image}@${published.digest} (${published.outcome})`,
  );
  const image = imageOf(run.config, version, published);
  if (config.pinDigest === true && image.digest !== undefined) {
    plan = planFor(run, read, editFor(run, version, image.digest));
  }
  return { version, plan, read, image };
}

function pullRequestPlan(run: Run, version: ComputedVersion, body: string) {
  const { config } = run;
  return {
    repository: run.manifests.fullName,
    branch: `release/${config.app}/${version.version}`,
    base: run.base,
    title: `Release ${config.app} ${version.version}`,
    body,
    labels: [`release:${config.app}`, ...(config.labels ?? [])],
    reviewers: config.reviewers ?? [],
    teamReviewers: config.teamReviewers ?? [],
  };
}

function openedOf(change: ChangeResult | undefined): OpenedPullRequest | undefined {
  const pull = change?.pullRequest;
  if (change === undefined || pull === undefined || change.operation === 'committed')
    return undefined;
  const { operation, superseded, supersededBy } = change;
  return { ...pull, operation, superseded, supersededBy };
}

const commitOf = (change: ChangeResult): ManifestCommit => ({
  sha: change.commitSha,
  branch: change.branch,
  changed: change.changed,
});

/** Steps 4-5: the manifests change (or its description in a dry run), then the GitHub release. */
async function finish(
  run: Run,
  prepared: Exclude<Prepared, { done: ReleaseResult }>,
): Promise<ReleaseResult> {
  const { config, logger } = run;
  const { version, plan, image } = prepared;
  const facts = await factsOf(run, version, image, plan);
  const pullRequest = pullRequestPlan(run, version, pullRequestBody(facts, { body: config.body }));
  const direct = config.mode === 'direct';
  run.step(
    'change',
    direct
      ? `Commit: ${plural(plan.changes.length, 'file')} straight to ${run.base} of ${run.manifests.fullName}`
      : `Pull request: ${pullRequest.branch} → ${run.base} of ${run.manifests.fullName}`,
  );
  if (plan.diff !== '') logger.info(`diff:\n${plan.diff.trimEnd()}`);
  const planned = {
    version,
    manifests: plan,
    image,
    facts,
    ...(direct ? {} : { pullRequest }),
  };
  if (config.dryRun) {
    logger.info(
      plan.changes.length === 0
        ? `${run.base} already holds ${version.version}: no change would be made`
        : direct
          ? `would commit ${plural(plan.changes.length, 'file')} to ${run.base}`
          : `would open "${pullRequest.title}" from ${pullRequest.branch} with labels ${pullRequest.labels.join(', ')}`,
    );
    run.step('release', `Release: ${version.gitTag} would be published in ${run.app.fullName}`);
    return { status: 'planned', reason: '', ...planned };
  }
  const supersede = {
    app: config.app,
    version: version.version,
    format: run.format,
    deployed: plan.previousVersion,
    releases: { repository: run.app, gitTagPrefix: run.format.gitTagPrefix },
  };
  let change: ChangeResult | undefined;
  if (plan.changes.length === 0) {
    logger.info(
      plan.ahead === undefined
        ? `${run.base} already holds ${version.version}: nothing to change`
        : `${run.base} is ahead of the hotfix ${version.version} (${plan.ahead}): skipped, nothing to change`,
    );
    // The other release pull requests are still settled against what the base deploys.
    if (!direct) {
      change = await changeManifests(run.manifests, {
        mode: config.mode,
        base: run.base,
        files: [],
        message: pullRequest.title,
        pullRequest: { ...pullRequest, body: () => pullRequest.body },
        supersede,
        logger,
      });
    }
  } else {
    const question = direct
      ? `Commit ${plural(plan.changes.length, 'file')} straight to ${run.base} of ${run.manifests.fullName}?`
      : `Open the pull request ${pullRequest.branch} → ${run.base} in ${run.manifests.fullName}?`;
    if (!(await run.ports.confirm(question))) {
      const reason = `declined before the manifests changed: ${image.pushedTo} is pushed and ${version.gitTag} reserved; a re-run continues from there`;
      return { status: 'cancelled', reason, version, manifests: plan, image };
    }
    change = await changeManifests(run.manifests, {
      mode: config.mode,
      base: run.base,
      baseSha: plan.baseSha,
      files: plan.changes.map((file) => ({
        path: file.file,
        before: file.before,
        after: file.after,
      })),
      // The edit as planned, layered values overrides included, for a base that moves meanwhile.
      edit: prepareManifestEdit({
        ...editFor(run, version, config.pinDigest === true ? image.digest : undefined).record,
        overrides: plan.overrides,
      }),
      message: pullRequest.title,
      pullRequest: {
        ...pullRequest,
        body: (changedFiles) => pullRequestBody({ ...facts, changedFiles }, { body: config.body }),
      },
      supersede,
      logger,
    });
  }
  run.step('release', `Release: publish ${version.gitTag} in ${run.app.fullName}`);
  const deployment = deploymentOf(change, run.manifests.fullName, run.base);
  const release = await markReleased(run.app, version.gitTag, facts, deployment, logger);
  const opened = openedOf(change);
  return {
    status: 'released',
    reason: '',
    ...planned,
    ...(direct ? {} : { pullRequest: { ...pullRequest, ...(opened ? { opened } : {}) } }),
    ...(change ? { change, commit: commitOf(change) } : {}),
    release,
  };
}

/** Runs the chain; see the module comment. Re-running for the same commit picks up where it stopped. */
export async function runRelease(
  config: ReleaseConfig,
  ports: ReleasePorts,
): Promise<ReleaseResult> {
  checkReleaseRequest({
    app: config.app,
    mode: config.mode,
    manifestsPath: config.manifests.path,
    manifestsFiles: config.manifests.files,
    hotfixOf: config.hotfixOf,
    promoteFrom: config.promoteFrom,
    canBuild: config.build !== undefined,
    allowDowngrade: config.allowDowngrade,
    downgradeReason: config.downgradeReason,
  });
  const manifests = new GitHubRepository(
    ports.manifestsGithub ?? ports.github,
    config.manifests.repository,
  );
  const app = new GitHubRepository(ports.github, config.appRepository);
  let index = 0;
  const run: Run = {
    config,
    ports,
    logger: ports.logger,
    format: config.format ?? VersionFormat.parse(DEFAULT_FORMAT),
    app,
    tags: tagListerFor(app, ports.gitTags, ports.logger),
    manifests,
    root: normalizeManifestsPath(config.manifests.path),
    base: config.manifests.base ?? (await manifests.defaultBranch()),
    sources:
      config.ecrVersions === false
        ? []
        : [cachedSource(ecrVersionSource(ports.ecr, config.image.repository, ports.logger))],
    step: (step, title) => {
      index += 1;
      ports.logger.step?.({ step, index, total: RELEASE_STEPS.length, title });
    },
  };
  const prepared = await prepare(run);
  return 'done' in prepared ? prepared.done : finish(run, prepared);
}
