/*
 * consume.c - the consumers: they plan a DataFrame's node into the
 * session's task graph, run it, and use the outputs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "duck/arrow_out.h"
#include "duck/input.h"
#include "duck/rows.h"
#include "io/fs.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/hash.h"

/* Plans the nodes and runs, in one go, every task their partitions read. */
static sp_status run_nodes(sp_session *s, const sp_node *const *nodes,
                           size_t nnodes, sp_error **err)
{
  const sp_task_input *parts;
  sp_task **targets = NULL;
  size_t n = 0, cap = 0, i, k;
  sp_status st = SP_OK;
  int p;

  for (k = 0; k < nnodes && st == SP_OK; k++) {
    if ((st = sp_graph_plan(&s->graph, nodes[k], &parts, err)) != SP_OK)
      break;
    for (p = 0; p < nodes[k]->npartitions; p++)
      for (i = 0; i < parts[p].len; i++) {
        if (sp_grow((void **)&targets, &cap, n + 1, sizeof(*targets))) {
          sp_free(targets);
          return sp_error_oom(err);
        }
        targets[n++] = parts[p].refs[i].task;
      }
  }
  if (st == SP_OK)
    st = sp_job_run(&s->job, &s->graph, &s->plan, targets, n, err);
  sp_free(targets);
  return st;
}

/* Plans node, runs what it needs, and returns its partitions. */
static sp_status run_node(sp_session *s, const sp_node *node,
                          const sp_task_input **parts, sp_error **err)
{
  sp_status st = run_nodes(s, &node, 1, err);

  return st ? st : sp_graph_plan(&s->graph, node, parts, err);
}

/* A SQL node "SELECT * FROM {0}<suffix>" over node. */
static sp_status add_select(sp_session *s, sp_node *node, const char *suffix,
                            const sp_node_options *opt, sp_node **out,
                            sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  sp_status st;

  sp_buf_appendf(&sql, "SELECT * FROM {0}%s", suffix);
  st = sp_buf_oom(&sql) ? sp_error_oom(err)
                        : sp_plan_add_sql(&s->plan, sql.data, &node, 1, opt,
                                          out, err);
  sp_buf_release(&sql);
  return st;
}

/* The folder of partition p's files under staging: staging itself, or
 * with hive staging/<dimension>=<index>/... (created). */
static sp_status partition_dir(const sp_node *node, int p, int hive,
                               const char *staging, sp_buf *dir,
                               sp_error **err)
{
  size_t k;

  sp_buf_reset(dir);
  sp_buf_puts(dir, staging);
  for (k = 0; hive && k < node->ndims; k++)
    sp_buf_appendf(dir, "/%s=%d", node->dims[k].name,
                   sp_node_dim_index(node, p, k));
  if (sp_buf_oom(dir))
    return sp_error_oom(err);
  return hive ? sp_mkdir_p(dir->data, err) : SP_OK;
}

/* Links the files of every partition into staging, named so that lexical
 * order is partition order. Empty files are left out, except that at least
 * one file is written so the result keeps its schema. */
static sp_status link_outputs(sp_session *s, const sp_node *node,
                              const sp_task_input *parts, int hive,
                              const char *staging, size_t *nfiles,
                              sp_error **err)
{
  sp_buf dst = SP_BUF_INIT, dir = SP_BUF_INIT, data = SP_BUF_INIT;
  sp_dataset d = {0};
  char *fallback = NULL, *real = NULL;
  sp_status st = SP_OK;
  int p;

  *nfiles = 0;
  sp_layout_file(&s->job.layout, &data, "data");
  if (sp_buf_oom(&data))
    st = sp_error_oom(err);
  for (p = 0; p < node->npartitions && st == SP_OK; p++) {
    size_t i, kept = 0;
    sp_dataset_release(&d);
    if ((st = sp_job_resolve(&s->job, &parts[p], &d, err)) != SP_OK)
      break;
    for (i = 0; i < d.len && st == SP_OK; i++) {
      const sp_piece *piece = &d.pieces[i];
      sp_free(real);
      real = NULL;
      /* Only the job's own files are ever published, links resolved. */
      if (piece->user ||
          sp_path_check_inside(piece->path, data.data, &real, err)) {
        sp_error_free(err);
        st = sp_error_set(err, SP_EINTERNAL, "publish: %s is not a file of "
                          "the job", piece->path);
        break;
      }
      if (piece->rows == 0) {
        if (!fallback) {
          fallback = real;
          real = NULL;
        }
        continue;
      }
      if (kept == 0 &&
          (st = partition_dir(node, p, hive, staging, &dir, err)) != SP_OK)
        break;
      sp_buf_reset(&dst);
      sp_buf_appendf(&dst, "%s/part-%05d-%03zu.parquet", dir.data, p, kept++);
      st = sp_buf_oom(&dst) ? sp_error_oom(err)
                            : sp_link_or_copy(real, dst.data, err);
    }
    *nfiles += kept;
  }
  if (st == SP_OK && *nfiles == 0 && fallback &&
      (st = partition_dir(node, 0, hive, staging, &dir, err)) == SP_OK) {
    sp_buf_reset(&dst);
    sp_buf_appendf(&dst, "%s/part-00000-000.parquet", dir.data);
    st = sp_buf_oom(&dst) ? sp_error_oom(err)
                          : sp_link_or_copy(fallback, dst.data, err);
    *nfiles = 1;
  }
  sp_free(fallback);
  sp_free(real);
  sp_dataset_release(&d);
  sp_buf_release(&dst);
  sp_buf_release(&dir);
  sp_buf_release(&data);
  return st;
}

/* Publishes the outputs into dir, all at once. A new folder is written
 * beside it and renamed into place. An existing empty folder (or a link to
 * one) stays the user's, with its mode, owner and ACL: the files are
 * written into a hidden folder inside it, then moved up. */
static sp_status publish(sp_session *s, const sp_node *node,
                         const sp_task_input *parts, const char *dir,
                         int hive, sp_error **err)
{
  sp_buf parent = SP_BUF_INIT, base = SP_BUF_INIT, staging = SP_BUF_INIT;
  size_t nfiles = 0, n;
  struct stat sb;
  sp_status st;
  int has, existing = stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);

  sp_path_split(dir, &parent, &base);
  if (existing)
    sp_buf_appendf(&staging, "%s/.sp-%s.tmp", dir, s->job.job_id);
  else
    sp_buf_appendf(&staging, "%s/.%s.sp-%s.tmp", parent.data, base.data,
                   s->job.job_id);
  if (sp_buf_oom(&parent) || sp_buf_oom(&base) || sp_buf_oom(&staging)) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_mkdir_p(parent.data, err)) != SP_OK ||
      (st = sp_rm_rf(staging.data, err)) != SP_OK ||
      (st = sp_mkdir_p(staging.data, err)) != SP_OK)
    goto out;
  st = link_outputs(s, node, parts, hive, staging.data, &nfiles, err);
  if (st != SP_OK)
    goto out_drop;
  /* Checked again: another writer may have filled dir meanwhile. */
  if (existing) {
    if ((st = sp_dir_count(dir, 2, &n, err)) == SP_OK && n != 1)
      st = sp_error_set(err, SP_EEXIST, "output folder %s is not empty", dir);
    if (st == SP_OK &&
        (st = sp_move_entries(staging.data, dir, err)) == SP_OK &&
        rmdir(staging.data) != 0) /* the output is in place all the same */
      SP_LOG(&s->job.log, SP_LOG_WARN, "cannot remove %s: %s", staging.data,
             strerror(errno));
  } else {
    if ((st = sp_dir_has_entries(dir, &has, err)) == SP_OK && has)
      st = sp_error_set(err, SP_EEXIST, "output folder %s is not empty", dir);
    if (st == SP_OK && rename(staging.data, dir) != 0)
      st = sp_error_set(err, SP_EIO, "cannot rename %s to %s: %s",
                        staging.data, dir, strerror(errno));
  }
out_drop:
  if (st != SP_OK) {
    sp_rm_rf(staging.data, NULL);
  } else {
    char *real = NULL;
    SP_LOG(&s->job.log, SP_LOG_INFO, "wrote %zu files to %s", nfiles, dir);
    sp_job_note_output(&s->job, sp_realpath(dir, &real, NULL) == SP_OK
                                    ? real
                                    : dir);
    sp_free(real);
  }
out:
  sp_buf_release(&parent);
  sp_buf_release(&base);
  sp_buf_release(&staging);
  return st;
}

sp_status sp_write_parquet_lazy(sp_df *df, const char *dir,
                                const sp_node_options *opt, sp_df **out,
                                sp_error **err)
{
  sp_node_options step;
  sp_node *node;
  sp_status st;
  int hive;

  if (!df || !dir || !*dir || !out)
    return sp_error_set(err, SP_EINVAL, "sp_write_parquet: %s",
                        !df    ? "df is NULL"
                        : !dir ? "dir is NULL"
                        : !*dir ? "dir is empty"
                               : "out is NULL");
  /* The step that writes the files takes the Parquet settings; the hive
   * folders are the publishing's. */
  SP_API_OPTIONS(df->session, SP_ABI_NODE_OPTIONS, opt, step);
  hive = step.hive != 0;
  step.hive = 0;
  if (hive && df->node->ndims == 0)
    return sp_error_set(err, SP_EINVAL, "write_parquet: hive folders need a "
                        "partitioned DataFrame; repartition it first");
  /* Fail before the job runs, not after. */
  if ((st = sp_check_output_dir(dir, err)) != SP_OK)
    return st;
  node = df->node;
  /* Sources, splits and shuffles: files that are the user's, or that lack
   * the partition's metadata; write files of our own. Also when the
   * Parquet settings are the caller's. */
  if ((!sp_node_writes_files(node) || step.compression ||
       step.compression_level || step.row_group_size || step.no_dictionary) &&
      (st = add_select(df->session, node, "", &step, &node, err)) != SP_OK) {
    sp_error_prefix(err, "write_parquet");
    return st;
  }
  /* The rows as they are: each file records the hash they follow. */
  if (node != df->node && df->node->hash_layout &&
      (st = sp_node_set_hash_layout(node, df->node->hash_layout, err)) != SP_OK)
    return st;
  if ((st = sp_df_new(df->session, node, out, err)) != SP_OK)
    return st;
  (*out)->publish_hive = hive;
  if (!((*out)->publish_dir = sp_strdup(dir)))
    return sp_error_oom(err);
  return SP_OK;
}

sp_status sp_recompute(sp_df *df, sp_error **err)
{
  if (!df)
    return sp_error_set(err, SP_EINVAL, "sp_recompute: df is NULL");
  /* New keys, never seen before: not in state.jsonl of any run. */
  df->node->recompute = sp_hash_mix(sp_hash_i64(
      sp_hash_i64(sp_hash_i64(SP_HASH_INIT, sp_wall_ms()), (int64_t)getpid()),
      (int64_t)++df->session->recomputes)) | 1;
  return sp_graph_forget(&df->session->graph, &df->session->plan, df->node,
                         err);
}

sp_status sp_compute(sp_df *const *dfs, size_t n, sp_error **err)
{
  const sp_node **nodes;
  const sp_task_input *parts;
  sp_status st = SP_OK;
  size_t i;

  if (!dfs || !n)
    return sp_error_set(err, SP_EINVAL, "sp_compute: %s",
                        n ? "dfs is NULL" : "n is 0: no DataFrame");
  for (i = 0; i < n; i++)
    if (!dfs[i] || dfs[i]->session != dfs[0]->session)
      return sp_error_set(err, SP_EINVAL, "sp_compute: DataFrame %zu is NULL "
                          "or belongs to another session", i);
  /* Two outputs into one folder: the second would fail after the run. */
  for (i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (dfs[i]->publish_dir && dfs[j]->publish_dir &&
          strcmp(dfs[i]->publish_dir, dfs[j]->publish_dir) == 0)
        return sp_error_set(err, SP_EINVAL, "sp_compute: DataFrames %zu and "
                            "%zu both write into %s", i, j,
                            dfs[i]->publish_dir);
  if (!(nodes = sp_calloc(n, sizeof(*nodes))))
    return sp_error_oom(err);
  for (i = 0; i < n; i++)
    nodes[i] = dfs[i]->node;
  st = run_nodes(dfs[0]->session, nodes, n, err);
  sp_free(nodes);
  for (i = 0; i < n && st == SP_OK; i++) {
    sp_df *df = dfs[i];
    if (!df->publish_dir)
      continue;
    st = sp_graph_plan(&df->session->graph, df->node, &parts, err);
    if (st == SP_OK)
      st = publish(df->session, df->node, parts, df->publish_dir,
                   df->publish_hive, err);
    if (st == SP_OK) {
      sp_free(df->publish_dir);
      df->publish_dir = NULL;
    }
  }
  return sp_job_finish(&dfs[0]->session->job, st, err);
}

sp_status sp_write_parquet(sp_df *df, const char *dir,
                           const sp_node_options *opt, sp_error **err)
{
  sp_df *lazy = NULL;
  sp_status st = sp_write_parquet_lazy(df, dir, opt, &lazy, err);

  return st ? st : sp_compute(&lazy, 1, err);
}

sp_status sp_count(sp_df *df, int64_t *out, sp_error **err)
{
  const sp_task_input *parts;
  sp_session *s;
  sp_task **counts = NULL;
  sp_dataset d = {0};
  int64_t total = 0;
  sp_status st;
  int p, n;

  if (!df || !out)
    return sp_error_set(err, SP_EINVAL, "sp_count: %s is NULL",
                        !df ? "df" : "out");
  s = df->session;
  n = df->node->npartitions;
  if ((st = run_node(s, df->node, &parts, err)) != SP_OK)
    return st;
  if (!(counts = sp_calloc((size_t)n, sizeof(*counts))))
    return sp_job_finish(&s->job, sp_error_oom(err), err);
  /* Outputs of SQL tasks and producers know their rows; count the rest. */
  for (p = 0; p < n && st == SP_OK; p++) {
    int64_t rows;
    sp_dataset_release(&d);
    if ((st = sp_job_resolve(&s->job, &parts[p], &d, err)) != SP_OK)
      break;
    rows = sp_dataset_rows(&d);
    if (rows >= 0)
      total += rows;
    else
      st = sp_graph_add_count(&s->graph, &parts[p], &counts[p], err);
  }
  sp_dataset_release(&d);
  if (st == SP_OK) {
    sp_task **targets = counts;
    size_t nt = 0;
    for (p = 0; p < n; p++)
      if (counts[p])
        targets[nt++] = counts[p];
    if (nt)
      st = sp_job_run(&s->job, &s->graph, &s->plan, targets, nt, err);
    for (p = 0; p < (int)nt && st == SP_OK; p++)
      total += sp_job_task(&s->job, targets[p])->rows;
  }
  sp_free(counts);
  if (st == SP_OK)
    *out = total;
  return sp_job_finish(&s->job, st, err);
}

sp_status sp_df_files(sp_df *df, sp_dataset *files, sp_error **err)
{
  const sp_task_input *parts;
  sp_status st;
  int p;

  /* A source's files are its node's: listing them needs no run. */
  if (df->node->kind == SP_NODE_READ)
    return sp_dataset_extend(files, &df->node->files, err);
  if ((st = run_node(df->session, df->node, &parts, err)) != SP_OK)
    return sp_job_finish(&df->session->job, st, err);
  for (p = 0; p < df->node->npartitions && st == SP_OK; p++)
    st = sp_job_resolve(&df->session->job, &parts[p], files, err);
  return sp_job_finish(&df->session->job, st, err);
}

sp_status sp_df_shape(const sp_df *df, char **select, sp_error **err)
{
  sp_buf b = SP_BUF_INIT;
  size_t i;
  json_t *c;

  *select = NULL;
  if (!df->sql_schema)
    return SP_OK;
  /* By position: names may repeat. The types were written without loss
   * (DECIMAL(38,0) for HUGEINT), so the casts restore them exactly. */
  sp_buf_puts(&b, "SELECT ");
  json_array_foreach(df->sql_schema, i, c) {
    sp_buf_appendf(&b, "%sCAST(\"c%zu\" AS %s) AS ", i ? ", " : "", i,
                   json_string_value(json_array_get(c, 1)));
    sp_buf_append_ident(&b, json_string_value(json_array_get(c, 0)));
  }
  sp_buf_puts(&b, " FROM " SP_INPUT_RAW " AS \"__sp_typed\"(");
  json_array_foreach(df->sql_schema, i, c)
    sp_buf_appendf(&b, "%s\"c%zu\"", i ? ", " : "", i);
  sp_buf_putc(&b, ')');
  if (!(*select = sp_buf_detach(&b)))
    return sp_error_oom(err);
  return SP_OK;
}

/* Reads up to n rows of node's partitions, in order, typed as df's. */
static sp_status read_rows(const sp_df *df, const sp_node *node,
                           const sp_task_input *parts, int64_t n,
                           sp_rows **out, sp_error **err)
{
  sp_dataset all = {0};
  char *shape = NULL;
  sp_status st;
  int p;

  st = sp_df_shape(df, &shape, err);
  for (p = 0; p < node->npartitions && st == SP_OK; p++)
    st = sp_job_resolve(&df->session->job, &parts[p], &all, err);
  if (st == SP_OK)
    st = sp_rows_read(&all, n, shape, out, err);
  sp_dataset_release(&all);
  sp_free(shape);
  return st;
}

sp_status sp_to_arrow(sp_df *df, struct ArrowArrayStream *out,
                      sp_error **err)
{
  const sp_task_input *parts;
  sp_dataset all = {0};
  char *shape = NULL;
  sp_status st;
  int p;

  if (!df || !out)
    return sp_error_set(err, SP_EINVAL, "sp_to_arrow: %s is NULL",
                        !df ? "df" : "out");
  if ((st = run_node(df->session, df->node, &parts, err)) != SP_OK)
    return st;
  st = sp_df_shape(df, &shape, err);
  for (p = 0; p < df->node->npartitions && st == SP_OK; p++)
    st = sp_job_resolve(&df->session->job, &parts[p], &all, err);
  if (st == SP_OK)
    st = sp_arrow_stream_open(&all, shape, out, err);
  sp_dataset_release(&all);
  sp_free(shape);
  return sp_job_finish(&df->session->job, st, err);
}

sp_status sp_take_all(sp_df *df, sp_rows **out, sp_error **err)
{
  const sp_task_input *parts;
  sp_status st;

  if (!df || !out)
    return sp_error_set(err, SP_EINVAL, "sp_take_all: %s is NULL",
                        !df ? "df" : "out");
  *out = NULL;
  if ((st = run_node(df->session, df->node, &parts, err)) != SP_OK)
    return sp_job_finish(&df->session->job, st, err);
  st = read_rows(df, df->node, parts, INT64_MAX, out, err);
  return sp_job_finish(&df->session->job, st, err);
}

sp_status sp_take(sp_df *df, int64_t n, sp_rows **out, sp_error **err)
{
  const sp_task_input *parts;
  sp_session *s;
  sp_node *limited;
  char suffix[48];
  sp_status st;

  if (!df || !out)
    return sp_error_set(err, SP_EINVAL, "sp_take: %s is NULL",
                        !df ? "df" : "out");
  if (n < 0)
    return sp_error_set(err, SP_EINVAL, "take: n must not be negative");
  *out = NULL;
  s = df->session;
  /* Each partition computes only its first n rows. */
  snprintf(suffix, sizeof(suffix), " LIMIT %lld", (long long)n);
  if ((st = add_select(s, df->node, suffix, NULL, &limited, err)) == SP_OK &&
      (st = run_node(s, limited, &parts, err)) == SP_OK)
    st = read_rows(df, limited, parts, n, out, err);
  return sp_job_finish(&s->job, st, err);
}
