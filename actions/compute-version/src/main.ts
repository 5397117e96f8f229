import * as core from '@actions/core';
import {
  createGitHubClient,
  GitHubRepository,
  tagListerFor,
  inertMarkdown,
} from '../../../packages/github/index.js';
import { markdownTable } from '../../../packages/kit/index.js';
// Direct modules, not the package index: the index also exports the whole chain (docker, manifest),
// which would triple this bundle.
import { ecrVersionSource } from '../../../packages/release/ecr-source.js';
import {
  allowedDowngradeReason,
  checkReleaseRequest,
  environmentsOutput,
  type ReleasePlan,
} from '../../../packages/release/preflight.js';
import {
  computeVersion,
  type ComputedVersion,
  type VersionSource,
} from '../../../packages/release/version.js';
import { actionLogger as logger, maskInputs } from '../../run-action.js';
import { getInputs, type Inputs } from './inputs.js';

export async function run(): Promise<void> {
  // Masked before anything else can print it, even when it is not the runner's own token.
  maskInputs('token');
  const inputs = getInputs((name) => core.getInput(name));
  // The release preflight: a bad release input fails here, before the tag is reserved.
  const plan = inputs.release === undefined ? undefined : checkReleaseRequest(inputs.release);
  const repository = new GitHubRepository(
    createGitHubClient({ token: inputs.token, logger }),
    inputs.repository,
  );
  const result = await computeVersion({
    repository,
    sha: inputs.sha,
    format: inputs.format,
    startAt: inputs.startAt,
    hotfixOf: inputs.hotfixOf,
    reserve: inputs.reserve,
    skipIfReleased: inputs.skipIfReleased,
    requireChecks: inputs.requireChecks,
    newestGreen: inputs.newestGreen,
    divergedReason: allowedDowngradeReason(
      inputs.release?.allowDowngrade === true,
      inputs.release?.downgradeReason ?? '',
    ),
    extraSources: await extraSources(inputs),
    // The runner's server and API, as actions/checkout fetches: tags in one git request.
    tags: tagListerFor(
      repository,
      {
        serverUrl: process.env.GITHUB_SERVER_URL,
        apiUrl: process.env.GITHUB_API_URL,
        token: inputs.token,
      },
      logger,
    ),
    logger,
  });
  setOutputs(result, plan);
  await writeSummary(repository.fullName, result, inputs, plan);
}

async function extraSources(inputs: Inputs): Promise<VersionSource[]> {
  if (!inputs.ecr) return [];
  // Loaded only when asked for: most runs read git alone, and then the AWS SDK's modules never
  // initialise.
  const { createEcrClient } = await import('../../../packages/ecr/client.js');
  const ecr = createEcrClient({
    region: inputs.ecr.region,
    registryId: inputs.ecr.registryId,
    logger,
  });
  return [ecrVersionSource(ecr, inputs.ecr.repository, logger)];
}

function setOutputs(result: ComputedVersion, plan: ReleasePlan | undefined): void {
  core.setOutput('version', result.version);
  core.setOutput('number', String(result.number));
  core.setOutput('git-tag', result.gitTag);
  core.setOutput('previous-version', result.previousVersion ?? '');
  core.setOutput('sha', result.sha);
  core.setOutput('is-hotfix', String(result.hotfix > 0));
  core.setOutput('reservation', result.reservation);
  core.setOutput('skipped', String(result.skipped));
  core.setOutput('skip-reason', result.skipReason);
  core.setOutput('environments', plan === undefined ? '' : environmentsOutput(plan));
  core.setOutput('diverged-from', result.diverged?.from ?? '');
  core.setOutput('chosen-reason', result.greenSearch?.reason ?? '');
}

const RESERVATION_TEXT: Record<ComputedVersion['reservation'], string> = {
  created: 'reserved now',
  reused: 'reused (reserved by an unfinished run)',
  released: 'already released',
  'not-reserved': 'not reserved (reserve: false)',
};

async function writeSummary(
  repository: string,
  result: ComputedVersion,
  inputs: Inputs,
  plan: ReleasePlan | undefined,
): Promise<void> {
  const table = markdownTable(
    ['New', 'Previous', 'Commit', 'Tag', 'Skipped'],
    [
      [
        result.version + (result.hotfix > 0 ? ' (hotfix)' : ''),
        result.previousVersion ?? '(none)',
        result.sha.slice(0, 12),
        `${repository} ${result.gitTag}: ${RESERVATION_TEXT[result.reservation]}`,
        result.skipped ? `yes: ${result.skipReason}` : 'no',
      ],
    ],
  );
  const heading =
    plan === undefined
      ? 'Release version'
      : `Release plan for ${inputs.release?.app ?? ''}${inputs.reserve ? '' : ' (dry run: nothing reserved, pushed or committed)'}`;
  const summary = core.summary.addHeading(heading, 2).addRaw(table, true);
  if (plan !== undefined) {
    const environments = markdownTable(
      ['Environment', 'Manifests', 'Mode', 'Marks the release'],
      plan.environments.map((environment) => [
        environment.name,
        environment.path || '.',
        environment.mode,
        environment.last ? 'yes' : 'no',
      ]),
    );
    summary.addRaw(`\n${environments}`, true);
  }
  if (result.greenSearch) summary.addRaw(`\n${greenSearchMarkdown(result)}`, true);
  await summary.write();
}

/** Which commit newest-green chose and why each newer one was passed over. */
function greenSearchMarkdown(result: ComputedVersion): string {
  const search = result.greenSearch;
  if (!search) return '';
  const lines = [`**Commit:** ${search.reason}.`];
  if (search.passedOver.length > 0) {
    lines.push('', 'Passed over (newest first):');
    // Subjects come from whoever wrote the commits: rendered inert.
    for (const commit of search.passedOver) {
      lines.push(
        `- \`${commit.sha.slice(0, 7)}\` ${inertMarkdown(commit.subject)}: ${commit.reason}`,
      );
    }
  }
  return lines.join('\n');
}
