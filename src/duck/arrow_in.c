/*
 * arrow_in.c - Arrow C stream to Parquet (see arrow_in.h).
 *
 * The stream's batches are converted with duckdb_data_chunk_from_arrow and
 * appended to a table whose columns take the types of the first converted
 * chunk (any type DuckDB reads from Arrow, nested ones too); a stream
 * without batches gets its table from the schema's format strings (flat
 * types only). The table is written with COPY.
 */
#include "duck/arrow_in.h"

#include <string.h>

#include "duck/duck.h"
#include "util/buf.h"
#include "util/error.h"

/* The SQL type of a (non-nested) Arrow format string, or NULL. */
static const char *sql_type(const char *f, char *decimal, size_t len)
{
  static const struct { const char *format, *type; } exact[] = {
    {"b", "BOOLEAN"}, {"c", "TINYINT"}, {"C", "UTINYINT"},
    {"s", "SMALLINT"}, {"S", "USMALLINT"}, {"i", "INTEGER"},
    {"I", "UINTEGER"}, {"l", "BIGINT"}, {"L", "UBIGINT"}, {"f", "FLOAT"},
    {"g", "DOUBLE"}, {"u", "VARCHAR"}, {"U", "VARCHAR"}, {"vu", "VARCHAR"},
    {"z", "BLOB"}, {"Z", "BLOB"}, {"vz", "BLOB"}, {"tdD", "DATE"},
    {"tdm", "DATE"}, {"tts", "TIME"}, {"ttm", "TIME"}, {"ttu", "TIME"},
    {"ttn", "TIME"}, {"n", "INTEGER"},
  };
  int width, scale;
  size_t i;

  for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
    if (strcmp(f, exact[i].format) == 0)
      return exact[i].type;
  if (strncmp(f, "ts", 2) == 0 && strchr("smun", f[2]) && f[3] == ':')
    return f[4] ? "TIMESTAMPTZ" : "TIMESTAMP";
  if (sscanf(f, "d:%d,%d", &width, &scale) == 2 && width <= 38) {
    snprintf(decimal, len, "DECIMAL(%d, %d)", width, scale);
    return decimal;
  }
  return NULL;
}

/* CREATE TABLE t (...) with the types of chunk's columns. */
static sp_status create_table_like(duckdb_connection con,
                                   const struct ArrowSchema *schema,
                                   duckdb_data_chunk chunk, sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  sp_status st = SP_OK;
  idx_t i, n = duckdb_data_chunk_get_column_count(chunk);

  sp_buf_puts(&sql, "CREATE TABLE t (");
  for (i = 0; i < n && st == SP_OK; i++) {
    duckdb_logical_type type =
        duckdb_vector_get_column_type(duckdb_data_chunk_get_vector(chunk, i));
    const char *name = schema->children[i]->name;
    sp_buf_puts(&sql, i ? ", " : "");
    sp_buf_append_ident(&sql, name ? name : "");
    sp_buf_putc(&sql, ' ');
    if (sp_duck_type_sql(type, &sql) != 0)
      st = sp_error_set(err, SP_EINVAL, "from_arrow: column %s has a type "
                        "that cannot be stored", name ? name : "?");
    duckdb_destroy_logical_type(&type);
  }
  sp_buf_puts(&sql, ")");
  if (st == SP_OK)
    st = sp_buf_oom(&sql) ? sp_error_oom(err) : sp_duck_exec(con, sql.data,
                                                             err);
  sp_buf_release(&sql);
  return st;
}

/* CREATE TABLE t (...) from the schema's formats, for a stream without
 * batches. */
static sp_status create_table(duckdb_connection con,
                              const struct ArrowSchema *schema,
                              sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  char decimal[32];
  sp_status st;
  int64_t i;

  if (strcmp(schema->format, "+s") != 0 || schema->n_children == 0)
    return sp_error_set(err, SP_EINVAL, "from_arrow: the stream's schema "
                        "is not a struct of columns");
  sp_buf_puts(&sql, "CREATE TABLE t (");
  for (i = 0; i < schema->n_children; i++) {
    const struct ArrowSchema *c = schema->children[i];
    const char *type = sql_type(c->format, decimal, sizeof(decimal));
    if (!type) {
      sp_buf_release(&sql);
      return sp_error_set(err, SP_EINVAL, "from_arrow: column %s has Arrow "
                          "type '%s', which is not supported yet",
                          c->name ? c->name : "?", c->format);
    }
    if (i)
      sp_buf_puts(&sql, ", ");
    sp_buf_append_ident(&sql, c->name ? c->name : "");
    sp_buf_appendf(&sql, " %s", type);
  }
  sp_buf_puts(&sql, ")");
  st = sp_buf_oom(&sql) ? sp_error_oom(err) : sp_duck_exec(con, sql.data,
                                                           err);
  sp_buf_release(&sql);
  return st;
}

static sp_status arrow_error(duckdb_error_data e, sp_error **err)
{
  sp_status st = SP_OK;

  if (e && duckdb_error_data_has_error(e))
    st = sp_error_set(err, SP_ESQL, "from_arrow: %s",
                      duckdb_error_data_message(e));
  if (e)
    duckdb_destroy_error_data(&e);
  return st;
}

/* The appender's error, which it always has after a failed call. */
static sp_status appender_failed(duckdb_appender app, sp_error **err)
{
  sp_status st = arrow_error(duckdb_appender_error_data(app), err);

  return st ? st : sp_error_set(err, SP_ESQL, "from_arrow: cannot append");
}

/* Appends every batch of stream to table t. */
static sp_status append_batches(duckdb_connection con,
                                struct ArrowArrayStream *stream,
                                struct ArrowSchema *schema, sp_error **err)
{
  duckdb_arrow_converted_schema conv = NULL;
  duckdb_appender app = NULL;
  sp_status st;

  st = arrow_error(duckdb_schema_from_arrow(con, schema, &conv), err);
  while (st == SP_OK) {
    struct ArrowArray batch;
    duckdb_data_chunk chunk = NULL;
    if (stream->get_next(stream, &batch) != 0) {
      const char *why = stream->get_last_error(stream);
      st = sp_error_set(err, SP_EINVAL, "from_arrow: the stream failed: %s",
                        why ? why : "no message");
      break;
    }
    if (!batch.release)
      break; /* the end */
    /* The chunk takes over the batch's data. */
    st = arrow_error(duckdb_data_chunk_from_arrow(con, &batch, conv, &chunk),
                     err);
    if (st == SP_OK && !app &&
        (st = create_table_like(con, schema, chunk, err)) == SP_OK &&
        duckdb_appender_create(con, NULL, "t", &app) == DuckDBError)
      st = appender_failed(app, err);
    if (st == SP_OK && duckdb_append_data_chunk(app, chunk) == DuckDBError)
      st = appender_failed(app, err);
    if (chunk)
      duckdb_destroy_data_chunk(&chunk);
  }
  if (app) {
    if (st == SP_OK && duckdb_appender_close(app) == DuckDBError)
      st = appender_failed(app, err);
    duckdb_appender_destroy(&app);
  } else if (st == SP_OK) {
    st = create_table(con, schema, err); /* no batch: types from formats */
  }
  if (conv)
    duckdb_destroy_arrow_converted_schema(&conv);
  return st;
}

sp_status sp_arrow_stream_to_parquet(struct ArrowArrayStream *stream,
                                     const char *path, int64_t *rows,
                                     sp_error **err)
{
  duckdb_database db = NULL;
  duckdb_connection con = NULL;
  struct ArrowSchema schema;
  sp_buf sql = SP_BUF_INIT;
  sp_status st;

  memset(&schema, 0, sizeof(schema));
  if ((st = sp_duck_open_connected(&db, &con, err)) != SP_OK)
    goto out;
  if (stream->get_schema(stream, &schema) != 0) {
    const char *why = stream->get_last_error(stream);
    st = sp_error_set(err, SP_EINVAL, "from_arrow: no schema: %s",
                      why ? why : "no message");
    goto out;
  }
  if (strcmp(schema.format, "+s") != 0 || schema.n_children == 0) {
    st = sp_error_set(err, SP_EINVAL, "from_arrow: the stream's schema is "
                      "not a struct of columns");
    goto out;
  }
  if ((st = append_batches(con, stream, &schema, err)) != SP_OK)
    goto out;
  sp_buf_puts(&sql, "COPY t TO ");
  sp_buf_append_literal(&sql, path);
  sp_buf_puts(&sql, " (FORMAT parquet, COMPRESSION zstd)");
  st = sp_buf_oom(&sql) ? sp_error_oom(err)
                        : sp_duck_query_i64(con, sql.data, rows, err);
out:
  sp_buf_release(&sql);
  if (schema.release)
    schema.release(&schema);
  if (stream->release)
    stream->release(stream);
  sp_duck_close(&db, &con);
  return st;
}
