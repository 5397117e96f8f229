/**
 * A stateful GitHub REST API test server backed by real bare git repositories.
 *
 * Speaks the endpoints the release actions use (repository, refs, tags, commits, compare, check
 * runs, combined status, releases) with api.github.com's JSON shapes, Link pagination and error
 * bodies, and can inject faults (5xx, rate limits, slow answers, dropped connections).
 */
export { startGitHubServer } from './github-server/server.js';
export { GIT_IDENTITY } from './github-server/git.js';
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
  RecordedRequest,
  ReleaseInput,
  TestRepo,
} from './github-server/types.js';
