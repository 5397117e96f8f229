export { createGitHubClient, httpStatus } from './client.js';
export type { GitHubClient, GitHubClientOptions } from './client.js';
export { GitHubRepository } from './repository.js';
export type {
  CheckResult,
  CheckState,
  CommitComparison,
  CreateRefResult,
  ReleaseInfo,
  TagRef,
} from './repository.js';
export {
  acceptedPermissions,
  explainGitHubError,
  explained,
  gitHubMessage,
  GitHubApiError,
  isForbidden,
} from './errors.js';
export type { GitHubAttempt } from './errors.js';
export {
  commitFiles,
  deleteBranch,
  gitBlobSha,
  listTreeBlobs,
  NotFastForwardError,
  readBranchTip,
} from './commit-files.js';
export type {
  BranchTip,
  CommitAuthor,
  CommitFilesRequest,
  CommitFilesResult,
  CommitOperation,
  FileChange,
  FileMode,
  KnownBlob,
} from './commit-files.js';
export { commitEditsToBranch, fastForwardBase, readBlob, readFile } from './commit-edits.js';
export type {
  CommitEditsRequest,
  CommitEditsResult,
  FastForwardRequest,
  FastForwardResult,
  FileEdit,
  RepositoryFile,
} from './commit-edits.js';
export {
  closeReleasePullRequest,
  commentOnPullRequest,
  enableAutoMerge,
  findOpenPullRequest,
  listReleasePullRequests,
  setPullRequestBody,
  supersedeOrYield,
  supersedePullRequests,
  upsertPullRequest,
} from './pull-requests.js';
export type {
  AutoMergeMethod,
  AutoMergeResult,
  PullRequestOperation,
  PullRequestRequest,
  ReleasePullRequest,
  PullRequestResult,
  SupersedeCandidate,
  SupersedeOutcome,
  SupersedeRequest,
} from './pull-requests.js';
export {
  compareBranch,
  describeForeignParts,
  foreignParts,
  holdsForeignParts,
  pathsOf,
} from './branch-diff.js';
export type { BranchDiff, BranchDiffFile, ForeignParts } from './branch-diff.js';
export { commitAndOpenPullRequest } from './change-pull-request.js';
export type { ChangePullRequestRequest, ChangePullRequestResult } from './change-pull-request.js';
export { inertMarkdown, releaseNotes } from './release-notes.js';
export type { ReleaseNoteCommit, ReleaseNotes, ReleaseNotesRequest } from './release-notes.js';
