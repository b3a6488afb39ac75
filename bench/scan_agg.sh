#!/bin/sh
# scan_agg.sh [ROWS]: a filter and an aggregate over 8 partitions of a
# Parquet dataset (default 20,000,000 rows in 8 files), then the partial
# aggregates combined, vs one DuckDB query with the same total threads.
# Target ratio: <= 1.15.
#
# A third side gives the floor of running a query per partition, whoever
# runs it: plain DuckDB doing smallpond's first step by hand, one query
# per file, the files dealt to as many processes as there are workers,
# one thread each; no planner, no scheduler, and no final combine. What
# smallpond takes beyond the floor is its own cost.
default_runs=11 # runs take a second; two a second apart may differ 20 %
. "$(dirname "$0")/lib.sh"
rows=${1:-20000000}
gen_table "$work/data" "$rows" 8 1000
glob="$work/data/*.parquet"

# partial FROM: the query of the first step over FROM.
partial() {
  echo "SELECT k, count(*) AS n, sum(v) AS s FROM $1 WHERE v > 100 GROUP BY k"
}

# by_hand: the floor side; each file's result goes to $work/hand/.
by_hand() {
  w=0 pids=
  while [ "$w" -lt "$workers" ]; do
    set --
    i=0
    for f in "$work"/data/*.parquet; do
      [ $(( i % workers )) -eq "$w" ] && set -- "$@" \
        "COPY ($(partial "read_parquet('$f')"))
         TO '$work/hand/$i.parquet' (FORMAT parquet)"
      i=$(( i + 1 ))
    done
    duck_alone "$@" &
    pids="$pids $!"
    w=$(( w + 1 ))
  done
  for p in $pids; do
    wait "$p"
  done
}

# The sides alternate, so that a slow moment of the machine does not fall
# on one side only.
mkdir -p "$work/hand"
for r in $(seq "$runs"); do
  rm -rf "$work/out"
  timed sp --read-parquet "$glob" --repartition 8 --sql "$(partial "{0}")" \
     --repartition 1 \
     --sql "SELECT k, sum(n)::BIGINT AS n, sum(s) AS s FROM {0} GROUP BY k" \
     --write-parquet "$work/out" >>"$work/t_sp"
  timed duck "COPY ($(partial "read_parquet('$glob')"))
               TO '$work/duck.parquet' (FORMAT parquet)" >>"$work/t_duck"
  timed by_hand >>"$work/t_hand"
done
t_sp=$(median <"$work/t_sp")
t_duck=$(median <"$work/t_duck")
t_hand=$(median <"$work/t_hand")
# Sums of doubles differ in the last bits with the order of addition.
same "SELECT k, n, round(s, 6) FROM '$work/duck.parquet'" \
     "SELECT k, n, round(s, 6) FROM '$work/out/*.parquet'"
same "SELECT k, n, round(s, 6) FROM '$work/duck.parquet'" \
     "SELECT k, sum(n), round(sum(s), 6) FROM '$work/hand/*.parquet'
      GROUP BY k"
report scan_agg "$t_sp" "$t_duck"
report_floor "$t_hand" "$t_duck" \
  "DuckDB by hand: a query per file in $workers processes, no combine"
