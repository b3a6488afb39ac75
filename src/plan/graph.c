/*
 * graph.c - the planner (see graph.h).
 */
#include "plan/graph.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "plan/template.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"

const char *sp_task_kind_name(sp_task_kind kind)
{
  switch (kind) {
  case SP_TASK_SOURCE: return "source";
  case SP_TASK_SPLIT_FILES: return "split_files";
  case SP_TASK_SPLIT_ROWS: return "split_rows";
  case SP_TASK_SHUFFLE: return "shuffle";
  case SP_TASK_SQL: return "sql";
  case SP_TASK_COUNT: return "count";
  case SP_TASK_ASSIGN: return "assign";
  case SP_TASK_BATCH: return "batch";
  }
  return "?";
}

int sp_task_kind_runs_in_worker(sp_task_kind kind)
{
  return kind != SP_TASK_SOURCE && kind != SP_TASK_SPLIT_FILES &&
         kind != SP_TASK_ASSIGN;
}

static sp_status input_add(sp_task_input *in, sp_task *task, int slot,
                           sp_error **err)
{
  if (sp_grow((void **)&in->refs, &in->cap, in->len + 1, sizeof(*in->refs)))
    return sp_error_oom(err);
  in->refs[in->len].task = task;
  in->refs[in->len].slot = slot;
  in->len++;
  return SP_OK;
}

static sp_status input_extend(sp_task_input *in, const sp_task_input *src,
                              sp_error **err)
{
  size_t i;
  sp_status st;

  for (i = 0; i < src->len; i++)
    if ((st = input_add(in, src->refs[i].task, src->refs[i].slot, err)))
      return st;
  return SP_OK;
}

static void input_release(sp_task_input *in)
{
  sp_free(in->refs);
  memset(in, 0, sizeof(*in));
}

static void task_free(sp_task *t)
{
  size_t i;

  if (!t)
    return;
  for (i = 0; i < t->ninputs; i++)
    input_release(&t->inputs[i]);
  sp_free(t->inputs);
  sp_free(t->sql);
  sp_free(t);
}

/* A new task with ninputs empty views, not yet in the graph. */
static sp_task *task_new(sp_task_kind kind, const sp_node *node, int partition,
                         int nslots, size_t ninputs)
{
  sp_task *t = sp_calloc(1, sizeof(*t));

  if (!t)
    return NULL;
  if (ninputs && !(t->inputs = sp_calloc(ninputs, sizeof(*t->inputs)))) {
    sp_free(t);
    return NULL;
  }
  t->kind = kind;
  t->node = node;
  if (node) {
    t->task_threads = node->task_threads;
    t->task_memory = node->task_memory;
    t->task_timeout_ms = node->task_timeout_ms;
  }
  t->partition = partition;
  t->nslots = nslots;
  t->ninputs = ninputs;
  return t;
}

/* Computes the task's key and appends it to the graph; on failure frees t. */
static sp_status graph_push(sp_graph *g, sp_task *t, sp_error **err)
{
  uint64_t h = sp_hash_str(SP_HASH_INIT, sp_task_kind_name(t->kind));
  size_t i, j;

  h = sp_hash_str(h, g->engine ? g->engine : "");
  h = sp_hash_i64(h, t->node ? (int64_t)t->node->def_hash : 0);
  if (t->node && t->node->recompute) /* keys stay as they were without */
    h = sp_hash_i64(h, (int64_t)t->node->recompute);
  h = sp_hash_i64(h, t->partition);
  h = sp_hash_i64(h, t->nslots);
  h = sp_hash_str(h, t->sql ? t->sql : "");
  for (i = 0; i < t->ninputs; i++) {
    h = sp_hash_i64(h, (int64_t)t->inputs[i].len);
    for (j = 0; j < t->inputs[i].len; j++) {
      h = sp_hash_str(h, t->inputs[i].refs[j].task->key);
      h = sp_hash_i64(h, t->inputs[i].refs[j].slot);
    }
  }
  snprintf(t->key, sizeof(t->key), "%016" PRIx64, h);
  if (sp_grow((void **)&g->tasks, &g->cap, g->len + 1, sizeof(*g->tasks))) {
    task_free(t);
    return sp_error_oom(err);
  }
  t->index = g->len;
  g->tasks[g->len++] = t;
  return SP_OK;
}

/* Every partition of a node with a single input task: slot s of task. */
static sp_status parts_from_slots(sp_task_input *parts, int n, sp_task *task,
                                  sp_error **err)
{
  sp_status st;
  int i;

  for (i = 0; i < n; i++)
    if ((st = input_add(&parts[i], task, i, err)) != SP_OK)
      return st;
  return SP_OK;
}

/* Adds a task of `kind` reading all of `in` and returns it in *out. */
static sp_status add_task_over(sp_graph *g, sp_task_kind kind,
                               const sp_node *node, int partition, int nslots,
                               const sp_task_input *in, sp_task **out,
                               sp_error **err)
{
  sp_task *t = task_new(kind, node, partition, nslots, in ? 1 : 0);
  sp_status st;

  if (!t)
    return sp_error_oom(err);
  if (in && (st = input_extend(&t->inputs[0], in, err)) != SP_OK) {
    task_free(t);
    return st;
  }
  if ((st = graph_push(g, t, err)) != SP_OK)
    return st;
  *out = t;
  return SP_OK;
}

/* The whole of a node's output as one input: every partition, in order. */
static sp_status concat_parts(const sp_task_input *parts, int n,
                              sp_task_input *out, sp_error **err)
{
  sp_status st;
  int i;

  for (i = 0; i < n; i++)
    if ((st = input_extend(out, &parts[i], err)) != SP_OK)
      return st;
  return SP_OK;
}

static sp_status plan_read(sp_graph *g, const sp_node *node,
                                   sp_task_input *parts, sp_error **err)
{
  sp_task *t = NULL;
  sp_status st = add_task_over(g, SP_TASK_SOURCE, node, 0, 1, NULL, &t, err);

  return st ? st : parts_from_slots(parts, 1, t, err);
}

int sp_graph_read_pieces(const sp_graph *g, const sp_node *in)
{
  int files = in->kind == SP_NODE_READ ? (int)in->files.len : 1;
  int pieces = 2 * (g->workers > 0 ? g->workers : 1);

  return pieces < files ? pieces : files;
}

static sp_status plan_shuffle(sp_graph *g, const sp_node *node,
                           const sp_task_input *in_parts, int m,
                           sp_task_input *parts, sp_error **err)
{
  const sp_node *in = node->inputs[0];
  const sp_task_input *bounds = NULL;
  sp_task *split = NULL;
  sp_status st = SP_OK;
  int producers = m, j, i;

  /* A range producer reads the split points as its second input. */
  if (node->split == SP_SPLIT_RANGE &&
      (st = sp_graph_plan(g, node->inputs[1], &bounds, err)) != SP_OK)
    return st;

  if (m == 1) {
    /* One input partition: split its files so producers run in parallel. */
    producers = sp_graph_read_pieces(g, in);
    if (producers > 1)
      st = add_task_over(g, SP_TASK_SPLIT_FILES, node, 0, producers,
                         &in_parts[0], &split, err);
  }
  for (j = 0; j < producers && st == SP_OK; j++) {
    sp_task *p = task_new(SP_TASK_SHUFFLE, node, j, node->npartitions,
                          bounds ? 2 : 1);
    if (!p)
      return sp_error_oom(err);
    st = split ? input_add(&p->inputs[0], split, j, err)
               : input_extend(&p->inputs[0], &in_parts[j], err);
    if (st == SP_OK && bounds)
      st = input_extend(&p->inputs[1], &bounds[0], err);
    if (st != SP_OK) {
      task_free(p);
      break;
    }
    if ((st = graph_push(g, p, err)) != SP_OK)
      break;
    for (i = 0; i < node->npartitions && st == SP_OK; i++)
      st = input_add(&parts[i], p, i, err);
  }
  return st;
}

/* A nested repartition: each input partition p is split on its own, into
 * the node's partitions p * k .. p * k + k - 1. */
static sp_status plan_nested(sp_graph *g, const sp_node *node,
                             const sp_task_input *in_parts, int m,
                             sp_task_input *parts, sp_error **err)
{
  int k = node->dims[node->ndims - 1].n, p;
  sp_task_kind kind = sp_node_moves_rows(node) ? SP_TASK_SHUFFLE
                      : node->split == SP_SPLIT_ROWS ? SP_TASK_SPLIT_ROWS
                      : node->split == SP_SPLIT_ASSIGN ? SP_TASK_ASSIGN
                                                       : SP_TASK_SPLIT_FILES;
  sp_status st = SP_OK;

  for (p = 0; p < m && st == SP_OK; p++) {
    sp_task *t = NULL;
    if ((st = add_task_over(g, kind, node, p, k, &in_parts[p], &t, err)))
      break;
    st = parts_from_slots(parts + (size_t)p * k, k, t, err);
  }
  return st;
}

static sp_status plan_repartition(sp_graph *g, const sp_node *node,
                                  sp_task_input *parts, sp_error **err)
{
  const sp_task_input *in_parts;
  sp_task_input whole = {0};
  sp_task *t = NULL;
  sp_task_kind kind;
  sp_status st;
  int m = node->inputs[0]->npartitions;

  if ((st = sp_graph_plan(g, node->inputs[0], &in_parts, err)) != SP_OK)
    return st;
  /* Nested over one partition is the same as not nested. */
  if (node->nested && m > 1)
    return plan_nested(g, node, in_parts, m, parts, err);
  if (sp_node_moves_rows(node))
    return plan_shuffle(g, node, in_parts, m, parts, err);
  kind = node->split == SP_SPLIT_ROWS     ? SP_TASK_SPLIT_ROWS
         : node->split == SP_SPLIT_ASSIGN ? SP_TASK_ASSIGN
                                          : SP_TASK_SPLIT_FILES;
  if ((st = concat_parts(in_parts, m, &whole, err)) == SP_OK)
    st = add_task_over(g, kind, node, 0, node->npartitions, &whole, &t, err);
  if (st == SP_OK)
    st = parts_from_slots(parts, node->npartitions, t, err);
  input_release(&whole);
  return st;
}

/* 1 if s contains word, ignoring case. */
static int contains_nocase(const char *s, const char *word)
{
  size_t n = strlen(word), i;

  for (; *s; s++) {
    for (i = 0; i < n && s[i] && tolower((unsigned char)s[i]) == word[i]; i++)
      ;
    if (i == n)
      return 1;
  }
  return 0;
}

/* 1 if node reads exactly one SQL node that its query can absorb. */
static int can_fuse(const sp_graph *g, const sp_node *node)
{
  const sp_node *in;

  if (node->kind != SP_NODE_SQL || node->ninputs != 1)
    return 0;
  in = node->inputs[0];
  if (in->kind != SP_NODE_SQL || strchr(in->sql, ';') ||
      contains_nocase(in->sql, "order") || in->recompute)
    return 0;
  /* Planned already: its tasks' results may exist; reuse them instead. */
  return !sp_graph_node_planned(g, in);
}

int sp_graph_node_planned(const sp_graph *g, const sp_node *n)
{
  return (size_t)n->id - 1 < g->nnode_parts && g->node_parts[n->id - 1].parts;
}

/* The query and the node whose inputs it reads, after fusing node with
 * the SQL nodes below it; *sql is NULL when nothing was fused. */
static sp_status fuse(const sp_graph *g, const sp_node *node, char **sql,
                      const sp_node **source, sp_error **err)
{
  sp_buf b = SP_BUF_INIT;
  sp_status st;

  *sql = NULL;
  *source = node;
  while (can_fuse(g, *source)) {
    sp_buf_reset(&b);
    st = sp_template_substitute(*sql ? *sql : node->sql,
                                (*source)->inputs[0]->sql, &b, err);
    if (st != SP_OK) {
      sp_buf_release(&b);
      sp_free(*sql);
      *sql = NULL;
      return st;
    }
    sp_free(*sql);
    if (!(*sql = sp_strdup(b.data))) {
      sp_buf_release(&b);
      return sp_error_oom(err);
    }
    *source = (*source)->inputs[0];
  }
  sp_buf_release(&b);
  return SP_OK;
}

static sp_status plan_sql(sp_graph *g, const sp_node *node,
                          sp_task_input *parts, sp_error **err)
{
  const sp_task_input **in_parts = NULL;
  const sp_node *src, *f;
  sp_status st;
  char *sql;
  size_t j;
  int i;

  if ((st = fuse(g, node, &sql, &src, err)) != SP_OK)
    return st;
  if (src->ninputs && !(in_parts = sp_calloc(src->ninputs, sizeof(*in_parts))))
    st = sp_error_oom(err);
  for (j = 0; j < src->ninputs && st == SP_OK; j++)
    st = sp_graph_plan(g, src->inputs[j], &in_parts[j], err);
  for (i = 0; i < node->npartitions && st == SP_OK; i++) {
    sp_task *t = task_new(SP_TASK_SQL, node, i, 1, src->ninputs);
    if (!t || (sql && !(t->sql = sp_strdup(sql)))) {
      task_free(t);
      st = sp_error_oom(err);
      break;
    }
    /* Fused: the resources of the most demanding step. */
    for (f = node; f != src; f = f->inputs[0]) {
      const sp_node *in = f->inputs[0];
      if (in->task_threads > t->task_threads)
        t->task_threads = in->task_threads;
      if (in->task_memory > t->task_memory)
        t->task_memory = in->task_memory;
      if (in->task_timeout_ms > t->task_timeout_ms)
        t->task_timeout_ms = in->task_timeout_ms;
    }
    for (j = 0; j < src->ninputs && st == SP_OK; j++) {
      int k = sp_node_input_partition(src, src->inputs[j], i);
      st = input_extend(&t->inputs[j], &in_parts[j][k], err);
    }
    if (st != SP_OK) {
      task_free(t);
      break;
    }
    if ((st = graph_push(g, t, err)) == SP_OK)
      st = input_add(&parts[i], t, 0, err);
  }
  sp_free(in_parts);
  sp_free(sql);
  return st;
}

/* One task per partition, over the input's partition. */
static sp_status plan_batch(sp_graph *g, const sp_node *node,
                            sp_task_input *parts, sp_error **err)
{
  const sp_task_input *in_parts;
  sp_status st;
  int i;

  if ((st = sp_graph_plan(g, node->inputs[0], &in_parts, err)) != SP_OK)
    return st;
  for (i = 0; i < node->npartitions && st == SP_OK; i++) {
    sp_task *t = NULL;
    if ((st = add_task_over(g, SP_TASK_BATCH, node, i, 1, &in_parts[i], &t,
                            err)) == SP_OK)
      st = input_add(&parts[i], t, 0, err);
  }
  return st;
}

/* No tasks: partition i is partition i of every input, in input order. */
static sp_status plan_union(sp_graph *g, const sp_node *node,
                            sp_task_input *parts, sp_error **err)
{
  const sp_task_input *in_parts;
  sp_status st = SP_OK;
  size_t j;
  int i;

  for (j = 0; j < node->ninputs && st == SP_OK; j++) {
    if ((st = sp_graph_plan(g, node->inputs[j], &in_parts, err)) != SP_OK)
      break;
    for (i = 0; i < node->npartitions && st == SP_OK; i++)
      st = input_extend(&parts[i], &in_parts[i], err);
  }
  return st;
}

sp_status sp_graph_plan(sp_graph *g, const sp_node *node,
                        const sp_task_input **parts, sp_error **err)
{
  size_t idx = (size_t)node->id - 1;
  sp_task_input *p;
  sp_status st = SP_EINTERNAL;

  if (idx < g->nnode_parts && g->node_parts[idx].parts) {
    *parts = g->node_parts[idx].parts;
    return SP_OK;
  }
  if (idx >= g->nnode_parts) {
    size_t cap = g->nnode_parts;
    if (sp_grow((void **)&g->node_parts, &cap, idx + 1,
                sizeof(*g->node_parts)))
      return sp_error_oom(err);
    memset(g->node_parts + g->nnode_parts, 0,
           (cap - g->nnode_parts) * sizeof(*g->node_parts));
    g->nnode_parts = cap;
  }
  if (!(p = sp_calloc((size_t)node->npartitions, sizeof(*p))))
    return sp_error_oom(err);
  switch (node->kind) {
  case SP_NODE_READ: st = plan_read(g, node, p, err); break;
  case SP_NODE_REPARTITION: st = plan_repartition(g, node, p, err); break;
  case SP_NODE_SQL: st = plan_sql(g, node, p, err); break;
  case SP_NODE_UNION: st = plan_union(g, node, p, err); break;
  case SP_NODE_BATCH: st = plan_batch(g, node, p, err); break;
  }
  if (st != SP_OK) {
    /* Tasks already pushed stay in the graph, unreferenced and harmless. */
    for (int i = 0; i < node->npartitions; i++)
      input_release(&p[i]);
    sp_free(p);
    return st;
  }
  g->node_parts[idx].parts = p;
  g->node_parts[idx].n = node->npartitions;
  *parts = p;
  return SP_OK;
}

sp_status sp_graph_add_count(sp_graph *g, const sp_task_input *part,
                             sp_task **out, sp_error **err)
{
  return add_task_over(g, SP_TASK_COUNT, NULL, 0, 0, part, out, err);
}

static json_t *node_to_json(const sp_node *n)
{
  json_t *o = json_pack("{s:i, s:s, s:i}", "id", n->id, "kind",
                        sp_node_kind_name(n->kind), "partitions",
                        n->npartitions);
  json_t *ins = json_array();
  size_t i;

  if (!o || !ins)
    goto out_fail;
  for (i = 0; i < n->ninputs; i++)
    if (json_array_append_new(ins, json_integer(n->inputs[i]->id)))
      goto out_fail;
  if (json_object_set_new(o, "inputs", ins)) {
    ins = NULL;
    goto out_fail;
  }
  ins = NULL;
  if (n->kind == SP_NODE_SQL &&
      json_object_set_new(o, "sql", json_string(n->sql)))
    goto out_fail;
  if (n->kind == SP_NODE_BATCH &&
      json_object_set_new(o, "batch_fn", json_string(n->batch_fn)))
    goto out_fail;
  if (n->kind == SP_NODE_READ &&
      json_object_set_new(o, "files", json_integer((json_int_t)n->files.len)))
    goto out_fail;
  if (n->kind == SP_NODE_REPARTITION) {
    static const char *const splits[] = {"files", "rows", "hash", "by",
                                         "random", "assign", "range"};
    sp_buf key = SP_BUF_INIT;
    int bad;
    sp_node_partition_key(n, &key);
    bad = sp_buf_oom(&key) ||
          json_object_set_new(o, "split", json_string(splits[n->split])) ||
          (sp_node_moves_rows(n) &&
           json_object_set_new(o, "partition_key", json_string(key.data))) ||
          (n->sql && json_object_set_new(o, "combine", json_string(n->sql)));
    sp_buf_release(&key);
    if (bad)
      goto out_fail;
  }
  return o;

out_fail:
  json_decref(ins);
  json_decref(o);
  return NULL;
}

static json_t *task_to_json(const sp_task *t)
{
  json_t *o = json_pack("{s:s, s:s, s:i, s:i}", "key", t->key, "kind",
                        sp_task_kind_name(t->kind), "partition", t->partition,
                        "slots", t->nslots);
  json_t *ins = json_array();
  size_t i, j;

  if (!o || !ins)
    goto out_fail;
  if (t->node && json_object_set_new(o, "node", json_integer(t->node->id)))
    goto out_fail;
  if (t->sql && json_object_set_new(o, "sql", json_string(t->sql)))
    goto out_fail;
  for (i = 0; i < t->ninputs; i++) {
    json_t *view = json_array();
    if (!view || json_array_append_new(ins, view))
      goto out_fail;
    for (j = 0; j < t->inputs[i].len; j++)
      if (json_array_append_new(view,
                                json_pack("{s:s, s:i}", "task",
                                          t->inputs[i].refs[j].task->key,
                                          "slot", t->inputs[i].refs[j].slot)))
        goto out_fail;
  }
  if (json_object_set_new(o, "inputs", ins)) {
    ins = NULL;
    goto out_fail;
  }
  return o;

out_fail:
  json_decref(ins);
  json_decref(o);
  return NULL;
}

json_t *sp_graph_to_json(const sp_graph *g, const sp_plan *plan)
{
  json_t *nodes = json_array(), *tasks = json_array(), *o;
  size_t i;

  if (!nodes || !tasks)
    goto out_fail;
  for (i = 0; i < plan->len; i++)
    if (json_array_append_new(nodes, node_to_json(plan->nodes[i])))
      goto out_fail;
  for (i = 0; i < g->len; i++)
    if (json_array_append_new(tasks, task_to_json(g->tasks[i])))
      goto out_fail;
  o = json_pack("{s:s, s:o, s:o}", "version", SP_VERSION_STRING, "nodes",
                nodes, "tasks", tasks);
  return o; /* json_pack with "o" steals both arrays, even on failure */

out_fail:
  json_decref(nodes);
  json_decref(tasks);
  return NULL;
}

/* Drops node i's memo (its partitions); its tasks stay in the graph. */
static void forget(sp_graph *g, size_t i)
{
  sp_node_parts *np = &g->node_parts[i];
  int k;

  for (k = 0; np->parts && k < np->n; k++)
    input_release(&np->parts[k]);
  sp_free(np->parts);
  np->parts = NULL;
  np->n = 0;
}

sp_status sp_graph_forget(sp_graph *g, const sp_plan *plan,
                          const sp_node *node, sp_error **err)
{
  unsigned char *stale = sp_calloc(plan->len + 1, 1);
  size_t i, j;

  if (!stale)
    return sp_error_oom(err);
  /* Nodes come after their inputs in the plan. */
  for (i = (size_t)node->id - 1; i < plan->len; i++) {
    const sp_node *n = plan->nodes[i];
    stale[i] = n == node;
    for (j = 0; j < n->ninputs && !stale[i]; j++)
      stale[i] = stale[n->inputs[j]->id - 1];
    if (stale[i] && i < g->nnode_parts)
      forget(g, i);
  }
  sp_free(stale);
  return SP_OK;
}

void sp_graph_release(sp_graph *g)
{
  size_t i;

  for (i = 0; i < g->len; i++)
    task_free(g->tasks[i]);
  sp_free(g->tasks);
  for (i = 0; i < g->nnode_parts; i++) {
    sp_node_parts *np = &g->node_parts[i];
    for (int k = 0; k < np->n; k++)
      input_release(&np->parts[k]);
    sp_free(np->parts);
  }
  sp_free(g->node_parts);
  memset(g, 0, sizeof(*g));
}
