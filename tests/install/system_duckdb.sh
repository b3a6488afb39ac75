#!/bin/sh
# system_duckdb.sh BUILD_DIR SOURCE_DIR LIBDUCKDB DUCKDB_INCLUDE: what a
# packager whose system has DuckDB sees. The DuckDB this build uses is
# copied into a temporary prefix as a system copy would be, with a
# pkg-config file; smallpond is built against it (SP_DUCKDB=system) and
# installed, and the installed library must load that copy, not have
# one of its own, and name it in smallpond.pc. Configure alone checks the
# other ways to find it (DUCKDB_ROOT, DuckDB's CMake package), that a
# DuckDB of another version is refused with its path and the version
# needed, and that SP_DUCKDB=bundled ignores DUCKDB_ROOT.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
libduckdb=$3
duckdb_include=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sp-sysduck-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "system_duckdb.sh: $*" >&2; exit 1; }
unset DUCKDB_ROOT PKG_CONFIG_PATH LD_LIBRARY_PATH
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")

# The "system" DuckDB: header, library, pkg-config file.
sys="$tmp/sys"
mkdir -p "$sys/include" "$sys/lib/pkgconfig"
cp "$duckdb_include/duckdb.h" "$sys/include/"
cp "$libduckdb" "$sys/lib/libduckdb.so"
cat >"$sys/lib/pkgconfig/duckdb.pc" <<PC
prefix=$sys
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: duckdb
Description: DuckDB, installed for this test
Version: 1.4.4
Cflags: -I\${includedir}
Libs: -L\${libdir} -lduckdb
PC

# configure NAME ARGS...: configures the source into $tmp/NAME; the
# output (and errors) in $tmp/NAME.log; fails as cmake does.
configure() {
  name=$1
  shift
  cmake -S "$src" -B "$tmp/$name" -G Ninja -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_DEVELOPER=ON \
    -DSP_BUILD_TESTS=OFF "$@" >"$tmp/$name.log" 2>&1
}
# says NAME TEXT: the configure output of NAME has TEXT (CMake wraps
# its messages: lines are joined and spaces squeezed first).
says() {
  tr '\n' ' ' <"$tmp/$1.log" | tr -s ' ' | grep -qF -- "$2" || {
    cat "$tmp/$1.log" >&2
    fail "$1: the configure output does not say: $2"
  }
}

# Found by pkg-config, built, installed.
PKG_CONFIG_PATH="$sys/lib/pkgconfig" configure pc -DSP_DUCKDB=system \
  -DCMAKE_DISABLE_FIND_PACKAGE_DuckDB=ON ||
  { cat "$tmp/pc.log" >&2; fail "configure against pkg-config's duckdb failed"; }
says pc "DuckDB 1.4.4: $sys/lib/libduckdb.so (from pkg-config duckdb)"
cmake --build "$tmp/pc" -j2 >"$tmp/build.log" 2>&1 ||
  { tail -n 30 "$tmp/build.log" >&2; fail "the build against pkg-config's duckdb failed"; }
prefix="$tmp/prefix"
cmake --install "$tmp/pc" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name libsmallpond.so)")
if find "$prefix" -name 'libduckdb*' | grep -q .; then
  fail "the system's libduckdb was copied into the prefix"
fi
readelf -d "$libdir/libsmallpond.so" | grep -E 'R(UN)?PATH' |
  grep -qF "$sys/lib" || fail "libsmallpond.so's runpath does not name $sys/lib"
ldd "$prefix/bin/smallpond" | grep -qF "libduckdb.so => $sys/lib/libduckdb.so" ||
  { ldd "$prefix/bin/smallpond" >&2; fail "the tool does not load $sys/lib/libduckdb.so"; }
case "$("$prefix/bin/smallpond" --version)" in
  *"(DuckDB v1.4.4)") ;;
  *) fail "the installed tool does not run on the system DuckDB" ;;
esac
export PKG_CONFIG_PATH="$libdir/pkgconfig:$sys/lib/pkgconfig"
pkg-config --print-requires-private smallpond | grep -qx duckdb ||
  fail "smallpond.pc does not require duckdb"
case " $(pkg-config --static --libs smallpond) " in
  *" -L$sys/lib "*"-lduckdb "*) ;;
  *) fail "pkg-config --static smallpond does not link $sys/lib's duckdb" ;;
esac
unset PKG_CONFIG_PATH

# Found by DUCKDB_ROOT, and by DuckDB's CMake package (as DuckDB installs
# it: lib/cmake/DuckDB, an imported target named duckdb).
DUCKDB_ROOT="$sys" configure root -DSP_DUCKDB=system ||
  { cat "$tmp/root.log" >&2; fail "configure with DUCKDB_ROOT failed"; }
says root "$sys/lib/libduckdb.so (from DUCKDB_ROOT)"
mkdir -p "$sys/lib/cmake/DuckDB"
cat >"$sys/lib/cmake/DuckDB/DuckDBConfig.cmake" <<CMAKE
set(DuckDB_INCLUDE_DIRS "$sys/include")
if(NOT TARGET duckdb)
  add_library(duckdb SHARED IMPORTED)
  set_target_properties(duckdb PROPERTIES
    IMPORTED_LOCATION "$sys/lib/libduckdb.so"
    INTERFACE_INCLUDE_DIRECTORIES "$sys/include")
endif()
CMAKE
configure cmakepkg -DSP_DUCKDB=system -DCMAKE_PREFIX_PATH="$sys" ||
  { cat "$tmp/cmakepkg.log" >&2; fail "configure with DuckDB's CMake package failed"; }
says cmakepkg "$sys/lib/libduckdb.so (from its CMake package in $sys/lib/cmake/DuckDB)"

# A DuckDB of another version: refused, naming it and the version needed.
old="$tmp/old"
mkdir -p "$old/include" "$old/lib"
cp "$duckdb_include/duckdb.h" "$old/include/"
printf '%s\n' '#include <duckdb.h>' \
  'const char *duckdb_library_version(void) { return "v1.1.3"; }' >"$tmp/old.c"
"$cc" -shared -fPIC -I"$old/include" -o "$old/lib/libduckdb.so" "$tmp/old.c"
if DUCKDB_ROOT="$old" configure old; then
  fail "a DuckDB 1.1.3 was accepted"
fi
says old "DuckDB $old/lib/libduckdb.so (from DUCKDB_ROOT) is version '1.1.3'"
says old "smallpond needs the DuckDB 1.4 C API"

# SP_DUCKDB=bundled takes the bundled folder, whatever DUCKDB_ROOT says.
DUCKDB_ROOT="$old" configure bundled -DSP_DUCKDB=bundled \
  -DSP_DUCKDB_DIR="$sys" ||
  { cat "$tmp/bundled.log" >&2; fail "SP_DUCKDB=bundled did not configure"; }
says bundled "$sys/lib/libduckdb.so (from the bundled copy)"
echo "system_duckdb.sh: built and installed on a system DuckDB (pkg-config), found by DUCKDB_ROOT and CMake package, 1.1.3 refused"
