import type { EcrClient } from '../ecr/index.js';
import type { Logger } from '../kit/index.js';
import {
  outOfRangeWarning,
  parseVersions,
  type Version,
  type VersionFormat,
} from '../version/index.js';
import type { VersionSource } from './version.js';

/**
 * Release numbers held as image tags in an ECR repository. Images pushed by hand or by an older
 * pipeline count too, so a number ECR already holds is never handed out again. A tag with a number
 * above MAX_RELEASE_NUMBER is ignored with a warning: anyone with ecr:PutImage could push one.
 */
export function ecrVersionSource(
  client: EcrClient,
  repository: string,
  logger: Logger,
): VersionSource {
  const name = `ecr ${repository}`;
  return {
    name,
    async listVersions(format: VersionFormat): Promise<Version[]> {
      const tags = await client.listImageTags(repository);
      for (const tag of tags) {
        if (format.isOutOfRange(tag)) logger.warning(outOfRangeWarning(tag, name));
      }
      return parseVersions(tags, (tag) => format.parse(tag));
    },
  };
}
