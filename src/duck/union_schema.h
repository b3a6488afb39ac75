/*
 * union_schema.h - the columns of Parquet files united by name, for a
 * source read with union_by_name or a projection, and of CSV and JSON
 * files read with detection (sp_read_options). Runs
 * in the driver, on a short-lived DuckDB of its own, when the source is
 * built: every partition then reads the same columns, whichever files it
 * got.
 */
#ifndef SP_DUCK_UNION_SCHEMA_H
#define SP_DUCK_UNION_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "smallpond.h"

/* Sets *schema to a new JSON array of [name, type] pairs: the columns of
 * the files paths[0..n) matched by name, each with the type DuckDB unites
 * them to, in DuckDB's order (the first file's columns first). With
 * columns[0..ncolumns) only those, in that order; a column that no file
 * has fails, naming it. Fails with DuckDB's message when a file cannot be
 * read as Parquet. */
sp_status sp_union_schema(const char *const *paths, size_t n,
                          const char *const *columns, size_t ncolumns,
                          json_t **schema, sp_error **err);

/* Sets *schema to the columns DuckDB finds in the files paths[0..n) read
 * together by reader ("read_csv" or "read_json") with its detection, as
 * for sp_union_schema: every partition then reads these types, whichever
 * files it got. Fails with DuckDB's message when the files do not read
 * together. */
sp_status sp_detected_schema(const char *reader, const char *const *paths,
                             size_t n, json_t **schema, sp_error **err);

#endif
