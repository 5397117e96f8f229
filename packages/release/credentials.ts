/**
 * The registry credentials of a run: a private DOCKER_CONFIG directory, and the clean-up that logs
 * out and removes it. Its own module so the clean-up bundle holds the docker CLI driver alone.
 */
import { DockerCli } from '../docker/cli.js';
import { removeDockerConfigDir } from '../docker/config-dir.js';
import type { Exec } from '../docker/exec.js';
import type { Logger } from '../kit/index.js';

/** What a clean-up needs to find the credentials of a run again. */
export interface RegistryCredentials {
  readonly configDir: string;
  /** Set once docker logged in. */
  readonly registry?: string | undefined;
}

/** Logs out and removes the run's DOCKER_CONFIG directory, credentials included. */
export async function removeRegistryCredentials(
  credentials: RegistryCredentials,
  ports: { readonly exec: Exec; readonly logger: Logger; readonly docker?: string | undefined },
): Promise<void> {
  try {
    if (credentials.registry !== undefined && credentials.registry !== '') {
      await new DockerCli({
        exec: ports.exec,
        logger: ports.logger,
        configDir: credentials.configDir,
        ...(ports.docker === undefined ? {} : { docker: ports.docker }),
      }).logout(credentials.registry);
    }
  } finally {
    removeDockerConfigDir(credentials.configDir);
  }
}
