# lib.sh - what the benchmark scripts share (sourced, not run): the
# binaries (built first if missing), a scratch folder removed on exit, a
# clock, and the report line. Every figure compares smallpond with plain
# DuckDB on the same data, in the same run, with the same total threads;
# both are timed as whole processes, start to exit (launch and planning
# included), and each figure is the median of SP_BENCH_RUNS runs (3, or
# the default_runs a script sets before sourcing this file).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/bin"
if [ ! -x "$bin/smallpond" ] || [ ! -x "$bin/sp-duck-sql" ] ||
   [ ! -x "$bin/sp-peak" ]; then
  make -C "$top" >/dev/null
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/sp-bench-XXXXXX")
[ -n "${SP_BENCH_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
workers=${SP_BENCH_WORKERS:-2}
runs=${SP_BENCH_RUNS:-${default_runs:-3}}

now() { date +%s.%N; }

# since START: seconds elapsed, to the millisecond.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# timed CMD...: runs CMD and prints the seconds it took.
timed() {
  t0=$(now)
  "$@"
  since "$t0"
  echo
}

# median: the median of the numbers on stdin, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# duck SQL...: plain DuckDB with as many threads as smallpond's workers
# (one thread per task), in a process of its own, as smallpond runs.
duck() { "$bin/sp-duck-sql" --threads "$workers" "$@" >/dev/null; }

# duck_alone SQL...: the SQL in order, in a DuckDB of one thread, as a
# worker runs its tasks.
duck_alone() { "$bin/sp-duck-sql" --threads 1 "$@" >/dev/null; }

# sp ARGS...: smallpond run with the benchmark's workers and data root.
sp() {
  "$bin/smallpond" run --workers "$workers" --task-threads 1 \
    --data-root "$work/root" "$@" >/dev/null 2>"$work/sp.log" || {
    cat "$work/sp.log" >&2
    exit 1
  }
}

# same EXPECTED_SQL ACTUAL_SQL: fails the benchmark unless both give the
# same rows (a benchmark of wrong results measures nothing).
same() {
  "$bin/sp-compare" "$1" "$2" >"$work/compare.log" || {
    cat "$work/compare.log" >&2
    echo "$(basename "$0"): results differ from DuckDB's" >&2
    exit 1
  }
}

# same_rounded EXPECTED_SQL ACTUAL_SQL: the same, with doubles compared to
# 9 significant digits (their sums differ in the last digits with the
# order of addition).
same_rounded() {
  "$bin/sp-compare" --rounded "$1" "$2" >"$work/compare.log" || {
    cat "$work/compare.log" >&2
    echo "$(basename "$0"): results differ from DuckDB's" >&2
    exit 1
  }
}

# report NAME SMALLPOND_S DUCKDB_S: one line with the ratio.
report() {
  awk -v n="$1" -v s="$2" -v d="$3" -v w="$workers" 'BEGIN {
    printf "%-12s smallpond %7.3f s   duckdb %7.3f s   ratio %.2f   " \
           "(%d workers x 1 thread vs %d threads)\n", n, s, d, s / d, w, w }'
}

# report_floor SECONDS DUCKDB_S WHAT: the floor line under a report.
report_floor() {
  awk -v f="$1" -v d="$2" -v what="$3" 'BEGIN {
    printf "  floor      %17.3f s   duckdb %7.3f s   ratio %.2f   (%s)\n",
           f, d, f / d, what }'
}

# gen_table DIR ROWS FILES KEYS: Parquet files DIR/part-<i>.parquet with
# ROWS rows in all: id, k (KEYS distinct values, hashed), v (a double).
gen_table() {
  mkdir -p "$1"
  per=$(( $2 / $3 ))
  i=0
  while [ "$i" -lt "$3" ]; do
    "$bin/sp-duck-sql" "COPY (SELECT i AS id, hash(i) % $4 AS k,
        (hash(i * 7) % 100000) / 100.0 AS v
        FROM range($(( i * per )), $(( (i + 1) * per ))) t(i))
        TO '$1/part-$i.parquet' (FORMAT parquet)" >/dev/null
    i=$(( i + 1 ))
  done
}
