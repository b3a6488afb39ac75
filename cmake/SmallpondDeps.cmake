# Dependency discovery: DuckDB (fetched by scripts/fetch-duckdb.sh into
# third_party/duckdb, or SP_DUCKDB_DIR), jansson and cmocka (pkg-config),
# MPI (Open MPI from Debian; CMake's FindMPI).

set(SP_DUCKDB_DIR "${PROJECT_SOURCE_DIR}/third_party/duckdb" CACHE PATH
    "Folder with include/duckdb.h and lib/libduckdb.so")
find_path(SP_DUCKDB_INCLUDE duckdb.h PATHS "${SP_DUCKDB_DIR}/include"
          NO_DEFAULT_PATH)
find_library(SP_DUCKDB_LIBRARY duckdb PATHS "${SP_DUCKDB_DIR}/lib"
             NO_DEFAULT_PATH)
if(NOT SP_DUCKDB_INCLUDE OR NOT SP_DUCKDB_LIBRARY)
  message(FATAL_ERROR "DuckDB not found in ${SP_DUCKDB_DIR}: run "
                      "scripts/fetch-duckdb.sh (make does) or set SP_DUCKDB_DIR")
endif()
add_library(duckdb SHARED IMPORTED GLOBAL)
set_target_properties(duckdb PROPERTIES
  IMPORTED_LOCATION "${SP_DUCKDB_LIBRARY}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${SP_DUCKDB_INCLUDE}"
  INTERFACE_INCLUDE_DIRECTORIES "${SP_DUCKDB_INCLUDE}")

find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
if(SP_WITH_MPI)
  find_package(MPI REQUIRED COMPONENTS C)
endif()
if(SP_BUILD_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
