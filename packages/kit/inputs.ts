import { InputError } from './errors.js';

/** Raw input values arrive as strings (GitHub trims them); these turn them into checked values. */

/** `example` shows what to give, e.g. `v0.0.418`: an empty input's error then says how to fix it. */
export function requireInput(name: string, raw: string, example?: string): string {
  const value = raw.trim();
  if (value === '') {
    throw new InputError(
      name,
      `is required and was empty${example === undefined ? '' : `: give it, e.g. ${example}`}`,
    );
  }
  return value;
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

export function parseBooleanInput(name: string, raw: string, fallback: boolean): boolean {
  const value = raw.trim().toLowerCase();
  if (value === '') return fallback;
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw new InputError(name, `"${raw}" is not a boolean: use true or false`);
}

export function parsePositiveIntegerInput(name: string, raw: string, fallback: number): number {
  const value = raw.trim();
  if (value === '') return fallback;
  const number = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new InputError(name, `"${raw}" is not a positive whole number: use 1, 2, 3, ...`);
  }
  return number;
}

/** A list given one item per line or comma-separated (both are common in workflows). */
export function parseListInput(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export interface RepositoryRef {
  readonly owner: string;
  readonly repo: string;
}

// GitHub's own rules: owners are alphanumeric with inner hyphens; names add '.', '_'.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

export function parseRepositoryInput(name: string, raw: string): RepositoryRef {
  const value = raw.trim();
  const parts = value.split('/');
  const [owner, repo] = parts;
  if (
    parts.length !== 2 ||
    !owner ||
    !repo ||
    !OWNER.test(owner) ||
    !NAME.test(repo) ||
    repo === '.' ||
    repo === '..'
  ) {
    throw new InputError(name, `"${raw}" is not a repository: use owner/name, e.g. octo-org/cms`);
  }
  return { owner, repo };
}

export function parseShaInput(name: string, raw: string): string {
  const value = raw.trim().toLowerCase();
  if (!/^[0-9a-f]{7,40}$/.test(value)) {
    throw new InputError(name, `"${raw}" is not a commit SHA: use 7 to 40 hexadecimal characters`);
  }
  return value;
}

/** The text trimmed, or undefined when nothing is left: optional values given as strings. */
export function nonBlank(text: string | undefined): string | undefined {
  const trimmed = text?.trim() ?? '';
  return trimmed === '' ? undefined : trimmed;
}
