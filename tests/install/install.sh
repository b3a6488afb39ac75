#!/bin/sh
# install.sh BUILD_DIR SOURCE_DIR: what a packager and a user of an
# installed smallpond do. Installs into a temporary prefix (and again
# through DESTDIR), then builds examples/quickstart.c outside the source
# tree twice, with pkg-config and with a five-line CMake project using
# find_package, runs both on generated prices, and compares what they wrote
# with the same query in plain DuckDB, and a third time statically with
# libsmallpond.a beside a function of its own that has the name of an
# internal one. Also: only smallpond.h's names are global in either
# library; the installed tool runs without LD_LIBRARY_PATH and no runpath
# names the build tree; the man pages are there; an unwritable prefix fails
# naming the path.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sp-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
fail() { echo "install.sh: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
libdir=$(dirname "$(find "$prefix" -name libsmallpond.so)")
for f in "$prefix/include/smallpond.h" "$prefix/bin/smallpond" \
         "$libdir/libsmallpond.a" "$libdir/pkgconfig/smallpond.pc" \
         "$libdir/cmake/smallpond/smallpondConfig.cmake" \
         "$prefix/share/man/man1/smallpond.1" \
         "$prefix/share/man/man1/smallpond-sql.1"; do
  [ -e "$f" ] || fail "not installed: $f"
done
grep -q '^\.TH SMALLPOND-SQL 1' "$prefix/share/man/man1/smallpond-sql.1" ||
  fail "smallpond-sql.1 is not a man page"
readelf -d "$libdir/libsmallpond.so" | grep -q 'SONAME.*libsmallpond\.so\.' ||
  fail "libsmallpond.so has no SONAME"
if readelf -d "$prefix/bin/smallpond" "$libdir/libsmallpond.so" |
     grep -i 'path' | grep -q "$build"; then
  fail "an installed runpath names the build tree"
fi
version=$(env -u LD_LIBRARY_PATH "$prefix/bin/smallpond" --version)
case "$version" in
  "smallpond $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --modversion smallpond) "*) ;;
  *) fail "the tool says '$version', pkg-config another version" ;;
esac

# Only the public API is global in either library: the names declared
# with SP_API in smallpond.h, no internal sp_ function.
grep -v '^ *#' "$src/include/smallpond.h" | tr '\n' ' ' |
  grep -oE 'SP_API [^;(]*\(' |
  sed -E 's/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*) *\($/\1/' |
  sort -u >"$tmp/public"
[ -s "$tmp/public" ] || fail "no SP_API name found in smallpond.h"
nm -g --defined-only "$libdir/libsmallpond.a" | awk 'NF == 3 {print $3}' |
  sort >"$tmp/static-names"
nm -D --defined-only "$libdir/libsmallpond.so" | awk 'NF == 3 {print $3}' |
  sort >"$tmp/shared-names"
for names in static-names shared-names; do
  if ! cmp -s "$tmp/public" "$tmp/$names"; then
    diff "$tmp/public" "$tmp/$names" >&2 || true
    fail "$names: the global names are not smallpond.h's (< header, > library)"
  fi
done
internal=$(nm "$libdir/libsmallpond.a" |
           awk '$2 == "t" && $3 ~ /^sp_/ {print $3; exit}')
[ -n "$internal" ] || fail "libsmallpond.a has no local sp_ function"

# DESTDIR: the same files, under it.
DESTDIR="$tmp/stage" cmake --install "$build" --prefix /opt/sp >/dev/null
[ -e "$tmp/stage/opt/sp/include/smallpond.h" ] || fail "DESTDIR not honoured"

# An unwritable prefix fails, naming the path.
if cmake --install "$build" --prefix /proc/sp-no-such >"$tmp/err" 2>&1; then
  fail "installing into /proc/sp-no-such succeeded"
fi
grep -q /proc/sp-no-such "$tmp/err" || fail "the error does not name the prefix"

# A program built against the installed copy, two ways.
mkdir "$tmp/app"
cp "$src/examples/quickstart.c" "$tmp/app/"
cd "$tmp/app"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o qs-pkgconfig quickstart.c \
  $(pkg-config --cflags --libs smallpond) \
  -Wl,-rpath,"$(pkg-config --variable=libdir smallpond)"
cat >CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(app C)
find_package(smallpond REQUIRED)
add_executable(qs-cmake quickstart.c)
target_link_libraries(qs-cmake PRIVATE smallpond::smallpond)
CMAKE
cmake -S . -B cmake-build -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build cmake-build >/dev/null
# Static: libsmallpond.a, and what pkg-config --static adds but itself.
cat >own.c <<C
/* The program's own function, named as one of the library's internal ones. */
int $internal(void);
int $internal(void) { return 7; }
C
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o qs-static quickstart.c own.c \
  "$libdir/libsmallpond.a" \
  $(pkg-config --cflags --static --libs smallpond | sed 's/-lsmallpond\( \|$\)/ /') \
  -Wl,-rpath,"$libdir" 2>"$tmp/static.err" ||
  { cat "$tmp/static.err" >&2; fail "quickstart does not link libsmallpond.a"; }
if readelf -d qs-static | grep -q 'NEEDED.*libsmallpond'; then
  fail "qs-static needs libsmallpond.so: the static link did not take"
fi

"$build/bin/sp-gen-prices" "$tmp/prices" 100000 4 >/dev/null
for app in ./qs-pkgconfig cmake-build/qs-cmake ./qs-static; do
  out="$tmp/out-$(basename "$app")"
  env -u LD_LIBRARY_PATH SP_DATA_ROOT="$tmp/root" "$app" \
    "$tmp/prices/*.parquet" "$out" >/dev/null
  "$build/bin/sp-compare" \
    "SELECT ticker, min(price), max(price) FROM read_parquet('$tmp/prices/*.parquet') GROUP BY ticker" \
    "SELECT * FROM read_parquet('$out/*.parquet')" ||
    fail "$app wrote another result than DuckDB's"
done
echo "install.sh: installed, public names only, built three ways outside the tree, same rows as DuckDB"
