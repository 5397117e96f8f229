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
