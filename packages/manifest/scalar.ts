/**
 * New source text for one scalar, in the style it already has: plain stays plain unless the new
 * value would then read as something else, quoted stays quoted the same way, block stays block.
 */
import { parse, type Scalar } from 'yaml';

const FLOW_INDICATORS = /[,[\]{}]/;
const PLAIN_START_INDICATORS = /^[-?:,[\]{}#&*!|>'"%@`]/;

function readsBackAs(text: string, value: string): boolean {
  // YAML 1.1 too: Helm's Go parser still reads `on`, `yes`, `0x1F` and `1_000` as non-strings.
  for (const version of ['1.2', '1.1'] as const) {
    try {
      if (parse(text, { version }) !== value) return false;
    } catch {
      return false;
    }
  }
  return true;
}

// A release writes the same few values many times; parsing each again would dominate large files.
const plainSafeCache = new Map<string, boolean>();
const PLAIN_SAFE_CACHE_LIMIT = 1000;

/** Whether `value` can be written as a plain scalar and read back as the same string. */
export function isPlainSafe(value: string, inFlow: boolean): boolean {
  const key = `${inFlow ? 'flow' : 'block'}:${value}`;
  const cached = plainSafeCache.get(key);
  if (cached !== undefined) return cached;
  const safe = checkPlainSafe(value, inFlow);
  if (plainSafeCache.size >= PLAIN_SAFE_CACHE_LIMIT) plainSafeCache.clear();
  plainSafeCache.set(key, safe);
  return safe;
}

function checkPlainSafe(value: string, inFlow: boolean): boolean {
  if (value === '' || value !== value.trim() || /[\n\r\t]/.test(value)) return false;
  if (PLAIN_START_INDICATORS.test(value)) return false;
  if (value.includes(': ') || value.includes(' #') || value.endsWith(':')) return false;
  if (inFlow && FLOW_INDICATORS.test(value)) return false;
  return readsBackAs(value, value);
}

export function doubleQuoted(value: string): string {
  // JSON's escapes are a subset of YAML's double-quoted escapes.
  return JSON.stringify(value);
}

function singleQuoted(value: string): string {
  return /[\n\r]/.test(value) ? doubleQuoted(value) : `'${value.replaceAll("'", "''")}'`;
}

/** The text of a plain scalar, written as is (a set entry keeping a number a number). */
export interface RawPlain {
  readonly raw: string;
}

export class BlockScalarError extends Error {
  override name = 'BlockScalarError';
}

/**
 * Replacement for `source` (the scalar's text from its start to its value end). A block scalar keeps
 * its header and layout: only the one line holding the old value changes.
 */
export function renderScalar(
  node: Scalar,
  source: string,
  value: string | RawPlain,
  inFlow: boolean,
): string {
  if (typeof value !== 'string') return value.raw;
  switch (node.type) {
    case 'QUOTE_DOUBLE':
      return doubleQuoted(value);
    case 'QUOTE_SINGLE':
      return singleQuoted(value);
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED':
      return renderBlockScalar(node, source, value);
    default:
      return isPlainSafe(value, inFlow) ? value : doubleQuoted(value);
  }
}

function renderBlockScalar(node: Scalar, source: string, value: string): string {
  const oldValue = typeof node.value === 'string' ? node.value.trim() : '';
  const header = source.indexOf('\n');
  const body = header < 0 ? '' : source.slice(header);
  const first = oldValue === '' ? -1 : body.indexOf(oldValue);
  if (
    oldValue.includes('\n') ||
    first < 0 ||
    body.includes(oldValue, first + 1) ||
    value === '' ||
    value !== value.trim() ||
    /[\n\r]/.test(value)
  ) {
    throw new BlockScalarError(
      'a block scalar (| or >) holding more than the one value cannot be rewritten safely',
    );
  }
  return (
    source.slice(0, header) + body.slice(0, first) + value + body.slice(first + oldValue.length)
  );
}
