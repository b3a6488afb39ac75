/*
 * duck_sql.c - sp-duck-sql [--threads N] [--memory MIB] [--repeat N]
 * SQL...: plain DuckDB for the benchmarks. Runs each SQL argument in order
 * (each N times) in one in-memory database and prints the seconds the last
 * one took (all its repeats), so that scripts can time DuckDB on the same
 * data as smallpond. Exit status 0, or 1 after printing DuckDB's
 * message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "duckcheck.h"

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
  duckdb_database db;
  duckdb_connection con;
  double start = 0, last = 0;
  char set[64];
  int i = 1, rc = 0, repeat = 1, r;

  if (dc_open(&db, &con) != 0)
    return 1;
  for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
    if (strcmp(argv[i], "--threads") == 0)
      snprintf(set, sizeof(set), "SET threads = %d", atoi(argv[i + 1]));
    else if (strcmp(argv[i], "--memory") == 0)
      snprintf(set, sizeof(set), "SET memory_limit = '%dMiB'",
               atoi(argv[i + 1]));
    else if (strcmp(argv[i], "--repeat") == 0 && atoi(argv[i + 1]) > 0) {
      repeat = atoi(argv[i + 1]);
      continue;
    } else
      break;
    if (dc_exec(con, set) != 0)
      rc = 1;
  }
  if (i >= argc) {
    fputs("usage: sp-duck-sql [--threads N] [--memory MIB] [--repeat N] "
          "SQL...\n", stderr);
    rc = 1;
  }
  for (; i < argc && rc == 0; i++) {
    start = now_s();
    for (r = 0; r < repeat && rc == 0; r++)
      if (dc_exec(con, argv[i]) != 0)
        rc = 1;
    last = now_s() - start;
  }
  dc_close(&db, &con);
  if (rc == 0)
    printf("%.3f\n", last);
  return rc;
}
