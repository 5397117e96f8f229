/**
 * What a branch adds to its base, as its pull request shows it: GET compare base...branch (three
 * dots: from the merge base). The release pull request's file list and the check that a release
 * branch holds nothing the release did not write both read it, never the inputs.
 */
import { httpStatus } from './client.js';
import { gitBlobSha, type FileChange } from './commit-files.js';
import { explainGitHubError } from './errors.js';
import type { GitHubRepository } from './repository.js';

export interface BranchDiffFile {
  readonly path: string;
  /** A rename's old path. */
  readonly previousPath?: string | undefined;
  /** `added`, `removed`, `modified`, `renamed`, ... as GitHub says. */
  readonly status: string;
  /** The blob on the branch (for `removed`, the one removed). */
  readonly sha: string;
}

export interface BranchDiff {
  /** The branch tip; undefined when GitHub listed only part of the commits. */
  readonly headSha: string | undefined;
  /** The base tip the comparison was made with. */
  readonly baseSha: string;
  readonly mergeBaseSha: string;
  /** Commits on the branch that the base lacks. */
  readonly aheadBy: number;
  /** Their shas, oldest first. */
  readonly commits: readonly string[];
  readonly files: readonly BranchDiffFile[];
}

/** GitHub lists at most this many files in a comparison. */
const COMPARE_FILE_LIMIT = 300;

/** The paths a pull request from this branch touches, renames by both names, in GitHub's order. */
export function pathsOf(diff: BranchDiff): string[] {
  return diff.files.flatMap((file) =>
    file.previousPath === undefined ? [file.path] : [file.previousPath, file.path],
  );
}

/**
 * One call; undefined when there is nothing to compare (no such branch, or no history shared
 * with the base).
 */
export async function compareBranch(
  repository: GitHubRepository,
  base: string,
  branch: string,
): Promise<BranchDiff | undefined> {
  try {
    const { data } = await repository.client.rest.repos.compareCommitsWithBasehead({
      owner: repository.owner,
      repo: repository.repo,
      basehead: `${base}...${branch}`,
    });
    const commits = data.commits.map((commit) => commit.sha);
    const files = data.files ?? [];
    if (files.length >= COMPARE_FILE_LIMIT) {
      throw new Error(
        `${branch} changes ${String(files.length)} or more files against ${base} (${repository.fullName}), more than GitHub lists: delete the branch and run again`,
      );
    }
    return {
      headSha: commits.length === data.ahead_by ? commits.at(-1) : undefined,
      baseSha: data.base_commit.sha,
      mergeBaseSha: data.merge_base_commit.sha,
      aheadBy: data.ahead_by,
      commits,
      files: files.map((file) => ({
        path: file.filename,
        ...(file.previous_filename === undefined ? {} : { previousPath: file.previous_filename }),
        status: file.status,
        sha: file.sha ?? '',
      })),
    };
  } catch (error: unknown) {
    if (httpStatus(error) === 404) return undefined;
    throw explainGitHubError(error, {
      action: `compare ${branch} with ${base}`,
      repository: repository.fullName,
      permission: 'contents: read',
    });
  }
}

/** What a branch holds beyond a change: the parts of it the change would not write. */
export interface ForeignParts {
  /** Paths changed on the branch that the change does not touch. */
  readonly files: readonly string[];
  /** Paths of the change that hold other content on the branch. */
  readonly otherContent: readonly string[];
  /** The branch's commits when it has more than one (the change is one commit). */
  readonly commits: readonly string[];
  /** Paths of the change that the branch does not change. */
  readonly missing: readonly string[];
}

function writes(change: FileChange | undefined, file: BranchDiffFile, path: string): boolean {
  if (change === undefined) return false;
  if (change.content === null) return file.status === 'removed' || path === file.previousPath;
  return file.status !== 'removed' && path === file.path && gitBlobSha(change.content) === file.sha;
}

/** Compares a branch's diff with the files a change writes, path by path and byte for byte. */
export function foreignParts(diff: BranchDiff, changes: readonly FileChange[]): ForeignParts {
  const byPath = new Map(changes.map((change) => [change.path, change]));
  const files: string[] = [];
  const otherContent: string[] = [];
  const seen = new Set<string>();
  for (const file of diff.files) {
    for (const path of file.previousPath === undefined
      ? [file.path]
      : [file.previousPath, file.path]) {
      seen.add(path);
      const change = byPath.get(path);
      if (change === undefined) files.push(path);
      else if (!writes(change, file, path)) otherContent.push(path);
    }
  }
  return {
    files,
    otherContent,
    commits: diff.aheadBy > 1 ? diff.commits : [],
    missing: changes.map((change) => change.path).filter((path) => !seen.has(path)),
  };
}

/** Whether anything on the branch is not the change's own: nothing of it may reach the pull request. */
export function holdsForeignParts(parts: ForeignParts): boolean {
  return parts.files.length > 0 || parts.otherContent.length > 0 || parts.commits.length > 0;
}

/** `files a, b; other content in c; commits 1234567, 89abcde` for a one-line message. */
export function describeForeignParts(parts: ForeignParts): string {
  return [
    parts.files.length > 0 ? `files ${parts.files.join(', ')}` : '',
    parts.otherContent.length > 0 ? `other content in ${parts.otherContent.join(', ')}` : '',
    parts.commits.length > 0
      ? `commits ${parts.commits.map((sha) => sha.slice(0, 7)).join(', ')}`
      : '',
  ]
    .filter((part) => part !== '')
    .join('; ');
}
