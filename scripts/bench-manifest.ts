/**
 * Manifest rewrite throughput: 2,000 Helm values files (~23 MB) through updateManifests, against
 * `yq -i` per file (Debian's yq, the jq wrapper) on a sample of the same tree when yq is installed.
 * Returns rows for the report bench.ts prints.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../packages/kit/index.js';
import { updateManifests } from '../packages/manifest/index.js';
import { row, textRow, type BenchRow } from './bench-support.js';

const IMAGE = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal';

/** A realistic values file: the image among ~10 KB of comments, quoted strings and lists. */
function valuesFile(index: number): string {
  const lines = [
    `# values for tenant ${String(index)} — keep comments, quotes and order`,
    'replicaCount: 2',
    'deployment:',
    '  container:',
    `    image: "${IMAGE}:v0.0.417" # pinned by the release`,
    "    imagePullPolicy: 'IfNotPresent'",
    '  env:',
  ];
  for (let line = 0; line < 180; line++) {
    lines.push(
      `    - name: SETTING_${String(line)}`,
      `      value: "value ${String(line)} for ${String(index)}" # note`,
    );
  }
  lines.push('service:', '  type: ClusterIP', '  port: 80', '');
  return lines.join('\n');
}

export interface ManifestBenchOptions {
  /** Values files in the tree (default 2,000). */
  readonly files?: number;
  /** Files `yq -i` rewrites, one process each (default 50). */
  readonly yqSample?: number;
}

export async function benchManifest(options: ManifestBenchOptions = {}): Promise<BenchRow[]> {
  const files = options.files ?? 2_000;
  const yqSample = Math.min(options.yqSample ?? 50, files);
  const rows: BenchRow[] = [];
  const root = await mkdtemp(join(tmpdir(), 'bench-manifest-'));
  try {
    let bytes = 0;
    for (let index = 0; index < files; index++) {
      const dir = join(root, `tenant-${String(Math.floor(index / 100))}`);
      await mkdir(dir, { recursive: true });
      const text = valuesFile(index);
      bytes += Buffer.byteLength(text);
      await writeFile(join(dir, `values-${String(index)}.yaml`), text);
    }
    const started = performance.now();
    const result = await updateManifests({
      root,
      image: IMAGE,
      tag: 'v0.0.418',
      logger: silentLogger,
    });
    const seconds = (performance.now() - started) / 1000;
    const oursPerSecond = files / seconds;
    const sample = join(root, 'tenant-0', 'values-0.yaml');
    const expected = valuesFile(0).replace(':v0.0.417"', ':v0.0.418"');
    const byteExact = (await readFile(sample, 'utf8')) === expected;
    rows.push(
      row({
        what: `manifest rewrite, ${files.toLocaleString('en-US')} values files (${(bytes / 1e6).toFixed(0)} MB)`,
        value: oursPerSecond,
        unit: 'files/s',
        note: `${String(result.changedFiles.length)} changed in ${seconds.toFixed(1)} s; byte-exact: ${byteExact ? 'yes' : 'NO'}`,
      }),
    );

    if (spawnSync('yq', ['--version']).status !== 0) {
      rows.push(textRow('manifest rewrite vs `yq -i`', 'not run', 'yq is not installed'));
      return rows;
    }
    const yqStarted = performance.now();
    for (let index = 0; index < yqSample; index++) {
      const file = join(root, 'tenant-0', `values-${String(index)}.yaml`);
      execFileSync('yq', ['-y', '-i', `.deployment.container.image = "${IMAGE}:v0.0.419"`, file]);
    }
    const yqPerSecond = yqSample / ((performance.now() - yqStarted) / 1000);
    const yqOutput = await readFile(sample, 'utf8');
    const original = valuesFile(0).split('\n');
    const keptLines = yqOutput.split('\n').filter((line) => original.includes(line)).length;
    const yqExact = yqOutput === expected.replace('v0.0.418', 'v0.0.419');
    // The ratio is speed-up: ours over yq's, so the goal is a floor.
    rows.push(
      row({
        what: 'manifest rewrite vs `yq -i` per file (Debian yq, jq wrapper)',
        value: oursPerSecond,
        unit: 'files/s',
        baseline: { value: yqPerSecond, label: `yq, ${String(yqSample)}-file sample` },
        goal: { op: '>=', value: 10, unit: 'x' },
        note: yqExact
          ? 'yq byte-exact too'
          : `yq changed ${String(original.length - keptLines)} of ${String(original.length)} lines, comments ${yqOutput.includes('#') ? 'kept' : 'dropped'}`,
      }),
    );
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
