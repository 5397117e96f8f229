#!/usr/bin/env node
// The dependency checks of `npm test`:
//
//   1. npm audit of the production dependencies (what the bundles ship): no high or critical
//      advisory. When the audit endpoint cannot be reached, GitHub Actions (GITHUB_ACTIONS=true,
//      which always reaches registry.npmjs.org) or GITOPS_REQUIRE_AUDIT=1 fail; elsewhere (a
//      sandbox whose registry mirror has no audit endpoint) it is reported as NOT RUN.
//   2. The bundles hold no dev dependency: every node_modules package ncc put into a bundle (from
//      webpack's own module list, `ncc --stats-out`) must be one `npm ls --omit=dev --all` lists.
//      A dev dependency in a bundle means a runtime import of a test or build tool.
//
//   node scripts/check-deps.mjs                      audit, then build the bundles to check them
//   node scripts/check-deps.mjs --stats <dir>        check the stats of a build made with
//                                                    PACKAGE_STATS_DIR=<dir> (scripts/test.sh)
//   node scripts/check-deps.mjs --no-audit ...       only the bundles
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The package directory (relative to the project, e.g. `node_modules/a/node_modules/@b/c`) of a
 * webpack module name such as `./node_modules/@b/c/lib/x.js`, or undefined outside node_modules.
 */
export function packageDirOf(moduleName) {
  const normalized = moduleName.replace(/^\.\//, '').replace(/\\/g, '/');
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(normalized);
  return match?.[1];
}

/** Every module webpack's stats name, concatenated ones (`main.ts + 70 modules`) included. */
function moduleNames(modules, names = []) {
  for (const module of modules ?? []) {
    if (typeof module.name === 'string') names.push(module.name.replace(/ \+ \d+ modules$/, ''));
    moduleNames(module.modules, names);
  }
  return names;
}

/** The node_modules package directories in one bundle's webpack stats (ncc --stats-out). */
export function bundledPackages(stats) {
  const dirs = new Set();
  for (const name of moduleNames(stats.modules)) {
    const dir = packageDirOf(name);
    if (dir !== undefined) dirs.add(dir);
  }
  return [...dirs].sort();
}

/** Bundled package directories that are not production dependencies. */
export function devPackagesIn(bundled, production) {
  const allowed = new Set(production);
  return bundled.filter((dir) => !allowed.has(dir));
}

/** Package directories of the production dependency tree, relative to the project. */
function productionPackages() {
  let text;
  try {
    text = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // An invalid or extraneous package makes npm ls exit 1; the tree it lists is still the tree.
    const stderr = String(error.stderr ?? '').trim();
    if (typeof error.stdout !== 'string' || error.stdout.trim() === '') {
      throw new Error(`npm ls --omit=dev failed: ${stderr || String(error)}`);
    }
    console.log(`check-deps: npm ls reports problems (run npm ci): ${stderr.split('\n')[0] ?? ''}`);
    text = error.stdout;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => path.relative(root, line.trim()).replace(/\\/g, '/'))
    .filter((dir) => dir !== '');
}

function checkBundles(statsDir) {
  const files = existsSync(statsDir)
    ? readdirSync(statsDir).filter((file) => file.endsWith('.json'))
    : [];
  if (files.length === 0) {
    console.error(`check-deps: no bundle stats in ${statsDir} (build with PACKAGE_STATS_DIR)`);
    return false;
  }
  const production = productionPackages();
  let ok = true;
  for (const file of files.sort()) {
    const name = file.replace(/\.json$/, '');
    const stats = JSON.parse(readFileSync(path.join(statsDir, file), 'utf8'));
    const bundled = bundledPackages(stats);
    const dev = devPackagesIn(bundled, production);
    if (dev.length === 0) {
      console.log(
        `bundle ${name}: ${String(bundled.length)} packages, all production dependencies`,
      );
    } else {
      ok = false;
      console.error(`bundle ${name}: dev or unlisted dependencies bundled: ${dev.join(', ')}`);
    }
  }
  if (!ok) {
    console.error(
      'check-deps: a bundle imports a package that is not a production dependency: move the import ' +
        'out of the action code, or move the package to "dependencies" if it is really needed at runtime',
    );
  }
  return ok;
}

function buildWithStats() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'check-deps-'));
  const statsDir = path.join(tmp, 'stats');
  execFileSync(
    process.execPath,
    [path.join(root, 'scripts/package.mjs'), '--out', path.join(tmp, 'dist')],
    {
      cwd: root,
      env: { ...process.env, PACKAGE_STATS_DIR: statsDir },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return { statsDir, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

/** `npm audit --omit=dev --audit-level=high`, told apart from an unreachable audit endpoint. */
async function audit() {
  const { stdout } = await new Promise((resolve) => {
    execFile(
      'npm',
      ['audit', '--omit=dev', '--audit-level=high', '--json'],
      { cwd: root, maxBuffer: 32 * 1024 * 1024 },
      (error, out) => resolve({ error, stdout: out }),
    );
  });
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    report = { error: { summary: stdout.trim().slice(0, 200) || 'no output' } };
  }
  const counts = report.metadata?.vulnerabilities;
  if (counts === undefined) {
    const reason = report.message ?? report.error?.summary ?? 'no audit report';
    const required =
      process.env.GITHUB_ACTIONS === 'true' || process.env.GITOPS_REQUIRE_AUDIT === '1';
    if (required) {
      console.error(`npm audit: FAILED to reach the audit endpoint: ${reason}`);
      return false;
    }
    console.log(
      `npm audit: NOT RUN, the registry's audit endpoint failed (${reason}); ` +
        'required on GitHub Actions or with GITOPS_REQUIRE_AUDIT=1',
    );
    return true;
  }
  const serious = (counts.high ?? 0) + (counts.critical ?? 0);
  const summary = Object.entries(counts)
    .filter(([severity]) => severity !== 'total')
    .map(([severity, count]) => `${String(count)} ${severity}`)
    .join(', ');
  const dependencies = report.metadata?.dependencies?.prod ?? report.metadata?.dependencies?.total;
  console.log(
    `npm audit (production dependencies${dependencies === undefined ? '' : `, ${String(dependencies)} packages`}): ${summary}`,
  );
  for (const [name, vulnerability] of Object.entries(report.vulnerabilities ?? {})) {
    const titles = (vulnerability.via ?? [])
      .filter((via) => typeof via === 'object')
      .map((via) => `${via.title} (${via.url})`);
    console.log(
      `  ${vulnerability.severity} ${name}: ${titles.join('; ') || 'through a dependency'}`,
    );
  }
  if (serious > 0) {
    console.error(
      'npm audit: high or critical advisories in production dependencies: run `npm audit fix`',
    );
    return false;
  }
  return true;
}

async function main() {
  const args = process.argv.slice(2);
  const statsIndex = args.indexOf('--stats');
  const statsArg = statsIndex >= 0 ? args[statsIndex + 1] : undefined;
  if (statsIndex >= 0 && statsArg === undefined) {
    console.error('usage: node scripts/check-deps.mjs [--no-audit] [--stats <dir>]');
    process.exit(2);
  }
  const auditOk = args.includes('--no-audit') ? true : await audit();
  const build = statsArg === undefined ? buildWithStats() : undefined;
  let bundlesOk;
  try {
    bundlesOk = checkBundles(statsArg ?? build.statsDir);
  } finally {
    build?.cleanup();
  }
  process.exit(auditOk && bundlesOk ? 0 : 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
