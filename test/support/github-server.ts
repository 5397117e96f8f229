/**
 * A stateful GitHub REST API test server backed by real bare git repositories.
 *
 * Speaks the endpoints the release actions use (repository, refs, tags, commits, compare, check
 * runs, combined status, releases, Git Data blobs/trees/commits and ref updates, contents, pull
 * requests with labels, comments, reviewers and merges, and GraphQL auto-merge) with
 * api.github.com's JSON shapes, Link pagination and error bodies; answers tokens registered with
 * limited permissions the way GitHub does; and can inject faults (5xx, rate limits, slow answers,
 * dropped connections, a concurrent change just before a request).
 */
export { startGitHubServer } from './github-server/server.js';
export { deploymentsOf } from './github-server/deployment-routes.js';
export type {
  DeploymentRecord,
  DeploymentStatusRecord,
} from './github-server/deployment-routes.js';
export { GIT_IDENTITY } from './github-server/git.js';
export { describeCalls, manifestFor, measureReleaseCalls } from './github-server/release-calls.js';
export type { ApiCall, ReleaseCalls } from './github-server/release-calls.js';
export type {
  CheckRunConclusion,
  CheckRunInput,
  CheckRunStatus,
  CommitStatusInput,
  CommitStatusState,
  Fault,
  FaultInjector,
  FaultKind,
  GitHubTestServer,
  MergeMethod,
  PermissionLevel,
  PermissionName,
  PullRequestInput,
  PullRequestState,
  RecordedRequest,
  ReleaseInput,
  TestRepo,
  TokenPermissions,
} from './github-server/types.js';
