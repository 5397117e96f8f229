/**
 * Layered values files: a chart folder's `values.yaml` holds `image.repository` + `image.tag`, and
 * environment files layered on top (as Argo CD does) hold only `image.tag`. That tag is an override
 * of the same value: it changes too, or the run fails naming the file and the `set` entry that
 * would resolve it. It never passes while a file in scope overrides the tag it changed.
 */
import { describe, expect, it } from '@jest/globals';
import { recordingLogger } from '../../../packages/kit/index.js';
import {
  parseManifestEdit,
  planManifestEdit,
  prepareManifestEdit,
  reapplyManifestEdit,
  type ManifestSource,
} from '../../../packages/manifest/index.js';

const edit = prepareManifestEdit({ image: 'dsva/cms-drupal', tag: 'v0.0.418' });
const source = (path: string, text: string): ManifestSource => ({ path, text, explicit: false });
const base = source(
  'charts/cms/values.yaml',
  'image:\n  repository: dsva/cms-drupal\n  tag: v0.0.416\n  pullPolicy: IfNotPresent\n',
);

describe('layered values files', () => {
  it('changes the tag an environment file overrides, and says what it overrides', () => {
    const logger = recordingLogger();
    const plan = planManifestEdit(
      [
        base,
        source('charts/cms/values-prod.yaml', 'replicas: 3\nimage:\n  tag: v0.0.417 # prod\n'),
        source('charts/cms/values.staging.yaml', 'image:\n  tag: "v0.0.417"\n'),
        // Another folder, another chart: not an override.
        source('charts/other/values-prod.yaml', 'image:\n  tag: v0.0.1\n'),
        // The environment file names another image: its tag is that image's.
        source('charts/cms/values-dev.yaml', 'image:\n  repository: dsva/other\n  tag: v9\n'),
      ],
      edit,
      logger,
    );
    expect(plan.changedFiles).toEqual([
      'charts/cms/values.yaml',
      'charts/cms/values-prod.yaml',
      'charts/cms/values.staging.yaml',
    ]);
    expect(plan.changes[1]?.after).toBe('replicas: 3\nimage:\n  tag: v0.0.418 # prod\n');
    expect(plan.changes[2]?.after).toBe('image:\n  tag: "v0.0.418"\n');
    const override = plan.references.find(
      (reference) => reference.file === 'charts/cms/values-prod.yaml',
    );
    expect(override).toMatchObject({
      line: 3,
      keyPath: 'image.tag',
      oldTag: 'v0.0.417',
      newValue: 'v0.0.418',
      overrideOf: 'charts/cms/values.yaml:3 (image.tag)',
    });
    expect(logger.records.map((record) => record.message)).toContainEqual(
      expect.stringMatching(
        /charts\/cms\/values-prod\.yaml:3 \(image\.tag\): override of charts\/cms\/values\.yaml:3 \(image\.tag\)/,
      ),
    );
  });

  it('fails on an override it cannot read, naming the file and the set entry', () => {
    expect(() =>
      planManifestEdit(
        [base, source('charts/cms/values-prod.yaml', 'image:\n  tag:\n    prod: v0.0.417\n')],
        edit,
        recordingLogger(),
      ),
    ).toThrow(
      /charts\/cms\/values-prod\.yaml:3 \(image\.tag\) overrides .*charts\/cms\/values\.yaml:3.*'image\.tag=\{tag\}'/,
    );
  });

  it('guards a downgrade in an override like any reference', () => {
    expect(() =>
      planManifestEdit(
        [base, source('charts/cms/values-prod.yaml', 'image:\n  tag: v0.0.420\n')],
        edit,
        recordingLogger(),
      ),
    ).toThrow(
      /refusing to downgrade to v0\.0\.418: charts\/cms\/values-prod\.yaml:2 \(image\.tag\) holds v0\.0\.420/,
    );
  });

  it('hands the overrides on in the edit record, so a moved base gets them too', () => {
    const prod = source('charts/cms/values-prod.yaml', 'image:\n  tag: v0.0.417\n');
    const plan = planManifestEdit([base, prod], edit, recordingLogger());
    expect(plan.overrides).toEqual([
      {
        file: 'charts/cms/values-prod.yaml',
        keyPath: 'image.tag',
        of: 'charts/cms/values.yaml:3 (image.tag)',
      },
    ]);
    const record = { ...edit.record, overrides: plan.overrides };
    const again = parseManifestEdit(JSON.stringify(record), 'edit');
    // Someone added a line on the base meanwhile.
    const moved = '# prod\nimage:\n  tag: v0.0.417\n';
    expect(reapplyManifestEdit(prod.path, moved, again)).toBe('# prod\nimage:\n  tag: v0.0.418\n');
    expect(reapplyManifestEdit(prod.path, moved, edit)).toBe(moved);
    expect(() => parseManifestEdit(JSON.stringify({ ...record, overrides: [{}] }), 'edit')).toThrow(
      /'overrides' must be a list/,
    );
  });
});
