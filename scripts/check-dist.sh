#!/usr/bin/env bash
# Checks that the committed bundles in dist/ are exactly what the sources build to:
# rebuilds every bundle into a temporary directory (scripts/package.mjs --out) and compares it
# with the working tree's dist/, file contents and executable bits. Files in dist/ that no
# source produces any more fail the check too.
#
#   bash scripts/check-dist.sh        (npm run check:dist)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/check-dist.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fresh="$tmp/dist"
mkdir -p "$fresh"

if ! node scripts/package.mjs --out "$fresh" >"$tmp/package.log" 2>&1; then
  cat "$tmp/package.log" >&2
  echo "check-dist: building the bundles failed (see above)" >&2
  exit 1
fi
sed 's/^/  /' "$tmp/package.log"

committed="dist"
if [[ ! -d "$committed" ]]; then
  committed="$tmp/empty"
  mkdir -p "$committed"
fi

# Executable bits (git records only that one): the CLI bundle must stay runnable as a `bin`.
executables() {
  (cd "$1" && find . -type f -perm -u+x -printf '%P\n' | LC_ALL=C sort)
}

status=0
if ! diff -r -q "$committed" "$fresh" >"$tmp/summary" 2>&1; then
  status=1
fi
if ! diff <(executables "$committed") <(executables "$fresh") >"$tmp/modes" 2>&1; then
  status=1
fi

if [[ $status -eq 0 ]]; then
  if [[ -n "$(git status --porcelain -- dist 2>/dev/null)" ]]; then
    echo "check-dist: dist/ is up to date with the sources (note: it has uncommitted changes; commit them)"
  else
    echo "check-dist: dist/ is up to date with the sources"
  fi
  exit 0
fi

# git prints the temporary directory as "b/tmp/check-dist.XXXXXX/dist/...": call it "fresh/".
relabel="s#\([ab]\)$fresh/#\1/fresh/#g; s#$fresh#fresh#g; s#${fresh#/}#fresh#g"
{
  echo
  echo "check-dist: dist/ does not match what the sources build to."
  echo
  # diff -q: "Only in dist/..." = stale, "Only in <fresh>..." = missing, "Files A and B differ".
  sed -e "s#^Only in $fresh\(/\{0,1\}\)\([^:]*\): #missing from dist/:  dist\1\2/#" \
    -e "s#^Only in $committed\(/\{0,1\}\)\([^:]*\): #stale (no source builds it):  $committed\1\2/#" \
    -e "s#^Files \(.*\) and $fresh/.* differ\$#out of date:  \1#" \
    -e "s#^\(missing from dist/:  \)dist\(/*\)#\1dist/#; s#//*#/#g" "$tmp/summary" | sed 's/^/  /'
  if [[ -s "$tmp/modes" ]]; then
    echo "  executable files differ (< only in dist/, > only in the fresh build):"
    grep '^[<>]' "$tmp/modes" | sed 's/^/    /'
  fi
  echo
  git --no-pager diff --no-index --stat=120 -- "$committed" "$fresh" | sed -e "$relabel" || true
  echo
  echo "First lines of the diff (- committed dist/, + fresh/ = fresh build; long lines cut at 200):"
  git --no-pager diff --no-index --no-color -U1 -- "$committed" "$fresh" |
    sed -e "$relabel" | cut -c1-200 | head -n 60 || true
  echo
  echo "Fix: run 'npm run package' and commit dist/."
} >&2
exit 1
