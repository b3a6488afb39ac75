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
 * Anything else stays one stage, and why is said.
 */
#ifndef SP_SQL_DISTRIBUTE_H
#define SP_SQL_DISTRIBUTE_H

#include <jansson.h>

#include "sql/stage.h"

/* Cuts the query stmt, whose result is schema ([[name, type], ...]), into
 * stages of s, each exchange into `partitions` partitions. hashed: a
 * GROUP BY hashes its rows on the keys, never splitting aggregates into
 * partials (for when the partials do not give DuckDB's types). When the
 * query has no shape that splits, s stays empty and *why (static text)
 * says why. The last stage's result is named as schema; the caller checks
 * its types. A failure with SP_EPLAN or SP_ESQL means the shape did not
 * hold: s is to be cleared and the query planned otherwise. */
sp_status sp_sql_distribute(sp_stages *s, const json_t *stmt,
                            const json_t *schema, int partitions, int hashed,
                            const char **why, sp_error **err);

/* The one-stage plan: each table's partitions gathered, the whole query on
 * one task, with the threads of a host; why (static text) goes into
 * explain. */
sp_status sp_sql_single(sp_stages *s, const json_t *stmt,
                        const json_t *schema, const char *why,
                        sp_error **err);

#endif
