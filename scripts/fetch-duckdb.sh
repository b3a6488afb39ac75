#!/bin/sh
# Provide the bundled DuckDB's C header and shared library in DEST (default
# third_party/duckdb), as DESIGN.md section 4 says:
#   - when DEST already holds the pinned version: nothing to do;
#   - else fetch both from the npm registry with `npm pack`, check each
#     tarball against the sha512 pinned below, and unpack into DEST.
# CMake runs it (cmake/SmallpondDuckDB.cmake) only when it uses the bundled
# copy: with DUCKDB_ROOT or an installed DuckDB 1.4 nothing is fetched.
# Prints the directory to use (with include/ and lib/) on stdout.
set -eu

version=1.4.4
header_pkg="duckdb@$version"
header_sri="sha512-hEJJ5hyVF0VLj3dmOLpsWrQR0b3d4Ykqtygm6iUXjHJDDnSqg/USKxcb5qvNrOhFYPgktayU6dXCtgPqcmmpog=="
lib_pkg="@duckdb/node-bindings-linux-x64@$version-r.4"
lib_sri="sha512-jBTL/WvfwxLToFa/pVHfT6elMtltJGnc3wSuxZD9OfMltit9YUdVFS37vBFQzXMT1Z8OWjtSjMh+zPKxOwHLHA=="

top=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$top/third_party/duckdb}

stamp="$header_pkg $lib_pkg"
if [ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$stamp" ] &&
   [ -f "$dest/include/duckdb.h" ] && [ -f "$dest/lib/libduckdb.so" ]; then
  echo "$dest"
  exit 0
fi

command -v npm >/dev/null 2>&1 || {
  echo "fetch-duckdb: npm is missing; run scripts/bootstrap.sh first" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# sri FILE: the file's Subresource Integrity string, as npm records it.
sri() {
  printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | openssl base64 -A)"
}

fetch() { # fetch PACKAGE EXPECTED_SRI -> prints the tarball path
  (cd "$work" && npm pack --silent "$1" >/dev/null 2>"$work/npm.err") || {
    cat "$work/npm.err" >&2
    echo "fetch-duckdb: npm pack $1 failed" >&2
    exit 1
  }
  tgz=$(ls -t "$work"/*.tgz | head -n 1)
  got=$(sri "$tgz")
  if [ "$got" != "$2" ]; then
    echo "fetch-duckdb: integrity mismatch for $1" >&2
    echo "  expected $2" >&2
    echo "  got      $got" >&2
    exit 1
  fi
  mv "$tgz" "$work/$(echo "$1" | tr '/@' '__').tgz"
  echo "$work/$(echo "$1" | tr '/@' '__').tgz"
}

echo "fetch-duckdb: fetching DuckDB $version from the npm registry" >&2
h=$(fetch "$header_pkg" "$header_sri")
l=$(fetch "$lib_pkg" "$lib_sri")

mkdir -p "$work/h" "$work/l"
tar -xzf "$h" -C "$work/h" package/src/duckdb/src/include/duckdb.h
tar -xzf "$l" -C "$work/l" package/libduckdb.so

rm -rf "$dest.new"
mkdir -p "$dest.new/include" "$dest.new/lib"
mv "$work/h/package/src/duckdb/src/include/duckdb.h" "$dest.new/include/"
mv "$work/l/package/libduckdb.so" "$dest.new/lib/"
echo "$stamp" > "$dest.new/VERSION"
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "$dest"
