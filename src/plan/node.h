/*
 * node.h - the logical plan: a DAG of DataFrame operations.
 *
 * Nodes are immutable once added. Each carries `def_hash`, a hash of its
 * definition and of its inputs' definitions, from which task keys derive:
 * the same operations on the same input files give the same keys in every
 * run, which is what makes resume work.
 */
#ifndef SP_PLAN_NODE_H
#define SP_PLAN_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "io/glob.h"
#include "plan/dataset.h"
#include "smallpond.h"
#include "util/buf.h"

typedef enum sp_node_kind {
  SP_NODE_READ,         /* files listed at plan time; 1 partition */
  SP_NODE_REPARTITION,  /* split or hash into n partitions */
  SP_NODE_SQL,          /* one query per partition */
  SP_NODE_UNION,        /* partition i of every input, concatenated */
  SP_NODE_BATCH         /* a C function over Arrow batches per partition */
} sp_node_kind;

/* What a BATCH node's function does. */
typedef enum sp_batch_mode {
  SP_BATCH_MAP,      /* maps a batch to any rows */
  SP_BATCH_MAP_ROWS, /* maps a batch to as many rows */
  SP_BATCH_FILTER    /* chooses rows of a batch */
} sp_batch_mode;

typedef enum sp_split_kind {
  SP_SPLIT_FILES,  /* whole files, contiguous groups */
  SP_SPLIT_ROWS,   /* row ranges of near-equal size */
  SP_SPLIT_HASH,   /* rows routed by hash(columns) % n */
  SP_SPLIT_BY,     /* rows routed by an expression's value, in [0, n) */
  SP_SPLIT_RANDOM, /* rows routed at random */
  SP_SPLIT_ASSIGN, /* whole files placed by the user's C function */
  SP_SPLIT_RANGE   /* rows routed by sort key between sampled split points */
} sp_split_kind;

/* The default name of a repartition's dimension. */
#define SP_DEFAULT_DIMENSION "__data_partition__"

/* A named axis of a node's partitioning: a node is split along 0 or more
 * dimensions, and its npartitions is the product of their sizes. Partition
 * p's index along each dimension comes from p in row-major order (the last
 * dimension varies fastest). */
typedef struct sp_dim {
  char *name;
  int n;
} sp_dim;

/* How the Parquet files of a node's tasks are written. */
typedef struct sp_parquet_settings {
  char compression[16];   /* DuckDB's name, e.g. "zstd"; "": the default
                             for the files (zstd for a task's result, none
                             for a shuffle's) */
  int compression_level;  /* 0: DuckDB's default */
  int64_t row_group_size; /* rows; 0: DuckDB's default */
  int no_dictionary;
} sp_parquet_settings;

/* 1 if name is a Parquet codec smallpond lets DuckDB write: zstd, snappy,
 * gzip, lz4, brotli or uncompressed. */
int sp_parquet_codec_known(const char *name);

/* How a REPARTITION node splits. Strings are copied by the plan. */
typedef struct sp_split_spec {
  sp_split_kind kind;
  const char *const *hash_by; /* HASH: the key columns */
  size_t nhash_by;
  const char *by;             /* BY: a SQL expression over the input;
                                 RANGE: the row's sort key (a BLOB) */
  sp_assign_fn assign;        /* ASSIGN: the function, its argument and */
  void *assign_arg;           /* the name that stands for it in keys */
  const char *assign_name;
  const char *dimension;      /* NULL: SP_DEFAULT_DIMENSION */
  int nested;                 /* split each input partition, adding the
                                 dimension to the input's */
  const char *combine;        /* HASH: a template over {0} each producer
                                 runs on its input first (a partial
                                 aggregate, sql/combine.h); NULL: none */
  struct sp_node *bounds;     /* RANGE: one partition of n-1 split points,
                                 (__sp_i, __sp_bound) sorted by __sp_i; a
                                 row goes to the number of bounds <= its
                                 key (a NULL bound is above every key) */
} sp_split_spec;

typedef struct sp_node {
  int id;                  /* 1, 2, ... in creation order */
  sp_node_kind kind;
  int npartitions;          /* the product of the dimensions' sizes */
  sp_dim *dims;
  size_t ndims;
  struct sp_node **inputs; /* borrowed: the plan owns every node */
  size_t ninputs;
  uint64_t def_hash;
  uint64_t recompute;      /* 0, or a value new at each sp_recompute:
                              part of its task keys */

  sp_dataset files;        /* READ: the listed files, with their reader */
  sp_split_kind split;     /* REPARTITION */
  char **hash_by;          /* REPARTITION with SP_SPLIT_HASH */
  size_t nhash_by;
  char *by;                /* REPARTITION with SP_SPLIT_BY; RANGE: the
                              sort key (inputs[1] holds the bounds) */
  sp_assign_fn assign;     /* REPARTITION with SP_SPLIT_ASSIGN */
  void *assign_arg;
  char *sql;               /* SQL: the query template; REPARTITION: the
                              combine template, or NULL */
  int nested;              /* REPARTITION: splits each input partition */
  char *batch_fn;          /* BATCH: the function's registered name, */
  int64_t batch_size;      /* the rows per call and */
  sp_batch_mode batch_mode; /* what it does */
  int task_threads;        /* 0: the session's */
  int64_t task_memory;     /* bytes; 0: the session's */
  int64_t task_timeout_ms; /* 0: the session's */
  sp_parquet_settings parquet;
  char *hash_layout;       /* the hash its partitions follow
                              (plan/hash_layout.h), or NULL */
} sp_node;

typedef struct sp_plan {
  sp_node **nodes; /* index = id - 1 */
  size_t len, cap;
} sp_plan;

/* Records that n's partitions follow the hash layout text
 * (plan/hash_layout.h; copied, checked against n's one dimension and partition
 * count), as a read of files that recorded one, or a step that passes its
 * input's rows through, finds. */
sp_status sp_node_set_hash_layout(sp_node *n, const char *layout,
                                  sp_error **err);

/* Short name of a node kind for messages and plan.json ("read"). */
const char *sp_node_kind_name(sp_node_kind kind);

/* Adds a READ node over files (copied), read as reader says (compact JSON,
 * see plan/reader.h; NULL: Parquet with DuckDB's defaults). */
sp_status sp_plan_add_read(sp_plan *plan, const sp_file_list *files,
                           const char *reader, sp_node **out, sp_error **err);


/* Adds a REPARTITION node into n partitions along one dimension: the
 * only one, or, when nested, a new one after the input's. HASH needs at
 * least one column, BY an expression. opt (may be NULL) is checked and
 * copied, as by every sp_plan_add_* that takes one. */
sp_status sp_plan_add_repartition(sp_plan *plan, sp_node *input, int n,
                                  const sp_split_spec *spec,
                                  const sp_node_options *opt, sp_node **out,
                                  sp_error **err);

/* 1 if the node rewrites rows into new files (HASH, BY, RANDOM, RANGE), 0
 * if it only splits lists of files and row ranges. */
int sp_node_moves_rows(const sp_node *n);

/* Appends the SQL expression whose value is a row's target partition for a
 * node that moves rows: hash("a", "b") % n, (by), or floor(random() * n);
 * for RANGE, the row's sort key, which the producer places between the
 * bounds. */
void sp_node_partition_key(const sp_node *n, sp_buf *b);

/* Adds a SQL node. Checks the template's placeholders against ninputs and
 * the dimensions, and that the inputs' partitionings are compatible (see
 * sp_node_input_partition). */
sp_status sp_plan_add_sql(sp_plan *plan, const char *sql,
                          sp_node *const *inputs, size_t ninputs,
                          const sp_node_options *opt, sp_node **out,
                          sp_error **err);

/* The node's index along dimension k in its partition p. */
int sp_node_dim_index(const sp_node *n, int p, size_t k);

/* Which partition of input `in` partition p of node n reads. Inputs are
 * matched along their dimensions: the node has the dimensions of its
 * widest input, and every other input is either a single partition (given
 * whole to every partition) or partitioned along some of those dimensions,
 * with the same sizes; it then reads the partition at the same indexes. */
int sp_node_input_partition(const sp_node *n, const sp_node *in, int p);

/* Adds a BATCH node: the batch function named fn (not checked here) in
 * `mode`, over batches of batch_size rows (0: 122880), on each partition
 * of input. */
sp_status sp_plan_add_batch(sp_plan *plan, sp_node *input, const char *fn,
                            sp_batch_mode mode, int64_t batch_size,
                            const sp_node_options *opt, sp_node **out,
                            sp_error **err);

/* Adds a UNION node: inputs with the same dimensions; partition i reads
 * partition i of each input. */
sp_status sp_plan_add_union(sp_plan *plan, sp_node *const *inputs,
                            size_t ninputs, sp_node **out, sp_error **err);

/* 1 if every file in the node's partitions was written by one of its own
 * tasks (SQL or BATCH), so it carries the partition's key-value metadata
 * and all have the node's columns. Not a union's: its inputs' files may
 * have different columns, which a copy unites by name. */
int sp_node_writes_files(const sp_node *n);

/* Appends the partitioning for messages: "12 partitions along d1 (4) x
 * d2 (3)", or "1 partition". */
void sp_node_describe_dims(const sp_node *n, sp_buf *b);

/* Appends a short name of the node's step for a person watching it run:
 * "read_parquet /lake/orders.parquet" (several files: their common folder,
 * a star and their common extension, and how many),
 * "repartition 8 hash(ticker)", "sql SELECT ..." (at most 60 characters
 * of the query, on one line). */
void sp_node_title(const sp_node *n, sp_buf *b);

void sp_plan_release(sp_plan *plan);

#endif
