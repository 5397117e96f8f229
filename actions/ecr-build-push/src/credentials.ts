import * as core from '@actions/core';
import { processExec } from '../../../packages/docker/exec.js';
import {
  removeRegistryCredentials,
  type RegistryCredentials,
} from '../../../packages/release/credentials.js';
import { actionLogger as logger } from '../../run-action.js';

/** Where the main step leaves the run's credentials for the clean-up (STATE_<name> in the post). */
const STATE = { dockerConfig: 'docker-config', registry: 'registry' } as const;

/** Saved before anything is written into the directory, so the clean-up finds it after a failure. */
export function keepCredentials(credentials: RegistryCredentials): void {
  core.saveState(STATE.dockerConfig, credentials.configDir);
  // The composite has no post step: its last step runs the clean-up entry with these.
  core.setOutput('docker-config', credentials.configDir);
  if (credentials.registry !== undefined) core.saveState(STATE.registry, credentials.registry);
}

/** The clean-up entry: docker logout and the run's DOCKER_CONFIG directory removed. */
export async function removeCredentials(): Promise<void> {
  const configDir = core.getState(STATE.dockerConfig);
  if (configDir === '') return;
  const registry = core.getState(STATE.registry);
  await removeRegistryCredentials(
    { configDir, ...(registry === '' ? {} : { registry }) },
    { exec: processExec, logger },
  );
  logger.info(`removed the docker credentials (${configDir})`);
}
