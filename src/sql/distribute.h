/*
 * distribute.h - a query cut into distributed stages joined by
 * exchanges (sql/stage.h), shape by shape, as research/distributed-sql.md
 * lays them out. A query over one table:
 *
 *   scan          split into partitions, the query on each
 *   GROUP BY      partial aggregate on each producer, hash on the keys,
 *                 final aggregate per partition (aggregates that split,
 *                 sql/aggregate.h); otherwise the rows hashed on the keys
 *                 and the whole aggregate per partition
 *   global agg.   partial aggregates on each producer, gathered, final
 *   DISTINCT      distinct on each producer, hash on every column,
 *                 distinct per partition
 *   ORDER BY, LIMIT, OFFSET
 *                 a top-N per partition when there is a LIMIT, then one
 *                 task orders, limits and offsets what they kept
 *
 * Anything else stays one stage, and why is said. sql/blocks.h cuts a
 * query into its blocks (CTEs, subqueries) first.
 */
#ifndef SP_SQL_DISTRIBUTE_H
#define SP_SQL_DISTRIBUTE_H

#include <jansson.h>

#include "sql/stage.h"

/* Cuts one query block, node (a SELECT whose tables are placeholders of
 * s: the query's tables, or stages that computed its CTEs and FROM
 * subqueries), whose result is schema ([[name, type], ...]), into stages
 * of s, each exchange into `partitions` partitions; *out is the last
 * one's placeholder, its result named as schema. staged: the block has
 * subqueries in its expressions, now over placeholders of one partition,
 * which every partition reads. hashed: a GROUP BY hashes its rows on the
 * keys, never splitting aggregates into partials (for when the partials
 * do not give DuckDB's types). When the block has no shape that splits,
 * nothing is added and *why (static text) says why. A failure with
 * SP_EPLAN or SP_ESQL means a shape did not hold: the stages are to be
 * cleared and the query planned otherwise. */
sp_status sp_sql_route(sp_stages *s, const json_t *node,
                       const json_t *schema, int staged, int partitions,
                       int hashed, int *out, const char **why,
                       sp_error **err);

/* One block on one task: each table it reads gathered into one partition,
 * with the threads of a host; why (static text) goes into explain. *out:
 * its placeholder. */
sp_status sp_sql_single(sp_stages *s, const json_t *node,
                        const json_t *schema, const char *why, int *out,
                        sp_error **err);

#endif
