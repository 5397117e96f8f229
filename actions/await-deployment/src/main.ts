import * as core from '@actions/core';
import {
  ArgoCdClient,
  confirmDeployment,
  DeploymentFailedError,
  deploymentSummary,
  type DeploymentState,
} from '../../../packages/deploy/index.js';
import { createGitHubClient } from '../../../packages/github/client.js';
import {
  actionToken,
  actionLogger as logger,
  maskInputs,
  workflowRunUrl,
} from '../../run-action.js';
import { getInputs, type Inputs } from './inputs.js';

export async function run(): Promise<void> {
  // Masked before anything else can print it.
  maskInputs('argocd-token', 'app-token');
  const inputs = getInputs((name) => core.getInput(name));
  const token = await actionToken(inputs, 'argocd-token-parameter');
  const client = new ArgoCdClient({ server: inputs.server, token });
  core.setOutput('application-url', client.applicationUrl(inputs.application));
  try {
    const confirmed = await confirmDeployment({
      client,
      application: inputs.application,
      revision: inputs.revision,
      image: inputs.image,
      version: inputs.version,
      environment: inputs.environment ?? inputs.application,
      pollIntervalMs: inputs.pollIntervalMs,
      timeoutMs: inputs.timeoutMs,
      logger,
      github:
        inputs.github === undefined
          ? undefined
          : {
              octokit: createGitHubClient({ token: inputs.github.token, logger }),
              repository: inputs.github.repository,
              ref: inputs.github.ref,
              logUrl: workflowRunUrl(),
            },
    });
    setOutputs(confirmed.state);
    core.setOutput(
      'deployment-id',
      confirmed.deploymentId === undefined ? '' : String(confirmed.deploymentId),
    );
    await writeSummary(inputs, confirmed.state);
  } catch (error: unknown) {
    // The summary shows the failed environment's line too; the error still fails the step.
    if (error instanceof DeploymentFailedError) {
      setOutputs(error.state);
      await writeSummary(inputs, error.state);
    }
    throw error;
  }
}

function setOutputs(state: DeploymentState): void {
  core.setOutput('health', state.health);
  core.setOutput('synced-revision', state.revision);
  core.setOutput('synced-at', state.syncedAt);
  core.setOutput('images', JSON.stringify(state.images));
}

async function writeSummary(inputs: Inputs, state: DeploymentState): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary
    .addHeading(`Deployment of ${inputs.application}`, 3)
    .addRaw(
      deploymentSummary([
        {
          environment: inputs.environment ?? inputs.application,
          version: inputs.version || '-',
          state,
        },
      ]),
    )
    .write();
}
