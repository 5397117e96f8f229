/**
 * `npm run bench`: every speed and memory figure of the suite, measured side by side in one run and
 * printed as ONE markdown table (with the machine it ran on), pasteable into docs/performance.md.
 * Figures are reported, never asserted: timings on a shared 2-core machine are noisy.
 *
 *   cold start of each action bundle vs `node -e ''` (Node 24)
 *   next-version with 10,000 tags vs 10 (CLI process; in-process; the action's code, tags through
 *   git protocol v2 and through the API, with request counts)
 *   GitHub API calls per release pull request (goal <= 8) and per direct commit
 *   manifest rewrite throughput vs `yq -i` (goal >= 10x)          scripts/bench-manifest.ts
 *   cached rebuild+push vs raw docker, promote vs rebuild          scripts/bench-ecr.ts
 *   the whole local chain and each action's peak RSS (goal <= 100 MB)   scripts/bench-chain.ts
 *
 * `npm run bench -- --quick` takes fewer samples (for trying the bench, not for the docs).
 * Docker parts need dockerd and the registry (the ones `.ci/run` started when GITOPS_TEST_* is set).
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createGitHubClient, GitHubRepository, tagListerFor } from '../packages/github/index.js';
import { errorMessage, silentLogger } from '../packages/kit/index.js';
import { computeVersion } from '../packages/release/index.js';
import { nextVersion, parseVersions, VersionFormat } from '../packages/version/index.js';
import { node24Path, ROOT } from '../test/support/action-runner.js';
import { dockerAvailability, registryAvailability } from '../test/support/docker/index.js';
import { measureReleaseCalls, startGitHubServer } from '../test/support/github-server.js';
import { benchChain } from './bench-chain.js';
import { benchEcr } from './bench-ecr.js';
import { benchManifest } from './bench-manifest.js';
import {
  ACTIONS,
  createRssProbe,
  describeMachine,
  markdownTable,
  median,
  row,
  textRow,
  timeMedian,
  type BenchRow,
} from './bench-support.js';

const quick = process.argv.includes('--quick');
const started = performance.now();
const node = node24Path();
const rows: BenchRow[] = [];
let storageDriver: string | undefined;
let dockerEnv: Readonly<Record<string, string>> | undefined;
// Each Node process it is preloaded into writes its peak RSS at exit (see createRssProbe).
const probe = createRssProbe();
process.on('exit', () => {
  probe.remove();
});
let bareRssMb = Number.NaN;

/** Progress on stderr, so stdout is the report alone. */
function progress(message: string): void {
  process.stderr.write(
    `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`,
  );
}

const format = VersionFormat.parse('v0.0.{n}');
const tagNames = (count: number): string[] =>
  Array.from({ length: count }, (_, index) => `v0.0.${String(index + 1)}`);

// 1. Cold start of each bundle (load, read inputs, fail on the first empty one) vs bare Node,
//    interleaved so that drift on the machine hits all of them alike.
progress('cold starts');
{
  const runs = quick ? 5 : 15;
  const env = { PATH: process.env.PATH ?? '' };
  const spawnBundle = (name: string) => () =>
    spawnSync(node, [`${ROOT}/dist/${name}/index.js`], { env, encoding: 'utf8' });
  const bare = () => spawnSync(node, ['-e', ''], { env, encoding: 'utf8' });
  for (const name of ACTIONS) {
    const first = spawnBundle(name)();
    if (first.status !== 1 || !first.stdout.includes(`${name} failed: input '`))
      throw new Error(`${name} did not start as expected: ${first.stdout}${first.stderr}`);
  }
  const samples = new Map<string, number[]>([
    ['bare', []],
    ...ACTIONS.map((name) => [name, []] as [string, number[]]),
  ]);
  for (let run = 0; run <= runs; run++) {
    for (const [name, list] of samples) {
      const begin = performance.now();
      if (name === 'bare') bare();
      else spawnBundle(name)();
      // The first round warms the page cache.
      if (run > 0) list.push(performance.now() - begin);
    }
  }
  const bareMs = median(samples.get('bare') ?? []);
  // Peak RSS of the same start-up, to tell the bundle's own weight from the work of a real run.
  const startupRss = (args: readonly string[]): number => {
    probe.clear();
    spawnSync(node, [probe.importFlag, ...args], { env: { ...env, ...probe.env } });
    return probe.samples()[0]?.maxRssMb ?? Number.NaN;
  };
  bareRssMb = startupRss(['-e', '']);
  for (const name of ACTIONS) {
    rows.push(
      row({
        what: `${name} cold start (to its first input check)`,
        value: median(samples.get(name) ?? []),
        unit: 'ms',
        baseline: { value: bareMs, label: "node -e ''" },
        note: `Node 24, ${String(runs)} runs, medians; peak RSS ${startupRss([`${ROOT}/dist/${name}/index.js`]).toFixed(0)} MB (bare ${bareRssMb.toFixed(0)} MB)`,
      }),
    );
  }
}

// 2. next-version, as a person or a script runs the CLI: process start, read stdin, parse, next.
progress('next-version');
{
  const cli = `${ROOT}/dist/cli/index.js`;
  const runs = quick ? 5 : 15;
  const cliRun = (input: string) => () =>
    spawnSync(node, [cli, 'version', 'next'], { input, encoding: 'utf8' });
  const big = tagNames(10_000).join('\n');
  const small = tagNames(10).join('\n');
  if (cliRun(big)().stdout !== 'v0.0.10001\n') throw new Error('the CLI gave a wrong answer');
  rows.push(
    row({
      what: 'next-version, CLI process, 10,000 tags vs 10',
      value: await timeMedian(runs, cliRun(big)),
      unit: 'ms',
      baseline: { value: await timeMedian(runs, cliRun(small)), label: '10 tags' },
      goal: { op: '<=', value: 2, unit: 'x' },
      note: `${String(runs)} runs, medians`,
    }),
  );

  // The pure computation alone: linear in the tags, shown for scale.
  const parseAndNext = (names: string[]) => () =>
    nextVersion(
      format,
      parseVersions(names, (name) => format.parse(name)),
    );
  rows.push(
    row({
      what: 'next-version, in-process parse + next only, 10,000 tags vs 10',
      value: await timeMedian(50, parseAndNext(tagNames(10_000))),
      unit: 'ms',
      baseline: { value: await timeMedian(50, parseAndNext(tagNames(10))), label: '10 tags' },
      note: 'linear',
    }),
  );
}

// 3. The action's code against the GitHub test server: the tags through git protocol v2 (one
//    ls-refs request) and through the API (100 pages of 100 tags vs one page).
progress('compute-version against the local GitHub server (git protocol and API)');
{
  const server = await startGitHubServer();
  try {
    const repos = new Map<number, { repository: GitHubRepository; sha: string }>();
    const setUp = async (count: number) => {
      const known = repos.get(count);
      if (known) return known;
      const repo = await server.createRepo(`bench/tags-${String(count)}`);
      await repo.createTags(tagNames(count), await repo.head());
      const sha = await repo.commit('next', { 'n.txt': 'n' });
      const repository = new GitHubRepository(
        createGitHubClient({ token: 't', baseUrl: server.url, logger: silentLogger }),
        { owner: repo.owner, repo: repo.name },
      );
      repos.set(count, { repository, sha });
      return { repository, sha };
    };
    const measure = async (count: number, path: 'git' | 'api') => {
      const { repository, sha } = await setUp(count);
      const once = () =>
        computeVersion({
          repository,
          sha,
          format,
          startAt: 1,
          reserve: false,
          skipIfReleased: true,
          requireChecks: [],
          logger: silentLogger,
          ...(path === 'git'
            ? {
                tags: tagListerFor(
                  repository,
                  { serverUrl: server.url, apiUrl: server.url, token: 't' },
                  silentLogger,
                ),
              }
            : {}),
        });
      const before = server.requests.length;
      await once();
      const counted = server.requests.slice(before);
      const git = counted.filter((request) => request.path.includes('.git/')).length;
      const pages = counted.filter((request) => request.path.includes('/matching-refs/')).length;
      return {
        ms: await timeMedian(quick ? 2 : 5, once),
        requests: `${String(counted.length)} requests: ${String(git)} git + ${String(counted.length - git)} API (${String(pages)} tag pages)`,
      };
    };
    for (const path of ['git', 'api'] as const) {
      const many = await measure(10_000, path);
      const few = await measure(10, path);
      rows.push(
        row({
          what: `compute-version against the local GitHub server, tags through ${path === 'git' ? 'git protocol v2' : 'the API'}, 10,000 tags vs 10`,
          value: many.ms,
          unit: 'ms',
          baseline: { value: few.ms, label: '10 tags' },
          ...(path === 'git' ? { goal: { op: '<=', value: 2, unit: 'x' } } : {}),
          note: `${many.requests} vs ${few.requests}`,
        }),
      );
    }
  } finally {
    await server.close();
  }
}

// 4. GitHub API calls for one release pull request (goal <= 8) and one direct commit.
progress('API calls per release');
for (const mode of ['pull-request', 'direct'] as const) {
  const calls = await measureReleaseCalls({ mode });
  rows.push(
    row({
      what: `GitHub API calls, one release ${mode === 'pull-request' ? 'pull request' : 'direct commit'} (one file)`,
      value: calls.calls.length,
      unit: 'calls',
      ...(mode === 'pull-request' ? { goal: { op: '<=', value: 8, unit: 'calls' } } : {}),
      note: `${String(calls.writes)} writes, ${(calls.elapsedMs / 1000).toFixed(1)} s (writes spaced 1 s apart)`,
    }),
  );
}

// 5. Manifest rewrites: throughput and the yq comparison.
progress('manifest rewrite');
rows.push(...(await benchManifest(quick ? { files: 500, yqSample: 20 } : {})));

// 6. Docker and ECR, then the whole chain with each action's peak RSS: these need dockerd and the
//    registry; without them the rows say why.
const docker = dockerAvailability();
const registry = registryAvailability();
const unavailable = !docker.ok ? docker.reason : !registry.ok ? registry.reason : undefined;
if (unavailable !== undefined) {
  rows.push(textRow('ecr-build-push, whole chain, peak RSS', 'not run', unavailable));
} else {
  progress('ecr-build-push: rebuild vs raw docker, promote');
  try {
    const ecr = await benchEcr({ runs: quick ? 3 : 7 });
    rows.push(...ecr.rows);
    storageDriver = ecr.storageDriver;
    dockerEnv = ecr.dockerEnv;
  } catch (error: unknown) {
    rows.push(textRow('ecr-build-push rebuild vs raw docker', 'failed', errorMessage(error)));
  }

  progress('the whole chain, peak RSS');
  rows.push(...(await benchChain({ probe, node, bareRssMb })));
}

progress('done');
const machine = describeMachine({
  bundleNode: node,
  ...(dockerEnv === undefined ? {} : { dockerEnv }),
  ...(storageDriver === undefined ? {} : { storageDriver }),
});
console.log(markdownTable(rows));
console.log('');
for (const fact of machine) console.log(`- ${fact}`);
console.log(
  `- ${new Date().toISOString().slice(0, 10)}, ${quick ? 'quick run (fewer samples)' : 'full run'}, ${((performance.now() - started) / 1000).toFixed(0)} s in all`,
);
const missed = rows.filter((entry) => entry.met === false).map((entry) => entry.what.trim());
console.log(`- goals missed: ${missed.length === 0 ? 'none' : missed.join('; ')}`);
