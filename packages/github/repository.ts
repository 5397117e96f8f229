import type { RepositoryRef } from '../kit/index.js';
import { type GitHubClient, httpStatus } from './client.js';
import { explainGitHubError, hasValidationError } from './errors.js';

export interface TagRef {
  /** Tag name without `refs/tags/`. */
  readonly name: string;
  /** What the ref points at: a commit (lightweight tag) or a tag object (annotated tag). */
  readonly objectSha: string;
  readonly objectType: string;
  /** The commit of an annotated tag, when the listing said (git protocol's `peel`). */
  readonly peeledSha?: string;
}

export type CreateRefResult = 'created' | 'exists';

export interface CommitComparison {
  readonly status: 'ahead' | 'behind' | 'identical' | 'diverged';
  readonly aheadBy: number;
  readonly behindBy: number;
}

export type CheckState = 'success' | 'failure' | 'pending' | 'missing';

export interface CheckResult {
  readonly name: string;
  readonly state: CheckState;
  /** What GitHub said, e.g. `conclusion failure` or `status in_progress`. */
  readonly detail: string;
}

/** A GitHub release of a tag, draft or published. */
export interface ReleaseInfo {
  readonly id: number;
  readonly tag: string;
  readonly draft: boolean;
  readonly body: string;
  readonly htmlUrl: string;
}

// GitHub lists releases newest first; a release's draft is written moments before it is looked for.
const DRAFT_SEARCH_PAGES = 3;

function releaseInfo(data: {
  id: number;
  tag_name: string;
  draft: boolean;
  body?: string | null;
  html_url: string;
}): ReleaseInfo {
  return {
    id: data.id,
    tag: data.tag_name,
    draft: data.draft,
    body: data.body ?? '',
    htmlUrl: data.html_url,
  };
}

// GitHub treats these conclusions as passing for required status checks.
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

/** One repository's Git and release API, the calls the release steps make. */
export class GitHubRepository {
  readonly client: GitHubClient;
  readonly owner: string;
  readonly repo: string;

  constructor(client: GitHubClient, ref: RepositoryRef) {
    this.client = client;
    this.owner = ref.owner;
    this.repo = ref.repo;
  }

  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  private get params(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.repo };
  }

  /** Fails with a clear line when the repository is missing or the token cannot see it. */
  async assertExists(): Promise<void> {
    await this.getRepository();
  }

  /** The default branch, e.g. `main`. */
  async defaultBranch(): Promise<string> {
    return (await this.getRepository()).default_branch;
  }

  private async getRepository(): Promise<{ default_branch: string }> {
    try {
      const { data } = await this.client.rest.repos.get(this.params);
      return data;
    } catch (error) {
      if (httpStatus(error) === 404) {
        throw new Error(
          `repository ${this.fullName} was not found, or the token cannot read it (check the repository name and the token's access)`,
        );
      }
      throw error;
    }
  }

  /**
   * Publishes a GitHub release for an existing tag, the mark that a release finished (compute-version
   * reads it). A draft of the tag (the image step's record) is published with the body made from it;
   * an existing published release is returned as it is.
   */
  async publishRelease(
    tag: string,
    options: { name: string; body: (draft: ReleaseInfo | undefined) => string },
  ): Promise<{ htmlUrl: string; created: boolean }> {
    const existing = await this.findRelease(tag);
    if (existing && !existing.draft) return { htmlUrl: existing.htmlUrl, created: false };
    const body = options.body(existing);
    const explain = (error: unknown) =>
      explainGitHubError(error, {
        action: `publish the release ${tag}`,
        repository: this.fullName,
        permission: 'contents: write',
      });
    if (existing) {
      try {
        const { data } = await this.client.rest.repos.updateRelease({
          ...this.params,
          release_id: existing.id,
          name: options.name,
          body,
          draft: false,
          make_latest: 'true',
        });
        return { htmlUrl: data.html_url, created: true };
      } catch (error: unknown) {
        throw explain(error);
      }
    }
    try {
      const { data } = await this.client.rest.repos.createRelease({
        ...this.params,
        tag_name: tag,
        name: options.name,
        body,
        make_latest: 'true',
      });
      return { htmlUrl: data.html_url, created: true };
    } catch (error: unknown) {
      // 422 tag_name already_exists: another run published it since we looked, or a POST whose
      // answer was lost on the way back landed and its retry is refused. Either way it exists.
      if (httpStatus(error) !== 422 || !hasValidationError(error, 'tag_name', 'already_exists')) {
        throw explain(error);
      }
      const published = await this.getReleaseByTag(tag);
      if (published === undefined) throw explain(error);
      return { htmlUrl: published.htmlUrl, created: false };
    }
  }

  /**
   * The release of a tag, published or draft. GitHub finds only published releases by tag, so a
   * draft is looked for in the newest pages of the list (drafts are listed to writers only).
   */
  async findRelease(tag: string): Promise<ReleaseInfo | undefined> {
    try {
      const { data } = await this.client.rest.repos.getReleaseByTag({ ...this.params, tag });
      return releaseInfo(data);
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
    }
    for (let page = 1; page <= DRAFT_SEARCH_PAGES; page++) {
      const { data } = await this.client.rest.repos.listReleases({
        ...this.params,
        per_page: 100,
        page,
      });
      const draft = data.find((release) => release.draft && release.tag_name === tag);
      if (draft) return releaseInfo(draft);
      if (data.length < 100) break;
    }
    return undefined;
  }

  /** Writes the draft release of a tag (creating it, or replacing the body of `existing`). */
  async writeDraftRelease(
    tag: string,
    options: { name: string; body: string },
    existing: ReleaseInfo | undefined,
  ): Promise<ReleaseInfo> {
    try {
      if (existing) {
        const { data } = await this.client.rest.repos.updateRelease({
          ...this.params,
          release_id: existing.id,
          body: options.body,
        });
        return releaseInfo(data);
      }
      const { data } = await this.client.rest.repos.createRelease({
        ...this.params,
        tag_name: tag,
        name: options.name,
        body: options.body,
        draft: true,
      });
      return releaseInfo(data);
    } catch (error: unknown) {
      const explained = explainGitHubError(error, {
        action: `record the image in the draft release ${tag}`,
        repository: this.fullName,
        permission: 'contents: write',
      });
      // A create whose answer was lost on the way back landed, and its retry is refused: the draft
      // exists (ours), so its body is written again.
      if (
        existing !== undefined ||
        httpStatus(error) !== 422 ||
        !hasValidationError(error, 'tag_name', 'already_exists')
      ) {
        throw explained;
      }
      const found = await this.findRelease(tag);
      if (found === undefined) throw explained;
      return this.writeDraftRelease(tag, options, found);
    }
  }

  /** The full SHA of a commit-ish (full or short SHA, branch, tag), or undefined when there is none. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    try {
      const { data } = await this.client.rest.repos.getCommit({ ...this.params, ref });
      return data.sha;
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404 || status === 422) return undefined;
      throw error;
    }
  }

  /** Every tag whose name starts with `prefix`, through the paginated matching-refs endpoint. */
  async listTags(prefix: string): Promise<TagRef[]> {
    const refs = await this.client.paginate(this.client.rest.git.listMatchingRefs, {
      ...this.params,
      ref: `tags/${prefix}`,
      per_page: 100,
    });
    return refs.map((ref) => ({
      name: ref.ref.replace(/^refs\/tags\//, ''),
      objectSha: ref.object.sha,
      objectType: ref.object.type,
    }));
  }

  /** The commit an annotated tag object points at. */
  async peelTag(tagObjectSha: string): Promise<string> {
    const { data } = await this.client.rest.git.getTag({ ...this.params, tag_sha: tagObjectSha });
    return data.object.type === 'tag' ? this.peelTag(data.object.sha) : data.object.sha;
  }

  /**
   * Creates `refs/tags/<name>` at `sha`: a compare-and-swap, because GitHub refuses to create a ref
   * that exists. GitHub answers that with 422 "Reference already exists" (documented as 409 too).
   */
  async createTag(name: string, sha: string): Promise<CreateRefResult> {
    try {
      await this.client.rest.git.createRef({ ...this.params, ref: `refs/tags/${name}`, sha });
      return 'created';
    } catch (error) {
      const status = httpStatus(error);
      if (status === 409 || (status === 422 && /already exists/i.test(String(error)))) {
        return 'exists';
      }
      throw explainGitHubError(error, {
        action: `reserve the tag ${name}`,
        repository: this.fullName,
        permission: 'contents: write',
      });
    }
  }

  /** The release for a tag, if one exists (drafts included; the caller decides what counts). */
  async getReleaseByTag(tag: string): Promise<{ draft: boolean; htmlUrl: string } | undefined> {
    try {
      const { data } = await this.client.rest.repos.getReleaseByTag({ ...this.params, tag });
      return { draft: data.draft, htmlUrl: data.html_url };
    } catch (error) {
      if (httpStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /** How `head` relates to `base`: `behind` means every commit of head is already in base. */
  async compareCommits(base: string, head: string): Promise<CommitComparison> {
    const { data } = await this.client.rest.repos.compareCommitsWithBasehead({
      ...this.params,
      basehead: `${base}...${head}`,
      per_page: 1,
    });
    return { status: data.status, aheadBy: data.ahead_by, behindBy: data.behind_by };
  }

  /**
   * The state of each named check on a commit. A check run (the newest of that name: a re-run that
   * succeeded after a failure counts as succeeded) decides its name; a commit status context of the
   * same name is read only when no check run has that name (legacy CI), so a status posted by any
   * writer can never turn a failed or pending check run green. One call for the check runs (up to
   * 100 a page) and at most one for the statuses. With `stopOnFailure`, a commit the check runs
   * already refuse is not looked up further: its names without a check run are left out.
   */
  async checkStates(
    sha: string,
    names: readonly string[],
    options: { stopOnFailure?: boolean } = {},
  ): Promise<CheckResult[]> {
    if (names.length === 0) return [];
    const runs = await this.client.paginate(this.client.rest.checks.listForRef, {
      ...this.params,
      ref: sha,
      filter: 'latest',
      per_page: 100,
    });
    const newestRun = new Map<string, (typeof runs)[number]>();
    for (const run of runs) {
      const known = newestRun.get(run.name);
      if (!known || run.id > known.id) newestRun.set(run.name, run);
    }
    const fromRuns = new Map<string, CheckResult>();
    for (const name of names) {
      const run = newestRun.get(name);
      if (!run) continue;
      const passing = run.status === 'completed' && PASSING_CONCLUSIONS.has(run.conclusion ?? '');
      const pending = run.status !== 'completed';
      fromRuns.set(name, {
        name,
        state: passing ? 'success' : pending ? 'pending' : 'failure',
        detail: pending ? `status ${run.status}` : `conclusion ${run.conclusion ?? 'none'}`,
      });
    }
    const unresolved = names.filter((name) => !fromRuns.has(name));
    const refused = [...fromRuns.values()].some((result) => result.state !== 'success');
    if (unresolved.length === 0 || (refused && options.stopOnFailure === true)) {
      return names.flatMap((name) => fromRuns.get(name) ?? []);
    }
    const combined = await this.client.rest.repos.getCombinedStatusForRef({
      ...this.params,
      ref: sha,
      per_page: 100,
    });
    return names.map((name): CheckResult => {
      const fromRun = fromRuns.get(name);
      if (fromRun) return fromRun;
      const status = combined.data.statuses.find((candidate) => candidate.context === name);
      if (!status) return { name, state: 'missing', detail: 'not reported' };
      const state =
        status.state === 'success' ? 'success' : status.state === 'pending' ? 'pending' : 'failure';
      return { name, state, detail: `status ${status.state}` };
    });
  }

  /**
   * One page of the commits reachable from `branch`, newest first as GitHub lists them; undefined
   * when the branch does not exist.
   */
  async listCommitsPage(
    branch: string,
    page: number,
    perPage: number,
  ): Promise<BranchCommit[] | undefined> {
    try {
      const { data } = await this.client.rest.repos.listCommits({
        ...this.params,
        sha: branch,
        per_page: perPage,
        page,
      });
      return data.map(branchCommit);
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404 || status === 409 || status === 422) return undefined;
      throw error;
    }
  }

  /** One commit with its parents, for a first-parent walk that left the listed pages. */
  async getBranchCommit(sha: string): Promise<BranchCommit> {
    const { data } = await this.client.rest.repos.getCommit({ ...this.params, ref: sha });
    return branchCommit(data);
  }
}

/** A commit as a history walk needs it. */
export interface BranchCommit {
  readonly sha: string;
  /** First parent first; empty for a root commit. */
  readonly parents: readonly string[];
  /** The first line of the message. */
  readonly subject: string;
}

function branchCommit(data: {
  sha: string;
  parents: readonly { sha: string }[];
  commit: { message: string };
}): BranchCommit {
  return {
    sha: data.sha,
    parents: data.parents.map((parent) => parent.sha),
    subject: data.commit.message.split('\n', 1)[0] ?? '',
  };
}
