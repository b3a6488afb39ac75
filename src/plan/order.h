/*
 * order.h - a sort order over columns: "a, b DESC NULLS FIRST", parsed
 * into columns and directions, and written back as the SQL that sorts by
 * it (ORDER BY) and that ranks a row by it (one binary sort key).
 *
 * The grammar is deliberately small, so that it needs no SQL parser: each
 * item is a column name (plain, or double-quoted with "" for a quote),
 * then optionally ASC or DESC, then optionally NULLS FIRST or NULLS LAST,
 * case-insensitive. NULLs sort last unless NULLS FIRST is given, in both
 * directions (DuckDB's default).
 */
#ifndef SP_PLAN_ORDER_H
#define SP_PLAN_ORDER_H

#include <stddef.h>

#include "smallpond.h"
#include "util/buf.h"

typedef struct sp_order_item {
  char *column;
  int desc;
  int nulls_first;
} sp_order_item;

typedef struct sp_order {
  sp_order_item *items;
  size_t len;
} sp_order;

/* Parses text into *order (release with sp_order_release). Fails naming
 * the item that is not "column [ASC|DESC] [NULLS FIRST|LAST]". */
sp_status sp_order_parse(const char *text, sp_order *order, sp_error **err);

/* Appends the order as an ORDER BY list with every direction and NULLS
 * placement spelled out: "a" ASC NULLS LAST, "b" DESC NULLS FIRST. */
void sp_order_append_sql(const sp_order *order, sp_buf *b);

/* Appends DuckDB's create_sort_key over the order's columns and then
 * tiebreak (an SQL expression, NULL for none) ascending: a BLOB that
 * compares byte by byte as the rows sort. */
void sp_order_append_sort_key(const sp_order *order, const char *tiebreak,
                              sp_buf *b);

void sp_order_release(sp_order *order);

#endif
