/** A readable account of a run, for failure messages: every job leg, step, outcome and error. */
import type { WorkflowRun } from './types.js';

const LOG_TAIL_LINES = 25;

export function describeRun(run: WorkflowRun): string {
  const lines = [`workflow: ${run.result}`];
  for (const job of Object.values(run.jobs)) {
    lines.push(`job ${job.id}: ${job.result}`);
    for (const leg of job.legs) {
      if (job.legs.length > 1 || leg.name !== job.id)
        lines.push(`  leg ${leg.name}: ${leg.result}`);
      for (const step of leg.steps) {
        lines.push(
          `    ${step.outcome.padEnd(7)} ${step.id} (${step.kind}) ${String(step.durationMs)} ms`,
        );
        for (const error of step.errors) lines.push(`      error: ${error}`);
        if (step.outcome === 'failure' && step.log !== '') {
          const tail = step.log.trimEnd().split('\n').slice(-LOG_TAIL_LINES);
          lines.push(...tail.map((line) => `      | ${line}`));
        }
      }
    }
  }
  lines.push(`outputs: ${JSON.stringify(run.outputs)}`);
  return lines.join('\n');
}
