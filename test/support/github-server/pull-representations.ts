/**
 * JSON shapes of the Git Data, contents, pull request and issue endpoints (the OpenAPI
 * `components/schemas` named in each comment), built on the shared Representations.
 */
import { createHash } from 'node:crypto';
import type { TreeListingEntry } from './git-data.js';
import type { RepoIdentity } from './model.js';
import type { CommentRecord, LabelRecord, PullRecord, TeamRecord } from './pull-store.js';
import { pullNodeId } from './pull-store.js';
import { BOT_USER, nodeId, type Representations } from './representations.js';

type Json = Record<string, unknown>;

/** What a pull request's JSON needs beyond its record: read from git by the route. */
export interface PullFacts {
  headSha: string;
  baseSha: string;
  /** Only the full representation (GET/POST/PATCH one) carries these. */
  detail?: {
    commits: number;
    additions: number;
    deletions: number;
    changedFiles: number;
    /** null while GitHub would still be computing it; false on conflicts. */
    mergeable: boolean | null;
  };
}

/** GitHub wraps base64 content at 60 characters, with a trailing newline. */
function wrappedBase64(content: Buffer): string {
  const encoded = content.toString('base64');
  return encoded === '' ? '' : `${encoded.replace(/.{60}/g, '$&\n').replace(/\n$/, '')}\n`;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** Users other than the bot get a stable id derived from the login. */
function userId(login: string): number {
  return createHash('sha1').update(login.toLowerCase()).digest().readUInt32BE(0) % 100_000_000;
}

const CONTENT_TYPES: Record<string, string> = {
  blob: 'file',
  tree: 'dir',
  commit: 'submodule',
};

export class PullRepresentations {
  constructor(
    private readonly views: Representations,
    private readonly baseUrl: string,
  ) {}

  private api(repo: RepoIdentity): string {
    return this.views.repoApiUrl(repo);
  }

  private html(repo: RepoIdentity): string {
    return this.views.repoHtmlUrl(repo);
  }

  person(login: string): Json {
    return login === BOT_USER.login
      ? this.views.botUser()
      : this.views.user(login, userId(login), 'User');
  }

  /** short-blob */
  shortBlob(repo: RepoIdentity, sha: string): Json {
    return { url: `${this.api(repo)}/git/blobs/${sha}`, sha };
  }

  /** blob */
  blob(repo: RepoIdentity, sha: string, content: Buffer): Json {
    return {
      sha,
      node_id: nodeId('Blob', sha),
      size: content.length,
      url: `${this.api(repo)}/git/blobs/${sha}`,
      content: wrappedBase64(content),
      encoding: 'base64',
    };
  }

  /** git-tree */
  gitTree(repo: RepoIdentity, sha: string, entries: readonly TreeListingEntry[]): Json {
    const api = this.api(repo);
    return {
      sha,
      url: `${api}/git/trees/${sha}`,
      tree: entries.map((entry) => ({
        path: entry.path,
        mode: entry.mode,
        type: entry.type,
        sha: entry.sha,
        ...(entry.size === undefined ? {} : { size: entry.size }),
        ...(entry.type === 'commit' ? {} : { url: `${api}/git/${entry.type}s/${entry.sha}` }),
      })),
      truncated: false,
    };
  }

  private contentLinks(repo: RepoIdentity, entry: TreeListingEntry, ref: string) {
    const api = this.api(repo);
    const path = encodePath(entry.path);
    const type = CONTENT_TYPES[entry.type] ?? 'file';
    const self = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const git = `${api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`;
    const html = `${this.html(repo)}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${path}`;
    return {
      url: self,
      git_url: git,
      html_url: html,
      download_url: type === 'file' ? `${this.baseUrl}/raw/${repo.fullName}/${ref}/${path}` : null,
      _links: { self, git, html },
    };
  }

  /** content-file */
  contentFile(repo: RepoIdentity, entry: TreeListingEntry, ref: string, content: Buffer): Json {
    return {
      type: 'file',
      encoding: 'base64',
      size: content.length,
      name: entry.path.split('/').pop() ?? entry.path,
      path: entry.path,
      content: wrappedBase64(content),
      sha: entry.sha,
      ...this.contentLinks(repo, entry, ref),
    };
  }

  /** content-directory: one item per entry, without content */
  contentDirectory(repo: RepoIdentity, entries: readonly TreeListingEntry[], ref: string): Json[] {
    return entries.map((entry) => ({
      type: CONTENT_TYPES[entry.type] ?? 'file',
      size: entry.size ?? 0,
      name: entry.path.split('/').pop() ?? entry.path,
      path: entry.path,
      sha: entry.sha,
      ...this.contentLinks(repo, entry, ref),
    }));
  }

  /** label */
  label(repo: RepoIdentity, label: LabelRecord): Json {
    return {
      id: label.id,
      node_id: nodeId('Label', label.id),
      url: `${this.api(repo)}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      description: label.description,
      color: label.color,
      default: false,
    };
  }

  /** issue-comment */
  issueComment(repo: RepoIdentity, pull: PullRecord, comment: CommentRecord): Json {
    const api = this.api(repo);
    return {
      id: comment.id,
      node_id: nodeId('IssueComment', comment.id),
      url: `${api}/issues/comments/${String(comment.id)}`,
      html_url: `${this.html(repo)}/pull/${String(pull.number)}#issuecomment-${String(comment.id)}`,
      body: comment.body,
      user: this.views.botUser(),
      created_at: comment.createdAt,
      updated_at: comment.createdAt,
      issue_url: `${api}/issues/${String(pull.number)}`,
      author_association: 'NONE',
    };
  }

  /** team-simple */
  team(repo: RepoIdentity, team: TeamRecord): Json {
    const orgApi = `${this.baseUrl}/organizations/${String(repo.ownerId)}/team/${String(team.id)}`;
    return {
      id: team.id,
      node_id: nodeId('Team', team.id),
      url: orgApi,
      members_url: `${orgApi}/members{/member}`,
      name: team.slug,
      description: null,
      permission: 'push',
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      html_url: `${this.baseUrl}/orgs/${repo.owner}/teams/${team.slug}`,
      repositories_url: `${orgApi}/repos`,
      slug: team.slug,
      type: 'organization',
      parent: null,
    };
  }

  private branchEnd(repo: RepoIdentity, branch: string, sha: string): Json {
    return {
      label: `${repo.owner}:${branch}`,
      ref: branch,
      sha,
      user: this.views.user(repo.owner, repo.ownerId, 'Organization'),
      repo: this.views.fullRepository(repo),
    };
  }

  /** pull-request-simple, or pull-request when `facts.detail` is given */
  pullRequest(repo: RepoIdentity, pull: PullRecord, facts: PullFacts): Json {
    const api = this.api(repo);
    const html = `${this.html(repo)}/pull/${String(pull.number)}`;
    const self = `${api}/pulls/${String(pull.number)}`;
    const issue = `${api}/issues/${String(pull.number)}`;
    const link = (href: string) => ({ href });
    const json: Json = {
      url: self,
      id: pull.id,
      node_id: pullNodeId(pull.id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issue,
      commits_url: `${self}/commits`,
      review_comments_url: `${self}/comments`,
      review_comment_url: `${api}/pulls/comments{/number}`,
      comments_url: `${issue}/comments`,
      statuses_url: `${api}/statuses/${facts.headSha}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: this.views.botUser(),
      body: pull.body,
      labels: pull.labels.map((label) => {
        const json = this.label(repo, label);
        // The published pull-request-simple types a label's description as a plain string.
        return facts.detail === undefined
          ? { ...json, description: label.description ?? '' }
          : json;
      }),
      milestone: null,
      active_lock_reason: null,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: pull.requestedReviewers.map((login) => this.person(login)),
      requested_teams: pull.requestedTeams.map((team) => this.team(repo, team)),
      head: this.branchEnd(repo, pull.head, facts.headSha),
      base: this.branchEnd(repo, pull.base, facts.baseSha),
      _links: {
        self: link(self),
        html: link(html),
        issue: link(issue),
        comments: link(`${issue}/comments`),
        review_comments: link(`${self}/comments`),
        review_comment: link(`${api}/pulls/comments{/number}`),
        commits: link(`${self}/commits`),
        statuses: link(`${api}/statuses/${facts.headSha}`),
      },
      author_association: 'NONE',
      auto_merge:
        pull.autoMerge === null
          ? null
          : {
              enabled_by: this.person(pull.autoMerge.enabledBy),
              merge_method: pull.autoMerge.mergeMethod,
              commit_title: '',
              commit_message: '',
            },
      draft: pull.draft,
    };
    const { detail } = facts;
    if (detail === undefined) return json;
    return {
      ...json,
      merged: pull.merged,
      mergeable: pull.state === 'open' ? detail.mergeable : null,
      rebaseable: pull.state === 'open' ? detail.mergeable : null,
      mergeable_state: mergeableState(pull, detail.mergeable),
      merged_by: pull.merged ? this.views.botUser() : null,
      comments: pull.comments.length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: detail.commits,
      additions: detail.additions,
      deletions: detail.deletions,
      changed_files: detail.changedFiles,
    };
  }
}

function mergeableState(pull: PullRecord, mergeable: boolean | null): string {
  if (pull.state !== 'open') return 'unknown';
  if (pull.draft) return 'draft';
  if (mergeable === null) return 'unknown';
  return mergeable ? 'clean' : 'dirty';
}
