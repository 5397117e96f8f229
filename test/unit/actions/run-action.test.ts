import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { actionLogger, stopCommandsAround } from '../../../actions/run-action.js';
import { honouredWorkflowCommands } from '../../support/workflow-commands.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Everything written to the process's stdout while `work` runs: what the runner reads. */
async function stdoutOf(work: () => Promise<void>): Promise<string> {
  let written = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    written += String(chunk);
    return true;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return written;
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('actionLogger.untrusted', () => {
  const build = [
    '#5 0.21 ::add-mask::cms',
    '::error::from the build',
    'x\r::add-mask::hidden',
    '::stop-commands::guessed',
    '::guessed::',
    '::warning::after the guessed end',
  ];

  it('surrounds the untrusted lines with stop-commands and a new unguessable token', async () => {
    const { untrusted } = actionLogger;
    expect(untrusted).toBeDefined();
    const tokens: string[] = [];
    const stdout = await stdoutOf(async () => {
      for (let run = 0; run < 2; run++) {
        await untrusted?.(() => {
          for (const line of build) actionLogger.info(line);
          return Promise.resolve();
        });
      }
    });
    const lines = stdout.split('\n');
    for (const start of [0, build.length + 2]) {
      const token = /^::stop-commands::(.*)$/.exec(lines[start] ?? '')?.[1] ?? '';
      expect(token).toMatch(UUID);
      expect(lines.slice(start + 1, start + 1 + build.length)).toEqual(build);
      expect(lines[start + 1 + build.length]).toBe(`::${token}::`);
      tokens.push(token);
    }
    expect(tokens[0]).not.toBe(tokens[1]);
    expect(lines.at(-1)).toBe('');
    // Read as the runner reads it: only the suite's own stop-commands acts.
    expect(honouredWorkflowCommands(stdout).map((command) => command.name)).toEqual([
      'stop-commands',
      'stop-commands',
    ]);
  });

  it('without it, the same lines issue commands (what it guards against)', async () => {
    const stdout = await stdoutOf(() => {
      for (const line of build) actionLogger.info(line);
      return Promise.resolve();
    });
    expect(honouredWorkflowCommands(stdout).map((command) => command.name)).toEqual([
      'error',
      'add-mask',
      'stop-commands',
      'warning',
    ]);
  });

  it('returns the work result, and ends the stretch when the work throws', async () => {
    const written: string[] = [];
    const untrusted = stopCommandsAround(
      (text) => written.push(text),
      () => 'token-1',
    );
    await expect(untrusted(() => Promise.resolve(42))).resolves.toBe(42);
    await expect(untrusted(() => Promise.reject(new Error('build failed')))).rejects.toThrow(
      'build failed',
    );
    expect(written).toEqual([
      '::stop-commands::token-1\n',
      '::token-1::\n',
      '::stop-commands::token-1\n',
      '::token-1::\n',
    ]);
  });

  it('keeps commands stopped until the last of overlapping streams ends', async () => {
    const written: string[] = [];
    let count = 0;
    const untrusted = stopCommandsAround(
      (text) => written.push(text),
      () => `token-${String(++count)}`,
    );
    let endFirst = (): void => undefined;
    const first = untrusted(
      () =>
        new Promise<void>((resolve) => {
          endFirst = resolve;
        }),
    );
    const second = untrusted(async () => {
      endFirst();
      await first;
      written.push('second still streaming\n');
    });
    await Promise.all([first, second]);
    expect(written).toEqual([
      '::stop-commands::token-1\n',
      'second still streaming\n',
      '::token-1::\n',
    ]);
  });
});
