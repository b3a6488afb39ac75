/*
 * gen_prices.c - sp-gen-prices OUTDIR [ROWS [FILES]]: a deterministic
 * dataset of daily stock prices (ticker VARCHAR, date DATE, price DOUBLE)
 * for 64 tickers, written by DuckDB as FILES Parquet files
 * (prices-0000.parquet, ...). Row i is a pure function of i (DuckDB hash),
 * so every run writes the same data. Defaults: 1,000,000 rows, 8 files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "duckcheck.h"

#define TICKERS 64

static long long parse(const char *s, long long dflt)
{
  char *end;
  long long v;

  if (!s)
    return dflt;
  v = strtoll(s, &end, 10);
  return *end || v <= 0 ? -1 : v;
}

int main(int argc, char **argv)
{
  duckdb_database db;
  duckdb_connection con;
  long long rows, files, f;
  char sql[2048], path[1024];
  int rc = 0;

  if (argc < 2 || argc > 4) {
    fputs("usage: sp-gen-prices OUTDIR [ROWS [FILES]]\n", stderr);
    return 2;
  }
  rows = parse(argc > 2 ? argv[2] : NULL, 1000000);
  files = parse(argc > 3 ? argv[3] : NULL, 8);
  if (rows < 0 || files < 0) {
    fputs("sp-gen-prices: ROWS and FILES must be positive\n", stderr);
    return 2;
  }
  if (mkdir(argv[1], 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "sp-gen-prices: cannot create %s: %s\n", argv[1],
            strerror(errno));
    return 1;
  }
  if (dc_open(&db, &con) != 0)
    return 1;
  for (f = 0; f < files && rc == 0; f++) {
    long long lo = rows * f / files, hi = rows * (f + 1) / files;
    /* Ticker k: three letters, unique for k < 26 * 26. Price: a per-ticker
     * level, a slow seasonal swing and per-row noise. */
    snprintf(path, sizeof(path), "%s/prices-%04lld.parquet", argv[1], f);
    if (strchr(path, '\'')) {
      fputs("sp-gen-prices: quotes in OUTDIR are not supported\n", stderr);
      rc = 1;
      break;
    }
    snprintf(sql, sizeof(sql),
             "COPY (SELECT chr((65 + (i %% %d) %% 26)::INTEGER) || "
             "chr((65 + (i %% %d) // 26)::INTEGER) || "
             "chr((65 + ((i %% %d) * 7) %% 26)::INTEGER) AS ticker, "
             "DATE '2000-01-03' + (i // %d)::INTEGER AS date, "
             "round(20 + (hash(i %% %d) %% 480) + 15 * sin((i // %d) / 60.0 "
             "+ i %% %d) + (hash(i) %% 1000) / 100.0, 2) AS price "
             "FROM range(%lld, %lld) t(i)) TO '%s' (FORMAT parquet)",
             TICKERS, TICKERS, TICKERS, TICKERS, TICKERS, TICKERS, TICKERS,
             lo, hi, path);
    rc = dc_exec(con, sql);
  }
  dc_close(&db, &con);
  if (rc == 0)
    printf("wrote %lld rows in %lld files to %s\n", rows, files, argv[1]);
  return rc ? 1 : 0;
}
