/*
 * quickstart.c - smallpond's quick start, in C.
 *
 * Reads a Parquet dataset of stock prices, hashes it into 3 partitions by
 * ticker, computes each ticker's lowest and highest price per partition
 * (a complete answer, since a ticker lives in one partition), writes the
 * result as Parquet and prints it.
 *
 *   quickstart [INPUT_GLOB [OUTPUT_DIR]]
 *
 * The job folder goes under $SP_DATA_ROOT (default ~/.smallpond/data).
 */
#include <stdio.h>

#include "smallpond.h"

int main(int argc, char **argv)
{
  const char *input = argc > 1 ? argv[1] : "prices/*.parquet";
  const char *output = argc > 2 ? argv[2] : "output";
  const char *hash_by[] = {"ticker"};
  sp_repartition_options by_ticker = {.hash_by = hash_by, .nhash_by = 1};
  sp_session *sp = NULL;
  sp_error *err = NULL;
  sp_rows *rows = NULL;
  sp_df *df = NULL;
  int code = 1;

  if (sp_init(NULL, &sp, &err) != SP_OK)
    goto out;
  if (sp_read_parquet(sp, &input, 1, NULL, &df, &err) != SP_OK ||
      sp_repartition(df, 3, &by_ticker, &df, &err) != SP_OK ||
      sp_partial_sql(sp, "SELECT ticker, min(price), max(price) "
                         "FROM {0} GROUP BY ticker",
                     &df, 1, NULL, &df, &err) != SP_OK ||
      sp_write_parquet(df, output, NULL, &err) != SP_OK ||
      sp_take(df, 1000, &rows, &err) != SP_OK)
    goto out;
  sp_rows_print(rows, stdout);
  printf("written to %s/ (job folder %s)\n", output, sp_session_job_dir(sp));
  code = 0;
out:
  if (err) {
    fprintf(stderr, "quickstart: %s\n", sp_error_message(err));
    if (sp_error_sql(err))
      fprintf(stderr, "SQL: %s\n", sp_error_sql(err));
  }
  sp_rows_free(&rows);
  sp_error_free(&err);
  sp_close(&sp);
  return code;
}
