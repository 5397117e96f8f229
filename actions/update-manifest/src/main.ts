import * as core from '@actions/core';
import { createEcrClient } from '../../../packages/ecr/index.js';
import {
  checkParameters,
  createParameterLookup,
} from '../../../packages/external-secrets/index.js';
import { markdownTable } from '../../../packages/kit/index.js';
import { updateManifests, type UpdateManifestsResult } from '../../../packages/manifest/index.js';
import { actionLogger as logger } from '../../run-action.js';
import { getInputs, type Inputs } from './inputs.js';

export async function run(): Promise<void> {
  const inputs = getInputs((name) => core.getInput(name));
  if (inputs.verifyImage) await verifyImageInEcr(inputs);
  const result = await updateManifests({
    root: inputs.path,
    ...(inputs.files ? { files: inputs.files } : {}),
    image: inputs.image,
    tag: inputs.tag,
    digest: inputs.digest,
    set: inputs.set,
    format: inputs.format,
    sha: inputs.sha,
    allowDowngrade: inputs.allowDowngrade,
    downgradeReason: inputs.downgradeReason,
    dryRun: inputs.dryRun,
    logger,
    // Before any file is written: a parameter the new pods need and SSM lacks stops the release.
    beforeWrite: async (sources) => {
      await checkParameters({
        sources,
        mode: inputs.checkParameters,
        region: inputs.parameterRegion,
        regionInput: 'region',
        modeInput: 'check-parameters',
        lookupFor: (region) =>
          createParameterLookup({ region, logger, modeInput: 'check-parameters' }),
        logger,
      });
    },
  });
  if (result.references.length === 0 && inputs.failIfNone) {
    throw new Error(
      `no reference to ${inputs.image} found in ${String(result.files.length)} YAML file(s) under ${inputs.path}: check 'image' and 'files', or set fail-if-none: false`,
    );
  }
  if (result.ahead !== undefined) {
    core.notice(
      `${inputs.tag} is a hotfix and these manifests are already ahead of it (${result.ahead}): skipped, nothing changed`,
      { title: 'Environment ahead of the hotfix' },
    );
  }
  setOutputs(result);
  await writeSummary(inputs, result);
}

/** Refuses a tag ECR does not hold: Argo CD would deploy a manifest whose image cannot be pulled. */
async function verifyImageInEcr(inputs: Inputs): Promise<void> {
  const target = inputs.verifyImage;
  if (!target) return;
  const ecr = createEcrClient({ region: target.region, registryId: target.registryId, logger });
  const digest = await ecr.getImageDigest(target.repository, inputs.tag);
  if (digest === undefined) {
    throw new Error(
      `image ${target.repository}:${inputs.tag} is not in ECR (${target.region}): push it first, or check 'image' and 'tag'`,
    );
  }
  if (inputs.digest !== undefined && inputs.digest !== digest) {
    throw new Error(
      `image ${target.repository}:${inputs.tag} in ECR has digest ${digest}, not ${inputs.digest}: check 'digest'`,
    );
  }
  logger.info(`verified ${target.repository}:${inputs.tag} is in ECR (${digest})`);
}

function setOutputs(result: UpdateManifestsResult): void {
  core.setOutput('changed', String(result.changedFiles.length > 0));
  core.setOutput('changed-files', JSON.stringify(result.changedFiles));
  core.setOutput('previous-version', result.previousVersion ?? '');
  core.setOutput('skipped-ahead', String(result.ahead !== undefined));
  core.setOutput(
    'references',
    JSON.stringify(
      result.references.map(({ file, line, keyPath, oldValue, newValue }) => ({
        file,
        line,
        keyPath,
        oldValue,
        newValue,
      })),
    ),
  );
  core.setOutput('diff', result.diff);
  core.setOutput('edit', JSON.stringify(result.edit));
}

async function writeSummary(inputs: Inputs, result: UpdateManifestsResult): Promise<void> {
  const heading = `${inputs.dryRun ? 'Manifest update (dry run)' : 'Manifest update'}: ${inputs.image} → ${inputs.tag}`;
  const table = markdownTable(
    ['File', 'Line', 'Key', 'Old', 'New'],
    result.references.map((reference) => [
      reference.file,
      String(reference.line),
      // A layered values file's own tag, changed with the reference it overrides.
      reference.overrideOf === undefined
        ? reference.keyPath
        : `${reference.keyPath} (override of ${reference.overrideOf})`,
      reference.oldValue,
      reference.newValue,
    ]),
  );
  const summary = core.summary.addHeading(heading, 3).addRaw(table, true);
  if (result.ahead !== undefined) {
    summary.addRaw(
      `\n> [!NOTE]\n> ${inputs.tag} is a hotfix and this environment is already ahead of it (${result.ahead}): skipped.\n`,
      true,
    );
  }
  if (result.downgradeReason) {
    summary.addRaw(`\n> [!WARNING]\n> Downgrade allowed: ${result.downgradeReason}\n`, true);
  }
  const changed = result.changedFiles.length;
  summary.addRaw(
    `\n${String(changed)} file(s) ${inputs.dryRun ? 'would change' : 'changed'}${
      result.previousVersion ? `; previous version ${result.previousVersion}` : ''
    }.\n`,
    true,
  );
  if (result.diff !== '') summary.addDetails('Diff', `\n\n\`\`\`diff\n${result.diff}\`\`\`\n`);
  await summary.write();
}
