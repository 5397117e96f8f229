/**
 * Runs a workflow file locally: checked first by GitHub's own parser (@actions/workflow-parser),
 * then interpreted from its YAML: typed inputs and secrets, jobs in `needs` order with their `if:`,
 * a matrix (`fromJSON` included) expanded into legs run one at a time in order, fail-fast
 * honoured (faithful to GitHub for `max-parallel: 1`, which JobRun.maxParallel reports), each leg
 * with a fresh workspace and a token holding the job's `permissions:`, job outputs and the
 * workflow's `on.workflow_call.outputs`. A key this interpreter does not implement fails the run
 * instead of being ignored, so a workflow cannot drift past what the test exercises.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  parseWorkflow,
} from '@actions/workflow-parser';
import { ROOT } from '../action-runner.js';
import {
  evaluate,
  evaluateCondition,
  singleExpression,
  templateText,
  toPlain,
  type ContextValue,
  type Contexts,
  type JobStatus,
} from './expressions.js';
import { dockerConfigLeftBehind, SecretLeakError, stepSecrets } from '../secret-scan.js';
import {
  asText,
  dockerConfigDirs,
  jobScope,
  legSecrets,
  runPostSteps,
  runSteps,
  type JobLeg,
  type RawStep,
} from './steps.js';
import type {
  JobLegRun,
  JobResult,
  JobRun,
  Permissions,
  RunWorkflowOptions,
  WorkflowRun,
} from './types.js';

const JOB_KEYS = new Set([
  'name',
  'needs',
  'if',
  'runs-on',
  'timeout-minutes',
  'permissions',
  'outputs',
  'strategy',
  'concurrency',
  'env',
  'steps',
  'environment',
]);
const STRATEGY_KEYS = new Set(['matrix', 'fail-fast', 'max-parallel']);
/** Scopes `read-all` / `write-all` stand for (those the test GitHub server knows, and OIDC). */
const ALL_SCOPES = ['contents', 'pull-requests', 'issues', 'checks', 'statuses', 'id-token'];

type RawMap = Readonly<Record<string, unknown>>;

interface InputSpec {
  readonly type?: string;
  readonly required?: boolean;
  readonly default?: unknown;
}

const asMap = (value: unknown): RawMap =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as RawMap) : {};

/** Fails with GitHub's own parser's messages (schema, expression syntax). */
async function validate(name: string, text: string): Promise<void> {
  const parsed = parseWorkflow({ name, content: text }, new NoOperationTraceWriter());
  if (parsed.value && parsed.context.errors.getErrors().length === 0) {
    await convertWorkflowTemplate(parsed.context, parsed.value);
  }
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (errors.length > 0) throw new Error(`${name} is not a valid workflow:\n${errors.join('\n')}`);
}

function typedInputs(
  declared: RawMap,
  given: Readonly<Record<string, string | boolean | number>>,
): Record<string, ContextValue> {
  const inputs: Record<string, ContextValue> = {};
  for (const name of Object.keys(given)) {
    if (!(name in declared)) throw new Error(`input "${name}" is not declared by the workflow`);
  }
  for (const [name, raw] of Object.entries(declared)) {
    const spec = asMap(raw) as InputSpec;
    const value = given[name] ?? spec.default;
    if (value === undefined) {
      if (spec.required === true) throw new Error(`required input "${name}" is not given`);
      inputs[name] = spec.type === 'boolean' ? false : spec.type === 'number' ? 0 : '';
      continue;
    }
    if (spec.type === 'boolean') {
      if (value !== true && value !== false && value !== 'true' && value !== 'false') {
        throw new Error(`input "${name}" is a boolean, got ${JSON.stringify(value)}`);
      }
      inputs[name] = value === true || value === 'true';
    } else if (spec.type === 'number') {
      inputs[name] = Number(value);
    } else {
      inputs[name] = asText(value);
    }
  }
  return inputs;
}

function checkedSecrets(
  declared: RawMap | undefined,
  given: Readonly<Record<string, string>>,
): Record<string, string> {
  if (declared === undefined) return { ...given };
  for (const name of Object.keys(given)) {
    if (!(name in declared)) throw new Error(`secret "${name}" is not declared by the workflow`);
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (asMap(spec).required === true && given[name] === undefined) {
      throw new Error(`required secret "${name}" is not given`);
    }
  }
  return { ...given };
}

function permissionsOf(value: unknown): Permissions {
  if (value === 'read-all' || value === 'write-all') {
    const level = value === 'read-all' ? 'read' : 'write';
    return Object.fromEntries(ALL_SCOPES.map((scope) => [scope, level]));
  }
  return Object.fromEntries(
    Object.entries(asMap(value)).map(([key, level]) => [key, asText(level)]),
  );
}

/** Job ids in an order where every job comes after the jobs it needs. */
function orderJobs(jobs: RawMap): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string): void => {
    if (order.includes(id)) return;
    if (visiting.has(id)) throw new Error(`jobs: needs cycle through ${id}`);
    if (!(id in jobs)) throw new Error(`jobs: needs unknown job ${id}`);
    visiting.add(id);
    for (const need of needsOf(asMap(jobs[id]))) visit(need);
    visiting.delete(id);
    order.push(id);
  };
  for (const id of Object.keys(jobs)) visit(id);
  return order;
}

function needsOf(job: RawMap): string[] {
  const needs = job.needs;
  if (needs === undefined) return [];
  return Array.isArray(needs) ? needs.map((need) => asText(need)) : [asText(needs)];
}

/** A matrix written as one `${{ }}` (e.g. fromJSON of a job output), evaluated to plain values. */
function matrixValue(raw: unknown, contexts: Contexts): unknown {
  if (typeof raw !== 'string') return raw;
  const expression = singleExpression(raw.trim());
  return expression === undefined ? raw : toPlain(evaluate(expression, contexts));
}

/** The combinations of a `strategy.matrix`, in order (`include`/`exclude` are not supported). */
function expandMatrix(matrix: unknown, contexts: Contexts): Record<string, ContextValue>[] {
  if (matrix === undefined) return [{}];
  let legs: Record<string, ContextValue>[] = [{}];
  for (const [key, raw] of Object.entries(asMap(matrixValue(matrix, contexts)))) {
    if (key === 'include' || key === 'exclude') {
      throw new Error(`strategy.matrix.${key} is not supported`);
    }
    const values = matrixValue(raw, contexts);
    if (!Array.isArray(values) || values.length === 0) {
      throw new Error(`strategy.matrix.${key}: ${JSON.stringify(values)} is not a non-empty list`);
    }
    legs = legs.flatMap((leg) =>
      (values as ContextValue[]).map((value) => ({ ...leg, [key]: value })),
    );
  }
  return legs;
}

function evaluateMap(map: unknown, contexts: Contexts): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(asMap(map))) {
    result[key] = templateText(asText(value), contexts);
  }
  return result;
}

/** The evaluated `environment:` (a name or `{name, url}`); '' means none, as on GitHub. */
function environmentName(environment: unknown, contexts: Contexts): string | undefined {
  if (environment === undefined) return undefined;
  const name = typeof environment === 'string' ? environment : asMap(environment).name;
  const evaluated = templateText(asText(name), contexts).trim();
  return evaluated === '' ? undefined : evaluated;
}

function concurrencyGroup(concurrency: unknown, contexts: Contexts): string | undefined {
  if (concurrency === undefined) return undefined;
  const group = typeof concurrency === 'string' ? concurrency : asMap(concurrency).group;
  return templateText(asText(group), contexts);
}

interface WorkflowScope {
  readonly options: RunWorkflowOptions;
  readonly workflow: RawMap;
  readonly inputs: Record<string, ContextValue>;
  readonly secrets: Record<string, string>;
  readonly jobs: Map<string, JobRun>;
}

function needsContext(
  scope: WorkflowScope,
  needs: readonly string[],
): Record<string, ContextValue> {
  return Object.fromEntries(
    needs.map((need) => {
      const run = scope.jobs.get(need);
      return [need, { result: run?.result ?? 'skipped', outputs: { ...run?.outputs } }];
    }),
  );
}

/** For a job's `if:`: success() only when every needed job succeeded. */
function needsStatus(scope: WorkflowScope, needs: readonly string[]): JobStatus {
  const results = needs.map((need) => scope.jobs.get(need)?.result ?? 'skipped');
  if (results.some((result) => result === 'failure' || result === 'cancelled')) return 'failure';
  if (results.some((result) => result === 'skipped')) return 'skipped';
  return 'success';
}

async function runLeg(
  scope: WorkflowScope,
  id: string,
  job: RawMap,
  matrix: Record<string, ContextValue>,
  strategy: Record<string, ContextValue>,
  needs: readonly string[],
): Promise<JobLegRun> {
  const { options } = scope;
  const permissions = permissionsOf(
    job.permissions ?? scope.workflow.permissions ?? { contents: 'read' },
  );
  const token = options.services.jobToken(id, permissions);
  const dir = mkdtempSync(join(options.workDir, `${id}-`));
  const workspace = join(dir, 'workspace');
  const runnerTemp = join(dir, 'temp');
  mkdirSync(workspace);
  mkdirSync(runnerTemp);
  const github = { ...options.github, token, job: id };
  const contexts: Record<string, ContextValue> = {
    github,
    inputs: scope.inputs,
    secrets: { ...scope.secrets, GITHUB_TOKEN: token },
    vars: { ...options.vars },
    needs: needsContext(scope, needs),
    matrix,
    strategy,
  };
  const env = evaluateMap(scope.workflow.env, contexts);
  Object.assign(env, evaluateMap(job.env, { ...contexts, env }));
  const leg: JobLeg = {
    id,
    workspace,
    runnerTemp,
    permissions,
    services: options.services,
    suiteRoot: options.suiteRoot ?? ROOT,
    suiteRepository:
      options.suiteRepository === undefined
        ? undefined
        : { gitDir: options.suiteRepository, checkouts: join(options.workDir, 'suite-commits') },
    github,
    contexts,
    env,
    path: [],
    summary: [],
    posts: [],
    records: [],
    status: 'success',
  };
  const steps = job.steps;
  if (!Array.isArray(steps)) throw new Error(`job ${id}: steps must be a list`);
  const stepScope = jobScope();
  await runSteps(leg, steps as RawStep[], stepScope);
  await runPostSteps(leg);
  // Registry credentials must not outlive the job (ecr-build-push's post step removes them).
  const secrets = stepSecrets({}, leg.env, legSecrets(leg));
  const leftBehind = dockerConfigDirs(runnerTemp).flatMap((dir) =>
    dockerConfigLeftBehind(secrets, dir),
  );
  if (leftBehind.length > 0) throw new SecretLeakError(`job ${id}`, leftBehind);
  const outputContexts: Contexts = { ...contexts, env: leg.env, steps: stepScope.steps };
  const outputs = evaluateMap(job.outputs, outputContexts);
  return {
    name: templateText(asText(job.name ?? id), contexts),
    matrix,
    result: leg.status === 'success' ? 'success' : 'failure',
    permissions,
    concurrencyGroup: concurrencyGroup(job.concurrency, contexts),
    environment: environmentName(job.environment, contexts),
    steps: leg.records,
    outputs,
    summary: leg.summary.join(''),
  };
}

async function runJob(scope: WorkflowScope, id: string, job: RawMap): Promise<JobRun> {
  const unknown = Object.keys(job).filter((key) => !JOB_KEYS.has(key));
  if (unknown.length > 0) throw new Error(`job ${id}: unsupported ${unknown.join(', ')}`);
  const needs = needsOf(job);
  const conditionContexts: Contexts = {
    github: scope.options.github,
    inputs: scope.inputs,
    vars: { ...scope.options.vars },
    needs: needsContext(scope, needs),
  };
  const condition = job.if as string | boolean | undefined;
  if (!evaluateCondition(condition, conditionContexts, needsStatus(scope, needs))) {
    return { id, result: 'skipped', outputs: {}, legs: [], maxParallel: undefined };
  }
  const strategySpec = asMap(job.strategy);
  const unsupported = Object.keys(strategySpec).filter((key) => !STRATEGY_KEYS.has(key));
  if (unsupported.length > 0)
    throw new Error(`job ${id}: unsupported strategy.${unsupported.join(', ')}`);
  const combinations = expandMatrix(strategySpec.matrix, conditionContexts);
  const failFast = strategySpec['fail-fast'] !== false;
  const legs: JobLegRun[] = [];
  let outputs: Record<string, string> = {};
  for (const [index, matrix] of combinations.entries()) {
    const strategy = {
      'fail-fast': failFast,
      'job-index': index,
      'job-total': combinations.length,
      'max-parallel': Number(strategySpec['max-parallel'] ?? combinations.length),
    };
    if (failFast && legs.some((leg) => leg.result === 'failure')) {
      legs.push({
        name: templateText(asText(job.name ?? id), { ...conditionContexts, matrix, strategy }),
        matrix,
        result: 'cancelled',
        permissions: {},
        concurrencyGroup: undefined,
        environment: undefined,
        steps: [],
        outputs: {},
        summary: '',
      });
      continue;
    }
    const leg = await runLeg(scope, id, job, matrix, strategy, needs);
    legs.push(leg);
    // Matrix legs share one set of job outputs: a later leg's non-empty value replaces an earlier one.
    outputs = {
      ...outputs,
      ...Object.fromEntries(Object.entries(leg.outputs).filter(([, value]) => value !== '')),
    };
    for (const key of Object.keys(leg.outputs)) outputs[key] ??= '';
  }
  const result: JobResult = legs.every((leg) => leg.result === 'success') ? 'success' : 'failure';
  const maxParallel = strategySpec['max-parallel'];
  return {
    id,
    result,
    outputs,
    legs,
    maxParallel: maxParallel === undefined ? undefined : Number(maxParallel),
  };
}

/** Runs the workflow; a job failing is a result, a workflow the interpreter cannot run throws. */
export async function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowRun> {
  const { workflow: source } = options;
  const name = 'file' in source ? basename(source.file) : source.name;
  const text = 'file' in source ? readFileSync(source.file, 'utf8') : source.text;
  await validate(name, text);
  const workflow = asMap(parseYaml(text));
  const on = asMap(workflow.on);
  const call = 'workflow_call' in on ? asMap(on.workflow_call) : undefined;
  const dispatch = 'workflow_dispatch' in on ? asMap(on.workflow_dispatch) : undefined;
  const inputs = typedInputs(asMap((call ?? dispatch)?.inputs), options.inputs ?? {});
  const secrets = checkedSecrets(call ? asMap(call.secrets) : undefined, options.secrets ?? {});
  const scope: WorkflowScope = { options, workflow, inputs, secrets, jobs: new Map() };
  const topContexts: Contexts = { github: options.github, inputs, vars: { ...options.vars } };
  const group = concurrencyGroup(workflow.concurrency, topContexts);
  const jobs = asMap(workflow.jobs);
  for (const id of orderJobs(jobs)) {
    scope.jobs.set(id, await runJob(scope, id, asMap(jobs[id])));
  }
  const jobsContext: Record<string, ContextValue> = Object.fromEntries(
    [...scope.jobs].map(([id, run]) => [id, { result: run.result, outputs: { ...run.outputs } }]),
  );
  const outputs: Record<string, string> = {};
  for (const [key, spec] of Object.entries(asMap(call?.outputs))) {
    outputs[key] = templateText(asText(asMap(spec).value), { ...topContexts, jobs: jobsContext });
  }
  const failedJob = [...scope.jobs.values()].some(
    (run) => run.result === 'failure' || run.result === 'cancelled',
  );
  return {
    result: failedJob ? 'failure' : 'success',
    outputs,
    jobs: Object.fromEntries(scope.jobs),
    concurrencyGroup: group,
  };
}
