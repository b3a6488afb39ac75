/*
 * duck.h - the thin layer over DuckDB's C API that the executor uses.
 *
 * DuckDB errors become sp_error with status SP_ESQL and DuckDB's message;
 * results are always destroyed, also on error.
 */
#ifndef SP_DUCK_DUCK_H
#define SP_DUCK_DUCK_H

#include <duckdb.h>
#include <stdint.h>

#include "plan/dataset.h"
#include "util/buf.h"
#include "smallpond.h"

/* The DuckDB library's version, e.g. "v1.4.4". Static. */
const char *sp_duck_version(void);

/* Whether the DuckDB databases this process opens from now on install and
 * load DuckDB's known extensions when a query needs one (httpfs for an
 * s3:// path): on (1) or off (0, until sp_init sets its session's choice).
 * One setting per process, as sp_config.autoload_extensions says: the
 * driver's short-lived databases are opened deep in helpers that know no
 * session, and a worker process serves one session. */
void sp_duck_set_autoload(int on);

/* Opens an in-memory database for one process: threads and memory_limit
 * (bytes, 0 = DuckDB's default), spilling into tmp_dir (NULL = none),
 * extension auto-install and auto-load as sp_duck_set_autoload last said. */
sp_status sp_duck_open(int threads, int64_t memory_limit, const char *tmp_dir,
                       duckdb_database *db, sp_error **err);

/* Opens a short-lived DuckDB of one thread for the driver's own queries
 * (schemas, metadata, reading results back) and connects to it. On
 * failure nothing stays open. Close with sp_duck_close. */
sp_status sp_duck_open_connected(duckdb_database *db, duckdb_connection *con,
                                 sp_error **err);

/* Disconnects con and closes db, either of which may be NULL (unopened);
 * both are NULL after. */
void sp_duck_close(duckdb_database *db, duckdb_connection *con);

/* Sets *err from a failed result, with a status by DuckDB's error type:
 * SP_ENOMEM when it ran out of memory, SP_EIO for a file system error
 * (both may succeed when tried again), SP_ESQL for the rest. Returns the
 * status. */
sp_status sp_duck_result_error(duckdb_result *res, sp_error **err);

/* Runs sql and discards its result. */
sp_status sp_duck_exec(duckdb_connection con, const char *sql,
                       sp_error **err);

/* Runs sql and returns the first column of its first row as an integer. */
sp_status sp_duck_query_i64(duckdb_connection con, const char *sql,
                            int64_t *out, sp_error **err);

/* Runs query (one $1 parameter, bound to arg as VARCHAR; none when arg
 * is NULL) and returns its
 * first value as text in *out (caller frees with sp_free; NULL for SQL
 * NULL). */
sp_status sp_duck_query_text(duckdb_connection con, const char *query,
                             const char *arg, char **out, sp_error **err);

/* Number of statements in sql, or -1 with err when it does not parse. */
int64_t sp_duck_count_statements(duckdb_connection con, const char *sql,
                                 sp_error **err);

/* Appends the SQL spelling of type t (e.g. "STRUCT(\"a\" INTEGER[])"), to
 * declare a column of that type. Returns 0, or -1 for a type SQL cannot
 * declare (e.g. ANY). */
int sp_duck_type_sql(duckdb_logical_type t, sp_buf *b);

/* The same for a type Parquet holds without loss: DuckDB writes HUGEINT
 * and UHUGEINT to Parquet as DOUBLE (a sum over BIGINT would lose digits
 * past 2^53), so they are spelled DECIMAL(38, 0) here, at any depth, and
 * *changed is set. */
int sp_duck_type_parquet_sql(duckdb_logical_type t, sp_buf *b, int *changed);

/* Fills the rows of every whole-file piece of d whose count is unknown, from
 * the files' Parquet footers (one query for all of them). */
sp_status sp_duck_fill_file_rows(duckdb_connection con, sp_dataset *d,
                                 sp_error **err);

#endif
