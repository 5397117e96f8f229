/**
 * The git side of the Git Data, contents and pull request endpoints, written with git plumbing
 * into the repository's bare repo so that `git log` / `git show` see exactly what the API made.
 * Writers are called with the repository's write lock held (`exclusive`).
 */
import { GIT_IDENTITY, GitError, git, gitBytes, gitOrUndefined, isFullSha } from './git.js';
import { ApiError } from './http.js';
import type { RefEntry } from './model.js';
import type { GitRepository } from './repository.js';

export interface TreeListingEntry {
  path: string;
  mode: string;
  type: string;
  sha: string;
  /** Blobs only. */
  size?: number;
}

export interface GitIdentityInput {
  name: string;
  email: string;
  /** ISO 8601; default: the repository's next reproducible date. */
  date?: string;
}

export async function writeBlob(repo: GitRepository, content: Buffer): Promise<string> {
  return (await git(repo.gitDir, ['hash-object', '-w', '--stdin'], { input: content })).trim();
}

export async function readBlob(repo: GitRepository, sha: string): Promise<Buffer | undefined> {
  if ((await repo.objectType(sha)) !== 'blob') return undefined;
  return gitBytes(repo.gitDir, ['cat-file', 'blob', sha]);
}

/** Sha of the tree a tree sha, commit sha, branch or tag names, if it names one. */
export async function resolveTree(
  repo: GitRepository,
  treeish: string,
): Promise<string | undefined> {
  if (treeish === '' || treeish.startsWith('-') || /[\0\n\r]/.test(treeish)) return undefined;
  const output = await gitOrUndefined(repo.gitDir, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${treeish}^{tree}`,
  ]);
  return output?.trim();
}

/** `git ls-tree -l` of a tree: its entries, or every entry below it when recursive. */
export async function listTree(
  repo: GitRepository,
  treeSha: string,
  recursive: boolean,
): Promise<TreeListingEntry[]> {
  const args = ['ls-tree', '-l', '-z', ...(recursive ? ['-r', '-t'] : []), treeSha];
  return parseLsTree(await git(repo.gitDir, args));
}

function parseLsTree(output: string): TreeListingEntry[] {
  return output
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = '', sha = '', size = '-'] = line.slice(0, tab).split(/ +/);
      const entry: TreeListingEntry = { path: line.slice(tab + 1), mode, type, sha };
      if (type === 'blob') entry.size = Number(size);
      return entry;
    });
}

/** The entry at `path` in the tree of `commitSha` (the root tree for ''), if there is one. */
export async function entryAt(
  repo: GitRepository,
  commitSha: string,
  path: string,
): Promise<TreeListingEntry | undefined> {
  if (path === '') {
    const tree = await resolveTree(repo, commitSha);
    return tree === undefined ? undefined : { path: '', mode: '040000', type: 'tree', sha: tree };
  }
  const output = await git(repo.gitDir, ['ls-tree', '-l', '-z', commitSha, '--', path]);
  return parseLsTree(output).find((entry) => entry.path === path);
}

function signature(person: GitIdentityInput | undefined, fallbackDate: string) {
  const { name, email } = person ?? GIT_IDENTITY;
  return { name, email, date: person?.date ?? fallbackDate };
}

/** A commit object exactly as POST /git/commits describes it; no ref moves. */
export async function writeCommit(
  repo: GitRepository,
  commit: {
    tree: string;
    parents: readonly string[];
    message: string;
    author?: GitIdentityInput;
    committer?: GitIdentityInput;
  },
): Promise<string> {
  const date = repo.nextGitDate();
  const author = signature(commit.author, date);
  // Like GitHub: without a committer, the author commits.
  const committer = signature(commit.committer ?? commit.author, date);
  const output = await git(
    repo.gitDir,
    ['commit-tree', commit.tree, ...commit.parents.flatMap((parent) => ['-p', parent]), '-F', '-'],
    {
      input: commit.message,
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: author.date,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        GIT_COMMITTER_DATE: committer.date,
      },
    },
  );
  return output.trim();
}

async function isAncestor(repo: GitRepository, ancestor: string, descendant: string) {
  const result = await gitOrUndefined(repo.gitDir, [
    'merge-base',
    '--is-ancestor',
    ancestor,
    descendant,
  ]);
  return result !== undefined;
}

/**
 * PATCH /git/refs/{ref}: moves an existing ref. Without `force` the new commit must contain the
 * current one, the check GitHub makes ("Update is not a fast forward").
 */
export async function updateRef(
  repo: GitRepository,
  ref: string,
  sha: string,
  force: boolean,
): Promise<RefEntry> {
  const current = (await repo.refs()).byName.get(ref);
  if (current === undefined) throw new ApiError(422, 'Reference does not exist');
  const type = await repo.objectType(sha);
  if (type === undefined || !isFullSha(sha)) throw new ApiError(422, 'Object does not exist');
  if (!force && current.sha !== sha && !(await isAncestor(repo, current.sha, sha))) {
    throw new ApiError(422, 'Update is not a fast forward');
  }
  try {
    await git(repo.gitDir, ['update-ref', ref, sha, current.sha]);
  } catch (error: unknown) {
    if (error instanceof GitError) throw new ApiError(422, 'Reference update failed');
    throw error;
  } finally {
    repo.invalidateRefCache();
  }
  return { ref, sha, type };
}

/** DELETE /git/refs/{ref}; a deleted branch closes its open pull requests, as on GitHub. */
export async function deleteRef(repo: GitRepository, ref: string): Promise<void> {
  const current = (await repo.refs()).byName.get(ref);
  if (current === undefined) throw new ApiError(422, 'Reference does not exist');
  try {
    await git(repo.gitDir, ['update-ref', '-d', ref, current.sha]);
  } finally {
    repo.invalidateRefCache();
  }
  if (ref.startsWith('refs/heads/')) {
    repo.pullStore.closeForDeletedBranch(ref.slice('refs/heads/'.length));
  }
}

/** The tree a merge of `head` into `base` gives, or undefined when they conflict. */
export async function mergeTree(
  repo: GitRepository,
  base: string,
  head: string,
): Promise<string | undefined> {
  const output = await gitOrUndefined(repo.gitDir, [
    'merge-tree',
    '--write-tree',
    '--no-messages',
    base,
    head,
  ]);
  return output?.split('\n')[0]?.trim();
}

/** Moves `refs/heads/<branch>` from `expected` to `sha`; the lock makes this a compare-and-swap. */
export async function advanceBranch(
  repo: GitRepository,
  branch: string,
  sha: string,
  expected: string,
): Promise<void> {
  try {
    await git(repo.gitDir, ['update-ref', `refs/heads/${branch}`, sha, expected]);
  } finally {
    repo.invalidateRefCache();
  }
}
