/** Pull requests, requested reviewers, and the issue labels and comments of pull requests. */
import { advanceBranch, mergeTree, writeCommit } from './git-data.js';
import {
  ApiError,
  invalidRequest,
  optionalBoolean,
  optionalString,
  paginate,
  requiredString,
  validationFailed,
  type JsonObject,
  type Reply,
} from './http.js';
import { isoSeconds } from './model.js';
import { accepts } from './permissions.js';
import type { PullFacts } from './pull-representations.js';
import type { PullRecord } from './pull-store.js';
import type { GitRepository } from './repository.js';
import type { Route, RouteContext } from './routes.js';

const READ_PULLS = accepts('pull_requests', 'read');
const WRITE_PULLS = accepts('pull_requests', 'write');
// Labels and comments of a pull request go through the issues API, which takes either.
const READ_ISSUES = accepts('issues', 'read', 'pull_requests');
const WRITE_ISSUES = accepts('issues', 'write', 'pull_requests');
const WRITE_CONTENTS = accepts('contents', 'write');

function pullOf(context: RouteContext): PullRecord {
  return context.repo.pullStore.get(Number(context.params[0]));
}

/** GitHub's "custom" validation error: the reason sits in `errors[0].message`. */
function customValidation(message: string): ApiError {
  return new ApiError(422, 'Validation Failed', {
    errors: [{ resource: 'PullRequest', code: 'custom', message }],
  });
}

/** `owner:branch` or `branch`; undefined when it names another owner (forks are not modelled). */
function headBranch(repo: GitRepository, head: string): string | undefined {
  const colon = head.indexOf(':');
  if (colon === -1) return head;
  return head.slice(0, colon).toLowerCase() === repo.owner.toLowerCase()
    ? head.slice(colon + 1)
    : undefined;
}

function stringList(body: JsonObject, field: string): string[] {
  const value = body[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidRequest(field);
  }
  return value as string[];
}

/** The branch tips a pull request shows now; the head's last tip once its branch is gone. */
async function pullFacts(repo: GitRepository, pull: PullRecord, detailed: boolean) {
  const headSha = (await repo.branchTip(pull.head)) ?? pull.headSha;
  pull.headSha = headSha;
  const baseSha = (await repo.branchTip(pull.base)) ?? headSha;
  const facts: PullFacts = { headSha, baseSha };
  if (!detailed) return facts;
  const [, ahead] = await repo.aheadBehind(baseSha, headSha);
  const mergeBase = await repo.mergeBase(baseSha, headSha);
  const files = mergeBase === undefined ? [] : await repo.diff(mergeBase, headSha);
  facts.detail = {
    commits: ahead,
    additions: files.reduce((sum, file) => sum + file.additions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
    changedFiles: files.length,
    mergeable: (await mergeTree(repo, baseSha, headSha)) !== undefined,
  };
  return facts;
}

async function fullPull(context: RouteContext, pull: PullRecord, status = 200): Promise<Reply> {
  const json = context.pullViews.pullRequest(
    context.repo,
    pull,
    await pullFacts(context.repo, pull, true),
  );
  return status === 201
    ? { status, body: json, headers: { location: String(json.url) } }
    : { status, body: json };
}

async function createPull(context: RouteContext): Promise<Reply> {
  const { repo } = context;
  const body = await context.readBody();
  const title = requiredString(body, 'title');
  const head = headBranch(repo, requiredString(body, 'head'));
  const base = requiredString(body, 'base');
  const baseSha = await repo.branchTip(base);
  if (baseSha === undefined) throw validationFailed('PullRequest', 'base', 'invalid');
  const headSha = head === undefined ? undefined : await repo.branchTip(head);
  if (head === undefined || headSha === undefined) {
    throw validationFailed('PullRequest', 'head', 'invalid');
  }
  if (repo.pullStore.openFor(head, base) !== undefined) {
    throw customValidation(`A pull request already exists for ${repo.owner}:${head}.`);
  }
  const [, ahead] = await repo.aheadBehind(baseSha, headSha);
  if (ahead === 0) throw customValidation(`No commits between ${base} and ${head}`);
  const pull = repo.pullStore.create({
    head,
    base,
    title,
    body: optionalString(body, 'body') ?? null,
    draft: optionalBoolean(body, 'draft') ?? false,
    headSha,
  });
  return fullPull(context, pull, 201);
}

async function updatePull(context: RouteContext): Promise<Reply> {
  const { repo } = context;
  const pull = pullOf(context);
  const body = await context.readBody();
  const title = optionalString(body, 'title');
  const text = optionalString(body, 'body');
  const state = optionalString(body, 'state');
  const base = optionalString(body, 'base');
  if (state !== undefined && state !== 'open' && state !== 'closed') {
    throw validationFailed('PullRequest', 'state', 'invalid');
  }
  if (base !== undefined && (await repo.branchTip(base)) === undefined) {
    throw validationFailed('PullRequest', 'base', 'invalid');
  }
  if (state === 'open' && pull.state === 'closed') {
    if (pull.merged) throw customValidation('Cannot reopen a merged pull request');
    if ((await repo.branchTip(pull.head)) === undefined) {
      throw customValidation('Cannot reopen a pull request whose head branch was deleted');
    }
    if (repo.pullStore.openFor(pull.head, base ?? pull.base) !== undefined) {
      throw customValidation(`A pull request already exists for ${repo.owner}:${pull.head}.`);
    }
    pull.state = 'open';
    pull.closedAt = null;
  }
  if (title !== undefined) pull.title = title;
  if (text !== undefined) pull.body = text;
  if (base !== undefined) pull.base = base;
  if (state === 'closed' && pull.state === 'open') repo.pullStore.close(pull);
  repo.pullStore.touch(pull);
  return fullPull(context, pull);
}

function mergeMessage(pull: PullRecord, method: string, title?: string, message?: string) {
  const headline =
    title ??
    (method === 'squash'
      ? `${pull.title} (#${String(pull.number)})`
      : `Merge pull request #${String(pull.number)} from ${pull.head}`);
  const details = message ?? (method === 'squash' ? (pull.body ?? '') : pull.title);
  return details === '' ? `${headline}\n` : `${headline}\n\n${details}\n`;
}

/** PUT /pulls/{n}/merge: a merge commit (two parents) or a squash (one), moving the base. */
async function mergePull(context: RouteContext): Promise<Reply> {
  const { repo } = context;
  const pull = pullOf(context);
  const body = await context.readBody();
  const method = optionalString(body, 'merge_method') ?? 'merge';
  if (method !== 'merge' && method !== 'squash') {
    throw new ApiError(405, `Merge method ${method} is not supported by the GitHub test server`);
  }
  if (pull.state !== 'open') throw new ApiError(405, 'Pull Request is not mergeable');
  if (pull.draft) throw new ApiError(405, 'Pull Request is still a draft');
  const headSha = await repo.branchTip(pull.head);
  const baseSha = await repo.branchTip(pull.base);
  if (headSha === undefined || baseSha === undefined) {
    throw new ApiError(405, 'Pull Request is not mergeable');
  }
  const expected = optionalString(body, 'sha');
  if (expected !== undefined && expected !== headSha) {
    throw new ApiError(409, 'Head branch was modified. Review and try the merge again.');
  }
  const tree = await mergeTree(repo, baseSha, headSha);
  if (tree === undefined) throw new ApiError(405, 'Pull Request is not mergeable');
  const sha = await writeCommit(repo, {
    tree,
    parents: method === 'squash' ? [baseSha] : [baseSha, headSha],
    message: mergeMessage(
      pull,
      method,
      optionalString(body, 'commit_title'),
      optionalString(body, 'commit_message'),
    ),
  });
  await advanceBranch(repo, pull.base, sha, baseSha);
  pull.headSha = headSha;
  pull.merged = true;
  pull.mergedAt = isoSeconds();
  pull.mergeCommitSha = sha;
  repo.pullStore.close(pull);
  return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
}

function labelNames(body: JsonObject): string[] {
  const labels = body.labels;
  if (!Array.isArray(labels)) throw invalidRequest('labels');
  return labels.map((label: unknown) => {
    if (typeof label === 'string') return label;
    if (typeof label === 'object' && label !== null && 'name' in label) {
      const { name } = label;
      if (typeof name === 'string') return name;
    }
    throw invalidRequest('labels');
  });
}

export const pullRoutes: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/pulls$/,
    accepted: READ_PULLS,
    handle: async (context) => {
      const { repo, query } = context;
      const state = query.get('state') ?? 'open';
      const headFilter = query.get('head');
      const head = headFilter === null ? undefined : headBranch(repo, headFilter);
      const base = query.get('base');
      const ascending = query.get('direction') === 'asc';
      const matching = repo.pullStore.records
        .filter((pull) => state === 'all' || pull.state === state)
        .filter((pull) => headFilter === null || pull.head === head)
        .filter((pull) => base === null || pull.base === base)
        .sort((a, b) => (ascending ? a.number - b.number : b.number - a.number));
      const page = paginate(matching, context.location);
      const items = [];
      for (const pull of page.items) {
        items.push(context.pullViews.pullRequest(repo, pull, await pullFacts(repo, pull, false)));
      }
      return { status: 200, body: items, headers: page.headers };
    },
  },
  { method: 'POST', pattern: /^\/pulls$/, accepted: WRITE_PULLS, handle: createPull },
  {
    method: 'GET',
    pattern: /^\/pulls\/(\d+)$/,
    accepted: READ_PULLS,
    handle: (context) => fullPull(context, pullOf(context)),
  },
  { method: 'PATCH', pattern: /^\/pulls\/(\d+)$/, accepted: WRITE_PULLS, handle: updatePull },
  {
    method: 'PUT',
    pattern: /^\/pulls\/(\d+)\/merge$/,
    accepted: WRITE_CONTENTS,
    handle: mergePull,
  },
  {
    method: 'GET',
    pattern: /^\/pulls\/(\d+)\/requested_reviewers$/,
    accepted: READ_PULLS,
    handle: (context) => {
      const pull = pullOf(context);
      return Promise.resolve({
        status: 200,
        body: {
          users: pull.requestedReviewers.map((login) => context.pullViews.person(login)),
          teams: pull.requestedTeams.map((team) => context.pullViews.team(context.repo, team)),
        },
      });
    },
  },
  {
    method: 'POST',
    pattern: /^\/pulls\/(\d+)\/requested_reviewers$/,
    accepted: WRITE_PULLS,
    handle: async (context) => {
      const { repo } = context;
      const pull = pullOf(context);
      const body = await context.readBody();
      repo.pullStore.requestReviews(
        pull,
        stringList(body, 'reviewers'),
        stringList(body, 'team_reviewers'),
      );
      const json = context.pullViews.pullRequest(repo, pull, await pullFacts(repo, pull, false));
      return { status: 201, body: json };
    },
  },
  {
    method: 'GET',
    pattern: /^\/issues\/(\d+)\/labels$/,
    accepted: READ_ISSUES,
    handle: (context) => {
      const page = paginate(pullOf(context).labels, context.location);
      return Promise.resolve({
        status: 200,
        body: page.items.map((label) => context.pullViews.label(context.repo, label)),
        headers: page.headers,
      });
    },
  },
  {
    method: 'POST',
    pattern: /^\/issues\/(\d+)\/labels$/,
    accepted: WRITE_ISSUES,
    handle: async (context) => {
      const pull = pullOf(context);
      context.repo.pullStore.addLabels(pull, labelNames(await context.readBody()));
      return {
        status: 200,
        body: pull.labels.map((label) => context.pullViews.label(context.repo, label)),
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/issues\/(\d+)\/comments$/,
    accepted: READ_ISSUES,
    handle: (context) => {
      const pull = pullOf(context);
      const page = paginate(pull.comments, context.location);
      return Promise.resolve({
        status: 200,
        body: page.items.map((comment) =>
          context.pullViews.issueComment(context.repo, pull, comment),
        ),
        headers: page.headers,
      });
    },
  },
  {
    method: 'POST',
    pattern: /^\/issues\/(\d+)\/comments$/,
    accepted: WRITE_ISSUES,
    handle: async (context) => {
      const pull = pullOf(context);
      const text = requiredString(await context.readBody(), 'body');
      const comment = context.repo.pullStore.addComment(pull, text);
      const json = context.pullViews.issueComment(context.repo, pull, comment);
      return { status: 201, body: json, headers: { location: String(json.url) } };
    },
  },
];
