/*
 * union_schema.c - columns of Parquet files united by name (see
 * union_schema.h).
 */
#include "duck/union_schema.h"

#include <string.h>
#include <strings.h>

#include "duck/duck.h"
#include "util/buf.h"
#include "util/error.h"

/* Appends [name, type] for column i of prep to schema. */
static sp_status add_column(duckdb_prepared_statement prep, idx_t i,
                            json_t *schema, sp_error **err)
{
  duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(prep,
                                                                        i);
  const char *name = duckdb_prepared_statement_column_name(prep, i);
  sp_buf type = SP_BUF_INIT;
  sp_status st = SP_OK;

  if (sp_duck_type_sql(t, &type) != 0)
    st = sp_error_set(err, SP_EINVAL, "column %s has a type SQL cannot "
                      "declare", name ? name : "?");
  else if (sp_buf_oom(&type) || !name ||
           json_array_append_new(schema,
                                 json_pack("[s, s]", name, type.data)))
    st = sp_error_oom(err);
  duckdb_free((void *)name);
  duckdb_destroy_logical_type(&t);
  sp_buf_release(&type);
  return st;
}

/* The index of column name in prep (case-insensitive, as DuckDB binds),
 * or -1. */
static long long find_column(duckdb_prepared_statement prep, idx_t n,
                             const char *name)
{
  long long hit = -1;
  idx_t i;

  for (i = 0; i < n && hit < 0; i++) {
    const char *c = duckdb_prepared_statement_column_name(prep, i);
    if (c && strcasecmp(c, name) == 0)
      hit = (long long)i;
    duckdb_free((void *)c);
  }
  return hit;
}

/* The columns DuckDB gives `SELECT * FROM <reader>([paths], <options>)`,
 * or only those of columns[0..ncolumns), in that order. */
static sp_status files_schema(const char *reader, const char *options,
                              const char *const *paths, size_t n,
                              const char *const *columns, size_t ncolumns,
                              json_t **schema, sp_error **err)
{
  duckdb_prepared_statement prep = NULL;
  duckdb_database db = NULL;
  duckdb_connection con = NULL;
  sp_buf sql = SP_BUF_INIT;
  sp_status st = SP_OK;
  idx_t i, count;

  *schema = NULL;
  sp_buf_appendf(&sql, "SELECT * FROM %s([", reader);
  for (i = 0; i < n; i++) {
    sp_buf_puts(&sql, i ? ", " : "");
    sp_buf_append_literal(&sql, paths[i]);
  }
  sp_buf_appendf(&sql, "], %s)", options);
  if (sp_buf_oom(&sql) || !(*schema = json_array())) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_duck_open_connected(&db, &con, err)) != SP_OK)
    goto out;
  if (duckdb_prepare(con, sql.data, &prep) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_prepare_error(prep));
    goto out;
  }
  count = duckdb_prepared_statement_column_count(prep);
  for (i = 0; i < count && !ncolumns && st == SP_OK; i++)
    st = add_column(prep, i, *schema, err);
  for (i = 0; i < ncolumns && st == SP_OK; i++) {
    long long at = find_column(prep, count, columns[i]);
    if (at < 0)
      st = sp_error_set(err, SP_EINVAL, "column %s is in none of the %zu "
                        "files", columns[i], n);
    else
      st = add_column(prep, (idx_t)at, *schema, err);
  }
out:
  if (st != SP_OK) {
    json_decref(*schema);
    *schema = NULL;
  }
  duckdb_destroy_prepare(&prep);
  sp_duck_close(&db, &con);
  sp_buf_release(&sql);
  return st;
}

sp_status sp_union_schema(const char *const *paths, size_t n,
                          const char *const *columns, size_t ncolumns,
                          json_t **schema, sp_error **err)
{
  return files_schema("read_parquet",
                      "union_by_name = true, hive_partitioning = false",
                      paths, n, columns, ncolumns, schema, err);
}

sp_status sp_detected_schema(const char *reader, const char *const *paths,
                             size_t n, json_t **schema, sp_error **err)
{
  return files_schema(reader, "hive_partitioning = false", paths, n, NULL, 0,
                      schema, err);
}
