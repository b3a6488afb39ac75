/*
 * task_batch.c - a batch task: the user's C function over Arrow record
 * batches of one partition (sp_map_batches, sp_map_rows,
 * sp_filter_batches).
 *
 * The partition is first copied, in order, into a temporary table. Batch b
 * is one query over rows [b * size, (b + 1) * size) by rowid that
 * aggregates each column into one list: converted to Arrow, the lists'
 * children are the batch's columns, so DuckDB does the concatenation of
 * its 2048-row chunks. A map's results are appended to a second table in
 * slices of at most 2048 rows (one DuckDB chunk each); a filter's kept row
 * ids go to a third. The result is then written with one COPY.
 */
#include <string.h>
#include <strings.h>

#include "duck/duck.h"
#include "exec/task.h"
#include "util/alloc.h"
#include "util/error.h"

#define IN_TABLE "\"__sp_batch_in\""
#define OUT_TABLE "\"__sp_batch_out\""
#define KEEP_TABLE "\"__sp_batch_keep\""
#define CHUNK_ROWS 2048 /* DuckDB's vector size: rows per data chunk */

typedef struct batch_run {
  sp_exec_ctx *x;
  const sp_batch_function *fn;
  const char *what;               /* "map_batches function 'f'" */
  idx_t ncols;
  char **names;                   /* the input's columns */
  duckdb_logical_type *types;
  duckdb_arrow_options options;   /* DuckDB's, for the input batches */
  struct ArrowSchema schema;      /* the input's, given to fn */
  struct ArrowSchema first;       /* map: the first result's schema */
  duckdb_arrow_converted_schema conv;
  duckdb_appender app;            /* OUT_TABLE or KEEP_TABLE */
  unsigned char *keep;            /* filter: a flag per row of a batch */
} batch_run;

/* Children of a batch borrow their parent's memory: nothing to free. */
static void release_borrowed(struct ArrowArray *a)
{
  a->release = NULL;
}

/* A struct array over ncols column arrays, in caller-owned storage. */
static void wrap_columns(struct ArrowArray *w, struct ArrowArray **cols,
                         int64_t ncols, int64_t length, const void **bufs)
{
  memset(w, 0, sizeof(*w));
  bufs[0] = NULL; /* no validity: a record batch has no null rows */
  w->length = length;
  w->n_buffers = 1;
  w->buffers = bufs;
  w->n_children = ncols;
  w->children = cols;
  w->release = release_borrowed;
}

static sp_status duck_error(duckdb_error_data e, const char *what,
                            sp_error **err)
{
  sp_status st = SP_OK;

  if (e && duckdb_error_data_has_error(e))
    st = sp_error_set(err, SP_ESQL, "%s: %s", what,
                      duckdb_error_data_message(e));
  if (e)
    duckdb_destroy_error_data(&e);
  return st;
}

/* Copies the partition into IN_TABLE and learns its columns. */
static sp_status load_input(batch_run *b, int64_t *rows, sp_error **err)
{
  const char **views;
  sp_buf sql = SP_BUF_INIT;
  duckdb_result res;
  sp_status st;
  idx_t i;

  if ((st = sp_exec_create_views(b->x, &views, err)) != SP_OK)
    return st;
  sp_buf_appendf(&sql, "CREATE TEMP TABLE " IN_TABLE " AS SELECT * FROM %s",
                 views[0]);
  st = sp_buf_oom(&sql) ? sp_error_oom(err)
                        : sp_duck_query_i64(b->x->con, sql.data, rows, err);
  sp_buf_release(&sql);
  if (st != SP_OK)
    return st;
  if (duckdb_query(b->x->con, "SELECT * FROM " IN_TABLE " LIMIT 0", &res) ==
      DuckDBError) {
    st = sp_duck_result_error(&res, err);
    duckdb_destroy_result(&res);
    return st;
  }
  b->ncols = duckdb_column_count(&res);
  b->names = sp_arena_alloc(b->x->arena, b->ncols * sizeof(*b->names));
  b->types = sp_calloc(b->ncols, sizeof(*b->types));
  for (i = 0; b->names && b->types && i < b->ncols; i++) {
    b->names[i] = sp_arena_strdup(b->x->arena, duckdb_column_name(&res, i));
    b->types[i] = duckdb_column_logical_type(&res, i);
    if (!b->names[i])
      break;
  }
  duckdb_destroy_result(&res);
  if (!b->names || !b->types || i < b->ncols)
    return sp_error_oom(err);
  for (i = 0; i < b->ncols; i++)
    if (strcasecmp(b->names[i], "rowid") == 0)
      return sp_error_set(err, SP_EINVAL, "%s: a column named rowid is not "
                          "supported yet", b->what);
  return SP_OK;
}

/* The SQL of batch k: one row, one list per column, in row order. */
static sp_status batch_query(const batch_run *b, int64_t k, sp_buf *sql,
                             sp_error **err)
{
  int64_t size = b->x->desc->batch_size;
  idx_t i;

  sp_buf_reset(sql);
  sp_buf_puts(sql, "SELECT ");
  for (i = 0; i < b->ncols; i++) {
    sp_buf_puts(sql, i ? ", list(" : "list(");
    sp_buf_append_ident(sql, b->names[i]);
    sp_buf_puts(sql, " ORDER BY rowid)");
  }
  sp_buf_appendf(sql, " FROM " IN_TABLE " WHERE rowid >= %lld AND rowid < "
                 "%lld", (long long)(k * size), (long long)((k + 1) * size));
  return sp_buf_oom(sql) ? sp_error_oom(err) : SP_OK;
}

/* 1 if two Arrow schemas have the same shape: formats, names, children. */
static int same_schema(const struct ArrowSchema *a,
                       const struct ArrowSchema *b)
{
  int64_t i;

  if (strcmp(a->format, b->format) != 0 || a->n_children != b->n_children ||
      strcmp(a->name ? a->name : "", b->name ? b->name : "") != 0)
    return 0;
  for (i = 0; i < a->n_children; i++)
    if (!same_schema(a->children[i], b->children[i]))
      return 0;
  return 1;
}

/* CREATE TEMP TABLE OUT_TABLE with the columns of chunk, named by the
 * function's schema, and an appender on it. */
static sp_status create_output(batch_run *b, duckdb_data_chunk chunk,
                               sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  sp_status st = SP_OK;
  idx_t i, n = duckdb_data_chunk_get_column_count(chunk);

  sp_buf_puts(&sql, "CREATE TEMP TABLE " OUT_TABLE " (");
  for (i = 0; i < n && st == SP_OK; i++) {
    duckdb_logical_type t =
        duckdb_vector_get_column_type(duckdb_data_chunk_get_vector(chunk, i));
    const char *name = b->first.children[i]->name;
    sp_buf_puts(&sql, i ? ", " : "");
    sp_buf_append_ident(&sql, name && *name ? name : "column");
    sp_buf_putc(&sql, ' ');
    if (sp_duck_type_sql(t, &sql) != 0)
      st = sp_error_set(err, SP_EINVAL, "%s returned column %s of a type "
                        "that cannot be stored", b->what, name ? name : "?");
    duckdb_destroy_logical_type(&t);
  }
  sp_buf_putc(&sql, ')');
  if (st == SP_OK)
    st = sp_buf_oom(&sql) ? sp_error_oom(err)
                          : sp_duck_exec(b->x->con, sql.data, err);
  sp_buf_release(&sql);
  if (st == SP_OK &&
      duckdb_appender_create(b->x->con, NULL, "__sp_batch_out", &b->app) ==
          DuckDBError)
    st = duck_error(duckdb_appender_error_data(b->app), b->what, err);
  return st;
}

/* Appends one result of the map function, in slices of CHUNK_ROWS rows
 * (at least one, so an empty first result still creates the table). */
static sp_status append_result(batch_run *b, struct ArrowArray *out,
                               sp_error **err)
{
  struct ArrowArray **cols = NULL, *slice = NULL, w;
  const void *bufs[1];
  sp_status st = SP_OK;
  int64_t off = 0, i;

  cols = sp_calloc((size_t)out->n_children, sizeof(*cols));
  slice = sp_calloc((size_t)out->n_children, sizeof(*slice));
  if (!cols || !slice)
    st = sp_error_oom(err);
  do {
    int64_t m = out->length - off < CHUNK_ROWS ? out->length - off
                                               : CHUNK_ROWS;
    duckdb_data_chunk chunk = NULL;
    if (st != SP_OK)
      break;
    /* A parent's offset applies to its children. */
    for (i = 0; i < out->n_children; i++) {
      slice[i] = *out->children[i];
      slice[i].offset += out->offset + off;
      slice[i].length = m;
      if (m != out->length)
        slice[i].null_count = -1; /* unknown for a part */
      slice[i].release = release_borrowed;
      cols[i] = &slice[i];
    }
    wrap_columns(&w, cols, out->n_children, m, bufs);
    st = duck_error(duckdb_data_chunk_from_arrow(b->x->con, &w, b->conv,
                                                 &chunk), b->what, err);
    if (st == SP_OK && !b->app)
      st = create_output(b, chunk, err);
    if (st == SP_OK && m > 0 &&
        duckdb_append_data_chunk(b->app, chunk) == DuckDBError)
      st = duck_error(duckdb_appender_error_data(b->app), b->what, err);
    if (chunk)
      duckdb_destroy_data_chunk(&chunk);
    off += m;
  } while (st == SP_OK && off < out->length);
  sp_free(cols);
  sp_free(slice);
  return st;
}

/* Calls the map function on one batch and stores its result. */
static sp_status map_batch(batch_run *b, const struct ArrowArray *batch,
                           int64_t k, sp_error **err)
{
  struct ArrowSchema schema;
  struct ArrowArray out;
  sp_status st = SP_OK;
  int rc;

  memset(&schema, 0, sizeof(schema));
  memset(&out, 0, sizeof(out));
  rc = b->fn->map(&b->schema, batch, &schema, &out, b->fn->arg);
  if (rc != 0)
    st = sp_error_set(err, SP_EINVAL, "%s returned %d on batch %lld",
                      b->what, rc, (long long)k);
  else if (!schema.release || !out.release || !schema.format ||
           strcmp(schema.format, "+s") != 0 ||
           schema.n_children != out.n_children || out.length < 0 ||
           schema.n_children < 1)
    st = sp_error_set(err, SP_EINVAL, "%s did not return a record batch (a "
                      "released, or non-struct, or column-less schema and "
                      "array) on batch %lld", b->what, (long long)k);
  else if (b->x->desc->batch_mode == SP_BATCH_MAP_ROWS &&
           out.length != batch->length)
    st = sp_error_set(err, SP_EINVAL, "%s returned %lld rows for a batch of "
                      "%lld; a row map keeps the number of rows", b->what,
                      (long long)out.length, (long long)batch->length);
  else if (b->first.release && !same_schema(&b->first, &schema))
    st = sp_error_set(err, SP_EINVAL, "%s returned other columns on batch "
                      "%lld than on batch 0", b->what, (long long)k);
  if (st == SP_OK && !b->first.release) {
    b->first = schema; /* kept to compare, and to name the columns */
    memset(&schema, 0, sizeof(schema));
    st = duck_error(duckdb_schema_from_arrow(b->x->con, &b->first, &b->conv),
                    b->what, err);
  }
  if (st == SP_OK)
    st = append_result(b, &out, err);
  if (out.release)
    out.release(&out);
  if (schema.release)
    schema.release(&schema);
  return st;
}

/* Calls the filter function on one batch and records the kept row ids. */
static sp_status filter_batch(batch_run *b, const struct ArrowArray *batch,
                              int64_t k, sp_error **err)
{
  int64_t first = k * b->x->desc->batch_size, i;
  int rc;

  memset(b->keep, 0, (size_t)batch->length);
  if ((rc = b->fn->filter(&b->schema, batch, b->keep, b->fn->arg)) != 0)
    return sp_error_set(err, SP_EINVAL, "%s returned %d on batch %lld",
                        b->what, rc, (long long)k);
  for (i = 0; i < batch->length; i++)
    if (b->keep[i] && (duckdb_append_int64(b->app, first + i) == DuckDBError ||
                       duckdb_appender_end_row(b->app) == DuckDBError))
      return duck_error(duckdb_appender_error_data(b->app), b->what, err);
  return SP_OK;
}

/* Runs batch k: reads it as one row of lists and hands their children to
 * the function as the batch's columns. */
static sp_status run_batch(batch_run *b, int64_t k, int64_t rows, sp_buf *sql,
                           sp_error **err)
{
  struct ArrowArray arr, batch, **cols = NULL;
  duckdb_data_chunk chunk = NULL;
  const void *bufs[1];
  duckdb_result res;
  sp_status st;
  idx_t i;

  memset(&arr, 0, sizeof(arr));
  if ((st = batch_query(b, k, sql, err)) != SP_OK)
    return st;
  if (duckdb_query(b->x->con, sql->data, &res) == DuckDBError) {
    st = sp_duck_result_error(&res, err);
    duckdb_destroy_result(&res);
    return st;
  }
  if (!b->options) {
    b->options = duckdb_result_get_arrow_options(&res);
    st = duck_error(duckdb_to_arrow_schema(b->options, b->types,
                                           (const char **)b->names, b->ncols,
                                           &b->schema), b->what, err);
  }
  if (st == SP_OK && !(chunk = duckdb_fetch_chunk(res)))
    st = sp_error_set(err, SP_EINTERNAL, "%s: batch %lld has no rows",
                      b->what, (long long)k);
  if (st == SP_OK)
    st = duck_error(duckdb_data_chunk_to_arrow(b->options, chunk, &arr),
                    b->what, err);
  if (st == SP_OK && !(cols = sp_calloc(b->ncols, sizeof(*cols))))
    st = sp_error_oom(err);
  for (i = 0; st == SP_OK && i < b->ncols; i++) {
    cols[i] = arr.children[i]->children[0];
    if (cols[i]->length != rows)
      st = sp_error_set(err, SP_EINTERNAL, "%s: batch %lld has %lld rows, "
                        "expected %lld", b->what, (long long)k,
                        (long long)cols[i]->length, (long long)rows);
  }
  if (st == SP_OK) {
    wrap_columns(&batch, cols, (int64_t)b->ncols, rows, bufs);
    st = b->x->desc->batch_mode == SP_BATCH_FILTER
             ? filter_batch(b, &batch, k, err)
             : map_batch(b, &batch, k, err);
  }
  sp_free(cols);
  if (arr.release)
    arr.release(&arr);
  if (chunk)
    duckdb_destroy_data_chunk(&chunk);
  duckdb_destroy_result(&res);
  return st;
}

/* Writes the result: the map's table, or the kept rows in order. */
static sp_status write_output(batch_run *b, const char *path, int64_t *rows,
                              sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  sp_status st = SP_OK;

  if (b->app) {
    if (duckdb_appender_close(b->app) == DuckDBError)
      st = duck_error(duckdb_appender_error_data(b->app), b->what, err);
    duckdb_appender_destroy(&b->app);
  }
  if (st != SP_OK)
    return st;
  sp_buf_puts(&sql, "COPY (");
  st = sp_exec_lossless_select(
      b->x,
      b->x->desc->batch_mode == SP_BATCH_FILTER
          ? "SELECT * FROM " IN_TABLE " WHERE rowid IN (SELECT r FROM "
            KEEP_TABLE ") ORDER BY rowid"
          : "SELECT * FROM " OUT_TABLE,
      &sql, err);
  sp_buf_puts(&sql, ") TO ");
  sp_buf_append_literal(&sql, path);
  sp_exec_parquet_options(b->x->desc, 0, NULL, &sql);
  if (st == SP_OK)
    st = sp_buf_oom(&sql) ? sp_error_oom(err)
                          : sp_duck_query_i64(b->x->con, sql.data, rows, err);
  sp_buf_release(&sql);
  return st;
}

sp_status sp_exec_batch(sp_exec_ctx *x, sp_error **err)
{
  const sp_task_desc *d = x->desc;
  char *out = sp_exec_out_file(x);
  sp_piece piece = {.path = out, .rows = 0, .end = -1};
  sp_buf sql = SP_BUF_INIT, what = SP_BUF_INIT;
  batch_run b;
  int64_t rows = 0, k, nbatches;
  sp_status st;
  idx_t i;

  memset(&b, 0, sizeof(b));
  b.x = x;
  b.fn = sp_batch_function_find(x->env->fns, x->env->nfns, d->batch_fn);
  sp_buf_appendf(&what, "%s function '%s'",
                 d->batch_mode == SP_BATCH_FILTER ? "filter_batches"
                 : d->batch_mode == SP_BATCH_MAP_ROWS ? "map_rows"
                                                      : "map_batches",
                 d->batch_fn);
  if (!out || sp_buf_oom(&what))
    return sp_error_oom(err);
  b.what = what.data;
  if (!b.fn || (d->batch_mode == SP_BATCH_FILTER ? !b.fn->filter
                                                 : !b.fn->map)) {
    st = sp_error_set(err, SP_EINVAL, "%s is not registered in this worker",
                      b.what);
    goto out;
  }
  if ((st = load_input(&b, &rows, err)) != SP_OK)
    goto out;
  if (d->batch_mode == SP_BATCH_FILTER) {
    /* No larger than the partition: batch_size may be huge. */
    int64_t most = rows < d->batch_size ? rows + 1 : d->batch_size;
    if (!(b.keep = sp_malloc((size_t)most))) {
      st = sp_error_oom(err);
      goto out;
    }
    if ((st = sp_duck_exec(x->con, "CREATE TEMP TABLE " KEEP_TABLE
                           " (r BIGINT)", err)) != SP_OK)
      goto out;
    if (duckdb_appender_create(x->con, NULL, "__sp_batch_keep", &b.app) ==
        DuckDBError) {
      st = duck_error(duckdb_appender_error_data(b.app), b.what, err);
      goto out;
    }
  }
  /* An empty partition still makes one call: the result's columns. */
  nbatches = rows > 0 ? (rows + d->batch_size - 1) / d->batch_size : 1;
  for (k = 0; k < nbatches && st == SP_OK; k++) {
    int64_t n = rows - k * d->batch_size;
    st = run_batch(&b, k, n < d->batch_size ? n : d->batch_size, &sql, err);
  }
  if (st == SP_OK)
    st = write_output(&b, out, &piece.rows, err);
  if (st == SP_OK && (st = sp_exec_alloc_outputs(x, 1, err)) == SP_OK)
    st = sp_dataset_add(&x->result->outputs[0], &piece, err);
  x->result->rows = piece.rows;
out:
  if (b.app)
    duckdb_appender_destroy(&b.app);
  if (b.conv)
    duckdb_destroy_arrow_converted_schema(&b.conv);
  if (b.first.release)
    b.first.release(&b.first);
  if (b.schema.release)
    b.schema.release(&b.schema);
  if (b.options)
    duckdb_destroy_arrow_options(&b.options);
  for (i = 0; b.types && i < b.ncols; i++)
    duckdb_destroy_logical_type(&b.types[i]);
  sp_free(b.types);
  sp_free(b.keep);
  sp_buf_release(&sql);
  sp_buf_release(&what);
  return st;
}
