import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

const PREFIX = 'docker-config-';

/**
 * What a private config keeps from the user's docker config: CLI plugins installed per user, and the
 * buildx builders (e.g. the one docker/setup-buildx-action creates and selects). Without them the
 * build would silently fall back to the classic builder.
 */
const INHERITED = ['cli-plugins', 'buildx'] as const;

/** The docker config directory the CLI would use: $DOCKER_CONFIG, else ~/.docker. */
export function userDockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.DOCKER_CONFIG?.trim();
  return configured !== undefined && configured !== '' ? configured : join(homedir(), '.docker');
}

/**
 * A fresh `DOCKER_CONFIG` directory (mode 0700) under `parent` (RUNNER_TEMP on a runner) for one run's
 * registry credentials, so `~/.docker/config.json` is never written. The user's plugins and buildx
 * builders (from `inheritFrom`) are linked in, not copied: builder state stays where buildx keeps it.
 */
export function createDockerConfigDir(
  parent: string,
  inheritFrom: string = userDockerConfigDir(),
): string {
  const dir = mkdtempSync(join(parent, PREFIX));
  for (const name of INHERITED) {
    const source = join(inheritFrom, name);
    if (existsSync(source)) symlinkSync(source, join(dir, name));
  }
  return dir;
}

/**
 * Removes a directory made by createDockerConfigDir, credentials included; linked plugin and builder
 * folders lose only the link. Refuses any other path, so a tampered state value can't delete
 * something else.
 */
export function removeDockerConfigDir(dir: string): void {
  if (!basename(dir).startsWith(PREFIX)) {
    throw new Error(`refusing to remove ${dir}: not a docker config directory made by this action`);
  }
  rmSync(dir, { recursive: true, force: true });
}
