/*
 * combine.c - a combiner for an aggregate over a hash repartition (see
 * combine.h).
 *
 * DESIGN. DuckDB parses the query into its tree, which must have one
 * shape: a single SELECT from the input, with no CTE, subquery, window,
 * QUALIFY or *, grouped by plain columns that include every hash key, and
 * every aggregate in its select list and HAVING one that splits
 * (sql/aggregate.h: count, sum, avg, min, max, the variance family, ...,
 * FILTER clauses too). The partial query is the same tree selecting the
 * group columns and the partial aggregates; WHERE runs there. The final
 * query is the original with each aggregate replaced by its final
 * expression over the partials, cast to the type DuckDB gives the
 * aggregate, each item named as DuckDB names it; HAVING, ORDER BY, LIMIT
 * and DISTINCT stay in it, since a partition holds whole groups either
 * way. The final must bind over the partial to exactly the query's names
 * and types. Anything else gets no combiner: the plan stays as written.
 */
#include "sql/combine.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "duck/duck.h"
#include "plan/template.h"
#include "sql/aggregate.h"
#include "sql/stage.h"
#include "sql/tree.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* The input's name while the query is parsed, and the partials' while the
 * final is checked; {0} both, afterwards. */
#define INPUT_NAME "__sp_combine_input"
#define PARTIALS_NAME "__sp_combine_partials"
#define PARTIAL_COL "__sp_part"
#define WINDOW_COL "__sp_win"

typedef struct combiner {
  duckdb_connection con;
  const json_t *catalog; /* DuckDB's aggregates (sp_agg_catalog) */
  json_t *node;    /* the query's SELECT node */
  const char *alias; /* the input's name in the query */
  json_t *aggs;    /* the aggregate calls it makes, each once */
  json_t *schema;  /* the query's names and types, as DuckDB binds it */
} combiner;

/* Collects the aggregates of a select list or HAVING; -1 at anything that
 * does not split. */
static int collect(const json_t *e, void *arg)
{
  combiner *c = arg;
  const char *kind = sp_agg_function_kind(c->catalog, e);
  const json_t *a;
  size_t i;

  if (sp_tree_is(e, "SUBQUERY") || sp_tree_is(e, "WINDOW") ||
      sp_tree_is(e, "STAR") || (kind && strcmp(kind, "macro") == 0))
    return -1;
  if (!kind)
    return 0;
  if (!sp_agg_splits(e, 0))
    return -1;
  json_array_foreach(c->aggs, i, a)
    if (sp_tree_equal(a, e, c->alias))
      return 1;
  return json_array_append(c->aggs, (json_t *)e) ? -1 : 1;
}

/* 1 when the query has the shape described above, and its aggregates
 * are collected. */
static int splits(combiner *c, char *const *keys, size_t nkeys)
{
  const json_t *n = c->node, *from = json_object_get(n, "from_table");
  const json_t *groups = json_object_get(n, "group_expressions");
  const json_t *sets = json_object_get(n, "group_sets"), *g;
  size_t i, k;

  if (strcmp(sp_tree_str(n, "type"), "SELECT_NODE") != 0 ||
      json_array_size(json_object_get(json_object_get(n, "cte_map"),
                                      "map")) != 0 ||
      strcmp(sp_tree_str(from, "type"), "BASE_TABLE") != 0 ||
      strcmp(sp_tree_str(from, "table_name"), INPUT_NAME) != 0 ||
      *sp_tree_str(from, "schema_name") || *sp_tree_str(from, "catalog_name") ||
      json_array_size(json_object_get(from, "column_name_alias")) != 0 ||
      !json_is_null(json_object_get(from, "sample")) ||
      !json_is_null(json_object_get(n, "qualify")) ||
      !json_is_null(json_object_get(n, "sample")) ||
      strcmp(sp_tree_str(n, "aggregate_handling"), "STANDARD_HANDLING") != 0 ||
      json_array_size(groups) == 0 || json_array_size(sets) != 1 ||
      json_array_size(json_array_get(sets, 0)) != json_array_size(groups))
    return 0;
  c->alias = *sp_tree_str(from, "alias") ? sp_tree_str(from, "alias")
                                         : INPUT_NAME;
  json_array_foreach(groups, i, g)
    if (!sp_tree_column(g, c->alias))
      return 0;
  /* Rows of one group must meet in one partition. */
  for (k = 0; k < nkeys; k++) {
    json_array_foreach(groups, i, g)
      if (strcasecmp(sp_tree_column(g, c->alias), keys[k]) == 0)
        break;
    if (i == json_array_size(groups))
      return 0;
  }
  /* A subquery in WHERE would see one producer's rows, not the
   * partition's. */
  return !sp_tree_has_class(json_object_get(n, "where_clause"), "SUBQUERY") &&
         sp_tree_visit(json_object_get(n, "select_list"), collect, c) == 0 &&
         sp_tree_visit(json_object_get(n, "having"), collect, c) == 0;
}

/* The aggregates' final expressions over the partials, cast to the types
 * DuckDB gives them: *finals. The partial aggregates are appended to
 * partials, the window columns they need to windows. */
static sp_status make_finals(combiner *c, json_t *partials, sp_buf *windows,
                             json_t **finals, sp_error **err)
{
  const json_t *groups = json_object_get(c->node, "group_expressions"), *g;
  sp_agg_names names = {PARTIAL_COL, WINDOW_COL, NULL};
  sp_buf over = SP_BUF_INIT;
  sp_status st;
  size_t i;

  json_array_foreach(groups, i, g) {
    sp_buf_puts(&over, i ? ", " : "PARTITION BY ");
    sp_buf_append_ident(&over, sp_tree_column(g, c->alias));
  }
  names.over = over.data ? over.data : "";
  st = sp_buf_oom(&over)
           ? sp_error_oom(err)
           : sp_agg_finals(c->con, c->node, c->aggs, 0, &names, partials,
                           windows, finals, err);
  sp_buf_release(&over);
  return st;
}

/* The partial query: the group columns, then the partial aggregates. */
static sp_status make_partial(combiner *c, const json_t *partials,
                              char **sql, sp_error **err)
{
  json_t *tree = json_deep_copy(c->node), *items = json_array(), *g;
  sp_status st = SP_OK;
  size_t i;

  if (!tree || !items)
    goto oom;
  json_array_foreach(json_object_get(c->node, "group_expressions"), i, g)
    if (json_array_append(items, g))
      goto oom;
  if (json_array_extend(items, (json_t *)partials) ||
      json_object_set(tree, "select_list", items) ||
      json_object_set_new(tree, "having", json_null()) ||
      json_object_set_new(tree, "modifiers", json_array()))
    goto oom;
  st = sp_tree_print(c->con, tree, sql, err);
  goto out;
oom:
  st = sp_error_oom(err);
out:
  json_decref(tree);
  json_decref(items);
  return st;
}

/* The final query: the original over the partials (with the window
 * columns), its aggregates replaced by finals, its items named as DuckDB
 * names them. */
static sp_status make_final(combiner *c, const json_t *finals,
                            const sp_buf *windows, char **sql,
                            sp_error **err)
{
  json_t *tree = json_deep_copy(c->node), *reader = NULL, *item;
  json_t *from = NULL;
  sp_buf text = SP_BUF_INIT;
  sp_status st = SP_OK;
  size_t i;

  sp_buf_puts(&text, "SELECT * FROM ");
  if (windows->len) {
    sp_buf_puts(&text, "(SELECT *");
    sp_buf_append(&text, windows->data, windows->len);
    sp_buf_puts(&text, " FROM \"" PARTIALS_NAME "\")");
  } else {
    sp_buf_puts(&text, "\"" PARTIALS_NAME "\"");
  }
  sp_buf_puts(&text, " AS ");
  sp_buf_append_ident(&text, c->alias);
  if (!tree || sp_buf_oom(&text))
    goto oom;
  if ((st = sp_tree_parse_select(c->con, text.data, &reader, err)) != SP_OK)
    goto out;
  if (!(from = json_object_get(reader, "from_table")) ||
      sp_tree_substitute(&tree, c->aggs, finals, c->alias) ||
      json_object_set(tree, "from_table", from) ||
      json_object_set_new(tree, "where_clause", json_null()))
    goto oom;
  json_array_foreach(json_object_get(tree, "select_list"), i, item) {
    const char *name = json_string_value(
        json_array_get(json_array_get(c->schema, i), 0));
    if (!name || json_object_set_new(item, "alias", json_string(name)))
      goto oom;
  }
  st = sp_tree_print(c->con, tree, sql, err);
  goto out;
oom:
  st = sp_error_oom(err);
out:
  json_decref(tree);
  json_decref(reader);
  sp_buf_release(&text);
  return st;
}

/* 1 when final, over the partial's results, binds to exactly the query's
 * names and types. */
static int gives_the_same(combiner *c, const char *partial, const char *final)
{
  sp_buf view = SP_BUF_INIT;
  sp_error *ignored = NULL;
  json_t *schema = NULL;
  int same;

  sp_buf_puts(&view, "CREATE OR REPLACE TEMP VIEW \"" PARTIALS_NAME "\" AS ");
  sp_buf_puts(&view, partial);
  same = !sp_buf_oom(&view) &&
         sp_duck_exec(c->con, view.data, &ignored) == SP_OK &&
         sp_sql_bind(c->con, final, &schema, &ignored) == SP_OK &&
         json_equal(schema, c->schema);
  json_decref(schema);
  sp_error_free(&ignored);
  sp_buf_release(&view);
  return same;
}

/* Appends SQL text as a template over {0}: braces doubled, the parse-time
 * names replaced by {0}. */
static void as_template(const char *sql, sp_buf *b)
{
  static const char *const names[] = {INPUT_NAME, PARTIALS_NAME};
  const char *p;
  size_t i, n;

  for (p = sql; *p; p++) {
    for (i = 0; i < 2; i++) {
      n = strlen(names[i]);
      if (p[0] == '"' && strncmp(p + 1, names[i], n) == 0 &&
          p[n + 1] == '"') {
        p += n + 1;
        break;
      }
      if (strncmp(p, names[i], n) == 0) {
        p += n - 1;
        break;
      }
    }
    if (i < 2)
      sp_buf_puts(b, "{0}");
    else if (*p == '{' || *p == '}')
      sp_buf_puts(b, *p == '{' ? "{{" : "}}");
    else
      sp_buf_putc(b, *p);
  }
}

/* The template expanded with the input named INPUT_NAME, into *out; NULL
 * when it uses per-partition placeholders (it expands differently for two
 * partitions), which a combined plan could not keep. */
static void expand_plain(const char *tmpl, char **out)
{
  static const char *const names[] = {"\"" INPUT_NAME "\""};
  sp_template_vars a = {0, 1, 0, NULL, NULL, 0};
  sp_template_vars b = {1, 2, 1, NULL, NULL, 0};
  sp_buf x = SP_BUF_INIT, y = SP_BUF_INIT;
  sp_error *ignored = NULL;

  *out = NULL;
  if (sp_template_expand(tmpl, names, 1, &a, &x, &ignored) == SP_OK &&
      sp_template_expand(tmpl, names, 1, &b, &y, &ignored) == SP_OK &&
      !sp_buf_oom(&x) && !sp_buf_oom(&y) && strcmp(x.data, y.data) == 0)
    *out = sp_buf_detach(&x);
  sp_error_free(&ignored);
  sp_buf_release(&x);
  sp_buf_release(&y);
}

sp_status sp_sql_combine(const char *query, const char *input_sql,
                         char *const *keys, size_t nkeys,
                         const json_t *functions, char **partial,
                         char **final, sp_error **err)
{
  duckdb_database db = NULL;
  combiner c = {0};
  json_t *partials = json_array(), *finals = NULL;
  sp_buf windows = SP_BUF_INIT, view = SP_BUF_INIT;
  sp_buf p = SP_BUF_INIT, f = SP_BUF_INIT;
  char *sql = NULL, *psql = NULL, *fsql = NULL;
  sp_error *ignored = NULL;
  sp_status st = SP_OK;

  *partial = *final = NULL;
  if (!partials || !(c.aggs = json_array())) {
    st = sp_error_oom(err);
    goto out;
  }
  /* Names of the planner's own would collide with those made here. */
  expand_plain(query, &sql);
  if (!sql || strstr(query, "__sp_"))
    goto out;
  c.catalog = functions;
  if ((st = sp_duck_open_connected(&db, &c.con, err)) != SP_OK)
    goto out;
  sp_buf_puts(&view, "CREATE TEMP VIEW \"" INPUT_NAME "\" AS ");
  sp_buf_puts(&view, input_sql);
  if (sp_buf_oom(&view)) {
    st = sp_error_oom(err);
    goto out;
  }
  /* A query that does not bind is left for the task to report. */
  if (sp_duck_exec(c.con, view.data, &ignored) != SP_OK ||
      sp_sql_bind(c.con, sql, &c.schema, &ignored) != SP_OK ||
      sp_tree_parse_select(c.con, sql, &c.node, &ignored) != SP_OK ||
      !splits(&c, keys, nkeys))
    goto out;
  /* A probe that does not bind (an alias of the select list used in
   * WHERE, say) means no combiner. */
  if ((st = make_finals(&c, partials, &windows, &finals, &ignored)) ||
      (st = make_partial(&c, partials, &psql, &ignored)) ||
      (st = make_final(&c, finals, &windows, &fsql, &ignored)) ||
      !gives_the_same(&c, psql, fsql)) {
    st = st == SP_ENOMEM ? sp_error_oom(err) : SP_OK;
    goto out;
  }
  as_template(psql, &p);
  as_template(fsql, &f);
  if (sp_buf_oom(&p) || sp_buf_oom(&f) || !(*partial = sp_buf_detach(&p)) ||
      !(*final = sp_buf_detach(&f))) {
    sp_free(*partial);
    *partial = NULL;
    st = sp_error_oom(err);
  }
out:
  sp_error_free(&ignored);
  json_decref(partials);
  json_decref(finals);
  json_decref(c.aggs);
  json_decref(c.node);
  json_decref(c.schema);
  sp_free(sql);
  sp_free(psql);
  sp_free(fsql);
  sp_buf_release(&windows);
  sp_buf_release(&view);
  sp_buf_release(&p);
  sp_buf_release(&f);
  sp_duck_close(&db, &c.con);
  return st;
}
