/**
 * Turns a plan into splices of the source text, and checks the result: the new text is parsed and
 * compared node by node with the old one, so a splice that changed anything else is caught.
 */
import {
  CST,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  parseAllDocuments,
  parseDocument,
  type Pair,
  type ParsedNode,
  type YAMLMap,
} from 'yaml';
import type { TextEdit } from './diff.js';
import { ManifestError } from './errors.js';
import type { FileRewrite, PairInsertion, ParsedDocument, ScalarChange, Segment } from './plan.js';
import { BlockScalarError, doubleQuoted, isPlainSafe, renderScalar } from './scalar.js';
import { formatKeyPath } from './set-entry.js';

function rangeOf(node: unknown): readonly [number, number, number] | undefined {
  const range = (node as ParsedNode | null | undefined)?.range;
  return range ?? undefined;
}

function renderNewScalar(value: string, inFlow: boolean): string {
  return isPlainSafe(value, inFlow) ? value : doubleQuoted(value);
}

function scalarEdit(rewrite: FileRewrite, change: ScalarChange): TextEdit {
  const { node } = change;
  const range = rangeOf(node);
  if (!range) throw new Error(`internal: no source range for a scalar in ${rewrite.file}`);
  const [start, end] = range;
  let replacement: string;
  try {
    replacement = renderScalar(
      node,
      rewrite.text.slice(start, end),
      change.write,
      rewrite.flowScalars.has(node),
    );
  } catch (error: unknown) {
    if (!(error instanceof BlockScalarError)) throw error;
    throw new ManifestError(
      `${rewrite.where(node)}: ${error.message}; write the value on its own line or as a plain scalar`,
    );
  }
  if (start === end) {
    // An empty value (`tag:`): keep a space after the colon and before a same-line comment.
    const before = rewrite.text[start - 1];
    if (before !== undefined && !/\s/.test(before)) replacement = ` ${replacement}`;
    if (rewrite.text[start] === '#') replacement += ' ';
  }
  return { start, end, text: replacement };
}

/** After the line holding `offset`, or `undefined` at the end of the text. */
function nextLineStart(text: string, offset: number): number | undefined {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const newline = text.indexOf('\n', offset);
  return newline < 0 ? undefined : newline + 1;
}

function removalEdit(rewrite: FileRewrite, map: YAMLMap, pair: Pair): TextEdit {
  const { text } = rewrite;
  const index = map.items.indexOf(pair);
  const keyRange = rangeOf(pair.key);
  if (!keyRange) throw new Error(`internal: no source range for a key in ${rewrite.file}`);
  const keyStart = keyRange[0];
  const valueEnd = rangeOf(pair.value)?.[1] ?? keyRange[1];
  const nextKeyStart = rangeOf(map.items[index + 1]?.key)?.[0];
  if (map.flow === true) {
    const previous = map.items[index - 1];
    const previousEnd = previous
      ? (rangeOf(previous.value) ?? rangeOf(previous.key))?.[1]
      : undefined;
    if (previousEnd !== undefined) return { start: previousEnd, end: valueEnd, text: '' };
    return { start: keyStart, end: nextKeyStart ?? valueEnd, text: '' };
  }
  const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
  const aloneOnLine = text.slice(lineStart, keyStart).trim() === '';
  // `- digest: x` starts a list item: pull the next key up behind the dash instead.
  if (!aloneOnLine && nextKeyStart !== undefined)
    return { start: keyStart, end: nextKeyStart, text: '' };
  const end = nextLineStart(text, valueEnd);
  if (end !== undefined) return { start: aloneOnLine ? lineStart : keyStart, end, text: '' };
  // The last line without a final newline: take the newline before it, so none appears.
  const previousNewline = text[lineStart - 2] === '\r' ? lineStart - 2 : lineStart - 1;
  return {
    start: aloneOnLine ? Math.max(0, previousNewline) : keyStart,
    end: text.length,
    text: '',
  };
}

function insertionEdit(
  rewrite: FileRewrite,
  map: YAMLMap,
  insertions: readonly PairInsertion[],
  removals: readonly TextEdit[],
): TextEdit {
  const { text } = rewrite;
  const removed = rewrite.removals.get(map) ?? [];
  const anchor = map.items.filter((pair) => !removed.includes(pair)).at(-1);
  const keyRange = rangeOf(anchor?.key);
  if (!anchor || !keyRange) throw new Error(`internal: nowhere to add a key in ${rewrite.file}`);
  const anchorEnd = rangeOf(anchor.value)?.[1] ?? keyRange[1];
  if (map.flow === true) {
    const added = insertions.map(({ key, value }) => `, ${key}: ${renderNewScalar(value, true)}`);
    return { start: anchorEnd, end: anchorEnd, text: added.join('') };
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lineStart = text.lastIndexOf('\n', keyRange[0] - 1) + 1;
  const indent = ' '.repeat(keyRange[0] - lineStart);
  const lines = insertions.map(
    ({ key, value }) => `${indent}${key}: ${renderNewScalar(value, false)}`,
  );
  let at = nextLineStart(text, anchorEnd);
  // A removed last line takes the line break before it: add the keys after what it removes.
  const covering = removals.find(
    (removal) => at !== undefined && removal.start < at && at < removal.end,
  );
  if (covering) at = covering.end < text.length || text.endsWith('\n') ? covering.end : undefined;
  if (at === undefined) {
    return { start: text.length, end: text.length, text: lines.map((line) => eol + line).join('') };
  }
  return { start: at, end: at, text: lines.map((line) => line + eol).join('') };
}

export function compileEdits(rewrite: FileRewrite): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const change of rewrite.changes.values()) {
    if (!change.unchanged) edits.push(scalarEdit(rewrite, change));
  }
  const removals: TextEdit[] = [];
  for (const [map, pairs] of rewrite.removals) {
    for (const pair of pairs) removals.push(removalEdit(rewrite, map, pair));
  }
  edits.push(...removals);
  for (const [map, insertions] of rewrite.insertions) {
    edits.push(insertionEdit(rewrite, map, insertions, removals));
  }
  return edits.sort((a, b) => a.start - b.start || a.end - b.end);
}

// --- verification ----------------------------------------------------------------------------

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b);
}

class UnexpectedChange extends Error {
  override name = 'UnexpectedChange';
}

function compareNodes(
  rewrite: FileRewrite,
  before: unknown,
  after: unknown,
  path: readonly Segment[],
): void {
  const fail = (what: string): never => {
    throw new UnexpectedChange(`${what} at '${formatKeyPath(path)}'`);
  };
  if (before === null || before === undefined) {
    if (after !== null && after !== undefined) fail('a value appeared');
    return;
  }
  if (isScalar(before)) {
    if (!isScalar(after)) return fail('a value became a collection');
    const change = rewrite.changes.get(before);
    const expected = change && !change.unchanged ? change.expected : before.value;
    if (!sameValue(after.value, expected)) {
      fail(`${JSON.stringify(String(before.value))} became ${JSON.stringify(String(after.value))}`);
    }
    if (before.anchor !== after.anchor || before.tag !== after.tag)
      fail('an anchor or tag changed');
    return;
  }
  if (isAlias(before)) {
    if (!isAlias(after) || after.source !== before.source) fail('an alias changed');
    return;
  }
  if (isMap(before)) {
    if (!isMap(after) || before.anchor !== after.anchor) return fail('a mapping changed');
    const removed = rewrite.removals.get(before) ?? [];
    const inserted = rewrite.insertions.get(before) ?? [];
    const kept = before.items.filter((pair) => !removed.includes(pair));
    if (after.items.length !== kept.length + inserted.length) fail('the keys of a mapping changed');
    kept.forEach((pair, index) => {
      const other = after.items[index];
      compareNodes(rewrite, pair.key, other?.key, path);
      compareNodes(rewrite, pair.value, other?.value, [
        ...path,
        String(isScalar(pair.key) ? pair.key.value : index),
      ]);
    });
    inserted.forEach((insertion, index) => {
      const other = after.items[kept.length + index];
      const key = isScalar(other?.key) ? other.key.value : undefined;
      const value = isScalar(other?.value) ? other.value.value : undefined;
      if (key !== insertion.key || value !== insertion.value)
        fail(`the added ${insertion.key} is wrong`);
    });
    return;
  }
  if (isSeq(before)) {
    if (
      !isSeq(after) ||
      after.items.length !== before.items.length ||
      before.anchor !== after.anchor
    ) {
      fail('a list changed');
      return;
    }
    before.items.forEach((item, index) => {
      compareNodes(rewrite, item, after.items[index], [...path, index]);
    });
    return;
  }
  fail('an unknown node changed');
}

/** Lexer tokens that stand for no source text. */
const ZERO_WIDTH = new Set<string>([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);

/**
 * The cheap proof, for the common rewrite that only replaces scalars (no key added or removed):
 * both texts are lexed, and every token must be the same except that each edited scalar token is
 * exactly the edit's range before and a one-line scalar of the same kind (plain, '…', "…") after.
 * The lexer is where YAML's context lives (indentation, flow, quoting); with the same tokens the
 * parser builds the same tree, and each new scalar is read alone to check its value. Whatever it
 * cannot prove (tagged scalars, documents other than YAML 1.2, added or removed keys) goes to the
 * full re-parse, which decides: this makes the check faster, never weaker.
 */
export function provedByTokens(
  rewrite: FileRewrite,
  before: readonly ParsedDocument[],
  text: string,
  edits: readonly TextEdit[],
): boolean {
  if (rewrite.removals.size > 0 || rewrite.insertions.size > 0) return false;
  if (before.some((doc) => doc.directives.yaml.version !== '1.2')) return false;
  const expectedAt = new Map<number, unknown>();
  for (const change of rewrite.changes.values()) {
    if (change.unchanged) continue;
    const range = rangeOf(change.node);
    if (!range || change.node.tag !== undefined) return false;
    expectedAt.set(range[0], change.expected);
  }
  if (expectedAt.size !== edits.length) return false;
  // In lock-step, without keeping the tokens: most of a file is not edited.
  const oldTokens = new Lexer().lex(rewrite.text);
  const newTokens = new Lexer().lex(text);
  let offset = 0;
  let next = 0;
  for (;;) {
    const oldStep = oldTokens.next();
    const newStep = newTokens.next();
    if (oldStep.done === true || newStep.done === true) {
      if (oldStep.done !== newStep.done) return false;
      break;
    }
    const oldToken = oldStep.value;
    const newToken = newStep.value;
    const edit = edits[next];
    if (edit?.start === offset && !ZERO_WIDTH.has(oldToken)) {
      if (
        oldToken.length !== edit.end - edit.start ||
        newToken !== edit.text ||
        /[\r\n]/.test(edit.text) ||
        CST.tokenType(oldToken) !== CST.tokenType(edit.text)
      ) {
        return false;
      }
      const alone = parseDocument(edit.text);
      if (
        alone.errors.length > 0 ||
        !isScalar(alone.contents) ||
        !sameValue(alone.contents.value, expectedAt.get(edit.start))
      ) {
        return false;
      }
      next++;
    } else if (oldToken !== newToken) {
      return false;
    }
    offset += ZERO_WIDTH.has(oldToken) ? 0 : oldToken.length;
  }
  return next === edits.length;
}

/** Parses the new text and checks that exactly the planned values changed, and nothing else. */
export function verifyRewrite(
  rewrite: FileRewrite,
  before: readonly ParsedDocument[],
  text: string,
  edits?: readonly TextEdit[],
): void {
  if (edits !== undefined && provedByTokens(rewrite, before, text, edits)) return;
  // No duplicate-key check: the input passed it and keys are never edited (and yaml's is quadratic).
  const after = parseAllDocuments(text, { uniqueKeys: false });
  try {
    if (after.length !== before.length)
      throw new UnexpectedChange('the number of documents changed');
    after.forEach((doc, index) => {
      const error = doc.errors[0];
      if (error) throw new UnexpectedChange(`the result is not valid YAML (${error.message})`);
      compareNodes(rewrite, before[index]?.contents, doc.contents, []);
    });
  } catch (error: unknown) {
    if (!(error instanceof UnexpectedChange)) throw error;
    throw new Error(
      `internal: rewriting ${rewrite.file} would have changed more than the image references (${error.message}); nothing was written, please report this with the file`,
    );
  }
}
