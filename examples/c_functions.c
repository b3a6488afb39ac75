/*
 * c_functions.c - a C function called from SQL in every task: registered
 * once per worker through sp_config.duckdb_setup with DuckDB's C API.
 *
 *   c_functions
 */
#include <duckdb.h>
#include <stdio.h>

#include "smallpond.h"

/* collatz_steps(BIGINT) -> BIGINT: steps for n to reach 1. */
static void collatz_steps(duckdb_function_info info, duckdb_data_chunk input,
                          duckdb_vector output)
{
  idx_t n = duckdb_data_chunk_get_size(input), i;
  int64_t *in = duckdb_vector_get_data(duckdb_data_chunk_get_vector(input, 0));
  int64_t *out = duckdb_vector_get_data(output);

  (void)info;
  for (i = 0; i < n; i++) {
    int64_t x = in[i] > 0 ? in[i] : 1, steps = 0;
    while (x != 1) {
      x = x % 2 ? 3 * x + 1 : x / 2;
      steps++;
    }
    out[i] = steps;
  }
}

/* Runs in each worker, on its database, before any task. */
static int register_functions(void *connection, void *arg)
{
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_logical_type bigint = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  duckdb_state st;

  (void)arg;
  duckdb_scalar_function_set_name(f, "collatz_steps");
  duckdb_scalar_function_add_parameter(f, bigint);
  duckdb_scalar_function_set_return_type(f, bigint);
  duckdb_scalar_function_set_function(f, collatz_steps);
  st = duckdb_register_scalar_function((duckdb_connection)connection, f);
  duckdb_destroy_logical_type(&bigint);
  duckdb_destroy_scalar_function(&f);
  return st == DuckDBSuccess ? 0 : 1;
}

int main(void)
{
  sp_repartition_options by_rows = {.by_rows = 1};
  sp_session *sp = NULL;
  sp_error *err = NULL;
  sp_rows *rows = NULL;
  sp_df *df = NULL;
  sp_config cfg;
  int code = 1;

  sp_config_init(&cfg);
  cfg.duckdb_setup = register_functions;
  if (sp_init(&cfg, &sp, &err) != SP_OK ||
      sp_from_sql(sp, "SELECT i AS n FROM range(1, 100001) t(i)", NULL, &df,
                  &err) != SP_OK ||
      sp_repartition(df, 4, &by_rows, &df, &err) != SP_OK ||
      sp_map(df, "n, collatz_steps(n) AS steps", NULL, &df, &err) != SP_OK)
    goto out;
  /* A global top 3: each partition's top 3, then the top 3 of those in
   * one partition. (sp_limit keeps any n rows, not the largest.) */
  if (sp_partial_sql(sp, "SELECT * FROM {0} ORDER BY steps DESC, n LIMIT 3",
                     &df, 1, NULL, &df, &err) != SP_OK ||
      sp_repartition(df, 1, NULL, &df, &err) != SP_OK ||
      sp_partial_sql(sp, "SELECT * FROM {0} ORDER BY steps DESC, n LIMIT 3",
                     &df, 1, NULL, &df, &err) != SP_OK ||
      sp_take_all(df, &rows, &err) != SP_OK)
    goto out;
  printf("the longest Collatz runs below 100,000:\n");
  sp_rows_print(rows, stdout);
  code = 0;
out:
  if (code)
    fprintf(stderr, "c_functions: %s\n", sp_error_message(err));
  sp_rows_free(&rows);
  sp_error_free(&err);
  sp_close(&sp);
  return code;
}
