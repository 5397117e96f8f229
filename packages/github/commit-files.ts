/**
 * Commits files to a branch through the Git Data API (trees, commits, refs): no clone and no git
 * binary at run time. Every read that can replace a write does, and content identical to what a
 * tree already holds is recognised by its git blob sha, computed locally, so it costs no call.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { httpStatus } from './client.js';
import { explained, explainGitHubError, gitHubMessage } from './errors.js';
import type { GitHubRepository } from './repository.js';

export type FileMode = '100644' | '100755';

export interface FileChange {
  /** Repository path with `/` separators, no leading slash. */
  readonly path: string;
  /** New content; null deletes the file. */
  readonly content: Buffer | string | null;
  /** Default: the file's current mode, else 100644. */
  readonly mode?: FileMode;
}

export interface CommitAuthor {
  readonly name: string;
  readonly email: string;
}

export interface CommitFilesRequest {
  /** Branch to commit to; created from `base` when it does not exist. */
  readonly branch: string;
  /** Where a new branch starts (default: `branch` itself, which must then exist). */
  readonly base?: string;
  readonly files: readonly FileChange[];
  readonly message: string;
  /** Default: the token's identity (github-actions[bot] for GITHUB_TOKEN). */
  readonly author?: CommitAuthor;
  /**
   * Rebuild an existing branch as one commit on the tip of `base` with `base`'s tree + files, and
   * force-move it: whatever else the branch held is dropped. A branch that already is exactly
   * that commit is left alone; when the files make no difference to `base` the branch is not
   * touched and `branchExists` is false (nothing to propose). Default false: commit on top of the
   * branch. Never allowed when the branch is the base.
   */
  readonly force?: boolean;
}

export type CommitOperation = 'created' | 'updated' | 'unchanged';

export interface CommitFilesResult {
  /** The new commit; for `unchanged`, the branch tip (or the base tip when there is no branch). */
  readonly commitSha: string;
  readonly treeSha: string;
  readonly changed: boolean;
  readonly operation: CommitOperation;
  /** False only when nothing was committed because the files already match the base. */
  readonly branchExists: boolean;
  /** The tip a rebuild (`force`) moved the branch away from: what it dropped. */
  readonly replaced?: string | undefined;
}

/** The tip of a branch: its commit and that commit's tree. */
export interface BranchTip {
  readonly sha: string;
  readonly treeSha: string;
  /** Undefined where it was not read. */
  readonly parents?: readonly string[] | undefined;
}

/** Someone else moved the branch between our read and our write: read again and retry. */
export class NotFastForwardError extends Error {
  override name = 'NotFastForwardError';

  constructor(
    readonly branch: string,
    readonly repository: string,
  ) {
    super(
      `branch ${branch} (${repository}) moved while this commit was being made: read it again and retry`,
    );
  }
}

/** A blob entry of a tree, by path. */
export interface KnownBlob {
  readonly mode: string;
  readonly sha: string;
}

/** The sha git and GitHub give a blob of these bytes: sha1 of `blob <length>\0` + content. */
export function gitBlobSha(content: Buffer | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1')
    .update(`blob ${String(bytes.length)}\0`)
    .update(bytes)
    .digest('hex');
}

function bytesOf(content: Buffer | string): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

/**
 * Tip of `refs/heads/<branch>` in one call (GET /commits/heads/<branch> carries the tree sha that
 * GET /git/ref would need a second call for); undefined when the branch does not exist.
 */
export async function readBranchTip(
  repository: GitHubRepository,
  branch: string,
): Promise<BranchTip | undefined> {
  try {
    const { data } = await repository.client.rest.repos.getCommit({
      owner: repository.owner,
      repo: repository.repo,
      ref: `heads/${branch}`,
      per_page: 1,
    });
    return {
      sha: data.sha,
      treeSha: data.commit.tree.sha,
      parents: data.parents.map((parent) => parent.sha),
    };
  } catch (error: unknown) {
    // GitHub answers an unknown ref with 422 "No commit found for SHA"; a 404 (no such
    // repository, or one the token cannot see) reads as "no branch" too, and the caller's
    // missing-base message names both causes.
    const status = httpStatus(error);
    if (status === 422 || status === 404) return undefined;
    throw explainGitHubError(error, {
      action: `read the branch ${branch}`,
      repository: repository.fullName,
      permission: 'contents: read',
    });
  }
}

/** Blob entries of a tree, by path; undefined when GitHub truncated the listing (huge trees). */
export async function listTreeBlobs(
  repository: GitHubRepository,
  treeSha: string,
): Promise<Map<string, KnownBlob> | undefined> {
  const { data } = await explained(
    { action: 'read a tree', repository: repository.fullName, permission: 'contents: read' },
    () =>
      repository.client.rest.git.getTree({
        owner: repository.owner,
        repo: repository.repo,
        tree_sha: treeSha,
        recursive: 'true',
      }),
  );
  if (data.truncated) return undefined;
  const blobs = new Map<string, KnownBlob>();
  for (const entry of data.tree) {
    if (entry.type === 'blob') blobs.set(entry.path, { mode: entry.mode, sha: entry.sha });
  }
  return blobs;
}

interface TreeEntryInput {
  path: string;
  mode: '100644' | '100755' | '040000' | '160000' | '120000';
  type: 'blob';
  sha?: string | null;
  content?: string;
}

function needsTreeListing(files: readonly FileChange[]): boolean {
  // Deleting a path the tree lacks is an error on GitHub; binary content needs a blob call,
  // which knowing the current sha may save.
  return files.some((file) => file.content === null || !isUtf8(bytesOf(file.content)));
}

/**
 * Tree entries for the files that differ from `known` (all of them when it is undefined). UTF-8
 * text goes inline as `content`, so only binary files cost a blob call.
 */
export async function changedTreeEntries(
  repository: GitHubRepository,
  files: readonly FileChange[],
  known: ReadonlyMap<string, KnownBlob> | undefined,
): Promise<TreeEntryInput[]> {
  const entries: TreeEntryInput[] = [];
  for (const file of files) {
    const current = known?.get(file.path);
    if (file.content === null) {
      if (known === undefined || current !== undefined) {
        entries.push({ path: file.path, mode: modeOf(current?.mode), type: 'blob', sha: null });
      }
      continue;
    }
    const bytes = bytesOf(file.content);
    const mode = file.mode ?? modeOf(current?.mode);
    if (current?.sha === gitBlobSha(bytes) && current.mode === mode) continue;
    if (isUtf8(bytes)) {
      entries.push({ path: file.path, mode, type: 'blob', content: bytes.toString('utf8') });
      continue;
    }
    const { data } = await explained(
      {
        action: `upload ${file.path}`,
        repository: repository.fullName,
        permission: 'contents: write',
      },
      () =>
        repository.client.rest.git.createBlob({
          owner: repository.owner,
          repo: repository.repo,
          content: bytes.toString('base64'),
          encoding: 'base64',
        }),
    );
    entries.push({ path: file.path, mode, type: 'blob', sha: data.sha });
  }
  return entries;
}

function modeOf(mode: string | undefined): FileMode {
  return mode === '100755' ? '100755' : '100644';
}

/** POST /git/trees on `baseTree`; no call when there is nothing to change. */
export async function writeTree(
  repository: GitHubRepository,
  baseTree: string,
  entries: readonly TreeEntryInput[],
  branch: string,
): Promise<string> {
  if (entries.length === 0) return baseTree;
  const { data } = await explained(
    {
      action: `commit to ${branch}`,
      repository: repository.fullName,
      permission: 'contents: write',
    },
    () =>
      repository.client.rest.git.createTree({
        owner: repository.owner,
        repo: repository.repo,
        base_tree: baseTree,
        tree: [...entries],
      }),
  );
  return data.sha;
}

/** POST /git/commits: one parent, the given tree. */
export async function writeCommit(
  repository: GitHubRepository,
  commit: { tree: string; parent: string; message: string; author?: CommitAuthor; branch: string },
): Promise<string> {
  const { data } = await explained(
    {
      action: `commit to ${commit.branch}`,
      repository: repository.fullName,
      permission: 'contents: write',
    },
    () =>
      repository.client.rest.git.createCommit({
        owner: repository.owner,
        repo: repository.repo,
        message: commit.message,
        tree: commit.tree,
        parents: [commit.parent],
        ...(commit.author === undefined ? {} : { author: { ...commit.author } }),
      }),
  );
  return data.sha;
}

/**
 * Moves `refs/heads/<branch>` to `sha`. Without force GitHub checks the move is a fast-forward;
 * a refusal becomes NotFastForwardError, the signal to read again.
 */
export async function moveBranch(
  repository: GitHubRepository,
  branch: string,
  sha: string,
  force: boolean,
): Promise<void> {
  try {
    await repository.client.rest.git.updateRef({
      owner: repository.owner,
      repo: repository.repo,
      ref: `heads/${branch}`,
      sha,
      force,
    });
  } catch (error: unknown) {
    if (httpStatus(error) === 422 && /fast.?forward/i.test(gitHubMessage(error))) {
      throw new NotFastForwardError(branch, repository.fullName);
    }
    throw explainGitHubError(error, {
      action: `update the branch ${branch}`,
      repository: repository.fullName,
      permission: 'contents: write',
    });
  }
}

async function createBranch(
  repository: GitHubRepository,
  branch: string,
  sha: string,
): Promise<void> {
  try {
    await repository.client.rest.git.createRef({
      owner: repository.owner,
      repo: repository.repo,
      ref: `refs/heads/${branch}`,
      sha,
    });
  } catch (error: unknown) {
    // Another run created it since we looked: read it again.
    if (httpStatus(error) === 422 && /already exists/i.test(gitHubMessage(error))) {
      throw new NotFastForwardError(branch, repository.fullName);
    }
    throw explainGitHubError(error, {
      action: `create the branch ${branch}`,
      repository: repository.fullName,
      permission: 'contents: write',
    });
  }
}

/** Deletes `refs/heads/<branch>`; false when it was already gone. */
export async function deleteBranch(repository: GitHubRepository, branch: string): Promise<boolean> {
  try {
    await repository.client.rest.git.deleteRef({
      owner: repository.owner,
      repo: repository.repo,
      ref: `heads/${branch}`,
    });
    return true;
  } catch (error: unknown) {
    if (httpStatus(error) === 422 && /does not exist/i.test(gitHubMessage(error))) return false;
    throw explainGitHubError(error, {
      action: `delete the branch ${branch}`,
      repository: repository.fullName,
      permission: 'contents: write',
    });
  }
}

function missingBranch(repository: GitHubRepository, branch: string): Error {
  return new Error(
    `branch ${branch} was not found (${repository.fullName}): check the base branch name, and that the token can read the repository`,
  );
}

async function commitOnce(
  repository: GitHubRepository,
  request: CommitFilesRequest,
): Promise<CommitFilesResult> {
  const { branch } = request;
  const base = request.base ?? branch;
  const direct = base === branch;
  const branchTip = await readBranchTip(repository, branch);
  let start: BranchTip;
  if (branchTip !== undefined && (direct || request.force !== true)) {
    start = branchTip;
  } else {
    const baseTip = direct ? undefined : await readBranchTip(repository, base);
    if (baseTip === undefined) throw missingBranch(repository, base);
    start = baseTip;
  }
  // Updating a branch in place: one read of its tree tells an unchanged re-run apart without a
  // write. A new branch skips it: the tree write is needed anyway and shows no-ops by its sha.
  const known =
    start === branchTip || needsTreeListing(request.files)
      ? await listTreeBlobs(repository, start.treeSha)
      : undefined;
  const entries = await changedTreeEntries(repository, request.files, known);
  const treeSha = await writeTree(repository, start.treeSha, entries, branch);
  const unchanged = (tip: BranchTip, exists: boolean): CommitFilesResult => ({
    commitSha: tip.sha,
    treeSha: tip.treeSha,
    changed: false,
    operation: 'unchanged',
    branchExists: exists,
  });
  const rebuilding = branchTip !== undefined && start !== branchTip;
  // Rebuilding keeps only a branch that is one commit on the base tip: its tree alone could hide
  // other commits.
  const isRebuilt =
    !rebuilding || (branchTip.parents?.length === 1 && branchTip.parents[0] === start.sha);
  if (treeSha === branchTip?.treeSha && isRebuilt) return unchanged(branchTip, true);
  // The files already match where the branch would start: there is nothing to commit (and a branch
  // being rebuilt is not proposed as it stands).
  if (treeSha === start.treeSha) {
    return rebuilding
      ? unchanged(start, false)
      : unchanged(branchTip ?? start, branchTip !== undefined);
  }
  const commitSha = await writeCommit(repository, {
    tree: treeSha,
    parent: start.sha,
    message: request.message,
    author: request.author,
    branch,
  });
  if (branchTip === undefined) {
    await createBranch(repository, branch, commitSha);
    return { commitSha, treeSha, changed: true, operation: 'created', branchExists: true };
  }
  await moveBranch(repository, branch, commitSha, rebuilding);
  return {
    commitSha,
    treeSha,
    changed: true,
    operation: 'updated',
    branchExists: true,
    ...(rebuilding ? { replaced: branchTip.sha } : {}),
  };
}

/** Attempts for a branch of our own that another run moves (or creates) at the same moment. */
const BRANCH_ATTEMPTS = 3;

/**
 * Commits `files` to `branch` (creating it from `base` when missing) through the Git Data API:
 * read the tip, write a tree on its tree, a commit, then create or move the ref.
 *
 * Calls for a one-file text change: 5 on a new branch (tip of branch (404), tip of base, tree,
 * commit, ref); 2 reads and no write for an unchanged re-run; 5 to update (tip, tree listing,
 * tree, commit, ref). On the base branch itself (`base` omitted or equal) a concurrent push
 * fails with NotFastForwardError rather than being retried over: the caller must re-read and
 * re-apply its edit (see `commitEditsToBranch`). On another branch the commit is rebuilt on the
 * moved tip, bounded.
 */
export async function commitFiles(
  repository: GitHubRepository,
  request: CommitFilesRequest,
): Promise<CommitFilesResult> {
  const direct = (request.base ?? request.branch) === request.branch;
  if (direct && request.force === true) {
    throw new Error(
      `refusing to force-move ${request.branch} (${repository.fullName}): it is the base branch, and forcing would drop other people's commits`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await commitOnce(repository, request);
    } catch (error: unknown) {
      if (!(error instanceof NotFastForwardError) || direct || attempt >= BRANCH_ATTEMPTS) {
        throw error;
      }
    }
  }
}
