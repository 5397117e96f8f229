/**
 * The image step of runRelease: the request and ports publishReleaseImage gets from a release's
 * configuration, and what the rest of the run keeps of its result.
 */
import type { PublishResult } from '../docker/index.js';
import type { GitHubRepository } from '../github/index.js';
import type { Logger } from '../kit/index.js';
import { formatImageName } from '../manifest/index.js';
import type { VersionFormat } from '../version/index.js';
import { publishReleaseImage, type CheckedPromotion } from './image.js';
import { manifestImageName } from './manifests.js';
import { allowedDowngradeReason } from './preflight.js';
import { releaseRecordStore } from './provenance.js';
import type { ReleaseConfig, ReleaseImage, ReleasePorts } from './release-config.js';
import type { ComputedVersion } from './version.js';

/** The reason given with allow-downgrade: it also lets a diverged commit or another commit's image go. */
export function allowedReason(config: ReleaseConfig): string | undefined {
  return allowedDowngradeReason(config.allowDowngrade === true, config.downgradeReason ?? '');
}

export function imageOf(
  config: ReleaseConfig,
  version: ComputedVersion,
  published: PublishResult | CheckedPromotion,
): ReleaseImage {
  const reference = `${formatImageName(manifestImageName(config.image))}:${version.version}`;
  return {
    reference: config.image.registryId === undefined ? published.image : reference,
    pushedTo: published.image,
    digest: published.digest,
    outcome: published.outcome,
    promotedFrom: config.promoteFrom,
    promotedSource: published.promotedSource,
    publish: published.outcome === 'checked' ? undefined : published,
  };
}

/** Builds and pushes (a dry run: builds only), or promotes, with the release's provenance records. */
export function publishConfiguredImage(
  run: {
    readonly config: ReleaseConfig;
    readonly ports: ReleasePorts;
    readonly logger: Logger;
    readonly app: GitHubRepository;
    readonly format: VersionFormat;
  },
  version: ComputedVersion,
): Promise<PublishResult | CheckedPromotion> {
  const { config, ports } = run;
  const build = config.build;
  const image = manifestImageName(config.image);
  return publishReleaseImage(
    {
      repository: config.image.repository,
      tags: [version.version],
      ifTagExists: 'skip-same-digest',
      expectedRegistry: config.image.registryId === undefined ? undefined : image.registry,
      promoteFrom: config.promoteFrom,
      promotion:
        config.promoteFrom === undefined
          ? undefined
          : { revision: version.sha, otherRevisionReason: allowedReason(config) },
      checkOnly: config.dryRun,
      build:
        build === undefined
          ? undefined
          : {
              ...build,
              push: !config.dryRun,
              source: {
                serverUrl: config.serverUrl ?? 'https://github.com',
                repository: `${config.appRepository.owner}/${config.appRepository.repo}`,
                revision: version.sha,
              },
            },
    },
    {
      ecr: ports.ecr,
      exec: ports.exec,
      logger: run.logger,
      maskSecret: ports.maskSecret ?? (() => undefined),
      clock: ports.clock,
      tempDir: ports.tempDir,
      docker: ports.docker,
      records: (tag) => releaseRecordStore(run.app, run.format.gitTagPrefix + tag, tag),
      keepCredentials: ports.keepCredentials,
    },
  );
}
