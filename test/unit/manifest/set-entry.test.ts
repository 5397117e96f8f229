import { describe, expect, it } from '@jest/globals';
import {
  formatKeyPath,
  ManifestError,
  parseSetEntry,
  renderTemplate,
} from '../../../packages/manifest/index.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;

describe('parseSetEntry', () => {
  it.each([
    [
      'web.envSecrets[name=DD_VERSION].value={version}',
      [
        { kind: 'key', key: 'web' },
        { kind: 'key', key: 'envSecrets' },
        { kind: 'match', field: 'name', value: 'DD_VERSION' },
        { kind: 'key', key: 'value' },
      ],
      '{version}',
    ],
    [
      'api.image.tag={version}',
      [
        { kind: 'key', key: 'api' },
        { kind: 'key', key: 'image' },
        { kind: 'key', key: 'tag' },
      ],
      '{version}',
    ],
    [
      'containers[0].image={image}',
      [
        { kind: 'key', key: 'containers' },
        { kind: 'index', index: 0 },
        { kind: 'key', key: 'image' },
      ],
      '{image}',
    ],
    [
      '"vets-api".image.tag={tag}',
      [
        { kind: 'key', key: 'vets-api' },
        { kind: 'key', key: 'image' },
        { kind: 'key', key: 'tag' },
      ],
      '{tag}',
    ],
    [
      "'a.b'.c=x",
      [
        { kind: 'key', key: 'a.b' },
        { kind: 'key', key: 'c' },
      ],
      'x',
    ],
    [
      "'it''s'.c=x",
      [
        { kind: 'key', key: "it's" },
        { kind: 'key', key: 'c' },
      ],
      'x',
    ],
    [
      '"a\\"b".c=x',
      [
        { kind: 'key', key: 'a"b' },
        { kind: 'key', key: 'c' },
      ],
      'x',
    ],
    [
      'env[name="A B"].value=v={version}',
      [
        { kind: 'key', key: 'env' },
        { kind: 'match', field: 'name', value: 'A B' },
        { kind: 'key', key: 'value' },
      ],
      'v={version}',
    ],
    [
      '[1].a[2][0]=',
      [
        { kind: 'index', index: 1 },
        { kind: 'key', key: 'a' },
        { kind: 'index', index: 2 },
        { kind: 'index', index: 0 },
      ],
      '',
    ],
    [
      'x.y={sha}-{digest}',
      [
        { kind: 'key', key: 'x' },
        { kind: 'key', key: 'y' },
      ],
      '{sha}-{digest}',
    ],
  ])('parses %s', (raw, pathSegments, template) => {
    expect(parseSetEntry(raw)).toEqual({ raw, path: pathSegments, template });
  });

  it.each([
    ['a.b', /has no '='/],
    ['=x', /empty key/],
    ['a..b=x', /empty key/],
    ['a.=x', /empty key/],
    ['a.[0]=x', /expected a key after '\.'/],
    ['a[=x', /unknown selector|unclosed/],
    ['a[x]=1', /unknown selector \[x\]/],
    ['a[-1]=1', /unknown selector \[-1\]/],
    ['a[01]=1', /unknown selector \[01\]/],
    ['a[name!=x]=1', /unknown selector \[name!=x\]/],
    ['a[name==x]=1', /selector \[name==x\] needs a value/],
    ['a[name=]=1', /needs a value/],
    ['a[*]=1', /unknown selector \[\*\]/],
    ['"a.b=x', /unclosed "/],
    ['a b.c=x', /white space/],
    ['a"b=x', /unexpected '"'/],
    ['a.b={release}', /unknown placeholder \{release\}/],
    ['a.b={}', /unknown placeholder \{\}/],
  ])('refuses %s', (raw, message) => {
    expect(() => parseSetEntry(raw)).toThrow(ManifestError);
    expect(() => parseSetEntry(raw)).toThrow(message);
    expect(() => parseSetEntry(raw)).toThrow(`input 'set': entry '${raw}'`);
  });

  it('renders placeholders and refuses missing ones', () => {
    const entry = parseSetEntry('a={version}/{tag}/{image}/{sha}/{digest}');
    expect(
      renderTemplate(entry, { tag: 'v1', image: 'r/x:v1', sha: 'abc', digest: DIGEST_A }),
    ).toBe(`v1/v1/r/x:v1/abc/${DIGEST_A}`);
    expect(() => renderTemplate(entry, { tag: 'v1', image: 'r/x:v1', sha: 'abc' })).toThrow(
      /uses \{digest\} but no digest was given/,
    );
    expect(() => renderTemplate(entry, { tag: 'v1', image: 'r/x:v1' })).toThrow(
      /uses \{sha\} but no sha was given/,
    );
  });

  it('formats key paths that parse back', () => {
    const keyPath = formatKeyPath(['spec', 'template', 'initContainers', 0, 'image', 'a.b', 'x y']);
    expect(keyPath).toBe('spec.template.initContainers[0].image."a.b"."x y"');
    expect(parseSetEntry(`${keyPath}=v`).path).toHaveLength(7);
  });
});
