#!/bin/sh
# shuffle_agg.sh [ROWS]: a hash repartition by a key with ~100,000
# distinct values into 8 partitions, then a GROUP BY per partition (each
# key lives in one), vs DuckDB's GROUP BY with the same total threads.
# Default 10,000,000 rows in 8 files. Target ratio: <= 1.6.
default_runs=11 # runs take a second; two a second apart may differ 20 %
. "$(dirname "$0")/lib.sh"
rows=${1:-10000000}
gen_table "$work/data" "$rows" 8 100000
glob="$work/data/*.parquet"

# The two sides alternate, so that a slow moment of the machine does not
# fall on one side only.
for r in $(seq "$runs"); do
  rm -rf "$work/out"
  timed sp --read-parquet "$glob" --repartition 8 --hash-by k \
     --sql "SELECT k, count(*) AS n, sum(v) AS s FROM {0} GROUP BY k" \
     --write-parquet "$work/out" >>"$work/t_sp"
  timed duck "COPY (SELECT k, count(*) AS n, sum(v) AS s
                    FROM read_parquet('$glob') GROUP BY k)
               TO '$work/duck.parquet' (FORMAT parquet)" >>"$work/t_duck"
done
t_sp=$(median <"$work/t_sp")
t_duck=$(median <"$work/t_duck")
same "SELECT k, n, round(s, 6) FROM '$work/duck.parquet'" \
     "SELECT k, n, round(s, 6) FROM '$work/out/*.parquet'"
report shuffle_agg "$t_sp" "$t_duck"
