/*
 * duck.c - DuckDB helpers (see duck.h).
 */
#include "duck/duck.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

const char *sp_duck_version(void) { return duckdb_library_version(); }

/* Atomic: sp_init may run on another thread than a helper opening DuckDB. */
static _Atomic int autoload;

void sp_duck_set_autoload(int on) { autoload = on != 0; }

sp_status sp_duck_open(int threads, int64_t memory_limit, const char *tmp_dir,
                       duckdb_database *db, sp_error **err)
{
  duckdb_config cfg = NULL;
  const char *extensions = autoload ? "true" : "false";
  char *open_err = NULL;
  char value[64];
  sp_status st = SP_OK;

  if (duckdb_create_config(&cfg) == DuckDBError)
    return sp_error_oom(err);
  snprintf(value, sizeof(value), "%d", threads > 0 ? threads : 1);
  duckdb_set_config(cfg, "threads", value);
  if (memory_limit > 0) {
    snprintf(value, sizeof(value), "%" PRId64 "MiB",
             memory_limit >> 20 > 0 ? memory_limit >> 20 : 1);
    duckdb_set_config(cfg, "memory_limit", value);
  }
  if (tmp_dir)
    duckdb_set_config(cfg, "temp_directory", tmp_dir);
  duckdb_set_config(cfg, "autoinstall_known_extensions", extensions);
  duckdb_set_config(cfg, "autoload_known_extensions", extensions);
  if (duckdb_open_ext(NULL, db, cfg, &open_err) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "cannot open DuckDB: %s",
                      open_err ? open_err : "unknown error");
    duckdb_free(open_err);
  }
  duckdb_destroy_config(&cfg);
  /* Inputs are immutable files that a task reads in several statements
   * (a view, then the query over it): read each footer once. A setting
   * of the Parquet extension, so it is set once the database is open. */
  if (st == SP_OK) {
    duckdb_connection con = NULL;
    if (duckdb_connect(*db, &con) == DuckDBError)
      st = sp_error_set(err, SP_ESQL, "cannot connect to DuckDB");
    else
      st = sp_duck_exec(con, "SET GLOBAL parquet_metadata_cache = true", err);
    duckdb_disconnect(&con);
    if (st != SP_OK)
      duckdb_close(db);
  }
  return st;
}

sp_status sp_duck_open_connected(duckdb_database *db, duckdb_connection *con,
                                 sp_error **err)
{
  sp_status st;

  *con = NULL;
  if ((st = sp_duck_open(1, 0, NULL, db, err)) != SP_OK)
    return st;
  if (duckdb_connect(*db, con) == DuckDBError) {
    duckdb_close(db);
    *con = NULL;
    return sp_error_set(err, SP_ESQL, "cannot connect to DuckDB");
  }
  return SP_OK;
}

void sp_duck_close(duckdb_database *db, duckdb_connection *con)
{
  if (*con)
    duckdb_disconnect(con);
  if (*db)
    duckdb_close(db);
  *con = NULL;
  *db = NULL;
}

sp_status sp_duck_result_error(duckdb_result *res, sp_error **err)
{
  duckdb_error_type type = duckdb_result_error_type(res);
  sp_status st = type == DUCKDB_ERROR_OUT_OF_MEMORY ? SP_ENOMEM
                 : type == DUCKDB_ERROR_IO          ? SP_EIO
                                                    : SP_ESQL;

  return sp_error_set(err, st, "%s", duckdb_result_error(res));
}

sp_status sp_duck_exec(duckdb_connection con, const char *sql, sp_error **err)
{
  duckdb_result res;
  sp_status st = SP_OK;

  if (duckdb_query(con, sql, &res) == DuckDBError)
    st = sp_duck_result_error(&res, err);
  duckdb_destroy_result(&res);
  return st;
}

sp_status sp_duck_query_i64(duckdb_connection con, const char *sql,
                            int64_t *out, sp_error **err)
{
  duckdb_result res;
  duckdb_data_chunk chunk = NULL;
  sp_status st = SP_OK;

  if (duckdb_query(con, sql, &res) == DuckDBError) {
    st = sp_duck_result_error(&res, err);
    goto out;
  }
  chunk = duckdb_fetch_chunk(res);
  if (!chunk || duckdb_data_chunk_get_size(chunk) == 0 ||
      duckdb_column_type(&res, 0) != DUCKDB_TYPE_BIGINT) {
    st = sp_error_set(err, SP_EINTERNAL, "expected one BIGINT from: %s", sql);
    goto out;
  }
  *out = ((int64_t *)duckdb_vector_get_data(
      duckdb_data_chunk_get_vector(chunk, 0)))[0];
out:
  if (chunk)
    duckdb_destroy_data_chunk(&chunk);
  duckdb_destroy_result(&res);
  return st;
}

int64_t sp_duck_count_statements(duckdb_connection con, const char *sql,
                                 sp_error **err)
{
  duckdb_extracted_statements ex = NULL;
  idx_t n = duckdb_extract_statements(con, sql, &ex);
  int64_t out = (int64_t)n;

  if (n == 0) {
    const char *msg = ex ? duckdb_extract_statements_error(ex) : NULL;
    if (msg)
      sp_error_set(err, SP_ESQL, "%s", msg);
    else
      sp_error_set(err, SP_ESQL, "the query has no SQL statement");
    out = -1;
  }
  duckdb_destroy_extracted(&ex);
  return out;
}

sp_status sp_duck_fill_file_rows(duckdb_connection con, sp_dataset *d,
                                 sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  duckdb_result res;
  duckdb_data_chunk chunk;
  sp_status st = SP_OK;
  size_t i, n = 0;

  sp_buf_puts(&sql, "SELECT file_name, num_rows FROM parquet_file_metadata([");
  for (i = 0; i < d->len; i++) {
    if (d->pieces[i].rows >= 0 || sp_piece_is_range(&d->pieces[i]))
      continue;
    if (n++)
      sp_buf_puts(&sql, ", ");
    sp_buf_append_literal(&sql, d->pieces[i].path);
  }
  sp_buf_puts(&sql, "])");
  if (n == 0) {
    sp_buf_release(&sql);
    return SP_OK;
  }
  if (sp_buf_oom(&sql))
    return sp_error_oom(err);
  if (duckdb_query(con, sql.data, &res) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    sp_buf_release(&sql);
    return st;
  }
  sp_buf_release(&sql);
  while ((chunk = duckdb_fetch_chunk(res))) {
    idx_t rows = duckdb_data_chunk_get_size(chunk), r;
    duckdb_string_t *names = duckdb_vector_get_data(
        duckdb_data_chunk_get_vector(chunk, 0));
    int64_t *counts = duckdb_vector_get_data(
        duckdb_data_chunk_get_vector(chunk, 1));
    for (r = 0; r < rows; r++) {
      uint32_t len = duckdb_string_t_length(names[r]);
      const char *name = duckdb_string_t_data(&names[r]);
      for (i = 0; i < d->len; i++) {
        sp_piece *p = &d->pieces[i];
        if (p->rows < 0 && !sp_piece_is_range(p) &&
            strlen(p->path) == len && memcmp(p->path, name, len) == 0)
          p->rows = counts[r];
      }
    }
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&res);
  for (i = 0; i < d->len; i++)
    if (d->pieces[i].rows < 0 && !sp_piece_is_range(&d->pieces[i]))
      return sp_error_set(err, SP_EIO, "cannot read the row count of %s",
                          d->pieces[i].path);
  return SP_OK;
}

static int spell_type(duckdb_logical_type t, int lossless, int *changed,
                      sp_buf *b);

/* Appends the type of child i of a STRUCT or UNION, named. */
static int append_member(duckdb_logical_type t, idx_t i, int is_union,
                         int lossless, int *changed, sp_buf *b)
{
  char *name = is_union ? duckdb_union_type_member_name(t, i)
                        : duckdb_struct_type_child_name(t, i);
  duckdb_logical_type c = is_union ? duckdb_union_type_member_type(t, i)
                                   : duckdb_struct_type_child_type(t, i);
  int rc;

  sp_buf_puts(b, i ? ", " : "");
  sp_buf_append_ident(b, name ? name : "");
  sp_buf_putc(b, ' ');
  rc = spell_type(c, lossless, changed, b);
  duckdb_free(name);
  duckdb_destroy_logical_type(&c);
  return rc;
}

/* sp_duck_type_sql, or with lossless sp_duck_type_parquet_sql. */
static int spell_type(duckdb_logical_type t, int lossless, int *changed,
                      sp_buf *b)
{
  static const struct { duckdb_type id; const char *sql; } simple[] = {
    {DUCKDB_TYPE_BOOLEAN, "BOOLEAN"}, {DUCKDB_TYPE_TINYINT, "TINYINT"},
    {DUCKDB_TYPE_SMALLINT, "SMALLINT"}, {DUCKDB_TYPE_INTEGER, "INTEGER"},
    {DUCKDB_TYPE_BIGINT, "BIGINT"}, {DUCKDB_TYPE_UTINYINT, "UTINYINT"},
    {DUCKDB_TYPE_USMALLINT, "USMALLINT"}, {DUCKDB_TYPE_UINTEGER, "UINTEGER"},
    {DUCKDB_TYPE_UBIGINT, "UBIGINT"}, {DUCKDB_TYPE_FLOAT, "FLOAT"},
    {DUCKDB_TYPE_DOUBLE, "DOUBLE"}, {DUCKDB_TYPE_TIMESTAMP, "TIMESTAMP"},
    {DUCKDB_TYPE_DATE, "DATE"}, {DUCKDB_TYPE_TIME, "TIME"},
    {DUCKDB_TYPE_INTERVAL, "INTERVAL"}, {DUCKDB_TYPE_HUGEINT, "HUGEINT"},
    {DUCKDB_TYPE_UHUGEINT, "UHUGEINT"}, {DUCKDB_TYPE_VARCHAR, "VARCHAR"},
    {DUCKDB_TYPE_BLOB, "BLOB"}, {DUCKDB_TYPE_TIMESTAMP_S, "TIMESTAMP_S"},
    {DUCKDB_TYPE_TIMESTAMP_MS, "TIMESTAMP_MS"},
    {DUCKDB_TYPE_TIMESTAMP_NS, "TIMESTAMP_NS"}, {DUCKDB_TYPE_UUID, "UUID"},
    {DUCKDB_TYPE_BIT, "BIT"}, {DUCKDB_TYPE_TIME_TZ, "TIMETZ"},
    {DUCKDB_TYPE_TIMESTAMP_TZ, "TIMESTAMPTZ"}, {DUCKDB_TYPE_BIGNUM, "BIGNUM"},
    {DUCKDB_TYPE_TIME_NS, "TIME_NS"},
  };
  duckdb_type id = duckdb_get_type_id(t);
  duckdb_logical_type c = NULL, v = NULL;
  int rc = 0;
  idx_t i, n;

  if (lossless && (id == DUCKDB_TYPE_HUGEINT || id == DUCKDB_TYPE_UHUGEINT)) {
    sp_buf_puts(b, "DECIMAL(38, 0)");
    *changed = 1;
    return 0;
  }
  for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
    if (simple[i].id == id) {
      sp_buf_puts(b, simple[i].sql);
      return 0;
    }
  switch (id) {
  case DUCKDB_TYPE_DECIMAL:
    sp_buf_appendf(b, "DECIMAL(%u, %u)", (unsigned)duckdb_decimal_width(t),
                   (unsigned)duckdb_decimal_scale(t));
    return 0;
  case DUCKDB_TYPE_ENUM:
    sp_buf_puts(b, "ENUM(");
    n = duckdb_enum_dictionary_size(t);
    for (i = 0; i < n; i++) {
      char *value = duckdb_enum_dictionary_value(t, i);
      sp_buf_puts(b, i ? ", " : "");
      sp_buf_append_literal(b, value ? value : "");
      duckdb_free(value);
    }
    sp_buf_putc(b, ')');
    return 0;
  case DUCKDB_TYPE_LIST:
  case DUCKDB_TYPE_ARRAY:
    c = id == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(t)
                               : duckdb_array_type_child_type(t);
    rc = spell_type(c, lossless, changed, b);
    if (id == DUCKDB_TYPE_LIST)
      sp_buf_puts(b, "[]");
    else
      sp_buf_appendf(b, "[%llu]",
                     (unsigned long long)duckdb_array_type_array_size(t));
    break;
  case DUCKDB_TYPE_MAP:
    c = duckdb_map_type_key_type(t);
    v = duckdb_map_type_value_type(t);
    sp_buf_puts(b, "MAP(");
    rc = spell_type(c, lossless, changed, b);
    sp_buf_puts(b, ", ");
    rc |= spell_type(v, lossless, changed, b);
    sp_buf_putc(b, ')');
    break;
  case DUCKDB_TYPE_STRUCT:
  case DUCKDB_TYPE_UNION:
    n = id == DUCKDB_TYPE_STRUCT ? duckdb_struct_type_child_count(t)
                                 : duckdb_union_type_member_count(t);
    sp_buf_puts(b, id == DUCKDB_TYPE_STRUCT ? "STRUCT(" : "UNION(");
    for (i = 0; i < n; i++)
      rc |= append_member(t, i, id == DUCKDB_TYPE_UNION, lossless, changed,
                          b);
    sp_buf_putc(b, ')');
    break;
  default:
    return -1;
  }
  if (c)
    duckdb_destroy_logical_type(&c);
  if (v)
    duckdb_destroy_logical_type(&v);
  return rc ? -1 : 0;
}

int sp_duck_type_sql(duckdb_logical_type t, sp_buf *b)
{
  int changed = 0;

  return spell_type(t, 0, &changed, b);
}

int sp_duck_type_parquet_sql(duckdb_logical_type t, sp_buf *b, int *changed)
{
  *changed = 0;
  return spell_type(t, 1, changed, b);
}

sp_status sp_duck_query_text(duckdb_connection con, const char *query,
                             const char *arg, char **out, sp_error **err)
{
  duckdb_prepared_statement prep = NULL;
  duckdb_data_chunk chunk = NULL;
  duckdb_result res;
  int have_res = 0;
  sp_status st = SP_OK;

  *out = NULL;
  if (duckdb_prepare(con, query, &prep) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_prepare_error(prep));
    goto out;
  }
  if (arg && duckdb_bind_varchar(prep, 1, arg) == DuckDBError) {
    st = sp_error_set(err, SP_EINTERNAL, "cannot bind a parameter of: %s",
                      query);
    goto out;
  }
  have_res = 1;
  if (duckdb_execute_prepared(prep, &res) == DuckDBError) {
    st = sp_duck_result_error(&res, err);
    goto out;
  }
  chunk = duckdb_fetch_chunk(res);
  if (!chunk || duckdb_data_chunk_get_size(chunk) == 0 ||
      duckdb_column_type(&res, 0) != DUCKDB_TYPE_VARCHAR) {
    st = sp_error_set(err, SP_EINTERNAL, "expected one VARCHAR from: %s",
                      query);
    goto out;
  } else {
    duckdb_vector v = duckdb_data_chunk_get_vector(chunk, 0);
    uint64_t *valid = duckdb_vector_get_validity(v);
    duckdb_string_t *str = (duckdb_string_t *)duckdb_vector_get_data(v);
    size_t len;
    if (valid && !duckdb_validity_row_is_valid(valid, 0))
      goto out;
    len = duckdb_string_t_length(str[0]);
    if (!(*out = sp_malloc(len + 1))) {
      st = sp_error_oom(err);
      goto out;
    }
    memcpy(*out, duckdb_string_t_data(&str[0]), len);
    (*out)[len] = '\0';
  }
out:
  if (chunk)
    duckdb_destroy_data_chunk(&chunk);
  if (have_res)
    duckdb_destroy_result(&res);
  duckdb_destroy_prepare(&prep);
  return st;
}
