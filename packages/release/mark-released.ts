/**
 * The last step: the GitHub release of the version's git tag, published once the manifests changed.
 * compute-version reads it as "this commit is released", so a re-run of a release that stopped
 * before it continues instead of skipping.
 */
import type { GitHubRepository } from '../github/index.js';
import type { Logger } from '../kit/index.js';
import { releaseBody, type Deployment, type ReleaseFacts } from './facts.js';
import { parseRecord, withRecord } from './provenance.js';

export interface PublishedRelease {
  readonly url: string;
  readonly created: boolean;
  /** The body as this run built it (an earlier run's release keeps its own). */
  readonly body: string;
}

/** Publishes the release of `gitTag` (or finds it published by an earlier run). */
export async function markReleased(
  appRepository: GitHubRepository,
  gitTag: string,
  facts: ReleaseFacts,
  deployment: Deployment,
  logger: Logger,
): Promise<PublishedRelease> {
  const body = releaseBody(facts, deployment);
  const release = await appRepository.publishRelease(gitTag, {
    name: `${facts.app} ${facts.version}`,
    // The draft the image step wrote holds the image's provenance record: it stays in the body.
    body: (draft) => withRecord(body, draft === undefined ? undefined : parseRecord(draft.body)),
  });
  logger.info(`${release.created ? 'published' : 'found'} release ${release.htmlUrl}`);
  return { url: release.htmlUrl, created: release.created, body };
}
