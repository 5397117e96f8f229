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
   * The state of each named check on a commit: a check run (latest of that name) or, failing that,
   * a commit status context of that name.
   */
  async checkStates(sha: string, names: readonly string[]): Promise<CheckResult[]> {
    if (names.length === 0) return [];
    const combined = await this.client.rest.repos.getCombinedStatusForRef({
      ...this.params,
      ref: sha,
      per_page: 100,
    });
    const results: CheckResult[] = [];
    for (const name of names) {
      const runs = await this.client.paginate(this.client.rest.checks.listForRef, {
        ...this.params,
        ref: sha,
        check_name: name,
        filter: 'latest',
        per_page: 100,
      });
      const run = runs.find((candidate) => candidate.name === name);
      if (run) {
        const passing = run.status === 'completed' && PASSING_CONCLUSIONS.has(run.conclusion ?? '');
        const pending = run.status !== 'completed';
        results.push({
          name,
          state: passing ? 'success' : pending ? 'pending' : 'failure',
          detail: pending ? `status ${run.status}` : `conclusion ${run.conclusion ?? 'none'}`,
        });
        continue;
      }
      const status = combined.data.statuses.find((candidate) => candidate.context === name);
      if (status) {
        const state =
          status.state === 'success'
            ? 'success'
            : status.state === 'pending'
              ? 'pending'
              : 'failure';
        results.push({ name, state, detail: `status ${status.state}` });
        continue;
      }
      results.push({ name, state: 'missing', detail: 'not reported' });
    }
    return results;
  }
}
