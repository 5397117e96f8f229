import { describe } from '@jest/globals';
import { dockerAvailability } from './daemon.js';
import { registryAvailability } from './registry.js';

/**
 * `describe` for tests that need dockerd and the registry, or `describe.skip` with the reason printed
 * when one genuinely cannot start here (`.ci/run` installs and starts both, so CI skips nothing).
 */
export function describeWithDockerAndRegistry(
  label: string,
): typeof describe | typeof describe.skip {
  const docker = dockerAvailability();
  const registry = registryAvailability();
  const skipReason = !docker.ok ? docker.reason : !registry.ok ? registry.reason : undefined;
  if (skipReason === undefined) return describe;
  process.stderr.write(`${label} skipped: ${skipReason}\n`);
  return describe.skip;
}
