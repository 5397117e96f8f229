/** The manifest edit record: checked once, planned over sources, made again on a moved base. */
import { describe, expect, it } from '@jest/globals';
import { recordingLogger } from '../../../packages/kit/index.js';
import {
  parseManifestEdit,
  planManifestEdit,
  prepareManifestEdit,
  reapplyManifestEdit,
} from '../../../packages/manifest/index.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const DIGEST = `sha256:${'cd'.repeat(32)}`;
const values = (tag: string, ddVersion: string, replicas = 2): string =>
  [
    '# vsp-cms',
    'web:',
    `  replicas: ${String(replicas)}`,
    `  image: "008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms:${tag}"`,
    '  envSecrets:',
    '    - name: DD_VERSION',
    `      value: ${ddVersion}`,
    '',
  ].join('\n');

const record = {
  image: 'dsva/cms',
  tag: 'v0.0.418',
  set: ['web.envSecrets[name=DD_VERSION].value={version}-{sha}'],
  sha: SHA,
};

describe('the manifest edit record', () => {
  it('round-trips as JSON, as update-manifest hands it to open-manifest-pr', () => {
    const prepared = prepareManifestEdit({ ...record, format: 'v0.0.{n}' });
    const again = parseManifestEdit(JSON.stringify(prepared.record), 'edit');
    expect(again.record).toEqual(prepared.record);
    expect(again.record).toEqual({
      image: 'dsva/cms',
      tag: 'v0.0.418',
      set: ['web.envSecrets[name=DD_VERSION].value={version}-{sha}'],
      format: 'v0.0.{n}',
      sha: SHA,
      allowDowngrade: false,
    });
  });

  it.each<[string, string]>([
    ['not json', "input 'edit': is not JSON"],
    ['"v0.0.418"', "input 'edit': needs 'image' and 'tag'"],
    ['{"image": "dsva/cms"}', "input 'edit': needs 'image' and 'tag'"],
    ['{"image": "dsva/cms", "tag": 418}', "input 'edit': 'tag' must be a string"],
    ['{"image": "dsva/cms", "tag": "v0.0.418", "set": "a=b"}', "'set' must be a list"],
    ['{"image": "dsva/cms", "tag": "v0.0.418", "digest": "sha1:x"}', "input 'digest'"],
  ])('refuses %s naming the input', (json, message) => {
    expect(() => parseManifestEdit(json, 'edit')).toThrow(message);
  });

  it('refuses an allowed downgrade without a reason', () => {
    expect(() => prepareManifestEdit({ ...record, allowDowngrade: true })).toThrow(
      "input 'downgrade-reason'",
    );
  });
});

describe('reapplyManifestEdit: the same edit on a base someone changed', () => {
  // What a teammate merged while the release ran: a scale-up, on the old version.
  const moved = values('v0.0.417', 'v0.0.417-old', 3);

  it('applies the set entries and {sha}, and keeps their change', () => {
    const edit = prepareManifestEdit(record);
    expect(reapplyManifestEdit('values.yaml', moved, edit)).toBe(
      values('v0.0.418', `v0.0.418-${SHA}`, 3),
    );
  });

  it('pins the digest only when the edit carries one', () => {
    expect(reapplyManifestEdit('values.yaml', moved, prepareManifestEdit(record))).not.toContain(
      '@sha256',
    );
    expect(
      reapplyManifestEdit('values.yaml', moved, prepareManifestEdit({ ...record, digest: DIGEST })),
    ).toContain(`cms:v0.0.418@${DIGEST}"`);
  });

  it('refuses to move a base that went ahead meanwhile backwards', () => {
    const ahead = values('v0.0.420', 'x');
    expect(() => reapplyManifestEdit('values.yaml', ahead, prepareManifestEdit(record))).toThrow(
      /refusing to downgrade to v0\.0\.418: values\.yaml:4 .* holds v0\.0\.420/,
    );
  });
});

describe('planManifestEdit', () => {
  it('finds the references, the changes and the previous version; skips what cannot name the image', () => {
    const logger = recordingLogger();
    const plan = planManifestEdit(
      [
        { path: 'apps/cms/values.yaml', text: values('v0.0.417', 'v0.0.417'), explicit: false },
        { path: 'apps/other/values.yaml', text: 'image: other:v1\n', explicit: false },
      ],
      prepareManifestEdit({ image: 'dsva/cms', tag: 'v0.0.418' }),
      logger,
    );
    expect(plan.changedFiles).toEqual(['apps/cms/values.yaml']);
    expect(plan.previousVersion).toBe('v0.0.417');
    expect(plan.references.map((reference) => reference.keyPath)).toEqual(['web.image']);
    expect(plan.files.map((file) => file.file)).toEqual([
      'apps/cms/values.yaml',
      'apps/other/values.yaml',
    ]);
  });

  it('names a set entry that matches nothing', () => {
    expect(() =>
      planManifestEdit(
        [{ path: 'values.yaml', text: values('v0.0.417', 'x'), explicit: true }],
        prepareManifestEdit({ ...record, set: ['web.nothing={version}'] }),
        recordingLogger(),
      ),
    ).toThrow("input 'set': entry 'web.nothing={version}': the path is in no document");
  });
});
