/**
 * Which release pull requests of an app stay open, and what they tell their reviewers. Every run
 * that proposes (or skips) a change for an environment settles them, so the verdicts are re-checked
 * each time the base moves:
 *
 * - one older than what the base deploys now is closed as superseded, hotfix or not (merging it
 *   would deploy an older version, and it conflicts anyway);
 * - a normal release closes the older normal releases' pull requests, and yields (closes its own)
 *   to a newer one already open, so racing runs leave only the newest;
 * - a hotfix is never closed for a newer, unmerged release: production needs it now, forward. It
 *   says it must be merged first, and every newer release whose commit does not contain the fix
 *   says so (merging that one would drop the fix).
 *
 * The notices live in a marked section of each body, replaced or removed by the next run.
 */
import {
  closeReleasePullRequest,
  listReleasePullRequests,
  setPullRequestBody,
  type GitHubRepository,
  type ReleasePullRequest,
} from '../github/index.js';
import { errorMessage, type Logger } from '../kit/index.js';
import { compareVersions, type Version, type VersionFormat } from '../version/index.js';

export interface SettleRequest {
  /** The label is `release:<app>` and the branches `release/<app>/<version>`. */
  readonly app: string;
  readonly base: string;
  readonly format: VersionFormat;
  /** This run's version. */
  readonly version: string;
  /** This run's pull request; undefined when it changed nothing (the base holds it, or is ahead). */
  readonly pullRequest?: number | undefined;
  /** The version the base deploys now (the manifests before this change); undefined: unknown. */
  readonly deployed?: string | undefined;
  /** Where the releases' git tags are, to tell whether a release contains a hotfix's commits. */
  readonly releases?:
    { readonly repository: GitHubRepository; readonly gitTagPrefix: string } | undefined;
  readonly logger: Logger;
}

export interface SettleOutcome {
  /** Other release pull requests closed. */
  readonly closed: readonly number[];
  /** This run's pull request was closed: this newer release's pull request was already open. */
  readonly supersededBy: number | undefined;
  /** Pull requests whose notices were added, changed or removed. */
  readonly noticed: readonly number[];
}

const NOTICE_START = '<!-- gitops-release-notices -->';
const NOTICE_END = '<!-- /gitops-release-notices -->';

/** The body with its notices section replaced (or removed when there is nothing to say). */
export function withNotices(body: string, notices: readonly string[]): string {
  const start = body.indexOf(NOTICE_START);
  const end = start < 0 ? -1 : body.indexOf(NOTICE_END, start);
  const before = end > start ? body.slice(0, start).trimEnd() : '';
  const after = end > start ? body.slice(end + NOTICE_END.length).replace(/^\n+/, '') : body;
  const rest = before === '' ? after : `${before}\n\n${after}`;
  if (notices.length === 0) return rest;
  const quoted = notices.map((notice) => `> ${notice}`).join('\n>\n');
  return `${NOTICE_START}\n> [!WARNING]\n${quoted}\n${NOTICE_END}\n\n${rest}`;
}

interface Open extends ReleasePullRequest {
  readonly version: Version;
}

const pr = (number: number): string => `#${String(number)}`;

/** What to do with another open release pull request, or undefined to keep it. */
function verdictOn(
  other: Open,
  ours: Version,
  deployed: Version | undefined,
  request: SettleRequest,
): string | undefined {
  if (deployed !== undefined && compareVersions(other.version, deployed) <= 0) {
    return `Superseded: \`${request.base}\` deploys ${deployed.tag} now, which is not older than ${other.version.tag}; merging this would deploy an older version.`;
  }
  if (compareVersions(other.version, ours) >= 0) return undefined;
  // An older hotfix stays open for a normal release: it must reach production first.
  if (other.version.hotfix > 0 && ours.hotfix === 0) return undefined;
  // Of two hotfixes, the later one of the same release contains the earlier (compute-version's rule).
  if (other.version.hotfix > 0 && other.version.number !== ours.number) return undefined;
  return request.pullRequest === undefined
    ? undefined
    : `Superseded by ${pr(request.pullRequest)} (${ours.tag}).`;
}

/**
 * Whether a newer release pull request names a version compute-version reserved (its git tag is in
 * the app repository): a branch and a label are all a writer of the manifests repository needs to
 * plant `release/<app>/v9.9.9`, which must not make the real release close itself.
 */
async function isReserved(pull: Open, request: SettleRequest): Promise<boolean> {
  const releases = request.releases;
  if (releases === undefined) return true;
  const tag = releases.gitTagPrefix + pull.version.tag;
  if ((await releases.repository.resolveCommit(tag)) !== undefined) return true;
  request.logger.warning(
    `${pr(pull.number)} claims the release ${pull.version.tag}, but ${releases.repository.fullName} has no tag ${tag}: not yielding to it`,
  );
  return false;
}

/** Whether release `head` contains the commits of release `fix` (through their git tags). */
async function contains(
  releases: NonNullable<SettleRequest['releases']>,
  fix: Version,
  head: Version,
  logger: Logger,
): Promise<boolean | undefined> {
  try {
    const { status } = await releases.repository.compareCommits(
      releases.gitTagPrefix + fix.tag,
      releases.gitTagPrefix + head.tag,
    );
    return status === 'ahead' || status === 'identical';
  } catch (error: unknown) {
    logger.warning(
      `could not tell whether ${head.tag} contains the fix of ${fix.tag} (${releases.repository.fullName}): ${errorMessage(error)}`,
    );
    return undefined;
  }
}

/** The notices of each open release pull request, by number. */
async function noticesOf(
  open: readonly Open[],
  deployed: Version | undefined,
  request: SettleRequest,
): Promise<Map<number, string[]>> {
  const notices = new Map<number, string[]>(open.map((pull) => [pull.number, []]));
  const fixes: { version: Version; pull?: Open }[] = open
    .filter((pull) => pull.version.hotfix > 0)
    .map((pull) => ({ version: pull.version, pull }));
  if (deployed !== undefined && deployed.hotfix > 0) fixes.push({ version: deployed });
  for (const fix of fixes) {
    const newer = open.filter((pull) => pull.version.number > fix.version.number);
    const where = fix.pull === undefined ? `deployed on \`${request.base}\`` : pr(fix.pull.number);
    if (fix.pull !== undefined) {
      const fixed = request.format.render(fix.version.number).tag;
      const first = newer.map((pull) => `${pr(pull.number)} (${pull.version.tag})`).join(', ');
      notices
        .get(fix.pull.number)
        ?.push(
          `**Hotfix** of ${fixed}.${first === '' ? '' : ` Merge this before ${first}: once a newer release is merged, this one conflicts with it and the next run closes it as superseded.`}`,
        );
    }
    if (request.releases === undefined) continue;
    for (const pull of newer) {
      const holds = await contains(request.releases, fix.version, pull.version, request.logger);
      if (holds !== false) continue;
      notices
        .get(pull.number)
        ?.push(
          `**${pull.version.tag} does not contain the fix of ${fix.version.tag}** (${where}): merging it would drop the fix; bring the fix to the main branch and release again.`,
        );
    }
  }
  return notices;
}

/** Closes what is superseded and writes each open release pull request's notices; see the module comment. */
export async function settleReleasePullRequests(
  repository: GitHubRepository,
  request: SettleRequest,
): Promise<SettleOutcome> {
  const { format, logger } = request;
  const ours = format.parse(request.version);
  if (ours === undefined) return { closed: [], supersededBy: undefined, noticed: [] };
  const deployed = request.deployed === undefined ? undefined : format.parse(request.deployed);
  const branchPrefix = `release/${request.app}/`;
  const listed = await listReleasePullRequests(repository, {
    label: `release:${request.app}`,
    branchPrefix,
    base: request.base,
  });
  let open: Open[] = listed.flatMap((pull) => {
    const version = format.parse(pull.headRef.slice(branchPrefix.length));
    return version === undefined ? [] : [{ ...pull, version }];
  });
  const mine = open.find((pull) => pull.number === request.pullRequest);
  // A normal release yields to a newer one already open; a hotfix never does.
  const newer = open
    .filter((pull) => pull !== mine && compareVersions(pull.version, ours) > 0)
    .sort((a, b) => b.number - a.number)[0];
  if (
    mine !== undefined &&
    ours.hotfix === 0 &&
    newer !== undefined &&
    (await isReserved(newer, request))
  ) {
    await closeReleasePullRequest(
      repository,
      mine,
      `Superseded by ${pr(newer.number)}, a newer release that was already open: merging this one after it would deploy an older version.`,
    );
    logger.warning(
      `pull request ${pr(mine.number)} was closed: the newer release pull request ${pr(newer.number)} is open (${repository.fullName}), and merging this one after it would deploy an older version`,
    );
    return { closed: [], supersededBy: newer.number, noticed: [] };
  }
  const closed: number[] = [];
  for (const other of [...open].sort((a, b) => a.number - b.number)) {
    if (other === mine) continue;
    const comment = verdictOn(other, ours, deployed, request);
    if (comment === undefined) continue;
    await closeReleasePullRequest(repository, other, comment);
    closed.push(other.number);
  }
  if (closed.length > 0) {
    logger.info(
      `closed ${closed.map(pr).join(', ')} as superseded${request.pullRequest === undefined ? '' : ` by ${pr(request.pullRequest)}`}`,
    );
  }
  open = open.filter((pull) => !closed.includes(pull.number));
  const notices = await noticesOf(open, deployed, request);
  const noticed: number[] = [];
  for (const pull of open) {
    const body = withNotices(pull.body, notices.get(pull.number) ?? []);
    if (body === pull.body) continue;
    await setPullRequestBody(repository, pull.number, body);
    noticed.push(pull.number);
    for (const notice of notices.get(pull.number) ?? []) {
      logger.warning(`${pr(pull.number)} (${pull.version.tag}): ${notice.replaceAll('**', '')}`);
    }
  }
  return { closed, supersededBy: undefined, noticed };
}
