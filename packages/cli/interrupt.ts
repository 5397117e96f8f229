/**
 * Ctrl-C during a release. Without handlers Node dies at once on SIGINT or SIGTERM and leaves the
 * private DOCKER_CONFIG with its 12-hour ECR token behind; with them the release's children
 * (docker build or push) get the signal and are awaited, the clean-up removes the credentials,
 * and the process exits with the shells' code for the signal.
 */
import type { ChildProcess } from 'node:child_process';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** 128 + the signal's number, what a shell reports for a command the signal stopped. */
export const SIGNAL_EXIT_CODE: Readonly<Record<StopSignal, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
};

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** How the process hears a signal and ends: node:process, or a test's own. */
export interface SignalPort {
  readonly on: (signal: StopSignal, handler: () => void) => void;
  readonly off: (signal: StopSignal, handler: () => void) => void;
  readonly exit: (code: number) => void;
}

export const processSignals: SignalPort = {
  on: (signal, handler) => {
    process.on(signal, handler);
  },
  off: (signal, handler) => {
    process.off(signal, handler);
  },
  exit: (code) => {
    process.exit(code);
  },
};

export interface InterruptOptions {
  readonly signals: SignalPort;
  /** The children running now (docker build, push), stopped with the same signal. */
  readonly running: ReadonlySet<ChildProcess>;
  /** What must not stay behind; awaited after the first signal. */
  readonly cleanUp: () => Promise<void>;
  /** The same without waiting, for a second signal during the clean-up. */
  readonly cleanUpNow: () => void;
  readonly notify: (text: string) => void;
  /** How long the children get to stop before they are killed. Default 10 s. */
  readonly graceMs?: number;
}

function closed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) =>
    child.once('close', () => {
      done();
    }),
  );
}

async function stopChildren(
  running: ReadonlySet<ChildProcess>,
  signal: StopSignal,
  graceMs: number,
): Promise<void> {
  const children = [...running];
  const all = Promise.all(children.map(closed));
  for (const child of children) child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((done) => {
    timer = setTimeout(() => {
      done('late');
    }, graceMs);
  });
  if ((await Promise.race([all, late])) === 'late') {
    for (const child of children) child.kill('SIGKILL');
    await all;
  }
  clearTimeout(timer);
}

/**
 * Runs `work` with SIGINT and SIGTERM handled as the module comment says. A second signal during
 * the clean-up kills the children, runs cleanUpNow and exits at once: never worse than the first.
 */
export async function interruptible<T>(
  work: () => Promise<T>,
  options: InterruptOptions,
): Promise<T> {
  let stopping: Promise<void> | undefined;
  let code = 0;
  const onSignal = (signal: StopSignal): void => {
    if (stopping !== undefined) {
      options.notify(`${signal} again: removing the registry credentials now\n`);
      for (const child of options.running) child.kill('SIGKILL');
      try {
        options.cleanUpNow();
      } finally {
        options.signals.exit(code);
      }
      return;
    }
    code = SIGNAL_EXIT_CODE[signal];
    options.notify(`\n${signal}: stopping docker and removing the registry credentials\n`);
    const cleanUp = options.cleanUp().catch((error: unknown) => {
      options.notify(`could not remove the registry credentials: ${String(error)}\n`);
      options.cleanUpNow();
    });
    stopping = Promise.all([
      stopChildren(options.running, signal, options.graceMs ?? 10_000),
      cleanUp,
    ])
      .then(() => {
        options.notify(`stopped by ${signal}: the registry credentials are removed\n`);
      })
      .finally(() => {
        options.signals.exit(code);
      });
  };
  const handlers = new Map(
    STOP_SIGNALS.map((signal) => [
      signal,
      () => {
        onSignal(signal);
      },
    ]),
  );
  for (const [signal, handler] of handlers) options.signals.on(signal, handler);
  try {
    return await work();
  } finally {
    // Work that failed because its docker child was stopped ends here: the stop decides the exit.
    if (stopping !== undefined) await stopping;
    for (const [signal, handler] of handlers) options.signals.off(signal, handler);
  }
}
