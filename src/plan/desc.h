/*
 * desc.h - the messages between driver and workers (DESIGN.md section 5).
 *
 * A descriptor tells a worker everything it needs to run one attempt of a
 * task: its inputs already resolved to files and row ranges, where to write,
 * and its resource limits. A result reports the attempt's outputs (absolute
 * paths: under its staging path for the files it wrote, until the driver
 * commits them), row counts and the error if it failed. Both travel as
 * JSON.
 */
#ifndef SP_PLAN_DESC_H
#define SP_PLAN_DESC_H

#include <jansson.h>
#include <stdint.h>

#include "plan/dataset.h"
#include "plan/graph.h"

typedef struct sp_task_desc {
  sp_task_kind kind;
  const char *key;
  int attempt;
  int partition;
  int nslots;             /* outputs to produce */
  const char *out;        /* where the attempt writes: <out>.parquet, or
                             the folder <out>/ (io/layout.h) */
  const char *tmp_dir;    /* DuckDB spill folder */
  int threads;            /* DuckDB threads */
  int64_t memory_limit;   /* bytes */
  uint64_t seed;          /* for DuckDB's random() */
  sp_dataset *inputs;     /* one dataset per view */
  size_t ninputs;
  const char *sql;        /* SQL: the query template */
  const char *partition_key; /* SHUFFLE: SQL expression giving each row's
                                target partition; with range, the row's
                                sort key */
  int range;              /* SHUFFLE: input {1} holds the split points
                             (plan/node.h, SP_SPLIT_RANGE) */
  sp_parquet_settings parquet; /* how to write Parquet */
  const char *batch_fn;   /* BATCH: the function's name, rows per call */
  int64_t batch_size;     /* and what it does (an sp_batch_mode) */
  int batch_mode;
  const char **dim_names;  /* SQL, BATCH: the partition's index along each */
  int *dim_index;          /* dimension (arrays owned, names borrowed) */
  size_t ndims;
  const char *hash_layout; /* SQL, BATCH: the hash layout the output keeps
                              (plan/hash_layout.h), or NULL */
} sp_task_desc;

typedef struct sp_task_result {
  char *key;
  int attempt;
  sp_status status;       /* SP_OK when the attempt succeeded */
  sp_dataset *outputs;    /* noutputs datasets */
  int noutputs;
  int64_t rows;           /* rows written, or counted by a COUNT task */
  int64_t elapsed_us;
  char *error;            /* message when status != SP_OK */
  char *error_sql;        /* the SQL that failed, if any */
} sp_task_result;

json_t *sp_task_desc_to_json(const sp_task_desc *d);

/* Decodes j into *d. Strings in *d are borrowed from j, which must outlive
 * it; the datasets and arrays are owned (sp_task_desc_release). */
sp_status sp_task_desc_from_json(json_t *j, sp_task_desc *d,
                                 sp_error **err);
void sp_task_desc_release(sp_task_desc *d);

json_t *sp_task_result_to_json(const sp_task_result *r);
/* Decodes j into *r; everything in *r is owned (sp_task_result_release). */
sp_status sp_task_result_from_json(json_t *j, sp_task_result *r,
                                   sp_error **err);
void sp_task_result_release(sp_task_result *r);

/* The task kind named s, or -1. */
int sp_task_kind_from_name(const char *s);

#endif
