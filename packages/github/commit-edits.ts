/**
 * Commits straight to a branch (the change step's direct mode, packages/release/change.ts) without
 * ever overwriting someone else's change.
 * Each attempt reads the tip, applies the caller's edits to the files as they are there, and moves
 * the branch only as a fast-forward (`force: false`). When another push lands in between, GitHub
 * refuses the move and the attempt starts over from the new tip, bounded.
 */
import { httpStatus } from './client.js';
import {
  changedTreeEntries,
  listTreeBlobs,
  moveBranch,
  NotFastForwardError,
  readBranchTip,
  writeCommit,
  writeTree,
  type BranchTip,
  type CommitAuthor,
  type CommitFilesResult,
  type FileChange,
  type KnownBlob,
} from './commit-files.js';
import { explained, explainGitHubError } from './errors.js';
import type { GitHubRepository } from './repository.js';
import { silentLogger, type Logger } from '../kit/index.js';

export interface RepositoryFile {
  readonly path: string;
  /** Git blob sha of the content. */
  readonly sha: string;
  readonly content: Buffer;
}

/** Bytes of a blob by sha. */
export async function readBlob(repository: GitHubRepository, sha: string): Promise<Buffer> {
  const { data } = await explained(
    { action: `read blob ${sha}`, repository: repository.fullName, permission: 'contents: read' },
    () =>
      repository.client.rest.git.getBlob({
        owner: repository.owner,
        repo: repository.repo,
        file_sha: sha,
      }),
  );
  return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8');
}

/** A file at `ref` through the contents API; undefined when there is no file at that path. */
export async function readFile(
  repository: GitHubRepository,
  path: string,
  ref: string,
): Promise<RepositoryFile | undefined> {
  let data: unknown;
  try {
    ({ data } = await repository.client.rest.repos.getContent({
      owner: repository.owner,
      repo: repository.repo,
      path,
      ref,
    }));
  } catch (error: unknown) {
    if (httpStatus(error) === 404) return undefined;
    throw explainGitHubError(error, {
      action: `read ${path} at ${ref}`,
      repository: repository.fullName,
      permission: 'contents: read',
    });
  }
  if (Array.isArray(data) || typeof data !== 'object' || data === null) {
    throw new Error(`${path} at ${ref} (${repository.fullName}) is a directory, not a file`);
  }
  const file = data as { type?: unknown; sha?: unknown; content?: unknown; encoding?: unknown };
  if (file.type !== 'file' || typeof file.sha !== 'string') {
    throw new Error(`${path} at ${ref} (${repository.fullName}) is not a regular file`);
  }
  // Files over 1 MB come without content ("encoding": "none"); the blob API has them.
  const content =
    file.encoding === 'base64' && typeof file.content === 'string'
      ? Buffer.from(file.content, 'base64')
      : await readBlob(repository, file.sha);
  return { path, sha: file.sha, content };
}

export interface FileEdit {
  readonly path: string;
  /**
   * The new content from the content at the tip (undefined when the file does not exist there);
   * null deletes. Called again on every attempt, so it must depend on nothing but `current`.
   */
  readonly edit: (current: string | undefined) => string | null;
}

export type FastForwardResult =
  | {
      readonly outcome: 'committed' | 'unchanged';
      readonly commitSha: string;
      readonly treeSha: string;
    }
  | { readonly outcome: 'branch-moved' };

export interface FastForwardRequest {
  readonly branch: string;
  /** The tip the files were computed from; the new commit's parent. */
  readonly parent: BranchTip;
  readonly files: readonly FileChange[];
  /** Blobs of `parent`'s tree by path, when known: identical files then cost nothing. */
  readonly known?: ReadonlyMap<string, KnownBlob>;
  readonly message: string;
  readonly author?: CommitAuthor;
}

/**
 * One attempt: a commit of `files` on `parent`, then a fast-forward of the branch to it. Returns
 * `branch-moved` when the branch is no longer at `parent` (GitHub: "Update is not a fast
 * forward"): re-read and re-apply then; never force.
 */
export async function fastForwardBase(
  repository: GitHubRepository,
  request: FastForwardRequest,
): Promise<FastForwardResult> {
  const { branch, parent } = request;
  const entries = await changedTreeEntries(repository, request.files, request.known);
  const treeSha = await writeTree(repository, parent.treeSha, entries, branch);
  if (treeSha === parent.treeSha) return { outcome: 'unchanged', commitSha: parent.sha, treeSha };
  const commitSha = await writeCommit(repository, {
    tree: treeSha,
    parent: parent.sha,
    message: request.message,
    author: request.author,
    branch,
  });
  try {
    await moveBranch(repository, branch, commitSha, false);
  } catch (error: unknown) {
    if (error instanceof NotFastForwardError) return { outcome: 'branch-moved' };
    throw error;
  }
  return { outcome: 'committed', commitSha, treeSha };
}

export interface CommitEditsRequest {
  /** The branch to commit to directly, usually the base branch; it must exist. */
  readonly branch: string;
  readonly edits: readonly FileEdit[];
  readonly message: string;
  readonly author?: CommitAuthor;
  /**
   * Default 10. Every refused attempt means another commit landed while it ran, and the attempts
   * of one run do not overlap in time, so `n` runs committing at once all land within `n` attempts
   * each: the default covers 10 at once.
   */
  readonly maxAttempts?: number;
  readonly logger?: Logger;
  /** For tests; default a timer. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** For tests; default Math.random. */
  readonly random?: () => number;
}

const defaultSleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

export interface CommitEditsResult extends CommitFilesResult {
  /** 1 when nobody pushed in between. */
  readonly attempts: number;
}

/**
 * Applies `edits` to the branch tip and fast-forwards the branch, starting over from the new tip
 * (after a jittered backoff) when someone else pushed in between. Calls per attempt for one file: tip, tree listing, blob,
 * tree, commit, ref update (6); blob reads are reused across attempts while a file is unchanged.
 */
export async function commitEditsToBranch(
  repository: GitHubRepository,
  request: CommitEditsRequest,
): Promise<CommitEditsResult> {
  const maxAttempts = request.maxAttempts ?? 10;
  const logger = request.logger ?? silentLogger;
  const sleep = request.sleep ?? defaultSleep;
  const random = request.random ?? Math.random;
  const blobCache = new Map<string, Buffer>();
  const contentOf = async (sha: string): Promise<Buffer> => {
    const cached = blobCache.get(sha);
    if (cached !== undefined) return cached;
    const content = await readBlob(repository, sha);
    blobCache.set(sha, content);
    return content;
  };
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const tip = await readBranchTip(repository, request.branch);
    if (tip === undefined) {
      throw new Error(
        `branch ${request.branch} was not found (${repository.fullName}): check the branch name, and that the token can read the repository`,
      );
    }
    const known = await knownBlobs(repository, tip, request.edits);
    const files: FileChange[] = [];
    for (const { path, edit } of request.edits) {
      const blob = known.get(path);
      const current = blob === undefined ? undefined : (await contentOf(blob.sha)).toString('utf8');
      files.push({ path, content: edit(current) });
    }
    const result = await fastForwardBase(repository, {
      branch: request.branch,
      parent: tip,
      files,
      known,
      message: request.message,
      author: request.author,
    });
    if (result.outcome === 'branch-moved') {
      // Runs that lost the same race would otherwise all retry together and collide again:
      // exponential backoff with full jitter spreads them out.
      const delay = Math.round(random() * Math.min(250 * 2 ** attempt, 10_000));
      logger.info(
        `${request.branch} moved while committing (attempt ${String(attempt)} of ${String(maxAttempts)}): applying the change again on the new tip in ${String(delay)} ms`,
      );
      if (attempt < maxAttempts) await sleep(delay);
      continue;
    }
    return {
      commitSha: result.commitSha,
      treeSha: result.treeSha,
      changed: result.outcome === 'committed',
      operation: result.outcome === 'committed' ? 'updated' : 'unchanged',
      branchExists: true,
      attempts: attempt,
    };
  }
  throw new Error(
    `branch ${request.branch} kept moving (${repository.fullName}): gave up after ${String(maxAttempts)} attempts to fast-forward it; run the release again when pushes to ${request.branch} quiet down`,
  );
}

/** The tip's blobs for the edited paths: one tree listing, or per-file reads for huge trees. */
async function knownBlobs(
  repository: GitHubRepository,
  tip: BranchTip,
  edits: readonly FileEdit[],
): Promise<Map<string, KnownBlob>> {
  const listing = await listTreeBlobs(repository, tip.treeSha);
  if (listing !== undefined) return listing;
  const known = new Map<string, KnownBlob>();
  for (const { path } of edits) {
    const file = await readFile(repository, path, tip.sha);
    // The contents API does not say the mode; manifests are plain files.
    if (file !== undefined) known.set(path, { mode: '100644', sha: file.sha });
  }
  return known;
}
