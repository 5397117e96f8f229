#!/usr/bin/env bash
# The project's full check (`npm test`): stops at the first failing step.
#   1. type-check (tsc)           npm run build
#   2. lint (eslint, prettier)    npm run lint
#   3. workflows and action.yml   node scripts/lint-workflows.mjs
#   4. README tables up to date   node scripts/docs.mjs --check
#   5. dist/ matches the sources  bash scripts/check-dist.sh (its fresh build records each bundle's
#                                 modules: PACKAGE_STATS_DIR)
#   6. dependencies               node scripts/check-deps.mjs: npm audit of the production
#                                 dependencies (high/critical fail), no dev dependency in a bundle
#   7. jest, all projects         unit, integration, e2e (e2e runs the bundles under $NODE24)
# Extra arguments go to jest, e.g. `npm test -- --selectProjects unit`. Two workers on two cores:
# most tests wait on docker builds and throttled GitHub writes, so two files overlap well (jest's
# default there is one, in band).
# The last line is always `tests: N passed, N failed[, N skipped]` once jest has run.
set -euo pipefail

if [[ "${1:-}" == "--" ]]; then shift; fi # `bash scripts/test.sh -- --selectProjects unit`

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/npm-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

step_no=0
steps=7
# step <title> <command...>: announces, times and runs one step; exits on failure.
step() {
  local title="$1"
  shift
  step_no=$((step_no + 1))
  echo
  echo "==> [$step_no/$steps] $title: $*"
  local start=$SECONDS status=0
  "$@" || status=$?
  if [[ $status -ne 0 ]]; then
    echo >&2
    echo "npm test: FAILED at step $step_no/$steps, $title (exit $status): $*" >&2
    exit "$status"
  fi
  echo "==> [$step_no/$steps] $title: ok ($((SECONDS - start)) s)"
}

step 'type-check' npm run --silent build
step 'lint' npm run --silent lint
step 'workflows and action.yml' node scripts/lint-workflows.mjs
step 'README input/output tables' node scripts/docs.mjs --check
step 'dist/ bundles' env PACKAGE_STATS_DIR="$tmp/bundle-stats" bash scripts/check-dist.sh
step 'dependencies' node scripts/check-deps.mjs --stats "$tmp/bundle-stats"

# Node 24 for the end-to-end tests (the actions declare runs.using: node24).
if [[ -z "${NODE24:-}" ]]; then
  echo
  echo "==> getting Node 24: npx -y node@24"
  NODE24="$(npx -y node@24 -p process.execPath)" || {
    echo "npm test: could not get Node 24 with 'npx -y node@24' (set NODE24=/path/to/node24)" >&2
    exit 1
  }
fi
if ! version="$("$NODE24" --version)" || [[ "$version" != v24.* ]]; then
  echo "npm test: NODE24=$NODE24 is not a Node 24 binary (${version:-does not run})" >&2
  exit 1
fi
export NODE24
echo "NODE24=$NODE24 ($version)"

results="$tmp/jest.json"
jest_status=0
step_no=$((step_no + 1))
echo
echo "==> [$step_no/$steps] jest (unit, integration, e2e)"
start=$SECONDS
NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-vm-modules" \
  npx jest --ci --maxWorkers=2 --json --outputFile="$results" "$@" || jest_status=$?
echo "==> [$step_no/$steps] jest: exit $jest_status ($((SECONDS - start)) s)"

if [[ ! -s "$results" ]]; then
  echo "npm test: FAILED at step $step_no/$steps, jest (exit $jest_status) wrote no results" >&2
  exit "$((jest_status == 0 ? 1 : jest_status))"
fi

# "tests: N passed, N failed[, N skipped]" from jest's own counts.
summary="$(
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + (r.numTodoTests ?? 0);
    if (r.numRuntimeErrorTestSuites > 0) {
      console.error(`jest: ${r.numRuntimeErrorTestSuites} test suite(s) failed to run`);
    }
    let line = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`;
    if (skipped > 0) line += `, ${skipped} skipped`;
    console.log(line);
    process.exit(r.success && r.numFailedTests === 0 ? 0 : 1);
  ' "$results"
)" || jest_status=$((jest_status == 0 ? 1 : jest_status))

if [[ $jest_status -ne 0 ]]; then
  echo "npm test: FAILED at step $step_no/$steps, jest (exit $jest_status)" >&2
fi
echo "$summary"
exit "$jest_status"
