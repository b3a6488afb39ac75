#!/bin/sh
# sql.sh [SF]: TPC-H-shaped tables at scale SF (default 1; sp-gen-tpch,
# 8 files a table), then each of the 22 tpch_* queries of the test corpus
# (tests/sql/corpus.sql, our own) timed with `smallpond sql` (2 workers)
# against one DuckDB (2 threads), each writing the result as Parquet,
# alternating, whole processes from the same state; every result checked
# equal to DuckDB's (doubles to 9 significant digits); each smallpond run a
# new job in one data root. Prints each query's
# medians and ratio, the geometric mean of the ratios, the bytes the
# query's exchanges moved, and the peak memory of its biggest process
# (driver or worker), against the task memory limit. Targets (SF 1, 2 CPUs): geometric mean <= 1.5,
# no query above 3.
. "$(dirname "$0")/lib.sh"
sf=${1:-1}
data="$work/tpch"
"$bin/sp-gen-tpch" "$data" "$sf" 8 >/dev/null
tables="region nation supplier customer part partsupp orders lineitem"

# The queries, one file each, without their closing ';'.
mkdir -p "$work/q"
awk -v dir="$work/q" '
  /^-- name: tpch_/ { name = $3; file = dir "/" name ".sql"; next }
  /^-- name:/ { file = ""; next }
  /^--/ { next }
  file != "" { print > file }' "$top/tests/sql/corpus.sql"
for f in "$work"/q/*.sql; do sed -i -e 's/;[[:space:]]*$//' "$f"; done

views=""
table_args=""
for t in $tables; do
  views="$views CREATE VIEW $t AS SELECT * FROM read_parquet('$data/$t/*.parquet');"
  table_args="$table_args --table $t=$data/$t/*.parquet"
done

total_log=0
n=0
printf '%-34s %9s %9s %6s %12s %9s\n' query smallpond duckdb ratio exchanged \
  "peak MiB"
peak_all=0
for f in "$work"/q/*.sql; do
  name=$(basename "$f" .sql)
  q=$(cat "$f")
  : >"$work/t_sp"
  : >"$work/t_duck"
  peak=0
  for r in $(seq "$runs"); do
    # Every run a new job; the data root's list of DuckDB's functions
    # stays, as it does for a user.
    rm -rf "$work/out" "$work/root"/[0-9]* "$work/duck.parquet"
    sync
    # shellcheck disable=SC2086
    timed "$bin/sp-peak" "$work/rss" "$bin/smallpond" sql --quiet \
      --workers "$workers" --data-root "$work/root" $table_args \
      --write-parquet "$work/out" "$q" >>"$work/t_sp" 2>"$work/sp.log" ||
      { cat "$work/sp.log" >&2; exit 1; }
    peak=$(awk -v p="$peak" '{ print ($1 > p ? $1 : p) }' "$work/rss")
    sync
    timed duck "$views" "COPY ($q) TO '$work/duck.parquet' (FORMAT parquet)" \
      >>"$work/t_duck"
  done
  same_rounded "SELECT * FROM '$work/duck.parquet'" \
               "SELECT * FROM '$work/out/*.parquet'"
  bytes=$(awk -F, 'NR > 1 && $3 == "shuffle" { b += $13 } END { print b + 0 }' \
            "$work"/root/*/log/tasks.csv)
  s=$(median <"$work/t_sp")
  d=$(median <"$work/t_duck")
  printf '%-34s %9.3f %9.3f %6.2f %12s %9d\n' "$name" "$s" "$d" \
    "$(awk -v s="$s" -v d="$d" 'BEGIN { print s / d }')" "$bytes" \
    $((peak / 1024))
  peak_all=$((peak > peak_all ? peak : peak_all))
  total_log=$(awk -v t="$total_log" -v s="$s" -v d="$d" \
                'BEGIN { print t + log(s / d) }')
  n=$((n + 1))
done
awk -v t="$total_log" -v n="$n" -v sf="$sf" -v w="$workers" 'BEGIN {
  printf "sql          SF %s: geometric mean of %d ratios %.2f (%d workers vs %d threads)\n",
         sf, n, exp(t / n), w, w }'
# The task memory limit each worker's DuckDB had, from the job's log.
limit=$(sed -n 's/.* and \([0-9]*\) MiB per task.*/\1/p' \
          "$work"/root/*/log/driver.log | head -1)
echo "sql          peak memory of one process (driver or worker):" \
  "$((peak_all / 1024)) MiB; task memory limit: ${limit:-?} MiB"
