/**
 * The SSM parameters a set of manifests asks for: ExternalSecret resources of the External Secrets
 * Operator (`external-secrets.io/*`, through a Parameter Store SecretStore/ClusterSecretStore) and
 * of the older kubernetes-external-secrets (`kubernetes-client.io/v1`, `backendType: systemManager`),
 * each name with the file and line that names it.
 *
 * Only resources count: a document without `apiVersion` and `kind` (a Helm values file) is not read,
 * whatever keys it holds, because what a chart makes of its values is the chart's business. What
 * names no single parameter (`find`, `path`), or names one through a store that is not in the
 * manifests, is reported as not checked, never guessed at.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { parameterNameProblem } from '../ssm/index.js';

export interface ManifestText {
  /** Relative to the manifests root, with `/`. */
  readonly path: string;
  readonly text: string;
}

export interface ParameterReference {
  /** The parameter's name as SSM knows it, e.g. `/cms/prod/db_password`. */
  readonly name: string;
  readonly file: string;
  /** 1-based line of the key in `file`. */
  readonly line: number;
  /** `ExternalSecret cms/cms-drupal-secrets`. */
  readonly resource: string;
  /** The region the store (or a kubernetes-external-secrets resource) names; undefined: the check's. */
  readonly region: string | undefined;
  /** Why this can never be a parameter's name; undefined for a valid name. */
  readonly invalid: string | undefined;
}

export interface UncheckedReference {
  readonly file: string;
  readonly line: number;
  readonly resource: string;
  /** What was not checked and why, e.g. `dataFrom.find names parameters by path, not one name`. */
  readonly reason: string;
}

export interface ParameterScan {
  readonly references: ParameterReference[];
  readonly unchecked: UncheckedReference[];
  /** ExternalSecrets read (of either API), checked or not. */
  readonly resources: number;
}

const ESO_GROUP = 'external-secrets.io';
const KES_API = 'kubernetes-client.io/v1';
const MERGE_KEY = '<<';
const MAX_HIERARCHY_DEPTH = 15;

interface Scope {
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly file: string;
}

function resolved(scope: Scope, node: unknown): unknown {
  return isAlias(node) ? node.resolve(scope.doc) : node;
}

/** The value under `key` as Kubernetes reads the map: its own pairs first, then `<<` merges. */
function member(scope: Scope, map: unknown, key: string, seen = new Set<unknown>()): unknown {
  const node = resolved(scope, map);
  if (!isMap(node) || seen.has(node)) return undefined;
  seen.add(node);
  const merges: unknown[] = [];
  for (const pair of node.items) {
    const pairKey = resolved(scope, pair.key);
    const name = isScalar(pairKey) ? String(pairKey.value) : undefined;
    if (name === key) return pair.value;
    if (name === MERGE_KEY) {
      const source = resolved(scope, pair.value);
      merges.push(...(isSeq(source) ? source.items : [pair.value]));
    }
  }
  for (const merge of merges) {
    const value = member(scope, merge, key, seen);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A scalar's text (numbers included, as Kubernetes would reject them but a name may look so). */
function text(scope: Scope, node: unknown): string | undefined {
  const value = resolved(scope, node);
  if (!isScalar(value)) return undefined;
  const scalar: unknown = value.value;
  if (typeof scalar === 'string') return scalar.trim();
  return typeof scalar === 'number' || typeof scalar === 'boolean' ? String(scalar) : undefined;
}

function items(scope: Scope, node: unknown): unknown[] {
  const value = resolved(scope, node);
  return isSeq(value) ? value.items : [];
}

/** The line of a node where it is written (an alias: where the alias is). */
function lineOf(scope: Scope, node: unknown, fallback: number): number {
  const range = (node as YamlNode | undefined)?.range;
  return range ? scope.lines.linePos(range[0]).line : fallback;
}

/**
 * Why a key can never name a parameter, undefined when it can: packages/ssm's naming rules (the
 * suite's one owner of them), plus what only creating a parameter refuses (reserved prefixes, depth).
 */
export function keyNameProblem(name: string): string | undefined {
  if (name === '') return 'the key is empty';
  const problem = parameterNameProblem(name);
  if (problem !== undefined) return problem;
  if (/^(aws|ssm)/i.test(name)) return "names starting with 'aws' or 'ssm' are reserved";
  if (name.split('/').length - 1 > MAX_HIERARCHY_DEPTH) {
    return `it is more than ${String(MAX_HIERARCHY_DEPTH)} levels deep`;
  }
  return undefined;
}

interface StoreInfo {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  /** `aws/ParameterStore`, `aws/SecretsManager`, `vault`, ... */
  readonly provider: string;
  readonly region: string | undefined;
}

interface Resource {
  readonly scope: Scope;
  readonly node: unknown;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly line: number;
}

/** Larger files are not parsed for ExternalSecrets (the manifest step holds its own files to this too). */
export const MAX_SCANNED_CHARACTERS = 2 * 1024 * 1024;

/**
 * Whether a file can hold an ExternalSecret or a store: their kinds all end in `Secret` or
 * `SecretStore`, spelt out unless written with escapes. Skips parsing every other file.
 */
const mayHoldSecrets = (text: string): boolean => text.includes('Secret') || text.includes('\\');

function readResources(
  sources: readonly ManifestText[],
  unchecked: UncheckedReference[],
): Resource[] {
  const resources: Resource[] = [];
  for (const source of sources) {
    if (!mayHoldSecrets(source.text)) continue;
    if (source.text.length > MAX_SCANNED_CHARACTERS) {
      unchecked.push({
        file: source.path,
        line: 1,
        resource: 'file',
        reason: `larger than ${String(MAX_SCANNED_CHARACTERS / (1024 * 1024))} MiB, not read for ExternalSecrets`,
      });
      continue;
    }
    const lines = new LineCounter();
    let docs: Document[];
    try {
      docs = parseAllDocuments(source.text, {
        lineCounter: lines,
        uniqueKeys: false,
      });
    } catch {
      continue;
    }
    if (!Array.isArray(docs)) continue;
    for (const doc of docs) {
      // A document YAML cannot read is the manifest step's to report; nothing is read from it here.
      if (doc.errors.length > 0) continue;
      const scope: Scope = { doc, lines, file: source.path };
      const root = doc.contents;
      const apiVersion = text(scope, member(scope, root, 'apiVersion'));
      const kind = text(scope, member(scope, root, 'kind'));
      if (apiVersion === undefined || kind === undefined) continue;
      const metadata = member(scope, root, 'metadata');
      resources.push({
        scope,
        node: root,
        apiVersion,
        kind,
        name: text(scope, member(scope, metadata, 'name')) ?? '(unnamed)',
        namespace: text(scope, member(scope, metadata, 'namespace')),
        line: lineOf(scope, root, 1),
      });
    }
  }
  return resources;
}

const groupOf = (apiVersion: string): string => apiVersion.split('/')[0] ?? '';

function storeOf(resource: Resource): StoreInfo {
  const { scope } = resource;
  const provider = member(scope, member(scope, resource.node, 'spec'), 'provider');
  const providerNode = resolved(scope, provider);
  const providerName = isMap(providerNode) ? (text(scope, providerNode.items[0]?.key) ?? '') : '';
  const aws = member(scope, provider, 'aws');
  return {
    kind: resource.kind,
    name: resource.name,
    namespace: resource.namespace,
    provider:
      providerName === 'aws'
        ? `aws/${text(scope, member(scope, aws, 'service')) ?? 'SecretsManager'}`
        : providerName || 'unknown',
    region: providerName === 'aws' ? text(scope, member(scope, aws, 'region')) : undefined,
  };
}

class Scan {
  readonly references: ParameterReference[] = [];
  readonly unchecked: UncheckedReference[] = [];
  private readonly seen = new Set<string>();

  reference(
    resource: Resource,
    node: unknown,
    fallbackLine: number,
    key: string,
    region: string | undefined,
  ): void {
    const line = lineOf(resource.scope, node, fallbackLine);
    const described = describe(resource);
    if (key.includes('{{')) {
      this.skip(resource, line, `key '${key}' is a template, not a name`);
      return;
    }
    if (key.startsWith('arn:')) {
      this.skip(resource, line, `key '${key}' is an ARN: name the parameter to have it checked`);
      return;
    }
    if (/^\/aws\//i.test(key)) {
      // Public parameters and /aws/reference/secretsmanager/... are read through GetParameter only.
      this.skip(resource, line, `key '${key}' is AWS's own (DescribeParameters does not list it)`);
      return;
    }
    // GetParameter's `name:version` and `name:label` selectors name the parameter before the colon.
    const name = key.includes(':') ? key.slice(0, key.indexOf(':')) : key;
    const id = `${resource.scope.file}:${String(line)}:${name}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.references.push({
      name,
      file: resource.scope.file,
      line,
      resource: described,
      region,
      invalid: keyNameProblem(name),
    });
  }

  skip(resource: Resource, line: number, reason: string): void {
    this.unchecked.push({ file: resource.scope.file, line, resource: describe(resource), reason });
  }
}

function describe(resource: Resource): string {
  return `${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ''}${resource.name}`;
}

/** kubernetes-external-secrets: `spec.backendType: systemManager`, `data[].key`, `dataFrom[]`. */
function scanKes(scan: Scan, resource: Resource): void {
  const { scope } = resource;
  const spec = member(scope, resource.node, 'spec');
  const backend = text(scope, member(scope, spec, 'backendType'));
  if (backend !== 'systemManager') return;
  const region = text(scope, member(scope, spec, 'region'));
  for (const entry of items(scope, member(scope, spec, 'data'))) {
    const line = lineOf(scope, entry, resource.line);
    const keyNode = member(scope, entry, 'key');
    const key = text(scope, keyNode);
    if (key !== undefined) {
      scan.reference(resource, keyNode, line, key, region);
    } else if (member(scope, entry, 'path') !== undefined) {
      const path = text(scope, member(scope, entry, 'path')) ?? '';
      scan.skip(resource, line, `data path '${path}' names every parameter under it, not one name`);
    }
  }
  for (const entry of items(scope, member(scope, spec, 'dataFrom'))) {
    const key = text(scope, entry);
    if (key !== undefined) scan.reference(resource, entry, resource.line, key, region);
  }
}

function findStore(
  stores: readonly StoreInfo[],
  kind: string,
  name: string,
  namespace: string | undefined,
): StoreInfo | undefined {
  const named = stores.filter((store) => store.kind === kind && store.name === name);
  if (kind === 'ClusterSecretStore' || named.length <= 1) return named[0];
  return named.find((store) => store.namespace === namespace);
}

/** External Secrets Operator: `spec.data[].remoteRef.key`, `spec.dataFrom[].extract.key`. */
function scanEso(scan: Scan, resource: Resource, stores: readonly StoreInfo[]): void {
  const { scope } = resource;
  const root = member(scope, resource.node, 'spec');
  // A ClusterExternalSecret carries the ExternalSecret's spec for each namespace it selects.
  const spec =
    resource.kind === 'ClusterExternalSecret' ? member(scope, root, 'externalSecretSpec') : root;
  const defaultStore = member(scope, spec, 'secretStoreRef');

  // The store an entry reads from: its own sourceRef.storeRef, else the resource's; a generator is none.
  const storeFor = (entry: unknown, line: number): StoreInfo | 'skip' => {
    const sourceRef = member(scope, entry, 'sourceRef');
    if (member(scope, sourceRef, 'generatorRef') !== undefined) return 'skip';
    const ref = member(scope, sourceRef, 'storeRef') ?? defaultStore;
    const name = text(scope, member(scope, ref, 'name'));
    const kind = text(scope, member(scope, ref, 'kind')) ?? 'SecretStore';
    if (name === undefined) {
      scan.skip(resource, line, 'it names no secretStoreRef');
      return 'skip';
    }
    const store = findStore(stores, kind, name, resource.namespace);
    if (store === undefined) {
      scan.skip(
        resource,
        line,
        `its ${kind} '${name}' is not in the manifests read, so whether it is Parameter Store is unknown: include the store's manifest in the files read to have its keys checked`,
      );
      return 'skip';
    }
    return store.provider === 'aws/ParameterStore' ? store : 'skip';
  };

  for (const entry of items(scope, member(scope, spec, 'data'))) {
    const line = lineOf(scope, entry, resource.line);
    const store = storeFor(entry, line);
    if (store === 'skip') continue;
    const keyNode = member(scope, member(scope, entry, 'remoteRef'), 'key');
    const key = text(scope, keyNode);
    if (key !== undefined) scan.reference(resource, keyNode, line, key, store.region);
  }
  for (const entry of items(scope, member(scope, spec, 'dataFrom'))) {
    const line = lineOf(scope, entry, resource.line);
    const extract = member(scope, entry, 'extract');
    const find = member(scope, entry, 'find');
    // v1alpha1 wrote the remote reference straight into the dataFrom entry.
    const keyNode = member(scope, extract, 'key') ?? member(scope, entry, 'key');
    const key = text(scope, keyNode);
    if (key === undefined && find === undefined) continue;
    const store = storeFor(entry, line);
    if (store === 'skip') continue;
    if (key !== undefined) {
      scan.reference(resource, keyNode, line, key, store.region);
    } else {
      scan.skip(
        resource,
        line,
        'dataFrom.find selects parameters by path, name pattern or tags, not by one name',
      );
    }
  }
}

/** Every SSM parameter the ExternalSecrets in `sources` name; see the module comment. */
export function findParameterReferences(sources: readonly ManifestText[]): ParameterScan {
  const scan = new Scan();
  const resources = readResources(sources, scan.unchecked);
  const stores = resources
    .filter(
      (resource) =>
        groupOf(resource.apiVersion) === ESO_GROUP &&
        (resource.kind === 'SecretStore' || resource.kind === 'ClusterSecretStore'),
    )
    .map(storeOf);
  let count = 0;
  for (const resource of resources) {
    if (resource.apiVersion === KES_API && resource.kind === 'ExternalSecret') {
      count += 1;
      scanKes(scan, resource);
    } else if (
      groupOf(resource.apiVersion) === ESO_GROUP &&
      (resource.kind === 'ExternalSecret' || resource.kind === 'ClusterExternalSecret')
    ) {
      count += 1;
      scanEso(scan, resource, stores);
    }
  }
  return { references: scan.references, unchecked: scan.unchecked, resources: count };
}
