/*
 * aggregate.h - an aggregate split into partial aggregates, computed
 * where the rows are, and a final expression that combines their results
 * after an exchange (research/distributed-sql.md, the decomposition
 * table).
 *
 *   count(x), count(*), count_if  partial: itself    final: coalesce(sum, 0)
 *   sum, min, max, bool_and/or,   partial: itself    final: the same
 *   bit_and/or/xor, any_value,
 *   product, fsum
 *   avg(x)                        partial: sum, count   final: sum / sum
 *   var_pop, var_samp, variance,  partial: count, avg, var_pop * count
 *   stddev, stddev_pop/samp       final: the pooled second moment, with
 *                                 the group's mean from a window
 *
 * A FILTER clause stays on every partial. ORDER BY inside the call, and
 * any other aggregate (median, quantile, string_agg, corr, ...) do not
 * split: the planner hashes the rows on the group keys first. DISTINCT
 * splits only over rows hashed on its argument.
 */
#ifndef SP_SQL_AGGREGATE_H
#define SP_SQL_AGGREGATE_H

#include <duckdb.h>
#include <jansson.h>

#include "smallpond.h"
#include "util/buf.h"

/* DuckDB's aggregate and macro functions, as an object from each name,
 * lower case, to "aggregate" or "macro": *catalog a new reference. A
 * macro's body may hold an aggregate. Listing them takes DuckDB about
 * 10 ms, so the list is kept in the file cache (a path; NULL: none):
 * read from it when it holds a list that checks, else made on a DuckDB of
 * its own and written there (atomically; a cache that cannot be written is
 * no error). The cache's name should name the DuckDB version. */
sp_status sp_agg_catalog(const char *cache, json_t **catalog, sp_error **err);

/* What catalog knows the function call e (a FUNCTION node) as:
 * "aggregate", "macro", or NULL (a scalar function, an operator, or not a
 * call). */
const char *sp_agg_function_kind(const json_t *catalog, const json_t *e);

/* Where the final expressions find their inputs. */
typedef struct sp_agg_names {
  const char *partial; /* partial k is the column <partial><k> */
  const char *window;  /* window column k is <window><k> */
  const char *over;    /* the window's OVER (...) contents: the group
                          columns' PARTITION BY, or "" */
} sp_agg_names;

/* 1 if agg, a FUNCTION node of an aggregate, splits. distinct_ok: the
 * rows are hashed on the argument of agg's DISTINCT, so that count, sum,
 * min, max and avg of DISTINCT values split too. */
int sp_agg_splits(const json_t *agg, int distinct_ok);

/* Splits agg: appends its partial aggregates (new trees, aliased
 * <partial><k> for k from json_array_size(partials)) to partials, its
 * final expression over them to final (SQL text), and the window columns
 * it needs (SQL text, `expr AS <window><k>`, each after ", ") to windows,
 * k from *nwindows, which grows. -1 when out of memory. */
int sp_agg_split(const json_t *agg, int distinct_ok,
                 const sp_agg_names *names, json_t *partials, sp_buf *final,
                 sp_buf *windows, int *nwindows);

/* Splits the aggregate calls aggs of a query, for partial aggregates
 * before an exchange and a final step after it: appends their partials to
 * partials and the window columns they need to windows (as sp_agg_split),
 * and sets *finals (a new reference) to each aggregate's final expression,
 * cast to the type DuckDB gives the aggregate itself. probe is the query's
 * SELECT node with the FROM, WHERE and GROUP BY the aggregates run over
 * (not modified); con, a driver-side connection that binds it. Fails with
 * DuckDB's message if the probe does not bind. */
sp_status sp_agg_finals(duckdb_connection con, const json_t *probe,
                        const json_t *aggs, int distinct_ok,
                        const sp_agg_names *names, json_t *partials,
                        sp_buf *windows, json_t **finals, sp_error **err);

#endif
