/** Public contract of the local workflow interpreter (see ./index.ts). */

/** A job's `permissions:`, scope -> `read` | `write` | `none` (`{}` is all none). */
export type Permissions = Readonly<Record<string, string>>;

export type StepOutcome = 'success' | 'failure' | 'skipped';
export type JobResult = 'success' | 'failure' | 'skipped' | 'cancelled';

/** What a stand-in for an external action (`actions/checkout`, ...) is given. */
export interface ExternalActionCall {
  /** As written, e.g. `actions/checkout@11d5960a...`. */
  readonly uses: string;
  /** The evaluated `with:`. */
  readonly inputs: Readonly<Record<string, string>>;
  /** The job's workspace (GITHUB_WORKSPACE). */
  readonly workspace: string;
  readonly job: { readonly id: string; readonly permissions: Permissions; readonly token: string };
  /** The github context of the run (token included). */
  readonly github: Readonly<Record<string, string>>;
}

/** The effect of an external action: outputs and variables it exports to the later steps. */
export interface ExternalActionEffect {
  readonly outputs?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
}

/** Replaces one external action by its effect; throwing fails the step with the message. */
export type ExternalAction = (call: ExternalActionCall) => Promise<ExternalActionEffect>;

export interface RunnerServices {
  /** Environment of every step (PATH with node and docker, DOCKER_HOST, HOME, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** Stand-ins by action name without ref, lower case: `actions/checkout`. */
  readonly externalActions: Readonly<Record<string, ExternalAction>>;
  /** The job's GITHUB_TOKEN, granted exactly the job's permissions. */
  jobToken(job: string, permissions: Permissions): string;
  /**
   * Values the secret scan must never find besides the workflow's secrets, job tokens and the
   * secret environment variables it knows (e.g. the ECR test server's registry password).
   */
  readonly secrets?: readonly string[];
}

export interface RunWorkflowOptions {
  /** The workflow file, or its text (`name` for messages). */
  readonly workflow: { readonly file: string } | { readonly text: string; readonly name: string };
  /** workflow_call / workflow_dispatch inputs; typed by the workflow's declarations. */
  readonly inputs?: Readonly<Record<string, string | boolean | number>>;
  readonly secrets?: Readonly<Record<string, string>>;
  readonly vars?: Readonly<Record<string, string>>;
  /** The github context: repository, sha, ref, event_name, api_url, server_url, run_id, ... */
  readonly github: Readonly<Record<string, string>>;
  readonly services: RunnerServices;
  /** Each job leg gets a fresh workspace and runner temp under here. */
  readonly workDir: string;
  /**
   * Where `department-of-veterans-affairs/gitops-release-actions[/<path>]@<ref>` is found: default
   * this checkout, so the suite's actions run from their committed dist/ bundles.
   */
  readonly suiteRoot?: string;
  /**
   * A git repository of the suite (a bare clone will do): when given, `<SUITE>[/<path>]@<ref>`
   * runs the files of that ref (tag, branch or commit) as GitHub would, not this checkout; so a
   * moved tag changes what `@v1` runs and nothing pinned to a commit.
   */
  readonly suiteRepository?: string;
}

export interface StepRun {
  /** Step id (given or generated), with the composite's id in front for its own steps. */
  readonly id: string;
  readonly name: string;
  /** `uses:` target or `run`. */
  readonly kind: string;
  readonly outcome: StepOutcome;
  readonly outputs: Readonly<Record<string, string>>;
  /** The evaluated inputs (`with:`) of a `uses:` step. */
  readonly inputs: Readonly<Record<string, string>>;
  /** stdout and stderr, for diagnostics. */
  readonly log: string;
  /** `::error::` lines, or why the interpreter failed the step. */
  readonly errors: readonly string[];
  readonly durationMs: number;
}

export interface JobLegRun {
  readonly name: string;
  readonly matrix: Readonly<Record<string, unknown>>;
  readonly result: JobResult;
  readonly permissions: Permissions;
  /** The evaluated `concurrency.group` (job level), if any. */
  readonly concurrencyGroup: string | undefined;
  /** The GitHub environment the leg ran in (`environment:` evaluated; empty is none), if any. */
  readonly environment: string | undefined;
  /** Main steps in order, then post steps (`post:` in front of their id). */
  readonly steps: readonly StepRun[];
  readonly outputs: Readonly<Record<string, string>>;
  /** Everything the steps wrote to GITHUB_STEP_SUMMARY. */
  readonly summary: string;
}

export interface JobRun {
  readonly id: string;
  readonly result: JobResult;
  /** Matrix legs merged in order (a later leg's non-empty value wins), as GitHub does. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly legs: readonly JobLegRun[];
  /** `strategy.max-parallel`: legs run here one at a time, as on GitHub only with 1. */
  readonly maxParallel: number | undefined;
}

export interface WorkflowRun {
  readonly result: 'success' | 'failure';
  /** on.workflow_call.outputs, evaluated. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, JobRun>>;
  /** The evaluated workflow-level `concurrency.group`, if any. */
  readonly concurrencyGroup: string | undefined;
}
