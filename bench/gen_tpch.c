/*
 * gen_tpch.c - sp-gen-tpch DIR SF [FILES [SEED]]: TPC-H-shaped tables as
 * Parquet files under DIR (see tpch.h), FILES per table (default 8; seed
 * default 1), for bench/sql.sh and by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "duckcheck.h"
#include "tpch.h"

int main(int argc, char **argv)
{
  duckdb_database db;
  duckdb_connection con;
  double sf;
  int files, rc;

  if (argc < 3 || argc > 5) {
    fprintf(stderr, "usage: sp-gen-tpch DIR SF [FILES [SEED]]\n");
    return 2;
  }
  sf = atof(argv[2]);
  files = argc > 3 ? atoi(argv[3]) : 8;
  if (sf <= 0 || files < 1) {
    fprintf(stderr, "sp-gen-tpch: SF must be above 0 and FILES at least 1\n");
    return 2;
  }
  if (mkdir(argv[1], 0777) != 0) {
    perror(argv[1]);
    return 1;
  }
  if (dc_open(&db, &con) != 0)
    return 1;
  rc = tpch_write(con, argv[1], sf, files, argc > 4 ? atoll(argv[4]) : 1);
  dc_close(&db, &con);
  return rc ? 1 : 0;
}
