/*
 * duckcheck.c - comparisons against plain DuckDB (see duckcheck.h).
 */
#include "duckcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dc_open(duckdb_database *db, duckdb_connection *con)
{
  duckdb_config cfg;
  char *err = NULL;

  if (duckdb_create_config(&cfg) == DuckDBError)
    return -1;
  duckdb_set_config(cfg, "autoinstall_known_extensions", "false");
  duckdb_set_config(cfg, "autoload_known_extensions", "false");
  if (duckdb_open_ext(NULL, db, cfg, &err) == DuckDBError) {
    fprintf(stderr, "duckcheck: %s\n", err ? err : "cannot open DuckDB");
    duckdb_free(err);
    duckdb_destroy_config(&cfg);
    return -1;
  }
  duckdb_destroy_config(&cfg);
  return duckdb_connect(*db, con) == DuckDBError ? -1 : 0;
}

void dc_close(duckdb_database *db, duckdb_connection *con)
{
  duckdb_disconnect(con);
  duckdb_close(db);
}

int dc_exec(duckdb_connection con, const char *sql)
{
  duckdb_result res;
  int rc = 0;

  if (duckdb_query(con, sql, &res) == DuckDBError) {
    fprintf(stderr, "duckcheck: %s\n  in: %s\n", duckdb_result_error(&res),
            sql);
    rc = -1;
  }
  duckdb_destroy_result(&res);
  return rc;
}

int64_t dc_i64(duckdb_connection con, const char *sql)
{
  char *wrapped;
  duckdb_result res;
  duckdb_data_chunk chunk;
  int64_t v = INT64_MIN;
  size_t len = strlen(sql) + 64;

  if (!(wrapped = malloc(len)))
    return v;
  snprintf(wrapped, len, "SELECT (%s)::BIGINT", sql);
  if (duckdb_query(con, wrapped, &res) == DuckDBError) {
    fprintf(stderr, "duckcheck: %s\n  in: %s\n", duckdb_result_error(&res),
            wrapped);
  } else if ((chunk = duckdb_fetch_chunk(res))) {
    duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, 0);
    uint64_t *valid = duckdb_vector_get_validity(vec);
    if (duckdb_data_chunk_get_size(chunk) > 0 &&
        (!valid || duckdb_validity_row_is_valid(valid, 0)))
      v = ((int64_t *)duckdb_vector_get_data(vec))[0];
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&res);
  free(wrapped);
  return v;
}

int dc_same_rows(duckdb_connection con, const char *a, const char *b,
                 char *why, size_t why_len)
{
  size_t len = 2 * (strlen(a) + strlen(b)) + 256;
  char *sql = malloc(len);
  int64_t na, nb, only_a, only_b;

  if (!sql)
    return -1;
  snprintf(sql, len, "SELECT count(*) FROM (%s)", a);
  na = dc_i64(con, sql);
  snprintf(sql, len, "SELECT count(*) FROM (%s)", b);
  nb = dc_i64(con, sql);
  snprintf(sql, len, "SELECT count(*) FROM ((%s) EXCEPT ALL (%s))", a, b);
  only_a = dc_i64(con, sql);
  snprintf(sql, len, "SELECT count(*) FROM ((%s) EXCEPT ALL (%s))", b, a);
  only_b = dc_i64(con, sql);
  free(sql);
  if (na == INT64_MIN || nb == INT64_MIN || only_a == INT64_MIN ||
      only_b == INT64_MIN)
    return -1;
  if (na == nb && only_a == 0 && only_b == 0) {
    snprintf(why, why_len, "same %lld rows", (long long)na);
    return 1;
  }
  snprintf(why, why_len, "%lld vs %lld rows; %lld only in the first, %lld "
           "only in the second", (long long)na, (long long)nb,
           (long long)only_a, (long long)only_b);
  return 0;
}
