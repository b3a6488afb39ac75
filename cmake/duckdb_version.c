/* Built and run at configure time by cmake/SmallpondDuckDB.cmake against
 * the DuckDB it found: prints that library's version (duckdb.h 1.4 has no
 * version macro). */
#include <stdio.h>

#include <duckdb.h>

int main(void) {
  puts(duckdb_library_version());
  return 0;
}
