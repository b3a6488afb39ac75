#!/bin/sh
# run_example.sh PROGRAM EXPECTED [ARG...]: runs an example with a fresh
# data root (and @TMP@ in ARGs replaced by a fresh folder), and checks that
# it exits 0 and prints EXPECTED (a grep -E pattern).
set -eu
prog=$1
expected=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=""
for a in "$@"; do
  args="$args $(printf '%s' "$a" | sed "s|@TMP@|$work|g")"
done
# shellcheck disable=SC2086
SP_DATA_ROOT="$work/root" "$prog" $args >"$work/out" 2>&1 || {
  cat "$work/out"
  exit 1
}
cat "$work/out"
grep -Eq "$expected" "$work/out" || {
  echo "run_example: expected /$expected/ in the output above"
  exit 1
}
