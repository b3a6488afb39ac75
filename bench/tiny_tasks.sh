#!/bin/sh
# tiny_tasks.sh [TASKS]: TASKS tasks (default 10,000) that each run a
# trivial query on a one-row Parquet file and write its result, on the
# benchmark's workers: reports tasks per second, and the time DuckDB takes
# for the same number of trivial queries in one connection, for scale.
# Target: at least 1,000 tasks/s (a worker reuses its DuckDB; nothing
# starts per task).
#
# Every task has the same small work whatever TASKS is: its own one-row
# file. (Row ranges of one shared file would not do: a task reads its
# rows by decompressing the whole row group, so each task's work would
# grow with TASKS. tiny_tasks.sh --ranges measures that case too.)
. "$(dirname "$0")/lib.sh"
ranges=
[ "${1:-}" = --ranges ] && { ranges=1; shift; }
n=${1:-10000}

# The input, made by DuckDB and not timed: in/p=<i>/data_0.parquet with
# the one row i.
"$bin/sp-duck-sql" "COPY (SELECT i, i AS p FROM range($n) t(i)) TO
                    '$work/in' (FORMAT parquet, PARTITION_BY (p))" >/dev/null

# The two sides alternate, so that a slow moment of the machine does not
# fall on one side only.
for r in $(seq "$runs"); do
  if [ -n "$ranges" ]; then
    timed sp --from-sql "SELECT i FROM range($n) t(i)" --repartition "$n" \
       --by-rows --map "i, i * 2 AS j" --count >>"$work/t_sp"
  else
    timed sp --read-parquet "$work/in/*/*.parquet" --repartition "$n" \
       --map "i, i * 2 AS j" --count >>"$work/t_sp"
  fi
  timed duck --repeat "$n" "SELECT 1 AS i, 2 AS j" >>"$work/t_duck"
done
t_sp=$(median <"$work/t_sp")
t_duck=$(median <"$work/t_duck")
awk -v n="$n" -v s="$t_sp" -v d="$t_duck" -v w="$workers" \
    -v what="${ranges:+ (1-row ranges of one file)}" 'BEGIN {
  printf "tiny_tasks   %d tasks%s in %.3f s: %.0f tasks/s on %d workers " \
         "(%.2f ms a task); duckdb runs %d trivial queries in %.3f s\n",
         n, what, s, n / s, w, 1000 * s / n * w, n, d }'
