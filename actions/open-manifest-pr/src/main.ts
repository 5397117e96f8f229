import * as core from '@actions/core';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import {
  commitAndOpenPullRequest,
  commitEditsToBranch,
  createGitHubClient,
  GitHubRepository,
  releaseNotes,
  type FileChange,
  type FileEdit,
  type ReleaseNotes,
} from '../../../packages/github/index.js';
import {
  errorMessage,
  escapeMarkdownCell,
  failureLine,
  markdownTable,
  type Logger,
} from '../../../packages/kit/index.js';
import { parseImageName, rewriteYaml } from '../../../packages/manifest/index.js';
import { compareVersions } from '../../../packages/version/index.js';
import { getInputs, type Inputs } from './inputs.js';

const ACTION = 'open-manifest-pr';
const execFileAsync = promisify(execFile);

interface Outcome {
  operation: 'created' | 'updated' | 'unchanged' | 'committed';
  commitSha: string;
  pullRequestNumber?: number;
  pullRequestUrl?: string;
  superseded: readonly number[];
  releaseUrl?: string;
  warnings: readonly string[];
}

export async function run(): Promise<void> {
  try {
    // Both tokens are masked before anything else can print them.
    for (const name of ['token', 'app-token']) {
      const secret = core.getInput(name).trim();
      if (secret !== '') core.setSecret(secret);
    }
    const inputs = getInputs((name) => core.getInput(name));
    const logger: Logger = core;
    const manifests = new GitHubRepository(
      createGitHubClient({ token: inputs.token, logger }),
      inputs.repository,
    );
    const base = inputs.base || (await manifests.defaultBranch());
    const files = inputs.files ?? (await changedFilesFromGit(inputs.path));
    if (files.length === 0 && inputs.mode === 'direct') {
      logger.info('no changed files: nothing to commit');
    }
    const appRepository =
      inputs.releaseNotesFrom && inputs.appToken !== ''
        ? new GitHubRepository(
            createGitHubClient({ token: inputs.appToken, logger, throttleId: 'app-repository' }),
            inputs.releaseNotesFrom,
          )
        : undefined;
    const notes = appRepository ? await readReleaseNotes(appRepository, inputs, logger) : undefined;
    const title = fill(inputs.title, inputs, files);
    const message = fill(inputs.commitMessage, inputs, files);

    const outcome =
      inputs.mode === 'direct'
        ? await commitDirectly(manifests, base, files, message, inputs, logger)
        : await openPullRequest(manifests, base, files, title, message, notes, inputs, logger);

    // Also when unchanged: a run that committed but died before publishing is finished by a re-run.
    if (inputs.releaseTag !== '' && appRepository) {
      const release = await appRepository.publishRelease(inputs.releaseTag, {
        name: `${inputs.app} ${inputs.version}`,
        body: releaseBody(inputs, outcome, notes),
      });
      outcome.releaseUrl = release.htmlUrl;
      logger.info(`${release.created ? 'published' : 'found'} release ${release.htmlUrl}`);
    }
    for (const warning of outcome.warnings) logger.warning(warning);
    setOutputs(outcome, inputs, base);
    await writeSummary(outcome, inputs, base);
  } catch (error) {
    core.setFailed(failureLine(ACTION, error));
  }
}

/** Files git reports as changed under the checkout (update-manifest wrote them). */
async function changedFilesFromGit(path: string): Promise<string[]> {
  const git = async (args: string[]): Promise<string[]> => {
    const { stdout } = await execFileAsync('git', ['-C', path, ...args], { encoding: 'utf8' });
    return stdout.split('\0').filter((entry) => entry !== '');
  };
  try {
    const changed = await git(['diff', '--name-only', '-z', 'HEAD', '--relative']);
    const untracked = await git(['ls-files', '--others', '--exclude-standard', '-z']);
    return [...new Set([...changed, ...untracked])].sort();
  } catch (error) {
    throw new Error(
      `could not ask git what changed under ${path} (${errorMessage(error).split('\n')[0] ?? ''}): pass update-manifest's changed-files output as 'files'`,
    );
  }
}

async function localFiles(path: string, files: readonly string[]): Promise<FileChange[]> {
  return Promise.all(
    files.map(async (file) => {
      try {
        return { path: file, content: await readFile(join(path, file)) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          return { path: file, content: null };
        throw error;
      }
    }),
  );
}

function environmentPath(files: readonly string[]): string {
  const directories = files.map((file) => posix.dirname(file).split('/'));
  const first = directories[0];
  if (!first) return '.';
  let length = first.length;
  for (const parts of directories) {
    while (length > 0 && parts.slice(0, length).join('/') !== first.slice(0, length).join('/'))
      length--;
  }
  return first.slice(0, length).join('/') || '.';
}

function fill(template: string, inputs: Inputs, files: readonly string[]): string {
  return template
    .replaceAll('{app}', inputs.app)
    .replaceAll('{version}', inputs.version)
    .replaceAll('{previous-version}', inputs.previousVersion || '(none)')
    .replaceAll('{environment}', environmentPath(files));
}

async function readReleaseNotes(
  appRepository: GitHubRepository,
  inputs: Inputs,
  logger: Logger,
): Promise<ReleaseNotes | undefined> {
  try {
    return await releaseNotes(appRepository, {
      ...(inputs.previousVersion ? { from: inputs.gitTagPrefix + inputs.previousVersion } : {}),
      to: inputs.gitTagPrefix + inputs.version,
      limit: 50,
    });
  } catch (error) {
    // Notes help reviewers but never block a release.
    logger.warning(`release notes from ${appRepository.fullName} skipped: ${errorMessage(error)}`);
    return undefined;
  }
}

function workflowRunLink(): string {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_WORKFLOW } = process.env;
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return 'gitops-release-actions';
  return `[${GITHUB_WORKFLOW ?? 'workflow'} run ${GITHUB_RUN_ID}](${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID})`;
}

function pullRequestBody(
  inputs: Inputs,
  files: readonly string[],
  notes: ReleaseNotes | undefined,
): string {
  const image = inputs.image
    ? `\`${inputs.image}:${inputs.version}${inputs.digest ? `@${inputs.digest}` : ''}\``
    : inputs.digest;
  const table = markdownTable(
    ['App', 'Environment', 'Version', 'Image'],
    [
      [
        inputs.app,
        environmentPath(files),
        `${inputs.previousVersion || '(none)'} → ${inputs.version}`,
        image || '',
      ],
    ],
  );
  const parts: string[] = [];
  if (inputs.downgradeReason) {
    parts.push(
      `> [!CAUTION]\n> **Downgrade** from ${escapeMarkdownCell(inputs.previousVersion || 'a newer version')} to ${inputs.version}. Part of the application's state (the database schema) only moves forward: check before merging.\n> Reason given: ${escapeMarkdownCell(inputs.downgradeReason)}`,
    );
  }
  if (inputs.body.trim()) parts.push(inputs.body.trim());
  parts.push(table.trimEnd());
  if (notes) {
    parts.push(
      `### Changes${notes.firstRelease ? '' : ` since ${inputs.previousVersion}`}\n\n${notes.markdown.trimEnd()}${
        notes.compareUrl
          ? `\n\n[Compare ${inputs.previousVersion}...${inputs.version}](${notes.compareUrl})`
          : ''
      }`,
    );
  }
  parts.push(`Changed files: ${files.map((file) => `\`${file}\``).join(', ') || '(none)'}`);
  parts.push(`---\nOpened by ${workflowRunLink()} with gitops-release-actions/open-manifest-pr.`);
  return parts.join('\n\n') + '\n';
}

function releaseBody(inputs: Inputs, outcome: Outcome, notes: ReleaseNotes | undefined): string {
  const deployment = outcome.pullRequestUrl
    ? `Manifest pull request: ${outcome.pullRequestUrl}`
    : `Manifest commit: ${outcome.commitSha}`;
  return [
    `Image: \`${inputs.image ? `${inputs.image}:` : ''}${inputs.version}${inputs.digest ? `@${inputs.digest}` : ''}\``,
    deployment,
    notes ? notes.markdown.trimEnd() : '',
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

async function openPullRequest(
  manifests: GitHubRepository,
  base: string,
  files: readonly string[],
  title: string,
  message: string,
  notes: ReleaseNotes | undefined,
  inputs: Inputs,
  logger: Logger,
): Promise<Outcome> {
  const releaseLabel = `release:${inputs.app}`;
  const branchPrefix = `release/${inputs.app}/`;
  const ours = inputs.format.parse(inputs.version);
  const result = await commitAndOpenPullRequest(manifests, {
    branch: inputs.branch,
    base,
    files: await localFiles(inputs.path, files),
    message,
    title,
    body: pullRequestBody(inputs, files, notes),
    draft: inputs.draft,
    labels: [releaseLabel, ...inputs.labels],
    reviewers: inputs.reviewers,
    teamReviewers: inputs.teamReviewers,
    ...(inputs.autoMerge === 'off' ? {} : { autoMerge: inputs.autoMerge }),
    ...(inputs.supersede && inputs.branch.startsWith(branchPrefix)
      ? {
          supersede: {
            label: releaseLabel,
            branchPrefix,
            comment: (kept) => `Superseded by #${String(kept.number)} (${inputs.version}).`,
            // Only older releases: a slow run must never close a newer release's pull request.
            supersedes: (candidate) => {
              const theirs = inputs.format.parse(candidate.headRef.slice(branchPrefix.length));
              return !ours || !theirs || compareVersions(theirs, ours) < 0;
            },
          },
        }
      : {}),
    logger,
  });
  const pull = result.pullRequest;
  return {
    operation: pull ? pull.operation : 'unchanged',
    commitSha: result.commit.commitSha,
    ...(pull ? { pullRequestNumber: pull.number, pullRequestUrl: pull.htmlUrl } : {}),
    superseded: result.superseded,
    warnings: result.warnings,
  };
}

/**
 * Direct mode: the base only fast-forwards. When someone pushed in between, the image edit is
 * applied again to their version of each file; without `image` a file they changed stops the run.
 */
async function commitDirectly(
  manifests: GitHubRepository,
  base: string,
  files: readonly string[],
  message: string,
  inputs: Inputs,
  logger: Logger,
): Promise<Outcome> {
  const local = await localFiles(inputs.path, files);
  const image = inputs.image ? parseImageName(inputs.image) : undefined;
  const edits: FileEdit[] = await Promise.all(
    local.map(async (file): Promise<FileEdit> => {
      const ours = file.content === null ? null : file.content.toString('utf8');
      const checkedOut = await contentAtHead(inputs.path, file.path);
      return {
        path: file.path,
        edit: (current) => {
          if (current === checkedOut || ours === null) return ours;
          if (!image || current === undefined) {
            throw new Error(
              `${file.path} changed on ${base} since it was checked out: run the release again (or pass 'image' so the edit can be re-applied)`,
            );
          }
          const rewritten = rewriteYaml(current, file.path, {
            image,
            tag: inputs.version,
            format: inputs.format,
            ...(inputs.digest ? { digest: inputs.digest } : {}),
          });
          const downgrade = rewritten.references.find((reference) => reference.downgrade);
          if (downgrade && !inputs.downgradeReason) {
            throw new Error(
              `${file.path}:${String(downgrade.line)} now holds ${downgrade.oldTag ?? ''}, newer than ${inputs.version} (pushed since checkout): refusing to downgrade`,
            );
          }
          return rewritten.text;
        },
      };
    }),
  );
  const result = await commitEditsToBranch(manifests, { branch: base, edits, message, logger });
  return {
    operation: result.changed ? 'committed' : 'unchanged',
    commitSha: result.commitSha,
    superseded: [],
    warnings: [],
  };
}

async function contentAtHead(path: string, file: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('git', ['-C', path, 'show', `HEAD:${file}`], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch {
    return undefined;
  }
}

function setOutputs(outcome: Outcome, inputs: Inputs, base: string): void {
  core.setOutput('operation', outcome.operation);
  core.setOutput('pull-request-number', outcome.pullRequestNumber?.toString() ?? '');
  core.setOutput('pull-request-url', outcome.pullRequestUrl ?? '');
  core.setOutput('commit-sha', outcome.commitSha);
  core.setOutput('branch', inputs.mode === 'direct' ? base : inputs.branch);
  core.setOutput('superseded', JSON.stringify(outcome.superseded));
  core.setOutput('release-url', outcome.releaseUrl ?? '');
}

async function writeSummary(outcome: Outcome, inputs: Inputs, base: string): Promise<void> {
  const table = markdownTable(
    ['Operation', 'Pull request', 'Commit', 'Branch', 'Superseded', 'Release'],
    [
      [
        outcome.operation,
        outcome.pullRequestUrl ?? '(none)',
        outcome.commitSha.slice(0, 12),
        inputs.mode === 'direct' ? base : `${inputs.branch} → ${base}`,
        outcome.superseded.map((number) => `#${String(number)}`).join(', ') || '(none)',
        outcome.releaseUrl ?? '(none)',
      ],
    ],
  );
  await core.summary
    .addHeading(
      `Manifest ${inputs.mode === 'direct' ? 'commit' : 'pull request'}: ${inputs.app} ${inputs.version}`,
      3,
    )
    .addRaw(table, true)
    .write();
}
