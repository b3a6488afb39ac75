/*
 * compare.c - sp-compare EXPECTED_SQL ACTUAL_SQL: runs both queries in plain
 * DuckDB and checks that they return the same multiset of rows. Prints one
 * line; exit status 0 when equal, 1 when not, 2 on a query error.
 */
#include <stdio.h>

#include "duckcheck.h"

int main(int argc, char **argv)
{
  duckdb_database db;
  duckdb_connection con;
  char why[256];
  int same;

  if (argc != 3) {
    fputs("usage: sp-compare EXPECTED_SQL ACTUAL_SQL\n", stderr);
    return 2;
  }
  if (dc_open(&db, &con) != 0)
    return 2;
  same = dc_same_rows(con, argv[1], argv[2], why, sizeof(why));
  dc_close(&db, &con);
  if (same < 0)
    return 2;
  printf("%s: %s\n", same ? "MATCH" : "MISMATCH", why);
  return same ? 0 : 1;
}
