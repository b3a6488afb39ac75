/*
 * joins.c - a distributed join: both sides hashed by the join key into the
 * same number of partitions, then joined partition by partition; a small
 * dimension table is broadcast whole to every partition.
 *
 *   joins
 */
#include <stdio.h>

#include "smallpond.h"

int main(void)
{
  const char *key[] = {"customer_id"};
  sp_repartition_options by_customer = {.hash_by = key, .nhash_by = 1};
  sp_session *sp = NULL;
  sp_error *err = NULL;
  sp_df *orders = NULL, *customers = NULL, *regions = NULL, *joined = NULL;
  sp_df *in[3];
  sp_rows *rows = NULL;
  int code = 1;

  if (sp_init(NULL, &sp, &err) != SP_OK ||
      sp_from_sql(sp, "SELECT i AS order_id, hash(i) % 100 AS customer_id, "
                      "(hash(i * 7) % 5000) / 100.0 AS amount "
                      "FROM range(20000) t(i)", NULL, &orders, &err) != SP_OK ||
      sp_from_sql(sp, "SELECT i AS customer_id, i % 3 AS region_id "
                      "FROM range(100) t(i)", NULL, &customers,
                  &err) != SP_OK ||
      sp_from_sql(sp, "SELECT * FROM (VALUES (0, 'north'), (1, 'south'), "
                      "(2, 'west')) t(region_id, region)", NULL, &regions,
                  &err) != SP_OK)
    goto out;
  /* Co-partition the two big sides; regions has 1 partition: broadcast. */
  if (sp_repartition(orders, 4, &by_customer, &in[0], &err) != SP_OK ||
      sp_repartition(customers, 4, &by_customer, &in[1], &err) != SP_OK)
    goto out;
  in[2] = regions;
  if (sp_partial_sql(sp, "SELECT r.region, count(*) AS orders, "
                         "sum(o.amount) AS total "
                         "FROM {0} o JOIN {1} c USING (customer_id) "
                         "JOIN {2} r USING (region_id) GROUP BY r.region",
                     in, 3, NULL, &joined, &err) != SP_OK)
    goto out;
  /* Each partition has partial sums per region: add them up in one. */
  if (sp_repartition(joined, 1, NULL, &joined, &err) != SP_OK ||
      sp_partial_sql(sp, "SELECT region, sum(orders)::BIGINT AS orders, "
                         "round(sum(total), 2) AS total FROM {0} "
                         "GROUP BY region ORDER BY region",
                     &joined, 1, NULL, &joined, &err) != SP_OK ||
      sp_take_all(joined, &rows, &err) != SP_OK)
    goto out;
  sp_rows_print(rows, stdout);
  code = 0;
out:
  if (code)
    fprintf(stderr, "joins: %s\n", sp_error_message(err));
  sp_rows_free(&rows);
  sp_error_free(&err);
  sp_close(&sp);
  return code;
}
