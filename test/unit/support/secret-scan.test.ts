/**
 * The secret scan every end-to-end run goes through can fail: a fake action leaking its token
 * through each channel (stdout, stderr, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_STATE, the
 * command line of a child, its docker credentials) is caught, naming the channel and never the
 * secret; a well-behaved run (the token masked, credentials removed by post) passes. Also the
 * workflow runner's `run:` steps.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runAction, type RunActionOptions } from '../../support/action-runner.js';
import { SecretLeakError, secretForms, stepSecrets } from '../../support/secret-scan.js';
import { runWorkflow } from '../../support/workflow-runner/index.js';

const TOKEN = 'ghs_leakyTokenValue/with+special=chars0123';
const PASSWORD = 'eyJwYXlsb2FkIjoiZWNyLWxvZ2luIn0-registry';

/** A JavaScript action that leaks INPUT_TOKEN (or the extra password) through INPUT_CHANNEL. */
const LEAKY_MAIN = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const token = process.env.INPUT_TOKEN;
const password = process.env.LEAKY_LOGIN ?? '';
const append = (file, text) => fs.appendFileSync(process.env[file], text + '\n');
const configDir = () => {
  const dir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP, 'docker-config-'));
  append('GITHUB_STATE', 'docker-config=' + dir);
  return dir;
};
const login = (extra) => ({
  auths: { 'registry.test': { auth: Buffer.from('AWS:' + password).toString('base64'), ...extra } },
});
switch (process.env.INPUT_CHANNEL) {
  case 'stdout': console.log('token is ' + token); break;
  case 'stderr': console.error('token is ' + token); break;
  case 'output': append('GITHUB_OUTPUT', 'token=' + token); break;
  case 'summary': append('GITHUB_STEP_SUMMARY', '| token | ' + token + ' |'); break;
  case 'state': append('GITHUB_STATE', 'token=' + token); break;
  case 'env-file': append('GITHUB_ENV', 'LEAKED=' + token); break;
  // A child with the token on its command line for a while, as 'docker login -p' would be.
  case 'argv': spawnSync(process.execPath, ['-e', 'setTimeout(() => {}, 400)', token]); break;
  case 'url-encoded': console.log('https://x.test/?t=' + encodeURIComponent(token)); break;
  case 'basic-auth': console.log('Authorization: Basic ' + Buffer.from('x-access-token:' + token).toString('base64')); break;
  case 'password': console.log('docker auth ' + Buffer.from('AWS:' + password).toString('base64')); break;
  case 'aws': console.log('using ' + process.env.AWS_SECRET_ACCESS_KEY); break;
  case 'masked': console.log('::add-mask::' + token); console.log('logged in with ***'); break;
  case 'docker-config':
    fs.writeFileSync(path.join(configDir(), 'config.json'), JSON.stringify(login({})), { mode: 0o600 });
    break;
  case 'docker-config-password':
    fs.writeFileSync(path.join(configDir(), 'config.json'), JSON.stringify(login({ password })), { mode: 0o600 });
    break;
  case 'docker-config-readable':
    fs.writeFileSync(path.join(configDir(), 'config.json'), JSON.stringify(login({})), { mode: 0o644 });
    break;
  default: break;
}
`;

/** Removes the credentials directory unless told to keep it. */
const LEAKY_POST = String.raw`
const fs = require('node:fs');
const dir = process.env['STATE_docker-config'];
if (dir && process.env.INPUT_CHANNEL !== 'keep') fs.rmSync(dir, { recursive: true, force: true });
`;

const LEAKY_ACTION = [
  'name: leaky',
  'description: leaks its token on demand',
  'inputs:',
  '  token: { description: a secret, required: true }',
  '  channel: { description: where to leak it, required: true }',
  'runs:',
  '  using: node24',
  '  main: main.cjs',
  '  post: post.cjs',
  '',
].join('\n');

describe('secret scan', () => {
  let action: string;
  let runnerTemp: string;

  beforeAll(() => {
    action = mkdtempSync(join(tmpdir(), 'leaky-action-'));
    writeFileSync(join(action, 'action.yml'), LEAKY_ACTION);
    writeFileSync(join(action, 'main.cjs'), LEAKY_MAIN);
    writeFileSync(join(action, 'post.cjs'), LEAKY_POST);
    runnerTemp = mkdtempSync(join(tmpdir(), 'leaky-runner-temp-'));
  });

  afterAll(() => {
    rmSync(action, { recursive: true, force: true });
    rmSync(runnerTemp, { recursive: true, force: true });
  });

  const run = (channel: string, extra: Partial<RunActionOptions> = {}) =>
    runAction({
      action,
      node: process.execPath,
      inputs: { token: TOKEN, channel },
      env: { RUNNER_TEMP: runnerTemp, LEAKY_LOGIN: PASSWORD },
      secrets: [PASSWORD],
      ...extra,
    });

  /** The scan's error for a run that must leak. */
  async function leakOf(channel: string, extra: Partial<RunActionOptions> = {}): Promise<string> {
    const error = await run(channel, extra).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SecretLeakError);
    const message = (error as Error).message;
    // Named by where it came from, never shown.
    expect(message).not.toContain(TOKEN);
    expect(message).not.toContain(PASSWORD);
    return message;
  }

  it.each([
    ['stdout', 'input token (raw) in stdout'],
    ['stderr', 'input token (raw) in stderr'],
    ['output', 'input token (raw) in GITHUB_OUTPUT'],
    ['summary', 'input token (raw) in GITHUB_STEP_SUMMARY'],
    ['state', 'input token (raw) in GITHUB_STATE'],
    ['env-file', 'input token (raw) in GITHUB_ENV'],
    ['url-encoded', 'input token (url-encoded) in stdout'],
    ['basic-auth', 'input token (base64) in stdout'],
    ['password', 'secret #1 given to the scan (base64) in stdout'],
  ])('catches a leak through %s', async (channel, expected) => {
    expect(await leakOf(channel)).toContain(expected);
  });

  it('catches the token on the command line of a child process', async () => {
    const message = await leakOf('argv');
    expect(message).toMatch(
      /input token \(raw\) in argv of pid [0-9]+ \(.*setTimeout.*<input token>\)/,
    );
  });

  it('knows the secret environment variables without being told', async () => {
    const message = await leakOf('aws', {
      env: { RUNNER_TEMP: runnerTemp, AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY' },
    });
    expect(message).toContain('env AWS_SECRET_ACCESS_KEY (raw) in stdout');
  });

  it('lets a masked token through: ::add-mask:: is consumed by the runner, *** is fine', async () => {
    const masked = await run('masked');
    expect(masked.exitCode).toBe(0);
    expect(masked.stdout).toContain('logged in with ***');
    expect(masked.commands.length).toBeGreaterThan(0);
  });

  it('allows the login in config.json auths.*.auth until post, which must remove the directory', async () => {
    const main = await run('docker-config');
    const dir = main.state['docker-config'] ?? '';
    expect(dir).toContain('docker-config-');

    const kept = await leakOf('keep', { step: 'post', state: main.state });
    expect(kept).toContain(`DOCKER_CONFIG ${dir}, still there after the post step`);

    const post = await run('docker-config', { step: 'post', state: main.state });
    expect(post.exitCode).toBe(0);
  });

  it('catches the secret elsewhere in config.json, or credentials readable by others', async () => {
    expect(await leakOf('docker-config-password')).toMatch(
      /secret #1 given to the scan \(raw\) in .*config\.json \(outside auths\.\*\.auth\)/,
    );
    expect(await leakOf('docker-config-readable')).toMatch(
      /config\.json \(mode 644, readable by others\)/,
    );
  });

  it('finds base64 of the secret after any prefix, whatever its alignment', () => {
    for (const prefix of ['', 'A', 'AW', 'AWS:', 'x-access-token:']) {
      const encoded = Buffer.from(`${prefix}${PASSWORD}`).toString('base64');
      expect(secretForms(PASSWORD).some((form) => encoded.includes(form.text))).toBe(true);
    }
    // secret-envs names the variables holding BuildKit secrets.
    const secrets = stepSecrets(
      { 'secret-envs': 'npm=NPM_AUTH' },
      { NPM_AUTH: 'npm_0123456789abcdef' },
    );
    expect(secrets.map((secret) => secret.name)).toContain('env NPM_AUTH (secret-envs)');
  });
});

describe('secret scan in the workflow runner', () => {
  /** Runs a one-job workflow whose single step is `run`, with DEPLOY_TOKEN from its secrets. */
  async function leakOfWorkflow(run: string): Promise<string> {
    const workDir = mkdtempSync(join(tmpdir(), 'leaky-workflow-'));
    try {
      const error = await runWorkflow({
        workflow: {
          name: 'leaky.yml',
          text: [
            'on: workflow_dispatch',
            'permissions: {}',
            'jobs:',
            '  leak:',
            '    runs-on: ubuntu-latest',
            '    steps:',
            '      - name: Deploy',
            '        env:',
            '          DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}',
            `        run: ${run}`,
            '',
          ].join('\n'),
        },
        secrets: { DEPLOY_TOKEN: TOKEN },
        github: {
          repository: 'octo-org/app',
          sha: 'a'.repeat(40),
          event_name: 'workflow_dispatch',
        },
        services: {
          env: { PATH: process.env.PATH ?? '' },
          externalActions: {},
          jobToken: () => 'ghs_job_token_not_leaked_here',
        },
        workDir,
      }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(SecretLeakError);
      const message = (error as Error).message;
      expect(message).not.toContain(TOKEN);
      return message;
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }

  it('fails the run when a run: step prints a secret, naming the step and the job', async () => {
    const message = await leakOfWorkflow('echo "deploying with $DEPLOY_TOKEN"');
    expect(message).toContain('run: step Deploy of job leak');
    expect(message).toContain('env DEPLOY_TOKEN (raw) in log');
  });

  it('catches a secret on the command line of a process a run: step starts', async () => {
    const message = await leakOfWorkflow(`sh -c 'sleep 0.4' deploy "$DEPLOY_TOKEN"`);
    expect(message).toMatch(
      /env DEPLOY_TOKEN \(raw\) in argv of pid [0-9]+ \(sh -c sleep 0\.4 deploy <env DEPLOY_TOKEN>\)/,
    );
  });

  it('fails a job that leaves a docker credentials directory behind', async () => {
    const message = await leakOfWorkflow('mkdir -m 700 "$RUNNER_TEMP/docker-config-left"');
    expect(message).toMatch(
      /secret scan of job leak: .*docker-config-left, still there after the post step/s,
    );
  });
});
