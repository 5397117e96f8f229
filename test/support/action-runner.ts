import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import {
  dockerConfigLeftBehind,
  scanDockerConfigDir,
  scanTexts,
  SecretLeakError,
  stepSecrets,
  watchCommandLines,
  type ArgvWatch,
} from './secret-scan.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let node24: string | undefined;

/**
 * A Node 24 binary, as the runner uses for `runs.using: node24`: $NODE24, else npm's `node@24`
 * package through npx (cached after the first call).
 */
export function node24Path(): string {
  node24 ??=
    process.env.NODE24 ??
    execFileSync('npx', ['-y', 'node@24', '-p', 'process.execPath'], { encoding: 'utf8' }).trim();
  return node24;
}

/** The github context values the runner substitutes into `${{ github.x }}` input defaults. */
export type GitHubContext = Record<string, string>;

export interface ActionRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
  readonly state: Record<string, string>;
  /** Command lines of the action's process tree the secret scan sampled, secrets redacted. */
  readonly commands: readonly string[];
}

/**
 * The state key under which ecr-build-push names its private DOCKER_CONFIG directory (registry
 * credentials), which its post step must remove.
 */
export const DOCKER_CONFIG_STATE = 'docker-config';

export interface RunActionOptions {
  /** `actions/<name>` folder or a path to an action.yml's folder. */
  readonly action: string;
  readonly inputs?: Record<string, string>;
  readonly github?: GitHubContext;
  readonly env?: Record<string, string>;
  /** Node binary; default Node 24 (see node24Path), as the runner uses for `node24`. */
  readonly node?: string;
  /** `post` runs `runs.post` (after the job's steps), as the runner does; default `main`. */
  readonly step?: 'main' | 'post';
  /**
   * What earlier steps saved through GITHUB_STATE (e.g. the main step's `state`), handed over as
   * STATE_<name> the way the runner gives it to the post step.
   */
  readonly state?: Record<string, string>;
  /**
   * Further values the secret scan must never find (e.g. the ECR test server's registry password).
   * Inputs named like a secret and the usual secret environment variables are known already.
   */
  readonly secrets?: readonly string[];
}

interface ActionManifest {
  inputs?: Record<string, { default?: string }>;
  runs: { using: string; main: string; post?: string };
}

/** Reads `name<<delimiter` blocks and `name=value` lines, as the runner does for GITHUB_OUTPUT. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc?.[1] && heredoc[2]) {
      const body: string[] = [];
      const delimiter = heredoc[2];
      for (index++; index < lines.length && lines[index] !== delimiter; index++) {
        body.push(lines[index] ?? '');
      }
      values[heredoc[1]] = body.join('\n');
      continue;
    }
    const separator = line.indexOf('=');
    if (separator > 0) values[line.slice(0, separator)] = line.slice(separator + 1);
  }
  return values;
}

function substituteGitHubContext(value: string, github: GitHubContext): string {
  return value.replace(
    /\$\{\{\s*github\.([A-Za-z_]+)\s*\}\}/g,
    (_match, key: string) => github[key] ?? '',
  );
}

/**
 * Runs a JavaScript action's committed bundle the way the Actions runner does: every declared input
 * as INPUT_<NAME> (defaults applied, `${{ github.* }}` substituted), file commands in temp files,
 * no TTY, and the exit code as the step's result.
 *
 * Every run is secret-scanned (./secret-scan.ts): a known secret in stdout, stderr, a command file,
 * a command line of the action's process tree, or the docker credentials outliving the post step,
 * throws a SecretLeakError naming where (the secret redacted).
 */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const actionDir = resolve(ROOT, options.action);
  const manifest = parseYaml(
    await readFile(join(actionDir, 'action.yml'), 'utf8'),
  ) as ActionManifest;
  const github = options.github ?? {};
  const workDir = await mkdtemp(join(tmpdir(), 'action-run-'));
  try {
    const files = {
      GITHUB_OUTPUT: join(workDir, 'output'),
      GITHUB_STEP_SUMMARY: join(workDir, 'summary'),
      GITHUB_STATE: join(workDir, 'state'),
      GITHUB_ENV: join(workDir, 'env'),
      GITHUB_PATH: join(workDir, 'path'),
    };
    await Promise.all(Object.values(files).map((file) => writeFile(file, '')));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? workDir,
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      RUNNER_TEMP: workDir,
      RUNNER_OS: 'Linux',
      ...files,
      ...options.env,
    };
    for (const [name, spec] of Object.entries(manifest.inputs ?? {})) {
      const given = options.inputs?.[name];
      const value = given ?? substituteGitHubContext(spec.default ?? '', github);
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }
    for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;
    const node = options.node ?? node24Path();
    const script = options.step === 'post' ? manifest.runs.post : manifest.runs.main;
    if (script === undefined) throw new Error(`${options.action}/action.yml has no runs.post`);
    const main = resolve(actionDir, script);
    const secrets = stepSecrets(options.inputs ?? {}, env, [
      ...(options.secrets ?? []),
      github.token ?? '',
    ]);
    let watch: { stop(): ArgvWatch } | undefined;
    const { exitCode, stdout, stderr } = await new Promise<{
      exitCode: number;
      stdout: string;
      stderr: string;
    }>((resolvePromise) => {
      const child = execFile(
        node,
        [main],
        { env, cwd: workDir, maxBuffer: 64 * 1024 * 1024 },
        (error, out, err) => {
          const code = error && typeof error.code === 'number' ? error.code : error ? 1 : 0;
          resolvePromise({ exitCode: code, stdout: out, stderr: err });
        },
      );
      if (child.pid !== undefined) watch = watchCommandLines(child.pid, secrets);
    });
    const argv = watch?.stop() ?? { samples: 0, commands: [], leaks: [] };
    const texts = {
      stdout,
      stderr,
      GITHUB_OUTPUT: await readFile(files.GITHUB_OUTPUT, 'utf8'),
      GITHUB_STEP_SUMMARY: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
      GITHUB_STATE: await readFile(files.GITHUB_STATE, 'utf8'),
      GITHUB_ENV: await readFile(files.GITHUB_ENV, 'utf8'),
      GITHUB_PATH: await readFile(files.GITHUB_PATH, 'utf8'),
    };
    const state = parseCommandFile(texts.GITHUB_STATE);
    const leaks = [...scanTexts(secrets, texts), ...argv.leaks];
    // The private credentials directory: scanned while it exists, gone once the post step ran.
    const dockerConfig =
      options.step === 'post' ? options.state?.[DOCKER_CONFIG_STATE] : state[DOCKER_CONFIG_STATE];
    if (env.DOCKER_CONFIG) leaks.push(...scanDockerConfigDir(secrets, env.DOCKER_CONFIG));
    if (dockerConfig) {
      leaks.push(
        ...(options.step === 'post'
          ? dockerConfigLeftBehind(secrets, dockerConfig)
          : scanDockerConfigDir(secrets, dockerConfig)),
      );
    }
    if (leaks.length > 0) {
      throw new SecretLeakError(
        `${options.action} (${options.step ?? 'main'} step, exit code ${String(exitCode)})`,
        leaks,
      );
    }
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseCommandFile(texts.GITHUB_OUTPUT),
      summary: texts.GITHUB_STEP_SUMMARY,
      state,
      commands: argv.commands,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
