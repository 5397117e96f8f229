/**
 * Byte-exact edits on the fidelity corpus (test/fixtures/manifests): update-manifest against the
 * `yaml` Document API and `yq` (Debian's jq wrapper, `yq -y`) given the exact changes. Prints one
 * table (docs/performance.md keeps the latest figures). `yq` is skipped when it is not installed.
 *
 *   npx tsx scripts/compare-fidelity.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { silentLogger } from '../packages/kit/index.js';
import { updateManifests } from '../packages/manifest/index.js';

const FIXTURES = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../test/fixtures/manifests',
);

type KeyPath = (string | number)[];
interface Change {
  readonly path: KeyPath;
  readonly value?: unknown;
  readonly remove?: boolean;
}

interface FixtureCase {
  readonly image: string;
  readonly tag: string;
  readonly digest?: string;
  readonly set?: string[];
  readonly files?: string[];
  readonly sha?: string;
  readonly format?: string;
  readonly allowDowngrade?: boolean;
  readonly downgradeReason?: string;
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every key path whose value differs between two parsed documents. */
function changesBetween(before: unknown, after: unknown, at: KeyPath, out: Change[]): void {
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  if (isMap(before) && isMap(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (!(key in after)) out.push({ path: [...at, key], remove: true });
      else changesBetween(before[key], after[key], [...at, key], out);
    }
  } else if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item: unknown, index) => {
      changesBetween(item, after[index], [...at, index], out);
    });
  } else {
    out.push({ path: at, value: after });
  }
}

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const absolute = path.join(dir, entry.name);
      return entry.isDirectory() ? listFiles(root, absolute) : [path.relative(root, absolute)];
    })
    .sort();
}

const jqPath = (keyPath: KeyPath): string =>
  keyPath
    .map((part) => (typeof part === 'number' ? `[${String(part)}]` : `[${JSON.stringify(part)}]`))
    .join('');

function withDocumentApi(input: string, changes: readonly Change[][]): string {
  const documents = parseAllDocuments(input);
  documents.forEach((document, index) => {
    for (const change of changes[index] ?? []) {
      if (change.remove === true) document.deleteIn(change.path);
      else document.setIn(change.path, change.value);
    }
  });
  return documents.map((document) => document.toString()).join('');
}

function withYq(file: string, changes: readonly Change[][]): string {
  const filter = changes
    .flat()
    .map((change) =>
      change.remove === true
        ? `del(.${jqPath(change.path)})`
        : `.${jqPath(change.path)} = ${JSON.stringify(change.value)}`,
    )
    .join(' | ');
  return execFileSync('yq', ['-y', filter === '' ? '.' : filter, file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

const attempt = (make: () => string, expected: string): boolean => {
  try {
    return make() === expected;
  } catch {
    return false;
  }
};

const hasYq = spawnSync('yq', ['--version']).status === 0;
const counts = { cases: 0, files: 0, ours: [0, 0], api: [0, 0], yq: [0, 0] };
for (const name of readdirSync(FIXTURES).sort()) {
  const dir = path.join(FIXTURES, name);
  if (!existsSync(path.join(dir, 'expected'))) continue;
  const fixture = JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as FixtureCase;
  counts.cases += 1;
  const root = await mkdtemp(path.join(tmpdir(), 'compare-fidelity-'));
  await cp(path.join(dir, 'input'), root, { recursive: true });
  await updateManifests({
    root,
    image: fixture.image,
    tag: fixture.tag,
    digest: fixture.digest,
    set: fixture.set,
    ...(fixture.files === undefined ? {} : { files: fixture.files }),
    sha: fixture.sha,
    format: fixture.format,
    allowDowngrade: fixture.allowDowngrade,
    downgradeReason: fixture.downgradeReason,
    logger: silentLogger,
  });
  const exact = { ours: true, api: true, yq: hasYq };
  for (const file of listFiles(path.join(dir, 'input'))) {
    const input = readFileSync(path.join(dir, 'input', file), 'utf8');
    const expected = readFileSync(path.join(dir, 'expected', file), 'utf8');
    const ours = (await readFile(path.join(root, file), 'utf8')) === expected;
    if (input === expected) {
      exact.ours &&= ours;
      continue;
    }
    counts.files += 1;
    const before = parseAllDocuments(input).map((document) => document.toJS() as unknown);
    const after = parseAllDocuments(expected).map((document) => document.toJS() as unknown);
    const changes = before.map((document, index) => {
      const out: Change[] = [];
      changesBetween(document, after[index], [], out);
      return out;
    });
    const api = attempt(() => withDocumentApi(input, changes), expected);
    const yq = hasYq && attempt(() => withYq(path.join(dir, 'input', file), changes), expected);
    for (const [tool, ok] of [
      ['ours', ours],
      ['api', api],
      ['yq', yq],
    ] as const) {
      if (ok) counts[tool][1] = (counts[tool][1] ?? 0) + 1;
      exact[tool] &&= ok;
    }
  }
  for (const tool of ['ours', 'api', 'yq'] as const) {
    if (exact[tool]) counts[tool][0] = (counts[tool][0] ?? 0) + 1;
  }
  await rm(root, { recursive: true, force: true });
}
const row = (tool: string, [cases = 0, files = 0]: number[]): string =>
  `| ${tool} | ${String(cases)} of ${String(counts.cases)} | ${String(files)} of ${String(counts.files)} |`;
console.log('| tool | cases byte-exact | files byte-exact |\n| --- | --- | --- |');
console.log(row('update-manifest', counts.ours));
console.log(row('`yaml` Document API', counts.api));
console.log(hasYq ? row('`yq -y`', counts.yq) : '| `yq -y` | not installed | |');
