#!/usr/bin/env node
// Regenerates the inputs/outputs tables of each action's README from its action.yml:
//   actions/<name>/action.yml -> actions/<name>/README.md
//   action.yml (root, composite) -> README.md (only when both exist)
// between the marker pairs
//   <!-- BEGIN_AUTOGEN_INPUTS --> ... <!-- END_AUTOGEN_INPUTS -->
//   <!-- BEGIN_AUTOGEN_OUTPUTS --> ... <!-- END_AUTOGEN_OUTPUTS -->
//
//   node scripts/docs.mjs            rewrite the tables (npm run docs)
//   node scripts/docs.mjs --check    write nothing; print a diff and exit 1 if a README would change
//
// The root README's "Security" section is held to the reusable workflow too:
//   .github/workflows/release.yml -> README.md <!-- BEGIN_AUTOGEN_SECURITY --> ... (its jobs: what
//   each holds, its GitHub environment, its permissions); every job holding the AWS role (id-token:
//   write) or a secret must run in an `environment:`, and the section must name, outside the
//   generated table, each input its environments come from, each secret, `aws-role-to-assume`, and
//   the `sub` / `job_workflow_ref` conditions of the trust policy.
//
// Either mode exits 1 when a README is missing or lacks a marker pair. The generated block is run
// through Prettier with the repository's config, so `prettier --check .` and this script agree.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import YAML from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (p) => path.relative(root, p) || '.';

const SECTIONS = ['INPUTS', 'OUTPUTS'];

/** action.yml (or action.yaml) in dir, or undefined. */
function actionFile(dir) {
  return ['action.yml', 'action.yaml'].map((f) => path.join(dir, f)).find((f) => existsSync(f));
}

/** [{ action, readme, optional }] for every action with docs to maintain, in a stable order. */
function targets() {
  const list = [];
  const actionsDir = path.join(root, 'actions');
  if (existsSync(actionsDir)) {
    for (const name of readdirSync(actionsDir).sort()) {
      const action = actionFile(path.join(actionsDir, name));
      if (action) list.push({ action, readme: path.join(actionsDir, name, 'README.md') });
    }
  }
  const rootAction = actionFile(root);
  const rootReadme = path.join(root, 'README.md');
  if (rootAction && existsSync(rootReadme)) list.push({ action: rootAction, readme: rootReadme });
  return list;
}

/** Escapes a cell: `|` would end the cell; a newline would end the table row. */
const escapePipes = (s) => s.replace(/\\?\|/g, '\\|');

/**
 * Markdown of a description for one table cell. Single newlines (wrapped text) become spaces;
 * blank lines and list items keep a visible break as <br>.
 */
function describe(text) {
  const lines = String(text ?? '')
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim());
  let out = '';
  let blank = false;
  for (const line of lines) {
    if (line === '') {
      blank = true;
      continue;
    }
    if (out === '') out = line;
    else if (blank) out += `<br><br>${line}`;
    else if (/^([-*+]|\d+[.)])\s/.test(line)) out += `<br>${line}`;
    else out += ` ${line}`;
    blank = false;
  }
  return escapePipes(out);
}

/** A value as inline code that survives any backticks in it. */
function code(value) {
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

function defaultCell(input) {
  if (!('default' in input) || input.default === null || input.default === undefined) return '';
  const value = String(input.default);
  if (value === '') return '`""`';
  return escapePipes(
    value
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => code(l))
      .join('<br>'),
  );
}

const isTrue = (v) => String(v).trim().toLowerCase() === 'true';

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function entries(map) {
  return map && typeof map === 'object' && !Array.isArray(map) ? Object.entries(map) : [];
}

/** The Markdown (before Prettier) for one section. */
function section(kind, action) {
  if (kind === 'INPUTS') {
    const inputs = entries(action.inputs);
    if (inputs.length === 0) return 'This action has no inputs.';
    return table(
      ['Name', 'Description', 'Required', 'Default'],
      inputs.map(([name, input]) => {
        const spec = input ?? {};
        const deprecated = spec.deprecationMessage
          ? `**Deprecated:** ${describe(spec.deprecationMessage)}<br>`
          : '';
        return [
          code(name),
          deprecated + describe(spec.description),
          isTrue(spec.required) ? 'yes' : 'no',
          defaultCell(spec),
        ];
      }),
    );
  }
  const outputs = entries(action.outputs);
  if (outputs.length === 0) return 'This action has no outputs.';
  return table(
    ['Name', 'Description'],
    outputs.map(([name, output]) => [code(name), describe((output ?? {}).description)]),
  );
}

const marker = (edge, kind) => `<!-- ${edge}_AUTOGEN_${kind} -->`;

/** The README with both sections regenerated, or { error } when the markers are not usable. */
async function regenerate(readmePath, readme, action) {
  const options = { ...(await prettier.resolveConfig(readmePath)), parser: 'markdown' };
  let text = readme;
  for (const kind of SECTIONS) {
    const begin = marker('BEGIN', kind);
    const end = marker('END', kind);
    const count = (s) => text.split(s).length - 1;
    if (count(begin) !== 1 || count(end) !== 1 || text.indexOf(begin) > text.indexOf(end)) {
      return {
        error:
          `needs exactly one "${begin}" followed by one "${end}" ` +
          `(found ${String(count(begin))} and ${String(count(end))})`,
      };
    }
    const block = await prettier.format(
      `${begin}\n\n${section(kind, action)}\n\n${end}\n`,
      options,
    );
    const from = text.indexOf(begin);
    const to = text.indexOf(end) + end.length;
    text = text.slice(0, from) + block.replace(/\n$/, '') + text.slice(to);
  }
  return { text };
}

/** A unified diff (3 lines of context) of two texts, or '' when equal. */
export function unifiedDiff(name, before, after) {
  if (before === after) return '';
  // Texts end with a newline (Prettier sees to that); a missing one is not shown.
  const lines = (t) => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
  const a = lines(before);
  const b = lines(after);
  // Longest common subsequence on the part between the common prefix and suffix.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (
    suf < a.length - pre &&
    suf < b.length - pre &&
    a[a.length - 1 - suf] === b[b.length - 1 - suf]
  ) {
    suf++;
  }
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const lcs = Array.from({ length: am.length + 1 }, () => new Uint32Array(bm.length + 1));
  for (let i = am.length - 1; i >= 0; i--) {
    for (let j = bm.length - 1; j >= 0; j--) {
      lcs[i][j] = am[i] === bm[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  /** ops: [' ' | '-' | '+', line, aIndex, bIndex] over the whole files */
  const ops = [];
  for (let k = 0; k < pre; k++) ops.push([' ', a[k], k, k]);
  let i = 0;
  let j = 0;
  while (i < am.length || j < bm.length) {
    if (i < am.length && j < bm.length && am[i] === bm[j])
      ops.push([' ', am[i], pre + i++, pre + j++]);
    else if (i < am.length && (j === bm.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push(['-', am[i], pre + i++, pre + j]);
    } else ops.push(['+', bm[j], pre + i, pre + j++]);
  }
  for (let k = 0; k < suf; k++) {
    ops.push([' ', a[a.length - suf + k], a.length - suf + k, b.length - suf + k]);
  }
  const out = [`--- a/${name}`, `+++ b/${name}`];
  const context = 3;
  const changed = ops.map((op, k) => (op[0] === ' ' ? -1 : k)).filter((k) => k >= 0);
  let h = 0;
  while (h < changed.length) {
    const start = Math.max(0, changed[h] - context);
    let stop = Math.min(ops.length, changed[h] + context + 1);
    while (h + 1 < changed.length && changed[h + 1] - context <= stop) {
      h++;
      stop = Math.min(ops.length, changed[h] + context + 1);
    }
    const hunk = ops.slice(start, stop);
    const aLen = hunk.filter((op) => op[0] !== '+').length;
    const bLen = hunk.filter((op) => op[0] !== '-').length;
    const aStart = hunk[0][2] + (aLen ? 1 : 0);
    const bStart = hunk[0][3] + (bLen ? 1 : 0);
    out.push(`@@ -${String(aStart)},${String(aLen)} +${String(bStart)},${String(bLen)} @@`);
    for (const op of hunk) out.push(op[0] + op[1]);
    h++;
  }
  return out.join('\n') + '\n';
}

const RELEASE_WORKFLOW = '.github/workflows/release.yml';
const SECURITY_HEADING = '## Security';

/** Each job of the reusable workflow: what it holds, its GitHub environment, its permissions. */
export function securityJobs(workflow) {
  return entries(workflow.jobs).map(([id, job]) => {
    const spec = job ?? {};
    const permissions = entries(spec.permissions).map(([scope, level]) => `${scope}: ${level}`);
    const secrets = [
      ...new Set(
        [...JSON.stringify(spec).matchAll(/secrets\.([A-Za-z0-9_-]+)/g)]
          .map((m) => m[1])
          .filter((name) => name !== 'GITHUB_TOKEN'),
      ),
    ];
    const awsRole = entries(spec.permissions).some(
      ([scope, level]) => scope === 'id-token' && level === 'write',
    );
    const environment = spec.environment === undefined ? undefined : String(spec.environment);
    return { id, awsRole, secrets, environment, permissions };
  });
}

function securityTable(jobs) {
  return table(
    ['Job', 'Holds', 'GitHub environment', 'Permissions'],
    jobs.map((job) => {
      const holds = [
        ...(job.awsRole ? ['the AWS role (OIDC)'] : []),
        ...job.secrets.map((name) => `secret ${code(name)}`),
      ];
      return [
        code(job.id),
        holds.length > 0 ? holds.join(', ') : 'its own `GITHUB_TOKEN` only',
        job.environment === undefined ? 'none' : escapePipes(code(job.environment)),
        escapePipes(job.permissions.map(code).join(', ')),
      ];
    }),
  );
}

/** What the hand-written part of the Security section must name, and the jobs' own problems. */
export function securityProblems(workflow, written) {
  const problems = [];
  const jobs = securityJobs(workflow);
  const named = (word) => written.includes(`\`${word}\``);
  const inputs = new Set(['aws-role-to-assume']);
  for (const job of jobs) {
    if (!job.awsRole && job.secrets.length === 0) continue;
    if (job.environment === undefined) {
      problems.push(
        `${RELEASE_WORKFLOW}: job ${job.id} holds ${job.awsRole ? 'the AWS role' : 'a secret'} but has no environment: (its protection rules and secrets would not apply)`,
      );
    }
    for (const match of (job.environment ?? '').matchAll(/inputs\.([A-Za-z0-9_-]+)/g)) {
      inputs.add(match[1]);
    }
    for (const secret of job.secrets) inputs.add(secret);
  }
  for (const name of inputs) {
    if (!named(name)) {
      problems.push(
        `README.md: the Security section does not name \`${name}\` (${RELEASE_WORKFLOW})`,
      );
    }
  }
  for (const needle of [
    'token.actions.githubusercontent.com:sub',
    'job_workflow_ref',
    `department-of-veterans-affairs/gitops-release-actions/${RELEASE_WORKFLOW}@`,
  ]) {
    if (!written.includes(needle)) {
      problems.push(`README.md: the Security section's trust policy does not mention ${needle}`);
    }
  }
  return problems;
}

/** The root README with its Security table regenerated, or { error }; problems listed apart. */
async function regenerateSecurity(readmePath, readme, workflow) {
  const options = { ...(await prettier.resolveConfig(readmePath)), parser: 'markdown' };
  const begin = marker('BEGIN', 'SECURITY');
  const end = marker('END', 'SECURITY');
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  const heading = readme.indexOf(`\n${SECURITY_HEADING}\n`);
  if (heading < 0 || from < heading || to < from || readme.split(begin).length !== 2) {
    return { error: `needs a "${SECURITY_HEADING}" section with one "${begin}" ... "${end}"` };
  }
  const block = await prettier.format(
    `${begin}\n\n${securityTable(securityJobs(workflow))}\n\n${end}\n`,
    options,
  );
  const text = readme.slice(0, from) + block.replace(/\n$/, '') + readme.slice(to + end.length);
  const next = text.indexOf('\n## ', heading + 1);
  const sectionText = text.slice(heading, next < 0 ? undefined : next);
  const written = sectionText.replace(block.replace(/\n$/, ''), '');
  return { text, problems: securityProblems(workflow, written) };
}

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`docs: unknown argument ${unknown[0]}\nusage: node scripts/docs.mjs [--check]`);
    process.exit(2);
  }
  const check = args.includes('--check');
  let problems = 0;
  let changed = 0;
  const list = targets();
  for (const { action: actionPath, readme: readmePath } of list) {
    let action;
    try {
      action = YAML.parse(readFileSync(actionPath, 'utf8'), { schema: 'failsafe' }) ?? {};
    } catch (err) {
      console.error(
        `${rel(actionPath)}: cannot parse: ${err instanceof Error ? err.message : String(err)}`,
      );
      problems++;
      continue;
    }
    if (!existsSync(readmePath)) {
      console.error(
        `${rel(readmePath)}: missing (documents ${rel(actionPath)}); create it with the markers`,
      );
      problems++;
      continue;
    }
    const readme = readFileSync(readmePath, 'utf8');
    const result = await regenerate(readmePath, readme, action);
    if (result.error !== undefined) {
      console.error(`${rel(readmePath)}: ${result.error}`);
      problems++;
      continue;
    }
    if (result.text === readme) continue;
    changed++;
    if (check) process.stdout.write(unifiedDiff(rel(readmePath), readme, result.text));
    else {
      writeFileSync(readmePath, result.text);
      console.log(`docs: updated ${rel(readmePath)}`);
    }
  }
  const workflowPath = path.join(root, RELEASE_WORKFLOW);
  const rootReadme = path.join(root, 'README.md');
  if (existsSync(workflowPath) && existsSync(rootReadme)) {
    const workflow = YAML.parse(readFileSync(workflowPath, 'utf8'), { schema: 'failsafe' }) ?? {};
    const readme = readFileSync(rootReadme, 'utf8');
    const result = await regenerateSecurity(rootReadme, readme, workflow);
    if (result.error !== undefined) {
      console.error(`README.md: ${result.error}`);
      problems++;
    } else {
      for (const problem of result.problems) console.error(problem);
      problems += result.problems.length;
      if (result.text !== readme) {
        changed++;
        if (check) process.stdout.write(unifiedDiff('README.md', readme, result.text));
        else {
          writeFileSync(rootReadme, result.text);
          console.log('docs: updated README.md (Security)');
        }
      }
    }
  }
  if (check && changed > 0) {
    console.error(
      `docs: ${String(changed)} README(s) out of date with action.yml: run 'npm run docs'`,
    );
  }
  if (problems > 0) console.error(`docs: ${String(problems)} problem(s)`);
  if (problems > 0 || (check && changed > 0)) process.exit(1);
  const updated = check ? '' : `, ${String(changed)} updated`;
  console.log(`docs: ${String(list.length)} README(s) checked${updated}, all up to date`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
