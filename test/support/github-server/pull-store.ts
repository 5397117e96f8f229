/**
 * The GitHub-only side of pull requests: records, issue labels, comments, requested reviewers,
 * auto-merge, and the collaborators and teams reviews may be requested from. The git side
 * (branches, merges) lives in git-data.ts.
 */
import { ApiError, notFound } from './http.js';
import { isoSeconds } from './model.js';
import type { NextId } from './repository.js';
import type { MergeMethod, PullRequestState } from './types.js';

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface CommentRecord {
  id: number;
  body: string;
  createdAt: string;
}

export interface TeamRecord {
  id: number;
  slug: string;
}

export interface AutoMergeRecord {
  mergeMethod: MergeMethod;
  enabledBy: string;
  enabledAt: string;
}

export interface PullRecord {
  /** Database id; also what the node id (GraphQL `pullRequestId`) encodes. */
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  head: string;
  base: string;
  /** Head branch tip when last seen; what the pull request shows once the branch is gone. */
  headSha: string;
  labels: LabelRecord[];
  requestedReviewers: string[];
  requestedTeams: TeamRecord[];
  autoMerge: AutoMergeRecord | null;
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
  comments: CommentRecord[];
}

export interface NewPull {
  head: string;
  base: string;
  title: string;
  body: string | null;
  draft: boolean;
  headSha: string;
}

/** The login every API write is made as (the GITHUB_TOKEN's bot). */
export const AUTHOR_LOGIN = 'github-actions[bot]';

/** GitHub's default color for labels created on the fly. */
const NEW_LABEL_COLOR = 'ededed';

export class PullStore {
  readonly records: PullRecord[] = [];
  /** Keyed by lower-case name: GitHub label names are case-insensitive. */
  readonly labels = new Map<string, LabelRecord>();
  /** Lower-case login -> login as added. */
  readonly collaborators = new Map<string, string>();
  readonly teams = new Map<string, TeamRecord>();
  allowAutoMerge = true;
  /** Pull requests and issues share one number sequence per repository. */
  private lastNumber = 0;

  constructor(
    private readonly nextId: NextId,
    private readonly fullName: string,
  ) {}

  create(pull: NewPull): PullRecord {
    const now = isoSeconds();
    const record: PullRecord = {
      ...pull,
      id: this.nextId(),
      number: ++this.lastNumber,
      state: 'open',
      labels: [],
      requestedReviewers: [],
      requestedTeams: [],
      autoMerge: null,
      merged: false,
      mergedAt: null,
      mergeCommitSha: null,
      closedAt: null,
      createdAt: now,
      updatedAt: now,
      comments: [],
    };
    this.records.push(record);
    return record;
  }

  get(number: number): PullRecord {
    const record = this.records.find((candidate) => candidate.number === number);
    if (record === undefined) throw notFound();
    return record;
  }

  byId(id: number): PullRecord | undefined {
    return this.records.find((candidate) => candidate.id === id);
  }

  openFor(head: string, base: string): PullRecord | undefined {
    return this.records.find(
      (record) => record.state === 'open' && record.head === head && record.base === base,
    );
  }

  touch(record: PullRecord): void {
    record.updatedAt = isoSeconds();
  }

  close(record: PullRecord): void {
    record.state = 'closed';
    record.closedAt = isoSeconds();
    // GitHub turns auto-merge off when a pull request is closed.
    record.autoMerge = null;
    this.touch(record);
  }

  /** GitHub closes the open pull requests of a head branch that is deleted. */
  closeForDeletedBranch(branch: string): void {
    for (const record of this.records) {
      if (record.state === 'open' && record.head === branch) this.close(record);
    }
  }

  /** The label called `name`, created with GitHub's defaults when the repository has none. */
  label(name: string): LabelRecord {
    const key = name.toLowerCase();
    let label = this.labels.get(key);
    if (label === undefined) {
      label = { id: this.nextId(), name, color: NEW_LABEL_COLOR, description: null };
      this.labels.set(key, label);
    }
    return label;
  }

  addLabels(record: PullRecord, names: readonly string[]): void {
    for (const name of names) {
      const label = this.label(name);
      if (!record.labels.includes(label)) record.labels.push(label);
    }
    this.touch(record);
  }

  addCollaborator(login: string): void {
    this.collaborators.set(login.toLowerCase(), login);
  }

  addTeam(slug: string): void {
    if (!this.teams.has(slug.toLowerCase())) {
      this.teams.set(slug.toLowerCase(), { id: this.nextId(), slug });
    }
  }

  /** Validates all of them first: GitHub requests none when any one is not allowed. */
  requestReviews(
    record: PullRecord,
    reviewers: readonly string[],
    teamSlugs: readonly string[],
  ): void {
    if (reviewers.some((login) => login.toLowerCase() === AUTHOR_LOGIN)) {
      throw new ApiError(422, 'Review cannot be requested from pull request author.');
    }
    const users = reviewers.map((login) => this.collaborators.get(login.toLowerCase()));
    const teams = teamSlugs.map((slug) => this.teams.get(slug.toLowerCase()));
    if (users.includes(undefined) || teams.includes(undefined)) {
      throw new ApiError(
        422,
        `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${this.fullName} repository.`,
      );
    }
    for (const login of users) {
      if (login !== undefined && !record.requestedReviewers.includes(login)) {
        record.requestedReviewers.push(login);
      }
    }
    for (const team of teams) {
      if (team !== undefined && !record.requestedTeams.includes(team)) {
        record.requestedTeams.push(team);
      }
    }
    this.touch(record);
  }

  addComment(record: PullRecord, body: string): CommentRecord {
    const comment = { id: this.nextId(), body, createdAt: isoSeconds() };
    record.comments.push(comment);
    this.touch(record);
    return comment;
  }

  /** The assertion view; `headSha` is the live branch tip when the branch still exists. */
  snapshot(record: PullRecord, liveHeadSha: string | undefined): PullRequestState {
    return {
      number: record.number,
      nodeId: pullNodeId(record.id),
      title: record.title,
      body: record.body,
      state: record.state,
      draft: record.draft,
      merged: record.merged,
      head: record.head,
      base: record.base,
      headSha: liveHeadSha ?? record.headSha,
      mergeCommitSha: record.mergeCommitSha,
      labels: record.labels.map((label) => label.name),
      requestedReviewers: [...record.requestedReviewers],
      requestedTeams: record.requestedTeams.map((team) => team.slug),
      autoMerge:
        record.autoMerge === null
          ? null
          : { mergeMethod: record.autoMerge.mergeMethod, enabledBy: record.autoMerge.enabledBy },
      comments: record.comments.map((comment) => comment.body),
    };
  }
}

/** The pull request's global node id (what GraphQL's `pullRequestId` takes). */
export function pullNodeId(id: number): string {
  return `PR_${Buffer.from(`PullRequest:${String(id)}`).toString('base64url')}`;
}

/** The database id inside a node id from `pullNodeId`, if it is one. */
export function pullIdOf(nodeId: string): number | undefined {
  if (!nodeId.startsWith('PR_')) return undefined;
  const decoded = Buffer.from(nodeId.slice(3), 'base64url').toString('utf8');
  const match = /^PullRequest:(\d+)$/.exec(decoded);
  return match === null ? undefined : Number(match[1]);
}
