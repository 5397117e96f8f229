/** One bare git repository plus the GitHub-only state (checks, statuses, releases) around it. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  EMPTY_TREE_SHA,
  GIT_IDENTITY,
  GitError,
  git,
  gitDate,
  gitOrUndefined,
  isFullSha,
} from './git.js';
import { ApiError, validationFailed } from './http.js';
import { addPackedTags, packable } from './packed-tags.js';
import {
  isoSeconds,
  type CheckRunRecord,
  type CommitInfo,
  type FileChange,
  type FileChangeStatus,
  type GitPerson,
  type MakeLatest,
  type RefEntry,
  type ReleaseRecord,
  type RepoIdentity,
  type StatusRecord,
  type TagInfo,
} from './model.js';
import { PullStore } from './pull-store.js';
import type {
  CheckRunInput,
  CommitStatusInput,
  PullRequestInput,
  PullRequestState,
  ReleaseInput,
  TestRepo,
  TokenPermissions,
} from './types.js';

/** Hands out ids that are unique across the whole server, like GitHub's database ids. */
export type NextId = () => number;

export interface RefSnapshot {
  /** Sorted by ref name, as `git for-each-ref` prints them. */
  readonly sorted: readonly RefEntry[];
  readonly byName: ReadonlyMap<string, RefEntry>;
}

export interface NewRelease {
  tagName: string;
  targetCommitish?: string;
  name?: string;
  body?: string;
  draft: boolean;
  prerelease: boolean;
  makeLatest: MakeLatest;
}

const FIELD = '%x00';
const COMMIT_FORMAT =
  ['%H', '%T', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join(FIELD) + `${FIELD}%x1e`;

function utcIso(gitIsoDate: string): string {
  return isoSeconds(new Date(gitIsoDate));
}

function parseCommits(output: string): CommitInfo[] {
  return output
    .split('\0\x1e')
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record !== '')
    .map((record) => {
      const fields = record.split('\0');
      if (fields.length !== 10)
        throw new Error(`unexpected rev-list record: ${JSON.stringify(record)}`);
      const at = (index: number) => fields[index] ?? '';
      return {
        sha: at(0),
        tree: at(1),
        parents: at(2) === '' ? [] : at(2).split(' '),
        author: { name: at(3), email: at(4), date: utcIso(at(5)) },
        committer: { name: at(6), email: at(7), date: utcIso(at(8)) },
        message: at(9).replace(/\n+$/, ''),
      };
    });
}

function parseSignature(line: string): GitPerson {
  const match = /^(.*) <([^>]*)> (\d+) [+-]\d{4}$/.exec(line);
  if (match === null) throw new Error(`unexpected git signature: ${line}`);
  const [, name = '', email = '', seconds = '0'] = match;
  return { name, email, date: isoSeconds(new Date(Number(seconds) * 1000)) };
}

const RAW_STATUS: Record<string, FileChangeStatus> = {
  A: 'added',
  D: 'removed',
  M: 'modified',
  T: 'changed',
};

/** Parses `git diff-tree -r -z --no-renames --raw --numstat`: raw records, then numstat ones. */
function parseDiff(output: string): FileChange[] {
  const tokens = output.split('\0');
  const changes = new Map<string, FileChange>();
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] ?? '';
    if (token.startsWith(':')) {
      const [, , oldSha = '', newSha = '', statusLetter = ''] = token.slice(1).split(' ');
      const filename = tokens[++index] ?? '';
      const status = RAW_STATUS[statusLetter] ?? 'modified';
      const sha = status === 'removed' ? oldSha : newSha;
      changes.set(filename, { filename, status, additions: 0, deletions: 0, sha });
    } else if (token !== '') {
      const [added = '0', deleted = '0', ...rest] = token.split('\t');
      const change = changes.get(rest.join('\t'));
      if (change !== undefined) {
        // Binary files count as '-' in numstat; GitHub reports 0 lines for them.
        change.additions = Number(added) || 0;
        change.deletions = Number(deleted) || 0;
      }
    }
  }
  return [...changes.values()];
}

export interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
}

/** One path of a tree being built: the entry to write there, or null to delete it. */
export interface TreeChange {
  path: string;
  entry: TreeEntry | null;
}

/** A directory of the tree being built; `sha` is reusable while nothing below it changed. */
class DirectoryNode {
  readonly entries = new Map<string, TreeEntry | DirectoryNode>();
  dirty = false;
  constructor(readonly sha?: string) {}
}

function pathSegments(path: string): string[] {
  const segments = path.split('/');
  if (
    segments.some((segment) => ['', '.', '..', '.git'].includes(segment) || segment.includes('\0'))
  ) {
    throw new Error(`invalid file path for a commit: ${JSON.stringify(path)}`);
  }
  return segments;
}

function isRevisionSafe(revision: string): boolean {
  return revision !== '' && !revision.startsWith('-') && !/[\0\n\r]/.test(revision);
}

export class GitRepository implements TestRepo, RepoIdentity {
  readonly fullName: string;
  readonly createdAt = isoSeconds();
  readonly checkRuns: CheckRunRecord[] = [];
  readonly statuses: StatusRecord[] = [];
  readonly releases: ReleaseRecord[] = [];
  readonly pullStore: PullStore;
  /** Tokens registered with setTokenPermissions; others may do everything. */
  readonly tokenPermissions = new Map<string, TokenPermissions>();

  /** Commit/tag dates advance one second per object so that shas are reproducible. */
  private clock = 0;
  private writeQueue: Promise<unknown> = Promise.resolve();
  private refSnapshot: Promise<RefSnapshot> | undefined;
  private readonly commitCache = new Map<string, CommitInfo>();

  constructor(
    readonly id: number,
    readonly owner: string,
    readonly ownerId: number,
    readonly name: string,
    readonly gitDir: string,
    readonly defaultBranch: string,
    private readonly nextId: NextId,
  ) {
    this.fullName = `${owner}/${name}`;
    this.pullStore = new PullStore(nextId, this.fullName);
  }

  /** The next reproducible commit date: one second after the previous object's. */
  nextGitDate(): string {
    return gitDate(++this.clock);
  }

  /** Runs writes one at a time in call order, the way GitHub serialises pushes to a repository. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(task);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  async initialise(): Promise<void> {
    await mkdir(dirname(this.gitDir), { recursive: true });
    await git(this.gitDir, ['init', '--bare', '--quiet', `--initial-branch=${this.defaultBranch}`]);
    await this.commit('Initial commit', { 'README.md': `# ${this.name}\n` });
  }

  // ---- refs -------------------------------------------------------------------------------

  invalidateRefCache(): void {
    this.refSnapshot = undefined;
  }

  /** All refs, read once per change: listing 10,000 tags page by page must not re-run git. */
  refs(): Promise<RefSnapshot> {
    if (this.refSnapshot !== undefined) return this.refSnapshot;
    const loading = this.loadRefs();
    this.refSnapshot = loading;
    loading.catch(() => {
      if (this.refSnapshot === loading) this.refSnapshot = undefined;
    });
    return loading;
  }

  private async loadRefs(): Promise<RefSnapshot> {
    const output = await git(this.gitDir, [
      'for-each-ref',
      '--format=%(refname)%00%(objectname)%00%(objecttype)',
    ]);
    const sorted = output
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [ref = '', sha = '', type = ''] = line.split('\0');
        return { ref, sha, type };
      });
    return { sorted, byName: new Map(sorted.map((entry) => [entry.ref, entry])) };
  }

  async matchingRefs(prefix: string): Promise<RefEntry[]> {
    const { sorted } = await this.refs();
    return sorted.filter((entry) => entry.ref.startsWith(prefix));
  }

  async head(branch: string = this.defaultBranch): Promise<string> {
    const sha = await gitOrUndefined(this.gitDir, [
      'rev-parse',
      '--verify',
      '--quiet',
      `refs/heads/${branch}`,
    ]);
    if (sha === undefined) throw new Error(`${this.fullName} has no branch ${branch}`);
    return sha.trim();
  }

  async tags(): Promise<Map<string, string>> {
    const output = await git(this.gitDir, [
      'for-each-ref',
      '--format=%(refname:lstrip=2)%00%(objectname)',
      'refs/tags',
    ]);
    const tags = new Map<string, string>();
    for (const line of output.split('\n')) {
      const [name = '', sha = ''] = line.split('\0');
      if (name !== '') tags.set(name, sha);
    }
    return tags;
  }

  createTag(name: string, sha: string, options: { annotated?: boolean; message?: string } = {}) {
    return this.exclusive(async () => {
      let target = sha;
      if (options.annotated === true) {
        const type = (await git(this.gitDir, ['cat-file', '-t', sha])).trim();
        const tagger = `${GIT_IDENTITY.name} <${GIT_IDENTITY.email}> ${gitDate(++this.clock)}`;
        const message = options.message ?? name;
        const tagText = `object ${sha}\ntype ${type}\ntag ${name}\ntagger ${tagger}\n\n${message}\n`;
        target = (await git(this.gitDir, ['mktag'], { input: tagText })).trim();
      }
      try {
        await git(this.gitDir, ['update-ref', `refs/tags/${name}`, target, '']);
      } finally {
        this.invalidateRefCache();
      }
    });
  }

  createTags(names: string[], sha: string) {
    return this.exclusive(async () => {
      const input = names.map((name) => `create refs/tags/${name} ${sha}\n`).join('');
      try {
        // Thousands of tags go to packed-refs, as on GitHub (packed-tags.ts).
        const commit = names.length >= 1000 && packable(names) ? await this.objectType(sha) : '';
        if (commit === 'commit') {
          const refs = await git(this.gitDir, ['for-each-ref', '--format=%(refname)']);
          await addPackedTags(this.gitDir, names, sha, new Set(refs.split('\n')));
        } else {
          await git(this.gitDir, ['update-ref', '--stdin'], { input });
        }
      } finally {
        this.invalidateRefCache();
      }
    });
  }

  /**
   * POST /git/refs: creates `ref` only if it does not exist (`update-ref <ref> <sha> ""`), so a
   * lost race is a 422 exactly like on GitHub. The caller holds the write lock (`exclusive`).
   */
  async createRef(ref: string, sha: string): Promise<RefEntry> {
    if (ref.split('/').length < 3) {
      throw new ApiError(
        422,
        'Reference name must contain at least three slash-separated components.',
      );
    }
    const validName =
      ref.startsWith('refs/') &&
      (await gitOrUndefined(this.gitDir, ['check-ref-format', ref])) !== undefined;
    if (!validName) throw new ApiError(422, `${ref} is not a valid ref name.`);
    const type = isFullSha(sha)
      ? (await gitOrUndefined(this.gitDir, ['cat-file', '-t', sha]))?.trim()
      : undefined;
    if (type === undefined) throw new ApiError(422, 'Object does not exist');
    try {
      await git(this.gitDir, ['update-ref', ref, sha, '']);
    } catch (error: unknown) {
      if (!(error instanceof GitError)) throw error;
      throw new ApiError(
        422,
        error.stderr.includes('reference already exists')
          ? 'Reference already exists'
          : 'Reference update failed',
      );
    } finally {
      this.invalidateRefCache();
    }
    return { ref, sha, type };
  }

  // ---- objects ----------------------------------------------------------------------------

  /** Full sha of the commit a sha, short sha, branch or tag (annotated tags peeled) names. */
  async resolveCommit(revision: string): Promise<string | undefined> {
    if (!isRevisionSafe(revision)) return undefined;
    const output = await gitOrUndefined(this.gitDir, [
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${revision}^{commit}`,
    ]);
    return output?.trim();
  }

  async objectType(sha: string): Promise<string | undefined> {
    if (!isFullSha(sha)) return undefined;
    return (await gitOrUndefined(this.gitDir, ['cat-file', '-t', sha]))?.trim();
  }

  async readCommit(sha: string): Promise<CommitInfo> {
    const cached = this.commitCache.get(sha);
    if (cached !== undefined) return cached;
    const [commit] = await this.listCommits(['-n', '1', sha]);
    if (commit === undefined) throw new Error(`no commit ${sha}`);
    return commit;
  }

  /** Commits `git rev-list <args>` selects, in its order. */
  async listCommits(revListArgs: string[]): Promise<CommitInfo[]> {
    const output = await git(this.gitDir, [
      'rev-list',
      '--no-commit-header',
      `--format=${COMMIT_FORMAT}`,
      ...revListArgs,
    ]);
    const commits = parseCommits(output);
    for (const commit of commits) this.commitCache.set(commit.sha, commit);
    return commits;
  }

  async readTag(sha: string): Promise<TagInfo | undefined> {
    if ((await this.objectType(sha)) !== 'tag') return undefined;
    const text = await git(this.gitDir, ['cat-file', 'tag', sha]);
    const split = text.indexOf('\n\n');
    const headerText = split === -1 ? text : text.slice(0, split);
    const headers = new Map(
      headerText.split('\n').map((line) => {
        const space = line.indexOf(' ');
        return [line.slice(0, space), line.slice(space + 1)] as const;
      }),
    );
    return {
      sha,
      tag: headers.get('tag') ?? '',
      message: split === -1 ? '' : text.slice(split + 2).replace(/\n$/, ''),
      tagger: parseSignature(headers.get('tagger') ?? ''),
      object: { sha: headers.get('object') ?? '', type: headers.get('type') ?? '' },
    };
  }

  async mergeBase(base: string, head: string): Promise<string | undefined> {
    return (await gitOrUndefined(this.gitDir, ['merge-base', base, head]))?.trim();
  }

  /** [behind_by, ahead_by] of `head` relative to `base`. */
  async aheadBehind(base: string, head: string): Promise<[number, number]> {
    const output = await git(this.gitDir, [
      'rev-list',
      '--left-right',
      '--count',
      `${base}...${head}`,
    ]);
    const [behind = '0', ahead = '0'] = output.trim().split(/\s+/);
    return [Number(behind), Number(ahead)];
  }

  /** Files changed from commit `from` (the empty tree when undefined) to commit `to`. */
  async diff(from: string | undefined, to: string): Promise<FileChange[]> {
    const output = await git(this.gitDir, [
      'diff-tree',
      '-r',
      '-z',
      '--no-renames',
      '--raw',
      '--numstat',
      from ?? EMPTY_TREE_SHA,
      to,
    ]);
    return parseDiff(output);
  }

  // ---- commits ----------------------------------------------------------------------------

  commit(
    message: string,
    files: Record<string, string> = {},
    options: { branch?: string; from?: string } = {},
  ) {
    const branch = options.branch ?? this.defaultBranch;
    return this.exclusive(async () => {
      const ref = `refs/heads/${branch}`;
      const current = (
        await gitOrUndefined(this.gitDir, ['rev-parse', '--verify', '--quiet', ref])
      )?.trim();
      const parent =
        current ??
        options.from ??
        (
          await gitOrUndefined(this.gitDir, [
            'rev-parse',
            '--verify',
            '--quiet',
            `refs/heads/${this.defaultBranch}`,
          ])
        )?.trim();
      const baseTree = parent === undefined ? undefined : (await this.readCommit(parent)).tree;
      const tree = await this.writeTree(baseTree, files);
      const date = gitDate(++this.clock);
      const sha = (
        await git(
          this.gitDir,
          ['commit-tree', tree, ...(parent === undefined ? [] : ['-p', parent]), '-F', '-'],
          {
            input: message.endsWith('\n') ? message : `${message}\n`,
            env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
          },
        )
      ).trim();
      try {
        await git(this.gitDir, ['update-ref', ref, sha, current ?? '']);
      } finally {
        this.invalidateRefCache();
      }
      return sha;
    });
  }

  /** Tree of `baseTree` with `files` written over it, rebuilding only the directories touched. */
  private async writeTree(
    baseTree: string | undefined,
    files: Record<string, string>,
  ): Promise<string> {
    const paths = Object.keys(files);
    if (baseTree !== undefined && paths.length === 0) return baseTree;
    const blobs = await Promise.all(
      paths.map((path) =>
        git(this.gitDir, ['hash-object', '-w', '--stdin'], { input: files[path] ?? '' }),
      ),
    );
    return this.buildTree(
      baseTree,
      paths.map((path, index) => ({
        path,
        entry: { mode: '100644', type: 'blob', sha: (blobs[index] ?? '').trim() },
      })),
    );
  }

  /**
   * Tree of `baseTree` with `changes` applied (a null entry deletes the path, as `sha: null` does
   * in POST /git/trees), rebuilding only the directories touched; emptied directories disappear.
   */
  async buildTree(baseTree: string | undefined, changes: readonly TreeChange[]): Promise<string> {
    const root = new DirectoryNode(baseTree);
    if (baseTree !== undefined) {
      const listing = await git(this.gitDir, ['ls-tree', '-r', '-t', '-z', baseTree]);
      for (const line of listing.split('\0')) {
        if (line === '') continue;
        const tab = line.indexOf('\t');
        const [mode = '', type = '', sha = ''] = line.slice(0, tab).split(' ');
        const segments = line.slice(tab + 1).split('/');
        const leaf = segments.pop() ?? '';
        const parent = this.directoryAt(root, segments, false);
        parent.entries.set(leaf, type === 'tree' ? new DirectoryNode(sha) : { mode, type, sha });
      }
    }
    for (const { path, entry } of changes) {
      const segments = pathSegments(path);
      const leaf = segments.pop() ?? '';
      if (entry === null) {
        const parent = this.existingDirectoryAt(root, segments);
        // GitHub refuses to delete what the base tree does not have.
        if (parent?.entries.has(leaf) !== true) throw new ApiError(422, 'GitRPC::BadObjectState');
        this.directoryAt(root, segments, true).entries.delete(leaf);
        continue;
      }
      const directory = this.directoryAt(root, segments, true);
      directory.entries.set(
        leaf,
        entry.type === 'tree' ? new DirectoryNode(entry.sha) : { ...entry },
      );
    }
    return (await this.writeDirectory(root)) ?? (await this.writeEmptyTree());
  }

  private async writeEmptyTree(): Promise<string> {
    return (await git(this.gitDir, ['mktree', '-z'], { input: '' })).trim();
  }

  private existingDirectoryAt(root: DirectoryNode, segments: string[]): DirectoryNode | undefined {
    let directory = root;
    for (const segment of segments) {
      const child = directory.entries.get(segment);
      if (!(child instanceof DirectoryNode)) return undefined;
      directory = child;
    }
    return directory;
  }

  private directoryAt(root: DirectoryNode, segments: string[], markDirty: boolean): DirectoryNode {
    let directory = root;
    if (markDirty) root.dirty = true;
    for (const segment of segments) {
      let child = directory.entries.get(segment);
      if (!(child instanceof DirectoryNode)) {
        child = new DirectoryNode();
        directory.entries.set(segment, child);
      }
      if (markDirty) child.dirty = true;
      directory = child;
    }
    return directory;
  }

  /** Writes the directory's tree object; undefined for a directory left empty (git drops it). */
  private async writeDirectory(directory: DirectoryNode): Promise<string | undefined> {
    if (!directory.dirty && directory.sha !== undefined) return directory.sha;
    const lines = await Promise.all(
      [...directory.entries].map(async ([name, entry]) => {
        if (!(entry instanceof DirectoryNode))
          return `${entry.mode} ${entry.type} ${entry.sha}\t${name}`;
        const sha = await this.writeDirectory(entry);
        return sha === undefined ? undefined : `040000 tree ${sha}\t${name}`;
      }),
    );
    const present = lines.filter((line) => line !== undefined);
    if (present.length === 0) return undefined;
    const input = present.map((line) => `${line}\0`).join('');
    return (await git(this.gitDir, ['mktree', '-z'], { input })).trim();
  }

  // ---- pull requests, collaborators, permissions --------------------------------------------

  addCollaborator(login: string): void {
    this.pullStore.addCollaborator(login);
  }

  addTeam(slug: string): void {
    this.pullStore.addTeam(slug);
  }

  setTokenPermissions(token: string, permissions: TokenPermissions): void {
    this.tokenPermissions.set(token, { ...permissions });
  }

  setAllowAutoMerge(allowed: boolean): void {
    this.pullStore.allowAutoMerge = allowed;
  }

  /** Tip of `refs/heads/<branch>`, or undefined when there is no such branch. */
  async branchTip(branch: string): Promise<string | undefined> {
    return (await this.refs()).byName.get(`refs/heads/${branch}`)?.sha;
  }

  openPullRequest(input: PullRequestInput): Promise<PullRequestState> {
    return this.exclusive(async () => {
      const base = input.base ?? this.defaultBranch;
      const headSha = await this.branchTip(input.head);
      if (headSha === undefined) throw new Error(`${this.fullName} has no branch ${input.head}`);
      if ((await this.branchTip(base)) === undefined) {
        throw new Error(`${this.fullName} has no branch ${base}`);
      }
      if (this.pullStore.openFor(input.head, base) !== undefined) {
        throw new Error(`${this.fullName} already has an open pull request for ${input.head}`);
      }
      const record = this.pullStore.create({
        head: input.head,
        base,
        title: input.title,
        body: input.body ?? null,
        draft: input.draft ?? false,
        headSha,
      });
      this.pullStore.addLabels(record, input.labels ?? []);
      return this.pullStore.snapshot(record, headSha);
    });
  }

  async pulls(): Promise<PullRequestState[]> {
    const { byName } = await this.refs();
    return this.pullStore.records.map((record) =>
      this.pullStore.snapshot(record, byName.get(`refs/heads/${record.head}`)?.sha),
    );
  }

  // ---- checks, statuses, releases ---------------------------------------------------------

  addCheckRun(sha: string, run: CheckRunInput): void {
    const status = run.status ?? 'completed';
    const now = isoSeconds();
    this.checkRuns.push({
      id: this.nextId(),
      headSha: sha,
      name: run.name,
      status,
      conclusion: status === 'completed' ? (run.conclusion ?? 'success') : null,
      startedAt: now,
      completedAt: status === 'completed' ? now : null,
      checkSuiteId: this.nextId(),
    });
  }

  addStatus(sha: string, status: CommitStatusInput): void {
    this.statuses.push({
      id: this.nextId(),
      sha,
      context: status.context,
      state: status.state,
      description: status.description ?? null,
      targetUrl: status.target_url ?? null,
      createdAt: isoSeconds(),
    });
  }

  /** The newest status per context, newest first (what the combined status reports). */
  latestStatuses(sha: string): StatusRecord[] {
    const latest = new Map<string, StatusRecord>();
    for (const status of this.statuses) {
      if (status.sha === sha) latest.set(status.context, status);
    }
    return [...latest.values()].sort((a, b) => b.id - a.id);
  }

  createRelease(tagName: string, options: ReleaseInput = {}): void {
    if (this.releases.some((release) => release.tagName === tagName)) {
      throw new Error(`${this.fullName} already has a release for ${tagName}`);
    }
    this.recordRelease({
      tagName,
      targetCommitish: options.targetCommitish,
      name: options.name,
      body: options.body,
      draft: options.draft ?? false,
      prerelease: options.prerelease ?? false,
      makeLatest: 'true',
    });
  }

  /**
   * POST /releases: validates, tags `target_commitish` when publishing a new tag, records.
   * The caller holds the write lock (`exclusive`).
   */
  async publishRelease(release: NewRelease): Promise<ReleaseRecord> {
    if (this.releases.some((existing) => existing.tagName === release.tagName)) {
      throw validationFailed('Release', 'tag_name', 'already_exists');
    }
    const tagRef = `refs/tags/${release.tagName}`;
    if ((await gitOrUndefined(this.gitDir, ['check-ref-format', tagRef])) === undefined) {
      throw validationFailed('Release', 'tag_name', 'invalid');
    }
    const target = await this.resolveCommit(release.targetCommitish ?? this.defaultBranch);
    if (target === undefined) throw validationFailed('Release', 'target_commitish', 'invalid');
    // Like GitHub, a draft gets its tag only when it is published.
    if (!release.draft && !(await this.refs()).byName.has(tagRef)) {
      try {
        await git(this.gitDir, ['update-ref', tagRef, target, '']);
      } finally {
        this.invalidateRefCache();
      }
    }
    return this.recordRelease(release);
  }

  /**
   * PATCH /releases/{id}: a new name or body; `draft: false` publishes a draft, tagging its
   * target commit when the tag does not exist yet. The caller holds the write lock.
   */
  async updateRelease(
    id: number,
    update: { name?: string; body?: string; draft?: boolean; makeLatest?: MakeLatest },
  ): Promise<ReleaseRecord | undefined> {
    const release = this.releases.find((candidate) => candidate.id === id);
    if (release === undefined) return undefined;
    if (update.name !== undefined) release.name = update.name;
    if (update.body !== undefined) release.body = update.body;
    if (update.makeLatest !== undefined) release.makeLatest = update.makeLatest;
    if (release.draft && update.draft === false) {
      const tagRef = `refs/tags/${release.tagName}`;
      if (!(await this.refs()).byName.has(tagRef)) {
        const target = await this.resolveCommit(release.targetCommitish);
        if (target === undefined) throw validationFailed('Release', 'target_commitish', 'invalid');
        try {
          await git(this.gitDir, ['update-ref', tagRef, target, '']);
        } finally {
          this.invalidateRefCache();
        }
      }
      release.draft = false;
      release.publishedAt = isoSeconds();
    }
    return release;
  }

  private recordRelease(release: NewRelease): ReleaseRecord {
    const createdAt = isoSeconds();
    const record: ReleaseRecord = {
      id: this.nextId(),
      tagName: release.tagName,
      targetCommitish: release.targetCommitish ?? this.defaultBranch,
      name: release.name ?? null,
      body: release.body ?? null,
      draft: release.draft,
      prerelease: release.prerelease,
      makeLatest: release.makeLatest,
      createdAt,
      publishedAt: release.draft ? null : createdAt,
    };
    this.releases.push(record);
    return record;
  }

  /** What GET /releases/latest returns: the newest published, non-prerelease release. */
  latestRelease(): ReleaseRecord | undefined {
    return this.releases.findLast(
      (release) => !release.draft && !release.prerelease && release.makeLatest !== 'false',
    );
  }
}
