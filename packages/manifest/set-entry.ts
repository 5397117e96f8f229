/**
 * Explicit key paths (`set` entries) for what detection cannot know, e.g.
 * `web.envSecrets[name=DD_VERSION].value={version}`, `containers[0].image={image}`,
 * `"vets-api".image.tag={tag}`.
 */
import { ManifestError } from './errors.js';

export type PathSegment =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  /** A sequence item that is a mapping whose `field` holds `value`. */
  | { readonly kind: 'match'; readonly field: string; readonly value: string };

export interface SetEntry {
  readonly raw: string;
  readonly path: readonly PathSegment[];
  readonly template: string;
}

export interface PlaceholderValues {
  readonly tag: string;
  readonly image: string;
  readonly digest?: string;
  readonly sha?: string;
}

const PLACEHOLDERS = ['version', 'tag', 'digest', 'sha', 'image'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER_PATTERN = /\{([^{}]*)\}/g;
const BARE_KEY_END = new Set(['.', '[', ']', '=', '"', "'"]);
const BARE_KEY = /^[^.[\]="'\s]+$/;

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

class SetEntryParser {
  private position = 0;

  constructor(private readonly raw: string) {}

  fail(problem: string): never {
    throw new ManifestError(
      `entry '${this.raw}': ${problem}; expected <path>=<value>, e.g. web.envSecrets[name=DD_VERSION].value={version}`,
      { input: 'set' },
    );
  }

  failTemplate(problem: string): never {
    throw new ManifestError(`entry '${this.raw}': ${problem}`, { input: 'set' });
  }

  private get current(): string | undefined {
    return this.raw[this.position];
  }

  parse(): SetEntry {
    const path: PathSegment[] = [];
    for (;;) {
      if (this.current === '[') {
        if (path.length > 0) this.fail(`expected a key after '.' at column ${this.column()}`);
      } else {
        path.push({ kind: 'key', key: this.key() });
      }
      while (this.current === '[') path.push(this.selector());
      if (this.current === '.') {
        this.position += 1;
        continue;
      }
      if (this.current === '=') break;
      if (this.current === undefined) this.fail("it has no '=' after the path");
      this.fail(`unexpected '${this.current}' at column ${this.column()}`);
    }
    const template = this.raw.slice(this.position + 1);
    validateTemplate(template, (problem) => this.failTemplate(problem));
    return { raw: this.raw, path, template };
  }

  private column(): string {
    return String(this.position + 1);
  }

  private key(): string {
    const quote = this.current;
    if (quote === '"' || quote === "'") return this.quoted(quote);
    const start = this.position;
    while (this.current !== undefined && !BARE_KEY_END.has(this.current)) this.position += 1;
    const key = this.raw.slice(start, this.position);
    if (key === '') this.fail(`empty key at column ${String(start + 1)}`);
    if (!BARE_KEY.test(key)) this.fail(`key '${key}' has white space; quote it`);
    return key;
  }

  /** `"..."` with `\"` and `\\` escapes, or `'...'` with `''` for a quote, as in YAML. */
  private quoted(quote: string): string {
    const start = this.position;
    this.position += 1;
    let text = '';
    for (;;) {
      const character = this.current;
      if (character === undefined) this.fail(`unclosed ${quote} at column ${String(start + 1)}`);
      this.position += 1;
      if (quote === '"' && character === '\\') {
        const escaped = this.current;
        if (escaped !== '"' && escaped !== '\\') this.fail('only \\" and \\\\ escapes are known');
        text += escaped;
        this.position += 1;
      } else if (character === quote) {
        if (quote === "'" && this.current === "'") {
          text += "'";
          this.position += 1;
        } else {
          return text;
        }
      } else {
        text += character;
      }
    }
  }

  private selector(): PathSegment {
    const start = this.position;
    this.position += 1;
    let inside = '';
    let quote: string | undefined;
    for (;;) {
      const character = this.current;
      if (character === undefined) this.fail(`unclosed '[' at column ${String(start + 1)}`);
      this.position += 1;
      if (quote !== undefined) {
        if (character === quote) quote = undefined;
      } else if (character === '"' || character === "'") {
        quote = character;
      } else if (character === ']') {
        break;
      }
      inside += character;
    }
    if (/^(0|[1-9][0-9]*)$/.test(inside)) return { kind: 'index', index: Number(inside) };
    const match = /^([^=\s"'[\]!<>~*]+)=(.*)$/.exec(inside);
    const field = match?.[1];
    const rawValue = match?.[2];
    if (field === undefined || rawValue === undefined) {
      this.fail(
        `unknown selector [${inside}]; use [<index>] (e.g. [0]) or [<field>=<value>] (e.g. [name=DD_VERSION])`,
      );
    }
    if (/^"[^"]*"$|^'[^']*'$/.test(rawValue)) {
      return { kind: 'match', field, value: rawValue.slice(1, -1) };
    }
    if (rawValue === '' || /["'\s=]/.test(rawValue)) {
      this.fail(`selector [${inside}] needs a value; quote a value with spaces or quotes in it`);
    }
    return { kind: 'match', field, value: rawValue };
  }
}

function validateTemplate(template: string, fail: (problem: string) => never): void {
  for (const match of template.matchAll(PLACEHOLDER_PATTERN)) {
    const name = match[1] ?? '';
    if (!isPlaceholder(name)) {
      fail(
        `unknown placeholder {${name}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
      );
    }
  }
}

export function parseSetEntry(raw: string): SetEntry {
  return new SetEntryParser(raw).parse();
}

/** Fills `{version}`/`{tag}` (the new tag), `{digest}`, `{sha}` and `{image}` (the full new reference). */
export function renderTemplate(entry: SetEntry, values: PlaceholderValues): string {
  return entry.template.replace(PLACEHOLDER_PATTERN, (whole, name: string) => {
    if (!isPlaceholder(name)) return whole;
    switch (name) {
      case 'version':
      case 'tag':
        return values.tag;
      case 'image':
        return values.image;
      case 'digest':
      case 'sha': {
        const value = values[name];
        if (value === undefined || value === '') {
          throw new ManifestError(
            `entry '${entry.raw}' uses {${name}} but no ${name} was given; pass '${name}' or drop the placeholder`,
            { input: 'set' },
          );
        }
        return value;
      }
    }
  });
}

function formatKey(key: string): string {
  return BARE_KEY.test(key) ? key : JSON.stringify(key);
}

/** `deployment.container.image`, `spec.template.spec.initContainers[0].image`, `"a.b".c`: valid as a set path. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${String(segment)}]`;
    else text += `${text === '' ? '' : '.'}${formatKey(segment)}`;
  }
  return text;
}
