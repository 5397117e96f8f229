/**
 * What a rewrite of one file plans: new scalar values, added and removed keys, and the references
 * found, plus the small helpers the detection rules share to read the YAML tree.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parse,
  type Document,
  type Pair,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { compareVersions, DEFAULT_FORMAT, VersionFormat } from '../version/index.js';
import { compareSemverTags, parseSemverTag } from '../version/semver.js';
import { ManifestError } from './errors.js';
import { imageMatches, parseImageReference, type ImageName } from './reference.js';
import type { RawPlain } from './scalar.js';
import { formatKeyPath, type PathSegment, type SetEntry } from './set-entry.js';

export type ReferenceKind =
  /** A full reference in a string value (Helm values, workload containers, anything). */
  | 'image'
  /** `repository:` + `tag:` siblings (Helm values). */
  | 'helm-values'
  /** A `kustomization.yaml` `images:` entry. */
  | 'kustomize'
  /** An Argo CD `helm.parameters` `*.tag` parameter next to `*.repository`. */
  | 'argocd-helm'
  /** An Argo CD `kustomize.images` override. */
  | 'argocd-kustomize'
  /** A value named by a `set` entry. */
  | 'set'
  /** The same key path in another values file of the chart folder (an environment layer). */
  | 'values-override';

export interface Reference {
  /** Relative to the root, with `/`. */
  readonly file: string;
  /** 1-based line of the value. */
  readonly line: number;
  /** Where the value sits, usable as a `set` path: `spec.template.spec.initContainers[0].image`. */
  readonly keyPath: string;
  readonly kind: ReferenceKind;
  readonly oldValue: string;
  readonly newValue: string;
  readonly changed: boolean;
  /** The tag (or, for a set entry, the value) before; absent when there was none. */
  readonly oldTag?: string;
  readonly newTag: string;
  /** The old tag is a newer version of the format than the new one. */
  readonly downgrade: boolean;
  /** The set entry that named this value. */
  readonly setEntry?: string;
  /** The digest that pinned the old image and was dropped, as no new digest was given. */
  readonly droppedDigest?: string;
  /** For a values override: the reference it overrides, `<file>:<line> (<key path>)`. */
  readonly overrideOf?: string;
}

/** A tag another values file of the same chart folder sets at `keyPath`: see planManifestEdit. */
export interface ValuesOverride {
  readonly keyPath: string;
  readonly path: readonly PathSegment[];
  /** `<file>:<line> (<key path>)` of the reference it overrides. */
  readonly of: string;
}

export interface RewriteOptions {
  readonly image: ImageName;
  readonly tag: string;
  readonly digest?: string;
  readonly set?: readonly SetEntry[];
  readonly placeholders?: { readonly sha?: string };
  /** Decides which references would be downgrades; default `v0.0.{n}`. */
  readonly format?: VersionFormat;
  /** Tags this file overrides in another values file of its chart folder. */
  readonly overrides?: readonly ValuesOverride[];
}

export type Segment = string | number;
export type ParsedDocument = Document.Parsed;

export interface ScalarChange {
  readonly node: Scalar;
  /** What the value means (for conflicts): the new logical value. */
  readonly value: string;
  readonly write: string | RawPlain;
  /** What the node must hold after the rewrite. */
  readonly expected: unknown;
  readonly origin: string;
  /** The node already holds the value: nothing to write. */
  readonly unchanged: boolean;
}

export interface PairInsertion {
  readonly key: string;
  readonly value: string;
}

export interface ReferenceDraft {
  readonly kind: ReferenceKind;
  /** What was found; one reference per node, even when several rules or set entries reach it. */
  readonly node: Scalar | YAMLMap;
  readonly line: number;
  readonly path: readonly Segment[];
  readonly oldValue: string;
  readonly newValue: string;
  readonly changed: boolean;
  readonly oldTag: string | undefined;
  readonly newTag: string;
  readonly setEntry?: string;
  readonly droppedDigest?: string | undefined;
  readonly overrideOf?: string;
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) {
    starts.push(index + 1);
  }
  return starts;
}

/**
 * By the release format when both tags are in it (a hotfix after its release), else by semver
 * precedence when both are semver-shaped (`v3.4.5` → `v3.4.4`); otherwise no verdict.
 */
export function isDowngrade(format: VersionFormat, oldTag: string, newTag: string): boolean {
  const oldVersion = format.parse(oldTag);
  const newVersion = format.parse(newTag);
  if (oldVersion && newVersion) return compareVersions(oldVersion, newVersion) > 0;
  const oldSemver = parseSemverTag(oldTag);
  const newSemver = parseSemverTag(newTag);
  return oldSemver !== undefined && newSemver !== undefined
    ? compareSemverTags(oldSemver, newSemver) > 0
    : false;
}

export class FileRewrite {
  readonly changes = new Map<Scalar, ScalarChange>();
  readonly insertions = new Map<YAMLMap, PairInsertion[]>();
  readonly removals = new Map<YAMLMap, Pair[]>();
  readonly drafts: ReferenceDraft[] = [];
  readonly referenced = new Set<Scalar | YAMLMap>();
  /** Scalars a specific rule handled, which the generic full-reference scan must leave alone. */
  readonly claimed = new Set<Scalar>();
  readonly flowScalars = new Set<Scalar>();
  readonly setHits = new Set<string>();
  private readonly lineStarts: number[];
  private readonly newDigest: string | undefined;

  constructor(
    readonly text: string,
    readonly file: string,
    readonly options: RewriteOptions,
  ) {
    this.lineStarts = lineStartsOf(text);
    this.newDigest = options.digest === '' ? undefined : options.digest;
  }

  get tag(): string {
    return this.options.tag;
  }

  get digest(): string | undefined {
    return this.newDigest;
  }

  lineOfNode(node: { range?: readonly number[] | null }): number {
    return this.lineOf(node.range?.[0] ?? 0);
  }

  lineOf(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.lineStarts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }

  where(node: { range?: readonly number[] | null }): string {
    return `${this.file}:${String(this.lineOfNode(node))}`;
  }

  /** The scalar's value as text: plain numbers as written (`1.10`, not `1.1`), null as ''. */
  scalarText(node: Scalar): string {
    if (node.value === null || node.value === undefined) return '';
    if (typeof node.value === 'string') return node.value;
    // Numbers, booleans and tagged values: the text as written.
    const range = node.range;
    return range ? this.text.slice(range[0], range[1]) : JSON.stringify(node.value);
  }

  matchesName(text: string): boolean {
    const reference = parseImageReference(text);
    return reference !== undefined && imageMatches(this.options.image, reference);
  }

  /** Plans a new value for `node`; false when it already holds it. */
  setScalar(
    node: Scalar,
    value: string,
    origin: string,
    write: string | RawPlain = value,
  ): boolean {
    const planned = this.changes.get(node);
    if (planned) {
      if (planned.value !== value) {
        throw new ManifestError(
          `${this.where(node)}: conflicting new values '${planned.value}' (${planned.origin}) and '${value}' (${origin}); drop one of them`,
        );
      }
      return !planned.unchanged;
    }
    const isBlock = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
    const current = isBlock ? this.scalarText(node).trim() : this.scalarText(node);
    const unchanged = current === value;
    const expected = unchanged ? node.value : this.expectedValue(node, value, write);
    this.changes.set(node, { node, value, write, expected, origin, unchanged });
    return !unchanged;
  }

  private expectedValue(node: Scalar, value: string, write: string | RawPlain): unknown {
    if (typeof write !== 'string') return parse(write.raw) as unknown;
    if (
      (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') &&
      typeof node.value === 'string'
    ) {
      return node.value.replace(node.value.trim(), value);
    }
    return value;
  }

  addReference(draft: ReferenceDraft): void {
    if (this.referenced.has(draft.node)) return;
    this.referenced.add(draft.node);
    this.drafts.push(draft);
  }

  insertPair(map: YAMLMap, key: string, value: string): void {
    const list = this.insertions.get(map) ?? [];
    list.push({ key, value });
    this.insertions.set(map, list);
  }

  removePair(map: YAMLMap, pair: Pair): void {
    const list = this.removals.get(map) ?? [];
    list.push(pair);
    this.removals.set(map, list);
  }

  references(): Reference[] {
    const format = this.options.format ?? VersionFormat.parse(DEFAULT_FORMAT);
    return this.drafts
      .map((draft): Reference => {
        const newTag = draft.kind === 'set' ? draft.newTag : this.tag;
        return {
          file: this.file,
          line: draft.line,
          keyPath: formatKeyPath(draft.path),
          kind: draft.kind,
          oldValue: draft.oldValue,
          newValue: draft.newValue,
          changed: draft.changed,
          ...(draft.oldTag === undefined ? {} : { oldTag: draft.oldTag }),
          newTag: draft.newTag,
          downgrade: draft.oldTag !== undefined && isDowngrade(format, draft.oldTag, newTag),
          ...(draft.setEntry === undefined ? {} : { setEntry: draft.setEntry }),
          ...(draft.droppedDigest === undefined ? {} : { droppedDigest: draft.droppedDigest }),
          ...(draft.overrideOf === undefined ? {} : { overrideOf: draft.overrideOf }),
        };
      })
      .sort((a, b) => a.line - b.line);
  }
}

export interface Scope {
  readonly rewrite: FileRewrite;
  readonly doc: ParsedDocument;
}

export function resolveNode(scope: Scope, node: unknown): unknown {
  return isAlias(node) ? node.resolve(scope.doc) : node;
}

export function scalarOf(scope: Scope, node: unknown): Scalar | undefined {
  const resolved = resolveNode(scope, node);
  return isScalar(resolved) ? resolved : undefined;
}

export function keyOf(scope: Scope, pair: Pair): string | undefined {
  const key = scalarOf(scope, pair.key);
  return key ? scope.rewrite.scalarText(key) : undefined;
}

export function pairOf(scope: Scope, map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => keyOf(scope, pair) === key);
}

export function childOf(scope: Scope, node: unknown, key: string): unknown {
  const map = resolveNode(scope, node);
  return isMap(map) ? resolveNode(scope, pairOf(scope, map, key)?.value) : undefined;
}

export function stringOf(scope: Scope, node: unknown): string | undefined {
  const scalar = scalarOf(scope, node);
  return typeof scalar?.value === 'string' ? scalar.value : undefined;
}

export function describeTag(tag: string, digest: string | undefined): string {
  return digest === undefined || digest === '' ? tag : `${tag}@${digest}`;
}

export function markFlowScalars(rewrite: FileRewrite, node: unknown, inFlow: boolean): void {
  if (isScalar(node)) {
    if (inFlow) rewrite.flowScalars.add(node);
  } else if (isMap(node)) {
    const flow = inFlow || node.flow === true;
    for (const pair of node.items) {
      markFlowScalars(rewrite, pair.key, flow);
      markFlowScalars(rewrite, pair.value, flow);
    }
  } else if (isSeq(node)) {
    const flow = inFlow || node.flow === true;
    for (const item of node.items) markFlowScalars(rewrite, item, flow);
  }
}

/** Scalars' source ranges, to tell a `{{ }}` inside a string value from a template directive. */
