/** Public contract of the GitHub REST API test server (see ../github-server.ts). */

export interface GitHubTestServer {
  /** Base URL such as `http://127.0.0.1:43121`: use it as GITHUB_API_URL / Octokit `baseUrl`. */
  readonly url: string;
  /** Creates a bare repository for `owner/name` with an initial commit on the default branch. */
  createRepo(fullName: string, options?: { defaultBranch?: string }): Promise<TestRepo>;
  /** The repository registered under `owner/name` (case-insensitive), if any. */
  repo(fullName: string): TestRepo | undefined;
  readonly faults: FaultInjector;
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

export interface TestRepo {
  readonly owner: string;
  readonly name: string;
  readonly fullName: string;
  /** Path of the bare repository. */
  readonly gitDir: string;
  readonly defaultBranch: string;
  /**
   * New commit on top of `branch` (default branch when omitted) whose tree is the parent tree
   * plus `files` (path -> content). A missing branch starts from the default branch head.
   */
  commit(
    message: string,
    files?: Record<string, string>,
    options?: { branch?: string },
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
}

export type FaultKind = 'server-error' | 'secondary-rate-limit' | 'rate-limit' | 'slow' | 'drop';

export interface Fault {
  /** Matched against `${METHOD} ${path}` (decoded path, no query): substring or RegExp. */
  route: string | RegExp;
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
  /** 0 until the answer is sent; stays 0 when the socket was dropped. */
  readonly status: number;
  /** Time from arrival to the answer being written (0 until then), injected delays included. */
  readonly durationMs: number;
}
