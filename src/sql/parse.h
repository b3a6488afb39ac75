/*
 * parse.h - a SQL query as DuckDB parses it, and back to text.
 *
 * DuckDB does the parsing (json_serialize_sql) and the printing
 * (json_deserialize_sql); the planner works on the parse tree in between,
 * as JSON (jansson). Only a query is taken: one statement that returns
 * rows. Anything that writes files or changes settings (COPY, EXPORT,
 * ATTACH, INSTALL, LOAD, CREATE, INSERT, SET, PRAGMA, ...) is refused
 * before anything runs, so that a query cannot be a way to do those on the
 * workers.
 */
#ifndef SP_SQL_PARSE_H
#define SP_SQL_PARSE_H

#include <duckdb.h>
#include <jansson.h>

#include "smallpond.h"

/* Parses text, which must be one query, into *stmt: a new reference to
 * its statement ({"node": {...}}). Fails with SP_ESQL and DuckDB's message
 * for a syntax error, naming the line and column and showing the line
 * with a caret; with SP_EINVAL for a statement that is not a query (naming
 * its kind) and for more than one statement. con is a driver-side DuckDB
 * connection (duck/duck.h). */
sp_status sp_sql_parse(duckdb_connection con, const char *text,
                       json_t **stmt, sp_error **err);

/* Prints stmt back to SQL text, as DuckDB prints it: *text is for the
 * caller to free with sp_free. */
sp_status sp_sql_print(duckdb_connection con, const json_t *stmt, char **text,
                       sp_error **err);

#endif
