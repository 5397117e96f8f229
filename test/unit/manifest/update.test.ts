import { afterEach, describe, expect, it } from '@jest/globals';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordingLogger, silentLogger } from '../../../packages/kit/index.js';
import {
  MAX_EXPANDED_NODES,
  MAX_MANIFEST_BYTES,
  updateManifests,
} from '../../../packages/manifest/index.js';

describe('updateManifests', () => {
  let root = '';
  const temporaryDirectories: string[] = [];
  const makeRoot = async (files: Record<string, string>): Promise<string> => {
    const base = await mkdtemp(path.join(tmpdir(), 'manifest-unit-'));
    temporaryDirectories.push(base);
    root = path.join(base, 'root');
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), content);
    }
    await mkdir(root, { recursive: true });
    return root;
  };
  const read = (file: string): Promise<string> => readFile(path.join(root, file), 'utf8');
  const request = { image: 'dsva/cms-drupal', tag: 'v0.0.418', logger: silentLogger };

  afterEach(async () => {
    await Promise.all(
      temporaryDirectories
        .splice(0)
        .map((directory) => rm(directory, { recursive: true, force: true })),
    );
  });

  it.each([
    ['../x.yaml', /input 'files': '\.\.\/x\.yaml' is outside the root/],
    ['a/../../x.yaml', /is outside the root/],
    ['/etc/hosts', /input 'files': '\/etc\/hosts' is outside the root/],
    ['../**/*.yaml', /is outside the root/],
    ['/tmp/**/*.yaml', /is outside the root/],
  ])('refuses %s', async (entry, message) => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    await expect(updateManifests({ ...request, root, files: [entry] })).rejects.toThrow(message);
    expect(await read('values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
  });

  it('does not parse globbed files that never name the image, but still parses named ones', async () => {
    await makeRoot({
      'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      'other/broken.yaml': 'other: [unclosed\n',
    });
    const logger = recordingLogger();
    const result = await updateManifests({ ...request, root, logger });
    expect(result.changedFiles).toEqual(['values.yaml']);
    expect(logger.records.filter((record) => record.level === 'warning')).toEqual([]);
    await expect(
      updateManifests({ ...request, root, files: ['other/broken.yaml'], logger }),
    ).rejects.toThrow(/other\/broken\.yaml/);
  });

  it('refuses a symlink to a file outside the root, named or globbed', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    const outside = path.join(path.dirname(root), 'outside.yaml');
    await writeFile(outside, 'image: dsva/cms-drupal:v0.0.417\n');
    await symlink(outside, path.join(root, 'link.yaml'));
    await expect(updateManifests({ ...request, root, files: ['link.yaml'] })).rejects.toThrow(
      /input 'files': 'link\.yaml' is a symlink to .*outside the root/,
    );
    await expect(updateManifests({ ...request, root })).rejects.toThrow(/outside the root/);
    expect(await readFile(outside, 'utf8')).toBe('image: dsva/cms-drupal:v0.0.417\n');
    expect(await read('values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
  });

  it('does not follow a symlinked directory out of the root', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    const outside = path.join(path.dirname(root), 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'values.yaml'), 'image: dsva/cms-drupal:v0.0.417\n');
    await symlink(outside, path.join(root, 'linked'));
    const result = await updateManifests({ ...request, root });
    expect(result.changedFiles).toEqual(['values.yaml']);
    expect(await readFile(path.join(outside, 'values.yaml'), 'utf8')).toBe(
      'image: dsva/cms-drupal:v0.0.417\n',
    );
    await expect(
      updateManifests({ ...request, root, files: ['linked/values.yaml'] }),
    ).rejects.toThrow(/outside the root/);
  });

  it('writes through a symlink inside the root to its target, keeping the link', async () => {
    await makeRoot({ 'real/values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    await symlink('real/values.yaml', path.join(root, 'values.yaml'));
    const result = await updateManifests({ ...request, root });
    expect(result.changedFiles).toEqual(['real/values.yaml']);
    expect(await readlink(path.join(root, 'values.yaml'))).toBe('real/values.yaml');
    expect(await read('real/values.yaml')).toBe('image: dsva/cms-drupal:v0.0.418\n');
  });

  it('skips .git and node_modules by default', async () => {
    await makeRoot({
      'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      '.git/config.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      'node_modules/chart/values.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      'a/node_modules/values.yml': 'image: dsva/cms-drupal:v0.0.417\n',
      '.github/values.yml': 'image: dsva/cms-drupal:v0.0.417\n',
    });
    const result = await updateManifests({ ...request, root });
    expect(result.changedFiles).toEqual(['.github/values.yml', 'values.yaml']);
    expect(await read('.git/config.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
    expect(await read('node_modules/chart/values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
  });

  it('changes no file when one named file is bad (all or nothing)', async () => {
    await makeRoot({
      'a.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      'b.yaml': 'image: dsva/cms-drupal:v0.0.417\n  bad: [\n',
      'c.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
    });
    await expect(
      updateManifests({ ...request, root, files: ['a.yaml', 'b.yaml', 'c.yaml'] }),
    ).rejects.toThrow(/^b\.yaml:\d+: is not valid YAML/);
    for (const file of ['a.yaml', 'c.yaml']) {
      expect(await read(file)).toBe('image: dsva/cms-drupal:v0.0.417\n');
    }
    expect((await readdir(root)).sort()).toEqual(['a.yaml', 'b.yaml', 'c.yaml']);
  });

  it('keeps the file mode and leaves no temporary file', async () => {
    await makeRoot({ 'run.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    await chmod(path.join(root, 'run.yaml'), 0o751);
    await updateManifests({ ...request, root });
    expect((await stat(path.join(root, 'run.yaml'))).mode & 0o777).toBe(0o751);
    expect(await readdir(root)).toEqual(['run.yaml']);
  });

  it('writes nothing on a dry run but reports the diff', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    const result = await updateManifests({ ...request, root, dryRun: true });
    expect(result.changedFiles).toEqual(['values.yaml']);
    expect(result.diff).toBe(
      '--- a/values.yaml\n+++ b/values.yaml\n@@ -1 +1 @@\n-image: dsva/cms-drupal:v0.0.417\n+image: dsva/cms-drupal:v0.0.418\n',
    );
    expect(await read('values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
  });

  it('applies a set entry where its path exists, and refuses one that exists nowhere', async () => {
    await makeRoot({
      'a.yaml': 'web:\n  env:\n    - name: DD_VERSION\n      value: v0.0.417\n',
      'b.yaml': 'other: 1\n',
    });
    const set = ['web.env[name=DD_VERSION].value={version}'];
    const result = await updateManifests({ ...request, root, set });
    expect(result.changedFiles).toEqual(['a.yaml']);
    await expect(
      updateManifests({ ...request, root, set: [...set, 'web.nothing={version}'] }),
    ).rejects.toThrow(/input 'set': entry 'web\.nothing=\{version\}': the path is in no document/);
  });

  it('validates the request before reading files', async () => {
    await expect(updateManifests({ ...request, root: '/does/not/exist' })).rejects.toThrow(
      /input 'root': '\/does\/not\/exist' does not exist/,
    );
    await makeRoot({ 'file.yaml': 'a: 1\n' });
    await expect(
      updateManifests({ ...request, root: path.join(root, 'file.yaml') }),
    ).rejects.toThrow(/is not a directory/);
    await expect(updateManifests({ ...request, root, tag: ' ' })).rejects.toThrow(
      /input 'tag': is empty/,
    );
    await expect(updateManifests({ ...request, root, files: ['missing.yaml'] })).rejects.toThrow(
      /input 'files': 'missing\.yaml' does not exist/,
    );
    await expect(updateManifests({ ...request, root, set: ['a.b'] })).rejects.toThrow(
      /input 'set': entry 'a\.b': it has no '='/,
    );
  });

  it.each(['v0.0.x', 'v0.0.-1', 'v0.0.1--2', 'V0.0.418'])(
    'refuses tag %s, which looks like a version of the format but is not one',
    async (tag) => {
      await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
      await expect(updateManifests({ ...request, root, tag })).rejects.toThrow(
        `input 'tag': '${tag}' looks like a v0.0.{n} version but is not one; give a release tag, e.g. v0.0.418 (hotfix v0.0.418-1), or set 'format'`,
      );
      // Tags of another shape are the user's business.
      const other = await updateManifests({ ...request, root, tag: 'main-abc1234' });
      expect(other.changedFiles).toEqual(['values.yaml']);
    },
  );

  it('refuses a file over the size limit that it would parse, named or globbed', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    big.write('image: dsva/cms-drupal:v0.0.417\n');
    await writeFile(path.join(root, 'big.yaml'), big);
    const message = `input 'files': big.yaml is larger than the 2 MiB a manifest may be (2 MiB); leave it out of 'files'`;
    await expect(updateManifests({ ...request, root })).rejects.toThrow(message);
    await expect(updateManifests({ ...request, root, files: ['big.yaml'] })).rejects.toThrow(
      message,
    );
    expect(await read('values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
    // A big file that never names the image is not parsed, so not refused.
    const unrelated = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    unrelated.write('crd: {}\n');
    await writeFile(path.join(root, 'big.yaml'), unrelated);
    expect((await updateManifests({ ...request, root })).changedFiles).toEqual(['values.yaml']);
  });

  it('refuses a YAML bomb it was told to edit, and skips one a glob found', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const name of 'bcdef') {
      const previous = levels.length === 1 ? 'a' : String.fromCharCode(name.charCodeAt(0) - 1);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const bomb = `${levels.join('\n')}\nimage: dsva/cms-drupal:v0.0.417\n`;
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n', 'bomb.yaml': bomb });
    await expect(updateManifests({ ...request, root, files: ['bomb.yaml'] })).rejects.toThrow(
      `bomb.yaml: has aliases that expand to more than ${String(MAX_EXPANDED_NODES)} nodes (a YAML bomb); Helm and Argo CD would expand them all`,
    );
    const logger = recordingLogger();
    const result = await updateManifests({ ...request, root, logger });
    expect(result.changedFiles).toEqual(['values.yaml']);
    expect(result.skipped).toEqual([
      {
        file: 'bomb.yaml',
        reason: `has aliases that expand to more than ${String(MAX_EXPANDED_NODES)} nodes (a YAML bomb)`,
      },
    ]);
    expect(await read('bomb.yaml')).toBe(bomb);
  });

  it('warns about globs that match nothing and files that are not UTF-8', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    await writeFile(path.join(root, 'latin1.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    const logger = recordingLogger();
    const result = await updateManifests({
      ...request,
      root,
      logger,
      files: ['*.yaml', 'nope/*.yml'],
    });
    expect(result.skipped).toEqual([{ file: 'latin1.yaml', reason: 'is not UTF-8 text' }]);
    expect(
      logger.records.filter((record) => record.level === 'warning').map((record) => record.message),
    ).toEqual([
      "files: 'nope/*.yml' matched no file",
      "latin1.yaml: is not UTF-8 text; fix the file or leave it out of 'files' (skipped)",
    ]);
  });
});
