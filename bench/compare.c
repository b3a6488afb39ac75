/*
 * compare.c - sp-compare [--rounded] EXPECTED_SQL ACTUAL_SQL: runs both
 * queries in plain DuckDB and checks that they return the same multiset of
 * rows (with --rounded, doubles to 9 significant digits). Prints one line;
 * exit status 0 when equal, 1 when not, 2 on a query error.
 */
#include <stdio.h>
#include <string.h>

#include "duckcheck.h"

int main(int argc, char **argv)
{
  duckdb_database db;
  duckdb_connection con;
  char why[256];
  int same, round = argc == 4 && strcmp(argv[1], "--rounded") == 0;

  if (argc != 3 + round) {
    fputs("usage: sp-compare [--rounded] EXPECTED_SQL ACTUAL_SQL\n", stderr);
    return 2;
  }
  if (dc_open(&db, &con) != 0)
    return 2;
  same = round ? dc_same_rows_rounded(con, argv[2], argv[3], why, sizeof(why))
               : dc_same_rows(con, argv[1], argv[2], why, sizeof(why));
  dc_close(&db, &con);
  if (same < 0)
    return 2;
  printf("%s: %s\n", same ? "MATCH" : "MISMATCH", why);
  return same ? 0 : 1;
}
