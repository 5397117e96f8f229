/**
 * Manifest rewrite throughput: 2,000 Helm values files (~20 MB) through updateManifests, against
 * `yq -i` per file (Debian's yq, the jq wrapper) on a sample of the same tree when yq is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../packages/kit/index.js';
import { updateManifests } from '../packages/manifest/index.js';

const IMAGE = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal';
const FILES = 2_000;
const YQ_SAMPLE = 50;

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

export async function benchManifest(report: (line: string) => void): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-manifest-'));
  try {
    let bytes = 0;
    for (let index = 0; index < FILES; index++) {
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
    const oursPerSecond = FILES / seconds;
    report(
      `manifest rewrite: ${String(result.changedFiles.length)} files (${(bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(2)} s = ${oursPerSecond.toFixed(0)} files/s`,
    );
    const sample = join(root, 'tenant-0', 'values-0.yaml');
    const expected = valuesFile(0).replace(':v0.0.417"', ':v0.0.418"');
    report(
      `manifest rewrite byte-exact (only the tag changed): ${(await readFile(sample, 'utf8')) === expected ? 'yes' : 'NO'}`,
    );

    if (spawnSync('yq', ['--version']).status !== 0) {
      report('yq: not installed (apt-get install yq): no comparison');
      return;
    }
    const yqStarted = performance.now();
    for (let index = 0; index < YQ_SAMPLE; index++) {
      const file = join(root, 'tenant-0', `values-${String(index)}.yaml`);
      execFileSync('yq', ['-y', '-i', `.deployment.container.image = "${IMAGE}:v0.0.419"`, file]);
    }
    const yqPerSecond = YQ_SAMPLE / ((performance.now() - yqStarted) / 1000);
    const yqOutput = await readFile(sample, 'utf8');
    const keptLines = yqOutput.split('\n').filter((line) => valuesFile(0).includes(line)).length;
    report(
      `manifest rewrite vs yq -i per file (${String(YQ_SAMPLE)}-file sample): ${(oursPerSecond / yqPerSecond).toFixed(1)}x faster (goal >= 10x) [${oursPerSecond.toFixed(0)} vs ${yqPerSecond.toFixed(1)} files/s]`,
    );
    report(
      `yq byte-exact: ${yqOutput === expected.replace('v0.0.418', 'v0.0.419') ? 'yes' : `no: comments ${yqOutput.includes('#') ? 'kept' : 'lost'}, ${String(valuesFile(0).split('\n').length - keptLines)} of ${String(valuesFile(0).split('\n').length)} lines changed`}`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
