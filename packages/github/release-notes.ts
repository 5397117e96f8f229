/**
 * Release notes for the manifest pull request: the application's commits between the previous
 * release and this one, newest first, capped, each linked to the commit in the app repository.
 */
import { httpStatus } from './client.js';
import { explained } from './errors.js';
import type { GitHubRepository } from './repository.js';

export interface ReleaseNotesRequest {
  /** Previous release (tag, branch or sha); undefined for the first release. */
  readonly from?: string;
  /** This release. */
  readonly to: string;
  /** Most commits listed; the rest become an "and N more" line. Default 50. */
  readonly limit?: number;
}

export interface ReleaseNoteCommit {
  readonly sha: string;
  /** First line of the message. */
  readonly subject: string;
  readonly url: string;
  /** GitHub login when the email maps to an account, else the git author name. */
  readonly author: string;
}

export interface ReleaseNotes {
  /** Newest first, at most `limit`. */
  readonly commits: readonly ReleaseNoteCommit[];
  /** All commits in the range (for a first release: those listed). */
  readonly total: number;
  /** `total - commits.length`. */
  readonly omitted: number;
  /** True when there was no `from`, or it does not exist in the repository. */
  readonly firstRelease: boolean;
  /** The web page comparing the two releases, when there is a `from`. */
  readonly compareUrl?: string;
  /** A markdown list for a pull request body. */
  readonly markdown: string;
}

const PAGE_SIZE = 100;

interface CommitData {
  sha: string;
  html_url: string;
  commit: { message: string; author: { name?: string } | null };
  author: { login: string } | null | Record<string, never>;
}

function toNote(commit: CommitData): ReleaseNoteCommit {
  const login =
    commit.author !== null && 'login' in commit.author ? commit.author.login : undefined;
  return {
    sha: commit.sha,
    subject: commit.commit.message.split('\n')[0] ?? '',
    url: commit.html_url,
    author: login ?? commit.commit.author?.name ?? 'unknown',
  };
}

/**
 * Pages of `compare` that hold the newest `limit` of `total` commits (GitHub lists them oldest
 * first): only those are fetched, so a release of 5,000 commits costs two or three calls.
 */
async function newestCompared(
  repository: GitHubRepository,
  basehead: string,
  limit: number,
): Promise<{ commits: CommitData[]; total: number; htmlUrl: string }> {
  const fetchPage = (page: number) =>
    explained(
      {
        action: `compare ${basehead}`,
        repository: repository.fullName,
        permission: 'contents: read',
      },
      () =>
        repository.client.rest.repos.compareCommitsWithBasehead({
          owner: repository.owner,
          repo: repository.repo,
          basehead,
          per_page: PAGE_SIZE,
          page,
        }),
    );
  const first = (await fetchPage(1)).data;
  const total = first.total_commits;
  const wantedFrom = Math.max(0, total - limit);
  const firstPage = Math.floor(wantedFrom / PAGE_SIZE) + 1;
  const lastPage = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const commits: CommitData[] = [];
  for (let page = firstPage; page <= lastPage; page++) {
    const data = page === 1 ? first : (await fetchPage(page)).data;
    commits.push(...data.commits);
  }
  const skipped = (firstPage - 1) * PAGE_SIZE;
  return { commits: commits.slice(wantedFrom - skipped), total, htmlUrl: first.html_url };
}

/** Commit subjects can mention issues (#12) of the app repository; keep them pointing there. */
function qualifyIssueLinks(subject: string, repository: GitHubRepository): string {
  return subject.replace(/(^|[\s(])#(\d+)\b/g, `$1${repository.fullName}#$2`);
}

// A GitHub mention: `@user` or `@org/team` (not the `@` of an email address).
const MENTION = /(?<![A-Za-z0-9._-])@[A-Za-z0-9][A-Za-z0-9-]*(?:\/[A-Za-z0-9._-]+)?/g;
// What Markdown or HTML could make of commit text: tags and comments, emphasis, links and images,
// code spans, tables. Parentheses and `#` stay, so issue references still link.
const ACTIVE = /[\\`*_[\]<>!|~]/g;

/**
 * Commit text as inert Markdown: it shows as written, but cannot notify anyone (mentions go in code
 * spans, which GitHub does not link) nor fold, hide or restyle the rest of a body (HTML, `<!--`,
 * links and emphasis are escaped). Subjects and author names come from whoever wrote the commits.
 */
export function inertMarkdown(text: string): string {
  const escape = (part: string): string => part.replace(ACTIVE, (character) => `\\${character}`);
  let inert = '';
  let last = 0;
  for (const mention of text.matchAll(MENTION)) {
    inert += `${escape(text.slice(last, mention.index))}\`${mention[0]}\``;
    last = mention.index + mention[0].length;
  }
  return inert + escape(text.slice(last));
}

function formatMarkdown(
  repository: GitHubRepository,
  notes: Omit<ReleaseNotes, 'markdown'>,
): string {
  if (notes.commits.length === 0) return '_No new commits._';
  const lines = notes.commits.map(
    (commit) =>
      `- ${inertMarkdown(qualifyIssueLinks(commit.subject, repository))} ([${commit.sha.slice(0, 7)}](${commit.url})) by ${inertMarkdown(commit.author)}`,
  );
  if (notes.omitted > 0) {
    const more = `- … and ${String(notes.omitted)} more`;
    lines.push(notes.compareUrl === undefined ? more : `${more} ([compare](${notes.compareUrl}))`);
  }
  return lines.join('\n');
}

/**
 * The commits of `to` since `from` through the compare API, or the latest commits of `to` for a
 * first release. Commit authors are named, not @-mentioned, so the manifest pull request does not
 * notify everyone who committed.
 */
export async function releaseNotes(
  appRepository: GitHubRepository,
  request: ReleaseNotesRequest,
): Promise<ReleaseNotes> {
  const limit = request.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`release notes limit must be a whole number >= 1, got ${String(limit)}`);
  }
  if (request.from !== undefined) {
    const basehead = `${request.from}...${request.to}`;
    try {
      const { commits, total, htmlUrl } = await newestCompared(appRepository, basehead, limit);
      const notes = {
        commits: commits.map(toNote).reverse(),
        total,
        omitted: total - commits.length,
        firstRelease: false,
        compareUrl: htmlUrl,
      };
      return { ...notes, markdown: formatMarkdown(appRepository, notes) };
    } catch (error: unknown) {
      // GitHub answers 404 when either end is unknown; only a missing `from` means "first".
      if (httpStatus(error) !== 404) throw error;
      if ((await appRepository.resolveCommit(request.from)) !== undefined) throw error;
    }
  }
  const { data } = await explained(
    {
      action: `list the commits of ${request.to}`,
      repository: appRepository.fullName,
      permission: 'contents: read',
      missing: request.to,
    },
    () =>
      appRepository.client.rest.repos.listCommits({
        owner: appRepository.owner,
        repo: appRepository.repo,
        sha: request.to,
        per_page: Math.min(limit, PAGE_SIZE),
      }),
  );
  const commits = data.slice(0, limit).map(toNote);
  const notes = { commits, total: commits.length, omitted: 0, firstRelease: true };
  return { ...notes, markdown: formatMarkdown(appRepository, notes) };
}
