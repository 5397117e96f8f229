import type { describe as JestDescribe } from '@jest/globals';
import { dockerAvailability } from './daemon.js';
import { registryAvailability } from './registry.js';

/**
 * `describe` for tests that need dockerd and the registry, or `describe.skip` with the reason printed
 * when one genuinely cannot start here (`.ci/run` installs and starts both, so CI skips nothing).
 * Jest's `describe` is taken from the globals jest injects, at call time: importing `@jest/globals`
 * here would break the scripts (bench, demo) and the sandbox, which load its siblings outside jest.
 */
export function describeWithDockerAndRegistry(
  label: string,
): typeof JestDescribe | typeof JestDescribe.skip {
  const { describe } = globalThis as unknown as { describe: typeof JestDescribe };
  const docker = dockerAvailability();
  const registry = registryAvailability();
  const skipReason = !docker.ok ? docker.reason : !registry.ok ? registry.reason : undefined;
  if (skipReason === undefined) return describe;
  process.stderr.write(`${label} skipped: ${skipReason}\n`);
  return describe.skip;
}
