/**
 * Steps of one job leg, as the runner runs them: `run:` scripts with bash (or `shell: <cmd> {0}`),
 * the suite's JavaScript actions from their committed bundles under Node 24 (main, then `post` at
 * the end of the job), composite actions step by step, and external actions through their
 * stand-ins. File commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY) work as on
 * a runner.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';
import { parseCommandFile, runAction } from '../action-runner.js';
import {
  scanDockerConfigDir,
  scanTexts,
  SecretLeakError,
  stepSecrets,
  watchCommandLines,
  type ArgvWatch,
  type Leak,
} from '../secret-scan.js';
import {
  evaluateCondition,
  templateText,
  toText,
  evaluateTemplate,
  type ContextValue,
  type Contexts,
  type JobStatus,
} from './expressions.js';
import type { Permissions, RunnerServices, StepOutcome, StepRun } from './types.js';

/** This repository's name: `uses:` of it run the local checkout (or RunWorkflowOptions.suiteRoot). */
export const SUITE = 'department-of-veterans-affairs/gitops-release-actions';
const SUITE_USES = new RegExp(`^${SUITE}(/[^@]*)?@([^@]+)$`, 'i');

export type RawStep = Readonly<Record<string, unknown>>;

const STEP_KEYS = new Set([
  'id',
  'name',
  'if',
  'uses',
  'run',
  'shell',
  'with',
  'env',
  'working-directory',
  'continue-on-error',
  'timeout-minutes',
]);

interface ActionManifest {
  readonly inputs?: Readonly<Record<string, { readonly default?: unknown } | null>>;
  readonly outputs?: Readonly<Record<string, { readonly value?: unknown } | null>>;
  readonly runs: {
    readonly using: string;
    readonly main?: string;
    readonly post?: string;
    readonly 'post-if'?: string;
    readonly steps?: readonly RawStep[];
  };
}

interface PostStep {
  readonly id: string;
  readonly dir: string;
  readonly inputs: Record<string, string>;
  readonly state: Record<string, string>;
  readonly condition: string;
  readonly env: Record<string, string>;
}

/** One leg of a job: its workspace, token, environment and what its steps have done. */
export interface JobLeg {
  readonly id: string;
  readonly workspace: string;
  readonly runnerTemp: string;
  readonly permissions: Permissions;
  readonly services: RunnerServices;
  readonly suiteRoot: string;
  /**
   * A git repository of the suite (RunWorkflowOptions.suiteRepository) and where its commits are
   * unpacked: a suite `uses:` then runs the files of its ref, as GitHub resolves it.
   */
  readonly suiteRepository?: { readonly gitDir: string; readonly checkouts: string } | undefined;
  /** The github context of this leg (token = the job's token, job = the job id). */
  readonly github: Readonly<Record<string, string>>;
  /** inputs, secrets, vars, needs, matrix, strategy: fixed for the leg. */
  readonly contexts: Readonly<Record<string, ContextValue>>;
  /** Workflow + job `env:`, then what steps export through GITHUB_ENV. */
  readonly env: Record<string, string>;
  /** Directories added through GITHUB_PATH, newest first. */
  readonly path: string[];
  readonly summary: string[];
  readonly posts: PostStep[];
  readonly records: StepRun[];
  status: JobStatus;
}

/** The steps of a job, or of one composite action inside it. */
interface StepScope {
  readonly steps: Record<string, ContextValue>;
  /** The composite's inputs; undefined in a job (the workflow's inputs apply). */
  readonly inputs: Readonly<Record<string, string>> | undefined;
  readonly actionPath: string | undefined;
  readonly idPrefix: string;
  /** env given to the composite step, inherited by its steps. */
  readonly env: Readonly<Record<string, string>>;
  status: JobStatus;
}

const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** A YAML scalar as the runner reads it: text, `true`, `3`; nothing is ''. */
export function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function stringMap(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: not a mapping`);
  return value as Record<string, unknown>;
}

/** `::error::message` and `::error title=...::message` lines of a step's output. */
function errorLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('::error'))
    .map((line) => line.replace(/^::error[^:]*::/, ''));
}

function contextsFor(leg: JobLeg, scope: StepScope, env: Record<string, string>): Contexts {
  return {
    ...leg.contexts,
    github: { ...leg.github, ...(scope.actionPath ? { action_path: scope.actionPath } : {}) },
    env,
    steps: scope.steps,
    ...(scope.inputs ? { inputs: scope.inputs } : {}),
    runner: { os: 'Linux', arch: 'X64', temp: leg.runnerTemp, name: 'workflow-runner' },
    job: { status: leg.status },
  };
}

/** GITHUB_* and RUNNER_* variables from the github context, as the runner sets them. */
function runnerVariables(leg: JobLeg, actionPath: string | undefined): Record<string, string> {
  const variables: Record<string, string> = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: leg.workspace,
    RUNNER_TEMP: leg.runnerTemp,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
  };
  for (const [key, value] of Object.entries(leg.github)) {
    if (key === 'token' || key === 'workspace') continue;
    variables[`GITHUB_${key.toUpperCase()}`] = value;
  }
  if (actionPath) variables.GITHUB_ACTION_PATH = actionPath;
  return variables;
}

function stepEnvironment(
  leg: JobLeg,
  scope: StepScope,
  stepEnv: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {
    ...leg.services.env,
    ...runnerVariables(leg, scope.actionPath),
    ...leg.env,
    ...scope.env,
    ...stepEnv,
  };
  env.PATH = [...leg.path, env.PATH ?? ''].join(':');
  return env;
}

interface Spawned {
  readonly exitCode: number;
  readonly output: string;
}

function spawnCollect(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string> },
  onSpawn: (pid: number) => void,
): Promise<Spawned> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) onSpawn(child.pid);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (error) => {
      chunks.push(Buffer.from(`${error.message}\n`));
    });
    child.on('close', (code) => {
      resolvePromise({ exitCode: code ?? 1, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** The command line of a `shell:`: bash as the runner runs it, or a custom `<command> {0}`. */
function shellCommand(shell: string | undefined, script: string): [string, string[]] {
  const name = (shell ?? 'bash').trim();
  if (name === 'bash') return ['bash', ['--noprofile', '--norc', '-eo', 'pipefail', script]];
  if (name === 'sh') return ['sh', ['-e', script]];
  if (!name.includes('{0}')) throw new Error(`shell "${name}" is not supported here`);
  const [command = '', ...args] = name.split(/\s+/).map((part) => part.replace('{0}', script));
  return [command, args];
}

interface FileCommands {
  readonly GITHUB_OUTPUT: string;
  readonly GITHUB_ENV: string;
  readonly GITHUB_PATH: string;
  readonly GITHUB_STEP_SUMMARY: string;
  readonly GITHUB_STATE: string;
}

function fileCommands(dir: string): FileCommands {
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_STATE: join(dir, 'state'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  return files;
}

interface StepResult {
  readonly outcome: Exclude<StepOutcome, 'skipped'>;
  readonly outputs: Record<string, string>;
  readonly inputs: Record<string, string>;
  readonly log: string;
  readonly errors: string[];
}

const skippedRecord = (id: string, name: string, kind: string): StepRun => ({
  id,
  name,
  kind,
  outcome: 'skipped',
  outputs: {},
  inputs: {},
  log: '',
  errors: [],
  durationMs: 0,
});

const failed = (message: string, log = '', inputs: Record<string, string> = {}): StepResult => ({
  outcome: 'failure',
  outputs: {},
  inputs,
  log,
  errors: [message],
});

async function runScript(
  leg: JobLeg,
  scope: StepScope,
  step: RawStep,
  contexts: Contexts,
  env: Record<string, string>,
): Promise<StepResult> {
  if (scope.actionPath !== undefined && step.shell === undefined) {
    return failed('a run step of a composite action needs shell:');
  }
  const dir = mkdtempSync(join(leg.runnerTemp, 'step-'));
  const files = fileCommands(dir);
  const script = join(
    dir,
    step.shell === undefined || step.shell === 'bash' ? 'script.sh' : 'script',
  );
  writeFileSync(script, templateText(asText(step.run), contexts));
  const [command, args] = shellCommand(
    step.shell === undefined ? undefined : templateText(asText(step.shell), contexts),
    script,
  );
  const workingDirectory = step['working-directory'];
  const cwd =
    workingDirectory === undefined
      ? leg.workspace
      : resolve(leg.workspace, templateText(asText(workingDirectory), contexts));
  const secrets = stepSecrets({}, env, legSecrets(leg));
  let watch: { stop(): ArgvWatch } | undefined;
  const { exitCode, output } = await spawnCollect(
    command,
    args,
    { cwd, env: { ...env, ...files } },
    (pid) => (watch = watchCommandLines(pid, secrets)),
  );
  const leaks: Leak[] = [
    ...(watch?.stop().leaks ?? []),
    ...scanTexts(secrets, {
      log: output,
      GITHUB_OUTPUT: readFileSync(files.GITHUB_OUTPUT, 'utf8'),
      GITHUB_ENV: readFileSync(files.GITHUB_ENV, 'utf8'),
      GITHUB_PATH: readFileSync(files.GITHUB_PATH, 'utf8'),
      GITHUB_STEP_SUMMARY: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
      GITHUB_STATE: readFileSync(files.GITHUB_STATE, 'utf8'),
    }),
    // The composite runs ecr-build-push's bundle in a run: step: its credentials directory.
    ...dockerConfigDirs(leg.runnerTemp).flatMap((dir) => scanDockerConfigDir(secrets, dir)),
  ];
  if (leaks.length > 0) {
    throw new SecretLeakError(`run: step ${asText(step.name ?? step.id)} of job ${leg.id}`, leaks);
  }
  for (const [key, value] of Object.entries(
    parseCommandFile(readFileSync(files.GITHUB_ENV, 'utf8')),
  )) {
    leg.env[key] = value;
  }
  const added = readFileSync(files.GITHUB_PATH, 'utf8').split('\n').filter(Boolean);
  leg.path.unshift(...added.reverse());
  leg.summary.push(readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'));
  const errors = errorLines(output);
  if (exitCode !== 0) errors.push(`exit code ${String(exitCode)}`);
  return {
    outcome: exitCode === 0 ? 'success' : 'failure',
    outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    inputs: {},
    log: output,
    errors,
  };
}

/** The values of the leg's `secrets` context, its token and the services' own (a registry password). */
export function legSecrets(leg: JobLeg): string[] {
  const secrets = leg.contexts.secrets;
  const values =
    secrets !== null && typeof secrets === 'object' && !Array.isArray(secrets)
      ? Object.values(secrets).filter((value): value is string => typeof value === 'string')
      : [];
  return [...values, leg.github.token ?? '', ...(leg.services.secrets ?? [])];
}

/** Private DOCKER_CONFIG directories (ecr-build-push's `docker-config-*`) under a runner temp. */
export function dockerConfigDirs(runnerTemp: string): string[] {
  return readdirSync(runnerTemp)
    .filter((name) => name.startsWith('docker-config-'))
    .map((name) => join(runnerTemp, name));
}

function readManifest(dir: string): ActionManifest {
  const file = ['action.yml', 'action.yaml'].map((name) => join(dir, name)).find(existsSync);
  if (file === undefined) throw new Error(`no action.yml in ${dir}`);
  return parseYaml(readFileSync(file, 'utf8')) as ActionManifest;
}

/**
 * The suite's files at `ref` (tag, branch or commit) from its git repository, unpacked once per
 * commit; this checkout when the run has no suite repository.
 */
function suiteRootAt(leg: JobLeg, ref: string): string {
  const repository = leg.suiteRepository;
  if (repository === undefined) return leg.suiteRoot;
  let sha: string;
  try {
    sha = execFileSync(
      'git',
      ['--git-dir', repository.gitDir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`],
      { encoding: 'utf8' },
    ).trim();
  } catch {
    throw new Error(`${SUITE}@${ref}: no such tag, branch or commit in the suite repository`);
  }
  const dir = join(repository.checkouts, sha);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    execFileSync(
      'sh',
      ['-c', 'git --git-dir "$1" archive "$2" | tar -x -C "$3"', 'sh'].concat([
        repository.gitDir,
        sha,
        dir,
      ]),
    );
  }
  return dir;
}

/** The folder of a `uses:` this interpreter runs itself, or undefined for an external action. */
function actionDirectory(leg: JobLeg, uses: string): string | undefined {
  if (uses.startsWith('./')) return resolve(leg.workspace, uses);
  const suite = SUITE_USES.exec(uses);
  if (suite) return resolve(suiteRootAt(leg, suite[2] ?? ''), `.${suite[1] ?? ''}`);
  return undefined;
}

function evaluateWith(step: RawStep, contexts: Contexts): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [key, value] of Object.entries(stringMap(step.with, 'with'))) {
    inputs[key] = templateText(asText(value), contexts);
  }
  return inputs;
}

/** `with:` keys the action does not declare: the runner only warns; here it fails the step. */
function undeclared(manifest: ActionManifest, inputs: Record<string, string>): string[] {
  const declared = new Set(Object.keys(manifest.inputs ?? {}).map((name) => name.toLowerCase()));
  return Object.keys(inputs).filter((name) => !declared.has(name.toLowerCase()));
}

async function runJavaScriptAction(
  leg: JobLeg,
  id: string,
  dir: string,
  manifest: ActionManifest,
  inputs: Record<string, string>,
  env: Record<string, string>,
): Promise<StepResult> {
  const run = await runAction({
    action: dir,
    inputs,
    github: { ...leg.github },
    env,
    secrets: legSecrets(leg),
  });
  if (manifest.runs.post !== undefined) {
    leg.posts.push({
      id,
      dir,
      inputs,
      state: run.state,
      condition: manifest.runs['post-if'] ?? 'always()',
      env,
    });
  }
  leg.summary.push(run.summary);
  const log = `${run.stdout}${run.stderr}`;
  const errors = errorLines(run.stdout);
  if (run.exitCode !== 0 && errors.length === 0) errors.push(`exit code ${String(run.exitCode)}`);
  return {
    outcome: run.exitCode === 0 ? 'success' : 'failure',
    outputs: run.outputs,
    inputs,
    log,
    errors,
  };
}

async function runComposite(
  leg: JobLeg,
  id: string,
  dir: string,
  manifest: ActionManifest,
  given: Record<string, string>,
  env: Record<string, string>,
  contexts: Contexts,
): Promise<StepResult> {
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(manifest.inputs ?? {})) {
    inputs[name] = given[name] ?? templateText(asText(spec?.default), contexts);
  }
  const scope: StepScope = {
    steps: {},
    inputs,
    actionPath: dir,
    idPrefix: `${id}/`,
    env,
    status: 'success',
  };
  await runSteps(leg, manifest.runs.steps ?? [], scope);
  const outputs: Record<string, string> = {};
  const outputContexts = contextsFor(leg, scope, { ...leg.env, ...env });
  for (const [name, spec] of Object.entries(manifest.outputs ?? {})) {
    outputs[name] = templateText(asText(spec?.value), outputContexts);
  }
  return {
    outcome: scope.status === 'success' ? 'success' : 'failure',
    outputs,
    inputs: given,
    log: '',
    errors: scope.status === 'success' ? [] : ['a step of the composite action failed'],
  };
}

async function runUses(
  leg: JobLeg,
  id: string,
  step: RawStep,
  contexts: Contexts,
  env: Record<string, string>,
): Promise<StepResult> {
  const uses = asText(step.uses);
  const inputs = evaluateWith(step, contexts);
  const dir = actionDirectory(leg, uses);
  if (dir === undefined) {
    const name = uses.replace(/@.*$/, '').toLowerCase();
    const standIn = leg.services.externalActions[name];
    if (standIn === undefined) return failed(`no stand-in for ${uses}`, '', inputs);
    try {
      const effect = await standIn({
        uses,
        inputs,
        workspace: leg.workspace,
        job: { id: leg.id, permissions: leg.permissions, token: leg.github.token ?? '' },
        github: leg.github,
      });
      Object.assign(leg.env, effect.env ?? {});
      return {
        outcome: 'success',
        outputs: { ...effect.outputs },
        inputs,
        log: '',
        errors: [],
      };
    } catch (error: unknown) {
      return failed(`${uses}: ${errorText(error)}`, '', inputs);
    }
  }
  const manifest = readManifest(dir);
  const unexpected = undeclared(manifest, inputs);
  if (unexpected.length > 0) {
    return failed(`${uses}: unexpected input(s) ${unexpected.join(', ')}`, '', inputs);
  }
  const using = manifest.runs.using;
  if (using === 'composite') return runComposite(leg, id, dir, manifest, inputs, env, contexts);
  if (using === 'node20' || using === 'node24') {
    return runJavaScriptAction(leg, id, dir, manifest, inputs, env);
  }
  return failed(`${uses}: runs.using ${using} is not supported here`, '', inputs);
}

function generatedId(step: RawStep, index: number): string {
  if (step.uses !== undefined) {
    return `__${asText(step.uses)
      .replace(/@.*$/, '')
      .replace(/[^A-Za-z0-9]+/g, '_')}`;
  }
  return `__run_${String(index + 1)}`;
}

/** Runs steps in order; a failure skips the rest except `always()`/`failure()` ones. */
export async function runSteps(
  leg: JobLeg,
  steps: readonly RawStep[],
  scope: StepScope,
): Promise<void> {
  for (const [index, step] of steps.entries()) {
    const unknown = Object.keys(step).filter((key) => !STEP_KEYS.has(key));
    if (unknown.length > 0)
      throw new Error(`step ${String(index + 1)}: unsupported ${unknown.join(', ')}`);
    let id = asText(step.id) || generatedId(step, index);
    // Generated ids stay unique, as the runner's do (`__actions_checkout_2`).
    for (let suffix = 2; step.id === undefined && id in scope.steps; suffix++) {
      id = `${generatedId(step, index)}_${String(suffix)}`;
    }
    const fullId = `${scope.idPrefix}${id}`;
    const kind = step.uses !== undefined ? asText(step.uses) : 'run';
    const name = asText(step.name) || kind;
    const baseEnv = { ...leg.env, ...scope.env };
    const started = performance.now();
    let result: StepResult;
    let contexts = contextsFor(leg, scope, baseEnv);
    try {
      const condition = step.if as string | boolean | undefined;
      if (!evaluateCondition(condition, contexts, scope.status)) {
        scope.steps[id] = { outcome: 'skipped', conclusion: 'skipped', outputs: {} };
        leg.records.push(skippedRecord(fullId, name, kind));
        continue;
      }
      const stepEnv: Record<string, string> = {};
      for (const [key, value] of Object.entries(stringMap(step.env, 'env'))) {
        stepEnv[key] = templateText(asText(value), contexts);
      }
      contexts = contextsFor(leg, scope, { ...baseEnv, ...stepEnv });
      const env = stepEnvironment(leg, scope, stepEnv);
      if (step.run !== undefined) result = await runScript(leg, scope, step, contexts, env);
      else if (step.uses !== undefined) result = await runUses(leg, fullId, step, contexts, env);
      else throw new Error('neither run: nor uses:');
    } catch (error: unknown) {
      // A leaked secret fails the test, not just the step a workflow could continue past.
      if (error instanceof SecretLeakError) throw error;
      result = failed(errorText(error));
    }
    const continueOnError =
      step['continue-on-error'] !== undefined &&
      toText(evaluateTemplate(asText(step['continue-on-error']), contexts)) === 'true';
    const conclusion = result.outcome === 'failure' && continueOnError ? 'success' : result.outcome;
    scope.steps[id] = { outcome: result.outcome, conclusion, outputs: result.outputs };
    const durationMs = Math.round(performance.now() - started);
    leg.records.push({ id: fullId, name, kind, ...result, durationMs });
    if (conclusion === 'failure') {
      scope.status = 'failure';
      leg.status = 'failure';
    }
  }
}

/** The job's post steps, last registered first, each with the state its main step saved. */
export async function runPostSteps(leg: JobLeg): Promise<void> {
  for (const post of [...leg.posts].reverse()) {
    const contexts = contextsFor(leg, jobScope(), leg.env);
    const id = `post:${post.id}`;
    if (!evaluateCondition(post.condition, contexts, leg.status)) {
      leg.records.push(skippedRecord(id, id, 'post'));
      continue;
    }
    const started = performance.now();
    const run = await runAction({
      action: post.dir,
      inputs: post.inputs,
      github: { ...leg.github },
      env: post.env,
      step: 'post',
      state: post.state,
      secrets: legSecrets(leg),
    });
    const errors = errorLines(run.stdout);
    leg.records.push({
      id,
      name: id,
      kind: 'post',
      outcome: run.exitCode === 0 ? 'success' : 'failure',
      outputs: {},
      inputs: post.inputs,
      log: `${run.stdout}${run.stderr}`,
      errors,
      durationMs: Math.round(performance.now() - started),
    });
    if (run.exitCode !== 0) leg.status = 'failure';
  }
}

/** A fresh leg scope for a job's steps. */
export function jobScope(): StepScope {
  return {
    steps: {},
    inputs: undefined,
    actionPath: undefined,
    idPrefix: '',
    env: {},
    status: 'success',
  };
}
