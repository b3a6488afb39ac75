/*
 * tree.h - reading and editing DuckDB's parse trees (sql/parse.h), as
 * jansson JSON: what a node is, whether two expressions are the same, and
 * new expressions made from SQL text that DuckDB parses, so that every
 * node the planner grafts is one DuckDB made.
 */
#ifndef SP_SQL_TREE_H
#define SP_SQL_TREE_H

#include <duckdb.h>
#include <jansson.h>

#include "smallpond.h"

/* o's key as a string; "" when absent or not a string. */
const char *sp_tree_str(const json_t *o, const char *key);

/* 1 if e is an expression of class cls (COLUMN_REF, FUNCTION, ...). */
int sp_tree_is(const json_t *e, const char *cls);

/* Calls fn on every object node of j, top down (arrays are walked
 * through): fn returns 0 to go on into the node, 1 to skip what is inside
 * it, -1 to stop the walk, which then returns -1 (else 0). */
typedef int (*sp_tree_visitor)(const json_t *node, void *arg);
int sp_tree_visit(const json_t *j, sp_tree_visitor fn, void *arg);

/* 1 if an expression of class cls is anywhere in j. */
int sp_tree_has_class(const json_t *j, const char *cls);

/* 1 if a COLUMN_REF anywhere in j has name among its parts (a column of
 * that name, qualified or not, or a field of it; or a table alias). */
int sp_tree_has_column(const json_t *j, const char *name);

/* The column a COLUMN_REF names, when it names one column of the table
 * aliased `alias` (NULL: of no alias): "c" or "alias.c". NULL for any
 * other expression. */
const char *sp_tree_column(const json_t *e, const char *alias);

/* 1 if expressions a and b are the same, as written: positions and aliases
 * aside, names compared without regard to case, and a column qualified by
 * alias (may be NULL) the same as unqualified. */
int sp_tree_equal(const json_t *a, const json_t *b, const char *alias);

/* A new COLUMN_REF of the unqualified column name. */
json_t *sp_tree_column_ref(const char *name);

/* Calls fn on *e, then, if it returns 0, on every node inside *e, top
 * down: fn may replace the node it is given (freeing the old). fn returns
 * 0 to go on into the node, 1 to skip what is inside it, -1 to stop with
 * an error. 0, or -1. */
typedef int (*sp_tree_fn)(json_t **e, void *arg);
int sp_tree_map(json_t **e, sp_tree_fn fn, void *arg);

/* Replaces *e by a copy of with, keeping *e's alias if it has one. 0, or
 * -1 when out of memory. */
int sp_tree_replace(json_t **e, const json_t *with);

/* Replaces, in *e, every expression equal (sp_tree_equal, with alias) to
 * one of from by a copy of the same place in to, outside subqueries. 0,
 * or -1 when out of memory. */
int sp_tree_substitute(json_t **e, const json_t *from, const json_t *to,
                       const char *alias);

/* Prints a query node (SELECT_NODE, ...) back to SQL: *text for the
 * caller to free with sp_free. */
sp_status sp_tree_print(duckdb_connection con, const json_t *node,
                        char **text, sp_error **err);

/* Parses `SELECT <items>` and gives its select list: *list a new
 * reference. items is SQL text the caller built with the quoting helpers
 * (util/buf.h). con is a driver-side DuckDB connection. */
sp_status sp_tree_parse_items(duckdb_connection con, const char *items,
                              json_t **list, sp_error **err);

/* Parses the query text and gives its SELECT node: *node a new
 * reference. */
sp_status sp_tree_parse_select(duckdb_connection con, const char *text,
                               json_t **node, sp_error **err);

#endif
