/** The logging port every package takes, so the Actions edge, the CLI and tests each plug in their own. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
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
