/*
 * arrow_out.c - an Arrow C stream over DuckDB's result (see arrow_out.h).
 *
 * The stream's private data holds a DuckDB database, its connection and
 * the result of SELECT * over the dataset; get_next converts one DuckDB
 * chunk per call with duckdb_data_chunk_to_arrow.
 */
#include "duck/arrow_out.h"

#include <errno.h>
#include <string.h>

#include "duck/duck.h"
#include "duck/input.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct stream_state {
  duckdb_database db;
  duckdb_connection con;
  duckdb_result res;
  duckdb_arrow_options options;
  char error[512];
} stream_state;

/* Keeps DuckDB's message for get_last_error; returns an errno value. */
static int take_error(stream_state *s, duckdb_error_data e)
{
  int failed = e && duckdb_error_data_has_error(e);

  if (failed)
    snprintf(s->error, sizeof(s->error), "%s", duckdb_error_data_message(e));
  if (e)
    duckdb_destroy_error_data(&e);
  return failed ? EIO : 0;
}

static int stream_get_schema(struct ArrowArrayStream *stream,
                             struct ArrowSchema *out)
{
  stream_state *s = stream->private_data;
  idx_t n = duckdb_column_count(&s->res), i;
  duckdb_logical_type *types = sp_calloc(n, sizeof(*types));
  const char **names = sp_calloc(n, sizeof(*names));
  int rc = ENOMEM;

  if (types && names) {
    for (i = 0; i < n; i++) {
      types[i] = duckdb_column_logical_type(&s->res, i);
      names[i] = duckdb_column_name(&s->res, i);
    }
    rc = take_error(s, duckdb_to_arrow_schema(s->options, types, names, n,
                                              out));
    for (i = 0; i < n; i++)
      duckdb_destroy_logical_type(&types[i]);
  }
  sp_free(types);
  sp_free(names);
  return rc;
}

static int stream_get_next(struct ArrowArrayStream *stream,
                           struct ArrowArray *out)
{
  stream_state *s = stream->private_data;
  duckdb_data_chunk chunk = duckdb_fetch_chunk(s->res);
  int rc;

  if (!chunk) {
    memset(out, 0, sizeof(*out)); /* release == NULL: the end */
    return 0;
  }
  rc = take_error(s, duckdb_data_chunk_to_arrow(s->options, chunk, out));
  duckdb_destroy_data_chunk(&chunk);
  return rc;
}

static const char *stream_get_last_error(struct ArrowArrayStream *stream)
{
  stream_state *s = stream->private_data;

  return s->error[0] ? s->error : NULL;
}

static void stream_release(struct ArrowArrayStream *stream)
{
  stream_state *s = stream->private_data;

  if (!stream->release)
    return;
  if (s->options)
    duckdb_destroy_arrow_options(&s->options);
  duckdb_destroy_result(&s->res);
  sp_duck_close(&s->db, &s->con);
  sp_free(s);
  stream->release = NULL;
  stream->private_data = NULL;
}

sp_status sp_arrow_stream_open(const sp_dataset *d, const char *shape,
                               struct ArrowArrayStream *out, sp_error **err)
{
  stream_state *s = sp_calloc(1, sizeof(*s));
  sp_buf sql = SP_BUF_INIT;
  sp_status st;

  memset(out, 0, sizeof(*out));
  if (!s)
    return sp_error_oom(err);
  /* One thread keeps the rows in file order. */
  if ((st = sp_duck_open_connected(&s->db, &s->con, err)) != SP_OK) {
    sp_free(s);
    return st;
  }
  sp_buf_puts(&sql, "SELECT * FROM (\n");
  if ((st = sp_input_select_shaped(&sql, d, shape, err)) != SP_OK)
    goto out_fail;
  sp_buf_puts(&sql, "\n)");
  if (sp_buf_oom(&sql)) {
    st = sp_error_oom(err);
    goto out_fail;
  }
  if (duckdb_query(s->con, sql.data, &s->res) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_result_error(&s->res));
    goto out_fail;
  }
  s->options = duckdb_result_get_arrow_options(&s->res);
  sp_buf_release(&sql);
  out->get_schema = stream_get_schema;
  out->get_next = stream_get_next;
  out->get_last_error = stream_get_last_error;
  out->release = stream_release;
  out->private_data = s;
  return SP_OK;

out_fail:
  sp_buf_release(&sql);
  duckdb_destroy_result(&s->res);
  sp_duck_close(&s->db, &s->con);
  sp_free(s);
  return st;
}
