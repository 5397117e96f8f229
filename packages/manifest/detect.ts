/**
 * Where references to the image hide: full references in any string, `repository:` + `tag:`
 * siblings, kustomize `images:`, Argo CD parameters and overrides, and explicit `set` paths.
 */
import { isMap, isScalar, isSeq, parse, type Scalar, type YAMLMap } from 'yaml';
import { imageKeysFor } from './anchors.js';
import { ManifestError } from './errors.js';
import { formatReference, imageMatches, parseImageReference, splitPinnedTag } from './reference.js';
import {
  childOf,
  describeTag,
  keyOf,
  pairOf,
  resolveNode,
  scalarOf,
  stringOf,
  type Scope,
  type Segment,
  type ValuesOverride,
} from './plan.js';
import { formatKeyPath, renderTemplate, type PathSegment, type SetEntry } from './set-entry.js';

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const REPOSITORY_KEYS = ['repository', 'repo', 'image', 'name'];
const KUSTOMIZATION_FILES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

function basename(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

function isContainerImagePath(path: readonly Segment[]): boolean {
  const list = path.at(-3);
  return (
    path.at(-1) === 'image' &&
    typeof path.at(-2) === 'number' &&
    typeof list === 'string' &&
    CONTAINER_LISTS.has(list)
  );
}

/** Any string value that is a whole reference to the image; tagless only in a container's `image:`. */
function detectFullReference(scope: Scope, node: Scalar, path: readonly Segment[]): void {
  const { rewrite } = scope;
  if (typeof node.value !== 'string' || rewrite.claimed.has(node)) return;
  const isBlock = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
  // A block scalar's value ends in a line break; any other value must be the reference exactly.
  const text = isBlock ? node.value.trim() : node.value;
  const reference = parseImageReference(text);
  if (!reference || !imageMatches(rewrite.options.image, reference)) return;
  if (
    reference.tag === undefined &&
    reference.digest === undefined &&
    !isContainerImagePath(path)
  ) {
    return;
  }
  const newValue = formatReference(reference.name, rewrite.tag, rewrite.digest);
  const changed = rewrite.setScalar(node, newValue, 'image reference');
  rewrite.addReference({
    kind: 'image',
    node,
    line: rewrite.lineOfNode(node),
    path,
    oldValue: text,
    newValue,
    changed,
    oldTag: reference.tag,
    newTag: rewrite.tag,
    droppedDigest: rewrite.digest === undefined ? reference.digest : undefined,
  });
}

interface TagPlan {
  /** The tag alone, without a pin; undefined when the value was empty. */
  readonly oldTag: string | undefined;
  /** The value as written. */
  readonly oldValue: string;
  readonly newValue: string;
  readonly changed: boolean;
  readonly droppedDigest: string | undefined;
}

/**
 * A `tag` value: the new tag, and when the old value carried its own pin (`1.2.3@sha256:…`) the
 * new digest with it, or no pin (reported as dropped) when no new digest was given.
 */
function planTagValue(scope: Scope, tagNode: Scalar, origin: string): TagPlan {
  const { rewrite } = scope;
  const oldValue = rewrite.scalarText(tagNode);
  const pinned = splitPinnedTag(oldValue.trim());
  const newValue =
    pinned && rewrite.digest !== undefined ? `${rewrite.tag}@${rewrite.digest}` : rewrite.tag;
  const changed = rewrite.setScalar(tagNode, newValue, origin);
  const oldTag = pinned?.tag ?? oldValue;
  return {
    oldTag: oldTag === '' ? undefined : oldTag,
    oldValue,
    newValue,
    changed,
    droppedDigest: rewrite.digest === undefined ? pinned?.digest : undefined,
  };
}

/** Sets a `digest` value next to a tag: the new digest, or empty so an old one no longer pins the old image. */
function planDigestValue(
  scope: Scope,
  digestNode: Scalar | undefined,
  origin: string,
): { old?: string; next?: string; changed: boolean; dropped?: string } {
  const { rewrite } = scope;
  if (!digestNode) return { changed: false };
  const old = rewrite.scalarText(digestNode);
  const next = rewrite.digest ?? '';
  if (old === '' && next === '') return { changed: false };
  const changed = rewrite.setScalar(digestNode, next, origin);
  return { old, next, changed, ...(next === '' ? { dropped: old } : {}) };
}

/** `repository:` + `tag:` siblings, with optional `registry:` and `digest:` siblings (Bitnami style). */
function detectSplitReference(scope: Scope, map: YAMLMap, path: readonly Segment[]): void {
  const { rewrite } = scope;
  const tagPair = pairOf(scope, map, 'tag');
  const tagNode = tagPair ? scalarOf(scope, tagPair.value) : undefined;
  if (!tagNode) return;
  const registry = stringOf(scope, pairOf(scope, map, 'registry')?.value)?.trim();
  for (const key of REPOSITORY_KEYS) {
    const repository = stringOf(scope, pairOf(scope, map, key)?.value)?.trim();
    if (repository === undefined) continue;
    let reference = parseImageReference(repository);
    if (!reference || reference.tag !== undefined || reference.digest !== undefined) continue;
    if (registry && reference.registry === undefined) {
      reference = parseImageReference(`${registry}/${repository}`) ?? reference;
    }
    if (!imageMatches(rewrite.options.image, reference)) continue;
    const tag = planTagValue(scope, tagNode, `${key} + tag`);
    const digest = planDigestValue(
      scope,
      scalarOf(scope, pairOf(scope, map, 'digest')?.value),
      `${key} + digest`,
    );
    rewrite.addReference({
      kind: 'helm-values',
      node: tagNode,
      line: rewrite.lineOfNode(tagNode),
      path: [...path, 'tag'],
      oldValue: describeTag(tag.oldValue, digest.old),
      newValue: describeTag(tag.newValue, digest.next),
      changed: tag.changed || digest.changed,
      oldTag: tag.oldTag,
      newTag: rewrite.tag,
      droppedDigest: tag.droppedDigest ?? digest.dropped,
    });
    return;
  }
}

/** `image` → `imageTag`; `sidecarImage` → `sidecarImageTag`, then `sidecarTag`; `Image` → `ImageTag`. */
function siblingTagKeys(imageKey: string): string[] {
  const prefix = imageKey.slice(0, -'image'.length);
  const keys = [`${imageKey}Tag`];
  if (prefix !== '') keys.push(`${prefix}Tag`);
  return keys;
}

/**
 * `<prefix>Image:` + `<prefix>Tag:` (or `<prefix>ImageTag:`) siblings, as many charts write them
 * (`image: org/name` + `imageTag: 1.2.3`), with an optional `<prefix>ImageDigest`/`<prefix>Digest`.
 */
function detectSiblingTags(scope: Scope, map: YAMLMap, path: readonly Segment[]): void {
  const { rewrite } = scope;
  for (const pair of map.items) {
    const imageKey = keyOf(scope, pair);
    if (imageKey === undefined || !/(?:^i|I)mage$/.test(imageKey)) continue;
    const repository = stringOf(scope, pair.value)?.trim();
    const reference = repository === undefined ? undefined : parseImageReference(repository);
    if (!reference || reference.tag !== undefined || reference.digest !== undefined) continue;
    if (!imageMatches(rewrite.options.image, reference)) continue;
    const tagKey = siblingTagKeys(imageKey).find((key) => pairOf(scope, map, key) !== undefined);
    if (tagKey === undefined) continue;
    const tagNode = scalarOf(scope, pairOf(scope, map, tagKey)?.value);
    if (!tagNode) continue;
    const tag = planTagValue(scope, tagNode, `${imageKey} + ${tagKey}`);
    const digestKey = tagKey.replace(/Tag$/, 'Digest');
    const digest = planDigestValue(
      scope,
      scalarOf(scope, pairOf(scope, map, digestKey)?.value),
      `${imageKey} + ${digestKey}`,
    );
    rewrite.addReference({
      kind: 'helm-values',
      node: tagNode,
      line: rewrite.lineOfNode(tagNode),
      path: [...path, tagKey],
      oldValue: describeTag(tag.oldValue, digest.old),
      newValue: describeTag(tag.newValue, digest.next),
      changed: tag.changed || digest.changed,
      oldTag: tag.oldTag,
      newTag: rewrite.tag,
      droppedDigest: tag.droppedDigest ?? digest.dropped,
    });
  }
}

function walkGeneric(scope: Scope, node: unknown, path: Segment[]): void {
  if (isScalar(node)) {
    detectFullReference(scope, node, path);
  } else if (isMap(node)) {
    detectSplitReference(scope, node, path);
    detectSiblingTags(scope, node, path);
    for (const pair of node.items) {
      walkGeneric(scope, pair.value, [...path, keyOf(scope, pair) ?? '?']);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      walkGeneric(scope, item, [...path, index]);
    });
  }
  // Aliases are skipped: the anchored node is visited (and changed once) where it is defined.
}

function isKustomization(scope: Scope, root: YAMLMap): boolean {
  if (KUSTOMIZATION_FILES.has(basename(scope.rewrite.file))) return true;
  const kind = stringOf(scope, pairOf(scope, root, 'kind')?.value);
  const apiVersion = stringOf(scope, pairOf(scope, root, 'apiVersion')?.value) ?? '';
  return (
    (kind === 'Kustomization' || kind === 'Component') &&
    apiVersion.startsWith('kustomize.config.k8s.io/')
  );
}

/** A Flux `Kustomization` (kustomize.toolkit.fluxcd.io): its `spec.images` are kustomize's `images`. */
function isFluxKustomization(scope: Scope, root: YAMLMap): boolean {
  const kind = stringOf(scope, pairOf(scope, root, 'kind')?.value);
  const apiVersion = stringOf(scope, pairOf(scope, root, 'apiVersion')?.value) ?? '';
  return kind === 'Kustomization' && apiVersion.startsWith('kustomize.toolkit.fluxcd.io/');
}

/** `images:` entries: set `newTag` (inserted when missing) and `digest` (removed when no new digest). */
function detectKustomizeImages(scope: Scope, parent: unknown, at: readonly Segment[]): void {
  const { rewrite } = scope;
  const images = childOf(scope, parent, 'images');
  if (!isSeq(images)) return;
  images.items.forEach((item, index) => {
    const entry = resolveNode(scope, item);
    if (!isMap(entry)) return;
    const nameNode = scalarOf(scope, pairOf(scope, entry, 'name')?.value);
    const names = [
      stringOf(scope, pairOf(scope, entry, 'newName')?.value),
      stringOf(scope, nameNode),
    ];
    if (!names.some((name) => name !== undefined && rewrite.matchesName(name.trim()))) return;
    const path: Segment[] = [...at, 'images', index, 'newTag'];
    const newTagPair = pairOf(scope, entry, 'newTag');
    const newTagNode = newTagPair ? scalarOf(scope, newTagPair.value) : undefined;
    if (newTagPair && !newTagNode) {
      throw new ManifestError(
        `${rewrite.where(entry)}: ${formatKeyPath(path)} is not a plain value; make it one`,
      );
    }
    let changed = false;
    let oldTag = '';
    if (newTagNode) {
      oldTag = rewrite.scalarText(newTagNode);
      changed = rewrite.setScalar(newTagNode, rewrite.tag, 'kustomize newTag');
    } else {
      rewrite.insertPair(entry, 'newTag', rewrite.tag);
      changed = true;
    }
    const digestPair = pairOf(scope, entry, 'digest');
    const digestNode = digestPair ? scalarOf(scope, digestPair.value) : undefined;
    const oldDigest = digestNode ? rewrite.scalarText(digestNode) : undefined;
    if (rewrite.digest !== undefined) {
      if (digestNode)
        changed = rewrite.setScalar(digestNode, rewrite.digest, 'kustomize digest') || changed;
      else {
        rewrite.insertPair(entry, 'digest', rewrite.digest);
        changed = true;
      }
    } else if (digestPair) {
      // kustomize prefers digest over newTag: an old digest would keep the old image deployed.
      rewrite.removePair(entry, digestPair);
      changed = true;
    }
    const dropped = rewrite.digest === undefined && oldDigest !== '' ? oldDigest : undefined;
    rewrite.addReference({
      kind: 'kustomize',
      node: newTagNode ?? entry,
      line: rewrite.lineOfNode(newTagNode ?? nameNode ?? entry),
      path,
      oldValue: describeTag(oldTag, oldDigest),
      newValue: describeTag(rewrite.tag, rewrite.digest),
      changed,
      oldTag: oldTag === '' ? undefined : oldTag,
      newTag: rewrite.tag,
      droppedDigest: dropped,
    });
  });
}

interface ArgoSource {
  readonly node: YAMLMap;
  readonly path: readonly Segment[];
}

function argoSources(scope: Scope, root: YAMLMap, kind: string): ArgoSource[] {
  const specPath = kind === 'ApplicationSet' ? ['spec', 'template', 'spec'] : ['spec'];
  let spec: unknown = root;
  for (const key of specPath) spec = childOf(scope, spec, key);
  const sources: ArgoSource[] = [];
  const source = childOf(scope, spec, 'source');
  if (isMap(source)) sources.push({ node: source, path: [...specPath, 'source'] });
  const list = childOf(scope, spec, 'sources');
  if (isSeq(list)) {
    list.items.forEach((item, index) => {
      const node = resolveNode(scope, item);
      if (isMap(node)) sources.push({ node, path: [...specPath, 'sources', index] });
    });
  }
  return sources;
}

/** `{name: image.tag, value: ...}` next to `{name: image.repository, value: <the image>}`. */
function detectArgoHelmParameters(scope: Scope, source: ArgoSource): void {
  const { rewrite } = scope;
  const parameters = childOf(scope, childOf(scope, source.node, 'helm'), 'parameters');
  if (!isSeq(parameters)) return;
  const entries = parameters.items.map((item, index) => {
    const map = resolveNode(scope, item);
    if (!isMap(map)) return undefined;
    const name = stringOf(scope, pairOf(scope, map, 'name')?.value)?.trim();
    return { index, name, value: scalarOf(scope, pairOf(scope, map, 'value')?.value) };
  });
  for (const entry of entries) {
    const name = entry?.name;
    if (name === undefined || !(name === 'repository' || name.endsWith('.repository'))) continue;
    const reference = parseImageReference(stringOf(scope, entry?.value)?.trim() ?? '');
    if (!reference || reference.tag !== undefined || reference.digest !== undefined) continue;
    if (!imageMatches(rewrite.options.image, reference)) continue;
    const prefix = name.slice(0, -'repository'.length);
    const tagEntry = entries.find((candidate) => candidate?.name === `${prefix}tag`);
    const tagNode = tagEntry?.value;
    if (!tagEntry || !tagNode) continue;
    const tag = planTagValue(scope, tagNode, `Argo CD parameter ${prefix}tag`);
    const digestEntry = entries.find((candidate) => candidate?.name === `${prefix}digest`);
    const digest = planDigestValue(scope, digestEntry?.value, `Argo CD parameter ${prefix}digest`);
    rewrite.addReference({
      kind: 'argocd-helm',
      node: tagNode,
      line: rewrite.lineOfNode(tagNode),
      path: [...source.path, 'helm', 'parameters', tagEntry.index, 'value'],
      oldValue: describeTag(tag.oldValue, digest.old),
      newValue: describeTag(tag.newValue, digest.next),
      changed: tag.changed || digest.changed,
      oldTag: tag.oldTag,
      newTag: rewrite.tag,
      droppedDigest: tag.droppedDigest ?? digest.dropped,
    });
  }
}

/** `kustomize.images` strings: `[<name>=]<new name>[:tag][@digest]`. */
function detectArgoKustomizeImages(scope: Scope, source: ArgoSource): void {
  const { rewrite } = scope;
  const images = childOf(scope, childOf(scope, source.node, 'kustomize'), 'images');
  if (!isSeq(images)) return;
  images.items.forEach((item, index) => {
    const node = scalarOf(scope, item);
    if (typeof node?.value !== 'string') return;
    const text = node.value.trim();
    const equals = text.indexOf('=');
    const original = equals >= 0 ? text.slice(0, equals) : undefined;
    const reference = parseImageReference(equals >= 0 ? text.slice(equals + 1) : text);
    if (!reference) return;
    const matches =
      imageMatches(rewrite.options.image, reference) ||
      (original !== undefined && rewrite.matchesName(original));
    if (!matches) return;
    rewrite.claimed.add(node);
    const newValue =
      (original === undefined ? '' : `${original}=`) +
      formatReference(reference.name, rewrite.tag, rewrite.digest);
    const changed = rewrite.setScalar(node, newValue, 'Argo CD kustomize image');
    rewrite.addReference({
      kind: 'argocd-kustomize',
      node,
      line: rewrite.lineOfNode(node),
      path: [...source.path, 'kustomize', 'images', index],
      oldValue: text,
      newValue,
      changed,
      oldTag: reference.tag,
      newTag: rewrite.tag,
      droppedDigest: rewrite.digest === undefined ? reference.digest : undefined,
    });
  });
}

function isArgoApplication(scope: Scope, root: YAMLMap): string | undefined {
  const kind = stringOf(scope, pairOf(scope, root, 'kind')?.value);
  const apiVersion = stringOf(scope, pairOf(scope, root, 'apiVersion')?.value) ?? '';
  if (!apiVersion.startsWith('argoproj.io/')) return undefined;
  return kind === 'Application' || kind === 'ApplicationSet' ? kind : undefined;
}

// --- set entries -----------------------------------------------------------------------------

interface PathHit {
  readonly node: unknown;
  readonly path: readonly Segment[];
}

function resolveSetPath(
  scope: Scope,
  node: unknown,
  segments: readonly PathSegment[],
  path: readonly Segment[],
  hits: PathHit[],
): void {
  const current = resolveNode(scope, node);
  const [segment, ...rest] = segments;
  if (segment === undefined) {
    hits.push({ node: current, path });
    return;
  }
  if (segment.kind === 'key') {
    if (!isMap(current)) return;
    const pair = pairOf(scope, current, segment.key);
    if (pair && pair.value !== null) {
      resolveSetPath(scope, pair.value, rest, [...path, segment.key], hits);
    }
  } else if (segment.kind === 'index') {
    if (isSeq(current) && segment.index < current.items.length) {
      resolveSetPath(scope, current.items[segment.index], rest, [...path, segment.index], hits);
    }
  } else if (isSeq(current)) {
    current.items.forEach((item, index) => {
      const entry = resolveNode(scope, item);
      if (!isMap(entry)) return;
      const field = scalarOf(scope, pairOf(scope, entry, segment.field)?.value);
      if (field && scope.rewrite.scalarText(field) === segment.value) {
        resolveSetPath(scope, item, rest, [...path, index], hits);
      }
    });
  }
}

function parsesAsSameType(text: string, value: unknown): boolean {
  try {
    return typeof parse(text) === typeof value;
  } catch {
    return false;
  }
}

export function applySetEntries(
  scope: Scope,
  entries: readonly SetEntry[],
  placeholders: Parameters<typeof renderTemplate>[1],
): void {
  const { rewrite } = scope;
  for (const entry of entries) {
    const hits: PathHit[] = [];
    resolveSetPath(scope, scope.doc.contents, entry.path, [], hits);
    for (const hit of hits) {
      const node = hit.node;
      if (!isScalar(node)) {
        const what = isMap(node) ? 'a mapping' : isSeq(node) ? 'a list' : 'no value';
        throw new ManifestError(
          `entry '${entry.raw}' names ${what} at ${formatKeyPath(hit.path)} in ${rewrite.where(isMap(node) || isSeq(node) ? node : {})}; point it at a single value`,
          { input: 'set' },
        );
      }
      rewrite.setHits.add(entry.raw);
      const rendered = renderTemplate(entry, placeholders);
      // `replicas=3` keeps a number a number; any other value is written as a string.
      const keepsType =
        node.type === 'PLAIN' &&
        (typeof node.value === 'number' || typeof node.value === 'boolean') &&
        parsesAsSameType(rendered, node.value);
      const oldValue = rewrite.scalarText(node);
      const changed = rewrite.setScalar(
        node,
        rendered,
        `set entry '${entry.raw}'`,
        keepsType ? { raw: rendered } : rendered,
      );
      rewrite.addReference({
        kind: 'set',
        node,
        line: rewrite.lineOfNode(node),
        path: hit.path,
        oldValue,
        newValue: rendered,
        changed,
        oldTag: oldValue === '' ? undefined : oldValue,
        newTag: rendered,
        setEntry: entry.raw,
      });
    }
  }
}

/** Every reference to the image in one document: specific formats first, then any string. */
export function detectReferences(scope: Scope): void {
  const root = scope.doc.contents;
  if (isMap(root)) {
    if (isKustomization(scope, root)) detectKustomizeImages(scope, root, []);
    if (isFluxKustomization(scope, root)) {
      detectKustomizeImages(scope, childOf(scope, root, 'spec'), ['spec']);
    }
    const argoKind = isArgoApplication(scope, root);
    if (argoKind !== undefined) {
      for (const source of argoSources(scope, root, argoKind)) {
        detectArgoHelmParameters(scope, source);
        detectArgoKustomizeImages(scope, source);
      }
    }
  }
  // Specific rules claim their scalars first, so the generic scan does not report them again.
  walkGeneric(scope, root, []);
}

/**
 * Tags this values file overrides in another values file of its chart folder (`image.tag` alone,
 * layered on a `values.yaml` that holds `image.repository` + `image.tag`): changed like the tag they
 * override, unless this file names another image there; a value that cannot be read as a tag fails.
 */
export function applyValuesOverrides(scope: Scope, overrides: readonly ValuesOverride[]): void {
  const { rewrite } = scope;
  for (const override of overrides) {
    const key = override.path.at(-1);
    if (key?.kind !== 'key') continue;
    const parents: PathHit[] = [];
    resolveSetPath(scope, scope.doc.contents, override.path.slice(0, -1), [], parents);
    for (const parent of parents) {
      if (!isMap(parent.node)) continue;
      const pair = pairOf(scope, parent.node, key.key);
      if (!pair) continue;
      const value = resolveNode(scope, pair.value);
      if (isScalar(value) && rewrite.referenced.has(value)) continue;
      const fail = (what: string): never => {
        throw new ManifestError(
          `${rewrite.where(isScalar(value) || isMap(value) || isSeq(value) ? value : (pair.key ?? {}))} (${override.keyPath}) overrides the tag ${override.of} sets, but ${what}; say what it is with a 'set' entry, e.g. '${override.keyPath}={tag}' with 'files' naming ${rewrite.file}, or leave ${rewrite.file} out of 'files'`,
          { input: 'set' },
        );
      };
      let namesOther = false;
      for (const imageKey of imageKeysFor(key.key)) {
        const name = pairOf(scope, parent.node, imageKey);
        if (!name) continue;
        const text = stringOf(scope, name.value)?.trim();
        const reference = text === undefined ? undefined : parseImageReference(text);
        if (!reference) fail(`its ${imageKey} is not an image name`);
        namesOther = true;
      }
      // This file names its own image there (this one would have been found as a reference).
      if (namesOther) continue;
      if (!isScalar(value))
        fail(`holds ${isMap(value) ? 'a mapping' : isSeq(value) ? 'a list' : 'no value'}`);
      if (!isScalar(value)) continue;
      const tag = planTagValue(scope, value, `override of ${override.of}`);
      rewrite.addReference({
        kind: 'values-override',
        node: value,
        line: rewrite.lineOfNode(value),
        path: [...parent.path, key.key],
        oldValue: tag.oldValue,
        newValue: tag.newValue,
        changed: tag.changed,
        oldTag: tag.oldTag,
        newTag: rewrite.tag,
        droppedDigest: tag.droppedDigest,
        overrideOf: override.of,
      });
    }
  }
}
