/**
 * JSON shapes as api.github.com sends them (the OpenAPI `components/schemas` named in each
 * comment), with every URL based on the test server's own URL so clients never leave it.
 */
import { GIT_IDENTITY } from './git.js';
import type {
  CheckRunRecord,
  CommitInfo,
  FileChange,
  GitPerson,
  RefEntry,
  ReleaseRecord,
  RepoIdentity,
  StatusRecord,
  TagInfo,
} from './model.js';

type Json = Record<string, unknown>;

/** The user behind GITHUB_TOKEN: author of releases and of the commits the server writes. */
export const BOT_USER = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' } as const;
const GITHUB_ACTIONS_APP = {
  id: 15368,
  slug: 'github-actions',
  ownerLogin: 'github',
  ownerId: 9919,
};
const APP_CREATED_AT = '2018-07-30T09:30:17Z';

export function nodeId(kind: string, key: string | number): string {
  return Buffer.from(`${kind}:${String(key)}`).toString('base64');
}

const unverified = {
  verified: false,
  reason: 'unsigned',
  signature: null,
  payload: null,
  verified_at: null,
};

export class Representations {
  constructor(private readonly baseUrl: string) {}

  repoApiUrl(repo: RepoIdentity): string {
    return `${this.baseUrl}/repos/${repo.owner}/${repo.name}`;
  }

  repoHtmlUrl(repo: RepoIdentity): string {
    return `${this.baseUrl}/${repo.owner}/${repo.name}`;
  }

  /** simple-user */
  user(login: string, id: number, type: string): Json {
    // Bot logins end in "[bot]", which GitHub percent-encodes in URLs.
    const api = `${this.baseUrl}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: nodeId('User', id),
      avatar_url: `${this.baseUrl}/avatars/u/${String(id)}?v=4`,
      gravatar_id: '',
      url: api,
      html_url:
        type === 'Bot'
          ? `${this.baseUrl}/apps/${login.replace(/\[bot\]$/, '')}`
          : `${this.baseUrl}/${encodeURIComponent(login)}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type,
      user_view_type: 'public',
      site_admin: false,
    };
  }

  botUser(): Json {
    return this.user(BOT_USER.login, BOT_USER.id, BOT_USER.type);
  }

  /** GitHub links a commit to an account by email; only the bot's email is known here. */
  private userForEmail(email: string): Json | null {
    return email === GIT_IDENTITY.email ? this.botUser() : null;
  }

  /** minimal-repository */
  minimalRepository(repo: RepoIdentity): Json {
    const api = this.repoApiUrl(repo);
    return {
      id: repo.id,
      node_id: nodeId('Repository', repo.id),
      name: repo.name,
      full_name: repo.fullName,
      owner: this.user(repo.owner, repo.ownerId, 'Organization'),
      private: false,
      html_url: this.repoHtmlUrl(repo),
      description: null,
      fork: false,
      url: api,
      archive_url: `${api}/{archive_format}{/ref}`,
      assignees_url: `${api}/assignees{/user}`,
      blobs_url: `${api}/git/blobs{/sha}`,
      branches_url: `${api}/branches{/branch}`,
      collaborators_url: `${api}/collaborators{/collaborator}`,
      comments_url: `${api}/comments{/number}`,
      commits_url: `${api}/commits{/sha}`,
      compare_url: `${api}/compare/{base}...{head}`,
      contents_url: `${api}/contents/{+path}`,
      contributors_url: `${api}/contributors`,
      deployments_url: `${api}/deployments`,
      downloads_url: `${api}/downloads`,
      events_url: `${api}/events`,
      forks_url: `${api}/forks`,
      git_commits_url: `${api}/git/commits{/sha}`,
      git_refs_url: `${api}/git/refs{/sha}`,
      git_tags_url: `${api}/git/tags{/sha}`,
      hooks_url: `${api}/hooks`,
      issue_comment_url: `${api}/issues/comments{/number}`,
      issue_events_url: `${api}/issues/events{/number}`,
      issues_url: `${api}/issues{/number}`,
      keys_url: `${api}/keys{/key_id}`,
      labels_url: `${api}/labels{/name}`,
      languages_url: `${api}/languages`,
      merges_url: `${api}/merges`,
      milestones_url: `${api}/milestones{/number}`,
      notifications_url: `${api}/notifications{?since,all,participating}`,
      pulls_url: `${api}/pulls{/number}`,
      releases_url: `${api}/releases{/id}`,
      stargazers_url: `${api}/stargazers`,
      statuses_url: `${api}/statuses/{sha}`,
      subscribers_url: `${api}/subscribers`,
      subscription_url: `${api}/subscription`,
      tags_url: `${api}/tags`,
      teams_url: `${api}/teams`,
      trees_url: `${api}/git/trees{/sha}`,
    };
  }

  /** full-repository, as seen by a token with write access (GITHUB_TOKEN with contents: write). */
  fullRepository(repo: RepoIdentity): Json {
    const host = new URL(this.baseUrl).host;
    return {
      ...this.minimalRepository(repo),
      clone_url: `${this.repoHtmlUrl(repo)}.git`,
      git_url: `git://${host}/${repo.fullName}.git`,
      ssh_url: `git@${host}:${repo.fullName}.git`,
      svn_url: this.repoHtmlUrl(repo),
      mirror_url: null,
      homepage: null,
      language: null,
      forks: 0,
      forks_count: 0,
      stargazers_count: 0,
      watchers: 0,
      watchers_count: 0,
      size: 0,
      default_branch: repo.defaultBranch,
      open_issues: 0,
      open_issues_count: 0,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: 'public',
      pushed_at: repo.createdAt,
      created_at: repo.createdAt,
      updated_at: repo.createdAt,
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_rebase_merge: true,
      allow_squash_merge: true,
      allow_merge_commit: true,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
      allow_forking: true,
      web_commit_signoff_required: false,
      license: null,
      network_count: 0,
      subscribers_count: 0,
    };
  }

  /** git-ref */
  gitRef(repo: RepoIdentity, entry: RefEntry): Json {
    const api = this.repoApiUrl(repo);
    const objectPath = entry.type === 'tag' ? 'tags' : `${entry.type}s`;
    return {
      ref: entry.ref,
      node_id: nodeId('Ref', `${String(repo.id)}:${entry.ref}`),
      url: `${api}/git/${entry.ref}`,
      object: { sha: entry.sha, type: entry.type, url: `${api}/git/${objectPath}/${entry.sha}` },
    };
  }

  /** git-tag */
  gitTag(repo: RepoIdentity, tag: TagInfo): Json {
    const api = this.repoApiUrl(repo);
    const objectPath = tag.object.type === 'tag' ? 'tags' : `${tag.object.type}s`;
    return {
      node_id: nodeId('Tag', tag.sha),
      tag: tag.tag,
      sha: tag.sha,
      url: `${api}/git/tags/${tag.sha}`,
      message: tag.message,
      tagger: { name: tag.tagger.name, email: tag.tagger.email, date: tag.tagger.date },
      object: {
        sha: tag.object.sha,
        type: tag.object.type,
        url: `${api}/git/${objectPath}/${tag.object.sha}`,
      },
      verification: unverified,
    };
  }

  private person(person: GitPerson): Json {
    return { name: person.name, email: person.email, date: person.date };
  }

  /** git-commit */
  gitCommit(repo: RepoIdentity, commit: CommitInfo): Json {
    const api = this.repoApiUrl(repo);
    const html = this.repoHtmlUrl(repo);
    return {
      sha: commit.sha,
      node_id: nodeId('Commit', commit.sha),
      url: `${api}/git/commits/${commit.sha}`,
      html_url: `${html}/commit/${commit.sha}`,
      author: this.person(commit.author),
      committer: this.person(commit.committer),
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      message: commit.message,
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${api}/git/commits/${sha}`,
        html_url: `${html}/commit/${sha}`,
      })),
      verification: unverified,
    };
  }

  /** commit (the "repos" flavour), with stats and files when they were computed. */
  commit(repo: RepoIdentity, commit: CommitInfo, files?: readonly FileChange[]): Json {
    const api = this.repoApiUrl(repo);
    const html = this.repoHtmlUrl(repo);
    const result: Json = {
      sha: commit.sha,
      node_id: nodeId('Commit', commit.sha),
      url: `${api}/commits/${commit.sha}`,
      html_url: `${html}/commit/${commit.sha}`,
      comments_url: `${api}/commits/${commit.sha}/comments`,
      commit: {
        url: `${api}/git/commits/${commit.sha}`,
        author: this.person(commit.author),
        committer: this.person(commit.committer),
        message: commit.message,
        comment_count: 0,
        tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
        verification: unverified,
      },
      author: this.userForEmail(commit.author.email),
      committer: this.userForEmail(commit.committer.email),
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${api}/commits/${sha}`,
        html_url: `${html}/commit/${sha}`,
      })),
    };
    if (files !== undefined) {
      const additions = files.reduce((sum, file) => sum + file.additions, 0);
      const deletions = files.reduce((sum, file) => sum + file.deletions, 0);
      result.stats = { additions, deletions, total: additions + deletions };
      result.files = files.map((file) => this.diffEntry(repo, commit.sha, file));
    }
    return result;
  }

  /** diff-entry (without `patch`) */
  diffEntry(repo: RepoIdentity, commitSha: string, file: FileChange): Json {
    const path = file.filename.split('/').map(encodeURIComponent).join('/');
    const html = this.repoHtmlUrl(repo);
    return {
      sha: file.sha,
      filename: file.filename,
      status: file.status,
      additions: file.additions,
      deletions: file.deletions,
      changes: file.additions + file.deletions,
      blob_url: `${html}/blob/${commitSha}/${path}`,
      raw_url: `${html}/raw/${commitSha}/${path}`,
      contents_url: `${this.repoApiUrl(repo)}/contents/${path}?ref=${commitSha}`,
    };
  }

  /** nullable-integration: check runs in these tests come from GitHub Actions. */
  private actionsApp(): Json {
    const app = GITHUB_ACTIONS_APP;
    return {
      id: app.id,
      slug: app.slug,
      node_id: nodeId('App', app.id),
      owner: this.user(app.ownerLogin, app.ownerId, 'Organization'),
      name: 'GitHub Actions',
      description: 'Automate your workflow from idea to production',
      external_url: 'https://help.github.com/en/actions',
      html_url: `${this.baseUrl}/apps/${app.slug}`,
      created_at: APP_CREATED_AT,
      updated_at: APP_CREATED_AT,
      permissions: { actions: 'write', checks: 'write', contents: 'write', metadata: 'read' },
      events: ['check_run', 'check_suite', 'push', 'workflow_dispatch'],
    };
  }

  /** check-run */
  checkRun(repo: RepoIdentity, run: CheckRunRecord): Json {
    const url = `${this.repoApiUrl(repo)}/check-runs/${String(run.id)}`;
    const htmlUrl = `${this.repoHtmlUrl(repo)}/runs/${String(run.id)}`;
    return {
      id: run.id,
      name: run.name,
      node_id: nodeId('CheckRun', run.id),
      head_sha: run.headSha,
      external_id: '',
      url,
      html_url: htmlUrl,
      details_url: htmlUrl,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: {
        title: null,
        summary: null,
        text: null,
        annotations_count: 0,
        annotations_url: `${url}/annotations`,
      },
      check_suite: { id: run.checkSuiteId },
      app: this.actionsApp(),
      pull_requests: [],
    };
  }

  /** simple-commit-status */
  commitStatus(repo: RepoIdentity, status: StatusRecord): Json {
    return {
      url: `${this.repoApiUrl(repo)}/statuses/${status.sha}`,
      avatar_url: null,
      id: status.id,
      node_id: nodeId('StatusContext', status.id),
      state: status.state,
      description: status.description,
      target_url: status.targetUrl,
      context: status.context,
      created_at: status.createdAt,
      updated_at: status.createdAt,
    };
  }

  /** release */
  release(repo: RepoIdentity, release: ReleaseRecord): Json {
    const api = this.repoApiUrl(repo);
    const url = `${api}/releases/${String(release.id)}`;
    const tag = encodeURIComponent(release.tagName);
    return {
      url,
      html_url: `${this.repoHtmlUrl(repo)}/releases/tag/${tag}`,
      assets_url: `${url}/assets`,
      upload_url: `${url}/assets{?name,label}`,
      tarball_url: `${api}/tarball/${tag}`,
      zipball_url: `${api}/zipball/${tag}`,
      id: release.id,
      node_id: nodeId('Release', release.id),
      tag_name: release.tagName,
      target_commitish: release.targetCommitish,
      name: release.name,
      body: release.body,
      draft: release.draft,
      prerelease: release.prerelease,
      immutable: false,
      created_at: release.createdAt,
      published_at: release.publishedAt,
      updated_at: release.publishedAt ?? release.createdAt,
      author: this.botUser(),
      assets: [],
    };
  }
}
