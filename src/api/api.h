/*
 * api.h - the objects behind the public handles.
 */
#ifndef SP_API_API_H
#define SP_API_API_H

#include "plan/graph.h"
#include "plan/node.h"
#include "sched/job.h"
#include "sql/tables.h"
#include "smallpond.h"
#include "util/abi.h"

struct sp_df {
  sp_session *session;
  sp_node *node;     /* owned by the session's plan */
  char *publish_dir; /* a lazy write_parquet's folder, until published */
  int publish_hive;  /* ... in <dimension>=<index>/ folders */
  json_t *sql_schema; /* sp_sql: [[name, type], ...] of the result, which
                         sp_take and sp_to_arrow give back exactly */
  char *sql_explain;  /* sp_sql: its stages, for sp_explain */
};

struct sp_session {
  int abi;         /* the SP_VERSION_NUMBER its program was built with */
  sp_job job;
  sp_plan plan;    /* every node built in this session */
  sp_graph graph;  /* every task planned in this session */
  sp_df **dfs;     /* every DataFrame handed out, freed at close */
  size_t ndfs, dfs_cap;
  sp_batch_function *fns; /* sp_config.batch_functions, names copied */
  size_t nfns;
  void **owned;           /* memory that lives as long as the session */
  size_t nowned, owned_cap;
  int64_t recomputes;     /* sp_recompute calls, to make keys anew */
  sp_sql_table *tables;   /* sp_register_table: name (owned) and the
                             DataFrame (arg) */
  size_t ntables, tables_cap;
  char *functions_cache;  /* where DuckDB's aggregates are kept, in the data
                             root, by DuckDB version */
  json_t *functions;      /* and the list, once read (sp_session_functions) */
  struct sp_progress *progress; /* sp_config.progress: the display, or NULL */
  sp_event_fn on_event;   /* sp_config.on_event */
  void *on_event_arg;
};

/* The options struct opt (of type `which`) that s's program passed, as
 * this library's struct: copied into local (a variable of that type), or
 * NULL for NULL. Every public function reads its options through this,
 * once, as a program built against an older header passes a smaller
 * struct (util/abi.h); internal callers pass this library's struct to
 * internal functions. */
#define SP_API_OPTIONS(s, which, opt, local)                                \
  sp_abi_copy((s)->abi, (which), (opt), &(local), sizeof(local))

/* The Parquet, CSV or JSON source behind sp_read_parquet, sp_read_csv and
 * sp_read_json (what names the caller in messages), with this library's
 * opt. */
sp_status sp_df_read(sp_session *s, const char *what, const char *format,
                     const char *const *paths, size_t npaths,
                     const sp_read_options *opt, sp_df **out,
                     sp_error **err);

/* Frees p (with sp_free) when the session closes; on failure frees it now
 * and returns SP_ENOMEM. */
sp_status sp_session_own(sp_session *s, void *p, sp_error **err);


/* Appends the data root to *root: given, else $SP_DATA_ROOT, else
 * ~/.smallpond/data (sp_config.data_root). Fails when given is empty or
 * nothing names one. */
sp_status sp_data_root(const char *given, sp_buf *root, sp_error **err);

/* DuckDB's aggregates and macros (sql/aggregate.h, sp_agg_catalog), read
 * once per session: *out is borrowed from s. */
sp_status sp_session_functions(sp_session *s, const json_t **out,
                               sp_error **err);

/* sp_repartition with opt->range_by set (sort.c): the RANGE node. */
sp_status sp_range_repartition(sp_df *df, int npartitions,
                               const sp_repartition_options *opt,
                               sp_node **out, sp_error **err);

/* Runs what df needs and sets *files to all of its partitions' files, in
 * order (zeroed by the caller; release it). */
sp_status sp_df_files(sp_df *df, sp_dataset *files, sp_error **err);

/* The SELECT over SP_INPUT_RAW (duck/input.h) that gives df's rows back with
 * the types its step meant: for an sp_sql result, DuckDB's (a HUGEINT
 * written as DECIMAL(38,0) is a HUGEINT again); NULL for every other. */
sp_status sp_df_shape(const sp_df *df, char **select, sp_error **err);

/* Wraps node in a new DataFrame owned by s. */
sp_status sp_df_new(sp_session *s, sp_node *node, sp_df **out,
                    sp_error **err);

#endif
