/**
 * Speed targets, printed as ratios (never asserted: timings on a shared 2-core machine are noisy).
 *   next-version with 10,000 tags vs 10 tags (goal <= 2x), and the action's cold start vs `node -e ''`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createGitHubClient, GitHubRepository } from '../packages/github/index.js';
import { silentLogger } from '../packages/kit/index.js';
import { computeVersion } from '../packages/release/index.js';
import { nextVersion, parseVersions, VersionFormat } from '../packages/version/index.js';
import { node24Path, ROOT } from '../test/support/action-runner.js';
import {
  describeCalls,
  measureReleaseCalls,
  startGitHubServer,
} from '../test/support/github-server.js';
import { benchManifest } from './bench-manifest.js';

const format = VersionFormat.parse('v0.0.{n}');
const tagNames = (count: number): string[] =>
  Array.from({ length: count }, (_, index) => `v0.0.${String(index + 1)}`);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timeMedian(runs: number, action: () => unknown): Promise<number> {
  await action(); // warm-up: caches, JIT, connections
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await action();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

function report(name: string, large: number, small: number, unit: string, goal?: number): void {
  const ratio = large / small;
  const verdict =
    goal === undefined
      ? ''
      : ratio <= goal
        ? ` (goal <= ${String(goal)}x: met)`
        : ` (goal <= ${String(goal)}x: MISSED)`;
  console.log(
    `${name}: ${ratio.toFixed(2)}x  [${large.toFixed(1)} ${unit} vs ${small.toFixed(1)} ${unit}]${verdict}`,
  );
}

const node = node24Path();
const cli = `${ROOT}/dist/cli/index.js`;
const action = `${ROOT}/dist/compute-version/index.js`;

// 1. The CLI, as a person or a script runs it: process start, read stdin, parse, next.
const cliRun = (input: string) => () =>
  spawnSync(node, [cli, 'version', 'next'], { input, encoding: 'utf8' });
const big = tagNames(10_000).join('\n');
const small = tagNames(10).join('\n');
if (cliRun(big)().stdout !== 'v0.0.10001\n') throw new Error('CLI gave a wrong answer');
report(
  'next-version, CLI process, 10,000 tags vs 10',
  await timeMedian(15, cliRun(big)),
  await timeMedian(15, cliRun(small)),
  'ms',
  2,
);

// 2. The pure computation alone (linear in the tags: shown for scale).
const parseAndNext = (names: string[]) => () =>
  nextVersion(
    format,
    parseVersions(names, (name) => format.parse(name)),
  );
const bigNames = tagNames(10_000);
const smallNames = tagNames(10);
report(
  'next-version, in-process parse+next only, 10,000 tags vs 10',
  await timeMedian(50, parseAndNext(bigNames)),
  await timeMedian(50, parseAndNext(smallNames)),
  'ms',
);

// 3. The action's code against the GitHub test server: 100 pages of 100 tags vs one page.
const server = await startGitHubServer();
try {
  const measure = async (count: number): Promise<number> => {
    const repo = await server.createRepo(`bench/tags-${String(count)}`);
    await repo.createTags(tagNames(count), await repo.head());
    const sha = await repo.commit('next', { 'n.txt': 'n' });
    const repository = new GitHubRepository(
      createGitHubClient({ token: 't', baseUrl: server.url, logger: silentLogger }),
      { owner: repo.owner, repo: repo.name },
    );
    return timeMedian(5, () =>
      computeVersion({
        repository,
        sha,
        format,
        startAt: 1,
        reserve: false,
        skipIfReleased: true,
        requireChecks: [],
        logger: silentLogger,
      }),
    );
  };
  report(
    'compute-version against the local API, 10,000 tags vs 10 (100 pages vs 1)',
    await measure(10_000),
    await measure(10),
    'ms',
  );
} finally {
  await server.close();
}

// 4. Cold start of the bundle (loads, reads inputs, fails on the empty token) vs bare Node.
const coldAction = () =>
  spawnSync(node, [action], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
const bare = () => spawnSync(node, ['-e', ''], { encoding: 'utf8' });
if (!coldAction().stdout.includes("input 'token'"))
  throw new Error('bundle did not start as expected');
report(
  'compute-version bundle cold start vs node -e ""',
  await timeMedian(15, coldAction),
  await timeMedian(15, bare),
  'ms',
);
// 5a. GitHub API calls for one release pull request (goal <= 8) and one direct commit.
for (const mode of ['pull-request', 'direct'] as const) {
  const calls = await measureReleaseCalls({ mode });
  console.log(
    `API calls per release, ${mode}: ${String(calls.calls.length)}${mode === 'pull-request' ? ' (goal <= 8)' : ''}`,
  );
  console.log(describeCalls(calls).replace(/^/gm, '    '));
}

// 5. Manifest rewrites: throughput and the yq comparison.
await benchManifest((line) => {
  console.log(line);
});
// 6. Docker and ECR: cached rebuild+push vs raw docker, promote vs rebuild (needs dockerd and the registry).
const ecrBench = spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}/scripts/bench-ecr.ts`], {
  stdio: 'inherit',
});
if (ecrBench.status !== 0) console.log('ecr-build-push bench: did not run (see above)');
console.log(`node: ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}`);
