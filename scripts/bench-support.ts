/**
 * What the benches share: the row each one reports, medians, the peak-RSS probe, the machine
 * description and the one markdown table `npm run bench` prints (pasteable into docs/performance.md).
 * Figures are reported, never asserted: timings on a shared 2-core machine are noisy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release as kernelRelease, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

/** How a measured figure compares with its goal. */
export interface BenchGoal {
  /** `<=`: the figure (ratio when there is a baseline) must not exceed `value`; `>=`: reach it. */
  readonly op: '<=' | '>=';
  readonly value: number;
  /** `x` compares the ratio; otherwise the figure itself, in this unit (e.g. `MB`, `calls`). */
  readonly unit: string;
}

/** One line of the report. */
export interface BenchRow {
  /** What was measured, e.g. `update-manifest peak RSS, real run`. */
  readonly what: string;
  /** The measured figure, formatted with its unit. */
  readonly figure: string;
  /** What it is compared with, formatted ('' when nothing). */
  readonly baseline: string;
  /** figure / baseline, when both are numbers of the same kind. */
  readonly ratio: number | undefined;
  readonly goal: BenchGoal | undefined;
  /** Whether the goal is met; undefined without a goal. */
  readonly met: boolean | undefined;
  /** A short remark: how many runs, what is excluded. */
  readonly note: string;
}

export interface RowInput {
  readonly what: string;
  /** The figure as a number, in `unit`. */
  readonly value: number;
  readonly unit: string;
  /** The baseline in the same unit, and what it is (`node -e ''`). */
  readonly baseline?: { readonly value: number; readonly label: string };
  readonly goal?: BenchGoal;
  readonly note?: string;
}

/** `1234 ms`, `3.4 ms`, `38.2 s`, `71 MB`, `8 calls`: decimals only where they carry information. */
export function formatValue(value: number, unit: string): string {
  const digits = unit === 's' ? 1 : unit === 'ms' && value < 10 ? (value < 0.1 ? 3 : 1) : 0;
  return `${value.toFixed(digits)} ${unit}`;
}

/** A row from numbers: the ratio against the baseline and the verdict against the goal. */
export function row(input: RowInput): BenchRow {
  const ratio = input.baseline === undefined ? undefined : input.value / input.baseline.value;
  const compared = input.goal?.unit === 'x' ? ratio : input.value;
  const met =
    input.goal === undefined || compared === undefined
      ? undefined
      : input.goal.op === '<='
        ? compared <= input.goal.value
        : compared >= input.goal.value;
  return {
    what: input.what,
    figure: formatValue(input.value, input.unit),
    baseline:
      input.baseline === undefined
        ? ''
        : `${formatValue(input.baseline.value, input.unit)} (${input.baseline.label})`,
    ratio,
    goal: input.goal,
    met,
    note: input.note ?? '',
  };
}

/** A row whose figure is text (e.g. `yes`), with no ratio. */
export function textRow(what: string, figure: string, note = ''): BenchRow {
  return { what, figure, baseline: '', ratio: undefined, goal: undefined, met: undefined, note };
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median wall time in ms of `runs` calls, after one warm-up call (caches, JIT, connections). */
export async function timeMedian(runs: number, action: () => unknown): Promise<number> {
  await action();
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await action();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/** A peak resident set size, as one Node process reported it at exit. */
export interface RssSample {
  /** process.argv[1]: the script the process ran. */
  readonly script: string;
  /** True for ecr-build-push's post step (STATE_* variables are set only there). */
  readonly post: boolean;
  /** getrusage(RUSAGE_SELF).ru_maxrss: this process only, not its children. */
  readonly maxRssMb: number;
}

/**
 * A tiny module for `node --import` (or NODE_OPTIONS) that writes the process's peak RSS to
 * `dir` when it exits: the action's own code changes nothing, and its child processes (the docker
 * CLI) are not counted.
 */
export interface RssProbe {
  /** `--import=<file URL>`, for argv or NODE_OPTIONS. */
  readonly importFlag: string;
  /** Environment that switches the probe on: where it writes. */
  readonly env: Readonly<Record<string, string>>;
  /** Everything recorded so far. */
  samples(): RssSample[];
  /** Forgets what was recorded. */
  clear(): void;
  remove(): void;
}

export function createRssProbe(): RssProbe {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rss-'));
  const samplesDir = join(dir, 'samples');
  const probe = join(dir, 'rss-probe.mjs');
  writeFileSync(
    probe,
    [
      "import { mkdirSync, writeFileSync } from 'node:fs';",
      "process.on('exit', () => {",
      '  const dir = process.env.GITOPS_BENCH_RSS_DIR;',
      '  if (!dir) return;',
      '  mkdirSync(dir, { recursive: true });',
      '  const post = Object.keys(process.env).some((name) => name.startsWith("STATE_"));',
      '  const sample = { script: process.argv[1] ?? "", post, maxRssKb: process.resourceUsage().maxRSS };',
      '  writeFileSync(`${dir}/${process.pid}.json`, JSON.stringify(sample));',
      '});',
      '',
    ].join('\n'),
  );
  return {
    importFlag: `--import=${pathToFileURL(probe).href}`,
    env: { GITOPS_BENCH_RSS_DIR: samplesDir },
    samples: () => {
      let files: string[] = [];
      try {
        files = readdirSync(samplesDir);
      } catch {
        return [];
      }
      return files.map((file) => {
        const sample = JSON.parse(readFileSync(join(samplesDir, file), 'utf8')) as {
          script: string;
          post: boolean;
          maxRssKb: number;
        };
        return { script: sample.script, post: sample.post, maxRssMb: sample.maxRssKb / 1024 };
      });
    },
    clear: () => {
      rmSync(samplesDir, { recursive: true, force: true });
    },
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The four action bundles, in the order a release runs them. */
export const ACTIONS = [
  'compute-version',
  'ecr-build-push',
  'update-manifest',
  'open-manifest-pr',
] as const;
export type ActionName = (typeof ACTIONS)[number];

/** Which action bundle a script path is (`.../dist/<name>/index.js`), if any. */
export function bundleName(script: string): ActionName | 'cli' | undefined {
  const name = /\/dist\/([a-z-]+)\/index\.js$/.exec(script)?.[1];
  if (name === 'cli') return 'cli';
  return ACTIONS.find((action) => action === name);
}

/** The 100 MB peak-RSS goal every action has. */
export const RSS_GOAL: BenchGoal = { op: '<=', value: 100, unit: 'MB' };

function tryRun(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(command, [...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      ...(env === undefined ? {} : { env }),
    }).trim();
  } catch {
    return 'unknown';
  }
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return `${pretty?.[1] ?? 'Linux'}, kernel ${kernelRelease()}`;
  } catch {
    return `${process.platform} ${kernelRelease()}`;
  }
}

export interface MachineOptions {
  /** The Node the bundles ran on. */
  readonly bundleNode: string;
  /** Environment reaching the docker daemon the benches used (DOCKER_HOST). */
  readonly dockerEnv?: Readonly<Record<string, string>>;
  /** The daemon's storage driver, as the docker support found it. */
  readonly storageDriver?: string;
}

/** One line per fact: where the figures came from. */
export function describeMachine(options: MachineOptions): string[] {
  const cpu = cpus();
  const dockerEnv = { ...process.env, ...options.dockerEnv };
  const server = tryRun(
    '/usr/bin/docker',
    ['version', '--format', '{{.Server.Version}}'],
    dockerEnv,
  );
  const registry = tryRun('docker-registry', ['--version']).split(' ').at(-1) ?? 'unknown';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return [
    `cores: ${String(cpu.length)} × ${cpu[0]?.model.trim() ?? 'unknown'}`,
    `memory: ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `OS: ${osName()}`,
    `node: ${process.version} (tooling), ${tryRun(options.bundleNode, ['--version'])} (bundles)`,
    `docker: client ${tryRun('/usr/bin/docker', ['version', '--format', '{{.Client.Version}}'], dockerEnv)}, engine ${server}, storage driver ${options.storageDriver ?? 'unknown'}; Distribution registry ${registry}`,
    `load average at the end: ${load}`,
  ];
}

function goalText(goal: BenchGoal | undefined, met: boolean | undefined): string {
  if (goal === undefined) return '—';
  const unit = goal.unit === 'x' ? 'x' : ` ${goal.unit}`;
  const target = `${goal.op === '<=' ? '≤' : '≥'} ${String(goal.value)}${unit}`;
  return `${target} ${met === true ? 'met' : met === false ? '**missed**' : ''}`.trim();
}

function ratioText(ratio: number | undefined): string {
  if (ratio === undefined) return '—';
  const digits = ratio >= 100 ? 0 : ratio >= 10 ? 1 : ratio < 0.1 ? 3 : 2;
  return `${ratio.toFixed(digits)}x`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The report as one markdown table, columns padded so it reads in a terminal too. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const header = ['what', 'figure', 'baseline', 'ratio', 'goal', 'note'];
  const cells = rows.map((entry) =>
    [
      entry.what,
      entry.figure,
      entry.baseline || '—',
      ratioText(entry.ratio),
      goalText(entry.goal, entry.met),
      entry.note || '',
    ].map(escapeCell),
  );
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => (line[column] ?? '').length)),
  );
  const line = (values: readonly string[]): string =>
    `| ${values.map((value, column) => value.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...cells.map(line),
  ].join('\n');
}
