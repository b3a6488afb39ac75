/*
 * explain.c - sp_explain: a DataFrame's plan, printed without running it.
 *
 * The node is planned into the session's task graph (as a consumer would;
 * later consumers reuse those tasks), then every task it needs is counted
 * by node and kind. Nodes that have no task of their own were fused into
 * the SQL step above them, or move no data (a union).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "util/alloc.h"
#include "util/error.h"

/* Marks in seen[] every task that the partitions' tasks need. */
static sp_status mark_needed(const sp_graph *g, const sp_task_input *parts,
                             int n, unsigned char *seen, sp_error **err)
{
  size_t *stack = sp_calloc(g->len ? g->len : 1, sizeof(*stack));
  size_t top = 0, i, j, k;
  int p;

  if (!stack)
    return sp_error_oom(err);
  for (p = 0; p < n; p++)
    for (i = 0; i < parts[p].len; i++) {
      size_t t = parts[p].refs[i].task->index;
      if (!seen[t]) {
        seen[t] = 1;
        stack[top++] = t;
      }
    }
  while (top > 0) {
    const sp_task *t = g->tasks[stack[--top]];
    for (j = 0; j < t->ninputs; j++)
      for (k = 0; k < t->inputs[j].len; k++) {
        size_t u = t->inputs[j].refs[k].task->index;
        if (!seen[u]) {
          seen[u] = 1;
          stack[top++] = u;
        }
      }
  }
  sp_free(stack);
  return SP_OK;
}

/* Marks node and every node it reads in mine[] (by id - 1). */
static void mark_nodes(const sp_node *n, unsigned char *mine)
{
  size_t i;

  if (mine[n->id - 1])
    return;
  mine[n->id - 1] = 1;
  for (i = 0; i < n->ninputs; i++)
    mark_nodes(n->inputs[i], mine);
}

/* One line about node: what it is, its partitioning. */
static void describe(const sp_node *n, sp_buf *b)
{
  static const char *const splits[] = {"files", "rows", "hash", "by",
                                       "random", "assign", "range"};
  const char *sql = n->sql;

  sp_buf_appendf(b, "#%d %s", n->id, sp_node_kind_name(n->kind));
  if (n->kind == SP_NODE_READ)
    sp_buf_appendf(b, " (%zu file%s)", n->files.len,
                   n->files.len == 1 ? "" : "s");
  if (n->kind == SP_NODE_REPARTITION) {
    sp_buf_appendf(b, " by %s%s", splits[n->split],
                   n->nested ? ", nested" : "");
    if (sp_node_moves_rows(n)) {
      sp_buf_puts(b, ": ");
      sp_node_partition_key(n, b);
    }
    if (sql)
      sp_buf_puts(b, ", combining first");
  }
  if (n->kind == SP_NODE_BATCH)
    sp_buf_appendf(b, " '%s', %lld rows a batch", n->batch_fn,
                   (long long)n->batch_size);
  if (sql) {
    size_t len = strcspn(sql, "\n");
    sp_buf_appendf(b, ": %.*s%s", (int)(len > 60 ? 60 : len), sql,
                   len > 60 || sql[len] ? " ..." : "");
  }
  sp_buf_puts(b, "\n      ");
  sp_node_describe_dims(n, b);
}

sp_status sp_explain(sp_df *df, FILE *out, sp_error **err)
{
  const sp_task_input *parts;
  unsigned char *seen = NULL, *mine = NULL;
  const sp_plan *plan;
  const sp_graph *g;
  sp_buf line = SP_BUF_INIT;
  size_t workers = 0, driver = 0, i, t;
  sp_status st;

  if (!df || !out)
    return sp_error_set(err, SP_EINVAL, "sp_explain: %s is NULL",
                        !df ? "df" : "out");
  if (df->sql_explain)
    fprintf(out, "query stages:\n%s\n", df->sql_explain);
  if ((st = sp_graph_plan(&df->session->graph, df->node, &parts, err)))
    return st;
  g = &df->session->graph;
  plan = &df->session->plan;
  seen = sp_calloc(g->len ? g->len : 1, 1);
  mine = sp_calloc(plan->len, 1);
  if (!seen || !mine) {
    st = sp_error_oom(err);
    goto out;
  }
  mark_nodes(df->node, mine);
  if ((st = mark_needed(g, parts, df->node->npartitions, seen, err)))
    goto out;
  fprintf(out, "plan of #%d, bottom up:\n", df->node->id);
  for (i = 0; i < plan->len; i++) {
    const sp_node *n = plan->nodes[i];
    size_t counts[SP_TASK_BATCH + 1] = {0}, total = 0;
    int k;
    for (t = 0; t < g->len; t++)
      if (seen[t] && g->tasks[t]->node == n) {
        counts[g->tasks[t]->kind]++;
        total++;
      }
    if (!mine[i])
      continue;
    sp_buf_reset(&line);
    describe(n, &line);
    for (k = 0; k <= SP_TASK_BATCH; k++)
      if (counts[k])
        sp_buf_appendf(&line, ", %zu %s task%s%s", counts[k],
                       sp_task_kind_name((sp_task_kind)k),
                       counts[k] == 1 ? "" : "s",
                       sp_task_kind_runs_in_worker((sp_task_kind)k)
                           ? ""
                           : " (in the driver)");
    if (total == 0)
      sp_buf_puts(&line, n->kind == SP_NODE_SQL
                             ? ", fused into the SQL step that reads it"
                             : ", no task of its own");
    if (sp_buf_oom(&line)) {
      st = sp_error_oom(err);
      goto out;
    }
    fprintf(out, "  %s\n", line.data);
  }
  for (t = 0; t < g->len; t++)
    if (seen[t])
      *(sp_task_kind_runs_in_worker(g->tasks[t]->kind) ? &workers
                                                       : &driver) += 1;
  fprintf(out, "%zu tasks for the workers, %zu in the driver; %d "
          "partition%s out\n", workers, driver, df->node->npartitions,
          df->node->npartitions == 1 ? "" : "s");
out:
  sp_buf_release(&line);
  sp_free(seen);
  sp_free(mine);
  return st;
}
