export { createGitHubClient, httpStatus } from './client.js';
export type { GitHubClient, GitHubClientOptions } from './client.js';
export { GitHubRepository } from './repository.js';
export type {
  CheckResult,
  CheckState,
  CommitComparison,
  CreateRefResult,
  TagRef,
} from './repository.js';
