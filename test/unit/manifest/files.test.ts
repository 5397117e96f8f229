import { describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeAllOrNothing } from '../../../packages/manifest/files.js';

describe('writeAllOrNothing', () => {
  it('puts back files already renamed when a later rename fails', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'manifest-write-'));
    try {
      await writeFile(path.join(directory, 'a.yaml'), 'old a\n');
      // A directory where a file is expected: the rename over it fails after a.yaml was renamed.
      await mkdir(path.join(directory, 'b.yaml'));
      await writeFile(path.join(directory, 'b.yaml', 'keep'), '');
      await expect(
        writeAllOrNothing([
          { absolutePath: path.join(directory, 'a.yaml'), before: 'old a\n', after: 'new a\n' },
          { absolutePath: path.join(directory, 'b.yaml'), before: '', after: 'new b\n' },
        ]),
      ).rejects.toThrow();
      expect(await readFile(path.join(directory, 'a.yaml'), 'utf8')).toBe('old a\n');
      expect((await readdir(directory)).sort()).toEqual(['a.yaml', 'b.yaml']);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('writes nothing when a temporary file cannot be written', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'manifest-write-'));
    try {
      await writeFile(path.join(directory, 'a.yaml'), 'old a\n');
      await expect(
        writeAllOrNothing([
          { absolutePath: path.join(directory, 'a.yaml'), before: 'old a\n', after: 'new a\n' },
          { absolutePath: path.join(directory, 'gone', 'b.yaml'), before: '', after: 'new b\n' },
        ]),
      ).rejects.toThrow();
      expect(await readFile(path.join(directory, 'a.yaml'), 'utf8')).toBe('old a\n');
      expect(await readdir(directory)).toEqual(['a.yaml']);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
