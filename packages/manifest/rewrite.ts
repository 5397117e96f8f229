/**
 * Finds the references to one image in a YAML text and points them at a new tag by splicing the
 * source: every byte outside the changed scalars stays as it was. The result is parsed again and
 * compared node by node with the original, so a splice that changed anything else is caught here.
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Scalar } from 'yaml';
import { applyEdits, type TextEdit } from './diff.js';
import { NotYamlError } from './errors.js';
import { formatImageName, formatReference } from './reference.js';
import { expandSharedReferences } from './anchors.js';
import { applySetEntries, applyValuesOverrides, detectReferences } from './detect.js';
import {
  FileRewrite,
  markFlowScalars,
  type ParsedDocument,
  type Reference,
  type RewriteOptions,
  type Scope,
} from './plan.js';
import { compileEdits, verifyRewrite } from './splice.js';

export type { Reference, ReferenceKind, RewriteOptions } from './plan.js';

export interface RewriteResult {
  readonly text: string;
  readonly references: Reference[];
  /** The `raw` of every set entry that named a value in this text. */
  readonly setHits: Set<string>;
  /** The splices that turn the input into `text`, for the diff. */
  readonly edits: readonly TextEdit[];
}

const TEMPLATE_ACTION = /\{\{[\s\S]*?\}\}/;

function isUnderTemplates(file: string): boolean {
  return /(^|\/)templates\//.test(file);
}

function collectScalarRanges(node: unknown, ranges: [number, number][]): void {
  if (isScalar(node)) {
    if (node.range && typeof node.value === 'string') ranges.push([node.range[0], node.range[1]]);
  } else if (isMap(node)) {
    for (const pair of node.items) {
      collectScalarRanges(pair.key, ranges);
      collectScalarRanges(pair.value, ranges);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) collectScalarRanges(item, ranges);
  }
}

function hasTemplateDirectiveOutsideStrings(
  text: string,
  docs: readonly ParsedDocument[],
): boolean {
  if (!TEMPLATE_ACTION.test(text)) return false;
  const ranges: [number, number][] = [];
  for (const doc of docs) collectScalarRanges(doc.contents, ranges);
  for (let at = text.indexOf('{{'); at >= 0; at = text.indexOf('{{', at + 2)) {
    if (ranges.some(([start, end]) => at >= start && at < end)) continue;
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const before = text.slice(lineStart, at);
    if (/^\s*#|\s#/.test(before)) continue;
    return true;
  }
  return false;
}

/**
 * The most nodes a document may stand for once its aliases are expanded. This suite never expands
 * them, but Helm and Argo CD do: a "billion laughs" file (anchors of aliases of anchors) would take
 * them down, so it is refused here rather than committed. Real values files stay far below.
 */
export const MAX_EXPANDED_NODES = 100_000;

/** Nodes `node` stands for with every alias expanded, memoised per node so the count is linear. */
function expandedSize(node: unknown, doc: ParsedDocument, memo: Map<unknown, number>): number {
  const known = memo.get(node);
  if (known !== undefined) return known;
  // A node being counted is an alias cycle (`&a [*a]`), which yaml reports; count it once.
  memo.set(node, 1);
  let size = 1;
  if (isAlias(node)) {
    size = expandedSize(node.resolve(doc), doc, memo);
  } else if (isMap(node)) {
    for (const pair of node.items) {
      size += expandedSize(pair.key, doc, memo) + expandedSize(pair.value, doc, memo);
      if (size > MAX_EXPANDED_NODES) break;
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      size += expandedSize(item, doc, memo);
      if (size > MAX_EXPANDED_NODES) break;
    }
  }
  memo.set(node, size);
  return size;
}

function refuseAliasBomb(text: string, file: string, docs: readonly ParsedDocument[]): void {
  if (!text.includes('*')) return;
  for (const doc of docs) {
    if (expandedSize(doc.contents, doc, new Map()) > MAX_EXPANDED_NODES) {
      throw new NotYamlError(
        file,
        `has aliases that expand to more than ${String(MAX_EXPANDED_NODES)} nodes (a YAML bomb)`,
        undefined,
        "Helm and Argo CD would expand them all: remove the nested aliases, or leave the file out of 'files'",
      );
    }
  }
}

/**
 * yaml's own duplicate-key check compares every key with every earlier one: a map of 10,000 keys
 * took over a minute. It is turned off in parsing and done here with a set, in linear time, with
 * the same verdict (scalar keys equal by value).
 */
export const PARSE_OPTIONS = { keepSourceTokens: true, uniqueKeys: false } as const;

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at >= 0 && at < offset; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

function findDuplicateKey(node: unknown): Scalar | undefined {
  if (isMap(node)) {
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      const { key } = pair;
      if (isScalar(key) && !Number.isNaN(key.value)) {
        if (seen.has(key.value)) return key;
        seen.add(key.value);
      }
      const nested = findDuplicateKey(key) ?? findDuplicateKey(pair.value);
      if (nested) return nested;
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const nested = findDuplicateKey(item);
      if (nested) return nested;
    }
  }
  return undefined;
}

function refuseDuplicateKeys(text: string, file: string, docs: readonly ParsedDocument[]): void {
  for (const doc of docs) {
    const duplicate = findDuplicateKey(doc.contents);
    if (duplicate) {
      throw new NotYamlError(
        file,
        'is not valid YAML: Map keys must be unique',
        duplicate.range ? lineAt(text, duplicate.range[0]) : undefined,
      );
    }
  }
}

function parseYaml(text: string, file: string): ParsedDocument[] {
  const hasTemplateAction = TEMPLATE_ACTION.test(text);
  if (hasTemplateAction && isUnderTemplates(file)) {
    throw new NotYamlError(
      file,
      'is a Helm template ({{ }}), not YAML',
      undefined,
      "Helm renders it from values: name the values file instead, or leave the template out of 'files'",
    );
  }
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const problem = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
      throw new NotYamlError(
        file,
        hasTemplateAction
          ? `holds template directives ({{ }}) and is not valid YAML (${problem})`
          : `is not valid YAML: ${problem}`,
        error.linePos?.[0].line,
      );
    }
  }
  refuseDuplicateKeys(text, file, docs);
  refuseAliasBomb(text, file, docs);
  if (hasTemplateDirectiveOutsideStrings(text, docs)) {
    throw new NotYamlError(
      file,
      'holds template directives ({{ }}) outside strings, so it is a template, not YAML',
    );
  }
  return docs;
}

/** Points every reference to `options.image` in `text` at the new tag; pure, for tests and benches. */
export function rewriteYaml(text: string, file: string, options: RewriteOptions): RewriteResult {
  const docs = parseYaml(text, file);
  const rewrite = new FileRewrite(text, file, options);
  const placeholders = {
    tag: options.tag,
    image: formatReference(formatImageName(options.image), options.tag, rewrite.digest),
    ...(rewrite.digest === undefined ? {} : { digest: rewrite.digest }),
    ...(options.placeholders?.sha === undefined ? {} : { sha: options.placeholders.sha }),
  };
  for (const doc of docs) {
    const scope: Scope = { rewrite, doc };
    markFlowScalars(rewrite, doc.contents, false);
    const first = rewrite.drafts.length;
    detectReferences(scope);
    expandSharedReferences(scope, first);
    if (options.overrides && options.overrides.length > 0) {
      applyValuesOverrides(scope, options.overrides);
    }
    if (options.set && options.set.length > 0) applySetEntries(scope, options.set, placeholders);
  }
  const edits = compileEdits(rewrite);
  const output = applyEdits(text, edits);
  if (edits.length > 0) verifyRewrite(rewrite, docs, output, edits);
  return { text: output, references: rewrite.references(), setHits: rewrite.setHits, edits };
}
