import * as core from '@actions/core';
import { processExec } from '../../../packages/docker/index.js';
import { cloneRepository } from '../../../packages/release/clone.js';
import { actionToken, actionLogger as logger, maskInputs } from '../../run-action.js';
import { getInputs } from './inputs.js';

export async function run(): Promise<void> {
  maskInputs('token');
  const inputs = getInputs((name) => core.getInput(name));
  const token = await actionToken(inputs, 'token-parameter');
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
