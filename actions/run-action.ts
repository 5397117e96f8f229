/**
 * The Actions edge every bundle shares: which entry runs (main, or the post step the runner calls
 * after the job), the one failure line, the exit code. Packages never see @actions/core; they get
 * `actionLogger`, which is core itself (groups included).
 */
import * as core from '@actions/core';
import { failureLine, type Logger } from '../packages/kit/index.js';

/** Marks a main step done, so the runner's post run of the same bundle knows it is the post. */
const IS_POST = 'isPost';

export interface ActionEntries {
  /** The action's name, as failure lines start: `<action> failed: ...`. */
  readonly action: string;
  readonly main?: () => Promise<void>;
  /** The clean-up the runner calls after the job (`runs.post`), also after a failure. */
  readonly post?: () => Promise<void>;
}

export const actionLogger: Logger = core;

/**
 * Runs the entry this process is for: with both entries, `post` once main has marked the state
 * (one bundle for both, as actions/checkout does); with one, that one. A throw becomes the one
 * failure line and exit code 1.
 */
export async function runAction(entries: ActionEntries): Promise<void> {
  const isPost =
    entries.main === undefined || (entries.post !== undefined && core.getState(IS_POST) === 'true');
  const entry = isPost ? entries.post : entries.main;
  const name = isPost ? `${entries.action} (post)` : entries.action;
  if (!isPost && entries.post !== undefined) core.saveState(IS_POST, 'true');
  try {
    await entry?.();
  } catch (error: unknown) {
    core.setFailed(failureLine(name, error));
  }
}

/** Masks every non-empty value before anything can print it. */
export function maskInputs(...names: string[]): void {
  for (const name of names) {
    const secret = core.getInput(name).trim();
    if (secret !== '') core.setSecret(secret);
  }
}

/** A markdown link to this workflow run, when the runner says which. */
export function workflowRunLink(): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_WORKFLOW } = process.env;
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined;
  return `[${GITHUB_WORKFLOW ?? 'workflow'} run ${GITHUB_RUN_ID}](${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID})`;
}
