/**
 * A local interpreter for the release workflows and the composite release action: runs a workflow
 * (or a job that uses the composite) against real local services, with the suite's actions from
 * their committed bundles under Node 24 and external actions replaced by their effect.
 */
export { runWorkflow } from './workflow.js';
export { describeRun } from './report.js';
export { SUITE } from './steps.js';
export type {
  ExternalAction,
  ExternalActionCall,
  ExternalActionEffect,
  JobLegRun,
  JobResult,
  JobRun,
  Permissions,
  RunnerServices,
  RunWorkflowOptions,
  StepOutcome,
  StepRun,
  WorkflowRun,
} from './types.js';
