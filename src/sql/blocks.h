/*
 * blocks.h - a query cut into its blocks, each planned on its own
 * (sql/distribute.h): a CTE or a FROM subquery becomes the stages that
 * compute it, read by the blocks that name it as a table, so a CTE used
 * twice is computed once; a subquery in an expression that does not refer
 * to the outer query (IN, EXISTS, a scalar) is computed first and read
 * whole by every partition of the block around it. A block that does not
 * split runs on one task over its inputs, the rest of the query split
 * around it.
 */
#ifndef SP_SQL_BLOCKS_H
#define SP_SQL_BLOCKS_H

#include <jansson.h>

#include "sql/stage.h"

/* Cuts the query stmt, whose result is schema ([[name, type], ...]), into
 * stages of s, each exchange into `partitions` partitions (hashed: see
 * sp_sql_route). When no block of it splits, s stays empty and *why
 * (static text) says why. The last stage's result is named as schema;
 * the caller checks its types. Failures as sp_sql_route's. */
sp_status sp_sql_distribute(sp_stages *s, const json_t *stmt,
                            const json_t *schema, int partitions, int hashed,
                            const char **why, sp_error **err);

#endif
