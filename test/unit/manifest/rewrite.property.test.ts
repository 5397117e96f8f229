/**
 * Property: for generated YAML holding references in random places and styles (quoting, flow and
 * block collections, comments, CRLF, several documents), the rewrite parses to the same data except
 * the references, every splice lies inside a reference, and rewriting the output changes nothing.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { parseImageName, rewriteYaml } from '../../../packages/manifest/index.js';

const HOST = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com';
const OLD_DIGEST = `sha256:${'a'.repeat(64)}`;
const NEW_DIGEST = `sha256:${'b'.repeat(64)}`;
const NEW_TAG = 'v0.0.418';

type ScalarStyle = 'plain' | 'single' | 'double';

interface ScalarModel {
  readonly kind: 'scalar';
  readonly value: string | number | boolean;
  readonly style: ScalarStyle;
  readonly comment: boolean;
}

interface ReferenceModel {
  readonly kind: 'reference';
  readonly host: boolean;
  readonly tag: string;
  readonly digest: boolean;
  readonly style: ScalarStyle;
  readonly comment: boolean;
}

/** `repository:` + `tag:` siblings. */
interface SplitModel {
  readonly kind: 'split';
  readonly tag: string | number;
  readonly tagStyle: ScalarStyle;
  readonly flow: boolean;
  readonly extra: boolean;
}

interface MapModel {
  readonly kind: 'map';
  readonly entries: readonly { key: string; value: Model; commentBefore: boolean }[];
  readonly flow: boolean;
}

interface SeqModel {
  readonly kind: 'seq';
  readonly items: readonly Model[];
  readonly flow: boolean;
}

type Model = ScalarModel | ReferenceModel | SplitModel | MapModel | SeqModel;

interface Scenario {
  readonly documents: readonly MapModel[];
  readonly crlf: boolean;
  readonly finalNewline: boolean;
  readonly newDigest: boolean;
}

const styleArbitrary = fc.constantFrom<ScalarStyle>('plain', 'single', 'double');
// Plain-safe words; near misses of the image must stay untouched.
const wordArbitrary = fc.constantFrom(
  'alpha',
  'hello world',
  'x1',
  'dsva/cms-drupal-worker:v0.0.5',
  'other/dsva/cms-drupal:v0.0.5',
  'dsva/cms-drupal',
  `${HOST}/dsva/cms:v0.0.5`,
);
const keyArbitrary = fc.constantFrom(
  'alpha',
  'beta',
  'web',
  'worker',
  'api',
  'cron',
  'env',
  'data',
);
const oldTagArbitrary = fc.oneof(
  fc.integer({ min: 1, max: 417 }).map((n) => `v0.0.${String(n)}`),
  fc.constantFrom('latest', 'sha-4f2a9c1', 'v0.0.12-3'),
);

const scalarArbitrary: fc.Arbitrary<ScalarModel> = fc.record({
  kind: fc.constant('scalar' as const),
  value: fc.oneof(wordArbitrary, fc.integer({ min: 0, max: 1000 }), fc.boolean()),
  style: styleArbitrary,
  comment: fc.boolean(),
});

const referenceArbitrary: fc.Arbitrary<ReferenceModel> = fc.record({
  kind: fc.constant('reference' as const),
  host: fc.boolean(),
  tag: oldTagArbitrary,
  digest: fc.boolean(),
  style: styleArbitrary,
  comment: fc.boolean(),
});

const splitArbitrary: fc.Arbitrary<SplitModel> = fc.record({
  kind: fc.constant('split' as const),
  tag: fc.oneof(oldTagArbitrary, fc.integer({ min: 1, max: 417 })),
  tagStyle: styleArbitrary,
  flow: fc.boolean(),
  extra: fc.boolean(),
});

function mapArbitrary(depth: number): fc.Arbitrary<MapModel> {
  return fc.record({
    kind: fc.constant('map' as const),
    entries: fc.uniqueArray(
      fc.record({ key: keyArbitrary, value: modelArbitrary(depth), commentBefore: fc.boolean() }),
      { selector: (entry) => entry.key, minLength: 1, maxLength: 4 },
    ),
    flow: fc.boolean(),
  });
}

function seqArbitrary(depth: number): fc.Arbitrary<SeqModel> {
  return fc.record({
    kind: fc.constant('seq' as const),
    items: fc.array(modelArbitrary(depth), { minLength: 1, maxLength: 3 }),
    flow: fc.boolean(),
  });
}

function modelArbitrary(depth: number): fc.Arbitrary<Model> {
  if (depth === 0) return fc.oneof(scalarArbitrary, referenceArbitrary, splitArbitrary);
  return fc.oneof(
    scalarArbitrary,
    referenceArbitrary,
    splitArbitrary,
    mapArbitrary(depth - 1),
    seqArbitrary(depth - 1),
  );
}

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  documents: fc.array(
    mapArbitrary(2).map((map) => ({ ...map, flow: false })),
    { minLength: 1, maxLength: 3 },
  ),
  crlf: fc.boolean(),
  finalNewline: fc.boolean(),
  newDigest: fc.boolean(),
});

// --- rendering -----------------------------------------------------------------------------

function quote(text: string, style: ScalarStyle): string {
  if (style === 'single') return `'${text}'`;
  if (style === 'double') return `"${text}"`;
  return text;
}

function referenceText(model: ReferenceModel): string {
  const name = `${model.host ? `${HOST}/` : ''}dsva/cms-drupal`;
  return `${name}:${model.tag}${model.digest ? `@${OLD_DIGEST}` : ''}`;
}

function inline(model: Model): string {
  switch (model.kind) {
    case 'scalar':
      return quote(String(model.value), model.style);
    case 'reference':
      return quote(referenceText(model), model.style);
    case 'split':
      return `{repository: dsva/cms-drupal, tag: ${quote(String(model.tag), model.tagStyle)}${model.extra ? ', pullPolicy: Always' : ''}}`;
    case 'map':
      return `{${model.entries.map((entry) => `${entry.key}: ${inline(entry.value)}`).join(', ')}}`;
    case 'seq':
      return `[${model.items.map(inline).join(', ')}]`;
  }
}

function isInline(model: Model): boolean {
  return model.kind === 'scalar' || model.kind === 'reference' || model.flow;
}

function sameLineComment(model: Model): string {
  return (model.kind === 'scalar' || model.kind === 'reference') && model.comment ? ' # note' : '';
}

function renderBlock(model: Model, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  if (model.kind === 'split') {
    lines.push(
      `${pad}repository: dsva/cms-drupal`,
      `${pad}tag: ${quote(String(model.tag), model.tagStyle)}`,
    );
    if (model.extra) lines.push(`${pad}pullPolicy: Always # why not`);
  } else if (model.kind === 'map') {
    for (const entry of model.entries) {
      if (entry.commentBefore) lines.push(`${pad}# about ${entry.key}`);
      if (isInline(entry.value)) {
        lines.push(`${pad}${entry.key}: ${inline(entry.value)}${sameLineComment(entry.value)}`);
      } else {
        lines.push(`${pad}${entry.key}:`);
        renderBlock(entry.value, indent + 2, lines);
      }
    }
  } else if (model.kind === 'seq') {
    for (const item of model.items) {
      if (isInline(item)) {
        lines.push(`${pad}- ${inline(item)}${sameLineComment(item)}`);
        continue;
      }
      const nested: string[] = [];
      renderBlock(item, indent + 2, nested);
      const [first, ...rest] = nested;
      if (first !== undefined && !first.trimStart().startsWith('#')) {
        lines.push(`${pad}- ${first.slice(indent + 2)}`, ...rest);
      } else {
        lines.push(`${pad}-`, ...nested);
      }
    }
  }
}

function render(scenario: Scenario): string {
  const lines: string[] = ['# generated'];
  scenario.documents.forEach((document, index) => {
    if (index > 0) lines.push(index % 2 === 0 ? '---' : '--- # next');
    renderBlock(document, 0, lines);
  });
  const eol = scenario.crlf ? '\r\n' : '\n';
  return lines.join(eol) + (scenario.finalNewline ? eol : '');
}

// --- expectations --------------------------------------------------------------------------

function toData(model: Model, after: boolean, newDigest: boolean): unknown {
  switch (model.kind) {
    case 'scalar':
      return model.style === 'plain' ? model.value : String(model.value);
    case 'reference': {
      if (!after) return referenceText(model);
      const name = `${model.host ? `${HOST}/` : ''}dsva/cms-drupal`;
      return `${name}:${NEW_TAG}${newDigest ? `@${NEW_DIGEST}` : ''}`;
    }
    case 'split': {
      const oldTag = model.tagStyle === 'plain' ? model.tag : String(model.tag);
      return {
        repository: 'dsva/cms-drupal',
        tag: after ? NEW_TAG : oldTag,
        ...(model.extra ? { pullPolicy: 'Always' } : {}),
      };
    }
    case 'map':
      return Object.fromEntries(
        model.entries.map((entry) => [entry.key, toData(entry.value, after, newDigest)]),
      );
    case 'seq':
      return model.items.map((item) => toData(item, after, newDigest));
  }
}

function countReferences(model: Model): number {
  switch (model.kind) {
    case 'scalar':
      return 0;
    case 'reference':
    case 'split':
      return 1;
    case 'map':
      return model.entries.reduce((sum, entry) => sum + countReferences(entry.value), 0);
    case 'seq':
      return model.items.reduce((sum, item) => sum + countReferences(item), 0);
  }
}

function parseData(text: string): unknown[] {
  return parseAllDocuments(text).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as unknown;
  });
}

const image = parseImageName('dsva/cms-drupal');

describe('rewriteYaml on generated documents', () => {
  it('changes exactly the references, keeps everything else and is idempotent', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const text = render(scenario);
        const options = {
          image,
          tag: NEW_TAG,
          ...(scenario.newDigest ? { digest: NEW_DIGEST } : {}),
        };
        expect(parseData(text)).toEqual(
          scenario.documents.map((document) => toData(document, false, scenario.newDigest)),
        );

        const result = rewriteYaml(text, 'values.yaml', options);
        expect(parseData(result.text)).toEqual(
          scenario.documents.map((document) => toData(document, true, scenario.newDigest)),
        );
        const expectedCount = scenario.documents.reduce(
          (sum, document) => sum + countReferences(document),
          0,
        );
        expect(result.references).toHaveLength(expectedCount);

        // Every splice replaces a reference or a tag, nothing else.
        for (const edit of result.edits) {
          const replaced = text.slice(edit.start, edit.end).replace(/^["']|["']$/g, '');
          expect(replaced).toMatch(
            /^(?:(?:008577686731\.dkr\.ecr\.us-gov-west-1\.amazonaws\.com\/)?dsva\/cms-drupal:[\w.-]+(?:@sha256:a{64})?|v0\.0\.[\d-]+|latest|sha-4f2a9c1|\d+)$/,
          );
        }
        // Line structure, line endings and the final newline stay as they were.
        expect(result.text.split('\n')).toHaveLength(text.split('\n').length);
        if (scenario.crlf) expect(result.text.replaceAll('\r\n', '')).not.toContain('\n');
        expect(result.text.endsWith('\n')).toBe(scenario.finalNewline);

        const again = rewriteYaml(result.text, 'values.yaml', options);
        expect(again.text).toBe(result.text);
        expect(again.edits).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

// --- edits at the very end of a file --------------------------------------------------------

type EndKey = 'name' | 'newName' | 'newTag' | 'digest';

/** The last thing in the file is a reference: a kustomize entry, split keys or a full reference. */
interface EndScenario {
  readonly shape: 'kustomize' | 'split' | 'full';
  /** Keys of the kustomize entry or the split map, in the order written; the last is the last line. */
  readonly keys: readonly EndKey[];
  readonly oldDigest: boolean;
  readonly flow: boolean;
  readonly style: ScalarStyle;
  readonly comment: boolean;
  readonly crlf: boolean;
  readonly finalNewline: boolean;
  readonly newDigest: boolean;
}

const endKeysArbitrary = fc
  .record({ newName: fc.boolean(), newTag: fc.boolean(), digest: fc.boolean() })
  .chain((present) => {
    const keys: EndKey[] = ['name'];
    if (present.newName) keys.push('newName');
    if (present.newTag) keys.push('newTag');
    if (present.digest) keys.push('digest');
    return fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length });
  });

const endScenarioArbitrary: fc.Arbitrary<EndScenario> = fc.record({
  shape: fc.constantFrom<EndScenario['shape']>('kustomize', 'split', 'full'),
  keys: endKeysArbitrary,
  oldDigest: fc.boolean(),
  flow: fc.boolean(),
  style: styleArbitrary,
  comment: fc.boolean(),
  crlf: fc.boolean(),
  finalNewline: fc.boolean(),
  newDigest: fc.boolean(),
});

const HOSTED = `${HOST}/dsva/cms-drupal`;

function endPairs(scenario: EndScenario): [string, string][] {
  const digest = scenario.oldDigest ? OLD_DIGEST : '""';
  return scenario.keys.map((key): [string, string] => {
    switch (key) {
      case 'name':
        return scenario.shape === 'kustomize'
          ? ['name', 'dsva/cms-drupal']
          : ['repository', 'dsva/cms-drupal'];
      case 'newName':
        return scenario.shape === 'kustomize' ? ['newName', HOSTED] : ['pullPolicy', 'Always'];
      case 'newTag':
        return [
          scenario.shape === 'kustomize' ? 'newTag' : 'tag',
          quote('v0.0.417', scenario.style),
        ];
      case 'digest':
        return ['digest', scenario.shape === 'kustomize' ? OLD_DIGEST : digest];
    }
  });
}

function renderEnd(scenario: EndScenario): { text: string; prefix: string } {
  const head = ['# generated', 'resources:', '  - deployment.yaml'];
  const lines: string[] = [];
  const comment = scenario.comment ? ' # last' : '';
  if (scenario.shape === 'full') {
    const reference = `dsva/cms-drupal:v0.0.417${scenario.oldDigest ? `@${OLD_DIGEST}` : ''}`;
    lines.push(`image: ${quote(reference, scenario.style)}${comment}`);
  } else {
    let pairs = endPairs(scenario);
    // Split keys need a tag to be a reference at all.
    if (scenario.shape === 'split' && !pairs.some(([key]) => key === 'tag')) {
      pairs = [...pairs, ['tag', quote('v0.0.417', scenario.style)]];
    }
    const parent = scenario.shape === 'kustomize' ? 'images:' : 'image:';
    const pad = scenario.shape === 'kustomize' ? '    ' : '  ';
    if (scenario.flow) {
      const body = `{${pairs.map(([key, value]) => `${key}: ${value}`).join(', ')}}`;
      lines.push(parent, `${scenario.shape === 'kustomize' ? '  - ' : '  '}${body}${comment}`);
      if (scenario.shape === 'split') lines[lines.length - 2] = 'image:';
    } else {
      lines.push(parent);
      pairs.forEach(([key, value], index) => {
        const lead = index === 0 && scenario.shape === 'kustomize' ? '  - ' : pad;
        lines.push(`${lead}${key}: ${value}${index === pairs.length - 1 ? comment : ''}`);
      });
    }
  }
  const eol = scenario.crlf ? '\r\n' : '\n';
  const prefix = head.join(eol) + eol;
  return { text: prefix + lines.join(eol) + (scenario.finalNewline ? eol : ''), prefix };
}

function expectedEnd(scenario: EndScenario): unknown {
  const newDigest = scenario.newDigest ? NEW_DIGEST : undefined;
  const base = { resources: ['deployment.yaml'] };
  if (scenario.shape === 'full') {
    // A new digest pins the reference; without one an old pin is dropped.
    return { ...base, image: `dsva/cms-drupal:${NEW_TAG}${newDigest ? `@${newDigest}` : ''}` };
  }
  if (scenario.shape === 'kustomize') {
    return {
      ...base,
      images: [
        {
          name: 'dsva/cms-drupal',
          ...(scenario.keys.includes('newName') ? { newName: HOSTED } : {}),
          newTag: NEW_TAG,
          ...(newDigest === undefined ? {} : { digest: newDigest }),
        },
      ],
    };
  }
  const hasDigest = scenario.keys.includes('digest');
  return {
    ...base,
    image: {
      repository: 'dsva/cms-drupal',
      ...(scenario.keys.includes('newName') ? { pullPolicy: 'Always' } : {}),
      tag: NEW_TAG,
      ...(hasDigest ? { digest: newDigest ?? '' } : {}),
    },
  };
}

describe('rewriteYaml at the very end of a file', () => {
  it('edits, adds and removes keys on the last line, with or without a final newline, CRLF too', () => {
    fc.assert(
      fc.property(endScenarioArbitrary, (scenario) => {
        const { text, prefix } = renderEnd(scenario);
        const file = scenario.shape === 'kustomize' ? 'kustomization.yaml' : 'values.yaml';
        const options = {
          image,
          tag: NEW_TAG,
          ...(scenario.newDigest ? { digest: NEW_DIGEST } : {}),
        };
        const result = rewriteYaml(text, file, options);
        expect(parseData(result.text)).toEqual([expectedEnd(scenario)]);
        expect(result.references).toHaveLength(1);
        // Nothing before the reference moves; line endings and the final newline stay as they were.
        expect(result.text.startsWith(prefix)).toBe(true);
        if (scenario.crlf) expect(result.text.replaceAll('\r\n', '')).not.toContain('\n');
        else expect(result.text).not.toContain('\r');
        expect(result.text.endsWith(scenario.crlf ? '\r\n' : '\n')).toBe(scenario.finalNewline);
        expect(
          result.text.endsWith(`${scenario.crlf ? '\r\n' : '\n'}${scenario.crlf ? '\r\n' : '\n'}`),
        ).toBe(false);

        const again = rewriteYaml(result.text, file, options);
        expect(again.text).toBe(result.text);
        expect(again.edits).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
