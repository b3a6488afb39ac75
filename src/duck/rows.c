/*
 * rows.c - reading outputs as text rows (see rows.h).
 */
#include "duck/rows.h"

#include <inttypes.h>
#include <string.h>

#include "duck/duck.h"
#include "duck/input.h"
#include "util/alloc.h"
#include "util/error.h"

/* A copy of a VARCHAR vector entry. */
static char *string_copy(duckdb_string_t *s)
{
  return sp_strndup(duckdb_string_t_data(s), duckdb_string_t_length(*s));
}

/* Column names and types from DESCRIBE. */
static sp_status read_columns(duckdb_connection con, sp_rows *rows,
                              sp_error **err)
{
  duckdb_result res;
  duckdb_data_chunk chunk;
  sp_status st = SP_OK;
  size_t cap = 0, tcap = 0;

  if (duckdb_query(con, "DESCRIBE SELECT * FROM __sp_rows", &res) ==
      DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    return st;
  }
  while (st == SP_OK && (chunk = duckdb_fetch_chunk(res))) {
    idx_t n = duckdb_data_chunk_get_size(chunk), r;
    duckdb_string_t *names = duckdb_vector_get_data(
        duckdb_data_chunk_get_vector(chunk, 0));
    duckdb_string_t *types = duckdb_vector_get_data(
        duckdb_data_chunk_get_vector(chunk, 1));
    for (r = 0; r < n && st == SP_OK; r++) {
      if (sp_grow((void **)&rows->names, &cap, rows->ncols + 1,
                  sizeof(char *)) ||
          sp_grow((void **)&rows->types, &tcap, rows->ncols + 1,
                  sizeof(char *))) {
        st = sp_error_oom(err);
        break;
      }
      rows->names[rows->ncols] = string_copy(&names[r]);
      rows->types[rows->ncols] = string_copy(&types[r]);
      rows->ncols++;
      if (!rows->names[rows->ncols - 1] || !rows->types[rows->ncols - 1])
        st = sp_error_oom(err);
    }
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&res);
  return st;
}

static sp_status read_values(duckdb_connection con, int64_t limit,
                             sp_rows *rows, sp_error **err)
{
  duckdb_result res;
  duckdb_data_chunk chunk;
  sp_status st = SP_OK;
  size_t cap = 0;
  char sql[128];

  snprintf(sql, sizeof(sql),
           "SELECT COLUMNS(*)::VARCHAR FROM __sp_rows LIMIT %" PRId64, limit);
  if (duckdb_query(con, sql, &res) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    return st;
  }
  while (st == SP_OK && (chunk = duckdb_fetch_chunk(res))) {
    idx_t n = duckdb_data_chunk_get_size(chunk), r;
    size_t c;
    if (sp_grow((void **)&rows->values, &cap,
                (rows->nrows + n) * rows->ncols, sizeof(char *))) {
      st = sp_error_oom(err);
      duckdb_destroy_data_chunk(&chunk);
      break;
    }
    /* Count the rows before filling them, so sp_rows_free sees every slot
     * even when a copy fails halfway. */
    memset(rows->values + rows->nrows * rows->ncols, 0,
           n * rows->ncols * sizeof(char *));
    for (c = 0; c < rows->ncols && st == SP_OK; c++) {
      duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
      duckdb_string_t *data = duckdb_vector_get_data(v);
      uint64_t *valid = duckdb_vector_get_validity(v);
      for (r = 0; r < n && st == SP_OK; r++) {
        char **slot = &rows->values[(rows->nrows + r) * rows->ncols + c];
        if (valid && !duckdb_validity_row_is_valid(valid, r))
          continue;
        if (!(*slot = string_copy(&data[r])))
          st = sp_error_oom(err);
      }
    }
    rows->nrows += n;
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&res);
  return st;
}

sp_status sp_rows_read(const sp_dataset *d, int64_t limit, const char *shape,
                       sp_rows **out, sp_error **err)
{
  duckdb_database db = NULL;
  duckdb_connection con = NULL;
  sp_buf sql = SP_BUF_INIT;
  sp_rows *rows;
  sp_status st;

  *out = NULL;
  if (!(rows = sp_calloc(1, sizeof(*rows))))
    return sp_error_oom(err);
  /* One thread keeps the rows in file order. */
  if ((st = sp_duck_open_connected(&db, &con, err)) != SP_OK)
    goto out;
  sp_buf_puts(&sql, "CREATE TEMP VIEW __sp_rows AS\n");
  if ((st = sp_input_select_shaped(&sql, d, shape, err)) != SP_OK)
    goto out;
  if ((st = sp_duck_exec(con, sql.data, err)) == SP_OK &&
      (st = read_columns(con, rows, err)) == SP_OK)
    st = read_values(con, limit, rows, err);
out:
  sp_buf_release(&sql);
  sp_duck_close(&db, &con);
  if (st != SP_OK) {
    sp_rows_free(&rows);
    return st;
  }
  *out = rows;
  return SP_OK;
}
