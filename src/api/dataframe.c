/*
 * dataframe.c - DataFrame constructors: sources and transformations. They
 * only add nodes to the session's plan; nothing runs here.
 */
#include "api/api.h"
#include "io/glob.h"
#include "util/error.h"

sp_status sp_read_parquet(sp_session *s, const char *const *paths,
                          size_t npaths, sp_df **out, sp_error **err)
{
  sp_file_list files = {0};
  sp_node *node;
  sp_status st;

  if (!s || !out || (npaths && !paths))
    return sp_error_set(err, SP_EINVAL, "sp_read_parquet: NULL argument");
  if ((st = sp_list_files(paths, npaths, &files, err)) != SP_OK)
    return st;
  st = sp_plan_add_read_parquet(&s->plan, &files, &node, err);
  sp_file_list_release(&files);
  return st ? st : sp_df_new(s, node, out, err);
}

sp_status sp_repartition(sp_df *df, int npartitions,
                         const sp_repartition_options *opt, sp_df **out,
                         sp_error **err)
{
  sp_split_spec spec = {SP_SPLIT_FILES, NULL, 0, NULL};
  sp_node *node;
  sp_status st;

  if (!df || !out)
    return sp_error_set(err, SP_EINVAL, "sp_repartition: NULL argument");
  if (opt && (opt->nhash_by > 0) + (opt->by != NULL) + (opt->by_rows != 0) > 1)
    return sp_error_set(err, SP_EINVAL, "repartition: hash_by, by and "
                        "by_rows exclude each other");
  if (opt && opt->nhash_by) {
    spec.kind = SP_SPLIT_HASH;
    spec.hash_by = opt->hash_by;
    spec.nhash_by = opt->nhash_by;
  } else if (opt && opt->by) {
    spec.kind = SP_SPLIT_BY;
    spec.by = opt->by;
  } else if (opt && opt->by_rows) {
    spec.kind = SP_SPLIT_ROWS;
  }
  st = sp_plan_add_repartition(&df->session->plan, df->node, npartitions,
                               &spec, &node, err);
  return st ? st : sp_df_new(df->session, node, out, err);
}

sp_status sp_partial_sql(sp_session *s, const char *query,
                         sp_df *const *inputs, size_t ninputs, sp_df **out,
                         sp_error **err)
{
  sp_node *nodes[64], *node;
  sp_status st;
  size_t i;

  if (!s || !query || !out || (ninputs && !inputs))
    return sp_error_set(err, SP_EINVAL, "sp_partial_sql: NULL argument");
  if (ninputs > sizeof(nodes) / sizeof(nodes[0]))
    return sp_error_set(err, SP_EINVAL, "partial_sql: at most %zu inputs",
                        sizeof(nodes) / sizeof(nodes[0]));
  for (i = 0; i < ninputs; i++) {
    if (!inputs[i] || inputs[i]->session != s)
      return sp_error_set(err, SP_EINVAL, "partial_sql: input {%zu} is NULL "
                          "or belongs to another session", i);
    nodes[i] = inputs[i]->node;
  }
  st = sp_plan_add_sql(&s->plan, query, nodes, ninputs, &node, err);
  return st ? st : sp_df_new(s, node, out, err);
}

sp_status sp_union(sp_df *const *dfs, size_t n, sp_df **out, sp_error **err)
{
  sp_node *nodes[64], *node;
  sp_session *s;
  sp_status st;
  size_t i;

  if (!dfs || !n || !dfs[0] || !out)
    return sp_error_set(err, SP_EINVAL, "sp_union: NULL argument");
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
