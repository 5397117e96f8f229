import { describe, expect, it } from '@jest/globals';
import { cloneRepository, gitCredentialEnv } from '../../../packages/release/clone.js';

describe('gitCredentialEnv', () => {
  const header = `AUTHORIZATION: basic ${Buffer.from('x-access-token:ghs_t0ken').toString('base64')}`;

  it('gives git the token as a header in config entries of its environment, prompts off', () => {
    expect(gitCredentialEnv('ghs_t0ken', {})).toEqual({
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: header,
      GIT_CONFIG_KEY_1: 'http.followRedirects',
      GIT_CONFIG_VALUE_1: 'false',
      GIT_CONFIG_KEY_2: 'credential.helper',
      GIT_CONFIG_VALUE_2: '',
      GIT_TERMINAL_PROMPT: '0',
    });
  });

  it('appends after the entries already in the environment, never replacing one', () => {
    const env = gitCredentialEnv('ghs_t0ken', { GIT_CONFIG_COUNT: '2' });
    expect(env.GIT_CONFIG_COUNT).toBe('5');
    expect(env.GIT_CONFIG_KEY_2).toBe('http.extraHeader');
    expect(env.GIT_CONFIG_VALUE_2).toBe(header);
    expect(env).not.toHaveProperty('GIT_CONFIG_KEY_0');
    expect(gitCredentialEnv('t', { GIT_CONFIG_COUNT: 'x' }).GIT_CONFIG_COUNT).toBe('3');
  });
});

describe('cloneRepository', () => {
  it('refuses a ref git would read as an option, before running anything', async () => {
    const argv: string[][] = [];
    const attempt = cloneRepository(
      (command, args) => {
        argv.push([command, ...args]);
        return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' });
      },
      {
        serverUrl: 'https://github.com',
        repository: { owner: 'o', repo: 'manifests' },
        ref: '--upload-pack=touch /tmp/pwned',
        dir: '/nonexistent/checkout-manifests-unit',
        token: 'ghs_t0ken',
        env: {},
      },
    );
    await expect(attempt).rejects.toThrow(/not a branch, tag or commit name/);
    expect(argv).toEqual([]);
  });
});
