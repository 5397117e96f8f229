import * as core from '@actions/core';
import { tmpdir } from 'node:os';
import {
  createDockerConfigDir,
  DockerCli,
  processExec,
  publishImage,
  removeDockerConfigDir,
  type DockerLogger,
  type PublishResult,
} from '../../../packages/docker/index.js';
import { createEcrClient } from '../../../packages/ecr/index.js';
import { failureLine, markdownTable } from '../../../packages/kit/index.js';
import { getInputs } from './inputs.js';

const ACTION = 'ecr-build-push';

/** State the main step leaves for the post step (the runner hands it back as STATE_<name>). */
const STATE = {
  isPost: 'isPost',
  dockerConfig: 'docker-config',
  registry: 'registry',
} as const;

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value;

/**
 * One bundle serves both steps, as actions/checkout does: the main step marks the state, so the
 * runner's `post` run of the same file finds it and cleans up.
 */
export async function run(): Promise<void> {
  if (core.getState(STATE.isPost) === 'true') {
    await runPost();
    return;
  }
  core.saveState(STATE.isPost, 'true');
  await runMain();
}

/**
 * The time for `org.opencontainers.image.created`. A fixed one per commit makes a re-run's fully cached
 * build the same image, so it is recognised as already pushed: SOURCE_DATE_EPOCH (the reproducible
 * builds convention), else the commit time of the `revision` commit from the checkout, else now.
 */
async function createdTime(workspace: string, sha: string | undefined): Promise<Date> {
  const epoch = process.env.SOURCE_DATE_EPOCH?.trim();
  if (epoch !== undefined && /^[0-9]+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  if (sha !== undefined && /^[0-9a-f]{40}$/.test(sha)) {
    const shown = await processExec('git', [
      '-C',
      workspace,
      'show',
      '-s',
      '--format=%ct',
      sha,
    ]).catch(() => undefined);
    const seconds = shown?.exitCode === 0 ? shown.stdout.trim() : '';
    if (/^[0-9]+$/.test(seconds)) return new Date(Number(seconds) * 1000);
  }
  core.info(
    'image created time is now (no SOURCE_DATE_EPOCH, no checkout of the revision commit): a re-run builds a new image id',
  );
  return new Date();
}

async function runMain(): Promise<void> {
  try {
    const inputs = getInputs((name) => core.getInput(name), process.env);
    const logger: DockerLogger = core;
    const ecr = createEcrClient({
      region: inputs.region,
      registryId: inputs.accountId,
      fips: inputs.fips,
      logger,
    });
    let docker: DockerCli | undefined;
    let created: Date | undefined;
    if (inputs.build !== undefined) {
      // Saved before anything is written into it, so the post step removes it even after a failure.
      const configDir = createDockerConfigDir(nonEmpty(process.env.RUNNER_TEMP) ?? tmpdir());
      core.saveState(STATE.dockerConfig, configDir);
      docker = new DockerCli({ exec: processExec, logger, configDir });
      created = await createdTime(
        nonEmpty(process.env.GITHUB_WORKSPACE) ?? process.cwd(),
        inputs.build.revision ?? process.env.GITHUB_SHA,
      );
    }
    const build = inputs.build;
    const result = await publishImage(
      {
        repository: inputs.repository,
        tags: inputs.tags,
        ifTagExists: inputs.ifTagExists,
        expectedRegistry: inputs.registryHost,
        promoteFrom: inputs.promoteFrom,
        build:
          build === undefined
            ? undefined
            : {
                ...build,
                source: {
                  serverUrl: process.env.GITHUB_SERVER_URL,
                  repository: process.env.GITHUB_REPOSITORY,
                  revision: build.revision ?? process.env.GITHUB_SHA,
                },
              },
      },
      {
        ecr,
        docker,
        logger,
        maskSecret: (secret) => {
          core.setSecret(secret);
        },
        onLogin: (registry) => {
          core.saveState(STATE.registry, registry);
        },
        clock: () => created ?? new Date(),
      },
    );
    setOutputs(result);
    await writeSummary(result);
  } catch (error: unknown) {
    core.setFailed(failureLine(ACTION, error));
  }
}

/** Logs out and removes the run's DOCKER_CONFIG directory, credentials included. */
async function runPost(): Promise<void> {
  const configDir = core.getState(STATE.dockerConfig);
  if (configDir === '') return;
  const registry = core.getState(STATE.registry);
  try {
    if (registry !== '') {
      await new DockerCli({ exec: processExec, logger: core, configDir }).logout(registry);
    }
  } catch (error: unknown) {
    core.warning(failureLine(`${ACTION} (post)`, error));
  }
  try {
    removeDockerConfigDir(configDir);
    core.info(`removed the docker credentials (${configDir})`);
  } catch (error: unknown) {
    core.setFailed(failureLine(`${ACTION} (post)`, error));
  }
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
        ? 'this release (same revision and version) is already in ECR: nothing built or pushed'
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
