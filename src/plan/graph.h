/*
 * graph.h - the planner: logical nodes x partitions -> a graph of tasks.
 *
 * A session keeps one graph and plans nodes into it on demand; planning a
 * node twice returns the same tasks (memoized by node id). Task keys are
 * deterministic (DESIGN.md section 6): a hash of the node's definition, the
 * task's kind and index, and the keys of the tasks it reads.
 */
#ifndef SP_PLAN_GRAPH_H
#define SP_PLAN_GRAPH_H

#include <jansson.h>

#include "plan/node.h"

typedef enum sp_task_kind {
  SP_TASK_SOURCE,      /* driver: the node's listed files; runs nothing */
  SP_TASK_SPLIT_FILES, /* driver: splits its input by whole files */
  SP_TASK_SPLIT_ROWS,  /* worker: reads row counts, splits into row ranges */
  SP_TASK_SHUFFLE,     /* worker: producer of a hash/by/random repartition,
                          one output per target partition */
  SP_TASK_SQL,         /* worker: runs the node's query on one partition */
  SP_TASK_COUNT,       /* worker: counts the rows of its input */
  SP_TASK_ASSIGN,      /* driver: splits files by the user's C function */
  SP_TASK_BATCH        /* worker: runs a batch function on one partition */
} sp_task_kind;

#define SP_TASK_KEY_LEN 16

struct sp_task;

/* Output `slot` of `task`. */
typedef struct sp_task_ref {
  struct sp_task *task;
  int slot;
} sp_task_ref;

/* The data one view of a task reads: the concatenation of task outputs. A
 * node's partition is one of these. */
typedef struct sp_task_input {
  sp_task_ref *refs;
  size_t len, cap;
} sp_task_input;

typedef struct sp_task {
  size_t index;                       /* position in the graph */
  char key[SP_TASK_KEY_LEN + 1];
  sp_task_kind kind;
  const sp_node *node;                /* NULL for COUNT tasks */
  int partition;                      /* index among the node's tasks */
  int nslots;                         /* number of output datasets */
  sp_task_input *inputs;              /* one per view {0}, {1}, ... */
  size_t ninputs;
  char *sql;                          /* SQL: the query when it differs from
                                         the node's (fused), else NULL */
  int task_threads;                   /* 0: the session's; the largest of */
  int64_t task_memory;                /* the fused nodes' */
  int64_t task_timeout_ms;
} sp_task;

/* A planned node's partitions (memo entry). */
typedef struct sp_node_parts {
  sp_task_input *parts; /* NULL while the node is not planned */
  int n;
} sp_node_parts;

typedef struct sp_graph {
  sp_task **tasks;
  size_t len, cap;
  sp_node_parts *node_parts; /* by node id - 1 */
  size_t nnode_parts;
  int workers;                /* sizes the number of hash producers */
  const char *engine;         /* the SQL engine's version, part of every
                                 key: hash() differs between versions */
} sp_graph;

/* Forgets how node and every node computed from it (in plan) were
 * planned, so the next sp_graph_plan plans them anew: with a new
 * node->recompute, under new task keys. Their old tasks stay in the
 * graph, unreferenced. */
sp_status sp_graph_forget(sp_graph *g, const sp_plan *plan,
                          const sp_node *node, sp_error **err);

/* 1 once n is planned in g: its tasks' results may exist, so a rewrite
 * that plans other tasks in its place would forgo them. */
int sp_graph_node_planned(const sp_graph *g, const sp_node *n);

/* Short name of a task kind ("sql", "hash", ...). */
const char *sp_task_kind_name(sp_task_kind kind);

/* 1 if tasks of this kind run in a worker, 0 if the driver does them. */
int sp_task_kind_runs_in_worker(sp_task_kind kind);

/* Plans node and everything it reads. *parts receives the node's
 * node->npartitions partitions (borrowed from the graph).
 *
 * Optimizer: a SQL node that reads one SQL node not planned yet is fused
 * with it: one task per partition runs the outer query over the inner one
 * as a subquery, reading the inner node's inputs. The inner node is left
 * unfused when its text has ';' or the word ORDER (DuckDB need not keep a
 * subquery's order, and fusing must not change results).
 *
 * A repartition that moves rows (hash, by, random) runs one producer per
 * input partition; over a single
 * input partition it first splits the files among
 * min(2 * workers, number of files) producers, so producers run in
 * parallel without making more (producers x partitions) files than the
 * workers can use. */
sp_status sp_graph_plan(sp_graph *g, const sp_node *node,
                        const sp_task_input **parts, sp_error **err);

/* The number of pieces a one-partition input is read in by the producers
 * of a repartition: min(2 * workers, number of files) for a file source,
 * else 1 (see sp_graph_plan). */
int sp_graph_read_pieces(const sp_graph *g, const sp_node *in);

/* Adds a COUNT task over one partition. */
sp_status sp_graph_add_count(sp_graph *g, const sp_task_input *part,
                             sp_task **out, sp_error **err);

/* The graph as JSON for plan.json: nodes and tasks with their inputs. */
json_t *sp_graph_to_json(const sp_graph *g, const sp_plan *plan);

void sp_graph_release(sp_graph *g);

#endif
