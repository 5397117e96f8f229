import * as core from '@actions/core';
import { createGitHubClient, GitHubRepository } from '../../../packages/github/index.js';
import { failureLine, markdownTable, type Logger } from '../../../packages/kit/index.js';
// Direct modules, not the package index: the index also exports the whole chain (docker, manifest),
// which would triple this bundle.
import {
  computeVersion,
  type ComputedVersion,
  type VersionSource,
} from '../../../packages/release/compute-version.js';
import { ecrVersionSource } from '../../../packages/release/ecr-source.js';
import { getInputs } from './inputs.js';

const ACTION = 'compute-version';

export async function run(): Promise<void> {
  try {
    const token = core.getInput('token');
    // Masked before anything else can print it, even when it is not the runner's own token.
    if (token.trim() !== '') core.setSecret(token.trim());
    const inputs = getInputs((name) => core.getInput(name));
    const logger: Logger = core;
    const client = createGitHubClient({ token: inputs.token, logger });
    const repository = new GitHubRepository(client, inputs.repository);
    const extraSources: VersionSource[] = [];
    if (inputs.ecr) {
      // Loaded only when asked for: most runs read git alone, and then the AWS SDK's modules
      // never initialise.
      const { createEcrClient } = await import('../../../packages/ecr/client.js');
      const ecr = createEcrClient({
        region: inputs.ecr.region,
        registryId: inputs.ecr.registryId,
        logger,
      });
      extraSources.push(ecrVersionSource(ecr, inputs.ecr.repository));
    }
    const result = await computeVersion({
      repository,
      sha: inputs.sha,
      format: inputs.format,
      startAt: inputs.startAt,
      hotfixOf: inputs.hotfixOf,
      reserve: inputs.reserve,
      skipIfReleased: inputs.skipIfReleased,
      requireChecks: inputs.requireChecks,
      extraSources,
      logger,
    });
    setOutputs(result);
    await writeSummary(repository.fullName, result);
  } catch (error) {
    core.setFailed(failureLine(ACTION, error));
  }
}

function setOutputs(result: ComputedVersion): void {
  core.setOutput('version', result.version);
  core.setOutput('number', String(result.number));
  core.setOutput('git-tag', result.gitTag);
  core.setOutput('previous-version', result.previousVersion ?? '');
  core.setOutput('sha', result.sha);
  core.setOutput('is-hotfix', String(result.hotfix > 0));
  core.setOutput('reservation', result.reservation);
  core.setOutput('skipped', String(result.skipped));
  core.setOutput('skip-reason', result.skipReason);
}

const RESERVATION_TEXT: Record<ComputedVersion['reservation'], string> = {
  created: 'reserved now',
  reused: 'reused (reserved by an unfinished run)',
  released: 'already released',
  'not-reserved': 'not reserved (reserve: false)',
};

async function writeSummary(repository: string, result: ComputedVersion): Promise<void> {
  const table = markdownTable(
    ['Previous', 'New', 'Commit', 'Tag', 'Skipped'],
    [
      [
        result.previousVersion ?? '(none)',
        result.version + (result.hotfix > 0 ? ' (hotfix)' : ''),
        `${repository}@${result.sha.slice(0, 12)}`,
        `${result.gitTag}: ${RESERVATION_TEXT[result.reservation]}`,
        result.skipped ? `yes: ${result.skipReason}` : 'no',
      ],
    ],
  );
  await core.summary.addHeading('Release version', 3).addRaw(table, true).write();
}
