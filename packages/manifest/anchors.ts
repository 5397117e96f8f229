/**
 * Shared anchors: a tag written once (`&tag`, or in a map merged with `<<: *defaults`) is changed
 * once, where it is written, and so changes every place that aliases it. Each of those places is
 * looked at as Helm would read it (aliases and merge keys expanded): a place that is not a
 * reference to this image refuses the edit, naming both places; every place that is one is
 * reported as a reference of its own.
 */
import { isAlias, isMap, isScalar, isSeq, type Alias, type Scalar, type YAMLMap } from 'yaml';
import { ManifestError } from './errors.js';
import { formatImageName, imageMatches, parseImageReference } from './reference.js';
import { keyOf, type ReferenceDraft, type Scope, type Segment } from './plan.js';
import { formatKeyPath } from './set-entry.js';

interface EffectivePair {
  readonly key: string;
  readonly value: unknown;
  /** The merge alias (`<<: *defaults`) the pair came through. */
  readonly via?: Alias;
}

interface Occurrence {
  readonly path: readonly Segment[];
  readonly line: number;
  readonly viaAlias: boolean;
  readonly siblings: readonly EffectivePair[] | undefined;
}

const REPOSITORY_KEYS = ['repository', 'repo', 'image', 'name'];
const MERGE_KEY = '<<';

/** A map's pairs as Helm reads them: its own first, then those merged in that it does not override. */
function effectivePairs(scope: Scope, map: YAMLMap, seen: Set<YAMLMap>): EffectivePair[] {
  const pairs: EffectivePair[] = [];
  const merges: Alias[] = [];
  for (const pair of map.items) {
    const key = keyOf(scope, pair);
    if (key === MERGE_KEY && (isAlias(pair.value) || isSeq(pair.value))) {
      const sources = isAlias(pair.value) ? [pair.value] : pair.value.items;
      for (const source of sources) if (isAlias(source)) merges.push(source);
    } else if (key !== undefined) {
      pairs.push({ key, value: pair.value });
    }
  }
  for (const merge of merges) {
    const source = merge.resolve(scope.doc);
    if (!isMap(source) || seen.has(source)) continue;
    for (const pair of effectivePairs(scope, source, new Set([...seen, source]))) {
      if (!pairs.some((own) => own.key === pair.key))
        pairs.push({ ...pair, via: pair.via ?? merge });
    }
  }
  return pairs;
}

function lookup(scope: Scope, pairs: readonly EffectivePair[], key: string): string | undefined {
  const value = pairs.find((pair) => pair.key === key)?.value;
  const node = isAlias(value) ? value.resolve(scope.doc) : value;
  return isScalar(node) && typeof node.value === 'string' ? node.value.trim() : undefined;
}

/** The image keys a tag key pairs with: `tag` → repository…, `imageTag` → image, `sidecarTag` → sidecarImage. */
export function imageKeysFor(key: string): string[] {
  if (key === 'tag') return REPOSITORY_KEYS;
  if (key === 'newTag') return ['newName', 'name'];
  if (!key.endsWith('Tag')) return [];
  const stem = key.slice(0, -'Tag'.length);
  const keys = /(?:^i|I)mage$/.test(stem) ? [stem] : [];
  keys.push(`${stem}Image`);
  return keys;
}

/** What the image at a tag's place is: this one, another (named), or none (no image reference). */
function imageAt(
  scope: Scope,
  siblings: readonly EffectivePair[] | undefined,
  key: Segment | undefined,
): { readonly kind: 'this' | 'none' } | { readonly kind: 'other'; readonly name: string } {
  if (siblings === undefined || typeof key !== 'string') return { kind: 'none' };
  const registry = lookup(scope, siblings, 'registry');
  let other: string | undefined;
  for (const imageKey of imageKeysFor(key)) {
    const name = lookup(scope, siblings, imageKey);
    if (name === undefined) continue;
    let reference = parseImageReference(name);
    if (!reference || reference.tag !== undefined || reference.digest !== undefined) continue;
    if (registry && reference.registry === undefined) {
      reference = parseImageReference(`${registry}/${name}`) ?? reference;
    }
    if (imageMatches(scope.rewrite.options.image, reference)) return { kind: 'this' };
    other ??= formatImageName(reference);
  }
  return other === undefined ? { kind: 'none' } : { kind: 'other', name: other };
}

function collectOccurrences(
  scope: Scope,
  targets: ReadonlySet<Scalar>,
  found: Map<Scalar, Occurrence[]>,
): void {
  const { rewrite } = scope;
  const walk = (
    node: unknown,
    path: readonly Segment[],
    via: Alias | undefined,
    siblings: readonly EffectivePair[] | undefined,
    stack: ReadonlySet<unknown>,
  ): void => {
    if (isAlias(node)) {
      const target = node.resolve(scope.doc);
      if (target !== undefined && !stack.has(target))
        walk(target, path, via ?? node, siblings, stack);
    } else if (isScalar(node)) {
      if (!targets.has(node)) return;
      const list = found.get(node) ?? [];
      list.push({
        path,
        line: rewrite.lineOfNode(via ?? node),
        viaAlias: via !== undefined,
        siblings,
      });
      found.set(node, list);
    } else if (isMap(node)) {
      const inner = new Set([...stack, node]);
      const pairs = effectivePairs(scope, node, new Set([node]));
      for (const pair of pairs) {
        walk(pair.value, [...path, pair.key], via ?? pair.via, pairs, inner);
      }
    } else if (isSeq(node)) {
      const inner = new Set([...stack, node]);
      node.items.forEach((item, index) => {
        walk(item, [...path, index], via, undefined, inner);
      });
    }
  };
  walk(scope.doc.contents, [], undefined, undefined, new Set());
}

function hasAlias(node: unknown): boolean {
  if (isAlias(node)) return true;
  if (isMap(node)) return node.items.some((pair) => hasAlias(pair.value) || hasAlias(pair.key));
  if (isSeq(node)) return node.items.some(hasAlias);
  return false;
}

/** Kinds whose value names the image itself: every place it appears is a reference to it. */
const SELF_NAMING = new Set<ReferenceDraft['kind']>(['image', 'argocd-kustomize']);

/**
 * Checks and reports the places of the references found in one document (`drafts` from `first`
 * on): see the module comment.
 */
export function expandSharedReferences(scope: Scope, first: number): void {
  const { rewrite } = scope;
  if (!rewrite.text.includes('*') || !hasAlias(scope.doc.contents)) return;
  const drafts = rewrite.drafts.slice(first).filter((draft) => draft.kind !== 'set');
  const targets = new Set<Scalar>();
  for (const draft of drafts) if (isScalar(draft.node)) targets.add(draft.node);
  if (targets.size === 0) return;
  const found = new Map<Scalar, Occurrence[]>();
  collectOccurrences(scope, targets, found);
  for (const draft of drafts) {
    const node = draft.node;
    if (!isScalar(node)) continue;
    const occurrences = found.get(node) ?? [];
    // Only a value that appears in more than one place is shared.
    if (occurrences.length < 2) continue;
    const references: Occurrence[] = [];
    for (const occurrence of occurrences) {
      if (SELF_NAMING.has(draft.kind)) {
        references.push(occurrence);
        continue;
      }
      const image = imageAt(scope, occurrence.siblings, occurrence.path.at(-1));
      if (image.kind === 'this') {
        references.push(occurrence);
        continue;
      }
      // The place the value is written, when it is no image's tag (`shared-tag: &tag 1.2.3`), just holds it.
      if (image.kind === 'none' && !occurrence.viaAlias) continue;
      if (!draft.changed || rewrite.changes.get(node)?.unchanged !== false) continue;
      const anchor = node.anchor === undefined ? '' : ` (&${node.anchor})`;
      const what =
        image.kind === 'other' ? `a reference to ${image.name}` : 'not an image reference';
      const written = `${rewrite.file}:${String(rewrite.lineOfNode(node))}`;
      const writtenPath = occurrences.find((candidate) => !candidate.viaAlias)?.path ?? draft.path;
      throw new ManifestError(
        `${written} (${formatKeyPath(writtenPath)}) holds the tag${anchor} of the reference at ${formatKeyPath(draft.path)}, and ${rewrite.file}:${String(occurrence.line)} (${formatKeyPath(occurrence.path)}) shares it, which is ${what}: changing it would move that too; give ${formatKeyPath(occurrence.path)} a value of its own, or use a 'set' entry`,
      );
    }
    // One reference per place; the digest warning once.
    const index = rewrite.drafts.indexOf(draft);
    const replacement = references.map((occurrence, position): ReferenceDraft => ({
      ...draft,
      line: occurrence.line,
      path: occurrence.path,
      ...(position === 0 ? {} : { droppedDigest: undefined }),
    }));
    if (index >= 0 && replacement.length > 0) rewrite.drafts.splice(index, 1, ...replacement);
  }
}
