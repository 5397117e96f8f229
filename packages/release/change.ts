/**
 * The change step: the manifest edit proposed as a pull request, or committed straight to the
 * base, through the GitHub API. open-manifest-pr and the CLI call it. Whatever the mode, a base
 * that moved since the files were read gets the very same edit made again on its files (never the
 * old contents over someone's merge), and the supersede policy is this module's alone.
 */
import {
  commitAndOpenPullRequest,
  commitEditsToBranch,
  readBranchTip,
  readFile,
  type AutoMergeMethod,
  type FileChange,
  type GitHubRepository,
} from '../github/index.js';
import type { Logger } from '../kit/index.js';
import { reapplyManifestEdit, type PreparedEdit } from '../manifest/index.js';
import type { ReleaseMode } from './preflight.js';
import { settleReleasePullRequests, type SettleRequest } from './release-pulls.js';

/** A file of the change, with the content the edit was made on. */
export interface ChangedFile {
  /** Path in the manifests repository. */
  readonly path: string;
  /** The content at the base commit the edit was made on; undefined when unknown or new. */
  readonly before: string | undefined;
  /** The new content; null deletes the file. */
  readonly after: string | null;
}

export interface ChangeRequest {
  readonly mode: ReleaseMode;
  readonly base: string;
  /** The base commit the files were read at; undefined: compare every file with the tip. */
  readonly baseSha?: string | undefined;
  readonly files: readonly ChangedFile[];
  /** Made again on a file that changed on the base meanwhile; without it such a file stops the run. */
  readonly edit?: PreparedEdit | undefined;
  readonly message: string;
  readonly pullRequest: {
    readonly branch: string;
    readonly title: string;
    /** Rendered from the paths the pull request really changes (its compare), not the inputs. */
    readonly body: (files: readonly string[]) => string;
    readonly draft?: boolean | undefined;
    readonly labels: readonly string[];
    readonly reviewers: readonly string[];
    readonly teamReviewers: readonly string[];
    readonly autoMerge?: AutoMergeMethod | undefined;
  };
  /**
   * Settle the app's release pull requests (label `release:<app>`, branch `release/<app>/`): see
   * release-pulls.ts. `deployed` is what the base deploys before this change.
   */
  readonly supersede?:
    Pick<SettleRequest, 'app' | 'version' | 'format' | 'deployed' | 'releases'> | undefined;
  readonly logger: Logger;
}

export interface ChangeResult {
  /** `committed` is a direct commit; the others are the pull request's. */
  readonly operation: 'created' | 'updated' | 'unchanged' | 'committed';
  readonly commitSha: string;
  /** Where the commit went: the pull request branch, or the base. */
  readonly branch: string;
  readonly changed: boolean;
  readonly pullRequest?: { readonly number: number; readonly url: string } | undefined;
  readonly superseded: readonly number[];
  /** A newer release's pull request was open: this one was closed in its favour. */
  readonly supersededBy?: number | undefined;
  /** Release pull requests whose notices (hotfix first, missing fix) changed. */
  readonly noticed?: readonly number[] | undefined;
  /** Already logged; for summaries. */
  readonly warnings: readonly string[];
}

/** The file's new content on a base whose version of it is `current`. */
function rebased(
  file: ChangedFile,
  current: string | undefined,
  request: Pick<ChangeRequest, 'edit' | 'base'>,
): string | null {
  if (current === file.before || file.after === null) return file.after;
  if (current === undefined) {
    throw new Error(
      `${file.path} was removed from ${request.base} while releasing: run the release again`,
    );
  }
  if (request.edit === undefined) {
    throw new Error(
      `${file.path} changed on ${request.base} since it was read: run the release again (or pass update-manifest's 'edit' so the edit can be made again)`,
    );
  }
  return reapplyManifestEdit(file.path, current, request.edit);
}

/** The files as they go onto the release branch: made again where the base moved. */
async function filesOnBase(
  repository: GitHubRepository,
  request: ChangeRequest,
): Promise<FileChange[]> {
  const tip =
    request.baseSha === undefined ? undefined : await readBranchTip(repository, request.base);
  if (tip !== undefined && tip.sha === request.baseSha) {
    return request.files.map((file) => ({ path: file.path, content: file.after }));
  }
  if (tip !== undefined) {
    request.logger.info(
      `${request.base} moved to ${tip.sha.slice(0, 7)} meanwhile: making the edit again on its files`,
    );
  }
  const ref = tip?.sha ?? request.base;
  return Promise.all(
    request.files.map(async (file) => {
      const current = await readFile(repository, file.path, ref);
      return {
        path: file.path,
        content: rebased(file, current?.content.toString('utf8'), request),
      };
    }),
  );
}

async function openPullRequest(
  repository: GitHubRepository,
  request: ChangeRequest,
): Promise<ChangeResult> {
  const { pullRequest, supersede } = request;
  const settle = (number: number | undefined) =>
    supersede === undefined || !pullRequest.branch.startsWith(`release/${supersede.app}/`)
      ? Promise.resolve({ closed: [], supersededBy: undefined, noticed: [] })
      : settleReleasePullRequests(repository, {
          ...supersede,
          base: request.base,
          pullRequest: number,
          logger: request.logger,
        });
  if (request.files.length === 0) {
    // Nothing to propose (the base holds the version, or a hotfix skips an environment that is
    // ahead): the other release pull requests are still settled against what the base deploys.
    const tip = await readBranchTip(repository, request.base);
    if (tip === undefined) {
      throw new Error(
        `branch ${request.base} was not found in ${repository.fullName}: check the base branch and that the token can read the repository`,
      );
    }
    const settled = await settle(undefined);
    return {
      operation: 'unchanged',
      commitSha: tip.sha,
      branch: request.base,
      changed: false,
      superseded: settled.closed,
      noticed: settled.noticed,
      warnings: [],
    };
  }
  const result = await commitAndOpenPullRequest(repository, {
    branch: pullRequest.branch,
    base: request.base,
    files: await filesOnBase(repository, request),
    // The release branch's name is predictable: whatever else someone put there is dropped.
    exclusive: true,
    message: request.message,
    title: pullRequest.title,
    body: pullRequest.body,
    draft: pullRequest.draft,
    labels: pullRequest.labels,
    reviewers: pullRequest.reviewers,
    teamReviewers: pullRequest.teamReviewers,
    ...(pullRequest.autoMerge === undefined ? {} : { autoMerge: pullRequest.autoMerge }),
    logger: request.logger,
  });
  const pull = result.pullRequest;
  if (pull !== undefined) request.logger.info(pull.htmlUrl);
  const settled = await settle(pull?.number);
  return {
    operation: pull ? pull.operation : 'unchanged',
    commitSha: result.commit.commitSha,
    branch: pullRequest.branch,
    changed: result.commit.changed,
    ...(pull ? { pullRequest: { number: pull.number, url: pull.htmlUrl } } : {}),
    superseded: settled.closed,
    ...(settled.supersededBy === undefined ? {} : { supersededBy: settled.supersededBy }),
    noticed: settled.noticed,
    warnings: result.warnings,
  };
}

/** Direct mode: the base only fast-forwards; a push in between gets the edit made again. */
async function commitDirectly(
  repository: GitHubRepository,
  request: ChangeRequest,
): Promise<ChangeResult> {
  const result = await commitEditsToBranch(repository, {
    branch: request.base,
    edits: request.files.map((file) => ({
      path: file.path,
      edit: (current) => rebased(file, current, request),
    })),
    message: request.message,
    logger: request.logger,
  });
  request.logger.info(
    result.changed
      ? `committed ${result.commitSha} to ${request.base}`
      : `${request.base} already held the change`,
  );
  return {
    operation: result.changed ? 'committed' : 'unchanged',
    commitSha: result.commitSha,
    branch: request.base,
    changed: result.changed,
    superseded: [],
    warnings: [],
  };
}

/** Proposes (pull request) or commits (direct) the manifest change; see the module comment. */
export async function changeManifests(
  repository: GitHubRepository,
  request: ChangeRequest,
): Promise<ChangeResult> {
  return request.mode === 'direct'
    ? commitDirectly(repository, request)
    : openPullRequest(repository, request);
}
