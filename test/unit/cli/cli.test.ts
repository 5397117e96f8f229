import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../packages/cli/cli.js';

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

describe('gitops-release manifest set-image', () => {
  const IMAGE = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal';

  async function tree(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'cli-manifest-'));
    await writeFile(
      join(dir, 'values.yaml'),
      `# cms\ndeployment:\n  container:\n    image: "${IMAGE}:v0.0.417" # pinned\n`,
    );
    return dir;
  }

  it('edits in place and prints the changed files; a second run changes nothing', async () => {
    const dir = await tree();
    const result = await cli([
      'manifest',
      'set-image',
      '--image',
      IMAGE,
      '--tag',
      'v0.0.418',
      '--path',
      dir,
    ]);
    expect(result).toEqual({ code: 0, out: 'values.yaml\n', err: '' });
    expect(await readFile(`${dir}/values.yaml`, 'utf8')).toBe(
      `# cms\ndeployment:\n  container:\n    image: "${IMAGE}:v0.0.418" # pinned\n`,
    );
    const again = await cli([
      'manifest',
      'set-image',
      '--image',
      IMAGE,
      '--tag',
      'v0.0.418',
      '--path',
      dir,
    ]);
    expect(again).toEqual({ code: 0, out: '', err: '' });
  });

  it('prints the diff with --dry-run and JSON with --json, writing nothing', async () => {
    const dir = await tree();
    const before = await readFile(`${dir}/values.yaml`, 'utf8');
    const dry = await cli([
      'manifest',
      'set-image',
      '--image',
      'dsva/cms-drupal',
      '--tag',
      'v0.0.500',
      '--path',
      dir,
      '--dry-run',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('--- a/values.yaml');
    expect(dry.out).toContain(`+    image: "${IMAGE}:v0.0.500" # pinned`);
    const json = await cli([
      'manifest',
      'set-image',
      '--image',
      'dsva/cms-drupal',
      '--tag',
      'v0.0.500',
      '--path',
      dir,
      '--dry-run',
      '--json',
    ]);
    expect(JSON.parse(json.out)).toMatchObject({
      changedFiles: ['values.yaml'],
      previousVersion: 'v0.0.417',
      dryRun: true,
    });
    expect(await readFile(`${dir}/values.yaml`, 'utf8')).toBe(before);
  });

  it.each([
    [['--tag', 'v0.0.418'], /--image is required/],
    [['--image', IMAGE], /--tag is required/],
    [['--image', IMAGE, '--tag', 'v0.0.416'], /refusing to downgrade to v0.0.416/],
    [['--image', IMAGE, '--tag', 'v0.0.416', '--allow-downgrade'], /--reason: a downgrade needs/],
    [['--image', 'dsva/nothing', '--tag', 'v0.0.418'], /no reference to dsva\/nothing found/],
  ])('fails %j with one line and exit 1, nothing written', async (args, message) => {
    const dir = await tree();
    const before = await readFile(`${dir}/values.yaml`, 'utf8');
    const result = await cli(['manifest', 'set-image', '--path', dir, ...args]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(message);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(await readFile(`${dir}/values.yaml`, 'utf8')).toBe(before);
  });
});
