/*
 * stage.h - the stages a query is cut into, before they become plan
 * nodes: each a SQL text over placeholders (<tag><n>) that the driver
 * binds in turn, so that every stage is known to bind, and to give the
 * types the next one reads, before any node is added to the plan.
 *
 * Placeholder numbers: 0 .. ntables-1 are the query's registered tables
 * (sql/tables.h); the output of stage s is ntables + s. A stage's output
 * is a view of that name in the driver's connection (empty, typed), so
 * the next stage binds against it.
 */
#ifndef SP_SQL_STAGE_H
#define SP_SQL_STAGE_H

#include <duckdb.h>
#include <jansson.h>

#include "plan/node.h"
#include "sql/plan.h"
#include "util/buf.h"

typedef enum {
  SP_STAGE_SQL,    /* a query per partition of its inputs */
  SP_STAGE_HASH,   /* rows hashed on keys into partitions; sql (a query
                      over its one input), if any, runs on each producer
                      first */
  SP_STAGE_GATHER, /* every partition into one: no rows moved, or, with
                      sql, what sql gives on each producer */
  SP_STAGE_SPLIT,  /* one partition's files split into partitions */
  SP_STAGE_RANGE   /* rows routed by a sort key (by) between split points
                      (inputs[1], one partition of __sp_i, __sp_bound) */
} sp_stage_kind;

typedef struct sp_stage {
  sp_stage_kind kind;
  char *sql;                     /* SQL, HASH: over placeholders */
  int *inputs;                   /* placeholder numbers */
  size_t ninputs;
  char **keys;                   /* HASH: column names of sql's result */
  char *by;                      /* RANGE: the sort key, over inputs[0] */
  size_t nkeys;
  int partitions;                /* SPLIT, HASH: how many; SQL: its
                                    inputs'; GATHER: 1 */
  int threads;                   /* 0: the session's */
  char *note;                    /* for explain: what the stage does */
  json_t *schema;                /* [[name, type], ...] once bound */
  int64_t bytes;                 /* its output's size: measured, or a
                                    guess (what it reads) */
  uint64_t key;                  /* what it computes, alike in every plan
                                    of the query (sp_sql_size) */
  int measured;                  /* bytes is its output's real size */
  int guessed;                   /* a guess of bytes decided the plan */
} sp_stage;

/* The stages of a query and the planner's context. */
typedef struct sp_stages {
  duckdb_connection con;
  const sp_sql_refs *refs;
  const sp_sql_input *inputs;
  json_t **table_schemas; /* per table: [[name, type], ...] */
  json_t *aggregates;     /* DuckDB's aggregates and macros
                             (sp_agg_catalog) */
  int host_threads;       /* a task that runs alone on a host */
  int64_t broadcast_bytes; /* sp_sql_options.broadcast_bytes */
  int broadcast_auto;      /* it was not set: sizes decide beyond it */
  int64_t partition_bytes; /* sp_sql_options.partition_bytes */
  const sp_sql_size *sizes; /* stages' real sizes, from a run */
  size_t nsizes;
  sp_stage *list;
  size_t len, cap;
} sp_stages;

/* Binds text: *schema gets [[name, type], ...] of its result, a new
 * reference. Fails with SP_ESQL and DuckDB's message. */
sp_status sp_sql_bind(duckdb_connection con, const char *text,
                      json_t **schema, sp_error **err);

/* The placeholder of the output of the stage to come. */
int sp_stages_next(const sp_stages *s);

/* The number of partitions placeholder n has. */
int sp_stages_partitions(const sp_stages *s, int n);

/* The bytes of placeholder n: its files' for a table, a guess (what it
 * reads) for a stage. */
int64_t sp_stages_bytes(sp_stages *s, int n);

/* 1 if placeholder n's partitions are along the one default dimension,
 * as every exchange's are: two such with as many partitions pair up. */
int sp_stages_plain(const sp_stages *s, int n);

/* The files of placeholder n, for splitting: a table's; 1 for a stage. */
int sp_stages_files(const sp_stages *s, int n);

/* The columns ([[name, type], ...]) placeholder n has: borrowed. */
const json_t *sp_stages_schema(const sp_stages *s, int n);

/* Appends to b the name of placeholder n, quoted. */
void sp_stages_append_name(const sp_stages *s, sp_buf *b, int n);

/* Appends to b `(SELECT CAST(c AS type) AS c, ... FROM <n>)`: the first
 * ncols columns of placeholder n (-1: all), read back with the types its
 * stage bound (a HUGEINT crosses Parquet as DECIMAL(38,0)). */
void sp_stages_append_typed(const sp_stages *s, sp_buf *b, int n,
                            int ncols);

/* Appends placeholder n to stage's inputs. 0, or -1 when out of memory. */
int sp_stage_read(sp_stage *stage, int n);

/* Frees what stage holds and zeroes it. */
void sp_stage_release(sp_stage *stage);

/* Adds a stage, binding it now: stage is moved into s (its strings and
 * arrays freed here, on failure too). Returns its placeholder. Fails with
 * DuckDB's message if it does not bind. */
sp_status sp_stages_add(sp_stages *s, sp_stage *stage, int *placeholder,
                        sp_error **err);

/* Drops every stage, and their views, keeping the tables. */
void sp_stages_clear(sp_stages *s);

/* Adds the stages' nodes to plan: *out the last stage's, and, when
 * stage_nodes is not NULL (s->len of them), each stage's. */
sp_status sp_stages_emit(const sp_stages *s, sp_plan *plan, sp_node **out,
                         sp_node **stage_nodes, sp_error **err);

/* Appends the stages, as sp_explain prints them, to b. */
void sp_stages_explain(const sp_stages *s, sp_buf *b);

#endif
