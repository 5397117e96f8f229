import type { BranchCommit, CheckResult, GitHubRepository } from '../github/index.js';
import { InputError, type Logger } from '../kit/index.js';

/**
 * How many first-parent commits the newest-green walk looks at. The first user's script looks 250
 * commits back, then 750; this walk stops at the first green commit, so a two-step search would look
 * at the same commits in the same order as one window of 750 and cost the same calls. The window
 * only bounds the case where nothing is green.
 */
export const DEFAULT_LOOK_BACK = 750;
/** Above this a look-back is refused: each commit passed over costs one or two API calls. */
export const MAX_LOOK_BACK = 2000;

export interface PassedOverCommit {
  readonly sha: string;
  readonly subject: string;
  /** The required checks that did not succeed on it (failed, pending or missing). */
  readonly checks: readonly CheckResult[];
  /** E.g. `failed: build; pending: e2e; missing: lint`. */
  readonly reason: string;
}

export interface GreenCommitSearch {
  readonly branch: string;
  readonly requireChecks: readonly string[];
  readonly lookBack: number;
  /** The newest first-parent commit whose required checks all succeeded; undefined when none. */
  readonly chosen: BranchCommit | undefined;
  /** Newer commits passed over, newest first, each with why. */
  readonly passedOver: readonly PassedOverCommit[];
  /** One line: which commit and why, or why none. */
  readonly reason: string;
}

export interface GreenCommitOptions {
  readonly lookBack?: number;
  readonly logger: Logger;
}

const VERDICT_ORDER: readonly CheckResult['state'][] = ['failure', 'pending', 'missing'];
const VERDICT_WORD: Record<CheckResult['state'], string> = {
  failure: 'failed',
  pending: 'pending',
  missing: 'missing',
  success: 'succeeded',
};

function commitCount(count: number): string {
  return `${String(count)} commit${count === 1 ? '' : 's'}`;
}

/** `failed: build, unit; pending: e2e; missing: lint` */
export function checksReason(checks: readonly CheckResult[]): string {
  return VERDICT_ORDER.flatMap((state) => {
    const names = checks.filter((check) => check.state === state).map((check) => check.name);
    return names.length === 0 ? [] : [`${VERDICT_WORD[state]}: ${names.join(', ')}`];
  }).join('; ');
}

/**
 * The newest commit on `branch` whose required checks all succeeded, walking its first-parent
 * history (the states the branch itself was in; commits merged in from other branches are not
 * candidates) at most `lookBack` commits back. The rule for each commit is
 * GitHubRepository.checkStates: the newest check run of a name decides, a commit status counts only
 * for a name no check run has. API calls: one commits page per 100 listed, one check-runs call per
 * commit looked at, plus one statuses call where a required name has no check run.
 */
export async function findNewestGreenCommit(
  repository: GitHubRepository,
  branch: string,
  requireChecks: readonly string[],
  options: GreenCommitOptions,
): Promise<GreenCommitSearch> {
  const lookBack = options.lookBack ?? DEFAULT_LOOK_BACK;
  if (requireChecks.length === 0) {
    throw new InputError(
      'require-checks',
      'is empty: the newest green commit needs the checks that make a commit green, e.g. build, test',
    );
  }
  const history = new FirstParentHistory(repository, branch, lookBack);
  const passedOver: PassedOverCommit[] = [];
  let commit: BranchCommit | undefined = await history.head();
  if (!commit) {
    throw new InputError(
      'branch',
      `${branch} is not a branch of ${repository.fullName}: give an existing branch`,
    );
  }
  const shortName = (sha: string): string => sha.slice(0, 7);
  let historyEnded = false;
  for (;;) {
    const checks = await repository.checkStates(commit.sha, requireChecks, {
      stopOnFailure: true,
    });
    const notGreen = checks.filter((check) => check.state !== 'success');
    if (notGreen.length === 0) {
      const newer =
        passedOver.length === 0
          ? `it is the head of ${branch}`
          : `${String(passedOver.length)} newer commit${passedOver.length === 1 ? ' was' : 's were'} passed over`;
      const reason = `commit ${shortName(commit.sha)} is the newest on ${branch} whose required checks (${requireChecks.join(', ')}) all succeeded; ${newer}`;
      options.logger.info(reason);
      return { branch, requireChecks, lookBack, chosen: commit, passedOver, reason };
    }
    const reason = checksReason(notGreen);
    options.logger.info(`passed over ${shortName(commit.sha)} ${commit.subject}: ${reason}`);
    passedOver.push({ sha: commit.sha, subject: commit.subject, checks: notGreen, reason });
    const parent: string | undefined = commit.parents[0];
    if (parent === undefined || passedOver.length >= lookBack) {
      historyEnded = parent === undefined;
      break;
    }
    commit = await history.commit(parent);
  }
  const range = historyEnded
    ? `the ${commitCount(passedOver.length)} of ${branch} (its whole history)`
    : `the newest ${commitCount(lookBack)} of ${branch} (look-back)`;
  const reason = `no commit in ${range} has all required checks (${requireChecks.join(', ')}) succeeded: nothing to release`;
  options.logger.info(reason);
  return { branch, requireChecks, lookBack, chosen: undefined, passedOver, reason };
}

/** The branch's commits listed page by page, on demand, and followed by first parent. */
class FirstParentHistory {
  private readonly listed = new Map<string, BranchCommit>();
  private readonly perPage: number;
  private readonly maxPages: number;
  private page = 0;
  private exhausted = false;

  constructor(
    private readonly repository: GitHubRepository,
    private readonly branch: string,
    lookBack: number,
  ) {
    this.perPage = Math.min(100, lookBack);
    // Squash or rebase merges list exactly the first-parent chain; merge commits bring in the merged
    // branches' commits too. Past this many pages each commit is read on its own.
    this.maxPages = Math.ceil(lookBack / this.perPage) + 2;
  }

  async head(): Promise<BranchCommit | undefined> {
    const first = await this.repository.listCommitsPage(this.branch, 1, this.perPage);
    if (!first) return undefined;
    this.add(first, 1);
    return first[0];
  }

  async commit(sha: string): Promise<BranchCommit> {
    while (!this.listed.has(sha) && !this.exhausted && this.page < this.maxPages) {
      const next = this.page + 1;
      this.add(
        (await this.repository.listCommitsPage(this.branch, next, this.perPage)) ?? [],
        next,
      );
    }
    return this.listed.get(sha) ?? (await this.repository.getBranchCommit(sha));
  }

  private add(commits: readonly BranchCommit[], page: number): void {
    this.page = page;
    if (commits.length < this.perPage) this.exhausted = true;
    for (const commit of commits) this.listed.set(commit.sha, commit);
  }
}
