/** Git Data (blobs, trees, commits, ref updates), contents and commit-list endpoints. */
import {
  deleteRef,
  entryAt,
  listTree,
  readBlob,
  resolveTree,
  updateRef,
  writeBlob,
  writeCommit,
  type GitIdentityInput,
} from './git-data.js';
import { isFullSha } from './git.js';
import {
  ApiError,
  invalidRequest,
  notFound,
  optionalBoolean,
  optionalString,
  paginate,
  requiredString,
  type JsonObject,
  type Reply,
} from './http.js';
import { accepts } from './permissions.js';
import type { TreeChange } from './repository.js';
import type { Route, RouteContext } from './routes.js';

const READ_CONTENTS = accepts('contents', 'read');
const WRITE_CONTENTS = accepts('contents', 'write');

function created(body: Record<string, unknown>): Reply {
  return { status: 201, body, headers: { location: String(body.url) } };
}

function param(context: RouteContext, index: number): string {
  return context.params[index] ?? '';
}

const TREE_MODES: Record<string, string> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};

const BAD_TREE_ENTRY =
  'Must supply either tree.sha or tree.content. Request will be rejected if both are present.';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidTreePath(path: string): boolean {
  return path
    .split('/')
    .every((segment) => !['', '.', '..', '.git'].includes(segment) && !segment.includes('\0'));
}

/** One `tree[]` item of POST /git/trees, checked the way GitHub does, blobs written for content. */
async function treeChange(context: RouteContext, item: unknown): Promise<TreeChange> {
  if (!isObject(item)) throw invalidRequest('tree');
  const path = requiredString(item, 'path');
  if (!isValidTreePath(path)) {
    throw new ApiError(422, 'tree.path contains a malformed path component');
  }
  const mode = requiredString(item, 'mode');
  const type = optionalString(item, 'type') ?? TREE_MODES[mode];
  if (TREE_MODES[mode] === undefined || TREE_MODES[mode] !== type) {
    throw new ApiError(422, `tree.mode ${mode} is not valid for tree.type ${String(type)}`);
  }
  const hasSha = 'sha' in item;
  const content = optionalString(item, 'content');
  if (hasSha === (content !== undefined)) throw new ApiError(422, BAD_TREE_ENTRY);
  if (content !== undefined) {
    if (type !== 'blob') throw new ApiError(422, BAD_TREE_ENTRY);
    const sha = await writeBlob(context.repo, Buffer.from(content, 'utf8'));
    return { path, entry: { mode, type, sha } };
  }
  const sha = item.sha;
  if (sha === null) return { path, entry: null };
  if (typeof sha !== 'string') throw invalidRequest('sha', 'string', sha);
  // Submodule entries name a commit of another repository, which git does not check.
  if (type !== 'commit' && (await context.repo.objectType(sha)) !== type) {
    throw new ApiError(422, `tree.sha ${sha} is not a valid ${type}`);
  }
  return { path, entry: { mode, type, sha } };
}

function identity(body: JsonObject, field: string): GitIdentityInput | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidRequest(field);
  const date = optionalString(value, 'date');
  if (date !== undefined && Number.isNaN(Date.parse(date))) {
    throw new ApiError(422, `Invalid request.\n\n${date} is not a valid date-time.`);
  }
  return { name: requiredString(value, 'name'), email: requiredString(value, 'email'), date };
}

export const gitDataRoutes: readonly Route[] = [
  {
    method: 'POST',
    pattern: /^\/git\/blobs$/,
    accepted: WRITE_CONTENTS,
    handle: async (context) => {
      const body = await context.readBody();
      const content = requiredString(body, 'content');
      const encoding = optionalString(body, 'encoding') ?? 'utf-8';
      if (encoding !== 'utf-8' && encoding !== 'base64') {
        throw new ApiError(422, `encoding must be "utf-8" or "base64", got ${encoding}`);
      }
      const sha = await writeBlob(
        context.repo,
        Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8'),
      );
      return created(context.pullViews.shortBlob(context.repo, sha));
    },
  },
  {
    method: 'GET',
    pattern: /^\/git\/blobs\/([^/]+)$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const sha = param(context, 0);
      const content = isFullSha(sha) ? await readBlob(context.repo, sha) : undefined;
      if (content === undefined) throw notFound();
      return { status: 200, body: context.pullViews.blob(context.repo, sha, content) };
    },
  },
  {
    method: 'POST',
    pattern: /^\/git\/trees$/,
    accepted: WRITE_CONTENTS,
    handle: async (context) => {
      const { repo } = context;
      const body = await context.readBody();
      if (!Array.isArray(body.tree)) throw invalidRequest('tree');
      const baseTreeName = optionalString(body, 'base_tree');
      const baseTree =
        baseTreeName === undefined ? undefined : await resolveTree(repo, baseTreeName);
      if (baseTreeName !== undefined && baseTree === undefined) {
        throw new ApiError(422, `base_tree ${baseTreeName} is not a valid tree`);
      }
      const changes: TreeChange[] = [];
      for (const item of body.tree as unknown[]) changes.push(await treeChange(context, item));
      const sha = await repo.buildTree(baseTree, changes);
      return created(context.pullViews.gitTree(repo, sha, await listTree(repo, sha, false)));
    },
  },
  {
    method: 'GET',
    pattern: /^\/git\/trees\/(.+)$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const { repo } = context;
      const sha = await resolveTree(repo, param(context, 0));
      if (sha === undefined) throw notFound();
      // GitHub recurses for any value of `recursive`, "0" and "false" included.
      const entries = await listTree(repo, sha, context.query.has('recursive'));
      return { status: 200, body: context.pullViews.gitTree(repo, sha, entries) };
    },
  },
  {
    method: 'POST',
    pattern: /^\/git\/commits$/,
    accepted: WRITE_CONTENTS,
    handle: async (context) => {
      const { repo } = context;
      const body = await context.readBody();
      const message = requiredString(body, 'message');
      const tree = requiredString(body, 'tree');
      const parents = body.parents ?? [];
      if (!Array.isArray(parents) || parents.some((parent) => typeof parent !== 'string')) {
        throw invalidRequest('parents');
      }
      if ((await repo.objectType(tree)) !== 'tree') {
        throw new ApiError(422, 'Tree SHA does not exist');
      }
      for (const parent of parents as string[]) {
        if ((await repo.objectType(parent)) !== 'commit') {
          throw new ApiError(422, 'Parent SHA does not exist or is not a commit object');
        }
      }
      const sha = await writeCommit(repo, {
        tree,
        parents: parents as string[],
        message,
        author: identity(body, 'author'),
        committer: identity(body, 'committer'),
      });
      return created(context.views.gitCommit(repo, await repo.readCommit(sha)));
    },
  },
  {
    method: 'PATCH',
    pattern: /^\/git\/refs\/(.+)$/,
    accepted: WRITE_CONTENTS,
    handle: async (context) => {
      const body = await context.readBody();
      const sha = requiredString(body, 'sha');
      const force = optionalBoolean(body, 'force') ?? false;
      const entry = await updateRef(context.repo, `refs/${param(context, 0)}`, sha, force);
      return { status: 200, body: context.views.gitRef(context.repo, entry) };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/git\/refs\/(.+)$/,
    accepted: WRITE_CONTENTS,
    handle: async (context) => {
      await deleteRef(context.repo, `refs/${param(context, 0)}`);
      return { status: 204, body: undefined };
    },
  },
  {
    method: 'GET',
    pattern: /^\/contents(?:\/(.*))?$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const { repo } = context;
      const ref = context.query.get('ref') ?? repo.defaultBranch;
      const commit = await repo.resolveCommit(ref);
      if (commit === undefined) throw new ApiError(404, `No commit found for the ref ${ref}`);
      const path = param(context, 0).replace(/\/+$/, '');
      const entry = await entryAt(repo, commit, path);
      if (entry === undefined) throw notFound();
      if (entry.type === 'tree') {
        const entries = (await listTree(repo, entry.sha, false)).map((child) => ({
          ...child,
          path: path === '' ? child.path : `${path}/${child.path}`,
        }));
        return { status: 200, body: context.pullViews.contentDirectory(repo, entries, ref) };
      }
      const content = await readBlob(repo, entry.sha);
      if (content === undefined) throw notFound();
      return { status: 200, body: context.pullViews.contentFile(repo, entry, ref, content) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/commits$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const { repo, views } = context;
      const start = context.query.get('sha') ?? repo.defaultBranch;
      const sha = await repo.resolveCommit(start);
      if (sha === undefined) throw new ApiError(404, `No commit found for SHA: ${start}`);
      const path = context.query.get('path');
      const commits = await repo.listCommits([sha, ...(path === null ? [] : ['--', path])]);
      const page = paginate(commits, context.location);
      return {
        status: 200,
        body: page.items.map((commit) => views.commit(repo, commit)),
        headers: page.headers,
      };
    },
  },
];
