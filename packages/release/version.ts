import type { GitHubRepository, TagLister, TagRef } from '../github/index.js';
import { InputError, type Logger } from '../kit/index.js';
import { findNewestGreenCommit, type GreenCommitSearch } from './green-commit.js';
import {
  compareVersions,
  latestVersion,
  nextHotfix,
  nextVersion,
  outOfRangeWarning,
  type Version,
  type VersionFormat,
} from '../version/index.js';

/** Another place release numbers live besides git tags (ecr-source.ts: ECR image tags). */
export interface VersionSource {
  readonly name: string;
  listVersions(format: VersionFormat): Promise<Version[]>;
}

export type Reservation = 'created' | 'reused' | 'released' | 'not-reserved';

export interface ComputeVersionRequest {
  readonly repository: GitHubRepository;
  /** Full or short SHA of the commit to release. */
  readonly sha: string;
  readonly format: VersionFormat;
  /** First N when no version exists anywhere; also a floor. */
  readonly startAt: number;
  /** Release (image tag or git tag) to hotfix; empty for a normal release. */
  readonly hotfixOf?: string;
  /** Create the git tag (compare-and-swap) so no other run can take the number. */
  readonly reserve: boolean;
  /** Report `skipped` instead of a version when the commit's release already finished. */
  readonly skipIfReleased: boolean;
  readonly requireChecks: readonly string[];
  /**
   * Release the newest first-parent commit of `branch` (empty: the default branch) whose
   * `requireChecks` all succeeded, at most `lookBack` commits back, instead of `sha`; none green
   * releases nothing (`skipped`).
   */
  readonly newestGreen?: { readonly branch: string; readonly lookBack?: number } | undefined;
  /**
   * The reason a commit that has diverged from the newest release (some of that release's commits
   * are missing from it) is released anyway; without it such a commit is refused like one behind.
   */
  readonly divergedReason?: string | undefined;
  readonly extraSources?: readonly VersionSource[];
  /** Where the git tags are listed from (git-tags.ts: git protocol, else the API); default the API. */
  readonly tags?: TagLister;
  readonly logger: Logger;
  /** Reservation attempts before giving up; each lost race re-reads the tags. Default 30. */
  readonly maxAttempts?: number;
  readonly sleep?: (milliseconds: number) => Promise<void>;
  readonly random?: () => number;
}

export interface ComputedVersion {
  /** The image tag, e.g. `v0.0.418`. */
  readonly version: string;
  readonly number: number;
  readonly hotfix: number;
  readonly gitTag: string;
  readonly previousVersion: string | undefined;
  readonly sha: string;
  readonly reservation: Reservation;
  readonly skipped: boolean;
  readonly skipReason: string;
  /** How many reservation attempts were made (1 unless another run won a race). */
  readonly attempts: number;
  /** Set when a diverged commit was released with a reason: the release whose commits it lacks. */
  readonly diverged?: { readonly from: string; readonly missing: number } | undefined;
  /** With newestGreen: the commit chosen and the newer ones passed over, each with why. */
  readonly greenSearch?: GreenCommitSearch | undefined;
}

interface GitVersion extends Version {
  readonly ref: TagRef;
}

// Annotated tags need one extra call each to find their commit; only the newest are looked at.
const ANNOTATED_TAGS_PEELED = 50;

const defaultSleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Picks and reserves the next release tag for a commit.
 *
 * The version step, for compute-version and the CLI alike. The rules (documented in
 * actions/compute-version/README.md):
 * - a commit that already carries a release tag keeps it: a re-run never burns a new number;
 * - the tag counts as *released* only when a (non-draft) GitHub release exists for it, which the last
 *   step of a release (mark-released.ts) creates; a reserved but unreleased tag is reused and never causes a skip;
 * - a normal release of a commit that is behind the newest release would deploy older code: refused
 *   (or skipped, with skip-if-released, since that commit's changes are already released);
 * - reservation is create-ref; "already exists" means another run won, so re-read and try the next N.
 */
export async function computeVersion(request: ComputeVersionRequest): Promise<ComputedVersion> {
  const { newestGreen } = request;
  if (!newestGreen) return computeVersionOfCommit(request);
  if (request.hotfixOf?.trim()) {
    throw new InputError(
      'hotfix-of',
      'a hotfix names the commit that carries the fix: give its sha instead of newest-green',
    );
  }
  // Also the check that the repository exists.
  const defaultBranch = await request.repository.defaultBranch();
  const search = await findNewestGreenCommit(
    request.repository,
    newestGreen.branch.trim() || defaultBranch,
    request.requireChecks,
    { lookBack: newestGreen.lookBack, logger: request.logger },
  );
  if (!search.chosen) {
    return {
      version: '',
      number: 0,
      hotfix: 0,
      gitTag: '',
      previousVersion: undefined,
      sha: '',
      reservation: 'not-reserved',
      skipped: true,
      skipReason: search.reason,
      attempts: 0,
      greenSearch: search,
    };
  }
  // The chosen commit's checks were just read: not asked for again.
  const result = await computeVersionOfCommit({
    ...request,
    sha: search.chosen.sha,
    requireChecks: [],
  });
  return { ...result, greenSearch: search };
}

async function computeVersionOfCommit(request: ComputeVersionRequest): Promise<ComputedVersion> {
  const { repository, format, logger } = request;
  const maxAttempts = request.maxAttempts ?? 30;
  const sleep = request.sleep ?? defaultSleep;
  const random = request.random ?? Math.random;
  const hotfixOf = request.hotfixOf?.trim() ?? '';
  const tags = request.tags ?? { listTags: (prefix: string) => repository.listTags(prefix) };

  await repository.assertExists();
  const sha = await repository.resolveCommit(request.sha);
  if (!sha) {
    throw new InputError(
      'sha',
      `commit ${request.sha} was not found in ${repository.fullName}: give a commit that exists there`,
    );
  }
  if (hotfixOf !== '' && !format.parseEither(hotfixOf)) {
    throw new InputError(
      'hotfix-of',
      `"${hotfixOf}" does not match the format ${format.template}: give a release such as ${format.render(417).tag}`,
    );
  }
  await assertChecksPassed(repository, sha, request.requireChecks);

  const extraVersions: Version[] = [];
  for (const source of request.extraSources ?? []) {
    const versions = await source.listVersions(format);
    logger.info(`${source.name}: ${String(versions.length)} versions in format ${format.template}`);
    extraVersions.push(...versions);
  }

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const gitVersions = await listGitVersions(tags, repository.fullName, format, logger);
    const all: Version[] = [...gitVersions, ...extraVersions];
    // A hotfix of a release that does not exist is refused before anything else is looked at.
    const hotfix = hotfixOf === '' ? undefined : nextHotfix(format, all, hotfixOf);
    const onCommit = await versionsOnCommit(repository, gitVersions, sha);
    const existing = pickExisting(onCommit, hotfixOf, format);
    if (existing) {
      return reuseExisting(request, existing, all, sha, attempt);
    }

    let candidate: Version;
    let previous: Version | undefined;
    let diverged: ComputedVersion['diverged'];
    if (!hotfix) {
      candidate = nextVersion(format, all, { startAt: request.startAt });
      previous = latestVersion(all);
      const ancestry = await ancestryOf(repository, gitVersions, sha);
      if (ancestry?.status === 'diverged') {
        diverged = divergedRelease(request, ancestry, candidate, sha);
      }
      const guard = ancestry?.status === 'behind' ? ancestry : undefined;
      if (guard) {
        if (!request.skipIfReleased) {
          throw new Error(
            `commit ${short(sha)} is behind release ${guard.tag} (${String(guard.behindBy)} commits): releasing it as ${candidate.tag} would deploy older code; release a newer commit, or use hotfix-of for an emergency fix`,
          );
        }
        return {
          ...versionFields(format, guard, sha),
          previousVersion: previous?.tag,
          reservation: 'released',
          skipped: true,
          skipReason: `commit ${short(sha)} is already part of release ${guard.tag}`,
          attempts: attempt,
        };
      }
    } else {
      candidate = hotfix;
      previous = latestVersion(all.filter((version) => version.number === candidate.number));
      await assertHotfixContainsFixed(repository, gitVersions, candidate, sha, logger);
    }

    const gitTag = format.gitTag(candidate);
    if (!request.reserve) {
      logger.info(`next version ${candidate.tag} (not reserved: reserve is false)`);
      return {
        ...versionFields(format, candidate, sha),
        previousVersion: previous?.tag,
        reservation: 'not-reserved',
        skipped: false,
        skipReason: '',
        attempts: attempt,
        diverged,
      };
    }
    const created = await repository.createTag(gitTag, sha);
    if (created === 'created') {
      logger.info(`reserved ${gitTag} at ${short(sha)} (attempt ${String(attempt)})`);
      return {
        ...versionFields(format, candidate, sha),
        previousVersion: previous?.tag,
        reservation: 'created',
        skipped: false,
        skipReason: '',
        attempts: attempt,
        diverged,
      };
    }
    // Another run took this number between our read and our write: back off with jitter, re-read.
    const delay = Math.round(random() * Math.min(50 * 2 ** attempt, 1000));
    logger.info(
      `${gitTag} was taken by another run; retrying in ${String(delay)} ms (attempt ${String(attempt)}/${String(maxAttempts)})`,
    );
    await sleep(delay);
  }
  throw new Error(
    `could not reserve a version tag in ${String(maxAttempts)} attempts because other runs kept taking the next number: run again`,
  );
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

function versionFields(
  format: VersionFormat,
  version: Version,
  sha: string,
): Pick<ComputedVersion, 'version' | 'number' | 'hotfix' | 'gitTag' | 'sha'> {
  return {
    version: version.tag,
    number: version.number,
    hotfix: version.hotfix,
    gitTag: format.gitTag(version),
    sha,
  };
}

async function assertChecksPassed(
  repository: GitHubRepository,
  sha: string,
  names: readonly string[],
): Promise<void> {
  const results = await repository.checkStates(sha, names);
  const failed = results.filter((result) => result.state !== 'success');
  if (failed.length === 0) return;
  const list = failed.map((result) => `'${result.name}' (${result.detail})`).join(', ');
  throw new Error(
    `required check${failed.length > 1 ? 's' : ''} ${list} did not succeed on commit ${short(sha)}: wait for ${failed.length > 1 ? 'them' : 'it'} to pass, or change require-checks`,
  );
}

async function listGitVersions(
  tags: Pick<TagLister, 'listTags'>,
  repositoryName: string,
  format: VersionFormat,
  logger: Logger,
): Promise<GitVersion[]> {
  const refs = await tags.listTags(format.gitTagListPrefix);
  const versions: GitVersion[] = [];
  for (const ref of refs) {
    const version = format.parseGitTag(ref.name);
    if (version) versions.push({ ...version, ref });
    // Anyone who can push a tag could otherwise stop every later release (N + 1 past any bound).
    else if (format.isOutOfRangeGitTag(ref.name)) {
      logger.warning(outOfRangeWarning(ref.name, repositoryName));
    }
  }
  return versions.sort(compareVersions);
}

/** The commit a tag points at; annotated tags are peeled by the listing, else with one call. */
async function commitOf(repository: GitHubRepository, version: GitVersion): Promise<string> {
  if (version.ref.objectType !== 'tag') return version.ref.objectSha;
  return version.ref.peeledSha ?? repository.peelTag(version.ref.objectSha);
}

async function versionsOnCommit(
  repository: GitHubRepository,
  sortedGitVersions: readonly GitVersion[],
  sha: string,
): Promise<GitVersion[]> {
  const onCommit = sortedGitVersions.filter(
    (version) => version.ref.objectType === 'commit' && version.ref.objectSha === sha,
  );
  const annotated = sortedGitVersions.filter((version) => version.ref.objectType === 'tag');
  // Tags the listing peeled cost nothing; of the others, only the newest are peeled.
  const looked = [
    ...annotated.filter((version) => version.ref.peeledSha !== undefined),
    ...annotated
      .filter((version) => version.ref.peeledSha === undefined)
      .slice(-ANNOTATED_TAGS_PEELED),
  ];
  const peeled = await Promise.all(looked.map((version) => commitOf(repository, version)));
  looked.forEach((version, index) => {
    if (peeled[index] === sha) onCommit.push(version);
  });
  return onCommit.sort(compareVersions);
}

function pickExisting(
  onCommit: readonly GitVersion[],
  hotfixOf: string,
  format: VersionFormat,
): GitVersion | undefined {
  const newest = onCommit.at(-1);
  if (!newest || hotfixOf === '') return newest;
  const base = format.parseEither(hotfixOf);
  const sameBase = onCommit.filter(
    (version) => version.number === base?.number && version.hotfix > 0,
  );
  const hotfix = sameBase.at(-1);
  if (hotfix) return hotfix;
  throw new Error(
    `commit ${newest.ref.objectSha.slice(0, 7)} is already release ${newest.tag}: a hotfix needs a commit that carries the fix`,
  );
}

async function reuseExisting(
  request: ComputeVersionRequest,
  existing: GitVersion,
  all: readonly Version[],
  sha: string,
  attempt: number,
): Promise<ComputedVersion> {
  const { format, logger, repository } = request;
  const gitTag = format.gitTag(existing);
  const release = await repository.getReleaseByTag(gitTag);
  const released = release !== undefined && !release.draft;
  const previous = latestVersion(all.filter((version) => compareVersions(version, existing) < 0));
  const latest = latestVersion(all);
  if (latest && compareVersions(latest, existing) > 0) {
    logger.warning(
      `commit ${short(sha)} already carries ${existing.tag}, which is older than ${latest.tag}: deploying it would be a downgrade`,
    );
  }
  const fields = {
    ...versionFields(format, existing, sha),
    previousVersion: previous?.tag,
    attempts: attempt,
  };
  if (released && request.skipIfReleased) {
    logger.info(`commit ${short(sha)} was already released as ${existing.tag}: nothing to release`);
    return {
      ...fields,
      reservation: 'released',
      skipped: true,
      skipReason: `commit ${short(sha)} was already released as ${existing.tag}`,
    };
  }
  logger.info(
    released
      ? `commit ${short(sha)} was already released as ${existing.tag}; reusing it (skip-if-released is false)`
      : `commit ${short(sha)} already reserved ${existing.tag} in an unfinished run; reusing it`,
  );
  return {
    ...fields,
    reservation: released ? 'released' : 'reused',
    skipped: false,
    skipReason: '',
  };
}

type Ancestry = Version & {
  readonly status: 'behind' | 'diverged';
  /** Commits of the newest release missing from `sha`. */
  readonly behindBy: number;
};

/**
 * How `sha` stands to the newest normal git release, when it lacks some of that release's commits: `behind`
 * (all of sha is in the release) or `diverged` (sha forked before it). Either way, releasing it under
 * a newer number would deploy code without those commits; undefined when sha contains the release.
 */
async function ancestryOf(
  repository: GitHubRepository,
  sortedGitVersions: readonly GitVersion[],
  sha: string,
): Promise<Ancestry | undefined> {
  // Normal releases only: a hotfix's commit is on its own branch (the fix reaches the default branch
  // as another commit), so the next release from there never contains it.
  const newest = sortedGitVersions.filter((version) => version.hotfix === 0).at(-1);
  if (!newest) return undefined;
  const newestCommit = await commitOf(repository, newest);
  const comparison = await repository.compareCommits(newestCommit, sha);
  if (comparison.status !== 'behind' && comparison.status !== 'diverged') return undefined;
  return { ...newest, status: comparison.status, behindBy: comparison.behindBy };
}

/** A diverged commit is refused like one behind, unless a reason is given; then it is reported. */
function divergedRelease(
  request: ComputeVersionRequest,
  ancestry: Ancestry,
  candidate: Version,
  sha: string,
): ComputedVersion['diverged'] {
  const missing = `${String(ancestry.behindBy)} commit${ancestry.behindBy === 1 ? '' : 's'} of release ${ancestry.tag}`;
  const reason = request.divergedReason?.trim() ?? '';
  if (reason === '') {
    throw new Error(
      `commit ${short(sha)} has diverged from release ${ancestry.tag}: ${missing} are missing from it, so releasing it as ${candidate.tag} would take them out of production; release a commit that contains ${ancestry.tag}, or set allow-downgrade with a downgrade-reason to release it anyway`,
    );
  }
  request.logger.warning(
    `commit ${short(sha)} has diverged from release ${ancestry.tag} (${missing} are missing): released anyway, reason given: ${reason}`,
  );
  return { from: ancestry.tag, missing: ancestry.behindBy };
}

/**
 * A hotfix is the release it fixes plus the fix: its commit must contain the commit of the newest
 * release of that number (the release itself, or its latest hotfix, so a second fix keeps the first).
 * A release known only from ECR has no commit to check: said, not refused.
 */
async function assertHotfixContainsFixed(
  repository: GitHubRepository,
  sortedGitVersions: readonly GitVersion[],
  hotfix: Version,
  sha: string,
  logger: Logger,
): Promise<void> {
  const fixed = sortedGitVersions.filter(
    (version) => version.number === hotfix.number && version.hotfix < hotfix.hotfix,
  );
  const newest = fixed.at(-1);
  if (!newest) {
    logger.warning(
      `release ${hotfix.tag.replace(/-[0-9]+$/, '')} has no git tag in ${repository.fullName}: cannot check that commit ${short(sha)} contains it`,
    );
    return;
  }
  const fixedCommit = await commitOf(repository, newest);
  const comparison = await repository.compareCommits(fixedCommit, sha);
  if (comparison.status === 'ahead') return;
  throw new Error(
    `commit ${short(sha)} does not contain release ${newest.tag} (commit ${short(fixedCommit)}, ${String(comparison.behindBy)} of its commits missing): a hotfix must be that release plus the fix; branch from its tag ${newest.ref.name}, add the fix, and release that commit`,
  );
}
