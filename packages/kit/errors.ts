/** Bad input: names the input, what is wrong and how to fix it, in one line. */
export class InputError extends Error {
  override name = 'InputError';
  readonly input: string;

  constructor(input: string, problem: string) {
    super(`input '${input}': ${problem}`);
    this.input = input;
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

/**
 * The input an error blames, for errors of packages that know it but do not speak in inputs
 * (e.g. a VersionError about `hotfix-of`); undefined when it names none.
 */
function blamedInput(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('input' in error)) return undefined;
  // Only an input-like name: an error must never get other data (say a command's stdin) printed.
  return typeof error.input === 'string' && /^[a-z][a-z0-9-]{0,39}$/.test(error.input)
    ? error.input
    : undefined;
}

/** The one failure shape of the suite: `<action> failed: <what and how to fix>`, on one line. */
export function failureLine(action: string, error: unknown): string {
  let message = errorMessage(error)
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  const input = blamedInput(error);
  if (input !== undefined && !message.startsWith(`input '${input}'`)) {
    message = `input '${input}': ${message}`;
  }
  return `${action} failed: ${message}`;
}
