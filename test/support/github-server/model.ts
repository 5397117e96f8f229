/** Records the server keeps; representations.ts turns them into GitHub's JSON shapes. */
import type { CheckRunConclusion, CheckRunStatus, CommitStatusState } from './types.js';

export interface GitPerson {
  name: string;
  email: string;
  /** ISO 8601 in UTC, e.g. 2024-01-01T00:00:01Z. */
  date: string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  /** Without the trailing newline git stores. */
  message: string;
}

export interface TagInfo {
  sha: string;
  tag: string;
  message: string;
  tagger: GitPerson;
  object: { sha: string; type: string };
}

export interface RefEntry {
  /** Full name, e.g. refs/tags/v1.0.0. */
  ref: string;
  /** Object the ref points at (the tag object for annotated tags). */
  sha: string;
  /** git object type: 'commit', or 'tag' for annotated tags. */
  type: string;
}

export type FileChangeStatus = 'added' | 'removed' | 'modified' | 'changed';

export interface FileChange {
  filename: string;
  status: FileChangeStatus;
  additions: number;
  deletions: number;
  /** Blob sha after the change (before it, for removed files). */
  sha: string;
}

export interface CheckRunRecord {
  id: number;
  headSha: string;
  name: string;
  status: CheckRunStatus;
  conclusion: CheckRunConclusion | null;
  startedAt: string;
  completedAt: string | null;
  checkSuiteId: number;
}

export interface StatusRecord {
  id: number;
  sha: string;
  context: string;
  state: CommitStatusState;
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
}

export type MakeLatest = 'true' | 'false' | 'legacy';

export interface ReleaseRecord {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  makeLatest: MakeLatest;
  createdAt: string;
  publishedAt: string | null;
}

/** What every representation of a repository needs to know about it. */
export interface RepoIdentity {
  readonly id: number;
  readonly owner: string;
  readonly ownerId: number;
  readonly name: string;
  readonly fullName: string;
  readonly defaultBranch: string;
  readonly createdAt: string;
}

/** Timestamps as GitHub prints them: second precision, `Z` suffix. */
export function isoSeconds(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
