/**
 * The base of every error the suite's packages throw. `input` names the input at fault (an action
 * input such as `manifests-path`, which is also the CLI flag `--manifests-path`), so nothing ever has
 * to read a message to learn which input to blame; `problem` is the message without that name.
 */
export class GitOpsError extends Error {
  override name = 'GitOpsError';
  /** The input at fault, e.g. `manifests-path`; undefined when the error blames none. */
  readonly input?: string;
  /** What is wrong and how to fix it, without the input's name (the message adds it). */
  readonly problem: string;

  /** With an `input`, the message reads `input '<input>': <problem>`. */
  constructor(problem: string, options: { input?: string; cause?: unknown } = {}) {
    super(
      options.input === undefined ? problem : `input '${options.input}': ${problem}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.problem = problem;
    if (options.input !== undefined) this.input = options.input;
  }
}

/** Bad input: names the input, what is wrong and how to fix it, in one line. */
export class InputError extends GitOpsError {
  override name = 'InputError';
  declare readonly input: string;

  constructor(input: string, problem: string, options: { cause?: unknown } = {}) {
    super(problem, { input, cause: options.cause });
  }
}

/** The message of anything thrown, without a stack; non-Error throws become text. */
export function errorMessage(error: unknown): string {
  // Errors from another realm (vm contexts, some Node internals) fail instanceof, so go by shape.
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { message } = error;
    if (typeof message === 'string') return message;
  }
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * An error's one-line text with the input it blames named by `label`. Only a GitOpsError can blame
 * an input: any other object's `input` (say the stdin of a failed command) is never printed.
 */
function blamingLine(error: unknown, label: (input: string) => string): string {
  if (error instanceof GitOpsError && error.input !== undefined) {
    return `${label(error.input)}: ${oneLine(error.problem)}`;
  }
  return oneLine(errorMessage(error));
}

/** The one failure shape of the suite: `<action> failed: <what and how to fix>`, on one line. */
export function failureLine(action: string, error: unknown): string {
  return `${action} failed: ${blamingLine(error, (input) => `input '${input}'`)}`;
}

/**
 * The CLI's one line for a failure: the input at fault is named as its flag
 * (`--manifests-path: ...` where an action says `input 'manifests-path': ...`).
 */
export function cliFailureLine(error: unknown): string {
  return blamingLine(error, (input) => `--${input}`);
}
