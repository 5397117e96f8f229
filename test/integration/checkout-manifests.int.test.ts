/**
 * The manifests token from Parameter Store to a checkout, all real: the SSM test server through the
 * real SDK, then git cloning over smart HTTP from the GitHub test server's repository with the token
 * in git's environment only. The exec port records every command line: the token is in none of them,
 * nor in the checkout's files.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { processExec, type Exec } from '../../packages/docker/index.js';
import { GitOpsError, recordingLogger } from '../../packages/kit/index.js';
import { cloneRepository } from '../../packages/release/clone.js';
import { readParameterSecret, SsmError } from '../../packages/ssm/index.js';
import {
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';
import { startSsmServer, type SsmTestServer } from '../support/ssm-server/index.js';

const REGION = 'us-gov-west-1';
const PARAMETER = '/devops/VA_VSP_BOT_GITHUB_TOKEN';
const TOKEN = 'ghs_manifests_bot_token_in_parameter_store';
const MANIFESTS = 'department-of-veterans-affairs/vsp-infra-application-manifests';

describe('the manifests checkout with the token from Parameter Store', () => {
  let github: GitHubTestServer;
  let ssm: SsmTestServer;
  let manifests: TestRepo;
  let workDir: string;
  const argv: string[] = [];
  const masked: string[] = [];
  const savedEnv = { ...process.env };
  const recordingExec: Exec = (command, args, options) => {
    argv.push([command, ...args].join(' '));
    return processExec(command, args, options);
  };
  const secretForms = [TOKEN, Buffer.from(`x-access-token:${TOKEN}`).toString('base64')];

  beforeAll(async () => {
    [github, ssm] = await Promise.all([startGitHubServer(), startSsmServer({ region: REGION })]);
    manifests = await github.createRepo(MANIFESTS);
    await manifests.commit('vsp-cms at v0.0.417', {
      'apps/vsp-cms/values.yaml': 'tag: v0.0.417\n',
    });
    // Any other token is refused by the repository, as a private one's is on GitHub.
    manifests.setTokenPermissions('ghs_someone_elses_token', { contents: 'none' });
    ssm.putParameter({ name: PARAMETER, value: TOKEN });
    process.env.AWS_ENDPOINT_URL_SSM = ssm.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'ASIAGITOPSCHECKOUT01';
    process.env.AWS_SECRET_ACCESS_KEY = 'not-a-real-secret-key-for-the-checkout';
    process.env.AWS_REGION = REGION;
    workDir = await mkdtemp(join(tmpdir(), 'checkout-manifests-'));
  });

  afterAll(async () => {
    process.env = savedEnv;
    await Promise.all([github.close(), ssm.close()]);
    await rm(workDir, { recursive: true, force: true });
  });

  const readToken = (): Promise<string> =>
    readParameterSecret({
      name: PARAMETER,
      input: 'token-parameter',
      env: process.env,
      maskSecret: (secret) => masked.push(secret),
      logger: recordingLogger(),
    });

  it('reads the token (masked), clones at the default branch, and leaves the token nowhere', async () => {
    const token = await readToken();
    expect(masked).toEqual([TOKEN]);
    const dir = join(workDir, 'manifests');
    // GitHub's own URL, pointed at the test server by the caller's git config: entries already
    // in GIT_CONFIG_* are kept, the token's are appended after them.
    const env = {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `url.${github.url}/.insteadOf`,
      GIT_CONFIG_VALUE_0: 'https://github.com/',
    };
    Object.assign(process.env, env);
    let commit: string;
    try {
      commit = await cloneRepository(recordingExec, {
        serverUrl: 'https://github.com',
        repository: {
          owner: 'department-of-veterans-affairs',
          repo: 'vsp-infra-application-manifests',
        },
        ref: '',
        dir,
        token,
        env: process.env,
      });
    } finally {
      delete process.env.GIT_CONFIG_COUNT;
      delete process.env.GIT_CONFIG_KEY_0;
      delete process.env.GIT_CONFIG_VALUE_0;
    }
    expect(commit).toBe(await manifests.head());
    expect(readFileSync(join(dir, 'apps/vsp-cms/values.yaml'), 'utf8')).toBe('tag: v0.0.417\n');
    // Every request the fetch made carried the token; none was refused.
    const fetched = github.requests.filter((request) => request.path.includes('.git/'));
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((request) => request.token === TOKEN && request.status === 200)).toBe(
      true,
    );
    for (const secret of secretForms) {
      expect(argv.join('\n')).not.toContain(secret);
      expect(readFileSync(join(dir, '.git/config'), 'utf8')).not.toContain(secret);
    }
    expect(readFileSync(join(dir, '.git/config'), 'utf8')).not.toMatch(/extraheader/i);
    // Only the parameter was read, once, with decryption.
    expect(ssm.requests.map((r) => [r.operation, r.names, r.withDecryption])).toEqual([
      ['GetParameter', [PARAMETER], true],
    ]);
  });

  it('fails in one line, without prompting, when the token cannot read the repository', async () => {
    const dir = join(workDir, 'refused');
    const attempt = cloneRepository(recordingExec, {
      serverUrl: github.url,
      repository: {
        owner: 'department-of-veterans-affairs',
        repo: 'vsp-infra-application-manifests',
      },
      ref: 'main',
      dir,
      token: 'ghs_someone_elses_token',
      env: {},
    });
    await expect(attempt).rejects.toThrow(GitOpsError);
    await expect(attempt).rejects.toThrow(
      /^could not check out main of department-of-veterans-affairs\/vsp-infra-application-manifests from .* \(git fetch: .*\): check the repository, the ref and that the token can read it$/,
    );
  });

  it('refuses a folder that is not empty', async () => {
    const attempt = cloneRepository(recordingExec, {
      serverUrl: github.url,
      repository: {
        owner: 'department-of-veterans-affairs',
        repo: 'vsp-infra-application-manifests',
      },
      ref: '',
      dir: join(workDir, 'manifests'),
      token: TOKEN,
      env: {},
    });
    await expect(attempt).rejects.toThrow(/the folder exists and is not empty/);
  });

  it('names kms:Decrypt when the token cannot be decrypted, before any git command', async () => {
    const before = argv.length;
    ssm.denyDecrypt({ kind: 'access-denied' });
    try {
      const error = await readToken().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SsmError);
      expect((error as SsmError).message).toContain(
        `input 'token-parameter': cannot decrypt parameter ${PARAMETER}: the AWS credentials lack kms:Decrypt`,
      );
    } finally {
      ssm.allowAll();
    }
    expect(argv.length).toBe(before);
  });
});
