/*
 * sort.c - range repartitioning and the sort built on it: the split
 * points are planned from a sample (sql/range.h), then the rows are
 * routed between them and each partition sorted.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "plan/order.h"
#include "plan/template.h"
#include "sql/range.h"
#include "util/error.h"

/* Adds a SQL node over input with the query template sql. */
static sp_status add_sql(sp_session *s, sp_node *input, const sp_buf *sql,
                         const sp_node_options *opt, sp_node **out,
                         sp_error **err)
{
  if (sp_buf_oom(sql))
    return sp_error_oom(err);
  return sp_plan_add_sql(&s->plan, sql->data, &input, 1, opt, out, err);
}

sp_status sp_range_repartition(sp_df *df, int npartitions,
                               const sp_repartition_options *opt,
                               sp_node **out, sp_error **err)
{
  sp_split_spec spec = {.kind = SP_SPLIT_RANGE};
  sp_order order;
  sp_buf key = SP_BUF_INIT;
  sp_status st;

  if (npartitions < 1)
    return sp_error_set(err, SP_EINVAL, "repartition: number of partitions "
                        "must be at least 1, got %d", npartitions);
  if (opt->nested)
    return sp_error_set(err, SP_EINVAL, "repartition: a range partitioning "
                        "cannot be nested");
  if ((st = sp_order_parse(opt->range_by, &order, err)) != SP_OK) {
    sp_error_prefix(err, "repartition");
    return st;
  }
  sp_order_append_sort_key(&order, "random()", &key);
  sp_order_release(&order);
  if (sp_buf_oom(&key)) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_range_add_bounds(&df->session->plan, &df->session->graph,
                                df->node, npartitions, key.data,
                                &spec.bounds, err)) != SP_OK) {
    sp_error_prefix(err, "repartition by range of %s", opt->range_by);
    goto out;
  }
  spec.by = key.data;
  spec.dimension = opt->dimension;
  st = sp_plan_add_repartition(&df->session->plan, df->node, npartitions,
                               &spec, opt->node, out, err);
out:
  sp_buf_release(&key);
  return st;
}

sp_status sp_sort(sp_df *df, const char *order, int npartitions,
                  const sp_node_options *opt, sp_df **out, sp_error **err)
{
  sp_repartition_options ropt = {.range_by = order};
  sp_node_options mine;
  sp_order parsed;
  sp_buf sql = SP_BUF_INIT, tmp = SP_BUF_INIT;
  sp_node *ranged = NULL, *sorted = NULL;
  sp_status st;

  if (!df || !out || !order)
    return sp_error_set(err, SP_EINVAL, "sort: missing argument");
  ropt.node = opt = SP_API_OPTIONS(df->session, SP_ABI_NODE_OPTIONS, opt,
                                   mine);
  if ((st = sp_order_parse(order, &parsed, err)) != SP_OK) {
    sp_error_prefix(err, "sort");
    return st;
  }
  /* Keep the name of a one-dimension partitioning. */
  if (df->node->ndims == 1)
    ropt.dimension = df->node->dims[0].name;
  if ((st = sp_range_repartition(df, npartitions ? npartitions
                                                 : df->node->npartitions,
                                 &ropt, &ranged, err)) != SP_OK)
    goto out;
  /* The order written out in full: NULLs placed as in the sort key. */
  sp_buf_puts(&sql, "SELECT * FROM {0} ORDER BY ");
  sp_order_append_sql(&parsed, &tmp);
  sp_template_append_text(&sql, tmp.data);
  if (sp_buf_oom(&tmp))
    st = sp_error_oom(err);
  else if ((st = add_sql(df->session, ranged, &sql, opt, &sorted, err)) ==
           SP_OK)
    st = sp_df_new(df->session, sorted, out, err);
out:
  sp_order_release(&parsed);
  sp_buf_release(&sql);
  sp_buf_release(&tmp);
  return st;
}
