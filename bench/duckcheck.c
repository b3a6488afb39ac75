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

/* q with its columns renamed c0, c1, ... and each DOUBLE or FLOAT (by
 * types[i]) rounded to 9 significant digits, in a new string. */
static char *rounded(const char *q, char **types, size_t n)
{
  size_t len = strlen(q) + n * 220 + 64, off = 0, i;
  char *sql = malloc(len);

  if (!sql)
    return NULL;
  off += (size_t)snprintf(sql + off, len - off, "SELECT ");
  for (i = 0; i < n; i++) {
    int dbl = strcmp(types[i], "DOUBLE") == 0 || strcmp(types[i], "FLOAT") == 0;
    /* As DOUBLE on both sides: DuckDB writes a HUGEINT as one. */
    if (dbl)
      off += (size_t)snprintf(sql + off, len - off, "%sCASE WHEN c%zu::DOUBLE "
                              "= 0 OR NOT isfinite(c%zu::DOUBLE) THEN "
                              "c%zu::DOUBLE ELSE round(c%zu::DOUBLE, (8 - "
                              "floor(log10(abs(c%zu::DOUBLE))))::INTEGER) END",
                              i ? ", " : "", i, i, i, i, i);
    else
      off += (size_t)snprintf(sql + off, len - off, "%sc%zu", i ? ", " : "",
                              i);
  }
  off += (size_t)snprintf(sql + off, len - off, " FROM (%s) AS t(", q);
  for (i = 0; i < n; i++)
    off += (size_t)snprintf(sql + off, len - off, "%sc%zu", i ? ", " : "", i);
  snprintf(sql + off, len - off, ")");
  return sql;
}

int dc_same_rows_rounded(duckdb_connection con, const char *a,
                         const char *b, char *why, size_t why_len)
{
  size_t len = strlen(a) + 64, n, i;
  char *sql = malloc(len), **types = NULL, *ra = NULL, *rb = NULL;
  duckdb_result res;
  int rc = -1;

  if (!sql)
    return -1;
  snprintf(sql, len, "DESCRIBE %s", a);
  if (duckdb_query(con, sql, &res) == DuckDBError) {
    fprintf(stderr, "duckcheck: %s\n", duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    free(sql);
    return -1;
  }
  n = duckdb_row_count(&res);
  if ((types = calloc(n + 1, sizeof(*types)))) {
    for (i = 0; i < n; i++)
      types[i] = duckdb_value_varchar(&res, 1, i);
    ra = rounded(a, types, n);
    rb = rounded(b, types, n);
    if (ra && rb)
      rc = dc_same_rows(con, ra, rb, why, why_len);
    for (i = 0; i < n; i++)
      duckdb_free(types[i]);
  }
  duckdb_destroy_result(&res);
  free(types);
  free(ra);
  free(rb);
  free(sql);
  return rc;
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
