/**
 * scripts/docs.mjs holds the README's Security section to release.yml: a job holding the AWS role
 * or a secret without an `environment:` fails, and so does a section that stops naming an input the
 * environments come from, a secret, or the trust policy's `sub` / `job_workflow_ref` conditions.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../../support/action-runner.js';

const WORKFLOW = readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SECTION = README.slice(
  README.indexOf('\n## Security\n'),
  README.indexOf('\n## Version rules\n'),
);

/** securityProblems(release.yml text, section text) from the script itself. */
function problems(workflow: string, section: string): string[] {
  const program = `
    const { securityProblems } = await import(${JSON.stringify(join(ROOT, 'scripts/docs.mjs'))});
    const { default: YAML } = await import('yaml');
    const [workflow, section] = JSON.parse(process.argv[1]);
    console.log(JSON.stringify(securityProblems(YAML.parse(workflow, { schema: 'failsafe' }), section)));
  `;
  const run = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', program, JSON.stringify([workflow, section])],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as string[];
}

describe("the README's Security section against release.yml (scripts/docs.mjs)", () => {
  it('passes the repository as it is', () => {
    expect(problems(WORKFLOW, SECTION)).toEqual([]);
  });

  it('fails a job holding the AWS role outside any environment', () => {
    const unguarded = WORKFLOW.replace(/^ {4}environment: \$\{\{ inputs\.environment \}\}\n/m, '');
    expect(unguarded).not.toBe(WORKFLOW);
    expect(problems(unguarded, SECTION)).toEqual([
      expect.stringContaining('job image holds the AWS role but has no environment:'),
    ]);
  });

  it('fails a section that no longer names the environment input or binds job_workflow_ref', () => {
    const section = SECTION.replaceAll('`environment`', 'the environment').replaceAll(
      'job_workflow_ref',
      'the workflow',
    );
    expect(problems(WORKFLOW, section)).toEqual([
      expect.stringContaining('does not name `environment`'),
      expect.stringContaining('does not mention job_workflow_ref'),
    ]);
  });
});
