/*
 * node.c - the logical plan (see node.h).
 */
#include "plan/node.h"

#include <stdio.h>
#include <string.h>

#include "plan/hash_layout.h"
#include "plan/reader.h"
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
  case SP_NODE_BATCH: return "batch";
  }
  return "?";
}

static void node_free(sp_node *n)
{
  size_t i;

  if (!n)
    return;
  sp_free(n->inputs);
  for (i = 0; i < n->ndims; i++)
    sp_free(n->dims[i].name);
  sp_free(n->dims);
  sp_dataset_release(&n->files);
  for (i = 0; i < n->nhash_by; i++)
    sp_free(n->hash_by[i]);
  sp_free(n->hash_by);
  sp_free(n->by);
  sp_free(n->sql);
  sp_free(n->batch_fn);
  sp_free(n->hash_layout);
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
  n->npartitions = 1;
  n->parquet.compression[0] = '\0'; /* the default for its files */
  n->id = (int)plan->len + 1;
  n->def_hash = sp_hash_str(sp_hash_str(SP_HASH_INIT, NODE_HASH_SEED),
                            sp_node_kind_name(kind));
  for (size_t i = 0; i < ninputs; i++)
    n->def_hash = sp_hash_i64(n->def_hash, (int64_t)inputs[i]->def_hash);
  return n;
}

/* Gives n the dimensions dims[0..ndims) plus, if extra is set, one more;
 * sets npartitions to the product of their sizes. */
static sp_status set_dims(sp_node *n, const sp_dim *dims, size_t ndims,
                          const sp_dim *extra, sp_error **err)
{
  size_t total = ndims + (extra ? 1 : 0), i;

  n->npartitions = 1;
  if (total == 0)
    return SP_OK;
  if (!(n->dims = sp_calloc(total, sizeof(*n->dims))))
    return sp_error_oom(err);
  for (i = 0; i < total; i++) {
    const sp_dim *d = i < ndims ? &dims[i] : extra;
    if (!(n->dims[i].name = sp_strdup(d->name)))
      return sp_error_oom(err);
    n->dims[i].n = d->n;
    n->ndims++;
    n->npartitions *= d->n;
    n->def_hash = sp_hash_str(n->def_hash, d->name);
    n->def_hash = sp_hash_i64(n->def_hash, d->n);
  }
  return SP_OK;
}

/* Checks opt and copies it into n. Parquet settings are part of the
 * node's definition (they change the files); resources are not. */
int sp_parquet_codec_known(const char *name)
{
  static const char *const codecs[] = {"zstd", "snappy", "gzip", "lz4",
                                       "brotli", "uncompressed"};
  size_t i;

  for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
    if (strcmp(name, codecs[i]) == 0)
      return 1;
  return 0;
}

static sp_status apply_options(sp_node *n, const sp_node_options *opt,
                               sp_error **err)
{
  sp_parquet_settings *pq = &n->parquet;
  const char *codec = opt && opt->compression ? opt->compression : "zstd";

  if (!sp_parquet_codec_known(codec))
    return sp_error_set(err, SP_EINVAL, "unknown Parquet compression '%s' "
                        "(use zstd, snappy, gzip, lz4, brotli or "
                        "uncompressed)", codec);
  /* Unset stays empty: zstd for results, a faster codec for a shuffle's
   * files (exec/task.c). */
  snprintf(pq->compression, sizeof(pq->compression), "%s",
           opt && opt->compression ? codec : "");
  if (!opt)
    goto out;
  if (opt->compression_level &&
      (strcmp(codec, "zstd") != 0 || opt->compression_level < 1 ||
       opt->compression_level > 22))
    return sp_error_set(err, SP_EINVAL, "compression_level %d: only zstd has "
                        "levels, from 1 to 22", opt->compression_level);
  if (opt->row_group_size < 0 || opt->task_threads < 0 ||
      opt->task_memory < 0 || opt->task_timeout_ms < 0)
    return sp_error_set(err, SP_EINVAL, "negative %s in the step's options",
                        opt->row_group_size < 0 ? "row_group_size"
                        : opt->task_threads < 0 ? "task_threads"
                        : opt->task_memory < 0  ? "task_memory"
                                                : "task_timeout_ms");
  if (opt->hive)
    return sp_error_set(err, SP_EINVAL, "the hive option applies to "
                        "sp_write_parquet only");
  pq->compression_level = opt->compression_level;
  pq->row_group_size = opt->row_group_size;
  pq->no_dictionary = opt->no_dictionary != 0;
  n->task_threads = opt->task_threads;
  n->task_memory = opt->task_memory;
  n->task_timeout_ms = opt->task_timeout_ms;
out:
  n->def_hash = sp_hash_str(n->def_hash, pq->compression);
  n->def_hash = sp_hash_i64(n->def_hash, pq->compression_level);
  n->def_hash = sp_hash_i64(n->def_hash, pq->row_group_size);
  n->def_hash = sp_hash_i64(n->def_hash, pq->no_dictionary);
  return SP_OK;
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
    sp_piece p = {.path = f->path, .rows = -1, .end = -1, .user = 1,
                  .reader = (char *)reader};
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

/* 1 if name can name a dimension: it becomes a {placeholder}, a metadata
 * key and a folder name. */
static int dim_name_ok(const char *name)
{
  const char *p = name;

  if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
    return 0;
  for (; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_'))
      return 0;
  return strcmp(name, "rand_seed") != 0 && strcmp(name, "batch_index") != 0 &&
         p - name <= 64;
}

static const sp_dim *find_dim(const sp_node *n, const char *name)
{
  size_t i;

  for (i = 0; i < n->ndims; i++)
    if (strcmp(n->dims[i].name, name) == 0)
      return &n->dims[i];
  return NULL;
}

/* The largest number of partitions a node may have. */
#define MAX_PARTITIONS 1000000

sp_status sp_plan_add_repartition(sp_plan *plan, sp_node *input, int npart,
                                  const sp_split_spec *spec,
                                  const sp_node_options *opt, sp_node **out,
                                  sp_error **err)
{
  sp_dim dim = {(char *)(spec->dimension ? spec->dimension
                                         : SP_DEFAULT_DIMENSION), npart};
  sp_node *n;
  sp_status st;
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
  if (spec->kind == SP_SPLIT_RANGE && (!spec->by || !spec->bounds))
    return sp_error_set(err, SP_EINVAL, "repartition: a range partitioning "
                        "needs a sort key and its bounds");
  if (spec->kind == SP_SPLIT_RANGE && spec->nested)
    return sp_error_set(err, SP_EINVAL, "repartition: a range partitioning "
                        "cannot be nested");
  if (spec->kind == SP_SPLIT_ASSIGN &&
      (!spec->assign || !spec->assign_name || !*spec->assign_name))
    return sp_error_set(err, SP_EINVAL, "repartition: 'assign' needs a "
                        "function and an assign_name");
  if (!dim_name_ok(dim.name))
    return sp_error_set(err, SP_EINVAL, "repartition: '%s' cannot name a "
                        "dimension: use up to 64 letters, digits and '_', "
                        "not starting with a digit", dim.name);
  if (spec->nested && !spec->dimension)
    return sp_error_set(err, SP_EINVAL, "repartition: a nested partitioning "
                        "needs a dimension name");
  if (spec->nested && find_dim(input, dim.name))
    return sp_error_set(err, SP_EINVAL, "repartition: the input is already "
                        "partitioned along '%s'; a nested partitioning needs "
                        "a new dimension", dim.name);
  if ((int64_t)npart * (spec->nested ? input->npartitions : 1) >
      MAX_PARTITIONS)
    return sp_error_set(err, SP_EINVAL, "repartition: %lld partitions is "
                        "more than %d",
                        (long long)npart * (spec->nested ? input->npartitions
                                                         : 1),
                        MAX_PARTITIONS);
  {
    sp_node *inputs[2] = {input, spec->bounds};
    int ninputs = spec->kind == SP_SPLIT_RANGE ? 2 : 1;
    if (!(n = node_new(plan, SP_NODE_REPARTITION, inputs, ninputs)))
      return sp_error_oom(err);
  }
  n->split = spec->kind;
  n->nested = spec->nested != 0;
  n->def_hash = sp_hash_i64(n->def_hash, spec->kind);
  n->def_hash = sp_hash_i64(n->def_hash, n->nested);
  if ((st = set_dims(n, n->nested ? input->dims : NULL,
                     n->nested ? input->ndims : 0, &dim, err)) != SP_OK ||
      (st = apply_options(n, opt, err)) != SP_OK)
    goto out_fail;
  if (spec->kind == SP_SPLIT_BY || spec->kind == SP_SPLIT_RANGE) {
    if (!(n->by = sp_strdup(spec->by)))
      goto out_oom;
    n->def_hash = sp_hash_str(n->def_hash, spec->by);
  }
  if (spec->kind == SP_SPLIT_ASSIGN) {
    n->assign = spec->assign;
    n->assign_arg = spec->assign_arg;
    n->def_hash = sp_hash_str(n->def_hash, spec->assign_name);
  }
  if (spec->combine) {
    if (spec->kind != SP_SPLIT_HASH) {
      st = sp_error_set(err, SP_EINVAL, "repartition: only a hash "
                        "repartition combines");
      goto out_fail;
    }
    if ((st = sp_template_expand(spec->combine, NULL, 1, NULL, NULL, err)))
      goto out_fail;
    if (!(n->sql = sp_strdup(spec->combine)))
      goto out_oom;
    n->def_hash = sp_hash_str(n->def_hash, spec->combine);
  }
  if (spec->kind == SP_SPLIT_HASH) {
    if (!spec->hash_by) {
      st = sp_error_set(err, SP_EINVAL, "repartition: nhash_by is %zu but "
                        "hash_by is NULL", spec->nhash_by);
      goto out_fail;
    }
    if (!(n->hash_by = sp_calloc(spec->nhash_by, sizeof(*n->hash_by))))
      goto out_oom;
    for (i = 0; i < spec->nhash_by; i++) {
      if (!spec->hash_by[i] || !*spec->hash_by[i]) {
        st = sp_error_set(err, SP_EINVAL, "repartition: empty column name in "
                          "hash_by");
        goto out_fail;
      }
      if (!(n->hash_by[i] = sp_strdup(spec->hash_by[i])))
        goto out_oom;
      n->nhash_by++;
      n->def_hash = sp_hash_str(n->def_hash, spec->hash_by[i]);
    }
    if (!n->nested && npart > 1 &&
        !(n->hash_layout = sp_hash_layout_new(dim.name, spec->hash_by,
                                              spec->nhash_by, npart)))
      goto out_oom;
  }
  plan_push(plan, n, out);
  return SP_OK;

out_oom:
  st = sp_error_oom(err);
out_fail:
  node_free(n);
  return st;
}

sp_status sp_node_set_hash_layout(sp_node *n, const char *layout,
                                  sp_error **err)
{
  char *copy;

  if (n->ndims != 1 ||
      !sp_hash_layout_check(layout, n->dims[0].name, n->npartitions))
    return sp_error_set(err, SP_EINTERNAL, "a hash layout that does not fit "
                        "its node: %s", layout ? layout : "(none)");
  if (!(copy = sp_strdup(layout)))
    return sp_error_oom(err);
  sp_free(n->hash_layout);
  n->hash_layout = copy;
  /* The files written carry it. */
  n->def_hash = sp_hash_str(n->def_hash, layout);
  return SP_OK;
}

int sp_node_moves_rows(const sp_node *n)
{
  return n->kind == SP_NODE_REPARTITION &&
         (n->split == SP_SPLIT_HASH || n->split == SP_SPLIT_BY ||
          n->split == SP_SPLIT_RANDOM || n->split == SP_SPLIT_RANGE);
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
    sp_buf_appendf(b, ") %% %d", n->dims[n->ndims - 1].n);
    break;
  case SP_SPLIT_BY:
    sp_buf_appendf(b, "(%s\n)", n->by); /* the user's SQL, by design */
    break;
  case SP_SPLIT_RANDOM:
    sp_buf_appendf(b, "floor(random() * %d)", n->dims[n->ndims - 1].n);
    break;
  case SP_SPLIT_RANGE:
    sp_buf_puts(b, n->by); /* built from quoted names (plan/order.h) */
    break;
  default:
    break;
  }
}

void sp_node_describe_dims(const sp_node *n, sp_buf *b)
{
  size_t i;

  sp_buf_appendf(b, "%d partition%s", n->npartitions,
                 n->npartitions == 1 ? "" : "s");
  for (i = 0; i < n->ndims; i++)
    sp_buf_appendf(b, "%s%s (%d)", i ? " x " : " along ", n->dims[i].name,
                   n->dims[i].n);
}

int sp_node_dim_index(const sp_node *n, int p, size_t k)
{
  size_t j;

  for (j = n->ndims; j-- > k + 1;)
    p /= n->dims[j].n;
  return p % n->dims[k].n;
}

int sp_node_input_partition(const sp_node *n, const sp_node *in, int p)
{
  int idx = 0;
  size_t j, k;

  if (in->npartitions == 1)
    return 0;
  for (j = 0; j < in->ndims; j++) {
    for (k = 0; k < n->ndims; k++)
      if (strcmp(n->dims[k].name, in->dims[j].name) == 0)
        break;
    idx = idx * in->dims[j].n + (k < n->ndims ? sp_node_dim_index(n, p, k)
                                              : 0);
  }
  return idx;
}

/* 1 if every dimension of a is one of b's, with the same size. */
/* The files of a read as one pattern: their common folder, then "*" and
 * their common extension when there are several. */
static void title_files(const sp_dataset *files, sp_buf *b)
{
  const char *first = files->len ? files->pieces[0].path : "";
  const char *slash = strrchr(first, '/');
  const char *ext = strrchr(slash ? slash : first, '.');
  size_t dir = slash ? (size_t)(slash - first) + 1 : 0, i;

  if (files->len == 1) {
    sp_buf_puts(b, first);
    return;
  }
  for (i = 1; i < files->len; i++) {
    const char *p = files->pieces[i].path;
    while (dir > 0 && (strncmp(p, first, dir) != 0 || p[dir - 1] != '/'))
      dir--;
    if (ext && (strlen(p) < strlen(ext) ||
                strcmp(p + strlen(p) - strlen(ext), ext) != 0))
      ext = NULL;
  }
  sp_buf_appendf(b, "%.*s%s%s (%zu files)", (int)dir, first,
                 strchr(first + dir, '/') ? "**/*" : "*", ext ? ext : "",
                 files->len);
}

void sp_node_title(const sp_node *n, sp_buf *b)
{
  static const char *const formats[] = {"parquet", "csv", "json"};
  static const char *const batch[] = {"map_batches", "map_rows",
                                      "filter_batches"};
  sp_reader_format format = SP_READ_PARQUET;
  json_t *spec = NULL;
  const char *p;
  size_t i;

  switch (n->kind) {
  case SP_NODE_READ:
    if (n->files.len &&
        sp_reader_parse(n->files.pieces[0].reader, &format, &spec, NULL) !=
            SP_OK)
      format = SP_READ_PARQUET;
    json_decref(spec);
    sp_buf_appendf(b, "read_%s ", formats[format]);
    title_files(&n->files, b);
    return;
  case SP_NODE_REPARTITION:
    sp_buf_appendf(b, "repartition %d ", n->dims[n->ndims - 1].n);
    if (n->split == SP_SPLIT_HASH || n->split == SP_SPLIT_RANGE) {
      sp_buf_puts(b, n->split == SP_SPLIT_HASH ? "hash(" : "range(");
      for (i = 0; n->split == SP_SPLIT_HASH && i < n->nhash_by; i++) {
        if (i)
          sp_buf_puts(b, ", ");
        sp_buf_puts(b, n->hash_by[i]); /* for people, not SQL */
      }
      if (n->split == SP_SPLIT_RANGE)
        sp_buf_puts(b, n->by);
      sp_buf_puts(b, ")");
    } else {
      static const char *const splits[] = {"by files", "by rows", "",
                                           "by ", "random", "by function"};
      sp_buf_puts(b, splits[n->split]);
      if (n->split == SP_SPLIT_BY)
        sp_buf_puts(b, n->by);
    }
    return;
  case SP_NODE_SQL:
    sp_buf_puts(b, "sql ");
    /* The query on one line: runs of white space become one space. */
    for (p = n->sql, i = 0; *p && i < 60; p++) {
      int space = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
      if (space && (i == 0 || p[1] == ' ' || p[1] == '\t' ||
                    p[1] == '\n' || p[1] == '\r'))
        continue;
      sp_buf_putc(b, space ? ' ' : *p);
      i++;
    }
    if (*p)
      sp_buf_puts(b, " ...");
    return;
  case SP_NODE_UNION:
    sp_buf_appendf(b, "union of %zu", n->ninputs);
    return;
  case SP_NODE_BATCH:
    sp_buf_appendf(b, "%s %s", batch[n->batch_mode], n->batch_fn);
    return;
  }
}

static int dims_within(const sp_node *a, const sp_node *b)
{
  size_t i;

  for (i = 0; i < a->ndims; i++) {
    const sp_dim *d = find_dim(b, a->dims[i].name);
    if (!d || d->n != a->dims[i].n)
      return 0;
  }
  return 1;
}

/* 1 if a and b have the same dimensions in the same order. */
static int dims_equal(const sp_node *a, const sp_node *b)
{
  size_t i;

  if (a->ndims != b->ndims)
    return 0;
  for (i = 0; i < a->ndims; i++)
    if (a->dims[i].n != b->dims[i].n ||
        strcmp(a->dims[i].name, b->dims[i].name) != 0)
      return 0;
  return 1;
}

/* Fails naming inputs i and j of `what` and their partitionings. */
static sp_status mismatch(const char *what, const char *name, size_t i,
                          const sp_node *a, size_t j, const sp_node *b,
                          sp_error **err)
{
  sp_buf da = SP_BUF_INIT, db = SP_BUF_INIT;
  sp_status st;

  sp_node_describe_dims(a, &da);
  sp_node_describe_dims(b, &db);
  st = sp_buf_oom(&da) || sp_buf_oom(&db)
           ? sp_error_oom(err)
           : sp_error_set(err, SP_EPLAN, "%s: inputs %s%zu%s (%s #%d, "
                          "%s) and %s%zu%s (%s #%d, %s) are partitioned "
                          "differently; "
                          "repartition them along the same dimensions "
                          "first", what, name, i, *name ? "}" : "",
                          sp_node_kind_name(a->kind), a->id, da.data, name,
                          j, *name ? "}" : "", sp_node_kind_name(b->kind),
                          b->id, db.data);
  sp_buf_release(&da);
  sp_buf_release(&db);
  return st;
}

sp_status sp_plan_add_sql(sp_plan *plan, const char *sql,
                          sp_node *const *inputs, size_t ninputs,
                          const sp_node_options *opt, sp_node **out,
                          sp_error **err)
{
  const sp_node *wide = NULL; /* gives the node its partitioning */
  const char **names = NULL;
  sp_template_vars vars = {0};
  size_t wide_idx = 0, i;
  sp_node *n;
  sp_status st;

  if (!sql || !*sql)
    return sp_error_set(err, SP_EINVAL, "partial_sql: empty query");
  /* The input with the most dimensions, preferring partitioned ones. */
  for (i = 0; i < ninputs; i++) {
    const sp_node *in = inputs[i];
    int better = !wide || (in->npartitions > 1 && wide->npartitions == 1) ||
                 ((in->npartitions > 1) == (wide->npartitions > 1) &&
                  in->ndims > wide->ndims);
    if (better) {
      wide = in;
      wide_idx = i;
    }
  }
  for (i = 0; i < ninputs; i++)
    if (inputs[i]->npartitions > 1 && !dims_within(inputs[i], wide))
      return mismatch("partial_sql", "{", wide_idx, wide, i, inputs[i], err);
  if (wide && wide->ndims &&
      !(names = sp_calloc(wide->ndims, sizeof(*names))))
    return sp_error_oom(err);
  for (i = 0; wide && i < wide->ndims; i++)
    names[i] = wide->dims[i].name;
  vars.dim_names = names;
  vars.ndims = wide ? wide->ndims : 0;
  st = sp_template_expand(sql, NULL, ninputs, &vars, NULL, err);
  sp_free(names);
  if (st != SP_OK)
    return st;
  if (!(n = node_new(plan, SP_NODE_SQL, inputs, ninputs)))
    return sp_error_oom(err);
  if ((st = set_dims(n, wide ? wide->dims : NULL, wide ? wide->ndims : 0,
                     NULL, err)) != SP_OK ||
      (st = apply_options(n, opt, err)) != SP_OK) {
    node_free(n);
    return st;
  }
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
  sp_status st;
  size_t i;

  if (ninputs == 0)
    return sp_error_set(err, SP_EINVAL, "union: no input");
  for (i = 1; i < ninputs; i++)
    if (!dims_equal(inputs[i], inputs[0]))
      return mismatch("union", "", 0, inputs[0], i, inputs[i], err);
  if (!(n = node_new(plan, SP_NODE_UNION, inputs, ninputs)))
    return sp_error_oom(err);
  if ((st = set_dims(n, inputs[0]->dims, inputs[0]->ndims, NULL, err))) {
    node_free(n);
    return st;
  }
  plan_push(plan, n, out);
  return SP_OK;
}

sp_status sp_plan_add_batch(sp_plan *plan, sp_node *input, const char *fn,
                            sp_batch_mode mode, int64_t batch_size,
                            const sp_node_options *opt, sp_node **out,
                            sp_error **err)
{
  sp_node *n;
  sp_status st;

  if (!fn || !*fn)
    return sp_error_set(err, SP_EINVAL, "batch step: no function name");
  if (batch_size < 0)
    return sp_error_set(err, SP_EINVAL, "batch step: batch_size must not be "
                        "negative, got %lld", (long long)batch_size);
  if (!(n = node_new(plan, SP_NODE_BATCH, &input, 1)))
    return sp_error_oom(err);
  n->batch_mode = mode;
  n->batch_size = batch_size ? batch_size : 122880;
  n->def_hash = sp_hash_str(n->def_hash, fn);
  n->def_hash = sp_hash_i64(n->def_hash, mode);
  n->def_hash = sp_hash_i64(n->def_hash, n->batch_size);
  if (!(n->batch_fn = sp_strdup(fn)))
    st = sp_error_oom(err);
  else if ((st = set_dims(n, input->dims, input->ndims, NULL, err)) == SP_OK)
    st = apply_options(n, opt, err);
  if (st != SP_OK) {
    node_free(n);
    return st;
  }
  plan_push(plan, n, out);
  return SP_OK;
}

int sp_node_writes_files(const sp_node *n)
{
  return n->kind == SP_NODE_SQL || n->kind == SP_NODE_BATCH;
}

void sp_plan_release(sp_plan *plan)
{
  size_t i;

  for (i = 0; i < plan->len; i++)
    node_free(plan->nodes[i]);
  sp_free(plan->nodes);
  memset(plan, 0, sizeof(*plan));
}
