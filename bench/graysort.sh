#!/bin/sh
# graysort.sh [SIZE_GB]: sort SIZE_GB (default 1; decimal GB, may be a
# fraction) of 100-byte records by their 10-byte key, made by `smallpond
# gensort`, with smallpond (--sort-by, one partition per ~125 MB) and with
# one plain DuckDB COPY ... ORDER BY key, both writing zstd Parquet with the
# same total threads; then the same for skewed keys (gensort --skew).
# Every output is checked by `smallpond valsort --input` (order, count,
# checksum). Prints MB/s for each and the ratio of smallpond's throughput
# to DuckDB's. Targets: >= 0.9 at 1 GB and 5 GB; skewed within 1.3x of
# uniform.
. "$(dirname "$0")/lib.sh"
size=${1:-1}
records=$(awk -v g="$size" 'BEGIN { printf "%d", g * 10000000 }')
mb=$(awk -v r="$records" 'BEGIN { printf "%.1f", r * 100 / 1e6 }')
# Input files and output partitions of ~1.25 M records (125 MB); the
# partitions a multiple of the workers (so that the last round of sorts
# keeps every worker busy), at least two per worker. (DuckDB's
# PARTITION_BY costs ~40 % more per row into 78 partitions than into 16.)
files=$(( records / 1250000 > 0 ? records / 1250000 : 1 ))
parts=$(( (records / 1250000 + workers - 1) / workers * workers ))
[ "$parts" -ge $(( 2 * workers )) ] || parts=$(( 2 * workers ))

# records gensort|valsort ARGS...
records() {
  cmd=$1
  shift
  "$bin/smallpond" "$cmd" --workers "$workers" --data-root "$work/root" \
    --quiet "$@"
}

# throughput SECONDS: MB/s for the whole input.
throughput() { awk -v m="$mb" -v s="$1" 'BEGIN { printf "%.1f", m / s }'; }

# check DIR: valsort of a sorted output against the input, or the end.
check() {
  records valsort --input "$work/in" "$1" >>"$work/check" ||
    { tail -1 "$work/check" >&2; exit 1; }
}

# sort_both NAME: sorts $work/in both ways, runs times, checks every run.
# Each side starts from the same state: the other side's files deleted
# and every dirty page written back (sync), so that neither pays for the
# other's writeback or page cache; the input stays cached for both.
sort_both() {
  rm -f "$work/t_sp" "$work/t_duck"
  for r in $(seq "$runs"); do
    rm -rf "$work/out" "$work/root" && sync
    timed sp --read-parquet "$work/in/*.parquet" --sort-by key \
       --partitions "$parts" --write-parquet "$work/out" >>"$work/t_sp"
    check "$work/out"
    rm -rf "$work/out" "$work/root" "$work/duck" && mkdir "$work/duck" && sync
    timed duck "COPY (SELECT * FROM read_parquet('$work/in/*.parquet')
                      ORDER BY key)
                 TO '$work/duck/sorted.parquet'
                 (FORMAT parquet, COMPRESSION zstd)" >>"$work/t_duck"
    check "$work/duck"
  done
  rm -rf "$work/duck"
  t_sp=$(median <"$work/t_sp")
  t_duck=$(median <"$work/t_duck")
  awk -v n="$1" -v s="$t_sp" -v d="$t_duck" -v m="$mb" -v w="$workers" \
      'BEGIN { printf "%-16s smallpond %7.3f s %7.1f MB/s   duckdb %7.3f s " \
               "%7.1f MB/s   throughput ratio %.2f   (%d workers x 1 " \
               "thread vs %d threads)\n", n, s, m / s, d, m / d, d / s, w, w }'
}

echo "graysort: $records records ($mb MB) in $files files, sorted into" \
     "$parts partitions"
records gensort --records "$records" --partitions "$files" "$work/in"
sort_both "graysort ${size}GB"
t_uniform=$t_sp
rm -rf "$work/in"
records gensort --records "$records" --partitions "$files" --skew \
  "$work/in"
sort_both "skewed ${size}GB"
awk -v u="$t_uniform" -v s="$t_sp" 'BEGIN {
  printf "skewed/uniform   smallpond %.2fx the uniform time\n", s / u }'
