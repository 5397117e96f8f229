/**
 * The fidelity corpus: every case under test/fixtures/manifests/<case>/ runs through
 * updateManifests on a temporary copy of input/, and every file must then equal expected/ byte for
 * byte (untouched files included). Error cases have no expected/: nothing may change at all.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordingLogger } from '../../../packages/kit/index.js';
import { updateManifests, type UpdateManifestsResult } from '../../../packages/manifest/index.js';
import { VersionFormat } from '../../../packages/version/index.js';

interface FixtureCase {
  readonly image: string;
  readonly tag: string;
  readonly digest?: string;
  readonly set?: string[];
  readonly files?: string[];
  readonly sha?: string;
  readonly format?: string;
  readonly allowDowngrade?: boolean;
  readonly downgradeReason?: string;
  /** Regular expression the error message must match; the case must then fail. */
  readonly expectError?: string;
  readonly expectReferences?: number;
  readonly expectChangedFiles?: string[];
  readonly expectPreviousVersion?: string;
  readonly expectDowngradeReason?: string;
  /** Regular expression one warning must match. */
  readonly expectWarning?: string;
}

const FIXTURES = fileURLToPath(new URL('../../fixtures/manifests/', import.meta.url));
const caseNames = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

function readCase(name: string): FixtureCase {
  return JSON.parse(readFileSync(path.join(FIXTURES, name, 'case.json'), 'utf8')) as FixtureCase;
}

async function listFiles(root: string, directory = root): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const absolute = path.join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, absolute)));
    else files.push(path.relative(root, absolute).split(path.sep).join('/'));
  }
  return files.sort();
}

async function expectSameTree(actualRoot: string, expectedRoot: string): Promise<void> {
  const actualFiles = await listFiles(actualRoot);
  expect(actualFiles).toEqual(await listFiles(expectedRoot));
  for (const file of actualFiles) {
    const actual = await readFile(path.join(actualRoot, file));
    const expected = await readFile(path.join(expectedRoot, file));
    // Compared as text first for a readable failure, then as bytes.
    expect({ file, text: actual.toString('utf8') }).toEqual({
      file,
      text: expected.toString('utf8'),
    });
    expect(actual.equals(expected)).toBe(true);
  }
}

const workDirectories: string[] = [];
afterAll(async () => {
  await Promise.all(
    workDirectories.map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

describe('manifest fidelity corpus', () => {
  it('has at least 40 cases', () => {
    expect(caseNames.length).toBeGreaterThanOrEqual(40);
  });

  it.each(caseNames)('%s', async (name) => {
    const fixture = readCase(name);
    const root = await mkdtemp(path.join(tmpdir(), `manifest-${name}-`));
    workDirectories.push(root);
    await cp(path.join(FIXTURES, name, 'input'), root, { recursive: true });
    const logger = recordingLogger();
    const run = (): Promise<UpdateManifestsResult> =>
      updateManifests({
        root,
        image: fixture.image,
        tag: fixture.tag,
        logger,
        ...(fixture.digest === undefined ? {} : { digest: fixture.digest }),
        ...(fixture.set === undefined ? {} : { set: fixture.set }),
        ...(fixture.files === undefined ? {} : { files: fixture.files }),
        ...(fixture.sha === undefined ? {} : { sha: fixture.sha }),
        ...(fixture.format === undefined ? {} : { format: VersionFormat.parse(fixture.format) }),
        ...(fixture.allowDowngrade === undefined ? {} : { allowDowngrade: fixture.allowDowngrade }),
        ...(fixture.downgradeReason === undefined
          ? {}
          : { downgradeReason: fixture.downgradeReason }),
      });

    if (fixture.expectError !== undefined) {
      await expect(run()).rejects.toThrow(new RegExp(fixture.expectError));
      await expectSameTree(root, path.join(FIXTURES, name, 'input'));
      return;
    }

    const result = await run();
    await expectSameTree(root, path.join(FIXTURES, name, 'expected'));
    if (fixture.expectReferences !== undefined) {
      expect(result.references).toHaveLength(fixture.expectReferences);
    }
    if (fixture.expectChangedFiles !== undefined) {
      expect(result.changedFiles).toEqual(fixture.expectChangedFiles);
    }
    if (fixture.expectPreviousVersion !== undefined) {
      expect(result.previousVersion).toBe(fixture.expectPreviousVersion);
    }
    expect(result.downgradeReason).toBe(fixture.expectDowngradeReason);
    if (fixture.expectWarning !== undefined) {
      const pattern = new RegExp(fixture.expectWarning);
      const warnings = logger.records.filter((record) => record.level === 'warning');
      expect(warnings.map((record) => record.message)).toContainEqual(
        expect.stringMatching(pattern),
      );
    }
    // Every changed file has a diff, every unchanged one none.
    for (const file of result.files) {
      expect(file.diff === '').toBe(!file.changed);
    }

    // A second run over the output is a no-op.
    const again = await updateManifests({
      root,
      image: fixture.image,
      tag: fixture.tag,
      logger: recordingLogger(),
      allowDowngrade: true,
      downgradeReason: 'second run',
      ...(fixture.digest === undefined ? {} : { digest: fixture.digest }),
      ...(fixture.set === undefined ? {} : { set: fixture.set }),
      ...(fixture.files === undefined ? {} : { files: fixture.files }),
      ...(fixture.sha === undefined ? {} : { sha: fixture.sha }),
      ...(fixture.format === undefined ? {} : { format: VersionFormat.parse(fixture.format) }),
    });
    expect(again.changedFiles).toEqual([]);
    await expectSameTree(root, path.join(FIXTURES, name, 'expected'));
  });
});
