import { afterEach, describe, expect, it } from '@jest/globals';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { recordingLogger, silentLogger } from '../../packages/kit/index.js';
import { writeAllOrNothing } from '../../packages/manifest/files.js';
import { FileRewrite, markFlowScalars } from '../../packages/manifest/plan.js';
import { compileEdits, provedByTokens, verifyRewrite } from '../../packages/manifest/splice.js';
import { detectReferences } from '../../packages/manifest/detect.js';
import { PARSE_OPTIONS } from '../../packages/manifest/rewrite.js';
import {
  applyEdits,
  formatKeyPath,
  imageMatches,
  MAX_EXPANDED_NODES,
  MAX_MANIFEST_BYTES,
  isValidDigest,
  isValidDockerTag,
  ManifestError,
  parseImageName,
  parseImageReference,
  parseSetEntry,
  renderTemplate,
  rewriteYaml,
  unifiedDiff,
  updateManifests,
  type RewriteOptions,
} from '../../packages/manifest/index.js';
import { VersionFormat } from '../../packages/version/index.js';

const ECR = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com';
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

const drupal: RewriteOptions = { image: parseImageName('dsva/cms-drupal'), tag: 'v0.0.418' };

describe('parseImageReference', () => {
  it.each([
    ['nginx', { name: 'nginx', repository: 'nginx' }],
    ['nginx:1.25', { name: 'nginx', repository: 'nginx', tag: '1.25' }],
    [
      'dsva/cms-drupal:v0.0.417',
      { name: 'dsva/cms-drupal', repository: 'dsva/cms-drupal', tag: 'v0.0.417' },
    ],
    [
      `${ECR}/dsva/cms-drupal:v0.0.417`,
      {
        name: `${ECR}/dsva/cms-drupal`,
        registry: ECR,
        repository: 'dsva/cms-drupal',
        tag: 'v0.0.417',
      },
    ],
    [
      'localhost:5000/a/b:c',
      { name: 'localhost:5000/a/b', registry: 'localhost:5000', repository: 'a/b', tag: 'c' },
    ],
    ['localhost/a', { name: 'localhost/a', registry: 'localhost', repository: 'a' }],
    [
      '[::1]:5000/a/b:c',
      { name: '[::1]:5000/a/b', registry: '[::1]:5000', repository: 'a/b', tag: 'c' },
    ],
    ['Registry/a', { name: 'Registry/a', registry: 'Registry', repository: 'a' }],
    [`a/b:v1@${DIGEST_A}`, { name: 'a/b', repository: 'a/b', tag: 'v1', digest: DIGEST_A }],
    [`a/b@${DIGEST_A}`, { name: 'a/b', repository: 'a/b', digest: DIGEST_A }],
    ['a/b__c.d-e--f:_x', { name: 'a/b__c.d-e--f', repository: 'a/b__c.d-e--f', tag: '_x' }],
  ])('parses %s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each([
    '',
    'Dsva',
    'dsva/Cms',
    'a//b',
    'a/b:',
    'a/b:-x',
    'a/b:.x',
    `a/b:${'x'.repeat(129)}`,
    'a:b:c',
    'https://example.com/a/b:c',
    'a b',
    ' a/b',
    'a/b@sha256:short',
    'a/b@',
    '/a/b',
    'a/b/',
    'a/-b',
    'a/b_',
    'a/b...c',
    '-host.com/a',
    'host..com/a',
    '{{ .Values.image }}',
  ])('refuses %j', (text) => {
    expect(parseImageReference(text)).toBeUndefined();
  });
});

describe('parseImageName', () => {
  it('accepts a repository with or without registry', () => {
    expect(parseImageName('dsva/cms-drupal')).toEqual({ repository: 'dsva/cms-drupal' });
    expect(parseImageName(` ${ECR}/dsva/cms-drupal `)).toEqual({
      registry: ECR,
      repository: 'dsva/cms-drupal',
    });
  });

  it.each([
    [
      'dsva/cms-drupal:v1',
      /input 'image': 'dsva\/cms-drupal:v1' includes a tag; .*the tag in 'tag'/,
    ],
    [`dsva/cms-drupal@${DIGEST_A}`, /includes a digest; .*'digest'/],
    ['', /input 'image': is empty/],
    ['DSVA', /is not an image repository/],
    [
      'dsva/cms-drupal@sha256:abc',
      /'dsva\/cms-drupal@sha256:abc' is not an image repository \(it holds '@'\); give the repository alone \(dsva\/cms-drupal\) and the digest, sha256: and 64 hex digits, in 'digest'/,
    ],
  ])('refuses %j', (image, message) => {
    expect(() => parseImageName(image)).toThrow(ManifestError);
    expect(() => parseImageName(image)).toThrow(message);
  });
});

describe('tags and digests', () => {
  it.each(['v0.0.418', 'latest', '_x', '1', 'a'.repeat(128), 'v0.0.418-2', 'A_b.c-D'])(
    'valid tag %s',
    (tag) => {
      expect(isValidDockerTag(tag)).toBe(true);
    },
  );
  it.each(['', '-v1', '.v1', 'a'.repeat(129), 'v 1', 'v1/2', 'v1:2', 'é'])(
    'invalid tag %j',
    (tag) => {
      expect(isValidDockerTag(tag)).toBe(false);
    },
  );
  it('digests are sha256 and 64 lower-case hex digits', () => {
    expect(isValidDigest(DIGEST_A)).toBe(true);
    expect(isValidDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isValidDigest(`sha512:${'a'.repeat(64)}`)).toBe(false);
    expect(isValidDigest(`sha256:${'a'.repeat(63)}`)).toBe(false);
  });
});

describe('imageMatches', () => {
  const byText = (image: string, candidate: string): boolean => {
    const reference = parseImageReference(candidate);
    if (!reference) throw new Error(`bad test reference ${candidate}`);
    return imageMatches(parseImageName(image), reference);
  };

  it.each([
    ['dsva/cms-drupal', 'dsva/cms-drupal:v1', true],
    ['dsva/cms-drupal', `${ECR}/dsva/cms-drupal:v1`, true],
    [`${ECR}/dsva/cms-drupal`, 'dsva/cms-drupal:v1', true],
    [`${ECR}/dsva/cms-drupal`, `${ECR.toUpperCase()}/dsva/cms-drupal`, true],
    [
      `${ECR}/dsva/cms-drupal`,
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/dsva/cms-drupal',
      false,
    ],
    ['dsva/cms-drupal', 'dsva/cms-drupal-worker:v1', false],
    ['dsva/cms-drupal', 'other/dsva/cms-drupal:v1', false],
    ['dsva/cms-drupal', 'dsva/cms:v1', false],
    ['dsva/cms-drupal', 'cms-drupal:v1', false],
    ['localhost:5000/a', 'localhost:5001/a', false],
    ['nginx', 'docker.io/library/nginx:1', true],
    ['docker.io/library/nginx', 'nginx:1', true],
    ['index.docker.io/nginx', 'docker.io/library/nginx', true],
    ['nginx', 'quay.io/library/nginx:1', false],
  ])('%s vs %s: %s', (image, candidate, expected) => {
    expect(byText(image, candidate)).toBe(expected);
  });
});

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

  it('changes an anchored value once, through its anchor', () => {
    const text = 'a: &i dsva/cms-drupal:v0.0.417\nb: *i\nc: [*i, *i]\n';
    const result = rewriteYaml(text, 'v.yaml', drupal);
    expect(result.text).toBe('a: &i dsva/cms-drupal:v0.0.418\nb: *i\nc: [*i, *i]\n');
    expect(result.references).toHaveLength(1);
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
});

describe('verifyRewrite', () => {
  it('catches a result that changed more than the planned values', () => {
    const text = 'a: 1\nb: [x, *y]\n';
    const docs = parseAllDocuments(text, { keepSourceTokens: true });
    const rewrite = new FileRewrite(text, 'v.yaml', drupal);
    const verify = (output: string) => () => {
      verifyRewrite(rewrite, docs, output);
    };
    expect(verify(text)).not.toThrow();
    expect(verify('a: 1 # fine: comments are not data\nb: [x, *y]\n')).not.toThrow();
    expect(verify('a: 2\nb: [x, *y]\n')).toThrow(
      /^internal: rewriting v\.yaml would have changed more than the image references \("1" became "2" at 'a'\)/,
    );
    expect(verify('a: 1\nb: [x, *y]\nc: 3\n')).toThrow(/the keys of a mapping changed/);
    expect(verify('a: 1\nb: [x, *z]\n')).toThrow(/an alias changed at 'b\[1\]'/);
    expect(verify('a: 1\nb: [x]\n')).toThrow(/a list changed at 'b'/);
    expect(verify('a: 1\n---\nb: [x, *y]\n')).toThrow(/the number of documents changed/);
    expect(verify('a: [1\n')).toThrow(/the result is not valid YAML/);
  });
});

describe('verifyRewrite token proof', () => {
  /** rewriteYaml's steps, keeping the plan so the proof can be asked directly. */
  const planRewrite = (text: string, options: RewriteOptions = drupal) => {
    const docs = parseAllDocuments(text, PARSE_OPTIONS);
    const rewrite = new FileRewrite(text, 'v.yaml', options);
    for (const doc of docs) {
      markFlowScalars(rewrite, doc.contents, false);
      detectReferences({ rewrite, doc });
    }
    const edits = compileEdits(rewrite);
    return { docs, rewrite, edits, output: applyEdits(text, edits) };
  };
  const values = `# values\nimage: dsva/cms-drupal:v0.0.417 # release\nlist: [a, "b"]\nq: 'x'\n`;

  it('proves a plain scalar-for-scalar rewrite without parsing it again', () => {
    const { docs, rewrite, edits, output } = planRewrite(values);
    expect(output).toBe(values.replace('v0.0.417', 'v0.0.418'));
    expect(provedByTokens(rewrite, docs, output, edits)).toBe(true);
  });

  it.each([
    ['a key', (text: string) => text.replace('list:', 'lists:')],
    ['a flow item', (text: string) => text.replace('[a, "b"]', '[a, "c"]')],
    ['indentation', (text: string) => text.replace('q:', ' q:')],
    ['the new value itself', (text: string) => text.replace('v0.0.418', 'v0.0.419')],
    ['the new value into a key', (text: string) => text.replace('v0.0.418', 'v0.0.418: x')],
  ])('cannot prove an output that also changed %s', (_name, tamper) => {
    const { docs, rewrite, edits, output } = planRewrite(values);
    expect(provedByTokens(rewrite, docs, tamper(output), edits)).toBe(false);
    // and the full check, which then decides, refuses it
    expect(() => {
      verifyRewrite(rewrite, docs, tamper(output), edits);
    }).toThrow();
  });

  it('is stricter than the full check: a comment or a quoting style is a change too', () => {
    const { docs, rewrite, edits, output } = planRewrite(values);
    for (const tampered of [
      output.replace('# release', '# Release'),
      output.replace("'x'", '"x"'),
    ]) {
      expect(provedByTokens(rewrite, docs, tampered, edits)).toBe(false);
    }
  });

  it.each([
    ['a tagged value', 'image: !!str dsva/cms-drupal:v0.0.417\n'],
    ['a YAML 1.1 document', '%YAML 1.1\n---\nimage: dsva/cms-drupal:v0.0.417\n'],
    [
      'a digest key removed',
      `image:\n  repository: dsva/cms-drupal\n  tag: v0.0.417\n  digest: ${DIGEST_A}\n`,
    ],
  ])('leaves %s to the full check, which passes it', (_name, input) => {
    const { docs, rewrite, edits, output } = planRewrite(input);
    expect(edits.length).toBeGreaterThan(0);
    expect(provedByTokens(rewrite, docs, output, edits)).toBe(false);
    expect(() => {
      verifyRewrite(rewrite, docs, output, edits);
    }).not.toThrow();
    expect(output).toContain('v0.0.418');
    expect(output).not.toContain(DIGEST_A);
  });
});

describe('unifiedDiff', () => {
  const lines = (count: number): string =>
    Array.from({ length: count }, (_, index) => `line${String(index + 1)}\n`).join('');
  const replaceLine = (text: string, line: number, replacement: string) => {
    const start = text.indexOf(`line${String(line)}\n`);
    return { start, end: start + `line${String(line)}`.length, text: replacement };
  };

  it('writes headers, hunks with 3 lines of context and GNU ranges', () => {
    const before = lines(20);
    expect(unifiedDiff('a/values.yaml', before, [replaceLine(before, 10, 'ten')])).toBe(
      [
        '--- a/a/values.yaml',
        '+++ b/a/values.yaml',
        '@@ -7,7 +7,7 @@',
        ' line7',
        ' line8',
        ' line9',
        '-line10',
        '+ten',
        ' line11',
        ' line12',
        ' line13',
        '',
      ].join('\n'),
    );
  });

  it('joins changes whose context touches, splits the others', () => {
    const before = lines(30);
    const joined = unifiedDiff('x', before, [
      replaceLine(before, 2, 'two'),
      replaceLine(before, 8, 'eight'),
    ]);
    expect(joined.match(/^@@/gm)).toHaveLength(1);
    expect(joined).toContain('@@ -1,11 +1,11 @@');
    const split = unifiedDiff('x', before, [
      replaceLine(before, 2, 'two'),
      replaceLine(before, 10, 'ten'),
    ]);
    expect(split.match(/^@@ .* @@$/gm)).toEqual(['@@ -1,5 +1,5 @@', '@@ -7,7 +7,7 @@']);
  });

  it('groups adjacent changed lines and counts inserted lines', () => {
    const before = 'a\nb\nc\n';
    const diff = unifiedDiff('x', before, [
      { start: 0, end: 1, text: 'A' },
      { start: 2, end: 3, text: 'B' },
      { start: 4, end: 4, text: 'new\n' },
    ]);
    expect(diff).toBe('--- a/x\n+++ b/x\n@@ -1,3 +1,4 @@\n-a\n-b\n+A\n+B\n+new\n c\n');
  });

  it('marks a missing final newline', () => {
    const before = 'a\nb';
    expect(unifiedDiff('x', before, [{ start: 2, end: 3, text: 'c' }])).toBe(
      '--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n',
    );
    expect(unifiedDiff('x', before, [{ start: 3, end: 3, text: '\nc' }])).toBe(
      '--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n',
    );
  });

  it('keeps carriage returns and says nothing for no change', () => {
    expect(unifiedDiff('x', 'a\r\n', [{ start: 0, end: 1, text: 'b' }])).toBe(
      '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\r\n+b\r\n',
    );
    expect(unifiedDiff('x', 'a\n', [{ start: 0, end: 1, text: 'a' }])).toBe('');
    expect(unifiedDiff('x', 'a\n', [])).toBe('');
  });
});

describe('updateManifests', () => {
  let root = '';
  const temporaryDirectories: string[] = [];
  const makeRoot = async (files: Record<string, string>): Promise<string> => {
    const base = await mkdtemp(path.join(tmpdir(), 'manifest-unit-'));
    temporaryDirectories.push(base);
    root = path.join(base, 'root');
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), content);
    }
    await mkdir(root, { recursive: true });
    return root;
  };
  const read = (file: string): Promise<string> => readFile(path.join(root, file), 'utf8');
  const request = { image: 'dsva/cms-drupal', tag: 'v0.0.418', logger: silentLogger };

  afterEach(async () => {
    await Promise.all(
      temporaryDirectories
        .splice(0)
        .map((directory) => rm(directory, { recursive: true, force: true })),
    );
  });

  it.each([
    ['../x.yaml', /input 'files': '\.\.\/x\.yaml' is outside the root/],
    ['a/../../x.yaml', /is outside the root/],
    ['/etc/hosts', /input 'files': '\/etc\/hosts' is outside the root/],
    ['../**/*.yaml', /is outside the root/],
    ['/tmp/**/*.yaml', /is outside the root/],
  ])('refuses %s', async (entry, message) => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    await expect(updateManifests({ ...request, root, files: [entry] })).rejects.toThrow(message);
    expect(await read('values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
  });

  it('does not parse globbed files that never name the image, but still parses named ones', async () => {
    await makeRoot({
      'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      'other/broken.yaml': 'other: [unclosed\n',
    });
    const logger = recordingLogger();
    const result = await updateManifests({ ...request, root, logger });
    expect(result.changedFiles).toEqual(['values.yaml']);
    expect(logger.records.filter((record) => record.level === 'warning')).toEqual([]);
    await expect(
      updateManifests({ ...request, root, files: ['other/broken.yaml'], logger }),
    ).rejects.toThrow(/other\/broken\.yaml/);
  });

  it('refuses a symlink to a file outside the root, named or globbed', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    const outside = path.join(path.dirname(root), 'outside.yaml');
    await writeFile(outside, 'image: dsva/cms-drupal:v0.0.417\n');
    await symlink(outside, path.join(root, 'link.yaml'));
    await expect(updateManifests({ ...request, root, files: ['link.yaml'] })).rejects.toThrow(
      /input 'files': 'link\.yaml' is a symlink to .*outside the root/,
    );
    await expect(updateManifests({ ...request, root })).rejects.toThrow(/outside the root/);
    expect(await readFile(outside, 'utf8')).toBe('image: dsva/cms-drupal:v0.0.417\n');
    expect(await read('values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
  });

  it('does not follow a symlinked directory out of the root', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    const outside = path.join(path.dirname(root), 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'values.yaml'), 'image: dsva/cms-drupal:v0.0.417\n');
    await symlink(outside, path.join(root, 'linked'));
    const result = await updateManifests({ ...request, root });
    expect(result.changedFiles).toEqual(['values.yaml']);
    expect(await readFile(path.join(outside, 'values.yaml'), 'utf8')).toBe(
      'image: dsva/cms-drupal:v0.0.417\n',
    );
    await expect(
      updateManifests({ ...request, root, files: ['linked/values.yaml'] }),
    ).rejects.toThrow(/outside the root/);
  });

  it('writes through a symlink inside the root to its target, keeping the link', async () => {
    await makeRoot({ 'real/values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    await symlink('real/values.yaml', path.join(root, 'values.yaml'));
    const result = await updateManifests({ ...request, root });
    expect(result.changedFiles).toEqual(['real/values.yaml']);
    expect(await readlink(path.join(root, 'values.yaml'))).toBe('real/values.yaml');
    expect(await read('real/values.yaml')).toBe('image: dsva/cms-drupal:v0.0.418\n');
  });

  it('skips .git and node_modules by default', async () => {
    await makeRoot({
      'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      '.git/config.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      'node_modules/chart/values.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      'a/node_modules/values.yml': 'image: dsva/cms-drupal:v0.0.417\n',
      '.github/values.yml': 'image: dsva/cms-drupal:v0.0.417\n',
    });
    const result = await updateManifests({ ...request, root });
    expect(result.changedFiles).toEqual(['.github/values.yml', 'values.yaml']);
    expect(await read('.git/config.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
    expect(await read('node_modules/chart/values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
  });

  it('changes no file when one named file is bad (all or nothing)', async () => {
    await makeRoot({
      'a.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
      'b.yaml': 'image: dsva/cms-drupal:v0.0.417\n  bad: [\n',
      'c.yaml': 'image: dsva/cms-drupal:v0.0.417\n',
    });
    await expect(
      updateManifests({ ...request, root, files: ['a.yaml', 'b.yaml', 'c.yaml'] }),
    ).rejects.toThrow(/^b\.yaml:\d+: is not valid YAML/);
    for (const file of ['a.yaml', 'c.yaml']) {
      expect(await read(file)).toBe('image: dsva/cms-drupal:v0.0.417\n');
    }
    expect((await readdir(root)).sort()).toEqual(['a.yaml', 'b.yaml', 'c.yaml']);
  });

  it('keeps the file mode and leaves no temporary file', async () => {
    await makeRoot({ 'run.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    await chmod(path.join(root, 'run.yaml'), 0o751);
    await updateManifests({ ...request, root });
    expect((await stat(path.join(root, 'run.yaml'))).mode & 0o777).toBe(0o751);
    expect(await readdir(root)).toEqual(['run.yaml']);
  });

  it('writes nothing on a dry run but reports the diff', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    const result = await updateManifests({ ...request, root, dryRun: true });
    expect(result.changedFiles).toEqual(['values.yaml']);
    expect(result.diff).toBe(
      '--- a/values.yaml\n+++ b/values.yaml\n@@ -1 +1 @@\n-image: dsva/cms-drupal:v0.0.417\n+image: dsva/cms-drupal:v0.0.418\n',
    );
    expect(await read('values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
  });

  it('applies a set entry where its path exists, and refuses one that exists nowhere', async () => {
    await makeRoot({
      'a.yaml': 'web:\n  env:\n    - name: DD_VERSION\n      value: v0.0.417\n',
      'b.yaml': 'other: 1\n',
    });
    const set = ['web.env[name=DD_VERSION].value={version}'];
    const result = await updateManifests({ ...request, root, set });
    expect(result.changedFiles).toEqual(['a.yaml']);
    await expect(
      updateManifests({ ...request, root, set: [...set, 'web.nothing={version}'] }),
    ).rejects.toThrow(/input 'set': entry 'web\.nothing=\{version\}': the path is in no document/);
  });

  it('validates the request before reading files', async () => {
    await expect(updateManifests({ ...request, root: '/does/not/exist' })).rejects.toThrow(
      /input 'root': '\/does\/not\/exist' does not exist/,
    );
    await makeRoot({ 'file.yaml': 'a: 1\n' });
    await expect(
      updateManifests({ ...request, root: path.join(root, 'file.yaml') }),
    ).rejects.toThrow(/is not a directory/);
    await expect(updateManifests({ ...request, root, tag: ' ' })).rejects.toThrow(
      /input 'tag': is empty/,
    );
    await expect(updateManifests({ ...request, root, files: ['missing.yaml'] })).rejects.toThrow(
      /input 'files': 'missing\.yaml' does not exist/,
    );
    await expect(updateManifests({ ...request, root, set: ['a.b'] })).rejects.toThrow(
      /input 'set': entry 'a\.b': it has no '='/,
    );
  });

  it.each(['v0.0.x', 'v0.0.-1', 'v0.0.1--2', 'V0.0.418'])(
    'refuses tag %s, which looks like a version of the format but is not one',
    async (tag) => {
      await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
      await expect(updateManifests({ ...request, root, tag })).rejects.toThrow(
        `input 'tag': '${tag}' looks like a v0.0.{n} version but is not one; give a release tag, e.g. v0.0.418 (hotfix v0.0.418-1), or set 'format'`,
      );
      // Tags of another shape are the user's business.
      const other = await updateManifests({ ...request, root, tag: 'main-abc1234' });
      expect(other.changedFiles).toEqual(['values.yaml']);
    },
  );

  it('refuses a file over the size limit that it would parse, named or globbed', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    big.write('image: dsva/cms-drupal:v0.0.417\n');
    await writeFile(path.join(root, 'big.yaml'), big);
    const message = `input 'files': big.yaml is larger than the 2 MiB a manifest may be (2 MiB); leave it out of 'files'`;
    await expect(updateManifests({ ...request, root })).rejects.toThrow(message);
    await expect(updateManifests({ ...request, root, files: ['big.yaml'] })).rejects.toThrow(
      message,
    );
    expect(await read('values.yaml')).toBe('image: dsva/cms-drupal:v0.0.417\n');
    // A big file that never names the image is not parsed, so not refused.
    const unrelated = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    unrelated.write('crd: {}\n');
    await writeFile(path.join(root, 'big.yaml'), unrelated);
    expect((await updateManifests({ ...request, root })).changedFiles).toEqual(['values.yaml']);
  });

  it('refuses a YAML bomb it was told to edit, and skips one a glob found', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const name of 'bcdef') {
      const previous = levels.length === 1 ? 'a' : String.fromCharCode(name.charCodeAt(0) - 1);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const bomb = `${levels.join('\n')}\nimage: dsva/cms-drupal:v0.0.417\n`;
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n', 'bomb.yaml': bomb });
    await expect(updateManifests({ ...request, root, files: ['bomb.yaml'] })).rejects.toThrow(
      `bomb.yaml: has aliases that expand to more than ${String(MAX_EXPANDED_NODES)} nodes (a YAML bomb); Helm and Argo CD would expand them all`,
    );
    const logger = recordingLogger();
    const result = await updateManifests({ ...request, root, logger });
    expect(result.changedFiles).toEqual(['values.yaml']);
    expect(result.skipped).toEqual([
      {
        file: 'bomb.yaml',
        reason: `has aliases that expand to more than ${String(MAX_EXPANDED_NODES)} nodes (a YAML bomb)`,
      },
    ]);
    expect(await read('bomb.yaml')).toBe(bomb);
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

  it('warns about globs that match nothing and files that are not UTF-8', async () => {
    await makeRoot({ 'values.yaml': 'image: dsva/cms-drupal:v0.0.417\n' });
    await writeFile(path.join(root, 'latin1.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    const logger = recordingLogger();
    const result = await updateManifests({
      ...request,
      root,
      logger,
      files: ['*.yaml', 'nope/*.yml'],
    });
    expect(result.skipped).toEqual([{ file: 'latin1.yaml', reason: 'is not UTF-8 text' }]);
    expect(
      logger.records.filter((record) => record.level === 'warning').map((record) => record.message),
    ).toEqual([
      "files: 'nope/*.yml' matched no file",
      "latin1.yaml: is not UTF-8 text; fix the file or leave it out of 'files' (skipped)",
    ]);
  });
});

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
