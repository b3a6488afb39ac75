/*
 * fuzz_order.c - the sort-order parser (src/plan/order.h) on arbitrary
 * text: what a user passes to sp_sort, --sort-by and --range-by.
 *
 * Checked: a failed parse leaves an empty order; a parsed order has named
 * columns, and the ORDER BY list it writes parses back to the same order
 * (quoted names, spelled-out directions); the sort key names each column
 * with its direction.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "plan/order.h"

static void check_same(const sp_order *a, const sp_order *b)
{
  size_t i;

  FUZZ_CHECK(a->len == b->len);
  for (i = 0; i < a->len; i++) {
    FUZZ_CHECK(strcmp(a->items[i].column, b->items[i].column) == 0);
    FUZZ_CHECK(a->items[i].desc == b->items[i].desc);
    FUZZ_CHECK(a->items[i].nulls_first == b->items[i].nulls_first);
  }
}

/* The sort key: create_sort_key(<column>, '<direction>', ...), then the
 * tiebreak if any. */
static void check_sort_key(const sp_order *o, const char *tiebreak)
{
  sp_buf key = SP_BUF_INIT, item = SP_BUF_INIT;
  const char *p;
  size_t i;

  sp_order_append_sort_key(o, tiebreak, &key);
  FUZZ_CHECK(!sp_buf_oom(&key));
  FUZZ_CHECK(strncmp(key.data, "create_sort_key(", 16) == 0);
  FUZZ_CHECK(key.data[key.len - 1] == ')');
  p = key.data + 16;
  for (i = 0; i < o->len; i++) {
    sp_buf_reset(&item);
    sp_buf_puts(&item, i ? ", " : "");
    sp_buf_append_ident(&item, o->items[i].column);
    sp_buf_appendf(&item, ", '%s %s'", o->items[i].desc ? "DESC" : "ASC",
                   o->items[i].nulls_first ? "NULLS FIRST" : "NULLS LAST");
    FUZZ_CHECK(strncmp(p, item.data, item.len) == 0);
    p += item.len;
  }
  if (tiebreak)
    FUZZ_CHECK(strncmp(p, ", ", 2) == 0 && strstr(p, tiebreak) == p + 2);
  else
    FUZZ_CHECK(strcmp(p, ")") == 0);
  sp_buf_release(&item);
  sp_buf_release(&key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = fuzz_strndup(data, size);
  sp_order order, again;
  sp_buf sql = SP_BUF_INIT;
  sp_error *err = NULL;
  sp_status st;
  size_t i;

  st = sp_order_parse(text, &order, &err);
  fuzz_check_error(st, &err);
  if (st != SP_OK) {
    FUZZ_CHECK(order.len == 0 && order.items == NULL);
    goto out;
  }
  FUZZ_CHECK(order.len > 0);
  for (i = 0; i < order.len; i++)
    FUZZ_CHECK(order.items[i].column && *order.items[i].column);
  sp_order_append_sql(&order, &sql);
  FUZZ_CHECK(!sp_buf_oom(&sql));
  st = sp_order_parse(sql.data, &again, &err);
  fuzz_check_error(st, &err);
  FUZZ_CHECK(st == SP_OK);
  check_same(&order, &again);
  sp_order_release(&again);
  check_sort_key(&order, NULL);
  check_sort_key(&order, "hash(rowid)");
  sp_order_release(&order);
out:
  sp_buf_release(&sql);
  free(text);
  return 0;
}
