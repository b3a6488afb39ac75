/*
 * sort.c - range repartitioning and the sort built on it.
 *
 * A range repartition into n is three steps the planner already knows,
 * then a shuffle:
 *   1. per input partition, a reservoir sample of the rows' sort keys
 *      (about 20 x n, as Spark's RangePartitioner), each weighted by the
 *      partition's rows over its sample, so that big partitions count more
 *      (one partition of many files is sampled in the producers' pieces);
 *   2. all samples in one partition (a split of files, no data moved);
 *   3. one task picks the n-1 split points: the keys where the running
 *      weight crosses 1/n, 2/n, ... of the total;
 *   4. the producers route every row by its sort key among the points
 *      (exec/task_shuffle.c).
 * The sort key is DuckDB's create_sort_key over the order's columns and a
 * random tie-breaker, so that many rows with one key value still split at
 * sampled points instead of landing in one partition. Both the sample and
 * the producers draw it: ties fall in proportion, not row by row.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "plan/order.h"
#include "plan/template.h"
#include "util/error.h"

/* Rows sampled per input partition for n partitions: 20 x n, as Spark,
 * but at least 1,000 (few partitions would otherwise split on a hundred
 * samples, unevenly) and at most 100,000. */
static int64_t sample_rows(int n)
{
  int64_t rows = 20 * (int64_t)n;

  return rows < 1000 ? 1000 : rows < 100000 ? rows : 100000;
}

/* Adds a SQL node over input with the query template sql. */
static sp_status add_sql(sp_session *s, sp_node *input, const sp_buf *sql,
                         const sp_node_options *opt, sp_node **out,
                         sp_error **err)
{
  if (sp_buf_oom(sql))
    return sp_error_oom(err);
  return sp_plan_add_sql(&s->plan, sql->data, &input, 1, opt, out, err);
}

/* Steps 1 to 3: the node whose one partition holds the split points. */
static sp_status add_bounds(sp_session *s, sp_node *input, int n,
                            const char *key, sp_node **out, sp_error **err)
{
  sp_split_spec by_files = {.kind = SP_SPLIT_FILES};
  sp_node *sample = NULL, *all = NULL;
  sp_buf sql = SP_BUF_INIT;
  sp_status st;
  int pieces = sp_graph_read_pieces(&s->graph, input);

  /* One partition of many files is sampled in the pieces its producers
   * will read, so that the sample's scan of every key runs on every
   * worker; the weights account for the pieces' sizes. */
  if (input->npartitions == 1 && pieces > 1 &&
      (st = sp_plan_add_repartition(&s->plan, input, pieces, &by_files, NULL,
                                    &input, err)) != SP_OK)
    return st;
  /* {rand_seed} makes the sample the same when the job runs again. */
  sp_buf_puts(&sql, "SELECT ");
  sp_template_append_text(&sql, key);
  sp_buf_appendf(&sql, " AS __sp_sk, "
                 "(SELECT count(*) FROM {0})::DOUBLE / count(*) OVER () "
                 "AS __sp_w FROM {0} USING SAMPLE reservoir(%lld ROWS) "
                 "REPEATABLE ({rand_seed})",
                 (long long)sample_rows(n));
  if ((st = add_sql(s, input, &sql, NULL, &sample, err)) != SP_OK)
    goto out;
  if ((st = sp_plan_add_repartition(&s->plan, sample, 1, &by_files, NULL, &all,
                                    err)) != SP_OK)
    goto out;
  /* A sample's place is the middle of its weight; bound i is the first key
   * placed at i/n or later (NULL when there is none: no row goes past). */
  sp_buf_reset(&sql);
  sp_buf_appendf(&sql,
                 "WITH c AS (SELECT __sp_sk AS sk, (sum(__sp_w) OVER (ORDER BY "
                 "__sp_sk ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - "
                 "__sp_w / 2) / sum(__sp_w) OVER () AS f FROM {0}),\n"
                 "q AS (SELECT sk, least(floor(f * %d), %d)::BIGINT AS q "
                 "FROM c)\n"
                 "SELECT i AS __sp_i, (SELECT min(sk) FROM q WHERE q.q >= t.i) "
                 "AS __sp_bound FROM range(1, %d) t(i) ORDER BY i",
                 n, n - 1, n);
  st = add_sql(s, all, &sql, NULL, out, err);
out:
  sp_buf_release(&sql);
  return st;
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
  if ((st = add_bounds(df->session, df->node, npartitions, key.data,
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
  sp_repartition_options ropt = {.range_by = order, .node = opt};
  sp_order parsed;
  sp_buf sql = SP_BUF_INIT, tmp = SP_BUF_INIT;
  sp_node *ranged = NULL, *sorted = NULL;
  sp_status st;

  if (!df || !out || !order)
    return sp_error_set(err, SP_EINVAL, "sort: missing argument");
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
