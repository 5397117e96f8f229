/**
 * The release facts: one record of what a release is (commit, version, previous version, image,
 * digest, how the image was made, environment, files), filled in step by step, and the only source
 * of the texts the approvers read: the pull-request body and the GitHub release body. Every driver
 * (the actions, the composite, the reusable workflow, the CLI) renders them here, so the same
 * release reads the same wherever it ran.
 */
import {
  inertMarkdown,
  releaseNotes,
  type GitHubRepository,
  type ReleaseNotes,
} from '../github/index.js';
import {
  errorMessage,
  escapeMarkdownCell,
  markdownTable,
  nonBlank,
  type Logger,
} from '../kit/index.js';

export interface ReleaseImageFacts {
  /** Where the image is: `<registry>/<repository>:<tag>` (or a repository name alone). */
  readonly reference: string;
  readonly digest?: string | undefined;
  /** The tag a promotion copied. */
  readonly promotedFrom?: string | undefined;
  /** A promotion's source as its labels and record describe it. */
  readonly source?:
    | {
        readonly digest: string;
        readonly revision?: string | undefined;
        /** URL of the run that built it. */
        readonly run?: string | undefined;
      }
    | undefined;
}

export interface ReleaseFacts {
  /** The app name of branches and labels (`cms`, or `cms-prod` for a named environment). */
  readonly app: string;
  readonly version: string;
  /** The release the manifests held before (else the newest release before this one). */
  readonly previousVersion?: string | undefined;
  readonly hotfix?: boolean | undefined;
  /** `owner/name` of the application repository. */
  readonly appRepository?: string | undefined;
  /** The released commit (full SHA). */
  readonly commit?: string | undefined;
  readonly image?: ReleaseImageFacts | undefined;
  /** Where in the manifests repository: the environment's folder. */
  readonly environment?: string | undefined;
  readonly changedFiles?: readonly string[] | undefined;
  /** Set when a downgrade was allowed: the reason given. */
  readonly downgradeReason?: string | undefined;
  /** The application's commits since the previous version. */
  readonly notes?: ReleaseNotes | undefined;
  /** Where the released commit comes from, and what of the default branch it lacks. */
  readonly source?: ReleaseSource | undefined;
}

export interface ReleaseSource {
  /** The branch or ref the release was asked for; undefined when only the commit is known. */
  readonly ref?: string | undefined;
  readonly defaultBranch: string;
  /** Commits of the default branch missing from the released commit. */
  readonly behindDefault: number;
}

/** What only the pull request carries: the caller's own text and where the run can be seen. */
export interface PullRequestText {
  readonly body?: string | undefined;
  /** A markdown link to the run that opened it, e.g. the workflow run. */
  readonly run?: string | undefined;
}

const short = (sha: string): string => sha.slice(0, 7);

/** The image as one reference: tag added when missing, digest appended when known. */
export function imageText(facts: ReleaseFacts): string {
  const image = facts.image;
  if (image === undefined) return '';
  const lastPart = image.reference.slice(image.reference.lastIndexOf('/') + 1);
  const tagged = lastPart.includes(':') ? image.reference : `${image.reference}:${facts.version}`;
  return `${tagged}${image.digest ? `@${image.digest}` : ''}`;
}

function originText(image: ReleaseImageFacts | undefined): string {
  if (!image?.promotedFrom) return '';
  const source = image.source;
  const details =
    source === undefined
      ? []
      : [
          source.digest,
          source.revision === undefined ? 'revision unknown' : `revision ${short(source.revision)}`,
          ...(source.run === undefined ? [] : [`built by ${source.run}`]),
        ];
  return `promoted from ${image.promotedFrom}${details.length > 0 ? ` (${details.join(', ')})` : ''}, not rebuilt`;
}

function changesSection(facts: ReleaseFacts): string | undefined {
  const notes = facts.notes;
  if (notes === undefined) return undefined;
  const since =
    notes.firstRelease || !facts.previousVersion ? '' : ` since ${facts.previousVersion}`;
  const compare =
    notes.compareUrl && facts.previousVersion
      ? `\n\n[Compare ${facts.previousVersion}...${facts.version}](${notes.compareUrl})`
      : '';
  return `### Changes${since}\n\n${notes.markdown.trimEnd()}${compare}`;
}

/** The source branch and how far behind the default branch: what a reviewer checks first. */
function sourceLine(facts: ReleaseFacts): string | undefined {
  const source = facts.source;
  if (source === undefined) return undefined;
  const ref = nonBlank(source.ref);
  const commit = facts.commit ? ` at \`${short(facts.commit)}\`` : '';
  // Inert, not in backticks: a ref name may itself hold a backtick.
  const from = `Source: ${ref === undefined ? 'commit' : inertMarkdown(ref)}${commit}`;
  if (source.behindDefault === 0) return `${from}, up to date with \`${source.defaultBranch}\`.`;
  const count = `${String(source.behindDefault)} commit${source.behindDefault === 1 ? '' : 's'}`;
  return `${from}, **${count} behind \`${source.defaultBranch}\`** (not in this release).`;
}

function origin(facts: ReleaseFacts, run: string | undefined): string {
  const source =
    facts.appRepository && facts.commit
      ? ` from ${facts.appRepository}@${short(facts.commit)}`
      : facts.commit
        ? ` from ${short(facts.commit)}`
        : '';
  return `---\nReleased${source} by ${run ?? 'gitops-release-actions'}.`;
}

/** The release pull request's body: what the approvers read. */
export function pullRequestBody(facts: ReleaseFacts, text: PullRequestText = {}): string {
  const previous = nonBlank(facts.previousVersion) ?? '(none)';
  const image = imageText(facts);
  const how = originText(facts.image);
  const table = markdownTable(
    ['App', 'Environment', 'Version', 'Image'],
    [
      [
        facts.app,
        nonBlank(facts.environment) ?? '.',
        `${previous} → ${facts.version}${facts.hotfix ? ' (hotfix)' : ''}`,
        image === '' ? '' : `\`${image}\`${how === '' ? '' : ` (${how})`}`,
      ],
    ],
  );
  const parts: string[] = [];
  if (facts.downgradeReason) {
    parts.push(
      `> [!CAUTION]\n> **Downgrade** from ${escapeMarkdownCell(nonBlank(facts.previousVersion) ?? 'a newer version')} to ${facts.version}. Part of the application's state (the database schema) only moves forward: check before merging.\n> Reason given: ${escapeMarkdownCell(facts.downgradeReason)}`,
    );
  }
  if (facts.hotfix) {
    const fixed = facts.version.replace(/-[0-9]+$/, '');
    parts.push(
      `> [!IMPORTANT]\n> **Hotfix** of ${fixed}: ${facts.version} is ${fixed} plus the fix, for the environments that run ${fixed} (or older). Merge it before any newer release of this app.`,
    );
  }
  if (text.body?.trim()) parts.push(text.body.trim());
  parts.push(table.trimEnd());
  const source = sourceLine(facts);
  if (source !== undefined) parts.push(source);
  const changes = changesSection(facts);
  if (changes !== undefined) parts.push(changes);
  const files = (facts.changedFiles ?? []).map((file) => `\`${file}\``).join(', ');
  parts.push(`Changed files: ${files || '(none)'}`);
  parts.push(origin(facts, text.run));
  return `${parts.join('\n\n')}\n`;
}

/** Where the change went: the pull request, the commit, or nothing to change. */
export type Deployment =
  | { readonly kind: 'pull-request'; readonly url: string }
  | { readonly kind: 'commit'; readonly repository: string; readonly sha: string }
  | { readonly kind: 'unchanged'; readonly repository: string; readonly base: string };

/** Where a change step's result went. */
export function deploymentOf(
  change:
    | {
        readonly pullRequest?: { readonly url: string } | undefined;
        readonly changed: boolean;
        readonly commitSha: string;
      }
    | undefined,
  repository: string,
  base: string,
): Deployment {
  if (change?.pullRequest) return { kind: 'pull-request', url: change.pullRequest.url };
  return change?.changed
    ? { kind: 'commit', repository, sha: change.commitSha }
    : { kind: 'unchanged', repository, base };
}

/** A title or commit message template: `{app}`, `{version}`, `{previous-version}`, `{environment}`. */
export function fillTemplate(template: string, facts: ReleaseFacts): string {
  return template
    .replaceAll('{app}', facts.app)
    .replaceAll('{version}', facts.version)
    .replaceAll('{previous-version}', facts.previousVersion ?? '(none)')
    .replaceAll('{environment}', facts.environment ?? '.');
}

/** The GitHub release's body: the image, where the manifests changed, the changes. */
export function releaseBody(facts: ReleaseFacts, deployment: Deployment): string {
  const how = originText(facts.image);
  const where =
    deployment.kind === 'pull-request'
      ? `Manifest pull request: ${deployment.url}`
      : deployment.kind === 'commit'
        ? `Manifest commit: ${deployment.repository}@${deployment.sha}`
        : `Manifests already at ${facts.version} in ${deployment.repository}@${deployment.base}`;
  const image = imageText(facts);
  return [
    image === '' ? '' : `Image: \`${image}\`${how === '' ? '' : ` (${how})`}`,
    facts.downgradeReason ? `Downgrade, reason given: ${facts.downgradeReason}` : '',
    where,
    facts.notes ? facts.notes.markdown.trimEnd() : '',
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

/** The commits of this release since the previous one; notes help reviewers but never block. */
export async function readReleaseNotes(
  appRepository: GitHubRepository,
  range: {
    /** The previous release (image tag); its git tag is the start. */
    readonly previousVersion: string | undefined;
    readonly gitTagPrefix: string;
    /** The released commit (or its tag). */
    readonly to: string;
  },
  logger: Logger,
): Promise<ReleaseNotes | undefined> {
  try {
    return await releaseNotes(appRepository, {
      ...(range.previousVersion === undefined
        ? {}
        : { from: range.gitTagPrefix + range.previousVersion }),
      to: range.to,
      limit: 50,
    });
  } catch (error: unknown) {
    logger.warning(`release notes from ${appRepository.fullName} skipped: ${errorMessage(error)}`);
    return undefined;
  }
}

/** The source facts of the released commit; like the notes, they help reviewers but never block. */
export async function readReleaseSource(
  appRepository: GitHubRepository,
  sha: string,
  ref: string | undefined,
  logger: Logger,
): Promise<ReleaseSource | undefined> {
  try {
    const defaultBranch = await appRepository.defaultBranch();
    const comparison = await appRepository.compareCommits(defaultBranch, sha);
    return { ref: nonBlank(ref), defaultBranch, behindDefault: comparison.behindBy };
  } catch (error: unknown) {
    logger.warning(
      `source of ${sha.slice(0, 7)} in ${appRepository.fullName} skipped: ${errorMessage(error)}`,
    );
    return undefined;
  }
}
