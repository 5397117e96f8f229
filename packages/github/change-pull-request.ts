/**
 * A pull request in one call, for the change step's pull-request mode (packages/release/change.ts):
 * commit the files to a branch, open or update its pull request (labels, reviewers, draft), turn on
 * auto-merge, and close the release pull requests it supersedes. A run that fails before its pull request exists deletes the branch
 * it created, so a refused token leaves nothing behind.
 */
import { errorMessage, silentLogger, type Logger } from '../kit/index.js';
import {
  commitFiles,
  deleteBranch,
  type CommitAuthor,
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
  readonly title: string;
  readonly body: string;
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

/**
 * Calls for a one-file change on a new branch with labels and reviewers: 8 (branch tip, base tip,
 * tree, commit, ref, pull request, labels, reviewers); auto-merge adds 1, superseding adds 1
 * plus 3 per closed pull request. An unchanged re-run: 3 reads.
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
  const commit = await commitFiles(repository, {
    branch: request.branch,
    base: request.base,
    files: request.files,
    message: request.message,
    author: request.author,
    force: request.force,
  });
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
      warnings: [],
    };
  }
  let pullRequest: PullRequestResult;
  try {
    pullRequest = await upsertPullRequest(repository, {
      head: request.branch,
      base: request.base,
      title: request.title,
      body: request.body,
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
  return { commit, pullRequest, autoMergeEnabled, superseded, supersededBy, warnings };
}

function defaultSupersedeComment(kept: PullRequestResult): string {
  return `Superseded by #${String(kept.number)}.`;
}

function defaultYieldComment(newer: SupersedeCandidate): string {
  return `Superseded by #${String(newer.number)}, a newer release that was already open: merging this one after it would deploy an older version.`;
}
