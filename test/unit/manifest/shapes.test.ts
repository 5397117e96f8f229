/**
 * Shapes found in manifests nobody here wrote: `<prefix>Image` + `<prefix>Tag` siblings, Flux
 * `Kustomization` `spec.images`, Argo Rollouts pod templates.
 */
import { describe, expect, it } from '@jest/globals';
import {
  parseImageName,
  rewriteYaml,
  type RewriteOptions,
} from '../../../packages/manifest/index.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const drupal: RewriteOptions = { image: parseImageName('dsva/cms-drupal'), tag: 'v0.0.418' };

describe('<prefix>Image + <prefix>Tag siblings', () => {
  it('takes image + imageTag (a common chart shape)', () => {
    const text = 'image: dsva/cms-drupal\nimageTag: "v0.0.417"\nimagePullPolicy: IfNotPresent\n';
    const result = rewriteYaml(text, 'values.yaml', drupal);
    expect(result.text).toBe(text.replace('v0.0.417', 'v0.0.418'));
    expect(result.references).toMatchObject([
      { keyPath: 'imageTag', line: 2, oldTag: 'v0.0.417', newTag: 'v0.0.418' },
    ]);
  });

  it('takes <prefix>Image with <prefix>ImageTag or <prefix>Tag, capitalised keys too', () => {
    const text = [
      'exporter:',
      '  sidecarImage: dsva/cms-drupal',
      '  sidecarTag: v0.0.417',
      '  initImage: dsva/cms-drupal',
      '  initImageTag: v0.0.417',
      'Master:',
      '  Image: dsva/cms-drupal',
      '  ImageTag: v0.0.417',
      'other:',
      '  sidecarImage: other/thing',
      '  sidecarTag: v0.0.417',
      '',
    ].join('\n');
    const result = rewriteYaml(text, 'values.yaml', drupal);
    expect(result.references.map((reference) => reference.keyPath)).toEqual([
      'exporter.sidecarTag',
      'exporter.initImageTag',
      'Master.ImageTag',
    ]);
    expect(result.text).toBe(
      text
        .replace(/v0\.0\.417/g, 'v0.0.418')
        .replace('other/thing\n  sidecarTag: v0.0.418', 'other/thing\n  sidecarTag: v0.0.417'),
    );
  });

  it('moves an <prefix>ImageDigest sibling by the digest rule', () => {
    const text = `image: dsva/cms-drupal\nimageTag: v1\nimageDigest: ${DIGEST_A}\n`;
    expect(rewriteYaml(text, 'values.yaml', { ...drupal, digest: DIGEST_B }).text).toBe(
      `image: dsva/cms-drupal\nimageTag: v0.0.418\nimageDigest: ${DIGEST_B}\n`,
    );
    const dropped = rewriteYaml(text, 'values.yaml', drupal);
    expect(dropped.text).toBe('image: dsva/cms-drupal\nimageTag: v0.0.418\nimageDigest: ""\n');
    expect(dropped.references[0]?.droppedDigest).toBe(DIGEST_A);
  });
});

describe('Flux Kustomization spec.images', () => {
  const flux = (images: string): string =>
    [
      'apiVersion: kustomize.toolkit.fluxcd.io/v1',
      'kind: Kustomization',
      'metadata:',
      '  name: cms',
      '  namespace: flux-system',
      'spec:',
      '  interval: 10m',
      '  path: ./deploy',
      '  sourceRef:',
      '    kind: GitRepository',
      '    name: cms',
      '  images:',
      images,
    ].join('\n');

  it('sets newTag (added when missing) and the digest, like a kustomization.yaml', () => {
    const text = flux(
      [
        '    - name: dsva/cms-drupal',
        '      newTag: v0.0.417',
        '    - name: placeholder',
        '      newName: dsva/cms-drupal',
        '    - name: other/thing',
        '      newTag: v0.0.417',
        '',
      ].join('\n'),
    );
    const result = rewriteYaml(text, 'clusters/prod/cms.yaml', drupal);
    expect(result.text).toBe(
      flux(
        [
          '    - name: dsva/cms-drupal',
          '      newTag: v0.0.418',
          '    - name: placeholder',
          '      newName: dsva/cms-drupal',
          '      newTag: v0.0.418',
          '    - name: other/thing',
          '      newTag: v0.0.417',
          '',
        ].join('\n'),
      ),
    );
    expect(result.references.map((reference) => [reference.kind, reference.keyPath])).toEqual([
      ['kustomize', 'spec.images[0].newTag'],
      ['kustomize', 'spec.images[1].newTag'],
    ]);
  });
});

describe('Argo Rollouts', () => {
  it('takes the containers of a Rollout pod template, tagless ones too', () => {
    const text = [
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Rollout',
      'metadata:',
      '  name: cms',
      'spec:',
      '  strategy:',
      '    canary:',
      '      steps:',
      '        - setWeight: 20',
      '        - pause: {duration: 10m}',
      '  template:',
      '    spec:',
      '      initContainers:',
      '        - name: migrate',
      '          image: dsva/cms-drupal',
      '      containers:',
      '        - name: cms',
      '          image: dsva/cms-drupal:v0.0.417',
      '',
    ].join('\n');
    const result = rewriteYaml(text, 'rollout.yaml', drupal);
    expect(result.text).toBe(
      text
        .replace('image: dsva/cms-drupal\n', 'image: dsva/cms-drupal:v0.0.418\n')
        .replace('v0.0.417', 'v0.0.418'),
    );
    expect(result.references.map((reference) => reference.keyPath)).toEqual([
      'spec.template.spec.initContainers[0].image',
      'spec.template.spec.containers[0].image',
    ]);
  });
});
