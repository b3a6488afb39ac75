/*
 * transform.c - transformations over one DataFrame: those written in SQL
 * (map, filter, flat_map, partial_sort, limit, from_sql, random_shuffle),
 * each a SQL node whose user text is embedded with its braces doubled so
 * it is never read as a {0} placeholder; and those in C over Arrow batches
 * (map_batches, map_rows, filter_batches), each a BATCH node naming a
 * function registered in the session.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "exec/task.h"
#include "plan/template.h"
#include "util/buf.h"
#include "util/error.h"

/* A SQL node "<before><text><after>" over df (or over nothing when df is
 * NULL), where only `text` comes from the user. A newline follows the
 * text wherever SQL follows it, as the text may end in a -- comment. */
static sp_status add_sql(sp_session *s, sp_df *df, const char *what,
                         const char *before, const char *text,
                         const char *after, const sp_node_options *opt,
                         sp_df **out, sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  sp_node_options mine;
  sp_node *node;
  sp_status st;

  if (!s || !out || !text || !*text)
    return sp_error_set(err, SP_EINVAL, "%s: missing argument", what);
  opt = SP_API_OPTIONS(s, SP_ABI_NODE_OPTIONS, opt, mine);
  sp_buf_puts(&sql, before);
  sp_template_append_text(&sql, text);
  sp_buf_puts(&sql, after);
  if (sp_buf_oom(&sql))
    return sp_error_oom(err);
  st = sp_plan_add_sql(&s->plan, sql.data, df ? &df->node : NULL, df ? 1 : 0,
                       opt, &node, err);
  sp_buf_release(&sql);
  if (st != SP_OK) {
    sp_error_prefix(err, "%s", what);
    return st;
  }
  return sp_df_new(s, node, out, err);
}

sp_status sp_map(sp_df *df, const char *exprs, const sp_node_options *opt,
                 sp_df **out, sp_error **err)
{
  return add_sql(df ? df->session : NULL, df, "map", "SELECT ", exprs,
                 "\nFROM {0}", opt, out, err);
}

sp_status sp_flat_map(sp_df *df, const char *exprs,
                      const sp_node_options *opt, sp_df **out, sp_error **err)
{
  return add_sql(df ? df->session : NULL, df, "flat_map", "SELECT ", exprs,
                 "\nFROM {0}", opt, out, err);
}

sp_status sp_filter(sp_df *df, const char *predicate,
                    const sp_node_options *opt, sp_df **out, sp_error **err)
{
  return add_sql(df ? df->session : NULL, df, "filter",
                 "SELECT * FROM {0} WHERE (", predicate, "\n)", opt, out,
                 err);
}

sp_status sp_partial_sort(sp_df *df, const char *order,
                          const sp_node_options *opt, sp_df **out,
                          sp_error **err)
{
  return add_sql(df ? df->session : NULL, df, "partial_sort",
                 "SELECT * FROM {0} ORDER BY ", order, "\n", opt, out, err);
}

sp_status sp_from_sql(sp_session *s, const char *query,
                      const sp_node_options *opt, sp_df **out,
                      sp_error **err)
{
  return add_sql(s, NULL, "from_sql", "", query, "", opt, out, err);
}

sp_status sp_limit(sp_df *df, int64_t n, const sp_node_options *opt,
                   sp_df **out, sp_error **err)
{
  sp_df *each = NULL, *one = NULL;
  char limit[48];
  sp_status st;

  if (!df || !out)
    return sp_error_set(err, SP_EINVAL, "limit: missing argument");
  if (n < 0)
    return sp_error_set(err, SP_EINVAL, "limit: n must not be negative, got "
                        "%lld", (long long)n);
  snprintf(limit, sizeof(limit), "%lld", (long long)n);
  /* Per partition first, so no task reads more than it keeps; then the
   * partitions' files in one partition, limited once more. */
  if ((st = add_sql(df->session, df, "limit", "SELECT * FROM {0} LIMIT ",
                    limit, "", opt, &each, err)) != SP_OK)
    return st;
  if (df->node->npartitions == 1) {
    *out = each;
    return SP_OK;
  }
  if ((st = sp_repartition(each, 1, NULL, &one, err)) != SP_OK)
    return st;
  return add_sql(df->session, one, "limit", "SELECT * FROM {0} LIMIT ", limit,
                 "", opt, out, err);
}

sp_status sp_random_shuffle(sp_df *df, const sp_node_options *opt,
                            sp_df **out, sp_error **err)
{
  sp_split_spec spec = {.kind = SP_SPLIT_RANDOM};
  sp_node_options mine;
  sp_node *node;
  sp_df *moved = NULL;
  sp_status st;

  if (!df || !out)
    return sp_error_set(err, SP_EINVAL, "random_shuffle: missing argument");
  opt = SP_API_OPTIONS(df->session, SP_ABI_NODE_OPTIONS, opt, mine);
  /* Keep the name of a one-dimension partitioning. */
  if (df->node->ndims == 1)
    spec.dimension = df->node->dims[0].name;
  st = sp_plan_add_repartition(&df->session->plan, df->node,
                               df->node->npartitions, &spec, opt, &node, err);
  if (st == SP_OK)
    st = sp_df_new(df->session, node, &moved, err);
  if (st != SP_OK)
    return st;
  return add_sql(df->session, moved, "random_shuffle",
                 "SELECT * FROM {0} ORDER BY ", "random()", "", opt, out, err);
}

static sp_status add_batch(sp_df *df, const char *what, const char *fn,
                           sp_batch_mode mode, int64_t batch_size,
                           const sp_node_options *opt, sp_df **out,
                           sp_error **err)
{
  const sp_batch_function *f;
  sp_node_options mine;
  sp_node *node;
  sp_status st;

  if (!df || !fn || !out)
    return sp_error_set(err, SP_EINVAL, "%s: missing argument", what);
  opt = SP_API_OPTIONS(df->session, SP_ABI_NODE_OPTIONS, opt, mine);
  f = sp_batch_function_find(df->session->fns, df->session->nfns, fn);
  if (!f || (mode == SP_BATCH_FILTER ? !f->filter : !f->map))
    return sp_error_set(err, SP_EINVAL, "%s: sp_config.batch_functions has "
                        "no %s function named '%s'", what,
                        mode == SP_BATCH_FILTER ? "filter" : "map", fn);
  st = sp_plan_add_batch(&df->session->plan, df->node, fn, mode, batch_size,
                         opt, &node, err);
  if (st != SP_OK) {
    sp_error_prefix(err, "%s", what);
    return st;
  }
  return sp_df_new(df->session, node, out, err);
}

sp_status sp_map_batches(sp_df *df, const char *fn_name, int64_t batch_size,
                         const sp_node_options *opt, sp_df **out,
                         sp_error **err)
{
  return add_batch(df, "map_batches", fn_name, SP_BATCH_MAP, batch_size, opt,
                   out, err);
}

sp_status sp_map_rows(sp_df *df, const char *fn_name, int64_t batch_size,
                      const sp_node_options *opt, sp_df **out,
                      sp_error **err)
{
  return add_batch(df, "map_rows", fn_name, SP_BATCH_MAP_ROWS, batch_size,
                   opt, out, err);
}

sp_status sp_filter_batches(sp_df *df, const char *fn_name,
                            int64_t batch_size, const sp_node_options *opt,
                            sp_df **out, sp_error **err)
{
  return add_batch(df, "filter_batches", fn_name, SP_BATCH_FILTER,
                   batch_size, opt, out, err);
}
