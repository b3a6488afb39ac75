/*
 * tables.h - the tables a query reads, found in its parse tree and
 * resolved: registered tables (sp_register_table) become inputs of the
 * plan, files named inline are checked to exist now.
 *
 * A table is named one of three ways:
 *   FROM orders                        a registered table, or a CTE
 *   FROM 'lake/orders/part-1.parquet'  files, by path or pattern (DuckDB
 *                                      reads them by their extension:
 *                                      .parquet, .csv, .json)
 *   FROM read_parquet('lake/orders/part-1.parquet', ...), read_csv(...),
 *        read_json(...)
 * Paths are made absolute (workers need not share the driver's working
 * folder) and each pattern must match a file before anything runs.
 */
#ifndef SP_SQL_TABLES_H
#define SP_SQL_TABLES_H

#include <jansson.h>
#include <stddef.h>

#include "smallpond.h"

/* A registered table: a name the planner resolves, and whatever the
 * caller keeps for it (a DataFrame). */
typedef struct sp_sql_table {
  const char *name;
  void *arg;
} sp_sql_table;

/* What a query reads, once resolved. */
typedef struct sp_sql_refs {
  size_t *used;     /* indexes into the registered tables, in first-use
                       order; SP_SQL_FILES for Parquet files named inline */
  char **patterns;  /* per entry: the files' absolute pattern, or NULL */
  const char **formats; /* per entry: "parquet", "csv" or "json" for
                           files (static strings), or NULL */
  size_t nused;
  char *tag;        /* the placeholders' prefix (see sp_sql_resolve) */
} sp_sql_refs;

#define SP_SQL_FILES ((size_t)-1)

/* Resolves every table stmt reads, rewriting stmt in place: a registered
 * table becomes the placeholder table <tag><k> (k: its place in refs->used;
 * its alias stays, or becomes its name), and so do files named inline
 * ('lake/x.parquet', 'lake/x.csv', 'lake/x.json', read_parquet('...'),
 * read_csv('...'), read_json('...') with no other argument), each pattern
 * and format once (used[k] SP_SQL_FILES, patterns[k] the absolute pattern,
 * formats[k] its format; its alias stays, or becomes DuckDB's), so that
 * they are read as splittable inputs; other file paths become absolute.
 * CTE names shadow registered ones. Fails with SP_EINVAL naming an unknown
 * table and listing the registered ones, and with SP_ENOENT naming a
 * pattern that matches no file. Release refs with sp_sql_refs_release. */
sp_status sp_sql_resolve(json_t *stmt, const sp_sql_table *tables,
                         size_t ntables, sp_sql_refs *refs, sp_error **err);

void sp_sql_refs_release(sp_sql_refs *refs);

#endif
