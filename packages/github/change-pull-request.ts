/**
 * A pull request in one call, for the change step's pull-request mode (packages/release/change.ts):
 * commit the files to a branch, open or update its pull request (labels, reviewers, draft), turn on
 * auto-merge, and close the release pull requests it supersedes. A run that fails before its pull request exists deletes the branch
 * it created, so a refused token leaves nothing behind.
 */
import { errorMessage, silentLogger, type Logger } from '../kit/index.js';
import {
  compareBranch,
  describeForeignParts,
  foreignParts,
  holdsForeignParts,
  pathsOf,
  type BranchDiff,
} from './branch-diff.js';
import {
  commitFiles,
  deleteBranch,
  type CommitAuthor,
  type CommitFilesRequest,
  type CommitFilesResult,
  type FileChange,
} from './commit-files.js';
import {
  enableAutoMerge,
  findOpenPullRequest,
  supersedeOrYield,
  upsertPullRequest,
  type AutoMergeMethod,
  type PullRequestResult,
  type SupersedeCandidate,
} from './pull-requests.js';
import type { GitHubRepository } from './repository.js';

export interface ChangePullRequestRequest {
  readonly branch: string;
  readonly base: string;
  readonly files: readonly FileChange[];
  readonly message: string;
  readonly author?: CommitAuthor;
  /** See CommitFilesRequest.force. */
  readonly force?: boolean;
  /**
   * The branch is this change's alone (a release branch, whose name anyone can predict and
   * create first): it is reused only when it is one commit on the base that changes exactly these
   * files to exactly these contents; anything else on it (other files, other contents, more
   * commits) is dropped by rebuilding it from the base, with a warning naming what was there.
   */
  readonly exclusive?: boolean;
  readonly title: string;
  /** A function gets the paths the pull request really changes (GET compare base...branch). */
  readonly body: string | ((files: readonly string[]) => string);
  readonly draft?: boolean;
  readonly labels?: readonly string[];
  readonly reviewers?: readonly string[];
  readonly teamReviewers?: readonly string[];
  /** Turn on auto-merge with this method (one GraphQL call; skipped when already on). */
  readonly autoMerge?: AutoMergeMethod;
  /** Close the older open release pull requests: those with this label and branch prefix. */
  readonly supersede?: {
    readonly label: string;
    readonly branchPrefix: string;
    /** Default: `Superseded by #<n>.` */
    readonly comment?: (kept: PullRequestResult) => string;
    /**
     * See SupersedeRequest.supersedes. When given, a newer release pull request found open closes
     * this one instead (SupersedeRequest.yieldComment), so racing runs leave only the newest open.
     */
    readonly supersedes?: (candidate: SupersedeCandidate) => boolean;
    /** Default: `Superseded by #<n>, a newer release: ...`. */
    readonly yieldComment?: (newer: SupersedeCandidate) => string;
  };
  readonly logger?: Logger;
}

export interface ChangePullRequestResult {
  readonly commit: CommitFilesResult;
  /** Undefined when the files already match the base: there is nothing to propose. */
  readonly pullRequest: PullRequestResult | undefined;
  readonly autoMergeEnabled: boolean;
  readonly superseded: readonly number[];
  /** A newer release pull request was open: this one was closed in its favour (see supersede). */
  readonly supersededBy: number | undefined;
  readonly warnings: readonly string[];
}

/**
 * After a failure on a branch this run created: delete the branch unless its pull request got
 * opened after all (then a later step failed, and the pull request is worth keeping).
 */
async function removeCreatedBranch(
  repository: GitHubRepository,
  branch: string,
  base: string,
  failure: unknown,
  logger: Logger,
): Promise<never> {
  const opened = await findOpenPullRequest(repository, branch, base).catch(() => undefined);
  if (opened !== undefined) throw failure;
  try {
    await deleteBranch(repository, branch);
    logger.info(`deleted the branch ${branch} again: its pull request could not be opened`);
  } catch (cleanup: unknown) {
    logger.warning(
      `the branch ${branch} (${repository.fullName}) was left behind: deleting it failed (${errorMessage(cleanup)}); delete it by hand`,
    );
  }
  throw failure;
}

function commitRequest(
  request: ChangePullRequestRequest,
  force: boolean | undefined,
): CommitFilesRequest {
  return {
    branch: request.branch,
    base: request.base,
    files: request.files,
    message: request.message,
    author: request.author,
    force,
  };
}

/** Rebuilds of an exclusive branch that someone keeps pushing to, before giving up. */
const EXCLUSIVE_ATTEMPTS = 3;

/**
 * The commit on an exclusive branch (see ChangePullRequestRequest.exclusive), checked again after
 * it was made: the branch's diff is returned only when it holds nothing but this change.
 */
async function commitExclusively(
  repository: GitHubRepository,
  request: ChangePullRequestRequest,
  logger: Logger,
): Promise<{ commit: CommitFilesResult; diff: BranchDiff | undefined; warnings: string[] }> {
  const { branch, base } = request;
  const warnings: string[] = [];
  let before = await compareBranch(repository, base, branch);
  for (let attempt = 1; ; attempt++) {
    const parts = before && foreignParts(before, request.files);
    const reuse =
      before?.aheadBy === 1 &&
      parts !== undefined &&
      !holdsForeignParts(parts) &&
      parts.missing.length === 0;
    if (before !== undefined && parts !== undefined && holdsForeignParts(parts)) {
      const staleEdit =
        parts.files.length === 0 &&
        parts.commits.length === 0 &&
        before.mergeBaseSha !== before.baseSha;
      if (staleEdit) {
        logger.info(`${branch} holds the edit made on an older ${base}: rebuilding it on ${base}`);
      } else {
        const warning = `the branch ${branch} (${repository.fullName}) held changes this release did not make (${describeForeignParts(parts)}): it is rebuilt from ${base} with this release's changes only, and none of them reaches the pull request; find out who pushed them`;
        logger.warning(warning);
        warnings.push(warning);
      }
    }
    const commit = await commitFiles(repository, commitRequest(request, !reuse));
    if (commit.replaced !== undefined && commit.replaced !== before?.headSha) {
      const warning = `the branch ${branch} (${repository.fullName}) was pushed to (${commit.replaced.slice(0, 7)}) while this release committed: it is rebuilt from ${base} with this release's changes only, and that commit does not reach the pull request; find out who pushed it`;
      logger.warning(warning);
      warnings.push(warning);
    }
    if (!commit.branchExists) return { commit, diff: undefined, warnings };
    const after =
      !commit.changed && before?.headSha === commit.commitSha
        ? before
        : await compareBranch(repository, base, branch);
    const left = after && foreignParts(after, request.files);
    if (after?.headSha === commit.commitSha && left !== undefined && !holdsForeignParts(left)) {
      return { commit, diff: after, warnings };
    }
    if (attempt >= EXCLUSIVE_ATTEMPTS) {
      throw new Error(
        `the branch ${branch} (${repository.fullName}) kept changing while this release rebuilt it${left ? ` (${describeForeignParts(left)})` : ''}: find out who pushes to it, delete it, and run again`,
      );
    }
    before = after;
  }
}

/** The body, given the paths the branch really changes when it is a function of them. */
async function bodyOf(
  repository: GitHubRepository,
  request: ChangePullRequestRequest,
  diff: BranchDiff | undefined,
): Promise<string> {
  if (typeof request.body === 'string') return request.body;
  const compared = diff ?? (await compareBranch(repository, request.base, request.branch));
  if (compared === undefined) {
    throw new Error(
      `the branch ${request.branch} (${repository.fullName}) could not be compared with ${request.base} after the commit: run again`,
    );
  }
  return request.body(pathsOf(compared));
}

/**
 * Calls for a one-file change on a new branch with labels and reviewers: 8 (branch tip, base tip,
 * tree, commit, ref, pull request, labels, reviewers); auto-merge adds 1, superseding adds 1
 * plus 3 per closed pull request. An unchanged re-run: 3 reads. An exclusive branch adds a
 * compare before the commit and one after it (none after an unchanged re-run); a body function
 * without `exclusive` adds the compare after.
 */
export async function commitAndOpenPullRequest(
  repository: GitHubRepository,
  request: ChangePullRequestRequest,
): Promise<ChangePullRequestResult> {
  const logger = request.logger ?? silentLogger;
  if (request.branch === request.base) {
    throw new Error(
      `the pull request branch is the base branch ${request.base} (${repository.fullName}): choose another branch, or commit directly`,
    );
  }
  const {
    commit,
    diff,
    warnings: branchWarnings,
  } = request.exclusive === true
    ? await commitExclusively(repository, request, logger)
    : { commit: await commitFiles(repository, commitRequest(request, request.force)) };
  logger.info(
    `${request.branch}: ${commit.operation}${commit.changed ? ` at ${commit.commitSha}` : ''}`,
  );
  if (!commit.branchExists) {
    return {
      commit,
      pullRequest: undefined,
      autoMergeEnabled: false,
      superseded: [],
      supersededBy: undefined,
      warnings: branchWarnings ?? [],
    };
  }
  let pullRequest: PullRequestResult;
  try {
    pullRequest = await upsertPullRequest(repository, {
      head: request.branch,
      base: request.base,
      title: request.title,
      body: await bodyOf(repository, request, diff),
      draft: request.draft,
      labels: request.labels,
      reviewers: request.reviewers,
      teamReviewers: request.teamReviewers,
      headIsNew: commit.operation === 'created',
      rerequestReviews: commit.operation === 'updated',
    });
  } catch (error: unknown) {
    if (commit.operation !== 'created') throw error;
    return removeCreatedBranch(repository, request.branch, request.base, error, logger);
  }
  logger.info(`pull request #${String(pullRequest.number)}: ${pullRequest.operation}`);
  const warnings = [...pullRequest.warnings];
  let autoMergeEnabled =
    request.autoMerge !== undefined && pullRequest.autoMerge === request.autoMerge;
  if (request.autoMerge !== undefined && !autoMergeEnabled) {
    const result = await enableAutoMerge(repository, pullRequest.nodeId, request.autoMerge);
    autoMergeEnabled = result.enabled;
    if (result.warning !== undefined) warnings.push(result.warning);
  }
  const supersede = request.supersede;
  const { closed: superseded, supersededBy } =
    supersede === undefined
      ? { closed: [], supersededBy: undefined }
      : await supersedeOrYield(repository, {
          label: supersede.label,
          branchPrefix: supersede.branchPrefix,
          keep: pullRequest.number,
          base: request.base,
          comment: (supersede.comment ?? defaultSupersedeComment)(pullRequest),
          ...(supersede.supersedes === undefined
            ? {}
            : {
                supersedes: supersede.supersedes,
                yieldComment: supersede.yieldComment ?? defaultYieldComment,
              }),
        });
  if (supersededBy !== undefined) {
    warnings.push(
      `pull request #${String(pullRequest.number)} was closed: the newer release pull request #${String(supersededBy)} is open (${repository.fullName}), and merging this one after it would deploy an older version`,
    );
  }
  if (superseded.length > 0) {
    logger.info(
      `closed ${superseded.map((number) => `#${String(number)}`).join(', ')}: superseded by #${String(pullRequest.number)}`,
    );
  }
  for (const warning of warnings) logger.warning(warning);
  return {
    commit,
    pullRequest,
    autoMergeEnabled,
    superseded,
    supersededBy,
    warnings: [...(branchWarnings ?? []), ...warnings],
  };
}

function defaultSupersedeComment(kept: PullRequestResult): string {
  return `Superseded by #${String(kept.number)}.`;
}

function defaultYieldComment(newer: SupersedeCandidate): string {
  return `Superseded by #${String(newer.number)}, a newer release that was already open: merging this one after it would deploy an older version.`;
}
