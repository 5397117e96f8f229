/**
 * A real `docker build` against the private dockerd, logged through the Actions edge's logger as
 * ecr-build-push logs it: whatever the Dockerfile prints must not act as a workflow command.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { actionLogger } from '../../actions/run-action.js';
import {
  createDockerConfigDir,
  DockerCli,
  processExec,
  type Exec,
} from '../../packages/docker/index.js';
import {
  BASE_IMAGE,
  describeWithDockerAndRegistry,
  ensureBaseImage,
  startDockerDaemon,
  type DockerDaemon,
} from '../support/docker/index.js';
import { honouredWorkflowCommands } from '../support/workflow-commands.js';

const describeReal = describeWithDockerAndRegistry('docker build output tests');

// What a Dockerfile (anyone who can push a branch that gets built) might print to act on the job.
const PRINTED = [
  '::add-mask::plain-text-the-build-wants-hidden',
  '::error title=forged::issued by the build',
  // A carriage return starts a new line for the runner, whatever prefix BuildKit put before it.
  'progress\\r::error::after a carriage return',
  '\\r::add-mask::after-a-carriage-return',
  '\\r::stop-commands::guessed-token',
  '\\r::guessed-token::',
  '\\r::warning::after a guessed end',
];

describeReal('docker build output through the Actions logger', () => {
  let daemon: DockerDaemon;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'docker-build-output-'));
    daemon = await startDockerDaemon();
    await ensureBaseImage(daemon);
  }, 120_000);

  afterAll(async () => {
    await daemon.stop();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('issues no workflow command from what the Dockerfile prints', async () => {
    const context = join(work, 'context');
    mkdirSync(context);
    writeFileSync(
      join(context, 'Dockerfile'),
      [`FROM ${BASE_IMAGE}`, `RUN printf '${PRINTED.join('\\n')}\\n'`, ''].join('\n'),
    );
    const exec: Exec = (command, args, options = {}) =>
      processExec(command, args, { ...options, env: { ...daemon.env, ...options.env } });
    const docker = new DockerCli({
      exec,
      logger: actionLogger,
      configDir: createDockerConfigDir(work),
    });
    const builder = await docker.detectBuilder();

    let stdout = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      stdout += String(chunk);
      return true;
    });
    try {
      await docker.build(
        { context, tags: ['local/printing:1'], network: 'none', noCache: true },
        builder,
      );
    } finally {
      spy.mockRestore();
    }

    // The build really printed them, and the runner would have read them as lines of their own.
    expect(stdout).toContain('::error title=forged::issued by the build');
    expect(stdout.split(/\r\n|\r|\n/)).toContain('::error::after a carriage return');
    // Read as the runner reads stdout: only the suite's own commands act.
    const honoured = honouredWorkflowCommands(stdout);
    expect(honoured.map((command) => command.name)).toEqual(['group', 'stop-commands', 'endgroup']);
    const token = honoured[1]?.data ?? '';
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const lines = stdout.split('\n');
    const start = lines.indexOf(`::stop-commands::${token}`);
    const end = lines.indexOf(`::${token}::`);
    expect(start).toBeGreaterThan(0);
    const inside = lines.slice(start + 1, end).join('\n');
    for (const text of ['issued by the build', 'after a guessed end', 'guessed-token']) {
      expect(inside).toContain(text);
    }
    expect(lines.slice(end + 1).join('\n')).not.toContain('issued by the build');
  }, 180_000);
});
