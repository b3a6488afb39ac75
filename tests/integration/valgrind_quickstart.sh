#!/bin/sh
# The quick start under valgrind memcheck, driver and forked workers alike:
# no errors, nothing definitely or indirectly lost.
set -eu
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/sp-gen-prices" "$work/prices" 20000 4 >/dev/null
SP_DATA_ROOT="$work/root" valgrind --leak-check=full \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
  --log-file="$work/vg.%p.log" \
  "$bin/quickstart" "$work/prices/*.parquet" "$work/out" >"$work/stdout"
logs=$(ls "$work"/vg.*.log | wc -l)
clean=$(grep -l "ERROR SUMMARY: 0 errors" "$work"/vg.*.log | wc -l)
echo "valgrind: $clean of $logs processes clean"
if [ "$logs" -lt 2 ] || [ "$clean" -ne "$logs" ]; then
  cat "$work"/vg.*.log
  exit 1
fi
