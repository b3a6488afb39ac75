#!/bin/sh
# scan_agg.sh [ROWS]: a filter and an aggregate over 8 partitions of a
# Parquet dataset (default 20,000,000 rows in 8 files), then the partial
# aggregates combined, vs one DuckDB query with the same total threads.
# Target ratio: <= 1.15.
. "$(dirname "$0")/lib.sh"
rows=${1:-20000000}
gen_table "$work/data" "$rows" 8 1000
glob="$work/data/*.parquet"

# The two sides alternate, so that a slow moment of the machine does not
# fall on one side only.
for r in $(seq "$runs"); do
  rm -rf "$work/out"
  timed sp --read-parquet "$glob" --repartition 8 \
     --sql "SELECT k, count(*) AS n, sum(v) AS s FROM {0}
            WHERE v > 100 GROUP BY k" \
     --repartition 1 \
     --sql "SELECT k, sum(n)::BIGINT AS n, sum(s) AS s FROM {0} GROUP BY k" \
     --write-parquet "$work/out" >>"$work/t_sp"
  timed duck "COPY (SELECT k, count(*) AS n, sum(v) AS s
                    FROM read_parquet('$glob') WHERE v > 100 GROUP BY k)
               TO '$work/duck.parquet' (FORMAT parquet)" >>"$work/t_duck"
done
t_sp=$(median <"$work/t_sp")
t_duck=$(median <"$work/t_duck")
# Sums of doubles differ in the last bits with the order of addition.
same "SELECT k, n, round(s, 6) FROM '$work/duck.parquet'" \
     "SELECT k, n, round(s, 6) FROM '$work/out/*.parquet'"
report scan_agg "$t_sp" "$t_duck"
