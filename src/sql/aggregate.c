/*
 * aggregate.c - aggregates split into partial and final (see aggregate.h).
 */
#include "sql/aggregate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "duck/duck.h"
#include "io/fs.h"
#include "sql/stage.h"
#include "sql/tree.h"
#include "util/alloc.h"
#include "util/error.h"

/* 1 when v is the string s. */
static int is_string(const json_t *v, const char *s)
{
  return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* 1 when c is a catalog: names to "aggregate" or "macro", sum and count
 * among the aggregates (a file that says otherwise is not one). */
static int catalog_ok(const json_t *c)
{
  const char *name;
  json_t *v;

  if (!json_is_object(c) ||
      !is_string(json_object_get(c, "sum"), "aggregate") ||
      !is_string(json_object_get(c, "count_star"), "aggregate"))
    return 0;
  json_object_foreach((json_t *)c, name, v)
    if (!is_string(v, "aggregate") && !is_string(v, "macro"))
      return 0;
  return 1;
}

sp_status sp_agg_catalog(const char *cache, json_t **catalog, sp_error **err)
{
  duckdb_database db = NULL;
  duckdb_connection con = NULL;
  char *kinds = NULL;
  sp_status st;

  if (cache && (*catalog = json_load_file(cache, 0, NULL))) {
    if (catalog_ok(*catalog))
      return SP_OK;
    json_decref(*catalog);
  }
  *catalog = NULL;
  if ((st = sp_duck_open_connected(&db, &con, err)) != SP_OK)
    return st;
  st = sp_duck_query_text(
      con,
      "SELECT json_group_object(name, kind)::VARCHAR FROM ("
      "SELECT lower(function_name) AS name, min(function_type) AS kind "
      "FROM duckdb_functions() WHERE function_type IN ('aggregate', "
      "'macro') GROUP BY lower(function_name))",
      NULL, &kinds, err);
  sp_duck_close(&db, &con);
  if (st == SP_OK && (!kinds || !(*catalog = json_loads(kinds, 0, NULL)) ||
                      !catalog_ok(*catalog))) {
    json_decref(*catalog);
    *catalog = NULL;
    st = sp_error_set(err, SP_EINTERNAL, "DuckDB's functions: no list");
  }
  if (st == SP_OK && cache)
    sp_write_file_atomic(cache, kinds, strlen(kinds), NULL);
  sp_free(kinds);
  return st;
}

const char *sp_agg_function_kind(const json_t *catalog, const json_t *e)
{
  const char *name = sp_tree_str(e, "function_name");
  char lower[256];
  size_t i;

  if (!sp_tree_is(e, "FUNCTION") ||
      json_is_true(json_object_get(e, "is_operator")))
    return NULL;
  for (i = 0; name[i] && i + 1 < sizeof(lower); i++)
    lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32
                                                         : name[i]);
  lower[i] = '\0';
  return json_string_value(json_object_get(catalog, lower));
}

typedef enum { SPLIT_SAME, SPLIT_COUNT, SPLIT_AVG, SPLIT_VAR } split_kind;

/* What each aggregate that splits becomes. final: the final aggregate of
 * SAME; VAR: the statistic (pop, samp, and whether a square root). */
static const struct {
  const char *name;
  split_kind kind;
  const char *final;
} splits[] = {
  {"count", SPLIT_COUNT, NULL},      {"count_star", SPLIT_COUNT, NULL},
  {"count_if", SPLIT_COUNT, NULL},   {"countif", SPLIT_COUNT, NULL},
  {"sum", SPLIT_SAME, "sum"},        {"sum_no_overflow", SPLIT_SAME, "sum"},
  {"fsum", SPLIT_SAME, "fsum"},      {"sumkahan", SPLIT_SAME, "fsum"},
  {"kahan_sum", SPLIT_SAME, "fsum"}, {"min", SPLIT_SAME, "min"},
  {"max", SPLIT_SAME, "max"},        {"bool_and", SPLIT_SAME, "bool_and"},
  {"bool_or", SPLIT_SAME, "bool_or"}, {"bit_and", SPLIT_SAME, "bit_and"},
  {"bit_or", SPLIT_SAME, "bit_or"},  {"bit_xor", SPLIT_SAME, "bit_xor"},
  {"any_value", SPLIT_SAME, "any_value"},
  {"product", SPLIT_SAME, "product"},
  {"avg", SPLIT_AVG, NULL},          {"mean", SPLIT_AVG, NULL},
  {"var_pop", SPLIT_VAR, "pop"},     {"var_samp", SPLIT_VAR, "samp"},
  {"variance", SPLIT_VAR, "samp"},   {"stddev_pop", SPLIT_VAR, "pop sqrt"},
  {"stddev_samp", SPLIT_VAR, "samp sqrt"},
  {"stddev", SPLIT_VAR, "samp sqrt"},
};

static int split_of(const json_t *agg, int distinct_ok)
{
  const char *fn = sp_tree_str(agg, "function_name");
  const json_t *orders = json_object_get(json_object_get(agg, "order_bys"),
                                         "orders");
  size_t i;

  int distinct = json_is_true(json_object_get(agg, "distinct"));

  if ((distinct && !distinct_ok) ||
      json_is_true(json_object_get(agg, "export_state")) ||
      json_array_size(orders) > 0 || *sp_tree_str(agg, "schema") ||
      *sp_tree_str(agg, "catalog"))
    return -1;
  for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++)
    if (strcasecmp(fn, splits[i].name) == 0)
      break;
  if (i == sizeof(splits) / sizeof(splits[0]))
    return -1;
  /* DISTINCT over rows hashed on the argument: each partition's distinct
   * values are its own, so counts and sums of them add up. */
  if (distinct && (splits[i].kind == SPLIT_VAR ||
                   strcmp(splits[i].name, "product") == 0 ||
                   strncmp(splits[i].name, "bit_", 4) == 0 ||
                   strcmp(splits[i].name, "count_star") == 0))
    return -1;
  /* Every one of these takes one argument but count(*). */
  if (json_array_size(json_object_get(agg, "children")) !=
      (splits[i].kind == SPLIT_COUNT && strcasecmp(fn, "count_star") == 0
           ? 0u
           : 1u))
    return -1;
  return (int)i;
}

int sp_agg_splits(const json_t *agg, int distinct_ok)
{
  return split_of(agg, distinct_ok) >= 0;
}

/* Appends a partial: agg as fn (NULL: as it is), aliased <partial><k>;
 * the column's name to *col. */
static int add_partial(const json_t *agg, const char *fn,
                       const sp_agg_names *names, json_t *partials,
                       char *col, size_t collen)
{
  json_t *p = json_deep_copy(agg);

  snprintf(col, collen, "%s%zu", names->partial, json_array_size(partials));
  if (!p || (fn && json_object_set_new(p, "function_name", json_string(fn))) ||
      json_object_set_new(p, "alias", json_string(col)) ||
      json_array_append_new(partials, p)) {
    json_decref(p);
    return -1;
  }
  return 0;
}

/* The variance family: count n, mean m and second moment v * n per
 * partial; the group's mean g = sum(n * m) / sum(n) from a window; the
 * pooled moment M2 = sum(v * n) + sum(n * (m - g)^2), exact in algebra
 * and stable in floating point (no big sums of squares subtracted). */
static int split_var(const json_t *agg, const char *stat,
                     const sp_agg_names *names, json_t *partials,
                     sp_buf *final, sp_buf *windows, int *nwindows)
{
  char n[64], m[64], v[64], g[64];
  int samp = strstr(stat, "samp") != NULL, root = strstr(stat, "sqrt") != NULL;

  if (add_partial(agg, "count", names, partials, n, sizeof(n)) ||
      add_partial(agg, "avg", names, partials, m, sizeof(m)) ||
      add_partial(agg, "var_pop", names, partials, v, sizeof(v)))
    return -1;
  snprintf(g, sizeof(g), "%s%d", names->window, (*nwindows)++);
  sp_buf_puts(windows, ", sum(");
  sp_buf_append_ident(windows, n);
  sp_buf_puts(windows, " * ");
  sp_buf_append_ident(windows, m);
  sp_buf_appendf(windows, ") OVER (%s) / sum(", names->over);
  sp_buf_append_ident(windows, n);
  sp_buf_appendf(windows, ") OVER (%s) AS ", names->over);
  sp_buf_append_ident(windows, g);

  sp_buf_appendf(final, "CASE WHEN sum(");
  sp_buf_append_ident(final, n);
  sp_buf_appendf(final, ") > %d THEN %s((sum(", samp, root ? "sqrt" : "");
  sp_buf_append_ident(final, v);
  sp_buf_puts(final, " * ");
  sp_buf_append_ident(final, n);
  sp_buf_puts(final, ") + sum(");
  sp_buf_append_ident(final, n);
  sp_buf_puts(final, " * (");
  sp_buf_append_ident(final, m);
  sp_buf_puts(final, " - ");
  sp_buf_append_ident(final, g);
  sp_buf_puts(final, ") * (");
  sp_buf_append_ident(final, m);
  sp_buf_puts(final, " - ");
  sp_buf_append_ident(final, g);
  sp_buf_puts(final, "))) / (sum(");
  sp_buf_append_ident(final, n);
  sp_buf_appendf(final, ")%s)) END", samp ? " - 1" : "");
  return 0;
}

int sp_agg_split(const json_t *agg, int distinct_ok,
                 const sp_agg_names *names, json_t *partials, sp_buf *final,
                 sp_buf *windows, int *nwindows)
{
  int i = split_of(agg, distinct_ok);
  char a[64], b[64];

  if (i < 0)
    return -1;
  switch (splits[i].kind) {
  case SPLIT_SAME:
    if (add_partial(agg, NULL, names, partials, a, sizeof(a)))
      return -1;
    sp_buf_appendf(final, "%s(", splits[i].final);
    sp_buf_append_ident(final, a);
    sp_buf_putc(final, ')');
    return 0;
  case SPLIT_COUNT:
    if (add_partial(agg, NULL, names, partials, a, sizeof(a)))
      return -1;
    sp_buf_puts(final, "coalesce(sum(");
    sp_buf_append_ident(final, a);
    sp_buf_puts(final, "), 0)");
    return 0;
  case SPLIT_AVG:
    if (add_partial(agg, "sum", names, partials, a, sizeof(a)) ||
        add_partial(agg, "count", names, partials, b, sizeof(b)))
      return -1;
    sp_buf_puts(final, "sum(");
    sp_buf_append_ident(final, a);
    sp_buf_puts(final, ") / sum(");
    sp_buf_append_ident(final, b);
    sp_buf_putc(final, ')');
    return 0;
  case SPLIT_VAR:
    return split_var(agg, splits[i].final, names, partials, final, windows,
                     nwindows);
  }
  return -1;
}

/* The types DuckDB gives aggs over probe's FROM, WHERE and GROUP BY:
 * [[name, type], ...], one per aggregate. */
static sp_status aggregate_types(duckdb_connection con, const json_t *probe,
                                 const json_t *aggs, json_t **types,
                                 sp_error **err)
{
  json_t *tree = json_deep_copy(probe), *items = json_deep_copy(aggs);
  char *printed = NULL;
  sp_status st;

  *types = NULL;
  if (!tree || !items || json_object_set(tree, "select_list", items) ||
      json_object_set_new(tree, "having", json_null()) ||
      json_object_set_new(tree, "qualify", json_null()) ||
      json_object_set_new(tree, "modifiers", json_array()))
    st = sp_error_oom(err);
  else if ((st = sp_tree_print(con, tree, &printed, err)) == SP_OK)
    st = sp_sql_bind(con, printed, types, err);
  json_decref(tree);
  json_decref(items);
  sp_free(printed);
  return st;
}

sp_status sp_agg_finals(duckdb_connection con, const json_t *probe,
                        const json_t *aggs, int distinct_ok,
                        const sp_agg_names *names, json_t *partials,
                        sp_buf *windows, json_t **finals, sp_error **err)
{
  sp_buf text = SP_BUF_INIT;
  json_t *types = NULL;
  int nwindows = 0;
  sp_status st;
  size_t i;

  *finals = NULL;
  if ((st = aggregate_types(con, probe, aggs, &types, err)) != SP_OK)
    return st;
  for (i = 0; i < json_array_size(aggs) && st == SP_OK; i++) {
    sp_buf_puts(&text, i ? ", CAST((" : "CAST((");
    if (sp_agg_split(json_array_get(aggs, i), distinct_ok, names, partials,
                     &text, windows, &nwindows) != 0)
      st = sp_error_oom(err);
    sp_buf_appendf(&text, ") AS %s)",
                   json_string_value(json_array_get(
                       json_array_get(types, i), 1)));
  }
  if (st == SP_OK)
    st = sp_buf_oom(&text) || sp_buf_oom(windows)
             ? sp_error_oom(err)
             : sp_tree_parse_items(con, text.data, finals, err);
  json_decref(types);
  sp_buf_release(&text);
  return st;
}
