import { describe, expect, it } from '@jest/globals';
import { runCli } from '../../packages/cli/cli.js';

async function cli(
  args: string[],
  stdin = '',
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdin: () => Promise.resolve(stdin),
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

const TAGS = [
  'latest',
  'v0.0.1000',
  'v0.0.999',
  'v0.0.417-1',
  'v0.0.417',
  'sha-abc',
  'v0.0.07',
  '',
].join('\n');

describe('gitops-release version', () => {
  it('sorts matching tags, oldest release first, dropping junk', async () => {
    expect(await cli(['version', 'sort'], TAGS)).toEqual({
      code: 0,
      out: 'v0.0.417\nv0.0.417-1\nv0.0.999\nv0.0.1000\n',
      err: '',
    });
  });

  it('keeps git tag prefixes when sorting and ignores tags without it', async () => {
    const result = await cli(
      ['version', 'sort', '--git-tag-prefix', 'cms/'],
      'cms/v0.0.10\r\nv0.0.50\ncms/v0.0.9\n',
    );
    expect(result.out).toBe('cms/v0.0.9\ncms/v0.0.10\n');
  });

  it('prints the next version, hotfix and start-at', async () => {
    expect((await cli(['version', 'next'], TAGS)).out).toBe('v0.0.1001\n');
    expect((await cli(['version', 'next', '--hotfix-of', 'v0.0.417'], TAGS)).out).toBe(
      'v0.0.417-2\n',
    );
    expect((await cli(['version', 'next', '--start-at', '50'], '')).out).toBe('v0.0.50\n');
    expect(
      (await cli(['version', 'next', '--format', 'release-{n}'], 'release-7\nv0.0.9')).out,
    ).toBe('release-8\n');
  });

  it.each([
    [['version', 'next', '--format', 'v0.0.'], /--format: "v0.0." must contain \{n\} exactly once/],
    [['version', 'next', '--start-at', '0'], /--start-at "0" is not a positive whole number/],
    [['version', 'next', '--hotfix-of', 'v0.0.5'], /release v0.0.5 does not exist/],
    [['version', 'next', '--bogus'], /Unknown option '--bogus'/],
    [['version', 'sort', '--hotfix-of', 'v0.0.1'], /belong to "version next"/],
    [['version', 'frobnicate'], /unknown command "version frobnicate"/],
    [['deploy'], /unknown command "deploy"/],
  ])('fails with one line and exit 1 for %j', async (args, message) => {
    const result = await cli(args, TAGS);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toMatch(message);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('documents every option in --help', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    for (const option of [
      '--format',
      '--git-tag-prefix',
      '--hotfix-of',
      '--start-at',
      'version sort',
      'version next',
    ]) {
      expect(result.out).toContain(option);
    }
    expect((await cli(['version', 'next', '--help'])).code).toBe(0);
  });
});
