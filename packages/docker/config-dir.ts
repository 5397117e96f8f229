import { mkdtempSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

const PREFIX = 'docker-config-';

/**
 * A fresh `DOCKER_CONFIG` directory (mode 0700) under `parent` (RUNNER_TEMP on a runner) for one run's
 * registry credentials, so `~/.docker/config.json` is never written.
 */
export function createDockerConfigDir(parent: string): string {
  return mkdtempSync(join(parent, PREFIX));
}

/**
 * Removes a directory made by createDockerConfigDir, credentials included. Refuses any other path, so a
 * tampered state value can't delete something else.
 */
export function removeDockerConfigDir(dir: string): void {
  if (!basename(dir).startsWith(PREFIX)) {
    throw new Error(`refusing to remove ${dir}: not a docker config directory made by this action`);
  }
  rmSync(dir, { recursive: true, force: true });
}
