/*
 * block.h - one query block as the distributed planner reads it
 * (sql/distribute.c), and where its rows come from on each partition
 * (sql/sources.c). Private to src/sql.
 */
#ifndef SP_SQL_BLOCK_H
#define SP_SQL_BLOCK_H

#include <jansson.h>
#include <stdint.h>

#include "sql/stage.h"

/* A table the block reads. */
typedef struct sp_leaf {
  json_t *ref;       /* its FROM node (BASE_TABLE) in the block's source */
  int n;             /* its placeholder */
  const char *alias; /* the name the query gives it */
  int scope;         /* 0: the block's FROM; k: its k-th correlated
                        subquery's */
  int hashed;        /* co-partitioned: hashed on the key */
  const char *key;   /* then: its column of the key */
} sp_leaf;

typedef struct sp_block {
  sp_stages *s;
  const json_t *node;    /* the block's SELECT node */
  const json_t *schema;  /* its result: [[name, type], ...] */
  json_t *source;        /* a copy of node whose FROMs read the sources */
  json_t *retired;       /* an earlier source the leaves still point into */
  sp_leaf *leaves;       /* the tables, in the order FROMs name them */
  size_t nleaves, leaves_cap;
  json_t *subs;          /* the correlated subqueries' SELECT nodes (in
                            source): scope k is subs[k - 1] */
  int table;             /* the table's placeholder; with joins, the one
                            whose partitions the block runs on */
  const char *alias;     /* the table's name in the query; NULL with
                            joins */
  int joined;            /* more than one table */
  int staged;            /* what each producer computes is a stage of
                            its own (joins, subqueries), not the combine
                            of an exchange */
  int copartitioned;     /* the tables are hashed on one key */
  int distinct_ok;       /* the rows are hashed on the DISTINCT aggregates'
                            argument */
  int *inputs;           /* the sources, the one partitioned first */
  size_t ninputs;
  int64_t broadcast_bytes;
  int wants_key;         /* rows must meet by key (windows, an aggregate
                            that does not split): hash rather than read
                            tables whole */
  json_t *groups;        /* the group expressions, resolved */
  json_t *window_keys;   /* the PARTITION BY every window shares, or
                            NULL without windows */
  json_t *aggs;          /* the aggregate calls, each once */
  json_t *order_mod;     /* the ORDER modifier, or NULL */
  json_t *orders;        /* its expressions, resolved */
  int64_t limit, offset; /* -1: none */
  int distinct, star;
  int partitions;
} sp_block;

/* Reads the tables of b->source (its FROM, and the FROMs of its
 * correlated subqueries) into b->leaves; NULL, or why the block is not
 * split. */
const char *sp_block_read_tables(sp_block *b);

/* Decides where the block's rows come from on each partition and adds
 * the stages that bring them: one table's files split, the others read
 * whole (broadcast) where the joins allow it and they are small; else
 * every table hashed on one key its joins share (co-partitioned), the
 * rest read whole. Sets b->source, b->inputs and b->staged; NULL, or
 * *why the block is not split. */
sp_status sp_block_sources(sp_block *b, const char **why, sp_error **err);

/* 1 if e, an expression of the block, is the key its tables are hashed
 * on, so that rows with one value of it are all in one partition (no
 * outer join made rows without it). */
int sp_block_on_key(const sp_block *b, const json_t *e);

/* The table column (its own spelling) that name is, or NULL. */
const char *sp_block_column(const sp_block *b, const char *name);

/* Adds stage (see sp_stages_add), with sql and note copied. */
sp_status sp_block_add_stage(sp_block *b, sp_stage *stage, const sp_buf *sql,
                             const char *note, int *out, sp_error **err);

/* The FROM of `SELECT * FROM <from text>`, parsed. */
json_t *sp_block_parse_from(const sp_block *b, const sp_buf *from,
                            sp_status *st, sp_error **err);

/* Makes every FROM of placeholder from in *tree read placeholder to. 0,
 * or -1 when out of memory. */
int sp_sql_retarget(const sp_stages *s, json_t **tree, int from, int to);

#endif
