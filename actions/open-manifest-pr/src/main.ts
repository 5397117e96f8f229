import * as core from '@actions/core';
import { processExec } from '../../../packages/docker/index.js';
import { createGitHubClient, GitHubRepository } from '../../../packages/github/index.js';
import { markdownTable } from '../../../packages/kit/index.js';
import { changeManifests, type ChangeResult } from '../../../packages/release/change.js';
import {
  commonFolder,
  filesChangedInCheckout,
  readCheckoutChange,
} from '../../../packages/release/checkout.js';
import {
  deploymentOf,
  fillTemplate,
  pullRequestBody,
  readReleaseNotes,
  readReleaseSource,
  type ReleaseFacts,
} from '../../../packages/release/facts.js';
import { markReleased } from '../../../packages/release/mark-released.js';
import { recordedImageFacts } from '../../../packages/release/provenance.js';
import {
  actionToken,
  actionLogger as logger,
  maskInputs,
  workflowRunLink,
} from '../../run-action.js';
import { getInputs, type Inputs } from './inputs.js';

export async function run(): Promise<void> {
  // Both tokens are masked before anything else can print them.
  maskInputs('token', 'app-token');
  const inputs = getInputs((name) => core.getInput(name));
  const token = await actionToken(inputs, 'token-parameter');
  const manifests = new GitHubRepository(createGitHubClient({ token, logger }), inputs.repository);
  const base = inputs.base || (await manifests.defaultBranch());
  const files = inputs.files ?? (await filesChangedInCheckout(processExec, inputs.path));
  const checkout = await readCheckoutChange(
    processExec,
    inputs.path,
    files,
    inputs.files ? 'files' : 'git',
  );
  const appRepository =
    inputs.releaseNotesFrom && inputs.appToken !== ''
      ? new GitHubRepository(
          createGitHubClient({ token: inputs.appToken, logger, throttleId: 'app-repository' }),
          inputs.releaseNotesFrom,
        )
      : undefined;
  const facts = await factsOf(inputs, files, appRepository);
  const change = await changeManifests(manifests, {
    mode: inputs.mode,
    base,
    baseSha: checkout.baseSha,
    files: checkout.files,
    edit: inputs.edit,
    message: fillTemplate(inputs.commitMessage, facts),
    pullRequest: {
      branch: inputs.branch,
      title: fillTemplate(inputs.title, facts),
      body: (changedFiles) =>
        pullRequestBody({ ...facts, changedFiles }, { body: inputs.body, run: workflowRunLink() }),
      draft: inputs.draft,
      labels: [`release:${inputs.app}`, ...inputs.labels],
      reviewers: inputs.reviewers,
      teamReviewers: inputs.teamReviewers,
      autoMerge: inputs.autoMerge === 'off' ? undefined : inputs.autoMerge,
    },
    supersede: inputs.supersede
      ? {
          app: inputs.app,
          version: inputs.version,
          format: inputs.format,
          deployed: inputs.previousVersion || undefined,
          releases: appRepository && {
            repository: appRepository,
            gitTagPrefix: inputs.gitTagPrefix,
          },
        }
      : undefined,
    logger,
  });
  // Also when unchanged: a run that committed but died before publishing is finished by a re-run.
  const release =
    inputs.releaseTag !== '' && appRepository
      ? await markReleased(
          appRepository,
          inputs.releaseTag,
          facts,
          deploymentOf(change, manifests.fullName, base),
          logger,
        )
      : undefined;
  setOutputs(change, release?.url);
  await writeSummary(change, inputs, base, release?.url);
}

async function factsOf(
  inputs: Inputs,
  files: readonly string[],
  appRepository: GitHubRepository | undefined,
): Promise<ReleaseFacts> {
  const previous = inputs.previousVersion || undefined;
  const given =
    inputs.image || inputs.digest
      ? {
          reference: inputs.image,
          digest: inputs.digest || undefined,
          promotedFrom: inputs.promotedFrom || undefined,
        }
      : undefined;
  // The image's record (the app repository's release of the tag) says what was pushed, and for a
  // promotion which commit the image holds: the notes are that commit's.
  const recorded = appRepository
    ? await recordedImageFacts(appRepository, inputs.gitTagPrefix + inputs.version, given)
    : { image: given, revision: undefined };
  const commit = recorded.revision ?? inputs.sha;
  const [notes, source] = await Promise.all([
    appRepository &&
      readReleaseNotes(
        appRepository,
        {
          previousVersion: previous,
          gitTagPrefix: inputs.gitTagPrefix,
          to: commit ?? inputs.gitTagPrefix + inputs.version,
        },
        logger,
      ),
    appRepository && commit !== undefined
      ? readReleaseSource(appRepository, commit, inputs.sourceRef, logger)
      : undefined,
  ]);
  return {
    app: inputs.app,
    version: inputs.version,
    previousVersion: previous,
    hotfix: (inputs.format.parse(inputs.version)?.hotfix ?? 0) > 0,
    appRepository:
      inputs.releaseNotesFrom && `${inputs.releaseNotesFrom.owner}/${inputs.releaseNotesFrom.repo}`,
    commit,
    image: recorded.image,
    environment: inputs.environment || commonFolder(files),
    changedFiles: files,
    downgradeReason: inputs.downgradeReason || undefined,
    notes,
    source,
  };
}

function setOutputs(change: ChangeResult, releaseUrl: string | undefined): void {
  core.setOutput('operation', change.operation);
  core.setOutput('pull-request-number', change.pullRequest?.number.toString() ?? '');
  core.setOutput('pull-request-url', change.pullRequest?.url ?? '');
  core.setOutput('commit-sha', change.commitSha);
  core.setOutput('branch', change.branch);
  core.setOutput('superseded', JSON.stringify(change.superseded));
  core.setOutput('release-url', releaseUrl ?? '');
}

async function writeSummary(
  change: ChangeResult,
  inputs: Inputs,
  base: string,
  releaseUrl: string | undefined,
): Promise<void> {
  const table = markdownTable(
    ['Operation', 'Pull request', 'Commit', 'Branch', 'Superseded', 'Release'],
    [
      [
        change.operation,
        change.pullRequest?.url ?? '(none)',
        change.commitSha.slice(0, 12),
        inputs.mode === 'direct' ? base : `${inputs.branch} → ${base}`,
        change.superseded.map((number) => `#${String(number)}`).join(', ') || '(none)',
        releaseUrl ?? '(none)',
      ],
    ],
  );
  const heading = `Manifest ${inputs.mode === 'direct' ? 'commit' : 'pull request'}`;
  core.summary.addHeading(`${heading}: ${inputs.app} ${inputs.version}`, 3);
  await core.summary.addRaw(table, true).write();
}
