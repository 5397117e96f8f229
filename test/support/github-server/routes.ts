/** The repository endpoints, matched on the (decoded) path after `/repos/{owner}/{repo}`. */
import {
  ApiError,
  notFound,
  optionalBoolean,
  optionalString,
  paginate,
  requiredString,
  validationFailed,
  type JsonObject,
  type PageLocation,
  type Reply,
} from './http.js';
import { deploymentRoutes } from './deployment-routes.js';
import { gitDataRoutes } from './git-data-routes.js';
import type { MakeLatest } from './model.js';
import { accepts, type AcceptedPermissions } from './permissions.js';
import type { PullRepresentations } from './pull-representations.js';
import { pullRoutes } from './pull-routes.js';
import type { Representations } from './representations.js';
import type { GitRepository } from './repository.js';

export interface RouteContext {
  repo: GitRepository;
  /** Decoded capture groups of the route pattern. */
  params: readonly string[];
  query: URLSearchParams;
  location: PageLocation;
  readBody: () => Promise<JsonObject>;
  views: Representations;
  pullViews: PullRepresentations;
}

export interface Route {
  method: string;
  pattern: RegExp;
  /** What a token registered with setTokenPermissions needs; default: metadata read. */
  accepted?: AcceptedPermissions;
  handle: (context: RouteContext) => Promise<Reply>;
}

const READ_CONTENTS = accepts('contents', 'read');
const WRITE_CONTENTS = accepts('contents', 'write');

function ok(body: unknown, headers?: Record<string, string>): Reply {
  return { status: 200, body, headers };
}

function param(context: RouteContext, index: number): string {
  return context.params[index] ?? '';
}

/** GitHub answers an unresolvable `{ref}` of the commits endpoints with this 422. */
async function commitFor(context: RouteContext, ref: string): Promise<string> {
  const sha = await context.repo.resolveCommit(ref);
  if (sha === undefined) throw new ApiError(422, `No commit found for SHA: ${ref}`);
  return sha;
}

const MAKE_LATEST: readonly string[] = ['true', 'false', 'legacy'];

/** GitHub's combined state: any error/failure fails, any pending (or nothing) is pending. */
function combinedState(states: readonly string[]): string {
  if (states.some((state) => state === 'error' || state === 'failure')) return 'failure';
  if (states.length === 0 || states.includes('pending')) return 'pending';
  return 'success';
}

const repositoryRoutes: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^$/,
    handle: ({ repo, views }) => Promise.resolve(ok(views.fullRepository(repo))),
  },
  {
    method: 'GET',
    pattern: /^\/git\/ref\/(.+)$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const entry = (await context.repo.refs()).byName.get(`refs/${param(context, 0)}`);
      if (entry === undefined) throw notFound();
      return ok(context.views.gitRef(context.repo, entry));
    },
  },
  {
    method: 'GET',
    pattern: /^\/git\/matching-refs\/(.*)$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const matches = await context.repo.matchingRefs(`refs/${param(context, 0)}`);
      const page = paginate(matches, context.location);
      return ok(
        page.items.map((entry) => context.views.gitRef(context.repo, entry)),
        page.headers,
      );
    },
  },
  {
    method: 'POST',
    pattern: /^\/git\/refs$/,
    accepted: WRITE_CONTENTS,
    handle: async (context) => {
      const body = await context.readBody();
      const ref = requiredString(body, 'ref');
      const sha = requiredString(body, 'sha');
      const entry = await context.repo.createRef(ref, sha);
      const json = context.views.gitRef(context.repo, entry);
      return { status: 201, body: json, headers: { location: String(json.url) } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/git\/tags\/([^/]+)$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const tag = await context.repo.readTag(param(context, 0));
      if (tag === undefined) throw notFound();
      return ok(context.views.gitTag(context.repo, tag));
    },
  },
  {
    method: 'GET',
    pattern: /^\/git\/commits\/([^/]+)$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const sha = param(context, 0);
      if ((await context.repo.objectType(sha)) !== 'commit') throw notFound();
      return ok(context.views.gitCommit(context.repo, await context.repo.readCommit(sha)));
    },
  },
  {
    method: 'GET',
    pattern: /^\/commits\/(.+)\/check-runs$/,
    accepted: accepts('checks', 'read'),
    handle: async (context) => {
      const sha = await commitFor(context, param(context, 0));
      const checkName = context.query.get('check_name');
      const status = context.query.get('status');
      const newestFirst = context.repo.checkRuns
        .filter((run) => run.headSha === sha)
        .filter((run) => checkName === null || run.name === checkName)
        .filter((run) => status === null || run.status === status)
        .sort((a, b) => b.id - a.id);
      // filter=latest (the default) keeps only the most recent run of each name.
      const runs =
        context.query.get('filter') === 'all'
          ? newestFirst
          : newestFirst.filter(
              (run, index) => newestFirst.findIndex((other) => other.name === run.name) === index,
            );
      const page = paginate(runs, context.location);
      return ok(
        {
          total_count: runs.length,
          check_runs: page.items.map((run) => context.views.checkRun(context.repo, run)),
        },
        page.headers,
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/commits\/(.+)\/status$/,
    accepted: accepts('statuses', 'read'),
    handle: async (context) => {
      const { repo, views } = context;
      const sha = await commitFor(context, param(context, 0));
      const statuses = repo.latestStatuses(sha);
      const page = paginate(statuses, context.location);
      const commitUrl = `${views.repoApiUrl(repo)}/commits/${sha}`;
      return ok(
        {
          state: combinedState(statuses.map((status) => status.state)),
          statuses: page.items.map((status) => views.commitStatus(repo, status)),
          sha,
          total_count: statuses.length,
          repository: views.minimalRepository(repo),
          commit_url: commitUrl,
          url: `${commitUrl}/status`,
        },
        page.headers,
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/commits\/(.+)$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const { repo } = context;
      const commit = await repo.readCommit(await commitFor(context, param(context, 0)));
      const files = await repo.diff(commit.parents[0], commit.sha);
      return ok(context.views.commit(repo, commit, files));
    },
  },
  {
    method: 'GET',
    pattern: /^\/compare\/(.+?)\.{2,3}(.+)$/,
    accepted: READ_CONTENTS,
    handle: async (context) => {
      const { repo, views } = context;
      const [baseName, headName] = [param(context, 0), param(context, 1)];
      const base = await repo.resolveCommit(baseName);
      const head = await repo.resolveCommit(headName);
      if (base === undefined || head === undefined) throw notFound();
      const mergeBase = await repo.mergeBase(base, head);
      if (mergeBase === undefined) {
        throw new ApiError(404, `No common ancestor between ${baseName} and ${headName}.`);
      }
      const [behindBy, aheadBy] = await repo.aheadBehind(base, head);
      const status =
        aheadBy === 0 && behindBy === 0
          ? 'identical'
          : behindBy === 0
            ? 'ahead'
            : aheadBy === 0
              ? 'behind'
              : 'diverged';
      const commits = await repo.listCommits(['--reverse', `${base}..${head}`]);
      // Without page/per_page GitHub lists up to 250 commits; with them it paginates.
      const paginated = context.query.has('page') || context.query.has('per_page');
      const page = paginated
        ? paginate(commits, context.location)
        : { items: commits.slice(0, 250), headers: {} };
      const files = await repo.diff(mergeBase, head);
      const api = views.repoApiUrl(repo);
      const html = views.repoHtmlUrl(repo);
      return ok(
        {
          url: `${api}/compare/${baseName}...${headName}`,
          html_url: `${html}/compare/${baseName}...${headName}`,
          permalink_url: `${html}/compare/${repo.owner}:${base}...${repo.owner}:${head}`,
          diff_url: `${html}/compare/${baseName}...${headName}.diff`,
          patch_url: `${html}/compare/${baseName}...${headName}.patch`,
          base_commit: views.commit(repo, await repo.readCommit(base)),
          merge_base_commit: views.commit(repo, await repo.readCommit(mergeBase)),
          status,
          ahead_by: aheadBy,
          behind_by: behindBy,
          total_commits: aheadBy,
          commits: page.items.map((commit) => views.commit(repo, commit)),
          files: files.slice(0, 300).map((file) => views.diffEntry(repo, head, file)),
        },
        page.headers,
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/releases$/,
    accepted: READ_CONTENTS,
    handle: ({ repo, views, location }) => {
      const newestFirst = [...repo.releases].reverse();
      const page = paginate(newestFirst, location);
      return Promise.resolve(
        ok(
          page.items.map((release) => views.release(repo, release)),
          page.headers,
        ),
      );
    },
  },
  {
    method: 'POST',
    pattern: /^\/releases$/,
    accepted: WRITE_CONTENTS,
    handle: async (context) => {
      const body = await context.readBody();
      const makeLatest = optionalString(body, 'make_latest') ?? 'true';
      if (!MAKE_LATEST.includes(makeLatest))
        throw validationFailed('Release', 'make_latest', 'invalid');
      const release = await context.repo.publishRelease({
        tagName: requiredString(body, 'tag_name'),
        targetCommitish: optionalString(body, 'target_commitish'),
        name: optionalString(body, 'name'),
        body: optionalString(body, 'body'),
        draft: optionalBoolean(body, 'draft') ?? false,
        prerelease: optionalBoolean(body, 'prerelease') ?? false,
        makeLatest: makeLatest as MakeLatest,
      });
      const json = context.views.release(context.repo, release);
      return { status: 201, body: json, headers: { location: String(json.url) } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/releases\/latest$/,
    accepted: READ_CONTENTS,
    handle: ({ repo, views }) => {
      const release = repo.latestRelease();
      if (release === undefined) throw notFound();
      return Promise.resolve(ok(views.release(repo, release)));
    },
  },
  {
    method: 'GET',
    pattern: /^\/releases\/tags\/(.+)$/,
    accepted: READ_CONTENTS,
    handle: (context) => {
      const tagName = param(context, 0);
      // Drafts have no tag yet, so GitHub does not find them by tag.
      const release = context.repo.releases.find(
        (candidate) => candidate.tagName === tagName && !candidate.draft,
      );
      if (release === undefined) throw notFound();
      return Promise.resolve(ok(context.views.release(context.repo, release)));
    },
  },
  {
    method: 'PATCH',
    pattern: /^\/releases\/(\d+)$/,
    accepted: WRITE_CONTENTS,
    handle: async (context) => {
      const id = Number(param(context, 0));
      const body = await context.readBody();
      const makeLatest = optionalString(body, 'make_latest');
      if (makeLatest !== undefined && !MAKE_LATEST.includes(makeLatest))
        throw validationFailed('Release', 'make_latest', 'invalid');
      const release = await context.repo.updateRelease(id, {
        name: optionalString(body, 'name'),
        body: optionalString(body, 'body'),
        draft: optionalBoolean(body, 'draft'),
        makeLatest: makeLatest as MakeLatest | undefined,
      });
      if (release === undefined) throw notFound();
      return ok(context.views.release(context.repo, release));
    },
  },
  {
    method: 'GET',
    pattern: /^\/releases\/(\d+)$/,
    accepted: READ_CONTENTS,
    handle: (context) => {
      const id = Number(param(context, 0));
      const release = context.repo.releases.find((candidate) => candidate.id === id);
      if (release === undefined) throw notFound();
      return Promise.resolve(ok(context.views.release(context.repo, release)));
    },
  },
];

export const routes: readonly Route[] = [
  ...repositoryRoutes,
  ...gitDataRoutes,
  ...pullRoutes,
  ...deploymentRoutes,
];
