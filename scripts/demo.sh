#!/bin/sh
# make demo: generate the sample dataset (once), run the quick start on the
# embedded default (local worker processes), and check its result against
# the same GROUP BY run directly in DuckDB.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
demo=demo-data

mkdir -p "$demo"
if [ ! -f "$demo/prices/.complete" ]; then
  rm -rf "$demo/prices"
  "$build/bin/sp-gen-prices" "$demo/prices" 1000000 8
  touch "$demo/prices/.complete"
fi
rm -rf "$demo/output"

echo "== quick start: read_parquet -> repartition(3, hash_by=ticker) ->"
echo "   partial_sql(min/max price per ticker) -> write_parquet"
SP_DATA_ROOT="$top/$demo/root" "$build/bin/quickstart" \
  "$demo/prices/*.parquet" "$demo/output"

echo "== the same query directly in DuckDB, compared row by row:"
"$build/bin/sp-compare" \
  "SELECT ticker, min(price), max(price) FROM read_parquet('$demo/prices/*.parquet') GROUP BY ticker" \
  "SELECT * FROM read_parquet('$demo/output/*.parquet')"
