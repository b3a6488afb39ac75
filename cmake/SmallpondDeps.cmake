# Dependency discovery: DuckDB (an installed one, else the copy
# scripts/fetch-duckdb.sh fetches: cmake/SmallpondDuckDB.cmake), jansson
# and cmocka (pkg-config), MPI (Open MPI from Debian; CMake's FindMPI).

include(SmallpondDuckDB)

find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
if(SP_WITH_MPI)
  find_package(MPI REQUIRED COMPONENTS C)
endif()
if(SP_BUILD_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
