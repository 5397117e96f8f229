#!/usr/bin/env node
// Bundles every action (actions/<name>/src/index.ts -> <out>/<name>/index.js, and a clean-up entry
// actions/<name>/src/cleanup.ts -> <out>/<name>-cleanup/index.js) and the CLI
// (packages/cli/index.ts -> <out>/cli/index.js) with @vercel/ncc.
//
//   node scripts/package.mjs                 build into dist/ (what gets committed)
//   node scripts/package.mjs --out <dir>     build into another directory (scripts/check-dist.sh)
//   node scripts/package.mjs --jobs <n>      parallel ncc processes (default: min(2, cores))
//   node scripts/package.mjs <name>...       only these bundles (e.g. `compute-version cli`)
//   PACKAGE_STATS_DIR=<dir> node scripts/package.mjs ...
//                                            also write each bundle's webpack stats (the modules it
//                                            holds) to <dir>/<name>.json, for scripts/check-deps.mjs
//
// Each bundle is built into a fresh folder that then replaces the old one (a failed build leaves
// the old one in place); when building into the repository's dist/, folders that no source
// produces any more are removed. ncc's output is byte-identical across rebuilds (no paths, no
// timestamps) as long as node_modules is a real folder inside the checkout, not a symlink.
// Source maps and license files are off on purpose.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const nccCli = require.resolve('@vercel/ncc/dist/ncc/cli.js');

function usage(message) {
  if (message) console.error(`package: ${message}`);
  console.error('usage: node scripts/package.mjs [--out <dir>] [--jobs <n>] [name...]');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    out: path.join(root, 'dist'),
    jobs: Math.min(2, os.availableParallelism()),
    only: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--out' || flag === '-o') opts.out = path.resolve(value());
    else if (flag === '--jobs' || flag === '-j') opts.jobs = Number(value());
    else if (flag === '--help' || flag === '-h') usage();
    else if (flag.startsWith('-')) usage(`unknown option ${flag}`);
    else opts.only.push(flag);
  }
  if (!Number.isInteger(opts.jobs) || opts.jobs < 1) usage('--jobs must be a positive integer');
  return opts;
}

/** Every bundle the sources produce, sorted by name: { name, entry (absolute) }. */
export function discoverBundles() {
  const bundles = [];
  const actionsDir = path.join(root, 'actions');
  const names = existsSync(actionsDir) ? readdirSync(actionsDir).sort() : [];
  for (const name of names) {
    const entry = path.join(actionsDir, name, 'src', 'index.ts');
    if (existsSync(entry)) bundles.push({ name, entry });
    // A clean-up entry of its own (runs.post, and the composite's last step): dist/<name>-cleanup.
    const cleanup = path.join(actionsDir, name, 'src', 'cleanup.ts');
    if (existsSync(cleanup)) bundles.push({ name: `${name}-cleanup`, entry: cleanup });
  }
  const cliEntry = path.join(root, 'packages', 'cli', 'index.ts');
  if (existsSync(cliEntry)) {
    if (bundles.some((b) => b.name === 'cli')) {
      throw new Error('actions/cli would collide with the CLI bundle dist/cli: rename the action');
    }
    bundles.push({ name: 'cli', entry: cliEntry });
  }
  return bundles;
}

function run(bundle, outDir, statsDir) {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const args = [nccCli, 'build', bundle.entry, '-o', outDir, '--target', 'es2022', '--quiet'];
    // Stats go outside the output folder: the bundle itself is the same with or without them.
    if (statsDir) args.push('--stats-out', path.join(statsDir, `${bundle.name}.json`));
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += String(d)));
    child.stderr.on('data', (d) => (log += String(d)));
    child.on('error', (err) => (log += `${err.message}\n`));
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ ok: code === 0, code: code ?? signal, log, seconds });
    });
  });
}

function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

/** A path relative to the working directory when below it, else absolute. */
function display(p) {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const isRepoDist = opts.out === path.join(root, 'dist');
  if (root.startsWith(opts.out + path.sep) || opts.out === root) {
    usage(`refusing to build into ${opts.out}: it contains the repository`);
  }
  let bundles = discoverBundles();
  if (opts.only.length > 0) {
    const unknown = opts.only.filter((n) => !bundles.some((b) => b.name === n));
    if (unknown.length > 0) usage(`no sources for: ${unknown.join(', ')}`);
    bundles = bundles.filter((b) => opts.only.includes(b.name));
  }

  // Folders in <out> that no source produces any more. Only dist/ itself is pruned: --out may
  // point anywhere, and a wrong --out must never delete someone's files.
  if (opts.only.length === 0 && existsSync(opts.out)) {
    const wanted = new Set(discoverBundles().map((b) => b.name));
    for (const entry of readdirSync(opts.out).sort()) {
      if (wanted.has(entry)) continue;
      const rel = display(path.join(opts.out, entry));
      if (isRepoDist) {
        rmSync(path.join(opts.out, entry), { recursive: true, force: true });
        console.log(`removed   ${rel} (no source produces it)`);
      } else {
        console.log(`warning   ${rel} is not produced by any source (left alone)`);
      }
    }
  }

  if (bundles.length === 0) {
    console.log('package: nothing to bundle (no actions/*/src/index.ts, no packages/cli/index.ts)');
    return;
  }

  const statsDir = process.env.PACKAGE_STATS_DIR ? path.resolve(process.env.PACKAGE_STATS_DIR) : '';
  if (statsDir) mkdirSync(statsDir, { recursive: true });

  const started = Date.now();
  const queue = [...bundles];
  const failures = [];
  const worker = async () => {
    for (let bundle = queue.shift(); bundle; bundle = queue.shift()) {
      const outDir = path.join(opts.out, bundle.name);
      // Build beside the output folder and swap it in only on success: a failed build keeps the
      // previous bundle, and no stale file survives a successful one.
      const staging = path.join(opts.out, `.${bundle.name}.building`);
      rmSync(staging, { recursive: true, force: true });
      const result = await run(bundle, staging, statsDir);
      const rel = display(outDir);
      if (result.ok) {
        rmSync(outDir, { recursive: true, force: true });
        renameSync(staging, outDir);
      } else {
        rmSync(staging, { recursive: true, force: true });
        failures.push(bundle.name);
        console.error(`FAILED    ${rel} (ncc exit ${String(result.code)})`);
        console.error(result.log.trimEnd().replace(/^/gm, '  | '));
        continue;
      }
      // Git records only the executable bit: make it independent of the umask.
      const index = path.join(outDir, 'index.js');
      const shebang = readFileSync(index, 'utf8').startsWith('#!');
      chmodSync(index, shebang ? 0o755 : 0o644);
      const files = listFiles(outDir);
      const total = files.reduce((sum, f) => sum + statSync(f).size, 0);
      const extra = files.length > 2 ? `, ${String(files.length)} files ${kib(total)}` : '';
      console.log(
        `bundled   ${path.join(rel, 'index.js')}  ${kib(statSync(index).size)}${extra}` +
          `${shebang ? ', executable' : ''}  (${result.seconds.toFixed(1)} s)`,
      );
      if (result.log.trim()) console.log(result.log.trimEnd().replace(/^/gm, '  | '));
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, bundles.length) }, worker));

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length > 0) {
    console.error(`package: ${String(failures.length)} bundle(s) failed: ${failures.join(', ')}`);
    process.exit(1);
  }
  console.log(`package: ${String(bundles.length)} bundle(s) in ${seconds} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
