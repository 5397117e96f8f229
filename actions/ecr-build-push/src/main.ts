import * as core from '@actions/core';
import { processExec, type PublishResult } from '../../../packages/docker/index.js';
import { createEcrClient } from '../../../packages/ecr/index.js';
import { createGitHubClient, GitHubRepository } from '../../../packages/github/index.js';
import { markdownTable } from '../../../packages/kit/index.js';
import { imageCreatedTime, publishReleaseImage } from '../../../packages/release/image.js';
import { releaseRecordStore } from '../../../packages/release/provenance.js';
import { actionLogger as logger, maskInputs, workflowRunUrl } from '../../run-action.js';
import { keepCredentials } from './credentials.js';
import { getInputs, type ProvenanceInputs } from './inputs.js';

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value;

/** The record store of a tag: the app repository's GitHub release of its git tag. */
function recordStores(provenance: ProvenanceInputs | undefined) {
  if (provenance === undefined) return undefined;
  const appRepository = new GitHubRepository(
    createGitHubClient({ token: provenance.token, logger, throttleId: 'app-repository' }),
    provenance.appRepository,
  );
  return (imageTag: string) =>
    releaseRecordStore(appRepository, provenance.gitTagPrefix + imageTag, imageTag);
}

export async function run(): Promise<void> {
  maskInputs('app-token');
  const inputs = getInputs((name) => core.getInput(name), process.env);
  const ecr = createEcrClient({
    region: inputs.region,
    registryId: inputs.accountId,
    fips: inputs.fips,
    logger,
  });
  const build = inputs.build;
  const revision = build?.revision ?? process.env.GITHUB_SHA;
  const created =
    build === undefined
      ? undefined
      : await imageCreatedTime(
          processExec,
          nonEmpty(process.env.GITHUB_WORKSPACE) ?? process.cwd(),
          revision,
          process.env,
          logger,
        );
  const result = await publishReleaseImage(
    {
      repository: inputs.repository,
      tags: inputs.tags,
      ifTagExists: inputs.ifTagExists,
      expectedRegistry: inputs.registryHost,
      promoteFrom: inputs.promoteFrom,
      promotion: inputs.promotion,
      build:
        build === undefined
          ? undefined
          : {
              ...build,
              source: {
                serverUrl: process.env.GITHUB_SERVER_URL,
                repository: process.env.GITHUB_REPOSITORY,
                revision,
              },
            },
    },
    {
      ecr,
      exec: processExec,
      logger,
      maskSecret: (secret) => {
        core.setSecret(secret);
      },
      clock: () => created ?? new Date(),
      tempDir: nonEmpty(process.env.RUNNER_TEMP),
      // Left for the post step (the composite's last step), which runs also after a failure.
      keepCredentials,
      records: recordStores(inputs.provenance),
      run: workflowRunUrl(),
    },
  );
  if (result.outcome === 'checked') throw new Error('internal: a promotion was only checked');
  setOutputs(result);
  await writeSummary(result);
}

function setOutputs(result: PublishResult): void {
  const digest = result.digest ?? '';
  core.setOutput('image', result.image);
  core.setOutput('digest', digest);
  core.setOutput('image-with-digest', digest === '' ? '' : `${result.image}@${digest}`);
  core.setOutput('registry', result.registry);
  core.setOutput('tags', result.tags.join(','));
  core.setOutput('built', String(result.built));
  core.setOutput('pushed', String(result.pushed));
  core.setOutput('source-revision', result.promotedSource?.revision ?? '');
  core.setOutput('source-version', result.promotedSource?.version ?? '');
}

function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function howText(result: PublishResult): string {
  const from = result.promotedFrom ?? '';
  switch (result.outcome) {
    case 'pushed':
      return result.previousDigest === undefined
        ? `built (${result.builder ?? 'docker'}) and pushed`
        : `built and pushed, replacing ${result.previousDigest}`;
    case 'already-present':
      if (result.built) return 'built; the tag already named this image, nothing pushed';
      return result.promotedFrom === undefined
        ? 'this release (its provenance record names it) is already in ECR: nothing built or pushed'
        : `already promoted from ${from}, nothing changed`;
    case 'promoted':
      return result.previousDigest === undefined
        ? `promoted from ${from} (no build, no upload)`
        : `promoted from ${from}, replacing ${result.previousDigest}`;
    case 'built-only':
      return 'built only (push: false)';
  }
}

async function writeSummary(result: PublishResult): Promise<void> {
  const table = markdownTable(
    ['Image', 'Digest', 'Size', 'Tags', 'What happened', 'Build', 'Push'],
    [
      [
        result.image,
        result.digest ?? '-',
        sizeText(result.sizeInBytes),
        result.tags.join(', '),
        howText(result),
        result.built ? `${result.buildSeconds.toFixed(1)} s` : '-',
        `${result.pushSeconds.toFixed(1)} s`,
      ],
    ],
  );
  await core.summary.addHeading('Release image', 3).addRaw(table, true).write();
}
