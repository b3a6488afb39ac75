/*
 * dataframe.c - DataFrame constructors: sources and transformations. They
 * only add nodes to the session's plan; nothing runs here.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "duck/arrow_in.h"
#include "duck/files.h"
#include "duck/input.h"
#include "duck/partition_keys.h"
#include "duck/union_schema.h"
#include "io/fs.h"
#include "io/glob.h"
#include "plan/hash_layout.h"
#include "sql/combine.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"

/* The reader (see plan/reader.h) for format and opt, or NULL with *st
 * set. NULL with SP_OK: Parquet with the defaults. */
static json_t *make_reader(const char *what, const char *format,
                           const sp_read_options *opt, sp_status *st,
                           sp_error **err)
{
  int parquet = strcmp(format, "parquet") == 0, csv = !strcmp(format, "csv");
  json_t *spec, *cols;
  size_t i;

  *st = SP_OK;
  if (opt && opt->ncolumns && !opt->columns) {
    *st = sp_error_set(err, SP_EINVAL, "%s: ncolumns is %zu but columns is "
                       "NULL", what, opt->ncolumns);
    return NULL;
  }
  if (parquet && (!opt || (!opt->ncolumns && !opt->union_by_name &&
                           !opt->filename && !opt->file_row_number)))
    return NULL;
  if (!parquet && (!opt || ((!opt->ncolumns || !opt->columns ||
                             !opt->types) && !opt->detect))) {
    *st = sp_error_set(err, SP_EINVAL, "%s needs a schema: columns and their "
                       "types, or detect", what);
    return NULL;
  }
  if (!parquet && opt->ncolumns && (!opt->columns || !opt->types)) {
    *st = sp_error_set(err, SP_EINVAL, "%s: columns need their types", what);
    return NULL;
  }
  {
    const char *bad = parquet && opt->types ? "types"
                      : parquet && opt->detect ? "detect"
                      : !parquet && opt->union_by_name ? "union_by_name"
                      : !parquet && opt->filename ? "filename"
                      : !parquet && opt->file_row_number ? "file_row_number"
                      : !csv && opt->delimiter ? "delimiter"
                      : !csv && opt->header ? "header"
                      : !parquet && opt->partitioned_by ? "partitioned_by"
                      : opt->detect && opt->delimiter ? "delimiter"
                      : opt->detect && opt->header ? "header"
                      : NULL;
    if (bad) {
      *st = sp_error_set(err, SP_EINVAL, "%s: option %s does not apply to "
                         "%s files%s", what, bad, format,
                         opt->detect && !parquet ? " read with detect" : "");
      return NULL;
    }
  }
  if (csv && opt->delimiter && !*opt->delimiter) {
    *st = sp_error_set(err, SP_EINVAL, "%s: empty delimiter", what);
    return NULL;
  }
  spec = json_pack("{s:s}", "format", format);
  cols = json_array();
  if (!spec || !cols || json_object_set_new(spec, "columns", cols)) {
    json_decref(spec);
    *st = sp_error_oom(err);
    return NULL;
  }
  for (i = 0; i < opt->ncolumns; i++) {
    json_t *c;
    if (!opt->columns[i] || !*opt->columns[i] ||
        (!parquet && (!opt->types[i] || !*opt->types[i]))) {
      json_decref(spec);
      *st = sp_error_set(err, SP_EINVAL, "%s: column %zu has no name or "
                         "type", what, i);
      return NULL;
    }
    c = parquet ? json_string(opt->columns[i])
                : json_pack("[s, s]", opt->columns[i], opt->types[i]);
    if (json_array_append_new(cols, c))
      goto out_oom;
  }
  /* A projection implies union by name, as in Python smallpond: a file
   * that lacks a column reads it as NULL. */
  if (((opt->union_by_name || (parquet && opt->ncolumns)) &&
       json_object_set_new(spec, "union_by_name", json_true())) ||
      (opt->filename && json_object_set_new(spec, "filename", json_true())) ||
      (opt->file_row_number &&
       json_object_set_new(spec, "file_row_number", json_true())) ||
      (opt->delimiter &&
       json_object_set_new(spec, "delimiter", json_string(opt->delimiter))) ||
      (opt->header && json_object_set_new(spec, "header", json_true())) ||
      (opt->detect && json_object_set_new(spec, "detect", json_true())))
    goto out_oom;
  return spec;

out_oom:
  json_decref(spec);
  *st = sp_error_oom(err);
  return NULL;
}

/* Each file's partition, found when the DataFrame is built; files sorted
 * by path, as a READ node lists them. */
typedef struct key_table {
  size_t n;
  const char **paths; /* borrowed from the READ node */
  int *keys;
} key_table;

static int path_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An sp_assign_fn over a key_table. */
static int assign_from_table(const char *const *paths, size_t npaths,
                             int npartitions, int *partition_of, void *arg)
{
  const key_table *t = arg;
  size_t i;

  (void)npartitions;
  for (i = 0; i < npaths; i++) {
    const char **hit = bsearch(&paths[i], t->paths, t->n, sizeof(*t->paths),
                               path_cmp);
    if (!hit)
      return 1;
    partition_of[i] = t->keys[hit - t->paths];
  }
  return 0;
}

/* The files of `read` put back into the partitions they were written
 * from (sp_read_options.partitioned_by). */
static sp_status read_partitioned(sp_session *s, sp_node *read,
                                  const sp_read_options *opt, sp_node **out,
                                  sp_error **err)
{
  sp_split_spec spec = {.kind = SP_SPLIT_ASSIGN,
                        .assign = assign_from_table,
                        .dimension = opt->partitioned_by};
  size_t n = read->files.len, i;
  sp_buf name = SP_BUF_INIT;
  char *layout = NULL;
  key_table *t;
  sp_status st;

  if (opt->npartitions < 1)
    return sp_error_set(err, SP_EINVAL, "read_parquet: partitioned_by needs "
                        "npartitions, at least 1");
  if (!(t = sp_malloc(sizeof(*t) + n * (sizeof(char *) + sizeof(int)))))
    return sp_error_oom(err);
  t->n = n;
  t->paths = (const char **)(t + 1);
  t->keys = (int *)(t->paths + n);
  for (i = 0; i < n; i++)
    t->paths[i] = read->files.pieces[i].path;
  if ((st = sp_session_own(s, t, err)) != SP_OK)
    return st;
  if ((st = sp_read_partition_keys(t->paths, n, opt->partitioned_by,
                                   opt->npartitions, t->keys, err)))
    return st;
  sp_buf_appendf(&name, "smallpond:partitioned_by:%s", opt->partitioned_by);
  spec.assign_arg = t;
  spec.assign_name = name.data;
  st = sp_buf_oom(&name) ? sp_error_oom(err)
                         : sp_plan_add_repartition(&s->plan, read,
                                                   opt->npartitions, &spec,
                                                   NULL, out, err);
  sp_buf_release(&name);
  /* Files a hash repartition wrote say so: joins on its key need no
   * exchange. */
  if (st == SP_OK)
    st = sp_read_hash_layout(NULL, t->paths, n, &layout, err);
  if (st == SP_OK && layout && (*out)->ndims == 1 &&
      sp_hash_layout_check(layout, opt->partitioned_by, opt->npartitions))
    st = sp_node_set_hash_layout(*out, layout, err);
  sp_free(layout);
  return st;
}

/* Gives a CSV or JSON reader that detects each file's dialect, and has no
 * columns of its own, the types DuckDB finds over all the files, so that
 * every partition reads those, whichever files it got. */
static sp_status add_detected_schema(json_t *spec, const sp_file_list *files,
                                     sp_error **err)
{
  const char *format = json_string_value(json_object_get(spec, "format"));
  const char **paths;
  json_t *schema;
  sp_status st;
  size_t i;

  if (!json_is_true(json_object_get(spec, "detect")) ||
      json_array_size(json_object_get(spec, "columns")) || files->len == 0)
    return SP_OK;
  if (!(paths = sp_calloc(files->len, sizeof(*paths))))
    return sp_error_oom(err);
  for (i = 0; i < files->len; i++)
    paths[i] = files->items[i].path;
  st = sp_detected_schema(strcmp(format, "csv") == 0 ? "read_csv"
                                                     : "read_json",
                          paths, files->len, &schema, err);
  sp_free(paths);
  if (st != SP_OK)
    return st;
  return json_object_set_new(spec, "columns", schema) ? sp_error_oom(err)
                                                      : SP_OK;
}

/* Gives a Parquet reader that unites its files by name the schema every
 * partition reads (see plan/reader.h): found now, over all the files. */
static sp_status add_union_schema(json_t *spec, const sp_file_list *files,
                                  const sp_read_options *opt, sp_error **err)
{
  const char **paths;
  json_t *schema;
  sp_status st;
  size_t i;

  if (!spec || !json_is_true(json_object_get(spec, "union_by_name")) ||
      files->len == 0)
    return SP_OK;
  if (!(paths = sp_calloc(files->len, sizeof(*paths))))
    return sp_error_oom(err);
  for (i = 0; i < files->len; i++)
    paths[i] = files->items[i].path;
  st = sp_union_schema(paths, files->len, opt->columns, opt->ncolumns,
                       &schema, err);
  sp_free(paths);
  if (st != SP_OK)
    return st;
  return json_object_set_new(spec, "schema", schema) ? sp_error_oom(err)
                                                     : SP_OK;
}

sp_status sp_df_read(sp_session *s, const char *what, const char *format,
                     const char *const *paths, size_t npaths,
                     const sp_read_options *opt, sp_df **out, sp_error **err)
{
  sp_file_list files = {0};
  sp_node *node;
  sp_status st;
  json_t *spec;
  char *reader = NULL;

  if (!s || !out)
    return sp_error_set(err, SP_EINVAL, "%s: %s is NULL", what,
                        !s ? "s" : "out");
  if (npaths && !paths)
    return sp_error_set(err, SP_EINVAL, "%s: npaths is %zu but paths is "
                        "NULL", what, npaths);
  spec = make_reader(what, format, opt, &st, err);
  if (st != SP_OK)
    return st;
  if ((st = sp_duck_list_files(NULL, paths, npaths, opt && opt->recursive,
                               &files, err)) == SP_OK &&
      ((st = add_union_schema(spec, &files, opt, err)) != SP_OK ||
       (st = add_detected_schema(spec, &files, err)) != SP_OK))
    sp_error_prefix(err, "%s", what);
  if (st == SP_OK && spec &&
      !(reader = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS)))
    st = sp_error_oom(err);
  if (st == SP_OK)
    st = sp_plan_add_read(&s->plan, &files, reader, &node, err);
  if (st == SP_OK && opt && opt->partitioned_by)
    st = read_partitioned(s, node, opt, &node, err);
  free(reader); /* from jansson */
  json_decref(spec);
  sp_file_list_release(&files);
  return st ? st : sp_df_new(s, node, out, err);
}

/* Names path's file by a hash of its bytes: <dir>/arrow-<hash>.parquet. */
static sp_status name_by_content(const char *path, const char *dir,
                                 sp_buf *final, sp_error **err)
{
  char block[1 << 16];
  uint64_t h = SP_HASH_INIT;
  size_t n;
  FILE *f = fopen(path, "rb");

  if (!f)
    return sp_error_set(err, SP_EIO, "cannot read %s", path);
  while ((n = fread(block, 1, sizeof(block), f)) > 0)
    h = sp_hash_bytes(h, block, n);
  fclose(f);
  sp_buf_appendf(final, "%s/arrow-%016llx.parquet", dir,
                 (unsigned long long)h);
  return sp_buf_oom(final) ? sp_error_oom(err) : SP_OK;
}

sp_status sp_from_arrow(sp_session *s, struct ArrowArrayStream *stream,
                        sp_df **out, sp_error **err)
{
  sp_buf dir = SP_BUF_INIT, tmp = SP_BUF_INIT, final = SP_BUF_INIT;
  sp_file_info info = {NULL, 0, 0};
  sp_file_list files = {&info, 1, 1};
  int64_t rows = 0;
  sp_node *node;
  sp_status st;

  if (!s || !stream || !out) {
    if (stream && stream->release)
      stream->release(stream);
    return sp_error_set(err, SP_EINVAL, "sp_from_arrow: %s is NULL",
                        !s ? "s" : !stream ? "stream" : "out");
  }
  sp_layout_file(&s->job.layout, &dir, "inputs");
  sp_buf_appendf(&tmp, "%s/.arrow-%zu.tmp", dir.data, s->ndfs);
  if (sp_buf_oom(&dir) || sp_buf_oom(&tmp)) {
    stream->release(stream);
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_mkdir_p(dir.data, err)) != SP_OK) {
    stream->release(stream);
    goto out;
  }
  if ((st = sp_arrow_stream_to_parquet(stream, tmp.data, &rows, err)) ||
      (st = name_by_content(tmp.data, dir.data, &final, err)))
    goto out;
  if (rename(tmp.data, final.data) != 0) {
    st = sp_error_set(err, SP_EIO, "cannot rename %s to %s", tmp.data,
                      final.data);
    goto out;
  }
  info.path = final.data;
  if ((info.size = sp_file_size(final.data, err)) < 0) {
    st = SP_EIO;
    goto out;
  }
  /* The same bytes under the same name: the key must not see the mtime. */
  if ((st = sp_plan_add_read(&s->plan, &files, NULL, &node, err)) == SP_OK)
    st = sp_df_new(s, node, out, err);
out:
  if (st != SP_OK && tmp.len)
    remove(tmp.data);
  sp_buf_release(&dir);
  sp_buf_release(&tmp);
  sp_buf_release(&final);
  return st;
}

/* A public read: the program's options as this library's. */
static sp_status read_files(sp_session *s, const char *what,
                            const char *format, const char *const *paths,
                            size_t npaths, const sp_read_options *opt,
                            sp_df **out, sp_error **err)
{
  sp_read_options mine;

  if (s)
    opt = SP_API_OPTIONS(s, SP_ABI_READ_OPTIONS, opt, mine);
  return sp_df_read(s, what, format, paths, npaths, opt, out, err);
}

sp_status sp_read_parquet(sp_session *s, const char *const *paths,
                          size_t npaths, const sp_read_options *opt,
                          sp_df **out, sp_error **err)
{
  return read_files(s, "read_parquet", "parquet", paths, npaths, opt, out,
                    err);
}

sp_status sp_read_csv(sp_session *s, const char *const *paths, size_t npaths,
                      const sp_read_options *opt, sp_df **out, sp_error **err)
{
  return read_files(s, "read_csv", "csv", paths, npaths, opt, out, err);
}

sp_status sp_read_json(sp_session *s, const char *const *paths,
                       size_t npaths, const sp_read_options *opt, sp_df **out,
                       sp_error **err)
{
  return read_files(s, "read_json", "json", paths, npaths, opt, out, err);
}

sp_status sp_repartition(sp_df *df, int npartitions,
                         const sp_repartition_options *opt, sp_df **out,
                         sp_error **err)
{
  sp_split_spec spec = {.kind = SP_SPLIT_FILES};
  sp_repartition_options mine;
  sp_node_options step;
  sp_node *node;
  sp_status st;

  if (!df || !out)
    return sp_error_set(err, SP_EINVAL, "sp_repartition: %s is NULL",
                        !df ? "df" : "out");
  if ((opt = SP_API_OPTIONS(df->session, SP_ABI_REPARTITION_OPTIONS, opt,
                            mine)) && opt->node)
    mine.node = SP_API_OPTIONS(df->session, SP_ABI_NODE_OPTIONS, opt->node,
                               step);
  if (opt && opt->nhash_by && !opt->hash_by)
    return sp_error_set(err, SP_EINVAL, "sp_repartition: opt->nhash_by is "
                        "%zu but opt->hash_by is NULL", opt->nhash_by);
  if (opt && (opt->nhash_by > 0) + (opt->by != NULL) + (opt->by_rows != 0) +
                 (opt->assign != NULL) + (opt->range_by != NULL) > 1)
    return sp_error_set(err, SP_EINVAL, "repartition: hash_by, by, by_rows, "
                        "assign and range_by exclude each other");
  if (opt && opt->range_by) {
    st = sp_range_repartition(df, npartitions, opt, &node, err);
    return st ? st : sp_df_new(df->session, node, out, err);
  }
  if (opt && opt->nhash_by) {
    spec.kind = SP_SPLIT_HASH;
    spec.hash_by = opt->hash_by;
    spec.nhash_by = opt->nhash_by;
  } else if (opt && opt->by) {
    spec.kind = SP_SPLIT_BY;
    spec.by = opt->by;
  } else if (opt && opt->by_rows) {
    spec.kind = SP_SPLIT_ROWS;
  } else if (opt && opt->assign) {
    spec.kind = SP_SPLIT_ASSIGN;
    spec.assign = opt->assign;
    spec.assign_arg = opt->assign_arg;
    spec.assign_name = opt->assign_name;
  }
  if (opt) {
    spec.dimension = opt->dimension;
    spec.nested = opt->nested;
  }
  st = sp_plan_add_repartition(&df->session->plan, df->node, npartitions,
                               &spec, opt ? opt->node : NULL, &node, err);
  return st ? st : sp_df_new(df->session, node, out, err);
}

/* When query aggregates a hash repartition that has not run, by groups
 * that include the hash keys: *input becomes the same repartition with a
 * combiner (sql/combine.h), and *query the final aggregate over it. */
static sp_status combine(sp_session *s, const char **query, sp_node **input,
                         char **final, sp_error **err)
{
  const sp_node *r = *input;
  const char *codec = r->parquet.compression;
  sp_buf schema = SP_BUF_INIT;
  sp_node_options ropt;
  sp_split_spec spec;
  const json_t *functions;
  char *partial = NULL;
  sp_status st;

  *final = NULL;
  /* The input's schema must be known to check the partial results'
   * types: a source's files. */
  if (r->kind != SP_NODE_REPARTITION || r->split != SP_SPLIT_HASH ||
      r->nested || r->sql || sp_graph_node_planned(&s->graph, r) ||
      r->inputs[0]->kind != SP_NODE_READ || r->inputs[0]->files.len == 0)
    return SP_OK;
  if ((st = sp_session_functions(s, &functions, err)) != SP_OK ||
      (st = sp_input_select(&schema, &r->inputs[0]->files, err)) != SP_OK)
    return st;
  st = sp_buf_oom(&schema) ? sp_error_oom(err)
                          : sp_sql_combine(*query, schema.data, r->hash_by,
                                           r->nhash_by, functions, &partial,
                                           final, err);
  sp_buf_release(&schema);
  if (st != SP_OK || !partial)
    return st;
  memset(&spec, 0, sizeof(spec));
  spec.kind = SP_SPLIT_HASH;
  spec.hash_by = (const char *const *)r->hash_by;
  spec.nhash_by = r->nhash_by;
  spec.dimension = r->dims[0].name;
  spec.combine = partial;
  memset(&ropt, 0, sizeof(ropt));
  ropt.task_threads = r->task_threads;
  ropt.task_memory = r->task_memory;
  ropt.compression = *codec ? codec : NULL;
  ropt.compression_level = r->parquet.compression_level;
  ropt.row_group_size = r->parquet.row_group_size;
  ropt.no_dictionary = r->parquet.no_dictionary;
  st = sp_plan_add_repartition(&s->plan, r->inputs[0], r->npartitions, &spec,
                               &ropt, input, err);
  sp_free(partial);
  if (st == SP_OK) {
    *query = *final;
  } else {
    sp_free(*final);
    *final = NULL;
  }
  return st;
}

sp_status sp_partial_sql(sp_session *s, const char *query,
                         sp_df *const *inputs, size_t ninputs,
                         const sp_node_options *opt, sp_df **out,
                         sp_error **err)
{
  sp_node *nodes[64], *node;
  sp_node_options mine;
  char *final = NULL;
  sp_status st;
  size_t i;

  if (!s || !query || !out)
    return sp_error_set(err, SP_EINVAL, "sp_partial_sql: %s is NULL",
                        !s ? "s" : !query ? "query" : "out");
  opt = SP_API_OPTIONS(s, SP_ABI_NODE_OPTIONS, opt, mine);
  if (ninputs && !inputs)
    return sp_error_set(err, SP_EINVAL, "sp_partial_sql: ninputs is %zu but "
                        "inputs is NULL", ninputs);
  if (ninputs > sizeof(nodes) / sizeof(nodes[0]))
    return sp_error_set(err, SP_EINVAL, "partial_sql: at most %zu inputs",
                        sizeof(nodes) / sizeof(nodes[0]));
  for (i = 0; i < ninputs; i++) {
    if (!inputs[i] || inputs[i]->session != s)
      return sp_error_set(err, SP_EINVAL, "partial_sql: input {%zu} is NULL "
                          "or belongs to another session", i);
    nodes[i] = inputs[i]->node;
  }
  if (ninputs == 1 &&
      (st = combine(s, &query, &nodes[0], &final, err)) != SP_OK)
    return st;
  st = sp_plan_add_sql(&s->plan, query, nodes, ninputs, opt, &node, err);
  sp_free(final);
  return st ? st : sp_df_new(s, node, out, err);
}

sp_status sp_union(sp_df *const *dfs, size_t n, sp_df **out, sp_error **err)
{
  sp_node *nodes[64], *node;
  sp_session *s;
  sp_status st;
  size_t i;

  if (!dfs || !n || !out)
    return sp_error_set(err, SP_EINVAL, "sp_union: %s",
                        !out ? "out is NULL"
                        : !n ? "n is 0: nothing to unite"
                             : "dfs is NULL");
  if (!dfs[0])
    return sp_error_set(err, SP_EINVAL, "union: input 0 is NULL");
  if (n > sizeof(nodes) / sizeof(nodes[0]))
    return sp_error_set(err, SP_EINVAL, "union: at most %zu inputs",
                        sizeof(nodes) / sizeof(nodes[0]));
  s = dfs[0]->session;
  for (i = 0; i < n; i++) {
    if (!dfs[i] || dfs[i]->session != s)
      return sp_error_set(err, SP_EINVAL, "union: input %zu is NULL or "
                          "belongs to another session", i);
    nodes[i] = dfs[i]->node;
  }
  st = sp_plan_add_union(&s->plan, nodes, n, &node, err);
  return st ? st : sp_df_new(s, node, out, err);
}

int sp_df_num_partitions(const sp_df *df)
{
  return df ? df->node->npartitions : 0;
}
