/*
 * order.c - sort orders over columns (see order.h).
 */
#include "plan/order.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/error.h"

static const char *skip_space(const char *p)
{
  while (isspace((unsigned char)*p))
    p++;
  return p;
}

/* If p starts with the keyword word (whole word, any case), returns what
 * follows it; else NULL. */
static const char *keyword(const char *p, const char *word)
{
  size_t n = strlen(word);

  if (strncasecmp(p, word, n) != 0 || isalnum((unsigned char)p[n]) ||
      p[n] == '_')
    return NULL;
  return p + n;
}

/* Reads a column name at p into *name (allocated): a plain identifier, or
 * a double-quoted one. Returns what follows, or NULL. */
static const char *column_name(const char *p, char **name)
{
  sp_buf b = SP_BUF_INIT;

  if (*p == '"') {
    for (p++;; p++) {
      if (!*p)
        goto out_bad;
      if (*p == '"' && p[1] != '"')
        break;
      if (*p == '"')
        p++;
      sp_buf_putc(&b, *p);
    }
    p++;
    if (b.len == 0)
      goto out_bad;
  } else {
    if (!isalpha((unsigned char)*p) && *p != '_')
      goto out_bad;
    while (isalnum((unsigned char)*p) || *p == '_')
      sp_buf_putc(&b, *p++);
  }
  if (sp_buf_oom(&b) || !(*name = sp_buf_detach(&b)))
    goto out_bad;
  return p;

out_bad:
  sp_buf_release(&b);
  return NULL;
}

/* Parses one item at p, which ends at a ',' or the end. */
static const char *parse_item(const char *p, sp_order_item *item)
{
  const char *q;

  if (!(p = column_name(skip_space(p), &item->column)))
    return NULL;
  p = skip_space(p);
  if ((q = keyword(p, "asc"))) {
    p = skip_space(q);
  } else if ((q = keyword(p, "desc"))) {
    item->desc = 1;
    p = skip_space(q);
  }
  if ((q = keyword(p, "nulls"))) {
    p = skip_space(q);
    if ((q = keyword(p, "first")))
      item->nulls_first = 1;
    else if (!(q = keyword(p, "last")))
      return NULL;
    p = skip_space(q);
  }
  return *p == ',' || *p == '\0' ? p : NULL;
}

sp_status sp_order_parse(const char *text, sp_order *order, sp_error **err)
{
  const char *p = text ? text : "";
  size_t cap = 0;

  memset(order, 0, sizeof(*order));
  for (;;) {
    const char *start = skip_space(p), *end;
    sp_order_item *item;
    if (sp_grow((void **)&order->items, &cap, order->len + 1,
                sizeof(*order->items))) {
      sp_order_release(order);
      return sp_error_oom(err);
    }
    item = &order->items[order->len];
    memset(item, 0, sizeof(*item));
    if (!(end = parse_item(start, item))) {
      size_t n = strcspn(start, ",");
      sp_free(item->column);
      sp_order_release(order);
      return sp_error_set(err, SP_EINVAL, "sort order '%s': '%.*s' is not "
                          "'column [ASC|DESC] [NULLS FIRST|LAST]'",
                          text ? text : "", (int)n, start);
    }
    order->len++;
    if (*end == '\0')
      return SP_OK;
    p = end + 1;
  }
}

/* 'ASC NULLS LAST' and the like, as create_sort_key spells a direction. */
static const char *direction(const sp_order_item *it)
{
  return it->desc ? (it->nulls_first ? "DESC NULLS FIRST" : "DESC NULLS LAST")
                  : (it->nulls_first ? "ASC NULLS FIRST" : "ASC NULLS LAST");
}

void sp_order_append_sql(const sp_order *order, sp_buf *b)
{
  size_t i;

  for (i = 0; i < order->len; i++) {
    sp_buf_puts(b, i ? ", " : "");
    sp_buf_append_ident(b, order->items[i].column);
    sp_buf_putc(b, ' ');
    sp_buf_puts(b, direction(&order->items[i]));
  }
}

void sp_order_append_sort_key(const sp_order *order, const char *tiebreak,
                              sp_buf *b)
{
  size_t i;

  sp_buf_puts(b, "create_sort_key(");
  for (i = 0; i < order->len; i++) {
    sp_buf_puts(b, i ? ", " : "");
    sp_buf_append_ident(b, order->items[i].column);
    sp_buf_appendf(b, ", '%s'", direction(&order->items[i]));
  }
  if (tiebreak)
    sp_buf_appendf(b, ", %s, 'ASC NULLS LAST'", tiebreak);
  sp_buf_putc(b, ')');
}

void sp_order_release(sp_order *order)
{
  size_t i;

  for (i = 0; i < order->len; i++)
    sp_free(order->items[i].column);
  sp_free(order->items);
  memset(order, 0, sizeof(*order));
}
