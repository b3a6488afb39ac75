/*
 * combine.h - a combiner for an aggregate over a hash repartition, as
 * Spark plans a partial aggregate before its exchange: each shuffle
 * producer first aggregates its own rows, so the shuffle moves one row per
 * group and producer instead of every row. The DataFrame API's side of
 * the planner's aggregate split (sql/aggregate.h). Driver side.
 */
#ifndef SP_SQL_COMBINE_H
#define SP_SQL_COMBINE_H

#include <jansson.h>
#include <stddef.h>

#include "smallpond.h"

/* Splits query, a SQL template over {0} that reads a partition of a hash
 * repartition by keys[0..nkeys), into *partial (run by each producer on
 * its input, before hashing) and *final (run per partition over the
 * partial results, giving the columns, names and types of query). Both
 * are templates over {0}; the caller frees them with sp_free. input_sql
 * is a SELECT of the repartition's input (its schema, for binding);
 * functions, DuckDB's aggregates (sql/aggregate.h, sp_agg_catalog). When
 * query does not have a shape that splits (see combine.c), both are NULL
 * and SP_OK is returned: the plan stays as written. Opens a DuckDB of its
 * own for the parse, and closes it. */
sp_status sp_sql_combine(const char *query, const char *input_sql,
                         char *const *keys, size_t nkeys,
                         const json_t *functions, char **partial,
                         char **final, sp_error **err);

#endif
