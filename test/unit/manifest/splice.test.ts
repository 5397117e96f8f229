import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { detectReferences } from '../../../packages/manifest/detect.js';
import { FileRewrite, markFlowScalars } from '../../../packages/manifest/plan.js';
import { PARSE_OPTIONS } from '../../../packages/manifest/rewrite.js';
import { compileEdits, provedByTokens, verifyRewrite } from '../../../packages/manifest/splice.js';
import {
  applyEdits,
  parseImageName,
  type RewriteOptions,
} from '../../../packages/manifest/index.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;

const drupal: RewriteOptions = { image: parseImageName('dsva/cms-drupal'), tag: 'v0.0.418' };

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
