/*
 * partition_keys.c - partition indexes of written files (see
 * partition_keys.h).
 */
#include "duck/partition_keys.h"

#include <stdlib.h>
#include <string.h>

#include "duck/duck.h"
#include "plan/hash_layout.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* The index in a "/<dimension>=<i>/" folder of path, or -1. */
static int64_t hive_key(const char *path, const char *dimension)
{
  size_t len = strlen(dimension);
  const char *p = path;

  while ((p = strstr(p, dimension))) {
    if ((p == path || p[-1] == '/') && p[len] == '=') {
      char *end;
      long long v = strtoll(p + len + 1, &end, 10);
      if (end != p + len + 1 && *end == '/' && v >= 0)
        return v;
    }
    p += len;
  }
  return -1;
}

/* Reads SMALLPOND:<dimension> of every path whose key is still -1. */
static sp_status read_metadata(duckdb_connection con,
                               const char *const *paths, size_t n,
                               const char *dimension, int64_t *keys,
                               sp_error **err)
{
  sp_buf sql = SP_BUF_INIT, key = SP_BUF_INIT;
  duckdb_data_chunk chunk;
  duckdb_result res;
  sp_status st = SP_OK;
  size_t i, listed = 0;

  sp_buf_puts(&sql, "SELECT file_name, decode(value) FROM parquet_kv_metadata("
              "[");
  for (i = 0; i < n; i++)
    if (keys[i] < 0) {
      sp_buf_puts(&sql, listed++ ? ", " : "");
      sp_buf_append_literal(&sql, paths[i]);
    }
  sp_buf_appendf(&key, "SMALLPOND:%s", dimension);
  sp_buf_puts(&sql, "]) WHERE key = encode(");
  sp_buf_append_literal(&sql, sp_buf_oom(&key) ? "" : key.data);
  sp_buf_puts(&sql, ")");
  if (listed == 0 || sp_buf_oom(&sql) || sp_buf_oom(&key)) {
    st = listed == 0 ? SP_OK : sp_error_oom(err);
    goto out;
  }
  if (duckdb_query(con, sql.data, &res) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    goto out;
  }
  while ((chunk = duckdb_fetch_chunk(res))) {
    idx_t rows = duckdb_data_chunk_get_size(chunk), r;
    duckdb_vector fv = duckdb_data_chunk_get_vector(chunk, 0);
    duckdb_vector vv = duckdb_data_chunk_get_vector(chunk, 1);
    duckdb_string_t *files = duckdb_vector_get_data(fv);
    duckdb_string_t *values = duckdb_vector_get_data(vv);
    uint64_t *valid = duckdb_vector_get_validity(vv);
    for (r = 0; r < rows; r++) {
      char value[32];
      const char *file = duckdb_string_t_data(&files[r]);
      uint32_t flen = duckdb_string_t_length(files[r]);
      uint32_t vlen = duckdb_string_t_length(values[r]);
      char *end = NULL;
      long long v = -1;
      if ((!valid || duckdb_validity_row_is_valid(valid, r)) &&
          vlen < sizeof(value)) {
        memcpy(value, duckdb_string_t_data(&values[r]), vlen);
        value[vlen] = '\0';
        v = strtoll(value, &end, 10);
        if (end == value || *end != '\0' || v < 0)
          v = -2; /* present but not an index */
      }
      for (i = 0; i < n; i++)
        if (keys[i] == -1 && strlen(paths[i]) == flen &&
            memcmp(paths[i], file, flen) == 0)
          keys[i] = v;
    }
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&res);
out:
  sp_buf_release(&sql);
  sp_buf_release(&key);
  return st;
}

sp_status sp_read_partition_keys(const char *const *paths, size_t n,
                                 const char *dimension, int npartitions,
                                 int *keys, sp_error **err)
{
  duckdb_database db = NULL;
  duckdb_connection con = NULL;
  int64_t *found = sp_calloc(n ? n : 1, sizeof(*found));
  sp_status st = SP_OK;
  size_t i, missing = 0;

  if (!found)
    return sp_error_oom(err);
  for (i = 0; i < n; i++)
    if ((found[i] = hive_key(paths[i], dimension)) == -1)
      missing++;
  if (missing) {
    if ((st = sp_duck_open_connected(&db, &con, err)) != SP_OK)
      goto out;
    if ((st = read_metadata(con, paths, n, dimension, found, err)) != SP_OK)
      goto out;
  }
  for (i = 0; i < n; i++) {
    if (found[i] < 0) {
      st = sp_error_set(err, SP_EINVAL, "%s has no index along dimension "
                        "%s: no %s=<i> folder in its path, no "
                        "SMALLPOND:%s (a number) in its Parquet metadata",
                        paths[i], dimension, dimension, dimension);
      break;
    }
    if (found[i] >= npartitions) {
      st = sp_error_set(err, SP_EINVAL, "partition key %lld of %s is out of "
                        "range 0-%d", (long long)found[i], paths[i],
                        npartitions - 1);
      break;
    }
    keys[i] = (int)found[i];
  }
out:
  sp_duck_close(&db, &con);
  sp_free(found);
  return st;
}

sp_status sp_read_hash_layout(duckdb_connection con, const char *const *paths,
                              size_t n, char **layout, sp_error **err)
{
  duckdb_database db = NULL;
  duckdb_connection own = NULL;
  sp_buf sql = SP_BUF_INIT;
  sp_error *ignored = NULL;
  char *text = NULL;
  sp_status st = SP_OK;
  size_t i;

  *layout = NULL;
  if (n == 0)
    return SP_OK;
  sp_buf_puts(&sql, "SELECT CASE WHEN count(DISTINCT file_name) = ");
  sp_buf_appendf(&sql, "%zu AND count(DISTINCT value) = 1 THEN "
                 "decode(any_value(value)) END FROM parquet_kv_metadata([",
                 n);
  for (i = 0; i < n; i++) {
    sp_buf_puts(&sql, i ? ", " : "");
    sp_buf_append_literal(&sql, paths[i]);
  }
  sp_buf_puts(&sql, "]) WHERE key = encode('" SP_HASH_LAYOUT_KEY "')");
  if (sp_buf_oom(&sql)) {
    st = sp_error_oom(err);
    goto out;
  }
  if (!con && (st = sp_duck_open_connected(&db, &own, err)) != SP_OK)
    goto out;
  /* Metadata that does not read or does not check is no layout: the
   * files are read as any others. */
  if (sp_duck_query_text(con ? con : own, sql.data, NULL, &text,
                         &ignored) == SP_OK &&
      text && sp_hash_layout_check(text, NULL, 0)) {
    *layout = text;
    text = NULL;
  }
out:
  sp_error_free(&ignored);
  sp_free(text);
  sp_buf_release(&sql);
  sp_duck_close(&db, &own);
  return st;
}
