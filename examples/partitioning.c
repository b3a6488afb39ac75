/*
 * partitioning.c - the ways to partition: evenly by files or rows, by a
 * hash of columns, by an expression, and at random; each partition's row
 * count is printed with {__data_partition__}.
 *
 *   partitioning
 */
#include <stdio.h>

#include "smallpond.h"

/* Prints how many rows each partition of df has. */
static sp_status sizes(sp_session *sp, const char *title, sp_df *df,
                       sp_error **err)
{
  sp_rows *rows = NULL;
  sp_status st;
  size_t r;

  st = sp_partial_sql(sp, "SELECT {__data_partition__} AS p, count(*) AS n "
                          "FROM {0}", &df, 1, NULL, &df, err);
  if (st == SP_OK)
    st = sp_take_all(df, &rows, err);
  if (st == SP_OK) {
    printf("%-28s", title);
    for (r = 0; r < sp_rows_count(rows); r++)
      printf(" %5s", sp_rows_value(rows, r, 1));
    printf("\n");
  }
  sp_rows_free(&rows);
  return st;
}

int main(void)
{
  const char *key[] = {"customer"};
  sp_repartition_options by_rows = {.by_rows = 1};
  sp_repartition_options by_hash = {.hash_by = key, .nhash_by = 1};
  sp_repartition_options by_expr = {.by = "amount::BIGINT % 4"};
  sp_session *sp = NULL;
  sp_error *err = NULL;
  sp_df *orders = NULL, *df = NULL;
  int code = 1;

  if (sp_init(NULL, &sp, &err) != SP_OK ||
      sp_from_sql(sp, "SELECT i AS id, 'c' || (hash(i) % 50) AS customer, "
                      "(hash(i * 3) % 10000) / 100.0 AS amount "
                      "FROM range(10000) t(i)", NULL, &orders, &err) != SP_OK)
    goto out;
  if (sp_repartition(orders, 4, &by_rows, &df, &err) != SP_OK ||
      sizes(sp, "4 by rows:", df, &err) != SP_OK ||
      sp_repartition(df, 4, &by_hash, &df, &err) != SP_OK ||
      sizes(sp, "4 by hash(customer):", df, &err) != SP_OK ||
      sp_repartition(df, 4, &by_expr, &df, &err) != SP_OK ||
      sizes(sp, "4 by amount % 4:", df, &err) != SP_OK ||
      sp_random_shuffle(df, NULL, &df, &err) != SP_OK ||
      sizes(sp, "shuffled at random:", df, &err) != SP_OK ||
      sp_repartition(df, 2, NULL, &df, &err) != SP_OK ||
      sizes(sp, "2 by files (no data moved):", df, &err) != SP_OK)
    goto out;
  code = 0;
out:
  if (code)
    fprintf(stderr, "partitioning: %s\n", sp_error_message(err));
  sp_error_free(&err);
  sp_close(&sp);
  return code;
}
