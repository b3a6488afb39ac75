/*
 * files.h - the input files of a source, local or remote.
 *
 * Local paths and globs are listed by glob(3) (io/glob.h); remote ones
 * (io/remote.h: s3://, gs://, https://, ...) by DuckDB, through the
 * extension that reads them (httpfs, azure), on a DuckDB connection of
 * the driver. Remote files are never stat'ed: their sizes and times are
 * DuckDB's.
 */
#ifndef SP_DUCK_FILES_H
#define SP_DUCK_FILES_H

#include <duckdb.h>
#include <stddef.h>
#include <stdint.h>

#include "io/glob.h"
#include "smallpond.h"

/* Lists patterns as sp_list_files does (sorted, without duplicates, into
 * *out, which must be zeroed), the remote ones through DuckDB on con
 * (NULL: a short-lived DuckDB, opened only when a pattern is remote):
 * read_blob(pattern) without reading the files' bytes, which lists a
 * pattern with * ? [ (** matching folders at any depth) by DuckDB's glob
 * where the store lists (not http(s), whose URL names one file) and gives
 * each file's size and time. A remote pattern that matches nothing fails
 * with SP_ENOENT; one DuckDB cannot read fails as sp_duck_remote_error
 * says. */
sp_status sp_duck_list_files(duckdb_connection con,
                             const char *const *patterns, size_t npatterns,
                             int recursive, sp_file_list *out,
                             sp_error **err);

/* Sets *bytes to the total size of the remote files paths[0..n), as
 * DuckDB gives it (a file it gives no size for counts 0). */
sp_status sp_duck_remote_bytes(duckdb_connection con,
                               const char *const *paths, size_t n,
                               int64_t *bytes, sp_error **err);

/* Sets *err from res, DuckDB's failure reading the remote path: when the
 * extension that reads it is missing, SP_EIO with a message that names
 * the path, the extension, whether autoloading is on, and how to install
 * it; else SP_EIO with DuckDB's message. Returns the status. */
sp_status sp_duck_remote_error(duckdb_connection con, duckdb_result *res,
                               const char *path, sp_error **err);

#endif
