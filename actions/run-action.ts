/**
 * The Actions edge every bundle shares: which entry runs (main, or the post step the runner calls
 * after the job), the one failure line, the exit code. Packages never see @actions/core; they get
 * `actionLogger`: core's log (groups included), and build output kept from issuing workflow commands.
 */
import * as core from '@actions/core';
import { randomUUID } from 'node:crypto';
import { EOL } from 'node:os';
import { failureLine, type Logger } from '../packages/kit/index.js';
import { readTokenSource, type TokenSource } from '../packages/ssm/index.js';

/** Marks a main step done, so the runner's post run of the same bundle knows it is the post. */
const IS_POST = 'isPost';

export interface ActionEntries {
  /** The action's name, as failure lines start: `<action> failed: ...`. */
  readonly action: string;
  readonly main?: () => Promise<void>;
  /** The clean-up the runner calls after the job (`runs.post`), also after a failure. */
  readonly post?: () => Promise<void>;
}

/**
 * The runner's way to print text that must not act as a workflow command: `::stop-commands::<token>`
 * before it and the line `::<token>::` after; in between the runner honours no command but that end.
 * The token is new for each stretch and unguessable (a random UUID), so the text cannot end it.
 * Stretches that overlap (two streams at once) share one, ended when the last of them finishes.
 */
export function stopCommandsAround(
  write: (text: string) => void,
  newToken: () => string = randomUUID,
): <T>(work: () => Promise<T>) => Promise<T> {
  let open = 0;
  let token = '';
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (open === 0) {
      token = newToken();
      write(`::stop-commands::${token}${EOL}`);
    }
    open += 1;
    try {
      return await work();
    } finally {
      open -= 1;
      if (open === 0) write(`::${token}::${EOL}`);
    }
  };
}

export const actionLogger: Logger = {
  debug: core.debug,
  info: core.info,
  warning: (message) => {
    core.warning(message);
  },
  error: (message) => {
    core.error(message);
  },
  startGroup: core.startGroup,
  endGroup: core.endGroup,
  untrusted: stopCommandsAround((text) => process.stdout.write(text)),
};

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

/**
 * The token of a token / token-parameter input pair: as given, or read from Parameter Store in this
 * process only, masked as it arrives, never written.
 */
export function actionToken(source: TokenSource, parameterInput: string): Promise<string> {
  return readTokenSource(source, parameterInput, {
    env: process.env,
    maskSecret: (secret) => {
      core.setSecret(secret);
    },
    logger: actionLogger,
  });
}

/** A markdown link to this workflow run, when the runner says which. */
export function workflowRunLink(): string | undefined {
  const url = workflowRunUrl();
  if (url === undefined) return undefined;
  return `[${process.env.GITHUB_WORKFLOW ?? 'workflow'} run ${process.env.GITHUB_RUN_ID ?? ''}](${url})`;
}

/** The URL of this workflow run, when the runner says where it is. */
export function workflowRunUrl(): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = process.env;
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined;
  return `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`;
}
