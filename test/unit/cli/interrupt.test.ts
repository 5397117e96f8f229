import { describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  interruptible,
  type SignalPort,
  type StopSignal,
} from '../../../packages/cli/interrupt.js';

/** A process's signals, raised by the test; exit codes recorded instead of ending jest. */
function fakeSignals() {
  const handlers = new Map<StopSignal, Set<() => void>>();
  const exits: number[] = [];
  const port: SignalPort = {
    on: (signal, handler) => {
      handlers.set(signal, (handlers.get(signal) ?? new Set()).add(handler));
    },
    off: (signal, handler) => {
      handlers.get(signal)?.delete(handler);
    },
    exit: (code) => {
      exits.push(code);
    },
  };
  const raise = (signal: StopSignal): void => {
    for (const handler of handlers.get(signal) ?? []) handler();
  };
  const listening = (): number => [...handlers.values()].reduce((sum, set) => sum + set.size, 0);
  return { port, exits, raise, listening };
}

/** A real child that runs until stopped, as docker build does; resolves with how it ended. */
function sleeper(running: Set<ChildProcess>) {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  running.add(child);
  const ended = new Promise<string | null>((done) => {
    child.on('close', (_code, signal) => {
      running.delete(child);
      done(signal);
    });
  });
  return { child, ended };
}

describe('interruptible: SIGINT and SIGTERM during a release', () => {
  it('passes the result through and stops listening when the work ends', async () => {
    const signals = fakeSignals();
    const result = await interruptible(() => Promise.resolve('released'), {
      signals: signals.port,
      running: new Set(),
      cleanUp: () => Promise.resolve(),
      cleanUpNow: () => undefined,
      notify: () => undefined,
    });
    expect(result).toBe('released');
    expect(signals.listening()).toBe(0);
    expect(signals.exits).toEqual([]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'on %s stops the children with it, cleans up, then exits %i',
    async (signal, code) => {
      const signals = fakeSignals();
      const running = new Set<ChildProcess>();
      const build = sleeper(running);
      const order: string[] = [];
      const work = interruptible(
        async () => {
          await build.ended;
          order.push('work ended');
          throw new Error('docker build exited 130');
        },
        {
          signals: signals.port,
          running,
          cleanUp: () => {
            order.push('clean-up');
            return Promise.resolve();
          },
          cleanUpNow: () => order.push('clean-up now'),
          notify: () => undefined,
        },
      );
      signals.raise(signal);
      await expect(work).rejects.toThrow('docker build exited 130');
      expect(await build.ended).toBe(signal);
      expect(order).toEqual(['clean-up', 'work ended']);
      expect(signals.exits).toEqual([code]);
    },
  );

  it('kills children that ignore the signal once the grace time is over', async () => {
    const signals = fakeSignals();
    const running = new Set<ChildProcess>();
    const child = spawn('sh', ['-c', 'trap "" INT; sleep 30'], { stdio: 'ignore' });
    running.add(child);
    const ended = new Promise<string | null>((done) =>
      child.on('close', (_c, s) => {
        done(s);
      }),
    );
    void interruptible(() => ended, {
      signals: signals.port,
      running,
      cleanUp: () => Promise.resolve(),
      cleanUpNow: () => undefined,
      notify: () => undefined,
      graceMs: 200,
    });
    await new Promise((done) => setTimeout(done, 100));
    signals.raise('SIGINT');
    expect(await ended).toBe('SIGKILL');
  });

  it('on a second signal during a clean-up that hangs, removes at once and exits', async () => {
    const signals = fakeSignals();
    const order: string[] = [];
    const notes: string[] = [];
    void interruptible(() => new Promise(() => undefined), {
      signals: signals.port,
      running: new Set(),
      // A docker logout that never returns.
      cleanUp: () => new Promise(() => undefined),
      cleanUpNow: () => order.push('clean-up now'),
      notify: (text) => notes.push(text),
    });
    signals.raise('SIGINT');
    await new Promise((done) => setTimeout(done, 20));
    expect(signals.exits).toEqual([]);
    signals.raise('SIGINT');
    expect(order).toEqual(['clean-up now']);
    expect(signals.exits).toEqual([130]);
    expect(notes.join('')).toContain('SIGINT again: removing the registry credentials now');
  });
});
