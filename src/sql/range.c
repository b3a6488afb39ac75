/*
 * range.c - range partitioning planned from a sample (see range.h).
 */
#include "sql/range.h"

#include "plan/template.h"
#include "util/error.h"

/* Rows sampled per input partition for n partitions: 20 x n, as Spark,
 * but at least 1,000 (few partitions would otherwise split on a hundred
 * samples, unevenly) and at most 100,000. */
static long long sample_rows(int n)
{
  long long rows = 20 * (long long)n;

  return rows < 1000 ? 1000 : rows < 100000 ? rows : 100000;
}

void sp_range_append_sample(sp_buf *b, const char *key, const char *input,
                            const char *seed, int n)
{
  sp_buf_puts(b, "SELECT ");
  sp_buf_puts(b, key);
  sp_buf_puts(b, " AS __sp_sk, (SELECT count(*) FROM ");
  sp_buf_puts(b, input);
  sp_buf_puts(b, ")::DOUBLE / count(*) OVER () AS __sp_w FROM ");
  sp_buf_puts(b, input);
  sp_buf_appendf(b, " USING SAMPLE reservoir(%lld ROWS) REPEATABLE (%s)",
                 sample_rows(n), seed);
}

void sp_range_append_bounds(sp_buf *b, const char *input, int n)
{
  /* A sample's place is the middle of its weight; bound i is the first
   * key placed at i/n or later. */
  sp_buf_puts(b, "WITH c AS (SELECT __sp_sk AS sk, (sum(__sp_w) OVER "
                 "(ORDER BY __sp_sk ROWS BETWEEN UNBOUNDED PRECEDING AND "
                 "CURRENT ROW) - __sp_w / 2) / sum(__sp_w) OVER () AS f "
                 "FROM ");
  sp_buf_puts(b, input);
  sp_buf_appendf(b, "),\nq AS (SELECT sk, least(floor(f * %d), %d)::BIGINT "
                 "AS q FROM c)\nSELECT i AS __sp_i, (SELECT min(sk) FROM q "
                 "WHERE q.q >= t.i) AS __sp_bound FROM range(1, %d) t(i) "
                 "ORDER BY i", n, n - 1, n);
}

sp_status sp_range_add_bounds(sp_plan *plan, const sp_graph *graph,
                              sp_node *input, int n, const char *key,
                              sp_node **out, sp_error **err)
{
  sp_split_spec by_files = {.kind = SP_SPLIT_FILES};
  sp_node *sample = NULL, *all = NULL;
  sp_buf sql = SP_BUF_INIT, tkey = SP_BUF_INIT;
  int pieces = sp_graph_read_pieces(graph, input);
  sp_status st;

  if (input->npartitions == 1 && pieces > 1 &&
      (st = sp_plan_add_repartition(plan, input, pieces, &by_files, NULL,
                                    &input, err)) != SP_OK)
    return st;
  /* A template: the key's braces doubled; {rand_seed} makes the sample
   * the same when the job runs again. */
  sp_template_append_text(&tkey, key);
  if (sp_buf_oom(&tkey)) {
    st = sp_error_oom(err);
    goto out;
  }
  sp_range_append_sample(&sql, tkey.data, "{0}", "{rand_seed}", n);
  st = sp_buf_oom(&sql) ? sp_error_oom(err)
                        : sp_plan_add_sql(plan, sql.data, &input, 1, NULL,
                                          &sample, err);
  if (st == SP_OK)
    st = sp_plan_add_repartition(plan, sample, 1, &by_files, NULL, &all,
                                 err);
  if (st != SP_OK)
    goto out;
  sp_buf_reset(&sql);
  sp_range_append_bounds(&sql, "{0}", n);
  st = sp_buf_oom(&sql) ? sp_error_oom(err)
                        : sp_plan_add_sql(plan, sql.data, &all, 1, NULL, out,
                                          err);
out:
  sp_buf_release(&sql);
  sp_buf_release(&tkey);
  return st;
}
