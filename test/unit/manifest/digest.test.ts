/**
 * A reference pinned by a digest gets the new digest when one is given, and loses it (reported, so
 * the run can warn) only when none is: the same rule for every shape.
 */
import { describe, expect, it } from '@jest/globals';
import { recordingLogger } from '../../../packages/kit/index.js';
import {
  parseImageName,
  planManifestEdit,
  prepareManifestEdit,
  rewriteYaml,
  type RewriteOptions,
} from '../../../packages/manifest/index.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const drupal: RewriteOptions = { image: parseImageName('dsva/cms-drupal'), tag: 'v0.0.418' };
const withDigest: RewriteOptions = { ...drupal, digest: DIGEST_B };

const argoParameters = (tag: string): string =>
  [
    'apiVersion: argoproj.io/v1alpha1',
    'kind: Application',
    'spec:',
    '  source:',
    '    helm:',
    '      parameters:',
    '        - name: image.repository',
    '          value: dsva/cms-drupal',
    '        - name: image.tag',
    `          value: "${tag}"`,
    '',
  ].join('\n');

describe('pinned digests', () => {
  it('keeps a digest written into a split tag, with the new digest', () => {
    const text = `image:\n  repository: dsva/cms-drupal\n  tag: "1.2.3@${DIGEST_A}"\n`;
    const result = rewriteYaml(text, 'values.yaml', withDigest);
    expect(result.text).toBe(
      `image:\n  repository: dsva/cms-drupal\n  tag: "v0.0.418@${DIGEST_B}"\n`,
    );
    expect(result.references[0]).toMatchObject({
      oldTag: '1.2.3',
      oldValue: `1.2.3@${DIGEST_A}`,
      newValue: `v0.0.418@${DIGEST_B}`,
    });
    expect(result.references[0]?.droppedDigest).toBeUndefined();
  });

  it('drops a digest written into a split tag only without a new one, and says so', () => {
    const text = `image:\n  repository: dsva/cms-drupal\n  tag: "1.2.3@${DIGEST_A}"\n`;
    const result = rewriteYaml(text, 'values.yaml', drupal);
    expect(result.text).toBe('image:\n  repository: dsva/cms-drupal\n  tag: "v0.0.418"\n');
    expect(result.references[0]).toMatchObject({ oldTag: '1.2.3', droppedDigest: DIGEST_A });
  });

  it('does the same for an Argo CD image.tag parameter', () => {
    const pinned = rewriteYaml(argoParameters(`1.2.3@${DIGEST_A}`), 'app.yaml', withDigest);
    expect(pinned.text).toBe(argoParameters(`v0.0.418@${DIGEST_B}`));
    const unpinned = rewriteYaml(argoParameters(`1.2.3@${DIGEST_A}`), 'app.yaml', drupal);
    expect(unpinned.text).toBe(argoParameters('v0.0.418'));
    expect(unpinned.references[0]?.droppedDigest).toBe(DIGEST_A);
  });

  it('reports the digest it drops from full references, digest keys and kustomize entries', () => {
    const full = rewriteYaml(`image: dsva/cms-drupal:v1@${DIGEST_A}\n`, 'v.yaml', drupal);
    expect(full.references[0]?.droppedDigest).toBe(DIGEST_A);
    const split = rewriteYaml(
      `repository: dsva/cms-drupal\ntag: v1\ndigest: ${DIGEST_A}\n`,
      'v.yaml',
      drupal,
    );
    expect(split.text).toBe('repository: dsva/cms-drupal\ntag: v0.0.418\ndigest: ""\n');
    expect(split.references[0]?.droppedDigest).toBe(DIGEST_A);
    const kustomize = rewriteYaml(
      `images:\n  - name: dsva/cms-drupal\n    newTag: v1\n    digest: ${DIGEST_A}\n`,
      'kustomization.yaml',
      drupal,
    );
    expect(kustomize.references[0]?.droppedDigest).toBe(DIGEST_A);
    // Given a new digest, nothing is dropped anywhere.
    for (const text of [
      `image: dsva/cms-drupal:v1@${DIGEST_A}\n`,
      `repository: dsva/cms-drupal\ntag: v1\ndigest: ${DIGEST_A}\n`,
    ]) {
      const result = rewriteYaml(text, 'v.yaml', withDigest);
      expect(result.text).toContain(DIGEST_B);
      expect(result.references[0]?.droppedDigest).toBeUndefined();
    }
  });

  it('warns once per unpinned reference, naming where and how to keep the pin', () => {
    const logger = recordingLogger();
    planManifestEdit(
      [{ path: 'values.yaml', text: `image: dsva/cms-drupal:v1@${DIGEST_A}\n`, explicit: true }],
      prepareManifestEdit({ image: 'dsva/cms-drupal', tag: 'v0.0.418' }),
      logger,
    );
    const warnings = logger.records.filter((record) => record.level === 'warning');
    expect(warnings.map((record) => record.message)).toEqual([
      expect.stringMatching(/^values\.yaml:1 \(image\): dropped the digest sha256:a{64}.*'digest'/),
    ]);
  });
});
