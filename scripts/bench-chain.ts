/**
 * The whole local chain, timed, with the peak RSS of every process doing its real work:
 *
 *   1. the composite action (root action.yml) in one job of a user's workflow, run by the local
 *      workflow interpreter (test/support/workflow-runner) against the release fixture: the four
 *      bundles on Node 24 in sequence (compute-version reserves the tag on the GitHub API test
 *      server, ecr-build-push builds and pushes through the ECR test server and the registry,
 *      update-manifest edits the manifests checkout, open-manifest-pr opens the pull request);
 *   2. the command line's `gitops-release release` (one process, runRelease) on test/support/sandbox.ts,
 *      as `npm run demo` runs it.
 *
 * Peak RSS comes from a module preloaded through NODE_OPTIONS (see createRssProbe): each Node
 * process writes its own getrusage maxrss at exit, so the docker CLI children are not counted.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify as toYaml } from 'yaml';
import { errorMessage } from '../packages/kit/index.js';
import { ROOT } from '../test/support/action-runner.js';
import { describeRun, runWorkflow, type StepRun } from '../test/support/workflow-runner/index.js';
import {
  ACCOUNT_ID,
  APP,
  MANIFESTS_PATH,
  MANIFESTS_REPOSITORY,
  MANIFESTS_TOKEN,
  REGION,
  ROLE_ARN,
  TEAM,
  startReleaseFixture,
} from '../test/support/workflow-runner/release-fixture.js';
import {
  ACTIONS,
  bundleName,
  RSS_GOAL,
  row,
  textRow,
  type BenchRow,
  type RssProbe,
  type RssSample,
} from './bench-support.js';
import { startSandbox } from '../test/support/sandbox.js';

/** A user's workflow: one job, the app checked out, then the whole release in one step. */
function userWorkflow(ecrRepository: string): string {
  return [
    'name: release',
    'on: push',
    'permissions:',
    '  contents: read',
    'jobs:',
    '  release:',
    '    runs-on: ubuntu-24.04',
    '    permissions:',
    '      contents: write',
    '      id-token: write',
    '    outputs:',
    '      image: ${{ steps.release.outputs.image }}',
    '      digest: ${{ steps.release.outputs.digest }}',
    '      pull-request-url: ${{ steps.release.outputs.pull-request-url }}',
    '    steps:',
    '      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0',
    '        with:',
    '          persist-credentials: false',
    '      - id: release',
    '        uses: department-of-veterans-affairs/gitops-release-actions@v1',
    '        with:',
    `          app: ${APP}`,
    `          registry: '${ACCOUNT_ID}'`,
    `          region: ${REGION}`,
    `          ecr-repository: ${ecrRepository}`,
    `          aws-role-to-assume: ${ROLE_ARN}`,
    '          build-network: none',
    `          manifests-repository: ${MANIFESTS_REPOSITORY}`,
    '          manifests-token: ${{ secrets.MANIFESTS_TOKEN }}',
    `          manifests-path: ${MANIFESTS_PATH}`,
    `          team-reviewers: ${TEAM}`,
    '',
  ].join('\n');
}

const seconds = (ms: number): number => ms / 1000;

/** A step as the run shows it; the unnamed checkout of the app by what it stands for. */
function stepName(step: StepRun): string {
  if (step.name.startsWith('actions/checkout@')) return 'check out the app (stand-in: git clone)';
  return step.name || step.id;
}

/** The largest sample per bundle (`ecr-build-push:post` for its post step). */
function peakByBundle(samples: readonly RssSample[]): Map<string, number> {
  const peaks = new Map<string, number>();
  for (const sample of samples) {
    const name = bundleName(sample.script);
    if (name === undefined) continue;
    const key = sample.post ? `${name}:post` : name;
    peaks.set(key, Math.max(peaks.get(key) ?? 0, sample.maxRssMb));
  }
  return peaks;
}

/** The composite action in one job: wall time, the split per step, API calls, peak RSS. */
async function compositeRelease(probe: RssProbe, bareRssMb: number): Promise<BenchRow[]> {
  const fixture = await startReleaseFixture();
  try {
    const sha = await fixture.app.head();
    const services = {
      ...fixture.services,
      env: { ...fixture.services.env, NODE_OPTIONS: probe.importFlag, ...probe.env },
    };
    const requestsBefore = fixture.server.requests.length;
    probe.clear();
    const started = performance.now();
    const run = await runWorkflow({
      workflow: { text: userWorkflow(fixture.ecrRepository), name: 'user-release.yml' },
      secrets: { MANIFESTS_TOKEN },
      github: fixture.github(sha, { event_name: 'push', workflow: 'release' }),
      services,
      workDir: fixture.workDir,
    });
    const wallMs = performance.now() - started;
    if (run.result !== 'success') throw new Error(`the release failed:\n${describeRun(run)}`);
    const problems = await fixture.releaseProblems({
      version: 'v0.0.418',
      sha,
      outputs: run.jobs.release?.outputs ?? {},
    });
    if (problems.length > 0) throw new Error(`the release is incomplete: ${problems.join('; ')}`);
    const calls = fixture.server.requests.slice(requestsBefore);
    const writes = calls.filter((request) => request.method !== 'GET').length;
    // The composite's own steps, without the composite step that holds them (it spans them all).
    const allSteps = run.jobs.release?.legs[0]?.steps ?? [];
    const steps = allSteps.filter(
      (step) =>
        step.outcome !== 'skipped' && !allSteps.some((other) => other.id.startsWith(`${step.id}/`)),
    );
    const stepsMs = steps.reduce((sum, step) => sum + step.durationMs, 0);

    const rows: BenchRow[] = [
      row({
        what: 'whole local chain: composite action.yml in one job (4 bundles, Node 24)',
        value: seconds(wallMs),
        unit: 's',
        note: `workflow interpreter, release fixture, cached image layers; the steps below sum to ${seconds(stepsMs).toFixed(1)} s`,
      }),
      ...steps.map((step) =>
        row({
          what: `  step: ${stepName(step)}`,
          value: seconds(step.durationMs),
          unit: 's',
        }),
      ),
      row({
        what: 'GitHub API calls, the whole composite release',
        value: calls.length,
        unit: 'calls',
        note: `${String(writes)} writes: tag, manifests branch and pull request, GitHub release`,
      }),
    ];
    const peaks = peakByBundle(probe.samples());
    for (const action of ACTIONS) {
      const peak = peaks.get(action);
      if (peak === undefined) throw new Error(`no peak RSS recorded for ${action}`);
      rows.push(
        row({
          what: `${action} peak RSS, real run`,
          value: peak,
          unit: 'MB',
          baseline: { value: bareRssMb, label: "node -e ''" },
          goal: RSS_GOAL,
          note:
            action === 'ecr-build-push'
              ? `the Node process only, not its docker CLI children; post step ${(peaks.get('ecr-build-push:post') ?? Number.NaN).toFixed(0)} MB`
              : '',
        }),
      );
    }
    return rows;
  } finally {
    await fixture.close();
  }
}

/** `gitops-release release` on the sandbox: wall time and the split by its `[i/n]` step lines. */
async function cliRelease(probe: RssProbe, node: string, bareRssMb: number): Promise<BenchRow[]> {
  const sandbox = await startSandbox();
  try {
    const project = sandbox.sample;
    const configFile = join(sandbox.dir, 'release.yaml');
    writeFileSync(configFile, toYaml(project.releaseConfig));
    probe.clear();
    const marks: { title: string; at: number }[] = [];
    const started = performance.now();
    const { code, output } = await new Promise<{ code: number; output: string }>((done, fail) => {
      const child = spawn(
        node,
        [join(ROOT, 'dist/cli/index.js'), 'release', '--config', configFile, '--yes'],
        {
          env: { ...sandbox.childEnv(), NODE_OPTIONS: probe.importFlag, ...probe.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let text = '';
      let partial = '';
      child.stdout.on('data', (chunk: Buffer) => {
        const now = performance.now();
        text += chunk.toString('utf8');
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const step = /^\[\d+\/\d+\] (.*)$/.exec(line);
          if (step?.[1] !== undefined) marks.push({ title: step[1], at: now });
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      child.on('error', fail);
      child.on('close', (exitCode) => {
        done({ code: exitCode ?? 1, output: text });
      });
    });
    const wallMs = performance.now() - started;
    if (code !== 0) throw new Error(`gitops-release release exited ${String(code)}:\n${output}`);
    const split = marks.map((mark, index) => {
      const end = marks[index + 1]?.at ?? started + wallMs;
      // `Version: next release for 1a2b3c4 in owner/repo` -> `Version`
      return `${mark.title.split(':')[0] ?? mark.title} ${seconds(end - mark.at).toFixed(1)} s`;
    });
    const peak = peakByBundle(probe.samples()).get('cli');
    return [
      row({
        what: 'whole local chain: `gitops-release release` (CLI, one process) on the sandbox',
        value: seconds(wallMs),
        unit: 's',
        note: `start-up ${seconds((marks[0]?.at ?? started) - started).toFixed(1)} s, ${split.join(', ')}`,
      }),
      row({
        what: 'CLI peak RSS, the same release',
        value: peak ?? Number.NaN,
        unit: 'MB',
        baseline: { value: bareRssMb, label: "node -e ''" },
        note: 'all four steps in one process (not an action: the 100 MB goal is theirs); docker CLI children excluded',
      }),
    ];
  } finally {
    await sandbox.close();
  }
}

/** Both chains; one that fails becomes a row saying why, and the other still runs. */
export async function benchChain(options: {
  readonly probe: RssProbe;
  readonly node: string;
  readonly bareRssMb: number;
}): Promise<BenchRow[]> {
  const attempt = async (what: string, bench: () => Promise<BenchRow[]>): Promise<BenchRow[]> => {
    try {
      return await bench();
    } catch (error: unknown) {
      return [textRow(what, 'failed', errorMessage(error))];
    }
  };
  return [
    ...(await attempt('whole local chain (composite action), peak RSS', () =>
      compositeRelease(options.probe, options.bareRssMb),
    )),
    ...(await attempt('whole local chain (CLI)', () =>
      cliRelease(options.probe, options.node, options.bareRssMb),
    )),
  ];
}
