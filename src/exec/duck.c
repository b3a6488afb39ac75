/*
 * duck.c - DuckDB helpers (see duck.h).
 */
#include "exec/duck.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"

const char *sp_duck_version(void) { return duckdb_library_version(); }

sp_status sp_duck_open(int threads, int64_t memory_limit, const char *tmp_dir,
                       duckdb_database *db, sp_error **err)
{
  duckdb_config cfg = NULL;
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
  duckdb_set_config(cfg, "autoinstall_known_extensions", "false");
  duckdb_set_config(cfg, "autoload_known_extensions", "false");
  if (duckdb_open_ext(NULL, db, cfg, &open_err) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "cannot open DuckDB: %s",
                      open_err ? open_err : "unknown error");
    duckdb_free(open_err);
  }
  duckdb_destroy_config(&cfg);
  return st;
}

sp_status sp_duck_exec(duckdb_connection con, const char *sql, sp_error **err)
{
  duckdb_result res;
  sp_status st = SP_OK;

  if (duckdb_query(con, sql, &res) == DuckDBError)
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_result_error(&res));
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
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_result_error(&res));
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
