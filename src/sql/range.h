/*
 * range.h - range partitioning planned from a sample: the split points
 * between n partitions of rows ordered by a sort key, for sp_sort and
 * sp_repartition's range_by, and for the SQL planner's ORDER BY.
 *
 *   1. per input partition, a reservoir sample of the rows' sort keys
 *      (about 20 x n, as Spark's RangePartitioner), each weighted by the
 *      partition's rows over its sample, so that big partitions count more;
 *   2. all samples in one partition (no data moved);
 *   3. one task picks the n-1 split points: the keys where the running
 *      weight crosses 1/n, 2/n, ...;
 *   4. the producers route every row by its sort key among the points
 *      (exec/task_shuffle.c).
 * The sort key is DuckDB's create_sort_key over the order's columns and a
 * random tie-breaker (plan/order.h), so that many rows with one key value
 * still split at sampled points instead of landing in one partition.
 */
#ifndef SP_SQL_RANGE_H
#define SP_SQL_RANGE_H

#include "plan/graph.h"
#include "plan/node.h"
#include "util/buf.h"

/* Appends step 1's query over input (SQL text naming a relation): key
 * (SQL text) as __sp_sk and the sample's weight as __sp_w, the sample's
 * seed the SQL text seed. */
void sp_range_append_sample(sp_buf *b, const char *key, const char *input,
                            const char *seed, int n);

/* Appends step 3's query over input, the gathered samples: the n-1 split
 * points as __sp_bound, in order of __sp_i (NULL where no sampled key is
 * placed that far: no row goes past). */
void sp_range_append_bounds(sp_buf *b, const char *input, int n);

/* Adds steps 1 to 3 to plan over input, sampling key (SQL text of the
 * input's columns): *out the node whose one partition holds the split
 * points. One partition of many files is sampled in the pieces its
 * producers will read (graph), so that the scan runs on every worker. */
sp_status sp_range_add_bounds(sp_plan *plan, const sp_graph *graph,
                              sp_node *input, int n, const char *key,
                              sp_node **out, sp_error **err);

#endif
