/*
 * files.c - listing local and remote input files (see files.h).
 */
#include "duck/files.h"

#include <string.h>

#include "duck/duck.h"
#include "io/remote.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* Appends DuckDB's message on one line, without the SQL it quotes
 * ("LINE 1: ..."): that is ours, not the user's. */
static void append_duck_message(sp_buf *b, const char *msg)
{
  const char *end = msg ? strstr(msg, "\nLINE ") : NULL;
  size_t n = !msg ? 0 : end ? (size_t)(end - msg) : strlen(msg), i;
  int gap = 0;

  for (i = 0; i < n; i++) {
    if (msg[i] == '\n' || msg[i] == ' ') {
      gap = 1;
      continue;
    }
    if (gap && b->len && b->data[b->len - 1] != '(')
      sp_buf_putc(b, ' ');
    gap = 0;
    sp_buf_putc(b, msg[i]);
  }
}

sp_status sp_duck_remote_error(duckdb_connection con, duckdb_result *res,
                               const char *path, sp_error **err)
{
  duckdb_error_type type = duckdb_result_error_type(res);
  const char *ext = sp_remote_extension(path);
  const char *scheme_end = strstr(path, "://");
  const char *version = sp_duck_version();
  sp_buf b = SP_BUF_INIT;
  char *platform = NULL;
  sp_status st;

  sp_buf_appendf(&b, "cannot read %s: ", path);
  if (!ext || !scheme_end || (type != DUCKDB_ERROR_MISSING_EXTENSION &&
                              type != DUCKDB_ERROR_AUTOLOAD)) {
    append_duck_message(&b, duckdb_result_error(res));
    goto out;
  }
  sp_buf_appendf(&b, "DuckDB reads %.*s paths with its %s extension, which ",
                 (int)(scheme_end + 3 - path), path, ext);
  /* By what DuckDB did: tried to install it, or was not allowed to. */
  if (type == DUCKDB_ERROR_AUTOLOAD) {
    sp_buf_puts(&b, "could not be installed or loaded (DuckDB: ");
    append_duck_message(&b, duckdb_result_error(res));
    sp_buf_puts(&b, "). Install it: ");
  } else {
    sp_buf_appendf(&b, "is not loaded because extension autoloading is off "
                   "(sp_config.autoload_extensions, SP_AUTOLOAD_EXTENSIONS "
                   "or smallpond --no-autoload); turn it on for DuckDB to "
                   "install and load %s when a query needs it. Without "
                   "network access, install it first: ", ext);
  }
  /* Where DuckDB looks for it, to copy it there from another machine. */
  if (sp_duck_query_text(con, "SELECT platform FROM pragma_platform()", NULL,
                         &platform, NULL) != SP_OK)
    platform = NULL;
  sp_buf_appendf(&b, "run INSTALL %s; in DuckDB %s where there is network "
                 "access, or copy %s.duckdb_extension from a machine that "
                 "has it into ~/.duckdb/extensions/%s/%s/", ext, version,
                 ext, version, platform ? platform : "<platform>");
out:
  st = sp_buf_oom(&b) ? sp_error_oom(err)
                      : sp_error_set(err, SP_EIO, "%s", b.data);
  sp_free(platform);
  sp_buf_release(&b);
  return st;
}

static int is_valid(duckdb_vector v, idx_t row)
{
  uint64_t *validity = duckdb_vector_get_validity(v);

  return !validity || duckdb_validity_row_is_valid(validity, row);
}

/* Adds the rows of one chunk of (filename, size, mtime_ns) to out. */
static sp_status add_listed(duckdb_data_chunk chunk, const char *pattern,
                            sp_file_list *out, sp_error **err)
{
  duckdb_vector names = duckdb_data_chunk_get_vector(chunk, 0);
  duckdb_vector sizes = duckdb_data_chunk_get_vector(chunk, 1);
  duckdb_vector times = duckdb_data_chunk_get_vector(chunk, 2);
  duckdb_string_t *name = duckdb_vector_get_data(names);
  int64_t *size = duckdb_vector_get_data(sizes);
  int64_t *mtime = duckdb_vector_get_data(times);
  idx_t rows = duckdb_data_chunk_get_size(chunk), r;

  for (r = 0; r < rows; r++) {
    const char *s = duckdb_string_t_data(&name[r]);
    uint32_t len = duckdb_string_t_length(name[r]);
    sp_file_info *fi;
    char *path;

    if (!is_valid(names, r) || len == 0 || memchr(s, '\0', len))
      return sp_error_set(err, SP_EIO, "DuckDB listed a file without a "
                          "name for %s", pattern);
    if (!(path = sp_malloc((size_t)len + 1)))
      return sp_error_oom(err);
    memcpy(path, s, len);
    path[len] = '\0';
    /* What DuckDB lists it reads as it was listed, unless a listing
     * store would take its * ? [ as a pattern again (as sp_list_files
     * refuses local ones). */
    if (!sp_path_is_remote(path) ||
        (sp_remote_lists(path) && strpbrk(path, "*?["))) {
      sp_status st = sp_error_set(err, SP_EINVAL, "%s (from %s) %s", path,
                                  pattern,
                                  sp_path_is_remote(path)
                                      ? "has *, ? or [ in its name, which "
                                        "DuckDB would read as a pattern "
                                        "again; rename it"
                                      : "is not a remote path");
      sp_free(path);
      return st;
    }
    if (sp_grow((void **)&out->items, &out->cap, out->len + 1,
                sizeof(*out->items))) {
      sp_free(path);
      return sp_error_oom(err);
    }
    fi = &out->items[out->len++];
    fi->path = path;
    fi->size = is_valid(sizes, r) && size[r] >= 0 ? size[r] : 0;
    fi->mtime_ns = is_valid(times, r) ? mtime[r] : 0;
  }
  return SP_OK;
}

/* Lists the remote pattern's files into out. */
static sp_status list_remote(duckdb_connection con, const char *pattern,
                             sp_file_list *out, sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  duckdb_data_chunk chunk;
  duckdb_result res;
  sp_status st = SP_OK;
  size_t before = out->len;

  /* Without its content column read_blob reads no bytes of the files. */
  sp_buf_puts(&sql, "SELECT filename, size, epoch_ns(last_modified) "
                    "FROM read_blob(");
  sp_buf_append_literal(&sql, pattern);
  sp_buf_puts(&sql, ")");
  if (sp_buf_oom(&sql))
    return sp_error_oom(err);
  if (duckdb_query(con, sql.data, &res) == DuckDBError) {
    st = sp_duck_remote_error(con, &res, pattern, err);
    goto out;
  }
  if (duckdb_column_count(&res) != 3 ||
      duckdb_column_type(&res, 0) != DUCKDB_TYPE_VARCHAR ||
      duckdb_column_type(&res, 1) != DUCKDB_TYPE_BIGINT ||
      duckdb_column_type(&res, 2) != DUCKDB_TYPE_BIGINT) {
    st = sp_error_set(err, SP_EINTERNAL, "unexpected columns from: %s",
                      sql.data);
    goto out;
  }
  while (st == SP_OK && (chunk = duckdb_fetch_chunk(res))) {
    st = add_listed(chunk, pattern, out, err);
    duckdb_destroy_data_chunk(&chunk);
  }
  if (st == SP_OK && out->len == before)
    st = sp_error_set(err, SP_ENOENT, "no file matches %s", pattern);
out:
  duckdb_destroy_result(&res);
  sp_buf_release(&sql);
  return st;
}

sp_status sp_duck_list_files(duckdb_connection con,
                             const char *const *patterns, size_t npatterns,
                             int recursive, sp_file_list *out,
                             sp_error **err)
{
  duckdb_database own_db = NULL;
  duckdb_connection own = NULL;
  const char **local = NULL;
  sp_status st = SP_OK;
  size_t nlocal = 0, i;

  if (npatterns == 0 || !patterns)
    return sp_list_files(patterns, 0, recursive, out, err);
  if (!(local = sp_calloc(npatterns, sizeof(*local))))
    return sp_error_oom(err);
  for (i = 0; i < npatterns; i++)
    if (!sp_path_is_remote(patterns[i]))
      local[nlocal++] = patterns[i];
  if (nlocal)
    st = sp_list_files(local, nlocal, recursive, out, err);
  if (st == SP_OK && nlocal < npatterns && !con &&
      (st = sp_duck_open_connected(&own_db, &own, err)) == SP_OK)
    con = own;
  for (i = 0; i < npatterns && st == SP_OK; i++)
    if (sp_path_is_remote(patterns[i]))
      st = list_remote(con, patterns[i], out, err);
  sp_duck_close(&own_db, &own);
  sp_free(local);
  if (st != SP_OK) {
    sp_file_list_release(out);
    return st;
  }
  sp_file_list_sort(out);
  return SP_OK;
}

sp_status sp_duck_remote_bytes(duckdb_connection con,
                               const char *const *paths, size_t n,
                               int64_t *bytes, sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  sp_status st;
  size_t i;

  *bytes = 0;
  if (n == 0)
    return SP_OK;
  sp_buf_puts(&sql, "SELECT CAST(coalesce(sum(size), 0) AS BIGINT) "
                    "FROM read_blob([");
  for (i = 0; i < n; i++) {
    sp_buf_puts(&sql, i ? ", " : "");
    sp_buf_append_literal(&sql, paths[i]);
  }
  sp_buf_puts(&sql, "])");
  if (sp_buf_oom(&sql))
    return sp_error_oom(err);
  st = sp_duck_query_i64(con, sql.data, bytes, err);
  sp_buf_release(&sql);
  return st;
}
