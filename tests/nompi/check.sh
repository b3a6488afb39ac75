#!/bin/sh
# check.sh BUILD_DIR: a build configured with -DSP_WITH_MPI=OFF (make
# test-nompi). Its library has no MPI dependency and runs local mode: the
# quick start gives DuckDB's rows. `smallpond run --launcher mpi` says this
# build has no MPI, and a program started under mpirun (its environment)
# fails in sp_init saying the same, instead of every rank driving a job.
set -eu
build=$(cd "$1" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sp-nompi-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check.sh: $*" >&2; exit 1; }

if ldd "$build/lib/libsmallpond.so" | grep -qi mpi; then
  fail "libsmallpond.so depends on MPI"
fi
"$build/bin/sp-gen-prices" "$tmp/prices" 100000 4 >/dev/null
SP_DATA_ROOT="$tmp/root" "$build/bin/quickstart" "$tmp/prices/*.parquet" \
  "$tmp/out" >/dev/null
"$build/bin/sp-compare" \
  "SELECT ticker, min(price), max(price) FROM read_parquet('$tmp/prices/*.parquet') GROUP BY ticker" \
  "SELECT * FROM read_parquet('$tmp/out/*.parquet')" >/dev/null ||
  fail "the quick start's rows are not DuckDB's"

if "$build/bin/smallpond" run --launcher mpi --np 2 --data-root "$tmp/root" \
     --read-parquet "$tmp/prices/*.parquet" --count >"$tmp/out.txt" \
     2>"$tmp/err.txt"; then
  fail "--launcher mpi ran in a build without MPI"
fi
grep -q "built without MPI" "$tmp/err.txt" ||
  fail "--launcher mpi did not say why: $(cat "$tmp/err.txt")"

if OMPI_COMM_WORLD_SIZE=2 SP_DATA_ROOT="$tmp/root" "$build/bin/quickstart" \
     "$tmp/prices/*.parquet" "$tmp/out2" >"$tmp/out.txt" 2>&1; then
  fail "a program under mpirun ran in a build without MPI"
fi
grep -q "built without MPI" "$tmp/out.txt" ||
  fail "sp_init did not say why: $(cat "$tmp/out.txt")"
echo "check.sh: no MPI linked, local mode gives DuckDB's rows, MPI refused"
