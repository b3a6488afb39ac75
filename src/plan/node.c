/*
 * node.c - the logical plan (see node.h).
 */
#include "plan/node.h"

#include <string.h>

#include "plan/template.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"

/* Outputs written by another version may differ; never reuse them. */
#define NODE_HASH_SEED "smallpond " SP_VERSION_STRING

const char *sp_node_kind_name(sp_node_kind kind)
{
  switch (kind) {
  case SP_NODE_READ: return "read";
  case SP_NODE_REPARTITION: return "repartition";
  case SP_NODE_SQL: return "sql";
  case SP_NODE_UNION: return "union";
  }
  return "?";
}

static void node_free(sp_node *n)
{
  size_t i;

  if (!n)
    return;
  sp_free(n->inputs);
  sp_dataset_release(&n->files);
  for (i = 0; i < n->nhash_by; i++)
    sp_free(n->hash_by[i]);
  sp_free(n->hash_by);
  sp_free(n->by);
  sp_free(n->sql);
  sp_free(n);
}

/* Allocates a node with copies of the input pointers and adds it to plan.
 * On failure frees nothing of the caller's. */
static sp_node *node_new(sp_plan *plan, sp_node_kind kind,
                         sp_node *const *inputs, size_t ninputs)
{
  sp_node *n;

  if (sp_grow((void **)&plan->nodes, &plan->cap, plan->len + 1,
              sizeof(*plan->nodes)))
    return NULL;
  if (!(n = sp_calloc(1, sizeof(*n))))
    return NULL;
  if (ninputs && !(n->inputs = sp_calloc(ninputs, sizeof(*n->inputs)))) {
    sp_free(n);
    return NULL;
  }
  if (ninputs)
    memcpy(n->inputs, inputs, ninputs * sizeof(*inputs));
  n->ninputs = ninputs;
  n->kind = kind;
  n->id = (int)plan->len + 1;
  n->def_hash = sp_hash_str(sp_hash_str(SP_HASH_INIT, NODE_HASH_SEED),
                            sp_node_kind_name(kind));
  for (size_t i = 0; i < ninputs; i++)
    n->def_hash = sp_hash_i64(n->def_hash, (int64_t)inputs[i]->def_hash);
  return n;
}

static void plan_push(sp_plan *plan, sp_node *n, sp_node **out)
{
  plan->nodes[plan->len++] = n;
  *out = n;
}

sp_status sp_plan_add_read(sp_plan *plan, const sp_file_list *files,
                           const char *reader, sp_node **out, sp_error **err)
{
  sp_node *n = node_new(plan, SP_NODE_READ, NULL, 0);
  size_t i;

  if (!n)
    return sp_error_oom(err);
  n->npartitions = 1;
  n->def_hash = sp_hash_str(n->def_hash, reader ? reader : "");
  for (i = 0; i < files->len; i++) {
    const sp_file_info *f = &files->items[i];
    sp_piece p = {f->path, -1, 0, -1, 1, (char *)reader};
    if (sp_dataset_add(&n->files, &p, err) != SP_OK) {
      node_free(n);
      return SP_ENOMEM;
    }
    /* Changed input files must not match an old run's tasks. */
    n->def_hash = sp_hash_str(n->def_hash, f->path);
    n->def_hash = sp_hash_i64(n->def_hash, f->size);
    n->def_hash = sp_hash_i64(n->def_hash, f->mtime_ns);
  }
  plan_push(plan, n, out);
  return SP_OK;
}

sp_status sp_plan_add_repartition(sp_plan *plan, sp_node *input, int npart,
                                  const sp_split_spec *spec, sp_node **out,
                                  sp_error **err)
{
  sp_node *n;
  size_t i;

  if (npart < 1)
    return sp_error_set(err, SP_EINVAL, "repartition: number of partitions "
                        "must be at least 1, got %d", npart);
  if (spec->kind == SP_SPLIT_HASH && spec->nhash_by == 0)
    return sp_error_set(err, SP_EINVAL, "repartition: hash partitioning "
                        "needs at least one column");
  if (spec->kind == SP_SPLIT_BY && (!spec->by || !*spec->by))
    return sp_error_set(err, SP_EINVAL, "repartition: 'by' needs an "
                        "expression");
  if (spec->kind == SP_SPLIT_ASSIGN &&
      (!spec->assign || !spec->assign_name || !*spec->assign_name))
    return sp_error_set(err, SP_EINVAL, "repartition: 'assign' needs a "
                        "function and an assign_name");
  if (!(n = node_new(plan, SP_NODE_REPARTITION, &input, 1)))
    return sp_error_oom(err);
  n->npartitions = npart;
  n->split = spec->kind;
  n->def_hash = sp_hash_i64(n->def_hash, npart);
  n->def_hash = sp_hash_i64(n->def_hash, spec->kind);
  if (spec->kind == SP_SPLIT_BY) {
    if (!(n->by = sp_strdup(spec->by)))
      goto out_oom;
    n->def_hash = sp_hash_str(n->def_hash, spec->by);
  }
  if (spec->kind == SP_SPLIT_ASSIGN) {
    n->assign = spec->assign;
    n->assign_arg = spec->assign_arg;
    n->def_hash = sp_hash_str(n->def_hash, spec->assign_name);
  }
  if (spec->kind == SP_SPLIT_HASH) {
    if (!(n->hash_by = sp_calloc(spec->nhash_by, sizeof(*n->hash_by))))
      goto out_oom;
    for (i = 0; i < spec->nhash_by; i++) {
      if (!spec->hash_by[i] || !*spec->hash_by[i]) {
        node_free(n);
        return sp_error_set(err, SP_EINVAL, "repartition: empty column name "
                            "in hash_by");
      }
      if (!(n->hash_by[i] = sp_strdup(spec->hash_by[i])))
        goto out_oom;
      n->nhash_by++;
      n->def_hash = sp_hash_str(n->def_hash, spec->hash_by[i]);
    }
  }
  plan_push(plan, n, out);
  return SP_OK;

out_oom:
  node_free(n);
  return sp_error_oom(err);
}

int sp_node_moves_rows(const sp_node *n)
{
  return n->kind == SP_NODE_REPARTITION &&
         (n->split == SP_SPLIT_HASH || n->split == SP_SPLIT_BY ||
          n->split == SP_SPLIT_RANDOM);
}

void sp_node_partition_key(const sp_node *n, sp_buf *b)
{
  size_t i;

  switch (n->split) {
  case SP_SPLIT_HASH:
    sp_buf_puts(b, "hash(");
    for (i = 0; i < n->nhash_by; i++) {
      if (i)
        sp_buf_puts(b, ", ");
      sp_buf_append_ident(b, n->hash_by[i]);
    }
    sp_buf_appendf(b, ") %% %d", n->npartitions);
    break;
  case SP_SPLIT_BY:
    sp_buf_appendf(b, "(%s\n)", n->by); /* the user's SQL, by design */
    break;
  case SP_SPLIT_RANDOM:
    sp_buf_appendf(b, "floor(random() * %d)", n->npartitions);
    break;
  default:
    break;
  }
}

sp_status sp_plan_add_sql(sp_plan *plan, const char *sql,
                          sp_node *const *inputs, size_t ninputs,
                          sp_node **out, sp_error **err)
{
  const sp_node *wide = NULL; /* the first input with more than 1 partition */
  size_t wide_idx = 0, i;
  sp_node *n;
  sp_status st;

  if (!sql || !*sql)
    return sp_error_set(err, SP_EINVAL, "partial_sql: empty query");
  if ((st = sp_template_expand(sql, NULL, ninputs, NULL, NULL, err)))
    return st;
  for (i = 0; i < ninputs; i++) {
    const sp_node *in = inputs[i];
    if (in->npartitions == 1)
      continue;
    if (!wide) {
      wide = in;
      wide_idx = i;
    } else if (in->npartitions != wide->npartitions) {
      return sp_error_set(err, SP_EPLAN, "partial_sql: inputs {%zu} (%s #%d, "
                          "%d partitions) and {%zu} (%s #%d, %d partitions) "
                          "are partitioned differently; repartition them to "
                          "the same number first", wide_idx,
                          sp_node_kind_name(wide->kind), wide->id,
                          wide->npartitions, i, sp_node_kind_name(in->kind),
                          in->id, in->npartitions);
    }
  }
  if (!(n = node_new(plan, SP_NODE_SQL, inputs, ninputs)))
    return sp_error_oom(err);
  n->npartitions = wide ? wide->npartitions : 1;
  if (!(n->sql = sp_strdup(sql))) {
    node_free(n);
    return sp_error_oom(err);
  }
  n->def_hash = sp_hash_str(n->def_hash, sql);
  plan_push(plan, n, out);
  return SP_OK;
}

sp_status sp_plan_add_union(sp_plan *plan, sp_node *const *inputs,
                            size_t ninputs, sp_node **out, sp_error **err)
{
  sp_node *n;
  size_t i;

  if (ninputs == 0)
    return sp_error_set(err, SP_EINVAL, "union: no input");
  for (i = 1; i < ninputs; i++)
    if (inputs[i]->npartitions != inputs[0]->npartitions)
      return sp_error_set(err, SP_EPLAN, "union: inputs 0 (%s #%d, %d "
                          "partitions) and %zu (%s #%d, %d partitions) are "
                          "partitioned differently; repartition them to the "
                          "same number first",
                          sp_node_kind_name(inputs[0]->kind), inputs[0]->id,
                          inputs[0]->npartitions, i,
                          sp_node_kind_name(inputs[i]->kind), inputs[i]->id,
                          inputs[i]->npartitions);
  if (!(n = node_new(plan, SP_NODE_UNION, inputs, ninputs)))
    return sp_error_oom(err);
  n->npartitions = inputs[0]->npartitions;
  plan_push(plan, n, out);
  return SP_OK;
}

int sp_node_owns_files(const sp_node *n)
{
  size_t i;

  if (n->kind == SP_NODE_SQL || sp_node_moves_rows(n))
    return 1;
  if (n->kind != SP_NODE_UNION)
    return 0;
  for (i = 0; i < n->ninputs; i++)
    if (!sp_node_owns_files(n->inputs[i]))
      return 0;
  return 1;
}

void sp_plan_release(sp_plan *plan)
{
  size_t i;

  for (i = 0; i < plan->len; i++)
    node_free(plan->nodes[i]);
  sp_free(plan->nodes);
  memset(plan, 0, sizeof(*plan));
}
