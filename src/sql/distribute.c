/*
 * distribute.c - a query cut into distributed stages (see distribute.h).
 *
 * Each route edits copies of DuckDB's parse tree of the query and prints
 * them back with DuckDB, so that every stage is DuckDB's own SQL; the
 * pieces grafted in are parsed from text built with the quoting helpers.
 * A route that does not bind, or whose result is not the query's exact
 * names and types, is dropped for the next (sql/plan.c), so a rewrite can
 * only ever cost speed, never the answer.
 */
#include "sql/distribute.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "plan/order.h"
#include "sql/aggregate.h"
#include "sql/block.h"
#include "sql/range.h"
#include "sql/tree.h"
#include "util/alloc.h"
#include "util/error.h"

/* Column names of our own between stages. */
#define GROUP_COL "__sp_g"    /* a group key */
#define PARTIAL_COL "__sp_p"  /* a partial aggregate */
#define WINDOW_COL "__sp_w"   /* a window over partials */
#define HASH_COL "__sp_h"     /* a computed hash key */
#define DISTINCT_COL "__sp_d" /* a column of a DISTINCT */
#define ITEM_COL "__sp_c"     /* a result column before the last stage */
#define ORDER_COL "__sp_o"    /* a sort key that is not a result column */
#define INNER_ALIAS "__sp_t"
#define FROM_ALIAS "__sp_from" /* the exchanged rows of a join */
#define RESULT_ALIAS "__sp_result"

static void block_release(sp_block *b)
{
  json_decref(b->retired);
  json_decref(b->window_keys);
  sp_free(b->leaves);
  json_decref(b->subs);
  json_decref(b->source);
  sp_free(b->inputs);
  json_decref(b->groups);
  json_decref(b->aggs);
  json_decref(b->orders);
}

/* ------------------------------------------------------------------ */
/* Reading the block                                                    */

static int is_aggregate(const sp_block *b, const json_t *e)
{
  const char *kind = sp_agg_function_kind(b->s->aggregates, e);

  return kind && strcmp(kind, "aggregate") == 0;
}

/* Appends every aggregate call in j to b->aggs, each once. Sets *macro
 * when j calls a macro, whose body may hold one. */
typedef struct aggs_walk {
  sp_block *b;
  int macro;
} aggs_walk;

static int collect_agg(const json_t *j, void *arg)
{
  aggs_walk *w = arg;
  const json_t *v;
  size_t i;

  if (sp_tree_is(j, "SUBQUERY"))
    return 1; /* a subquery's aggregates are its own */
  if (is_aggregate(w->b, j)) {
    json_array_foreach(w->b->aggs, i, v)
      if (sp_tree_equal(v, j, w->b->alias))
        return 1;
    return json_array_append(w->b->aggs, (json_t *)j) ? -1 : 1;
  }
  if (sp_tree_is(j, "FUNCTION")) {
    const char *kind = sp_agg_function_kind(w->b->s->aggregates, j);
    if (kind && strcmp(kind, "aggregate") != 0)
      w->macro = 1;
  }
  return 0;
}

static int collect_aggs(sp_block *b, const json_t *j, int *macro)
{
  aggs_walk w = {b, 0};
  int r = sp_tree_visit(j, collect_agg, &w);

  *macro |= w.macro;
  return r;
}

/* The select item e stands for, by position (ORDER BY 2, GROUP BY 1) or
 * by alias; NULL if none. by_alias_first: an alias wins over a table
 * column of the same name (ORDER BY), else the column does (GROUP BY),
 * as DuckDB binds them. */
static const json_t *select_item(const sp_block *b, const json_t *e,
                                 int by_alias_first)
{
  const json_t *items = json_object_get(b->node, "select_list"), *item;
  const json_t *value = json_object_get(json_object_get(e, "value"), "value");
  const char *name = sp_tree_column(e, NULL);
  size_t i;

  if (sp_tree_is(e, "CONSTANT") && json_is_integer(value) && !b->star) {
    json_int_t k = json_integer_value(value);
    return k >= 1 && (size_t)k <= json_array_size(items)
               ? json_array_get(items, (size_t)k - 1)
               : NULL;
  }
  if (!name || (!by_alias_first && sp_block_column(b, name)))
    return NULL;
  json_array_foreach(items, i, item)
    if (strcasecmp(sp_tree_str(item, "alias"), name) == 0)
      return item;
  return NULL;
}

/* A copy of e with what it stands for resolved, without its alias. */
static json_t *resolved(const sp_block *b, const json_t *e, int by_alias_first)
{
  const json_t *item = select_item(b, e, by_alias_first);
  json_t *copy = json_deep_copy(item ? item : e);

  if (copy && json_object_set_new(copy, "alias", json_string(""))) {
    json_decref(copy);
    return NULL;
  }
  return copy;
}

static int append_resolved(const sp_block *b, json_t *to, const json_t *e,
                           int by_alias_first)
{
  json_t *r = resolved(b, e, by_alias_first);

  return r ? json_array_append_new(to, r) : -1;
}

/* The group expressions: GROUP BY ALL's are the items without an
 * aggregate. */
static const char *read_groups(sp_block *b)
{
  const json_t *groups = json_object_get(b->node, "group_expressions");
  const json_t *sets = json_object_get(b->node, "group_sets"), *e;
  int all = strcmp(sp_tree_str(b->node, "aggregate_handling"),
                   "FORCE_AGGREGATES") == 0;
  size_t i;

  if (json_array_size(sets) > 1 ||
      (json_array_size(sets) == 1 &&
       json_array_size(json_array_get(sets, 0)) != json_array_size(groups)))
    return "GROUPING SETS, ROLLUP and CUBE are not split yet";
  if (all) {
    if (b->star)
      return "GROUP BY ALL over * is not split yet";
    json_array_foreach(json_object_get(b->node, "select_list"), i, e) {
      json_t *one = json_array();
      int macro = 0;
      json_t *saved = b->aggs;
      if (!one)
        return "out of memory";
      b->aggs = one;
      if (collect_aggs(b, e, &macro)) {
        b->aggs = saved;
        json_decref(one);
        return "out of memory";
      }
      b->aggs = saved;
      if (json_array_size(one) == 0 && !macro &&
          append_resolved(b, b->groups, e, 0)) {
        json_decref(one);
        return "out of memory";
      }
      json_decref(one);
    }
    return NULL;
  }
  json_array_foreach(groups, i, e)
    if (append_resolved(b, b->groups, e, 0))
      return "out of memory";
  return NULL;
}

static int constant_count(const json_t *e, int64_t *out)
{
  const json_t *value = json_object_get(json_object_get(e, "value"), "value");

  if (json_is_null(e) || !e) {
    *out = -1;
    return 0;
  }
  if (!sp_tree_is(e, "CONSTANT") || !json_is_integer(value) ||
      json_integer_value(value) < 0)
    return -1;
  *out = json_integer_value(value);
  return 0;
}

static const char *read_modifiers(sp_block *b)
{
  const json_t *mods = json_object_get(b->node, "modifiers"), *m, *o;
  size_t i, k;

  json_array_foreach(mods, i, m) {
    const char *type = sp_tree_str(m, "type");
    if (strcmp(type, "DISTINCT_MODIFIER") == 0) {
      if (json_array_size(json_object_get(m, "distinct_on_targets")))
        return "DISTINCT ON is not split yet";
      b->distinct = 1;
    } else if (strcmp(type, "ORDER_MODIFIER") == 0 && !b->order_mod) {
      b->order_mod = (json_t *)m;
      json_array_foreach(json_object_get(m, "orders"), k, o) {
        const json_t *e = json_object_get(o, "expression");
        if (sp_tree_is(e, "STAR"))
          return "ORDER BY ALL is not split yet";
        if (append_resolved(b, b->orders, e, 1))
          return "out of memory";
      }
    } else if (strcmp(type, "LIMIT_MODIFIER") == 0 && b->limit < 0 &&
               b->offset < 0) {
      if (constant_count(json_object_get(m, "limit"), &b->limit) ||
          constant_count(json_object_get(m, "offset"), &b->offset))
        return "a LIMIT or OFFSET that is not a constant is not split yet";
    } else {
      return "this LIMIT (a percentage, or more than one) is not split yet";
    }
  }
  return NULL;
}

/* Appends the window calls in j (not in its subqueries) to list. */
static int collect_window(const json_t *j, void *list)
{
  if (sp_tree_is(j, "SUBQUERY"))
    return 1;
  if (sp_tree_is(j, "WINDOW") && json_array_append(list, (json_t *)j))
    return -1;
  return 0;
}

static int collect_windows(const json_t *j, json_t *list)
{
  return sp_tree_visit(j, collect_window, list);
}

/* The PARTITION BY expressions every window of the block shares, into
 * b->window_keys: the rows of one window partition are then all in one
 * partition of a hash on them. */
static const char *read_windows(sp_block *b)
{
  json_t *windows = json_array(), *w, *keys = NULL, *k;
  const char *why = NULL;
  size_t i, j, n;

  if (!windows || collect_windows(json_object_get(b->node, "select_list"),
                                  windows) ||
      collect_windows(json_object_get(b->node, "qualify"), windows) ||
      collect_windows(json_object_get(b->node, "modifiers"), windows)) {
    json_decref(windows);
    return "out of memory";
  }
  json_array_foreach(windows, i, w) {
    const json_t *parts = json_object_get(w, "partitions");
    if (!json_array_size(parts)) {
      why = "a window without PARTITION BY runs on one task";
      break;
    }
    if (!keys) {
      keys = json_deep_copy(parts);
      continue;
    }
    /* Only what every window partitions by. */
    for (j = json_array_size(keys); j-- > 0;) {
      k = json_array_get(keys, j);
      for (n = 0; n < json_array_size(parts); n++)
        if (sp_tree_equal(k, json_array_get(parts, n), b->alias))
          break;
      if (n == json_array_size(parts))
        json_array_remove(keys, j);
    }
  }
  if (!why && json_array_size(windows) && !json_array_size(keys))
    why = "the windows share no PARTITION BY expression";
  if (!why && json_array_size(windows))
    b->window_keys = json_incref(keys);
  json_decref(keys);
  json_decref(windows);
  return why;
}

/* Reads the block, or says why it is not one this planner splits. */
static const char *read_block(sp_block *b)
{
  const json_t *node = b->node;
  const char *why;
  const json_t *e;
  int macro = 0;
  size_t i;

  if (strcmp(sp_tree_str(node, "type"), "SELECT_NODE") != 0)
    return "a UNION, INTERSECT or EXCEPT is not split yet";
  if (json_array_size(json_object_get(json_object_get(node, "cte_map"),
                                      "map")))
    return "a WITH clause is not split yet";
  if ((why = sp_block_read_tables(b)))
    return why;
  if (!json_is_null(json_object_get(node, "sample")))
    return "TABLESAMPLE is not split";
  if ((why = read_windows(b)))
    return why;
  json_array_foreach(json_object_get(node, "select_list"), i, e)
    if (sp_tree_is(e, "STAR"))
      b->star = 1;
  if ((why = read_groups(b)) || (why = read_modifiers(b)))
    return why;
  if (collect_aggs(b, json_object_get(node, "select_list"), &macro) ||
      collect_aggs(b, json_object_get(node, "having"), &macro) ||
      collect_aggs(b, b->orders, &macro))
    return "out of memory";
  if (macro)
    return "a macro is not looked into: the query runs whole";
  if (b->distinct && (json_array_size(b->aggs) || json_array_size(b->groups)))
    return "DISTINCT over an aggregate is not split yet";
  if (b->window_keys &&
      (b->distinct || json_array_size(b->aggs) || json_array_size(b->groups)))
    return "window functions over an aggregate or DISTINCT are not split "
           "yet";
  if (!json_array_size(b->groups) && !json_array_size(b->aggs) &&
      (!json_is_null(json_object_get(node, "having")) ||
       strcmp(sp_tree_str(node, "aggregate_handling"), "FORCE_AGGREGATES") ==
           0))
    return "an aggregate without aggregates is not split";
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Building stages                                                      */

/* The name the final stage gives the exchanged rows: the table's, so that
 * what the query qualifies with it still binds. */
static const char *from_alias(const sp_block *b)
{
  return b->alias && *b->alias ? b->alias : FROM_ALIAS;
}

/* A new SELECT node parsed from text. */
static json_t *parse_node(const sp_block *b, const sp_buf *text, sp_status *st,
                          sp_error **err)
{
  json_t *node = NULL;

  if (sp_buf_oom(text))
    *st = sp_error_oom(err);
  else
    *st = sp_tree_parse_select(b->s->con, text->data, &node, err);
  return node;
}

json_t *sp_block_parse_from(const sp_block *b, const sp_buf *from,
                            sp_status *st, sp_error **err)
{
  sp_buf text = SP_BUF_INIT;
  json_t *node, *table = NULL;

  sp_buf_puts(&text, "SELECT * FROM ");
  sp_buf_append(&text, from->data ? from->data : "", from->len);
  if ((node = parse_node(b, &text, st, err)))
    table = json_incref(json_object_get(node, "from_table"));
  json_decref(node);
  sp_buf_release(&text);
  return table;
}

static json_t *column_ref(const char *prefix, size_t k)
{
  char name[64];

  snprintf(name, sizeof(name), "%s%zu", prefix, k);
  return sp_tree_column_ref(name);
}

/* A copy of the block's node with everything after FROM/WHERE cleared:
 * no grouping, HAVING, QUALIFY, DISTINCT, ORDER or LIMIT. */
static json_t *bare_copy(const sp_block *b)
{
  json_t *t = json_deep_copy(b->source ? b->source : b->node);

  if (t && (json_object_set_new(t, "modifiers", json_array()) ||
            json_object_set_new(t, "group_expressions", json_array()) ||
            json_object_set_new(t, "group_sets", json_array()) ||
            json_object_set_new(t, "aggregate_handling",
                                json_string("STANDARD_HANDLING")) ||
            json_object_set_new(t, "having", json_null()) ||
            json_object_set_new(t, "qualify", json_null()))) {
    json_decref(t);
    return NULL;
  }
  return t;
}

/* Sets t's grouping to exprs, one grouping set of all of them. */
static int set_groups(json_t *t, json_t *exprs)
{
  json_t *set = json_array(), *sets = json_array();
  size_t i;

  for (i = 0; set && i < json_array_size(exprs); i++)
    if (json_array_append_new(set, json_integer((json_int_t)i)))
      break;
  if (!set || !sets || i < json_array_size(exprs) ||
      (json_array_size(exprs) && json_array_append(sets, set)) ||
      json_object_set(t, "group_expressions", exprs) ||
      json_object_set_new(t, "group_sets", sets) ||
      json_object_set_new(t, "aggregate_handling",
                          json_string("STANDARD_HANDLING"))) {
    json_decref(set);
    if (!json_object_get(t, "group_sets") ||
        json_object_get(t, "group_sets") != sets)
      json_decref(sets);
    return -1;
  }
  json_decref(set);
  return 0;
}

/* Sets e's alias to <prefix><k>. */
static int set_alias(json_t *e, const char *prefix, size_t k)
{
  char name[64];

  snprintf(name, sizeof(name), "%s%zu", prefix, k);
  return json_object_set_new(e, "alias", json_string(name));
}

/* Prints tree into *out (SQL over placeholders). */
static sp_status print_tree(const sp_block *b, const json_t *tree, char **out,
                            sp_error **err)
{
  return sp_tree_print(b->s->con, tree, out, err);
}

/* Appends "<prefix>0", "<prefix>1", ... (n of them), each `AS` the name
 * of names' column i when names is not NULL. */
static void append_numbered(sp_buf *out, const char *prefix, size_t n,
                            const json_t *names)
{
  size_t i;

  for (i = 0; i < n; i++) {
    char name[64];
    snprintf(name, sizeof(name), "%s%zu", prefix, i);
    sp_buf_puts(out, i ? ", " : "");
    sp_buf_append_ident(out, name);
    if (names) {
      sp_buf_puts(out, " AS ");
      sp_buf_append_ident(out, json_string_value(json_array_get(
                                   json_array_get(names, i), 0)));
    }
  }
}

/* `SELECT "c0" AS "<name0>", ... FROM (<inner>) AS r("c0", ...)`: inner's
 * columns renamed by position, the first len(names) to names (NULL: to
 * ITEM_COL<i>), the rest to ORDER_COL<j>. */
static void wrap_renamed(sp_buf *out, const char *inner, const json_t *names,
                         size_t nitems, size_t nextra)
{
  size_t i;

  sp_buf_puts(out, "SELECT ");
  for (i = 0; i < nitems + nextra; i++) {
    char name[64];
    sp_buf_appendf(out, "%s\"c%zu\" AS ", i ? ", " : "", i);
    if (names && i < nitems) {
      sp_buf_append_ident(out, json_string_value(json_array_get(
                                   json_array_get(names, i), 0)));
      continue;
    }
    snprintf(name, sizeof(name), "%s%zu", i < nitems ? ITEM_COL : ORDER_COL,
             i < nitems ? i : i - nitems);
    sp_buf_append_ident(out, name);
  }
  sp_buf_puts(out, "\nFROM (\n");
  sp_buf_puts(out, inner);
  sp_buf_puts(out, "\n) AS \"" RESULT_ALIAS "\"(");
  for (i = 0; i < nitems + nextra; i++)
    sp_buf_appendf(out, "%s\"c%zu\"", i ? ", " : "", i);
  sp_buf_putc(out, ')');
}

sp_status sp_block_add_stage(sp_block *b, sp_stage *stage, const sp_buf *sql,
                             const char *note, int *out, sp_error **err)
{
  if (sql && sp_buf_oom(sql))
    return sp_error_oom(err);
  if ((sql && !(stage->sql = sp_strdup(sql->data))) ||
      (note && !(stage->note = sp_strdup(note)))) {
    sp_free(stage->sql);
    sp_free(stage->note);
    return sp_error_oom(err);
  }
  return sp_stages_add(b->s, stage, out, err);
}

/* The query's ORDER BY over the bucket stage's columns (position[j]: item
 * j, or extra -1-j'), as plan/order.h spells an order: every direction
 * and NULLs placement written out (DuckDB's defaults: ASC, NULLS LAST).
 * 0, or -1 when out of memory. */
static int bucket_order(const sp_block *b, const int *position,
                        sp_order *order)
{
  const json_t *orders = json_object_get(b->order_mod, "orders"), *o;
  size_t j;

  memset(order, 0, sizeof(*order));
  if (!(order->items = sp_calloc(json_array_size(orders) + 1,
                                 sizeof(*order->items))))
    return -1;
  json_array_foreach(orders, j, o) {
    sp_order_item *it = &order->items[order->len];
    char name[64];
    if (position[j] >= 0)
      snprintf(name, sizeof(name), "%s%d", ITEM_COL, position[j]);
    else
      snprintf(name, sizeof(name), "%s%d", ORDER_COL, -1 - position[j]);
    if (!(it->column = sp_strdup(name)))
      return -1;
    it->desc = strstr(sp_tree_str(o, "type"), "DESC") != NULL;
    it->nulls_first = strstr(sp_tree_str(o, "null_order"), "FIRST") != NULL;
    order->len++;
  }
  return 0;
}

/* ORDER BY without LIMIT: the bucket stage's rows range-partitioned on
 * their sort key between split points sampled from them (as sp_sort), so
 * that partition i holds keys below partition i + 1's; *out the ranged
 * rows. */
static sp_status range_partition(sp_block *b, int bucket,
                                  const sp_order *order, int *out,
                                  sp_error **err)
{
  sp_stage stage = {.kind = SP_STAGE_SQL};
  sp_buf sql = SP_BUF_INIT, key = SP_BUF_INIT, input = SP_BUF_INIT;
  int sample = -1, bounds = -1, n = b->partitions;
  sp_status st = SP_OK;

  /* A random tie-breaker: many equal keys still spread over partitions. */
  sp_order_append_sort_key(order, "random()", &key);
  /* Each partition: a weighted sample of its keys. */
  sp_stages_append_name(b->s, &input, bucket);
  if (!sp_buf_oom(&input) && !sp_buf_oom(&key))
    sp_range_append_sample(&sql, key.data, input.data, "1", n);
  if (sp_buf_oom(&input) || sp_buf_oom(&key) || sp_buf_oom(&sql) ||
      sp_stage_read(&stage, bucket))
    st = sp_error_oom(err);
  if (st == SP_OK)
    st = sp_block_add_stage(b, &stage, &sql, "a sample of each partition's "
                            "sort keys", &sample, err);
  sp_stage_release(&stage);
  stage.kind = SP_STAGE_GATHER;
  if (st == SP_OK && sp_stage_read(&stage, sample))
    st = sp_error_oom(err);
  if (st == SP_OK)
    st = sp_block_add_stage(b, &stage, NULL, NULL, &sample, err);
  sp_stage_release(&stage);
  /* One task: the split points. */
  sp_buf_reset(&sql);
  sp_buf_reset(&input);
  sp_stages_append_name(b->s, &input, sample);
  if (!sp_buf_oom(&input))
    sp_range_append_bounds(&sql, input.data, n);
  stage.kind = SP_STAGE_SQL;
  if (st == SP_OK && (sp_buf_oom(&input) || sp_buf_oom(&sql) ||
                      sp_stage_read(&stage, sample)))
    st = sp_error_oom(err);
  if (st == SP_OK)
    st = sp_block_add_stage(b, &stage, &sql, "the split points", &bounds,
                            err);
  sp_stage_release(&stage);
  /* The rows, routed between them. */
  stage.kind = SP_STAGE_RANGE;
  stage.partitions = n;
  if (st == SP_OK && (sp_stage_read(&stage, bucket) ||
                      sp_stage_read(&stage, bounds) ||
                      sp_buf_oom(&key) || !(stage.by = sp_strdup(key.data))))
    st = sp_error_oom(err);
  if (st == SP_OK)
    st = sp_block_add_stage(b, &stage, NULL, "rows ranged on the ORDER BY "
                            "(sampled split points)", out, err);
  sp_stage_release(&stage);
  sp_buf_release(&sql);
  sp_buf_release(&key);
  sp_buf_release(&input);
  return st;
}

/* 1 if the ORDER BY keys can be ranked by create_sort_key as the query
 * orders them: no collation. */
static int rankable(const json_t *orders)
{
  return !sp_tree_has_class(orders, "COLLATE");
}

/* Gives tree (copied) an ORDER BY of orders and a LIMIT of n. */
static int set_top_n(const sp_block *b, json_t *tree, const json_t *orders,
                     int64_t n)
{
  json_t *mods = json_object_get(tree, "modifiers");
  json_t *order = NULL, *limit;
  size_t j;

  if (b->order_mod) {
    if (!(order = json_deep_copy(b->order_mod)))
      return -1;
    for (j = 0; j < json_array_size(orders); j++)
      if (json_object_set(json_array_get(json_object_get(order, "orders"), j),
                          "expression", json_array_get(orders, j)))
        goto fail;
    if (json_array_append_new(mods, order))
      return -1;
  }
  limit = json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:{s:s, s:n}, s:b, s:I}}, "
                    "s:n}",
                    "type", "LIMIT_MODIFIER", "limit", "class", "CONSTANT",
                    "type", "VALUE_CONSTANT", "alias", "", "value", "type",
                    "id", "BIGINT", "type_info", "is_null", 0, "value",
                    (json_int_t)n, "offset");
  return limit ? json_array_append_new(mods, limit) : -1;
fail:
  json_decref(order);
  return -1;
}

/* Adds the stage that computes tree (a SELECT node whose items are the
 * query's result columns, in order) on each partition of placeholder in,
 * and then what ORDER BY, LIMIT and OFFSET need: orders are the sort
 * keys, over tree's FROM. */
static sp_status finish(sp_block *b, json_t *tree, const int *in, size_t nin,
                        const json_t *orders, int items_match,
                        const char *note, sp_error **err)
{
  json_t *items = json_object_get(tree, "select_list"), *o, *item;
  size_t nitems = json_array_size(b->schema), nextra = 0, j, i;
  int post = b->order_mod || b->limit >= 0 || b->offset >= 0;
  int *position = NULL, bucket = -1, out = -1, ranged;
  sp_buf sql = SP_BUF_INIT, notes = SP_BUF_INIT;
  sp_order order = {0};
  sp_stage stage = {0};
  char *printed = NULL;
  sp_status st = SP_OK;

  if (post && !(position = sp_calloc(json_array_size(orders) + 1,
                                     sizeof(*position))))
    return sp_error_oom(err);
  json_array_foreach(orders, j, o) {
    for (i = 0; items_match && i < json_array_size(items); i++)
      if (sp_tree_equal(json_array_get(items, i), o, b->alias))
        break;
    if (items_match && i < json_array_size(items)) {
      position[j] = (int)i;
      continue;
    }
    if (b->distinct) {
      st = sp_error_set(err, SP_EPLAN, "an ORDER BY key that is not "
                        "a DISTINCT column");
      goto out;
    }
    if (!(item = json_deep_copy(o)) || json_array_append_new(items, item)) {
      st = sp_error_oom(err);
      goto out;
    }
    position[j] = -1 - (int)nextra++;
  }
  if (post && b->limit >= 0 &&
      set_top_n(b, tree, orders, b->limit + (b->offset > 0 ? b->offset : 0))) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = print_tree(b, tree, &printed, err)) != SP_OK)
    goto out;
  wrap_renamed(&sql, printed, post ? NULL : b->schema, nitems, nextra);
  stage.kind = SP_STAGE_SQL;
  for (i = 0; i < nin; i++)
    if (sp_stage_read(&stage, in[i])) {
      st = sp_error_oom(err);
      goto out;
    }
  if (sp_stages_partitions(b->s, in[0]) == 1)
    stage.threads = b->s->host_threads;
  if (note)
    sp_buf_puts(&notes, note);
  if (post && b->limit >= 0)
    sp_buf_puts(&notes, note ? "; then a top-N" : "a top-N on each partition");
  if (sp_buf_oom(&notes)) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_block_add_stage(b, &stage, &sql,
                                notes.len ? notes.data : NULL,
                      &bucket, err)) != SP_OK || !post)
    goto out;

  /* An aggregate's result is mostly small, and so are rows from less
   * than a partition's bytes: one task sorts them, without the range's
   * four stages. */
  if (b->order_mod && bucket_order(b, position, &order)) {
    st = sp_error_oom(err);
    goto out;
  }
  ranged = b->order_mod && b->limit < 0 && b->offset < 0 &&
           rankable(orders) && !json_array_size(b->aggs) &&
           !json_array_size(b->groups) &&
           sp_stages_bytes(b->s, bucket) >= b->s->partition_bytes;
  if (ranged) {
    if ((st = range_partition(b, bucket, &order, &out, err)) != SP_OK)
      goto out;
  } else {
    stage.kind = SP_STAGE_GATHER;
    if (sp_stage_read(&stage, bucket)) {
      st = sp_error_oom(err);
      goto out;
    }
    if ((st = sp_block_add_stage(b, &stage, NULL, NULL, &out, err)) != SP_OK)
      goto out;
  }

  sp_buf_reset(&sql);
  sp_buf_puts(&sql, "SELECT ");
  append_numbered(&sql, ITEM_COL, nitems, b->schema);
  sp_buf_puts(&sql, "\nFROM ");
  sp_stages_append_typed(b->s, &sql, out, -1);
  sp_buf_puts(&sql, " AS \"" INNER_ALIAS "\"");
  if (b->order_mod) {
    sp_buf_puts(&sql, "\nORDER BY ");
    sp_order_append_sql(&order, &sql);
  }
  if (b->limit >= 0)
    sp_buf_appendf(&sql, "\nLIMIT %" PRId64, b->limit);
  if (b->offset >= 0)
    sp_buf_appendf(&sql, "\nOFFSET %" PRId64, b->offset);
  stage.kind = SP_STAGE_SQL;
  if (sp_stage_read(&stage, out)) {
    st = sp_error_oom(err);
    goto out;
  }
  if (!ranged)
    stage.threads = b->s->host_threads;
  st = sp_block_add_stage(b, &stage, &sql,
                 ranged        ? "each partition sorted: in order, they are "
                                 "the whole order"
                 : b->order_mod ? "one task: the final order (and limit) "
                                  "of what every partition gave"
                                : "one task: the final limit",
                 &out, err);
out:
  sp_stage_release(&stage);
  sp_free(position);
  sp_free(printed);
  sp_buf_release(&sql);
  sp_buf_release(&notes);
  sp_order_release(&order);
  return st;
}

/* ------------------------------------------------------------------ */
/* Routes                                                               */

/* Adds the exchange of what sql (a query over the block's tables) gives
 * on each producer: rows hashed on keys into b->partitions (HASH), or all
 * into one (GATHER). Over one table, sql runs on the exchange's producers;
 * over joins, it is a stage of its own over the prepared sources. */
static sp_status exchange(sp_block *b, sp_stage_kind kind, const sp_buf *sql,
                          char **keys, size_t nkeys, const char *note,
                          int *out, sp_error **err)
{
  sp_stage stage = {.kind = kind, .partitions = b->partitions};
  sp_status st = SP_OK;
  size_t i;

  if (b->staged) {
    stage.kind = SP_STAGE_SQL;
    for (i = 0; i < b->ninputs && st == SP_OK; i++)
      if (sp_stage_read(&stage, b->inputs[i]))
        st = sp_error_oom(err);
    if (st == SP_OK)
      st = sp_block_add_stage(b, &stage, sql,
                     b->joined ? "the join on each partition of the "
                                 "biggest table, the others read whole"
                               : "on each partition",
                     out, err);
    sp_stage_release(&stage);
    sql = NULL;
    stage.kind = kind;
    stage.partitions = b->partitions;
  }
  if (st == SP_OK && sp_stage_read(&stage, b->staged ? *out : b->table))
    st = sp_error_oom(err);
  if (st == SP_OK && nkeys) {
    if (!(stage.keys = sp_calloc(nkeys, sizeof(*stage.keys))))
      st = sp_error_oom(err);
    for (i = 0; i < nkeys && st == SP_OK; i++)
      if (!(stage.keys[stage.nkeys++] = sp_strdup(keys[i])))
        st = sp_error_oom(err);
  }
  if (st == SP_OK)
    st = sp_block_add_stage(b, &stage, sql, note, out, err);
  sp_stage_release(&stage);
  return st;
}

/* A GROUP BY, or windows, on the key the tables are hashed on: the whole
 * block on each partition, every group's (window partition's) rows being
 * in one. */
static sp_status route_in_place(sp_block *b, sp_error **err)
{
  json_t *tree = json_deep_copy(b->source);
  sp_status st;

  if (!tree || json_object_set_new(tree, "modifiers", json_array()))
    st = sp_error_oom(err);
  else
    st = finish(b, tree, b->inputs, b->ninputs, b->orders, !b->star,
                "the whole block on each partition: every group's (window "
                "partition's) rows are in one",
                err);
  json_decref(tree);
  return st;
}

/* 1 if one of exprs is the key the tables are hashed on. */
static int on_key(const sp_block *b, const json_t *exprs)
{
  const json_t *e;
  size_t i;

  json_array_foreach(exprs, i, e)
    if (sp_block_on_key(b, e))
      return 1;
  return 0;
}

/* Scan: the query on each partition of the table (with joins, the
 * biggest), its files split into partitions first when it has one. */
static sp_status route_scan(sp_block *b, sp_error **err)
{
  json_t *tree = NULL;
  sp_status st;

  if (!b->inputs) {
    const char *why = NULL;
    if ((st = sp_block_sources(b, &why, err)) != SP_OK)
      return st;
    if (why)
      return sp_error_set(err, SP_EPLAN, "%s", why);
  }
  if (!(tree = bare_copy(b)))
    return sp_error_oom(err);
  st = finish(b, tree, b->inputs, b->ninputs, b->orders, !b->star,
              b->joined ? "the join on each partition" : NULL, err);
  json_decref(tree);
  return st;
}

/* GROUP BY whose aggregates all split, or a global aggregate: partials
 * on each producer, hashed on the group keys (gathered when there are
 * none), the final aggregate per partition. */
static sp_status route_split_aggregate(sp_block *b, sp_error **err)
{
  size_t ngroups = json_array_size(b->groups), i;
  json_t *probe = NULL, *partial = NULL, *partials = json_array();
  json_t *finals = NULL, *keys = json_array(), *tree = NULL, *from = NULL;
  json_t *e, *items = NULL;
  sp_buf over = SP_BUF_INIT, windows = SP_BUF_INIT, text = SP_BUF_INIT;
  sp_agg_names names = {PARTIAL_COL, WINDOW_COL, NULL};
  char **keynames = NULL, *printed = NULL;
  int x = -1;
  sp_status st;

  if (!partials || !keys) {
    st = sp_error_oom(err);
    goto out;
  }
  for (i = 0; i < ngroups; i++) {
    char name[64];
    snprintf(name, sizeof(name), "%s%zu", GROUP_COL, i);
    sp_buf_puts(&over, i ? ", " : "PARTITION BY ");
    sp_buf_append_ident(&over, name);
    if (json_array_append_new(keys, column_ref(GROUP_COL, i)))
      goto oom;
  }
  if (sp_buf_oom(&over))
    goto oom;
  names.over = over.data ? over.data : "";
  if (!(probe = bare_copy(b)) || set_groups(probe, b->groups))
    goto oom;
  if ((st = sp_agg_finals(b->s->con, probe, b->aggs, b->distinct_ok, &names,
                          partials, &windows, &finals, err)) != SP_OK)
    goto out;

  /* Each producer: the group keys and the partial aggregates. */
  if (!(partial = bare_copy(b)) || set_groups(partial, b->groups) ||
      !(items = json_array()))
    goto oom;
  json_array_foreach(b->groups, i, e) {
    json_t *g = json_deep_copy(e);
    if (!g || set_alias(g, GROUP_COL, i) || json_array_append_new(items, g))
      goto oom;
  }
  if (json_array_extend(items, partials) ||
      json_object_set(partial, "select_list", items))
    goto oom;
  if ((st = print_tree(b, partial, &printed, err)) != SP_OK)
    goto out;
  sp_buf_reset(&text);
  sp_buf_puts(&text, printed);
  if (ngroups && !(keynames = sp_calloc(ngroups, sizeof(*keynames))))
    goto oom;
  for (i = 0; i < ngroups; i++) {
    char name[64];
    snprintf(name, sizeof(name), "%s%zu", GROUP_COL, i);
    if (!(keynames[i] = sp_strdup(name)))
      goto oom;
  }
  if ((st = exchange(b, ngroups ? SP_STAGE_HASH : SP_STAGE_GATHER, &text,
                     keynames, ngroups,
                     ngroups ? "partial aggregates on each producer"
                             : "partial aggregates on each producer, "
                               "gathered",
                     &x, err)) != SP_OK)
    goto out;

  /* Each partition: the final aggregate over the exchanged partials. */
  sp_buf_reset(&text);
  sp_buf_puts(&text, "(SELECT *");
  sp_buf_append(&text, windows.data ? windows.data : "", windows.len);
  sp_buf_puts(&text, " FROM ");
  sp_stages_append_typed(b->s, &text, x, -1);
  sp_buf_puts(&text, " AS \"" INNER_ALIAS "\") AS ");
  sp_buf_append_ident(&text, from_alias(b));
  if (!(from = sp_block_parse_from(b, &text, &st, err)))
    goto out;
  if (!(tree = json_deep_copy(b->node)) ||
      json_object_set(tree, "from_table", from) ||
      json_object_set_new(tree, "where_clause", json_null()) ||
      json_object_set_new(tree, "modifiers", json_array()) ||
      set_groups(tree, keys))
    goto oom;
  /* Aggregates first: a group expression inside one stays as it is. */
  if (sp_tree_substitute(&tree, b->aggs, finals, b->alias) ||
      sp_tree_substitute(&tree, b->groups, keys, b->alias))
    goto oom;
  /* The sort keys, over the same columns. */
  {
    json_t *orders = json_deep_copy(b->orders);
    if (!orders || sp_tree_substitute(&orders, b->aggs, finals, b->alias) ||
        sp_tree_substitute(&orders, b->groups, keys, b->alias)) {
      json_decref(orders);
      goto oom;
    }
    st = finish(b, tree, &x, 1, orders, 1,
                "the final aggregate of each partition's partials", err);
    json_decref(orders);
  }
  goto out;
oom:
  st = sp_error_oom(err);
out:
  for (i = 0; keynames && i < ngroups; i++)
    sp_free(keynames[i]);
  sp_free(keynames);
  json_decref(probe);
  json_decref(partial);
  json_decref(partials);
  json_decref(finals);
  json_decref(keys);
  json_decref(tree);
  json_decref(from);
  json_decref(items);
  sp_free(printed);
  sp_buf_release(&over);
  sp_buf_release(&windows);
  sp_buf_release(&text);
  return st;
}

/* The table columns the block reads after WHERE, in the table's order;
 * all of them when it has a *. */
static json_t *needed_columns(const sp_block *b)
{
  const json_t *cols = sp_stages_schema(b->s, b->table), *c;
  json_t *out = json_array(), *parts = json_array();
  size_t i;

  if (!out || !parts ||
      json_array_append(parts, json_object_get(b->node, "select_list")) ||
      json_array_append(parts, b->groups) ||
      json_array_append(parts, json_object_get(b->node, "having")) ||
      json_array_append(parts, json_object_get(b->node, "qualify")) ||
      json_array_append(parts, b->orders))
    goto fail;
  json_array_foreach(cols, i, c) {
    const char *name = json_string_value(json_array_get(c, 0));
    json_t *ref = sp_tree_column_ref(name);
    int used = b->star;
    size_t k;
    for (k = 0; !used && k < json_array_size(parts); k++)
      used = sp_tree_has_column(json_array_get(parts, k), name);
    if (!ref || (used && json_array_append(out, ref))) {
      json_decref(ref);
      goto fail;
    }
    json_decref(ref);
  }
  json_decref(parts);
  return out;
fail:
  json_decref(parts);
  json_decref(out);
  return NULL;
}

/* Adds the exchange of the block's rows (the columns it reads after
 * WHERE) hashed on keys; *from the FROM that reads them back in the
 * block's place, with the table's types and name. */
static sp_status hash_rows(sp_block *b, const json_t *keys, const char *note,
                           int *x, json_t **from, sp_error **err)
{
  json_t *needed = needed_columns(b), *items = NULL, *tree = NULL, *e;
  size_t nneeded, i, k;
  sp_buf text = SP_BUF_INIT;
  sp_stage stage = {.kind = SP_STAGE_HASH};
  char *printed = NULL;
  sp_status st = SP_OK;

  *from = NULL;
  if (!needed || !(items = json_deep_copy(needed)) ||
      !(stage.keys = sp_calloc(json_array_size(keys), sizeof(*stage.keys))))
    goto oom;
  nneeded = json_array_size(needed);
  json_array_foreach(keys, i, e) {
    const char *col = sp_block_column(b, sp_tree_column(e, b->alias));
    char name[64];
    json_t *h;
    if (col) {
      for (k = 0; k < nneeded; k++)
        if (strcmp(sp_tree_column(json_array_get(needed, k), NULL), col) == 0)
          break;
      if (k == nneeded) {
        st = sp_error_set(err, SP_EPLAN, "key %s not read", col);
        goto out;
      }
      if (!(stage.keys[stage.nkeys++] = sp_strdup(col)))
        goto oom;
      continue;
    }
    h = json_deep_copy(e);
    snprintf(name, sizeof(name), "%s%zu", HASH_COL, i);
    if (!h || set_alias(h, HASH_COL, i) || json_array_append_new(items, h) ||
        !(stage.keys[stage.nkeys++] = sp_strdup(name)))
      goto oom;
  }
  if (!(tree = bare_copy(b)) || json_object_set(tree, "select_list", items))
    goto oom;
  if ((st = print_tree(b, tree, &printed, err)) != SP_OK)
    goto out;
  sp_buf_puts(&text, printed);
  if ((st = exchange(b, SP_STAGE_HASH, &text, stage.keys, stage.nkeys, note,
                     x, err)) != SP_OK)
    goto out;
  sp_buf_reset(&text);
  sp_stages_append_typed(b->s, &text, *x, (int)nneeded);
  sp_buf_puts(&text, " AS ");
  sp_buf_append_ident(&text, from_alias(b));
  *from = sp_block_parse_from(b, &text, &st, err);
  goto out;
oom:
  st = sp_error_oom(err);
out:
  sp_stage_release(&stage);
  json_decref(needed);
  json_decref(items);
  json_decref(tree);
  sp_free(printed);
  sp_buf_release(&text);
  return st;
}

/* The rows hashed on keys, then the whole block on each partition: a
 * GROUP BY with an aggregate that does not split (keys: the group
 * expressions), windows (the PARTITION BY they share). */
static sp_status route_hash_rows(sp_block *b, const json_t *keys,
                                 const char *note, sp_error **err)
{
  json_t *from = NULL, *tree = NULL;
  sp_status st;
  int x = -1;

  if ((st = hash_rows(b, keys, note, &x, &from, err)) != SP_OK)
    goto out;
  if (!(tree = json_deep_copy(b->node)) ||
      json_object_set(tree, "from_table", from) ||
      json_object_set_new(tree, "where_clause", json_null()) ||
      json_object_set_new(tree, "modifiers", json_array())) {
    st = sp_error_oom(err);
    goto out;
  }
  st = finish(b, tree, &x, 1, b->orders, !b->star,
              "the whole block on each partition", err);
out:
  json_decref(tree);
  json_decref(from);
  return st;
}

/* A global aggregate with DISTINCT aggregates of one argument: the rows
 * hashed on it, so that each partition's distinct values are its own,
 * then partials on each partition, gathered, the final on one task. */
static sp_status route_distinct_aggregate(sp_block *b, const json_t *arg,
                                          sp_error **err)
{
  json_t *keys = json_pack("[O]", (json_t *)arg), *from = NULL;
  sp_status st;
  int x = -1;

  if (!keys)
    return sp_error_oom(err);
  if ((st = hash_rows(b, keys, "rows hashed on the DISTINCT argument", &x,
                      &from, err)) != SP_OK)
    goto out;
  /* The block now reads the hashed rows, filtered already (its leaves,
   * and their names, point into the FROM it had: kept until the end). */
  sp_free(b->inputs);
  b->inputs = NULL;
  b->retired = b->source;
  if (!(b->source = json_deep_copy(b->node)) ||
      json_object_set(b->source, "from_table", from) ||
      json_object_set_new(b->source, "where_clause", json_null()) ||
      !(b->inputs = sp_calloc(1, sizeof(*b->inputs)))) {
    st = sp_error_oom(err);
    goto out;
  }
  b->inputs[0] = x;
  b->ninputs = 1;
  b->staged = 1;
  b->distinct_ok = 1;
  st = route_split_aggregate(b, err);
out:
  json_decref(keys);
  json_decref(from);
  return st;
}

/* SELECT DISTINCT: distinct on each producer, hashed on every column,
 * distinct again on each partition. */
static sp_status route_distinct(sp_block *b, sp_error **err)
{
  const json_t *items = json_object_get(b->node, "select_list");
  size_t n = json_array_size(items), i;
  json_t *tree = json_deep_copy(b->source ? b->source : b->node);
  json_t *refs = json_array(), *orders = NULL, *final = NULL, *e;
  sp_buf text = SP_BUF_INIT;
  sp_stage stage = {.kind = SP_STAGE_HASH};
  char *printed = NULL;
  sp_status st = SP_OK;
  int x = -1;

  if (b->star) {
    st = sp_error_set(err, SP_EPLAN, "DISTINCT * is not split yet");
    goto out;
  }
  if (!tree || !refs || !(orders = json_deep_copy(b->orders)) ||
      !(stage.keys = sp_calloc(n, sizeof(*stage.keys))))
    goto oom;
  /* Each producer: the distinct rows of the query's columns, by name. */
  json_array_foreach(json_object_get(tree, "select_list"), i, e) {
    char name[64];
    snprintf(name, sizeof(name), "%s%zu", DISTINCT_COL, i);
    if (set_alias(e, DISTINCT_COL, i) ||
        json_array_append_new(refs, column_ref(DISTINCT_COL, i)) ||
        !(stage.keys[stage.nkeys++] = sp_strdup(name)))
      goto oom;
  }
  {
    json_t *mods = json_pack("[{s:s, s:[]}]", "type", "DISTINCT_MODIFIER",
                             "distinct_on_targets");
    if (!mods || json_object_set_new(tree, "modifiers", mods))
      goto oom;
  }
  if ((st = print_tree(b, tree, &printed, err)) != SP_OK)
    goto out;
  sp_buf_puts(&text, printed);
  if ((st = exchange(b, SP_STAGE_HASH, &text, stage.keys, stage.nkeys,
                     "distinct rows on each producer", &x, err)) != SP_OK)
    goto out;

  /* Each partition: DISTINCT again, over the exchanged columns. */
  sp_buf_reset(&text);
  sp_buf_puts(&text, "SELECT DISTINCT ");
  append_numbered(&text, DISTINCT_COL, n, NULL);
  sp_buf_puts(&text, " FROM ");
  sp_stages_append_typed(b->s, &text, x, -1);
  sp_buf_puts(&text, " AS \"" INNER_ALIAS "\"");
  if (!(final = parse_node(b, &text, &st, err)))
    goto out;
  /* Sort keys are DISTINCT columns (DuckDB insists): by their names. */
  if (sp_tree_substitute(&orders, items, refs, b->alias))
    goto oom;
  st = finish(b, final, &x, 1, orders, 1, "distinct rows again", err);
  goto out;
oom:
  st = sp_error_oom(err);
out:
  sp_stage_release(&stage);
  json_decref(tree);
  json_decref(refs);
  json_decref(orders);
  json_decref(final);
  sp_free(printed);
  sp_buf_release(&text);
  return st;
}

static int all_split(const sp_block *b)
{
  const json_t *e;
  size_t i;

  json_array_foreach(b->aggs, i, e)
    if (!sp_agg_splits(e, b->distinct_ok))
      return 0;
  return 1;
}

/* The one argument every DISTINCT aggregate of the block shares, when the
 * others split: hashed on it, they all split. NULL otherwise. */
static const json_t *distinct_argument(const sp_block *b)
{
  const json_t *e, *arg = NULL;
  size_t i;

  json_array_foreach(b->aggs, i, e) {
    const json_t *children = json_object_get(e, "children");
    if (!json_is_true(json_object_get(e, "distinct"))) {
      if (!sp_agg_splits(e, 0))
        return NULL;
      continue;
    }
    if (json_array_size(children) != 1 || !sp_agg_splits(e, 1) ||
        (arg && !sp_tree_equal(arg, json_array_get(children, 0), b->alias)))
      return NULL;
    arg = json_array_get(children, 0);
  }
  return arg;
}

sp_status sp_sql_route(sp_stages *s, const json_t *node,
                       const json_t *schema, int staged, int partitions,
                       int hashed, int *out, const char **why,
                       sp_error **err)
{
  sp_block b = {.s = s, .node = node, .schema = schema, .staged = staged,
                .limit = -1, .offset = -1,
                .broadcast_bytes = s->broadcast_bytes,
                .partitions = partitions > 0 ? partitions : 1};
  sp_status st = SP_OK;
  int grouped, aggregate;

  *why = NULL;
  if (!(b.groups = json_array()) || !(b.aggs = json_array()) ||
      !(b.orders = json_array()) || !(b.source = json_deep_copy(node))) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((*why = read_block(&b)))
    goto out;
  grouped = json_array_size(b.groups) > 0;
  aggregate = grouped || json_array_size(b.aggs) > 0;
  /* More than one table, or subqueries: where the rows come from is a
   * plan of its own (sql/sources.c). */
  b.wants_key = b.window_keys || (grouped && (hashed || !all_split(&b)));
  if ((b.staged || b.joined || json_array_size(b.subs)) &&
      ((st = sp_block_sources(&b, why, err)) != SP_OK || *why))
    goto out;
  if (b.joined && b.distinct) {
    *why = "DISTINCT over a join is not split yet";
    goto out;
  }
  if (b.window_keys) {
    if (b.copartitioned && on_key(&b, b.window_keys))
      st = route_in_place(&b, err);
    else if (!b.joined)
      st = route_hash_rows(&b, b.window_keys, "rows hashed on the "
                           "windows' PARTITION BY, the windows whole on "
                           "each partition", err);
    else
      *why = "windows over a join are split only when they partition by "
             "the key the tables are hashed on";
  } else if (!aggregate)
    st = b.distinct ? route_distinct(&b, err) : route_scan(&b, err);
  else if (b.copartitioned && on_key(&b, b.groups))
    st = route_in_place(&b, err);
  else if (!hashed && all_split(&b))
    st = route_split_aggregate(&b, err);
  else if (grouped && !b.joined)
    st = route_hash_rows(&b, b.groups, "rows hashed on the group keys, the "
                         "aggregate whole on each partition", err);
  else if (!grouped && !b.joined && !hashed && distinct_argument(&b))
    st = route_distinct_aggregate(&b, distinct_argument(&b), err);
  else
    *why = grouped ? "an aggregate over a join that does not split into "
                     "partials (median, count(DISTINCT), ...), not grouped "
                     "on the key the tables are hashed on"
                   : "a global aggregate that does not split (median, "
                     "DISTINCT of two arguments, ...) runs on one task";
out:
  if (st == SP_OK && !*why)
    *out = sp_stages_next(s) - 1;
  block_release(&b);
  return st;
}

/* Appends to list (once each) the placeholders the tree's FROMs read. */
typedef struct tables_walk {
  const char *tag;
  json_t *list;
} tables_walk;

static int collect_table(const json_t *j, void *arg)
{
  tables_walk *w = arg;
  const json_t *v;
  json_int_t n;
  size_t i;

  if (strcmp(sp_tree_str(j, "type"), "BASE_TABLE") != 0 ||
      strncmp(sp_tree_str(j, "table_name"), w->tag, strlen(w->tag)) != 0)
    return 0;
  n = strtol(sp_tree_str(j, "table_name") + strlen(w->tag), NULL, 10);
  json_array_foreach(w->list, i, v)
    if (json_integer_value(v) == n)
      return 1;
  return json_array_append_new(w->list, json_integer(n)) ? -1 : 1;
}

static int collect_tables(const sp_stages *s, const json_t *j, json_t *list)
{
  tables_walk w = {s->refs->tag, list};

  return sp_tree_visit(j, collect_table, &w);
}

sp_status sp_sql_single(sp_stages *s, const json_t *node,
                        const json_t *schema, const char *why, int *out,
                        sp_error **err)
{
  sp_stage stage = {.kind = SP_STAGE_SQL};
  sp_buf sql = SP_BUF_INIT, note = SP_BUF_INIT;
  json_t *tree = json_deep_copy(node), *tables = json_array(), *v;
  char *printed = NULL;
  sp_status st = tree && tables && !collect_tables(s, tree, tables)
                     ? SP_OK
                     : sp_error_oom(err);
  size_t k;

  /* Every table gathered into one partition, no rows moved. */
  json_array_foreach(tables, k, v) {
    sp_stage gather = {.kind = SP_STAGE_GATHER};
    int in = (int)json_integer_value(v);
    if (st != SP_OK)
      break;
    if (sp_stages_partitions(s, in) > 1) {
      st = sp_stage_read(&gather, in) ? sp_error_oom(err)
                                      : sp_stages_add(s, &gather, &in, err);
      if (st == SP_OK &&
          sp_sql_retarget(s, &tree, (int)json_integer_value(v), in))
        st = sp_error_oom(err);
    }
    sp_stage_release(&gather);
  }
  if (st != SP_OK || (st = sp_tree_print(s->con, tree, &printed, err)))
    goto out;
  wrap_renamed(&sql, printed, schema, json_array_size(schema), 0);
  sp_buf_appendf(&note, "single because: %s", why);
  stage.threads = s->host_threads;
  if (sp_buf_oom(&sql) || sp_buf_oom(&note) ||
      !(stage.sql = sp_strdup(sql.data)) ||
      !(stage.note = sp_strdup(note.data)))
    st = sp_error_oom(err);
  else
    st = sp_stages_add(s, &stage, out, err);
out:
  sp_stage_release(&stage);
  json_decref(tree);
  json_decref(tables);
  sp_free(printed);
  sp_buf_release(&sql);
  sp_buf_release(&note);
  return st;
}
