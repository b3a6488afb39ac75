/*
 * task.h - running one task attempt in DuckDB.
 */
#ifndef SP_EXEC_TASK_H
#define SP_EXEC_TASK_H

#include <duckdb.h>

#include "plan/desc.h"
#include "util/arena.h"

/* What a worker's program offers its tasks. */
typedef struct sp_exec_env {
  const sp_batch_function *fns; /* sp_config.batch_functions */
  size_t nfns;
  double fault_rate; /* SP_FAULT_INJECTION: this fraction of attempts
                        fail on purpose, for tests */
  int slow_partition; /* SP_FAULT_SLOW: the first attempt of tasks of */
  int slow_ms;        /* this partition sleeps this long, for tests */
  int own_functions;  /* the program's duckdb_setup ran: its functions and
                         macros may return any type */
} sp_exec_env;

/* The function named name among fns[0..n), or NULL. */
const sp_batch_function *sp_batch_function_find(const sp_batch_function *fns,
                                                size_t n, const char *name);

/* What a task runner works with. */
typedef struct sp_exec_ctx {
  duckdb_connection con;
  const sp_exec_env *env;
  const sp_task_desc *desc;
  sp_arena *arena;        /* per-task memory, reset when the task ends */
  sp_task_result *result; /* the runner fills outputs and rows */
} sp_exec_ctx;

/* The database-wide settings in force in a worker's DuckDB, so a task
 * changes them only when it needs other values. */
typedef struct sp_exec_settings {
  int threads;
  int64_t memory_limit; /* bytes; 0: DuckDB's default */
  /* The connection SQL tasks reuse: a new connection builds its catalog
   * of temporary objects on first use, which costs more than a tiny task.
   * NULL until the first; closed after a task that failed or made temp
   * tables, so each task still starts clean. The worker disconnects it. */
  duckdb_connection con;
} sp_exec_settings;

/* Runs the attempt described by d on a connection to db (cur's, or a
 * fresh one) and fills *r (zeroed by the caller): on failure r->status,
 * r->error and, for SQL, r->error_sql. cur holds db's settings and
 * connection, and is updated. Returns r->status. */
sp_status sp_exec_task(duckdb_database db, sp_exec_settings *cur,
                       const sp_exec_env *env, const sp_task_desc *d,
                       sp_arena *arena, sp_task_result *r);

/* The runners, one per kind that runs in a worker (task_*.c). */
sp_status sp_exec_sql(sp_exec_ctx *x, sp_error **err);
sp_status sp_exec_shuffle(sp_exec_ctx *x, sp_error **err);
sp_status sp_exec_split_rows(sp_exec_ctx *x, sp_error **err);
sp_status sp_exec_count(sp_exec_ctx *x, sp_error **err);
sp_status sp_exec_batch(sp_exec_ctx *x, sp_error **err);

/* Shared by the runners: creates the views {0}, {1}, ... over the task's
 * inputs and returns their quoted names in *names (arena memory). */
sp_status sp_exec_create_views(sp_exec_ctx *x, const char ***names,
                               sp_error **err);

/* The quoted names sp_exec_create_views gives the inputs, without
 * creating anything. */
sp_status sp_exec_input_names(sp_exec_ctx *x, const char ***names,
                              sp_error **err);

/* Appends "WITH <name> AS (<select>), ... " over the task's inputs: the
 * inputs for one statement, without views. */
sp_status sp_exec_input_ctes(sp_exec_ctx *x, const char *const *names,
                             sp_buf *b, sp_error **err);

/* Appends to b a query of select's rows as Parquet holds them without
 * loss: select itself, or select with its HUGEINT and UHUGEINT columns
 * (at any depth) cast to DECIMAL(38, 0), which DuckDB would otherwise
 * write as DOUBLE. Binding select to learn its types costs a tiny task a
 * third of its time, so it happens only when something could make such a
 * column: the task's SQL (a sum, a cast, factorial, a 19-digit number, or
 * what mixes a UBIGINT with signed values: hash, CASE, coalesce, greatest,
 * least, UNION), its inputs' readers (a CSV column), or the program's own
 * SQL functions. What it cannot see: arithmetic between a UBIGINT column
 * of the input files and a signed one, with none of those words. */
sp_status sp_exec_lossless_select(sp_exec_ctx *x, const char *select,
                                  sp_buf *b, sp_error **err);

/* Allocates r->outputs with n empty datasets. */
sp_status sp_exec_alloc_outputs(sp_exec_ctx *x, int n, sp_error **err);

/* Appends the options of a COPY ... TO '<file>.parquet': FORMAT, the
 * task's Parquet settings, and `extra` (more options, or NULL). A task's
 * result also gets its partition's index along each dimension as
 * key-value metadata "SMALLPOND:<dimension>"; files of an exchange (a
 * shuffle's, read only by the next stage) get none, and no codec with
 * Parquet 2 encodings in row groups of 16,384 rows, unless the node chose
 * otherwise. */
void sp_exec_parquet_options(const sp_task_desc *d, int exchange,
                             const char *extra, sp_buf *b);

/* The attempt writes one file, sp_exec_out_file ("<out>.parquet"), or
 * makes its folder with sp_exec_make_out_dir and writes files in it,
 * sp_exec_out_path ("<out>/<name>"). Paths are in arena memory, or NULL.
 * The outputs it reports are these absolute paths. */
char *sp_exec_out_file(sp_exec_ctx *x);
sp_status sp_exec_make_out_dir(sp_exec_ctx *x, sp_error **err);
char *sp_exec_out_path(sp_exec_ctx *x, const char *name);

#endif
