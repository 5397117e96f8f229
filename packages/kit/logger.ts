/** A step of a longer run, e.g. the CLI's `[2/5] Manifests: ...`. */
export interface StepHeading {
  readonly step: string;
  /** 1-based position among `total` steps. */
  readonly index: number;
  readonly total: number;
  readonly title: string;
}

/**
 * The logging port every package takes, so the Actions edge, the CLI and tests each plug in their
 * own. `@actions/core` is one as it is; the optional parts are no-ops where a log has no groups or
 * steps.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Folds what follows (build and push output) under `name` until endGroup. */
  readonly startGroup?: (name: string) => void;
  readonly endGroup?: () => void;
  /** Announces the next step of a release. */
  readonly step?: (heading: StepHeading) => void;
  /**
   * Runs `work`, whose info lines carry text from outside the suite (a build's output), so that
   * nothing in that text can act on the log: on GitHub Actions no workflow command in it
   * (`::add-mask::`, `::error::`, `::stop-commands::`) is honoured. A log that reads no commands
   * (the CLI, tests) leaves it out; callers go through `untrustedOutput`.
   */
  readonly untrusted?: <T>(work: () => Promise<T>) => Promise<T>;
}

/** Runs `work`, whose info lines are untrusted text, through the logger's `untrusted` if it has one. */
export function untrustedOutput<T>(logger: Logger, work: () => Promise<T>): Promise<T> {
  return logger.untrusted === undefined ? work() : logger.untrusted(work);
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warning: () => undefined,
  error: () => undefined,
};

export interface RecordedLog {
  readonly level: keyof Logger;
  readonly message: string;
}

/** A logger that keeps what it was told, for tests that assert on warnings. */
export function recordingLogger(): Logger & { readonly records: RecordedLog[] } {
  const records: RecordedLog[] = [];
  const record =
    (level: keyof Logger) =>
    (message: string): void => {
      records.push({ level, message });
    };
  return {
    records,
    debug: record('debug'),
    info: record('info'),
    warning: record('warning'),
    error: record('error'),
  };
}
