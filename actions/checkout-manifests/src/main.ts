import * as core from '@actions/core';
import { processExec } from '../../../packages/docker/index.js';
import { cloneRepository } from '../../../packages/release/clone.js';
import { readParameterSecret } from '../../../packages/ssm/index.js';
import { actionLogger as logger, maskInputs } from '../../run-action.js';
import { getInputs } from './inputs.js';

export async function run(): Promise<void> {
  maskInputs('token');
  const inputs = getInputs((name) => core.getInput(name));
  // From Parameter Store it exists only in this process: masked as it arrives, never written.
  const token =
    inputs.tokenParameter === undefined
      ? inputs.token
      : await readParameterSecret({
          name: inputs.tokenParameter,
          input: 'token-parameter',
          env: process.env,
          maskSecret: (secret) => {
            core.setSecret(secret);
          },
          logger,
        });
  const commit = await cloneRepository(processExec, {
    serverUrl: process.env.GITHUB_SERVER_URL ?? 'https://github.com',
    repository: inputs.repository,
    ref: inputs.ref,
    dir: inputs.path,
    token,
    env: process.env,
  });
  logger.info(
    `Checked out ${inputs.repository.owner}/${inputs.repository.repo} ${inputs.ref || '(default branch)'} at ${commit}`,
  );
  core.setOutput('commit', commit);
}
