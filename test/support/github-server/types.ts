/** Public contract of the GitHub REST API test server (see ../github-server.ts). */

export interface GitHubTestServer {
  /** Base URL such as `http://127.0.0.1:43121`: use it as GITHUB_API_URL / Octokit `baseUrl`. */
  readonly url: string;
  /** Creates a bare repository for `owner/name` with an initial commit on the default branch. */
  createRepo(fullName: string, options?: { defaultBranch?: string }): Promise<TestRepo>;
  /** The repository registered under `owner/name` (case-insensitive), if any. */
  repo(fullName: string): TestRepo | undefined;
  readonly faults: FaultInjector;
  /**
   * From now on `token` gets 401 (`Bad credentials` from the API, `Invalid username or token` from
   * git smart HTTP at `<url>/<owner>/<repo>.git`, which wants a token in every request).
   */
  revokeToken(token: string): void;
  /** Every request in arrival order; `status` is 0 until answered and stays 0 for dropped ones. */
  readonly requests: RecordedRequest[];
  /** Closes the server (and its open connections) and removes the temporary directories. */
  close(): Promise<void>;
}

export type CheckRunStatus = 'queued' | 'in_progress' | 'completed';
export type CheckRunConclusion =
  'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required';
export type CommitStatusState = 'error' | 'failure' | 'pending' | 'success';

export interface CheckRunInput {
  name: string;
  /** Defaults to 'completed'. */
  status?: CheckRunStatus;
  /** Defaults to 'success' for completed runs; always null for runs that are not completed. */
  conclusion?: CheckRunConclusion | null;
}

export interface CommitStatusInput {
  context: string;
  state: CommitStatusState;
  description?: string | null;
  target_url?: string | null;
}

export interface ReleaseInput {
  draft?: boolean;
  prerelease?: boolean;
  name?: string;
  body?: string;
  /** Defaults to the default branch. */
  targetCommitish?: string;
}

export type PermissionName =
  'contents' | 'pull_requests' | 'issues' | 'checks' | 'statuses' | 'deployments' | 'metadata';
export type PermissionLevel = 'none' | 'read' | 'write';
/** A fine-grained token's grants; a permission left out is `none` (metadata is always readable). */
export type TokenPermissions = Partial<Record<PermissionName, PermissionLevel>>;

export type MergeMethod = 'merge' | 'squash' | 'rebase';

/** A pull request opened through the test helper, as if a person had opened it on github.com. */
export interface PullRequestInput {
  /** Head branch of this repository; it must exist. */
  head: string;
  /** Defaults to the default branch. */
  base?: string;
  title: string;
  body?: string;
  draft?: boolean;
  labels?: string[];
}

/** The server's record of a pull request, for assertions. */
export interface PullRequestState {
  readonly number: number;
  /** The id GraphQL mutations take (`pullRequestId`). */
  readonly nodeId: string;
  readonly title: string;
  readonly body: string | null;
  readonly state: 'open' | 'closed';
  readonly draft: boolean;
  readonly merged: boolean;
  readonly head: string;
  readonly base: string;
  /** Head branch tip now, or its last tip when the branch is gone. */
  readonly headSha: string;
  readonly mergeCommitSha: string | null;
  readonly labels: readonly string[];
  readonly requestedReviewers: readonly string[];
  readonly requestedTeams: readonly string[];
  readonly autoMerge: { readonly mergeMethod: MergeMethod; readonly enabledBy: string } | null;
  /** Comment bodies, oldest first. */
  readonly comments: readonly string[];
}

export interface TestRepo {
  readonly owner: string;
  readonly name: string;
  readonly fullName: string;
  /** Path of the bare repository. */
  readonly gitDir: string;
  readonly defaultBranch: string;
  /**
   * New commit on top of `branch` (default branch when omitted) whose tree is the parent tree
   * plus `files` (path -> content). A missing branch starts from `from` (a commit), else from the
   * default branch head.
   */
  commit(
    message: string,
    files?: Record<string, string>,
    options?: { branch?: string; from?: string },
  ): Promise<string>;
  /** Sha of `refs/heads/<branch>` (default branch when omitted); rejects if the branch is missing. */
  head(branch?: string): Promise<string>;
  /** Creates `refs/tags/<name>`; fails if it exists. */
  createTag(
    name: string,
    sha: string,
    options?: { annotated?: boolean; message?: string },
  ): Promise<void>;
  /** Lightweight tags in one `git update-ref --stdin` transaction. */
  createTags(names: string[], sha: string): Promise<void>;
  /** Tag name -> sha the ref points at (the tag object for annotated tags), read from git. */
  tags(): Promise<Map<string, string>>;
  /** `sha` must be a full 40-character commit sha. */
  addCheckRun(sha: string, run: CheckRunInput): void;
  /** `sha` must be a full 40-character commit sha. */
  addStatus(sha: string, status: CommitStatusInput): void;
  /** Records a release in the same store as POST /releases; does not create the tag. */
  createRelease(tagName: string, options?: ReleaseInput): void;
  /** Call after writing to `gitDir` behind the server's back (e.g. `git push`): drops cached refs. */
  invalidateRefCache(): void;
  /** Users reviews may be requested from (case-insensitive); others get GitHub's 422. */
  addCollaborator(login: string): void;
  /** Teams (by slug) with access to the repository, so reviews may be requested from them. */
  addTeam(slug: string): void;
  /**
   * Limits what `token` may do in this repository: requests it lacks a permission for get 403
   * `Resource not accessible by integration` with `x-accepted-github-permissions`. Tokens never
   * registered may do everything.
   */
  setTokenPermissions(token: string, permissions: TokenPermissions): void;
  /** The repository's "Allow auto-merge" setting; on by default. */
  setAllowAutoMerge(allowed: boolean): void;
  /** Opens a pull request in the server's state without going through the API. */
  openPullRequest(input: PullRequestInput): Promise<PullRequestState>;
  /** Every pull request, by number. */
  pulls(): Promise<PullRequestState[]>;
}

export type FaultKind =
  | 'server-error'
  | 'secondary-rate-limit'
  | 'rate-limit'
  | 'slow'
  | 'drop'
  | 'drop-after'
  | 'before';

export interface Fault {
  /** Matched against `${METHOD} ${path}` (decoded path, no query): substring or RegExp. */
  route: string | RegExp;
  /**
   * `drop` closes the connection before the request is handled; `drop-after` handles it (a write
   * lands) and then closes the connection instead of answering, so the client cannot tell whether
   * its write happened: the case a retried write must survive.
   */
  kind: FaultKind;
  /** How many matching requests the fault applies to; default 1. */
  times?: number;
  /** server-error status; default 502. */
  status?: number;
  /** rate-limit status: 429 (default) or 403, GitHub's two answers for a primary rate limit. */
  rateLimitStatus?: 403 | 429;
  /** secondary-rate-limit / rate-limit wait; default 1. */
  retryAfterSeconds?: number;
  /** slow: delay before the real answer; default 1000. */
  delayMs?: number;
  /**
   * before: runs just before the request is handled, which then gets its real answer. Lets a test
   * land a concurrent change (say a push to the base branch) between a client's read and write.
   */
  before?: () => Promise<unknown>;
}

export interface FaultInjector {
  add(fault: Fault): void;
  clear(): void;
  /** Faults added but not yet used up. */
  readonly pending: number;
}

export interface RecordedRequest {
  readonly method: string;
  /** Percent-decoded path without the query string. */
  readonly path: string;
  readonly query: Record<string, string>;
  /** The token of the Authorization header, if any: tells simulated runs apart. */
  readonly token: string | undefined;
  /** 0 until the answer is sent; stays 0 when the socket was dropped. */
  readonly status: number;
  /** Time from arrival to the answer being written (0 until then), injected delays included. */
  readonly durationMs: number;
}
