import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import {
  parseImageName,
  parseSetEntry,
  rewriteYaml,
  type RewriteOptions,
} from '../../../packages/manifest/index.js';
import { VersionFormat } from '../../../packages/version/index.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

const drupal: RewriteOptions = { image: parseImageName('dsva/cms-drupal'), tag: 'v0.0.418' };

describe('rewriteYaml', () => {
  it('reports file, line, key path, old and new value', () => {
    const text = 'a: 1\nspec:\n  initContainers:\n    - image: dsva/cms-drupal:v0.0.417\n';
    const result = rewriteYaml(text, 'dir/deployment.yaml', drupal);
    expect(result.references).toEqual([
      {
        file: 'dir/deployment.yaml',
        line: 4,
        keyPath: 'spec.initContainers[0].image',
        kind: 'image',
        oldValue: 'dsva/cms-drupal:v0.0.417',
        newValue: 'dsva/cms-drupal:v0.0.418',
        changed: true,
        oldTag: 'v0.0.417',
        newTag: 'v0.0.418',
        downgrade: false,
      },
    ]);
    expect(result.text).toBe(text.replace('v0.0.417', 'v0.0.418'));
  });

  it('keeps a byte order mark', () => {
    const text = '\uFEFFimage: dsva/cms-drupal:v0.0.417\n';
    expect(rewriteYaml(text, 'v.yaml', drupal).text).toBe(
      '\uFEFFimage: dsva/cms-drupal:v0.0.418\n',
    );
  });

  it('changes an anchored value once, through its anchor, and reports every place it is', () => {
    const text = 'a: &i dsva/cms-drupal:v0.0.417\nb: *i\nc: [*i, *i]\n';
    const result = rewriteYaml(text, 'v.yaml', drupal);
    expect(result.text).toBe('a: &i dsva/cms-drupal:v0.0.418\nb: *i\nc: [*i, *i]\n');
    expect(result.edits).toHaveLength(1);
    expect(result.references).toHaveLength(4);
  });

  it('quotes a new value that would read as something else in plain style', () => {
    const options = { ...drupal, tag: '1e3' };
    expect(rewriteYaml('repository: dsva/cms-drupal\ntag: v1\n', 'v.yaml', options).text).toBe(
      'repository: dsva/cms-drupal\ntag: "1e3"\n',
    );
    // YAML 1.1 (Helm's Go parser) reads these as booleans.
    for (const tag of ['yes', 'no', 'on', 'off', 'y', 'n']) {
      const text = rewriteYaml('repository: dsva/cms-drupal\ntag: v1\n', 'v.yaml', {
        ...drupal,
        tag,
      }).text;
      expect(text).toBe(`repository: dsva/cms-drupal\ntag: "${tag}"\n`);
    }
  });

  it('refuses conflicting values for one scalar', () => {
    const text = 'repository: dsva/cms-drupal\ntag: v1\n';
    const set = [parseSetEntry('tag={sha}')];
    expect(() =>
      rewriteYaml(text, 'v.yaml', { ...drupal, set, placeholders: { sha: 'abc' } }),
    ).toThrow(/v\.yaml:2: conflicting new values 'v0\.0\.418' .* and 'abc'/);
    // The same value from detection and a set entry is fine.
    const same = rewriteYaml(text, 'v.yaml', { ...drupal, set: [parseSetEntry('tag={version}')] });
    expect(same.text).toBe('repository: dsva/cms-drupal\ntag: v0.0.418\n');
    expect(same.setHits).toEqual(new Set(['tag={version}']));
  });

  it('refuses a block scalar that holds the value more than once', () => {
    const text = 'script: |\n  dsva/cms-drupal:v0.0.417\n';
    expect(rewriteYaml(text, 'v.yaml', drupal).text).toBe(
      'script: |\n  dsva/cms-drupal:v0.0.418\n',
    );
    const set = [parseSetEntry('notes=x')];
    expect(() => rewriteYaml('notes: |\n  a\n  a\n', 'v.yaml', { ...drupal, set })).toThrow(
      /v\.yaml:1: a block scalar .* cannot be rewritten safely/,
    );
  });

  it('flags downgrades by the version format, hotfixes included', () => {
    const refs = (old: string, tag: string): boolean[] =>
      rewriteYaml(`image: dsva/cms-drupal:${old}\n`, 'v.yaml', { ...drupal, tag }).references.map(
        (reference) => reference.downgrade,
      );
    expect(refs('v0.0.420', 'v0.0.418')).toEqual([true]);
    expect(refs('v0.0.418-1', 'v0.0.418')).toEqual([true]);
    expect(refs('v0.0.418', 'v0.0.418-1')).toEqual([false]);
    expect(refs('latest', 'v0.0.1')).toEqual([false]);
    expect(refs('v0.0.420', 'sha-abc')).toEqual([false]);
    const format = VersionFormat.parse('release-{n}');
    const custom = rewriteYaml('image: dsva/cms-drupal:release-9\n', 'v.yaml', {
      ...drupal,
      tag: 'release-10',
      format,
    });
    expect(custom.references[0]?.downgrade).toBe(false);
  });

  it('treats Go templates as not YAML', () => {
    expect(() => rewriteYaml('a: {{ .Values.x }}\n', 'values.yaml', drupal)).toThrow(
      /values\.yaml: holds template directives/,
    );
    expect(() => rewriteYaml('a: "{{ .Values.x }}"\n', 'templates/x.yaml', drupal)).toThrow(
      /templates\/x\.yaml: is a Helm template/,
    );
    // A quoted template string in a values file is just a string; so is one in a comment.
    expect(rewriteYaml('a: "{{ .Values.x }}" # {{ y }}\n', 'values.yaml', drupal).text).toBe(
      'a: "{{ .Values.x }}" # {{ y }}\n',
    );
  });

  it('reports invalid YAML with its line', () => {
    expect(() => rewriteYaml('a: 1\nb: [\n', 'bad.yaml', drupal)).toThrow(
      /^bad\.yaml:\d+: is not valid YAML/,
    );
  });

  it('leaves keys alone even when they look like references', () => {
    const text = 'dsva/cms-drupal:v0.0.417: x\n';
    expect(rewriteYaml(text, 'v.yaml', drupal).text).toBe(text);
  });

  it('is a no-op on its own output', () => {
    const text = `images:\n  - name: dsva/cms-drupal\n  - {name: dsva/cms-drupal, digest: ${DIGEST_A}}\n`;
    const options = { ...drupal, digest: DIGEST_B };
    const once = rewriteYaml(text, 'kustomization.yaml', options).text;
    expect(once).toBe(
      `images:\n  - name: dsva/cms-drupal\n    newTag: v0.0.418\n    digest: ${DIGEST_B}\n  - {name: dsva/cms-drupal, digest: ${DIGEST_B}, newTag: v0.0.418}\n`,
    );
    const twice = rewriteYaml(once, 'kustomization.yaml', options);
    expect(twice.text).toBe(once);
    expect(twice.edits).toEqual([]);
    expect(twice.references.every((reference) => !reference.changed)).toBe(true);
  });

  it('keeps a number a number for set entries, and strings strings', () => {
    const text = 'replicas: 3\nname: "3"\n';
    const set = [parseSetEntry('replicas=4'), parseSetEntry('name=4')];
    const result = rewriteYaml(text, 'v.yaml', { ...drupal, set });
    expect(result.text).toBe('replicas: 4\nname: "4"\n');
    expect(parseAllDocuments(result.text)[0]?.toJS()).toEqual({ replicas: 4, name: '4' });
  });

  it('takes anchors and aliases in ordinary numbers, a cycle included', () => {
    const text = [
      'base: &base {image: dsva/cms-drupal:v0.0.417, pullPolicy: Always}',
      'web: *base',
      'worker: *base',
      'loop: &loop [*loop]',
      '',
    ].join('\n');
    expect(rewriteYaml(text, 'values.yaml', drupal).text).toBe(
      text.replace('v0.0.417', 'v0.0.418'),
    );
  });
});
