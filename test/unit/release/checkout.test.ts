import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processExec } from '../../../packages/docker/index.js';
import {
  checkedCheckoutFile,
  filesChangedInCheckout,
  readCheckoutChange,
} from '../../../packages/release/checkout.js';

const scratch = mkdtempSync(join(tmpdir(), 'release-checkout-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** A real git checkout with one committed file, apps/values.yaml. */
function checkout(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'apps'), { recursive: true });
  writeFileSync(join(dir, 'apps/values.yaml'), 'a: 1\n');
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'init');
  return dir;
}

// Outside every checkout: what a link out of it would leak into the manifests repository.
const secret = join(scratch, 'secret.txt');
writeFileSync(secret, 'runner secret\n');

describe('checkedCheckoutFile: one rule for files named and files git found', () => {
  const dir = checkout('rule');
  symlinkSync('/etc/passwd', join(dir, 'passwd.yaml'));
  symlinkSync('/etc', join(dir, 'etc'));
  symlinkSync('apps/values.yaml', join(dir, 'inside.yaml'));
  symlinkSync('../no-such-file', join(dir, 'dangling.yaml'));

  it('takes files, links inside the checkout, and files not there (deleted) alike', () => {
    for (const origin of ['files', 'git'] as const) {
      expect(checkedCheckoutFile(dir, 'apps/values.yaml', origin)).toBe('apps/values.yaml');
      expect(checkedCheckoutFile(dir, 'inside.yaml', origin)).toBe('inside.yaml');
      expect(checkedCheckoutFile(dir, 'apps/removed.yaml', origin)).toBe('apps/removed.yaml');
    }
  });

  it.each(['passwd.yaml', 'etc/passwd', 'etc'])('refuses %s, a way out of the checkout', (file) => {
    expect(() => checkedCheckoutFile(dir, file, 'files')).toThrow(
      new RegExp(`^input 'files': "${file}" is a symlink to /etc`),
    );
    expect(() => checkedCheckoutFile(dir, file, 'git')).toThrow(
      new RegExp(
        `^input 'path': "${file}", changed or untracked in the checkout, is a symlink to /etc.*: delete it, or name the files to commit in 'files'$`,
      ),
    );
  });

  it('refuses a dangling link, which could be pointed anywhere before it is read', () => {
    expect(() => checkedCheckoutFile(dir, 'dangling.yaml', 'files')).toThrow(
      `input 'files': "dangling.yaml" is a symlink to ../no-such-file, which does not exist`,
    );
  });

  it.each(['../x.yaml', '/etc/passwd', 'apps/../../x.yaml', ''])(
    'refuses %j, outside the checkout',
    (file) => {
      expect(() => checkedCheckoutFile(dir, file, 'files')).toThrow(
        `input 'files': "${file}" is outside the checkout at 'path': give paths relative to it`,
      );
    },
  );
});

describe('filesChangedInCheckout and readCheckoutChange in a real git checkout', () => {
  it('finds the changed and the untracked files and reads them with their base', async () => {
    const dir = checkout('plain');
    writeFileSync(join(dir, 'apps/values.yaml'), 'a: 2\n');
    writeFileSync(join(dir, 'apps/new.yaml'), 'b: 1\n');
    const files = await filesChangedInCheckout(processExec, dir);
    expect(files).toEqual(['apps/new.yaml', 'apps/values.yaml']);
    const change = await readCheckoutChange(processExec, dir, files, 'git');
    expect(change.files).toEqual([
      { path: 'apps/new.yaml', before: undefined, after: 'b: 1\n' },
      { path: 'apps/values.yaml', before: 'a: 1\n', after: 'a: 2\n' },
    ]);
  });

  it.each([
    ['an absolute link', secret],
    ['a relative link', '../../secret.txt'],
  ])('refuses an untracked file that is %s out of the checkout, naming it', async (_, target) => {
    const dir = checkout(`leak-${String(Math.random()).slice(2)}`);
    mkdirSync(join(dir, 'prod'));
    symlinkSync(target, join(dir, 'prod/leak.yaml'));
    await expect(filesChangedInCheckout(processExec, dir)).rejects.toThrow(
      `input 'path': "prod/leak.yaml", changed or untracked in the checkout, is a symlink to ${secret}, outside the checkout at 'path': delete it, or name the files to commit in 'files'`,
    );
  });

  it('refuses a tracked link re-pointed out of the checkout', async () => {
    const dir = checkout('tracked-link');
    symlinkSync('apps/values.yaml', join(dir, 'link.yaml'));
    execFileSync('git', ['-C', dir, 'add', 'link.yaml']);
    execFileSync('git', [
      '-C',
      dir,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@t',
      'commit',
      '-qm',
      'link',
    ]);
    rmSync(join(dir, 'link.yaml'));
    symlinkSync(secret, join(dir, 'link.yaml'));
    await expect(filesChangedInCheckout(processExec, dir)).rejects.toThrow(/"link\.yaml".*outside/);
  });

  it('never reads through a link out of the checkout, even one swapped in after the check', async () => {
    const dir = checkout('swapped');
    writeFileSync(join(dir, 'apps/new.yaml'), 'b: 1\n');
    const files = await filesChangedInCheckout(processExec, dir);
    rmSync(join(dir, 'apps/new.yaml'));
    symlinkSync(secret, join(dir, 'apps/new.yaml'));
    await expect(readCheckoutChange(processExec, dir, files, 'git')).rejects.toThrow(
      /"apps\/new\.yaml", changed or untracked in the checkout, is a symlink to .*secret\.txt/,
    );
  });
});
