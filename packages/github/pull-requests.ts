/**
 * Pull requests of a head branch: open or update one, label it, request reviews, turn on
 * auto-merge (GraphQL), comment, and close the older release pull requests a new one supersedes.
 * Each step asks GitHub only for what is missing, so a re-run that changes nothing writes nothing.
 */
import { httpStatus } from './client.js';
import { deleteBranch } from './commit-files.js';
import { explained, explainGitHubError, gitHubMessage } from './errors.js';
import type { GitHubRepository } from './repository.js';

export type AutoMergeMethod = 'merge' | 'squash' | 'rebase';

export interface PullRequestRequest {
  /** Head branch of the same repository. */
  readonly head: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
  /** Used when creating; GitHub's REST API cannot change it later. */
  readonly draft?: boolean;
  readonly labels?: readonly string[];
  /** Logins; each must be a collaborator of the repository. */
  readonly reviewers?: readonly string[];
  /** Team slugs, e.g. `cms-infrastructure` for `@org/cms-infrastructure`. */
  readonly teamReviewers?: readonly string[];
  /**
   * The head branch was created just now, so no open pull request can exist for it (GitHub
   * closes those of a deleted branch): skip the lookup.
   */
  readonly headIsNew?: boolean;
  /**
   * Request reviews on an existing pull request too (when its head moved to a new version).
   * Default false: a re-run does not re-request reviews people already gave.
   */
  readonly rerequestReviews?: boolean;
}

export type PullRequestOperation = 'created' | 'updated' | 'unchanged';

export interface PullRequestResult {
  readonly number: number;
  /** For GraphQL (`enableAutoMerge`). */
  readonly nodeId: string;
  readonly htmlUrl: string;
  readonly operation: PullRequestOperation;
  readonly draft: boolean;
  /** The auto-merge method already on, if any. */
  readonly autoMerge: AutoMergeMethod | undefined;
  /** What did not work but need not fail the run (e.g. a reviewer who is not a collaborator). */
  readonly warnings: readonly string[];
}

/** The fields of GitHub's pull request JSON this module reads. */
interface PullRequestData {
  number: number;
  node_id: string;
  html_url: string;
  title: string;
  body: string | null;
  draft?: boolean;
  labels: readonly { name?: string }[];
  requested_reviewers?: readonly { login: string }[] | null;
  requested_teams?: readonly { slug: string }[] | null;
  auto_merge: { merge_method: AutoMergeMethod } | null;
  head: { ref: string; repo: { full_name: string } | null };
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The open pull request from `head` into `base`, if any (one call). */
export async function findOpenPullRequest(
  repository: GitHubRepository,
  head: string,
  base: string,
): Promise<PullRequestData | undefined> {
  const { data } = await explained(
    {
      action: `look up the pull request of ${head}`,
      repository: repository.fullName,
      permission: 'pull-requests: read',
    },
    () =>
      repository.client.rest.pulls.list({
        owner: repository.owner,
        repo: repository.repo,
        head: `${repository.owner}:${head}`,
        base,
        state: 'open',
        per_page: 1,
      }),
  );
  return data[0];
}

function isAlreadyExists(error: unknown): boolean {
  return httpStatus(error) === 422 && /already exists/i.test(gitHubMessage(error));
}

async function createPullRequest(
  repository: GitHubRepository,
  request: PullRequestRequest,
): Promise<PullRequestData | undefined> {
  try {
    const { data } = await repository.client.rest.pulls.create({
      owner: repository.owner,
      repo: repository.repo,
      head: request.head,
      base: request.base,
      title: request.title,
      body: request.body,
      draft: request.draft ?? false,
    });
    return data;
  } catch (error: unknown) {
    // Another run opened it since we looked (or a retried POST already had): update that one.
    if (isAlreadyExists(error)) return undefined;
    throw explainGitHubError(error, {
      action: `open a pull request from ${request.head} into ${request.base}`,
      repository: repository.fullName,
      permission: 'pull-requests: write',
      missing: `the branch ${request.base}`,
    });
  }
}

async function updateText(
  repository: GitHubRepository,
  pull: PullRequestData,
  request: PullRequestRequest,
): Promise<boolean> {
  if (pull.title === request.title && (pull.body ?? '') === request.body) return false;
  await updatePullRequest(repository, pull.number, 'update', {
    title: request.title,
    body: request.body,
  });
  return true;
}

/** PATCH of a pull request's title, body or state, with the permission it needs in the error. */
async function updatePullRequest(
  repository: GitHubRepository,
  number: number,
  verb: string,
  changes: { title?: string; body?: string; state?: 'closed' },
): Promise<void> {
  await explained(
    {
      action: `${verb} pull request #${String(number)}`,
      repository: repository.fullName,
      permission: 'pull-requests: write',
    },
    () =>
      repository.client.rest.pulls.update({
        owner: repository.owner,
        repo: repository.repo,
        pull_number: number,
        ...changes,
      }),
  );
}

async function addMissingLabels(
  repository: GitHubRepository,
  pull: PullRequestData,
  labels: readonly string[],
): Promise<void> {
  const missing = labels.filter(
    (label) => !pull.labels.some((present) => sameName(present.name ?? '', label)),
  );
  if (missing.length === 0) return;
  await explained(
    {
      action: `label pull request #${String(pull.number)}`,
      repository: repository.fullName,
      permission: 'pull-requests: write',
    },
    () =>
      repository.client.rest.issues.addLabels({
        owner: repository.owner,
        repo: repository.repo,
        issue_number: pull.number,
        labels: missing,
      }),
  );
}

function isNotCollaborator(error: unknown): boolean {
  return httpStatus(error) === 422 && /collaborator/i.test(gitHubMessage(error));
}

/**
 * Requests the reviews not already requested. GitHub refuses the whole request when one login or
 * team may not review (422 "Reviews may only be requested from collaborators"); then each is
 * requested alone, so the others still get asked, and the refused ones become warnings.
 */
async function requestMissingReviews(
  repository: GitHubRepository,
  pull: PullRequestData,
  reviewers: readonly string[],
  teams: readonly string[],
): Promise<string[]> {
  const users = reviewers.filter(
    (login) => !(pull.requested_reviewers ?? []).some((user) => sameName(user.login, login)),
  );
  const teamSlugs = teams.filter(
    (slug) => !(pull.requested_teams ?? []).some((team) => sameName(team.slug, slug)),
  );
  if (users.length === 0 && teamSlugs.length === 0) return [];
  const request = (reviewerLogins: string[], teamReviewers: string[]) =>
    repository.client.rest.pulls.requestReviewers({
      owner: repository.owner,
      repo: repository.repo,
      pull_number: pull.number,
      reviewers: reviewerLogins,
      team_reviewers: teamReviewers,
    });
  const attempt = {
    action: `request reviews on pull request #${String(pull.number)}`,
    repository: repository.fullName,
    permission: 'pull-requests: write',
  };
  try {
    await request(users, teamSlugs);
    return [];
  } catch (error: unknown) {
    if (!isNotCollaborator(error)) throw explainGitHubError(error, attempt);
  }
  if (users.length + teamSlugs.length === 1) {
    return [notCollaboratorWarning(repository, pull, users[0] ?? `team ${teamSlugs[0] ?? ''}`)];
  }
  const warnings: string[] = [];
  const singles: [string, () => Promise<unknown>][] = [
    ...teamSlugs.map((slug): [string, () => Promise<unknown>] => [
      `team ${slug}`,
      () => request([], [slug]),
    ]),
    ...users.map((login): [string, () => Promise<unknown>] => [login, () => request([login], [])]),
  ];
  for (const [who, single] of singles) {
    try {
      await single();
    } catch (error: unknown) {
      if (!isNotCollaborator(error)) throw explainGitHubError(error, attempt);
      warnings.push(notCollaboratorWarning(repository, pull, who));
    }
  }
  return warnings;
}

function notCollaboratorWarning(repository: GitHubRepository, pull: PullRequestData, who: string) {
  return `could not request a review from ${who} on pull request #${String(pull.number)} (${repository.fullName}): not a collaborator of the repository; add them to it, or remove them from the reviewers`;
}

/**
 * Opens the pull request from `head` into `base`, or updates the open one (title, body), then
 * adds the labels and requests the reviews it lacks. Calls when creating: create, labels,
 * reviewers (3); for an unchanged re-run: the lookup only (1).
 */
export async function upsertPullRequest(
  repository: GitHubRepository,
  request: PullRequestRequest,
): Promise<PullRequestResult> {
  let pull =
    request.headIsNew === true
      ? undefined
      : await findOpenPullRequest(repository, request.head, request.base);
  let operation: PullRequestOperation;
  if (pull === undefined) {
    pull = await createPullRequest(repository, request);
    if (pull === undefined) {
      pull = await findOpenPullRequest(repository, request.head, request.base);
      if (pull === undefined) {
        throw new Error(
          `GitHub says a pull request from ${request.head} exists (${repository.fullName}), but none is open into ${request.base}: retry, or open it by hand`,
        );
      }
      operation = (await updateText(repository, pull, request)) ? 'updated' : 'unchanged';
    } else {
      operation = 'created';
    }
  } else {
    operation = (await updateText(repository, pull, request)) ? 'updated' : 'unchanged';
  }
  await addMissingLabels(repository, pull, request.labels ?? []);
  const warnings =
    operation === 'created' || request.rerequestReviews === true
      ? await requestMissingReviews(
          repository,
          pull,
          request.reviewers ?? [],
          request.teamReviewers ?? [],
        )
      : [];
  return {
    number: pull.number,
    nodeId: pull.node_id,
    htmlUrl: pull.html_url,
    operation,
    draft: pull.draft ?? false,
    autoMerge: pull.auto_merge?.merge_method,
    warnings,
  };
}

export interface AutoMergeResult {
  readonly enabled: boolean;
  /** Why GitHub would not turn it on (repository setting, nothing left to wait for, draft). */
  readonly warning?: string;
}

const ENABLE_AUTO_MERGE = `mutation enableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod}) {
    pullRequest { autoMergeRequest { mergeMethod } }
  }
}`;

function graphqlErrors(error: unknown): { type?: string; message: string }[] | undefined {
  if (typeof error !== 'object' || error === null || !('errors' in error)) return undefined;
  const { errors } = error;
  if (!Array.isArray(errors)) return undefined;
  return errors.map((item: unknown) => {
    const entry =
      typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    return {
      type: typeof entry.type === 'string' ? entry.type : undefined,
      message: typeof entry.message === 'string' ? entry.message : JSON.stringify(item),
    };
  });
}

/**
 * Turns on auto-merge (GraphQL `enablePullRequestAutoMerge`, the only API for it): GitHub merges
 * once the required reviews and checks pass. GitHub's refusals come back as a warning, because
 * the pull request itself is fine without it.
 */
export async function enableAutoMerge(
  repository: GitHubRepository,
  pullRequestNodeId: string,
  method: AutoMergeMethod,
): Promise<AutoMergeResult> {
  try {
    await repository.client.graphql(ENABLE_AUTO_MERGE, {
      pullRequestId: pullRequestNodeId,
      mergeMethod: method.toUpperCase(),
    });
    return { enabled: true };
  } catch (error: unknown) {
    const errors = graphqlErrors(error);
    if (errors === undefined) {
      throw explainGitHubError(error, {
        action: 'enable auto-merge',
        repository: repository.fullName,
        permission: 'pull-requests: write',
      });
    }
    const forbidden = errors.some((entry) => entry.type === 'FORBIDDEN');
    const reasons = errors.map((entry) => entry.message).join('; ');
    return {
      enabled: false,
      warning: forbidden
        ? `auto-merge was not enabled (${repository.fullName}): the token may not (GitHub said: ${reasons}); grant "contents: write" and "pull-requests: write"`
        : `auto-merge was not enabled (${repository.fullName}): ${reasons}; allow auto-merge in the repository settings, or merge by hand once approved`,
    };
  }
}

export async function commentOnPullRequest(
  repository: GitHubRepository,
  number: number,
  body: string,
): Promise<{ id: number; htmlUrl: string }> {
  const { data } = await explained(
    {
      action: `comment on pull request #${String(number)}`,
      repository: repository.fullName,
      permission: 'pull-requests: write',
    },
    () =>
      repository.client.rest.issues.createComment({
        owner: repository.owner,
        repo: repository.repo,
        issue_number: number,
        body,
      }),
  );
  return { id: data.id, htmlUrl: data.html_url };
}

/** The head's repository; null on GitHub once a fork is deleted, whatever the types say. */
function headRepository(pull: { head: { repo: { full_name: string } | null } }) {
  return pull.head.repo?.full_name;
}

/** An open release pull request that the kept one may replace. */
export interface SupersedeCandidate {
  readonly number: number;
  readonly headRef: string;
  readonly title: string;
}

export interface SupersedeRequest {
  /** Only pull requests with this label are release pull requests. */
  readonly label: string;
  /** ...and whose head branch starts with this. */
  readonly branchPrefix: string;
  /** The pull request that replaces them; never closed. */
  readonly keep: number;
  /** Posted on each closed pull request, e.g. "Superseded by #42". */
  readonly comment: string;
  /** Only pull requests into this base, when given. */
  readonly base?: string;
  /**
   * Whether `keep` replaces this candidate; default: every match. With one branch per version
   * two runs may race, and the slower could close the newer release: compare the versions in
   * `headRef` (or `title`) here to close only older ones.
   */
  readonly supersedes?: (candidate: SupersedeCandidate) => boolean;
  /**
   * With `supersedes`: when a release pull request it rejects (a newer one) is open, `keep` is the
   * one superseded, so it is closed with this comment instead and nothing else is. Two runs that
   * race then always leave only the newest open, whichever lists first: the older one sees the
   * newer, or the newer (created later) sees the older.
   */
  readonly yieldComment?: (newer: SupersedeCandidate) => string;
}

export interface SupersedeOutcome {
  /** The older pull requests closed. */
  readonly closed: number[];
  /** Set when `keep` itself was closed because this newer release pull request is open. */
  readonly supersededBy: number | undefined;
}

/**
 * Closes the open release pull requests `keep` replaces (label AND branch prefix, head in this
 * repository), each with `comment` first, and deletes their branches. Returns the numbers closed.
 */
export async function supersedePullRequests(
  repository: GitHubRepository,
  request: SupersedeRequest,
): Promise<number[]> {
  return (await supersedeOrYield(repository, request)).closed;
}

/** An open release pull request (see listReleasePullRequests). */
export interface ReleasePullRequest extends SupersedeCandidate {
  readonly body: string;
}

/**
 * The open release pull requests: label AND branch prefix, head in this repository (a fork's
 * branch of the same name is someone else's), into `base` when given; one paged listing.
 */
export async function listReleasePullRequests(
  repository: GitHubRepository,
  filter: { readonly label: string; readonly branchPrefix: string; readonly base?: string },
): Promise<ReleasePullRequest[]> {
  const open = await explained(
    {
      action: 'list open pull requests',
      repository: repository.fullName,
      permission: 'pull-requests: read',
    },
    () =>
      repository.client.paginate(repository.client.rest.pulls.list, {
        owner: repository.owner,
        repo: repository.repo,
        state: 'open',
        ...(filter.base === undefined ? {} : { base: filter.base }),
        per_page: 100,
      }),
  );
  return open
    .filter(
      (pull) =>
        pull.head.ref.startsWith(filter.branchPrefix) &&
        sameName(headRepository(pull) ?? '', repository.fullName) &&
        pull.labels.some((label) => sameName(label.name, filter.label)),
    )
    .map((pull) => ({
      number: pull.number,
      headRef: pull.head.ref,
      title: pull.title,
      body: pull.body ?? '',
    }));
}

/** supersedePullRequests, or (see `yieldComment`) the closing of `keep` when a newer one is open. */
export async function supersedeOrYield(
  repository: GitHubRepository,
  request: SupersedeRequest,
): Promise<SupersedeOutcome> {
  const open = await listReleasePullRequests(repository, request);
  const candidates = open.filter((pull) => pull.number !== request.keep);
  const supersedes = request.supersedes ?? (() => true);
  const { yieldComment } = request;
  const newest = candidates
    .filter((pull) => request.supersedes !== undefined && !supersedes(pull))
    .sort((a, b) => b.number - a.number)[0];
  if (newest !== undefined && yieldComment !== undefined) {
    // Already closed (a newer run got to it first) when it is not in the list.
    const kept = open.find((pull) => pull.number === request.keep);
    if (kept !== undefined) await closeReleasePullRequest(repository, kept, yieldComment(newest));
    return { closed: [], supersededBy: newest.number };
  }
  const older = candidates.filter((pull) => supersedes(pull));
  const closed: number[] = [];
  for (const pull of older.sort((a, b) => a.number - b.number)) {
    await closeReleasePullRequest(repository, pull, request.comment);
    closed.push(pull.number);
  }
  return { closed, supersededBy: undefined };
}

/** Replaces a pull request's body (a notice added or removed by a later run). */
export async function setPullRequestBody(
  repository: GitHubRepository,
  number: number,
  body: string,
): Promise<void> {
  await updatePullRequest(repository, number, 'update the body of', { body });
}

/** Comments, closes, and deletes the head branch (already gone is fine). */
export async function closeReleasePullRequest(
  repository: GitHubRepository,
  pull: { readonly number: number; readonly headRef: string },
  comment: string,
): Promise<void> {
  await commentOnPullRequest(repository, pull.number, comment);
  await updatePullRequest(repository, pull.number, 'close', { state: 'closed' });
  await deleteBranch(repository, pull.headRef);
}
