# Which DuckDB the build uses, and a check that it speaks the 1.4 C API.
#
# SP_DUCKDB says where DuckDB may come from:
#   auto     (default) DUCKDB_ROOT if set (a CMake or environment variable),
#            else an installed DuckDB: its CMake package
#            (find_package(DuckDB CONFIG)), pkg-config's duckdb, or
#            duckdb.h and libduckdb.so in the system's paths; only when
#            there is none, the pinned copy that scripts/fetch-duckdb.sh
#            fetches from the npm registry into SP_DUCKDB_DIR
#   system   DUCKDB_ROOT or an installed DuckDB, never a fetch (packagers)
#   bundled  the fetched copy, whatever the system has
# A DuckDB that is found but is not 1.4 stops the configure: an old or new
# system copy is a choice for the packager to make, not one to paper over
# with a download.
#
# Sets SP_DUCKDB_LIBRARY, SP_DUCKDB_INCLUDE, SP_DUCKDB_VERSION,
# SP_DUCKDB_FROM (how it was found), SP_DUCKDB_BUNDLED (true when the copy
# is ours and installs beside libsmallpond), SP_DUCKDB_PC_MODULE (the
# pkg-config module when pkg-config found it) and the imported target
# duckdb (DuckDB's own, when its CMake package was used).

set(SP_DUCKDB "auto" CACHE STRING
    "Where DuckDB comes from: auto, system or bundled")
set_property(CACHE SP_DUCKDB PROPERTY STRINGS auto system bundled)
set(SP_DUCKDB_DIR "${PROJECT_SOURCE_DIR}/third_party/duckdb" CACHE PATH
    "Folder of the bundled DuckDB (include/duckdb.h, lib/libduckdb.so)")
# DUCKDB_ROOT: -DDUCKDB_ROOT=DIR, else the environment's (read at each
# configure, as find_package reads <Package>_ROOT).
if(NOT DEFINED DUCKDB_ROOT AND DEFINED ENV{DUCKDB_ROOT})
  set(DUCKDB_ROOT "$ENV{DUCKDB_ROOT}")
endif()
set(SP_DUCKDB_SERIES 1.4)
if(NOT SP_DUCKDB MATCHES "^(auto|system|bundled)$")
  message(FATAL_ERROR "SP_DUCKDB=${SP_DUCKDB}: use auto, system or bundled")
endif()

set(SP_DUCKDB_LIBRARY "")
set(SP_DUCKDB_INCLUDE "")
set(SP_DUCKDB_FROM "")
set(SP_DUCKDB_PC_MODULE "")
set(SP_DUCKDB_BUNDLED FALSE)

# sp_duckdb_find(FROM PATHS...): duckdb.h and libduckdb in PATHS only
# (with their include/ and lib/ folders), or in the system's paths when
# PATHS is empty. The results are looked up anew at each configure, so a
# change of SP_DUCKDB or DUCKDB_ROOT is seen.
function(sp_duckdb_find from)
  unset(SP_DUCKDB_FOUND_H CACHE)
  unset(SP_DUCKDB_FOUND_SO CACHE)
  if(ARGN)
    find_path(SP_DUCKDB_FOUND_H duckdb.h PATHS ${ARGN}
              PATH_SUFFIXES include NO_DEFAULT_PATH)
    find_library(SP_DUCKDB_FOUND_SO duckdb PATHS ${ARGN}
                 PATH_SUFFIXES lib lib64 NO_DEFAULT_PATH)
  else()
    find_path(SP_DUCKDB_FOUND_H duckdb.h)
    find_library(SP_DUCKDB_FOUND_SO duckdb)
  endif()
  if(SP_DUCKDB_FOUND_H AND SP_DUCKDB_FOUND_SO)
    set(SP_DUCKDB_INCLUDE "${SP_DUCKDB_FOUND_H}" PARENT_SCOPE)
    set(SP_DUCKDB_LIBRARY "${SP_DUCKDB_FOUND_SO}" PARENT_SCOPE)
    set(SP_DUCKDB_FROM "${from}" PARENT_SCOPE)
  endif()
  unset(SP_DUCKDB_FOUND_H CACHE)
  unset(SP_DUCKDB_FOUND_SO CACHE)
endfunction()

if(NOT SP_DUCKDB STREQUAL "bundled" AND DUCKDB_ROOT)
  sp_duckdb_find("DUCKDB_ROOT" "${DUCKDB_ROOT}")
  if(NOT SP_DUCKDB_LIBRARY)
    message(FATAL_ERROR "DUCKDB_ROOT=${DUCKDB_ROOT} has no duckdb.h and "
                        "libduckdb.so (in it, or in its include/ and lib/)")
  endif()
endif()

# DuckDB's CMake package (lib/cmake/DuckDB of a source install) names its
# shared library target duckdb, the name this build uses anyway.
if(NOT SP_DUCKDB STREQUAL "bundled" AND NOT SP_DUCKDB_LIBRARY)
  find_package(DuckDB CONFIG QUIET)
  if(DuckDB_FOUND AND TARGET duckdb)
    get_target_property(SP_DUCKDB_LIBRARY duckdb LOCATION)
    get_target_property(sp_inc duckdb INTERFACE_INCLUDE_DIRECTORIES)
    if(NOT sp_inc)
      set(sp_inc ${DuckDB_INCLUDE_DIRS})
    endif()
    find_path(SP_DUCKDB_INCLUDE_PKG duckdb.h PATHS ${sp_inc} NO_DEFAULT_PATH)
    set(SP_DUCKDB_INCLUDE "${SP_DUCKDB_INCLUDE_PKG}")
    unset(SP_DUCKDB_INCLUDE_PKG CACHE)
    if(NOT SP_DUCKDB_INCLUDE)
      message(FATAL_ERROR "DuckDB's CMake package in ${DuckDB_DIR} names no "
                          "folder with duckdb.h (${sp_inc})")
    endif()
    set(SP_DUCKDB_FROM "its CMake package in ${DuckDB_DIR}")
  endif()
endif()

if(NOT SP_DUCKDB STREQUAL "bundled" AND NOT SP_DUCKDB_LIBRARY)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SP_DUCKDB_PC QUIET duckdb)
  if(SP_DUCKDB_PC_FOUND)
    sp_duckdb_find("pkg-config duckdb"
                   ${SP_DUCKDB_PC_INCLUDE_DIRS} ${SP_DUCKDB_PC_INCLUDEDIR}
                   ${SP_DUCKDB_PC_LIBRARY_DIRS} ${SP_DUCKDB_PC_LIBDIR})
    if(NOT SP_DUCKDB_LIBRARY)
      message(FATAL_ERROR "pkg-config's duckdb (${SP_DUCKDB_PC_PREFIX}) has "
                          "no duckdb.h and libduckdb.so where it says")
    endif()
    set(SP_DUCKDB_PC_MODULE duckdb)
  endif()
endif()

if(NOT SP_DUCKDB STREQUAL "bundled" AND NOT SP_DUCKDB_LIBRARY)
  sp_duckdb_find("the system's paths")
endif()

if(SP_DUCKDB STREQUAL "system" AND NOT SP_DUCKDB_LIBRARY)
  message(FATAL_ERROR "SP_DUCKDB=system: no DuckDB found (DUCKDB_ROOT, "
                      "DuckDB's CMake package, pkg-config duckdb, or "
                      "duckdb.h and libduckdb.so in the system's paths)")
endif()

# Ours: fetched (pinned and checked) unless a folder was given by hand.
if(NOT SP_DUCKDB_LIBRARY)
  if(SP_DUCKDB_DIR STREQUAL "${PROJECT_SOURCE_DIR}/third_party/duckdb")
    execute_process(
      COMMAND sh "${PROJECT_SOURCE_DIR}/scripts/fetch-duckdb.sh"
              "${SP_DUCKDB_DIR}"
      RESULT_VARIABLE sp_rc OUTPUT_QUIET)
    if(NOT sp_rc EQUAL 0)
      message(FATAL_ERROR "scripts/fetch-duckdb.sh failed (above); install "
                          "DuckDB ${SP_DUCKDB_SERIES} and set DUCKDB_ROOT, "
                          "or fill SP_DUCKDB_DIR by hand")
    endif()
  endif()
  sp_duckdb_find("the bundled copy" "${SP_DUCKDB_DIR}")
  if(NOT SP_DUCKDB_LIBRARY)
    message(FATAL_ERROR "DuckDB not found in SP_DUCKDB_DIR=${SP_DUCKDB_DIR}")
  endif()
  set(SP_DUCKDB_BUNDLED TRUE)
endif()

# The version, from the library itself: duckdb.h 1.4 has no version macro.
# A small program built against the header and library found prints
# duckdb_library_version(); the answer is kept until either file changes.
file(TIMESTAMP "${SP_DUCKDB_LIBRARY}" sp_lib_time)
file(TIMESTAMP "${SP_DUCKDB_INCLUDE}/duckdb.h" sp_h_time)
set(sp_key
    "${SP_DUCKDB_LIBRARY}|${sp_lib_time}|${SP_DUCKDB_INCLUDE}|${sp_h_time}")
if(NOT SP_DUCKDB_CHECKED STREQUAL sp_key)
  if(CMAKE_CROSSCOMPILING)
    # Nothing can run: trust the version a package states, if any.
    set(sp_version "${DuckDB_VERSION}${SP_DUCKDB_PC_VERSION}")
    if(NOT sp_version)
      set(sp_version "${SP_DUCKDB_SERIES}")
      message(WARNING "cross-compiling: the version of ${SP_DUCKDB_LIBRARY} "
                      "is not checked")
    endif()
  else()
    try_run(sp_run sp_compiled "${PROJECT_BINARY_DIR}/duckdb-version"
            "${PROJECT_SOURCE_DIR}/cmake/duckdb_version.c"
            CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${SP_DUCKDB_INCLUDE}"
            LINK_LIBRARIES "${SP_DUCKDB_LIBRARY}"
            COMPILE_OUTPUT_VARIABLE sp_compile_out
            RUN_OUTPUT_VARIABLE sp_version)
    if(NOT sp_compiled OR NOT sp_run EQUAL 0)
      message(FATAL_ERROR
        "DuckDB ${SP_DUCKDB_LIBRARY} (from ${SP_DUCKDB_FROM}) with "
        "${SP_DUCKDB_INCLUDE}/duckdb.h: a program calling "
        "duckdb_library_version() does not build or run:\n"
        "${sp_compile_out}${sp_version}")
    endif()
  endif()
  string(STRIP "${sp_version}" sp_version)
  string(REGEX REPLACE "^v?([0-9]+\\.[0-9]+\\.[0-9]+).*" "\\1" sp_version
         "${sp_version}")
  set(SP_DUCKDB_VERSION_FOUND "${sp_version}" CACHE INTERNAL "")
  set(SP_DUCKDB_CHECKED "${sp_key}" CACHE INTERNAL "")
endif()
set(SP_DUCKDB_VERSION "${SP_DUCKDB_VERSION_FOUND}")
string(REGEX MATCH "^[0-9]+\\.[0-9]+" sp_series "${SP_DUCKDB_VERSION}")
if(NOT sp_series STREQUAL SP_DUCKDB_SERIES)
  # Not cached as good: the next configure checks again.
  unset(SP_DUCKDB_CHECKED CACHE)
  message(FATAL_ERROR
    "DuckDB ${SP_DUCKDB_LIBRARY} (from ${SP_DUCKDB_FROM}) is version "
    "'${SP_DUCKDB_VERSION}'; smallpond needs the DuckDB ${SP_DUCKDB_SERIES} "
    "C API (${SP_DUCKDB_SERIES}.x). Point DUCKDB_ROOT at a DuckDB "
    "${SP_DUCKDB_SERIES}, or use -DSP_DUCKDB=bundled for the pinned copy "
    "fetched from the npm registry.")
endif()
message(STATUS "DuckDB ${SP_DUCKDB_VERSION}: ${SP_DUCKDB_LIBRARY} "
               "(from ${SP_DUCKDB_FROM})")

if(NOT TARGET duckdb)
  add_library(duckdb SHARED IMPORTED GLOBAL)
  set_target_properties(duckdb PROPERTIES
    IMPORTED_LOCATION "${SP_DUCKDB_LIBRARY}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${SP_DUCKDB_INCLUDE}"
    INTERFACE_INCLUDE_DIRECTORIES "${SP_DUCKDB_INCLUDE}")
endif()
