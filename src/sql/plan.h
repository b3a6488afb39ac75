/*
 * plan.h - a query planned into stages of plan nodes (plan/node.h), the
 * same nodes the DataFrame API makes, so that scheduling, retries,
 * speculation, resume and MPI work unchanged.
 *
 * The driver binds the query first, with the tables it reads as views
 * over their files: errors in the query (an unknown column, a type
 * mismatch) come back before anything runs, with DuckDB's message, and
 * the result's column names and types are DuckDB's own.
 */
#ifndef SP_SQL_PLAN_H
#define SP_SQL_PLAN_H

#include <duckdb.h>
#include <jansson.h>

#include "plan/dataset.h"
#include "plan/node.h"
#include "sql/tables.h"
#include "util/buf.h"

/* A registered table the query reads: its node and, computed, its files. */
typedef struct sp_sql_input {
  const char *name;
  sp_node *node;
  const sp_dataset *files;
  int64_t bytes; /* the files' sizes */
} sp_sql_input;

/* A stage's output, measured: its key (what it computes, the same in
 * every plan of one query) and the bytes of its files. */
typedef struct sp_sql_size {
  uint64_t key;
  int64_t bytes;
} sp_sql_size;

/* A stage whose guessed size decided the plan: the node that computes it,
 * to run before the query is planned again with its real size. */
typedef struct sp_sql_guess {
  uint64_t key;
  sp_node *node;
} sp_sql_guess;

/* What planning gives back. */
typedef struct sp_sql_planned {
  sp_node *node;     /* the result: a node of plan */
  json_t *schema;    /* [[name, type], ...]: DuckDB's result columns */
  char *explain;     /* the stages, as sp_explain prints them */
  sp_sql_guess *guesses; /* stages whose guessed sizes decided the plan */
  size_t nguesses;
} sp_sql_planned;

/* How to plan. */
typedef struct sp_sql_setup {
  sp_sql_mode mode;
  int partitions; /* of each exchange */
  int64_t broadcast_bytes;
  int broadcast_auto; /* broadcast_bytes is the default: a join may read
                         bigger tables whole when that costs less */
  int threads;    /* the DuckDB threads of a task that runs alone on a
                     host (a stage on one partition) */
  int small;      /* the inputs are too small to split by default: one
                     task, without the stages' fixed costs */
  int64_t partition_bytes; /* sp_sql_options.partition_bytes */
  const json_t *functions; /* DuckDB's aggregates and macros
                              (sql/aggregate.h) */
  const sp_sql_size *sizes; /* stages measured by running them */
  size_t nsizes;
} sp_sql_setup;

/* Plans the query text, parsed and resolved into stmt and refs (sql/parse.h,
 * sql/tables.h), reading inputs[k] for refs->used[k], into nodes of plan.
 * con is a driver-side DuckDB connection, left as it was. Release *out
 * with sp_sql_planned_release. */
sp_status sp_sql_plan(duckdb_connection con, sp_plan *plan, const char *text,
                      const json_t *stmt, const sp_sql_refs *refs,
                      const sp_sql_input *inputs, const sp_sql_setup *setup,
                      sp_sql_planned *out, sp_error **err);

void sp_sql_planned_release(sp_sql_planned *p);

#endif
