#!/bin/sh
# tiny_tasks.sh [TASKS]: TASKS tasks (default 10,000) that each run a
# trivial query on one row and write it, on the benchmark's workers:
# reports tasks per second, and the time DuckDB takes for the same
# number of trivial queries in one connection, for scale. Target: at
# least 1,000 tasks/s (a worker reuses its DuckDB; nothing starts per
# task).
. "$(dirname "$0")/lib.sh"
n=${1:-10000}

# The two sides alternate, so that a slow moment of the machine does not
# fall on one side only.
for r in $(seq "$runs"); do
  timed sp --from-sql "SELECT i FROM range($n) t(i)" --repartition "$n" \
     --by-rows --map "i, i * 2 AS j" --count >>"$work/t_sp"
  timed duck --repeat "$n" "SELECT 1 AS i, 2 AS j" >>"$work/t_duck"
done
t_sp=$(median <"$work/t_sp")
t_duck=$(median <"$work/t_duck")
awk -v n="$n" -v s="$t_sp" -v d="$t_duck" -v w="$workers" 'BEGIN {
  printf "tiny_tasks   %d tasks in %.3f s: %.0f tasks/s on %d workers " \
         "(%.2f ms a task); duckdb runs %d trivial queries in %.3f s\n",
         n, s, n / s, w, 1000 * s / n * w, n, d }'
