/**
 * Shared anchors: an anchored tag (or map) changes every place that aliases it. That is refused when
 * one of those places is not a reference to this image, naming both places; otherwise every place
 * is reported as a reference.
 */
import { describe, expect, it } from '@jest/globals';
import {
  parseImageName,
  rewriteYaml,
  type RewriteOptions,
} from '../../../packages/manifest/index.js';

const drupal: RewriteOptions = { image: parseImageName('dsva/cms-drupal'), tag: 'v0.0.418' };
const lines = (...text: string[]): string => [...text, ''].join('\n');

describe('shared anchors', () => {
  it('refuses an anchored tag that another image aliases too, naming both places', () => {
    const text = lines(
      'shared-tag: &tag v0.0.417',
      'web:',
      '  image:',
      '    repository: dsva/cms-drupal',
      '    tag: *tag',
      'sidecar:',
      '  image:',
      '    repository: other/thing',
      '    tag: *tag',
    );
    expect(() => rewriteYaml(text, 'values.yaml', drupal)).toThrow(
      /values\.yaml:1 \(shared-tag\).*values\.yaml:9 \(sidecar\.image\.tag\).*other\/thing/,
    );
  });

  it('refuses an anchored tag aliased by a value that is no image reference', () => {
    const text = lines(
      'image:',
      '  repository: dsva/cms-drupal',
      '  tag: &tag v0.0.417',
      'chart:',
      '  appVersion: *tag',
    );
    expect(() => rewriteYaml(text, 'values.yaml', drupal)).toThrow(
      /values\.yaml:3 \(image\.tag\).*values\.yaml:5 \(chart\.appVersion\)/,
    );
  });

  it('refuses a merged map (<<: *defaults) whose tag another component uses with its own repository', () => {
    const text = lines(
      'defaults: &defaults',
      '  repository: dsva/cms-drupal',
      '  tag: v0.0.417',
      '  pullPolicy: IfNotPresent',
      'exporter:',
      '  <<: *defaults',
      '  repository: other/exporter',
    );
    expect(() => rewriteYaml(text, 'values.yaml', drupal)).toThrow(
      /values\.yaml:3 \(defaults\.tag\).*values\.yaml:6 \(exporter\.tag\).*other\/exporter/,
    );
  });

  it('reports every reference an anchored tag or map changes, when all are this image', () => {
    const text = lines(
      'shared-tag: &tag v0.0.417',
      'web:',
      '  repository: dsva/cms-drupal',
      '  tag: *tag',
      'worker:',
      '  repository: dsva/cms-drupal',
      '  tag: *tag',
      'defaults: &defaults',
      '  repository: dsva/cms-drupal',
      '  tag: v0.0.417',
      'cron:',
      '  <<: *defaults',
      '  schedule: "@daily"',
    );
    const result = rewriteYaml(text, 'values.yaml', drupal);
    expect(result.text).toBe(text.replaceAll('v0.0.417', 'v0.0.418'));
    expect(result.references.map((reference) => [reference.line, reference.keyPath])).toEqual([
      [4, 'web.tag'],
      [7, 'worker.tag'],
      [10, 'defaults.tag'],
      [12, 'cron.tag'],
    ]);
    expect(result.edits).toHaveLength(2);
  });

  it('reports every alias of an anchored full reference', () => {
    const text = 'a: &i dsva/cms-drupal:v0.0.417\nb: *i\nc: [*i, *i]\n';
    const result = rewriteYaml(text, 'v.yaml', drupal);
    expect(result.text).toBe('a: &i dsva/cms-drupal:v0.0.418\nb: *i\nc: [*i, *i]\n');
    expect(result.references.map((reference) => reference.keyPath)).toEqual([
      'a',
      'b',
      'c[0]',
      'c[1]',
    ]);
    expect(result.edits).toHaveLength(1);
  });
});
