import type { EcrClient } from '../ecr/index.js';
import { parseVersions, type Version, type VersionFormat } from '../version/index.js';
import type { VersionSource } from './version.js';

/**
 * Release numbers held as image tags in an ECR repository. Images pushed by hand or by an older
 * pipeline count too, so a number ECR already holds is never handed out again.
 */
export function ecrVersionSource(client: EcrClient, repository: string): VersionSource {
  return {
    name: `ecr ${repository}`,
    async listVersions(format: VersionFormat): Promise<Version[]> {
      const tags = await client.listImageTags(repository);
      return parseVersions(tags, (tag) => format.parse(tag));
    },
  };
}
