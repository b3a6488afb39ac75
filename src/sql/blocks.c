/*
 * blocks.c - a query cut into its blocks, each planned on its own (see
 * blocks.h).
 */
#include "sql/blocks.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/distribute.h"
#include "sql/tree.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct planner {
  sp_stages *s;
  int partitions, hashed;
  int split;       /* blocks cut into stages */
  const char *why; /* why the first block that runs whole does */
} planner;

static sp_status plan_block(planner *p, const json_t *node,
                            const json_t *names, int *out, sp_error **err);

/* ------------------------------------------------------------------ */

static const char *const volatile_functions[] = {
  "now", "random", "uuid", "gen_random_uuid", "uuidv4", "uuidv7",
  "get_current_time", "get_current_timestamp", "transaction_timestamp",
  "today", "current_localtime", "current_localtimestamp", "setseed",
  "nextval", "currval",
};
static const char *const volatile_columns[] = {
  "current_date", "current_time", "current_timestamp", "localtime",
  "localtimestamp",
};

static int in_list(const char *name, const char *const *list, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcasecmp(name, list[i]) == 0)
      return 1;
  return 0;
}

/* 1 if j calls something whose value changes from task to task. */
static int is_volatile(const json_t *j, void *arg)
{
  (void)arg;
  if (sp_tree_is(j, "FUNCTION") &&
      in_list(sp_tree_str(j, "function_name"), volatile_functions,
              sizeof(volatile_functions) / sizeof(*volatile_functions)))
    return -1;
  if (sp_tree_column(j, NULL) &&
      in_list(sp_tree_column(j, NULL), volatile_columns,
              sizeof(volatile_columns) / sizeof(*volatile_columns)))
    return -1;
  return 0;
}

static int has_volatile(const json_t *j)
{
  return sp_tree_visit(j, is_volatile, NULL) != 0;
}

/* `SELECT * FROM <placeholder n> AS alias` (alias may be NULL or ""),
 * parsed. */
static json_t *placeholder_select(const planner *p, int n, const char *alias,
                                  sp_status *st, sp_error **err)
{
  sp_buf text = SP_BUF_INIT;
  json_t *node = NULL;

  sp_buf_puts(&text, "SELECT * FROM ");
  sp_stages_append_name(p->s, &text, n);
  if (alias && *alias) {
    sp_buf_puts(&text, " AS ");
    sp_buf_append_ident(&text, alias);
  }
  if (sp_buf_oom(&text))
    *st = sp_error_oom(err);
  else
    *st = sp_tree_parse_select(p->s->con, text.data, &node, err);
  sp_buf_release(&text);
  return node;
}

/* The FROM that reads placeholder n as alias. */
static json_t *placeholder_from(const planner *p, int n, const char *alias,
                                sp_status *st, sp_error **err)
{
  json_t *node = placeholder_select(p, n, alias, st, err);
  json_t *from = json_incref(json_object_get(node, "from_table"));

  json_decref(node);
  return from;
}

/* ------------------------------------------------------------------ */
/* CTEs                                                                 */

typedef struct cte_ref {
  const char *name;
  int placeholder;
  const char *tag;
} cte_ref;

static int replace_cte_ref(json_t **e, void *arg)
{
  const cte_ref *r = arg;
  char name[128];

  if (strcmp(sp_tree_str(*e, "type"), "BASE_TABLE") != 0 ||
      *sp_tree_str(*e, "schema_name") || *sp_tree_str(*e, "catalog_name") ||
      strcasecmp(sp_tree_str(*e, "table_name"), r->name) != 0)
    return 0;
  snprintf(name, sizeof(name), "%s%d", r->tag, r->placeholder);
  if (!*sp_tree_str(*e, "alias") &&
      json_object_set_new(*e, "alias", json_string(r->name)))
    return -1;
  return json_object_set_new(*e, "table_name", json_string(name)) ? -1 : 1;
}

/* Plans each CTE of tree as blocks of its own, in order (a CTE may read
 * the ones before it), and makes every reference read its placeholder. */
static sp_status plan_ctes(planner *p, json_t **tree, const char **why,
                           sp_error **err)
{
  json_t *map = json_object_get(json_object_get(*tree, "cte_map"), "map");
  json_t *entries = json_incref(map), *entry;
  sp_status st = SP_OK;
  size_t i;

  json_array_foreach(entries, i, entry)
    if (strcmp(sp_tree_str(json_object_get(json_object_get(
                               json_object_get(entry, "value"), "query"),
                                           "node"),
                           "type"),
               "RECURSIVE_CTE_NODE") == 0)
      *why = "a recursive CTE runs on one task";
  if (!json_array_size(entries) || *why) {
    json_decref(entries);
    return SP_OK;
  }
  /* Out of the tree first, so the replacing below skips their bodies. */
  if (json_object_set_new(json_object_get(*tree, "cte_map"), "map",
                          json_array())) {
    json_decref(entries);
    return sp_error_oom(err);
  }
  json_array_foreach(entries, i, entry) {
    const json_t *value = json_object_get(entry, "value");
    const json_t *aliases = json_object_get(value, "aliases");
    cte_ref r = {sp_tree_str(entry, "key"), -1, p->s->refs->tag};
    size_t k;
    st = plan_block(p, json_object_get(json_object_get(value, "query"),
                                       "node"),
                    json_array_size(aliases) ? aliases : NULL, &r.placeholder,
                    err);
    if (st != SP_OK)
      break;
    /* The later CTEs, then the query itself. */
    for (k = i + 1; k < json_array_size(entries) && st == SP_OK; k++) {
      json_t *later = json_object_get(json_array_get(entries, k), "value");
      json_t *query = json_object_get(later, "query");
      json_t *n = json_incref(json_object_get(query, "node"));
      if (sp_tree_map(&n, replace_cte_ref, &r) ||
          json_object_set(query, "node", n))
        st = sp_error_oom(err);
      json_decref(n);
    }
    if (st == SP_OK && sp_tree_map(tree, replace_cte_ref, &r))
      st = sp_error_oom(err);
  }
  json_decref(entries);
  return st;
}

/* ------------------------------------------------------------------ */
/* FROM subqueries                                                      */

static sp_status plan_from(planner *p, json_t *holder, const char *key,
                           sp_error **err)
{
  json_t *from = json_object_get(holder, key), *table;
  const char *type = sp_tree_str(from, "type");
  sp_status st = SP_OK;
  int x = -1;

  if (strcmp(type, "JOIN") == 0) {
    if ((st = plan_from(p, from, "left", err)) == SP_OK)
      st = plan_from(p, from, "right", err);
    return st;
  }
  if (strcmp(type, "SUBQUERY") != 0)
    return SP_OK;
  {
    const json_t *names = json_object_get(from, "column_name_alias");
    st = plan_block(p,
                    json_object_get(json_object_get(from, "subquery"), "node"),
                    json_array_size(names) ? names : NULL, &x, err);
  }
  if (st != SP_OK)
    return st;
  if (!(table = placeholder_from(p, x, sp_tree_str(from, "alias"), &st, err)))
    return st;
  if (json_object_set_new(holder, key, table))
    return sp_error_oom(err);
  return SP_OK;
}

/* ------------------------------------------------------------------ */
/* Subqueries in expressions                                            */

typedef struct subquery_arg {
  planner *p;
  int staged, correlated;
  sp_status st;
  sp_error **err;
} subquery_arg;

static int plan_subquery(json_t **e, void *arg)
{
  subquery_arg *a = arg;
  planner *p = a->p;
  json_t *holder, *node = NULL, *schema = NULL;
  sp_error *soft = NULL;
  char *printed = NULL;
  int x = -1;

  if (!sp_tree_is(*e, "SUBQUERY"))
    return 0;
  holder = json_object_get(*e, "subquery");
  /* A subquery that binds alone does not refer to the outer query. */
  if (sp_tree_print(p->s->con, json_object_get(holder, "node"), &printed,
                    &soft) != SP_OK ||
      sp_sql_bind(p->s->con, printed, &schema, &soft) != SP_OK) {
    sp_free(printed);
    sp_error_free(&soft);
    a->correlated = 1;
    return 1;
  }
  sp_free(printed);
  json_decref(schema);
  a->st = plan_block(p, json_object_get(holder, "node"), NULL, &x, a->err);
  if (a->st == SP_OK && sp_stages_partitions(p->s, x) > 1) {
    sp_stage gather = {.kind = SP_STAGE_GATHER};
    a->st = sp_stage_read(&gather, x)
                ? sp_error_oom(a->err)
                : sp_stages_add(p->s, &gather, &x, a->err);
    sp_stage_release(&gather);
  }
  /* SELECT * FROM <its stage>: the same columns, computed once. */
  if (a->st == SP_OK &&
      (node = placeholder_select(p, x, NULL, &a->st, a->err)) &&
      json_object_set(holder, "node", node))
    a->st = sp_error_oom(a->err);
  json_decref(node);
  a->staged = 1;
  return a->st == SP_OK ? 1 : -1;
}

/* Plans the subqueries of tree's expressions (not its FROM, not its
 * CTEs: done before). */
static sp_status plan_subqueries(planner *p, json_t *tree, int *staged,
                                 int *correlated, sp_error **err)
{
  subquery_arg a = {p, 0, 0, SP_OK, err};
  static const char *const keys[] = {
    "select_list", "where_clause", "group_expressions", "having", "qualify",
    "modifiers",
  };
  size_t i;

  for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
    json_t *part = json_incref(json_object_get(tree, keys[i]));
    int r = part ? sp_tree_map(&part, plan_subquery, &a) : 0;
    if (r == 0 && part && json_object_set(tree, keys[i], part))
      a.st = sp_error_oom(err);
    json_decref(part);
    if (r != 0 && a.st == SP_OK)
      a.st = sp_error_oom(err);
    if (a.st != SP_OK)
      return a.st;
  }
  *staged = a.staged;
  *correlated = a.correlated;
  return SP_OK;
}

/* ------------------------------------------------------------------ */
/* UNION, INTERSECT, EXCEPT                                             */

/* Adds a stage of kind over input (and sql, copied); *out its
 * placeholder. */
static sp_status add(planner *p, sp_stage_kind kind, int input, int parts,
                     const sp_buf *sql, char **keys, size_t nkeys,
                     const char *note, int *out, sp_error **err)
{
  sp_stage stage = {.kind = kind, .partitions = parts};
  sp_status st = SP_OK;
  size_t i;

  if ((input >= 0 && sp_stage_read(&stage, input)) ||
      (sql && (sp_buf_oom(sql) || !(stage.sql = sp_strdup(sql->data)))) ||
      (note && !(stage.note = sp_strdup(note))) ||
      (nkeys && !(stage.keys = sp_calloc(nkeys, sizeof(*stage.keys)))))
    st = sp_error_oom(err);
  for (i = 0; i < nkeys && st == SP_OK; i++)
    if (!(stage.keys[stage.nkeys++] = sp_strdup(keys[i])))
      st = sp_error_oom(err);
  if (st == SP_OK)
    st = sp_stages_add(p->s, &stage, out, err);
  sp_stage_release(&stage);
  return st;
}

/* Appends `"<prefix><i>"` for each column of schema, comma-separated,
 * each as `expr AS name` when cast (CAST(name AS type) AS <prefix>i). */
static void append_columns(sp_buf *b, const json_t *schema, const char *prefix,
                           const json_t *from, int cast)
{
  const json_t *c;
  size_t i;

  json_array_foreach(schema, i, c) {
    char name[64];
    snprintf(name, sizeof(name), "%s%zu", prefix, i);
    sp_buf_puts(b, i ? ", " : "");
    if (cast) {
      sp_buf_puts(b, "CAST(");
      sp_buf_append_ident(b, json_string_value(json_array_get(
                                 json_array_get(from, i), 0)));
      sp_buf_appendf(b, " AS %s) AS ",
                     json_string_value(json_array_get(c, 1)));
    }
    sp_buf_append_ident(b, name);
  }
}

/* A set operation: its two sides planned as blocks, then UNION ALL on
 * each partition of both (their partitions paired), or, to make equal
 * rows meet, both sides hashed on every column (cast to the result's
 * types) and the operation on each partition; ORDER BY and LIMIT on one
 * task after. */
static sp_status plan_setop(planner *p, json_t *tree, const json_t *schema,
                            int *out, const char **why, sp_error **err)
{
  const char *type = sp_tree_str(tree, "setop_type");
  const json_t *mods = json_object_get(tree, "modifiers");
  int all = json_is_true(json_object_get(tree, "setop_all"));
  int side[2] = {-1, -1}, parts, k, x = -1;
  size_t ncols = json_array_size(schema), i;
  char **keys = NULL;
  sp_buf sql = SP_BUF_INIT;
  json_t *final = NULL, *positional;
  char *printed = NULL;
  sp_status st = SP_OK;

  if (strcmp(type, "UNION") != 0 && strcmp(type, "INTERSECT") != 0 &&
      strcmp(type, "EXCEPT") != 0) {
    *why = "UNION BY NAME is not split yet";
    return SP_OK;
  }
  /* Each side's columns by position: its own names may repeat. */
  if (!(positional = json_array()))
    return sp_error_oom(err);
  for (i = 0; i < ncols; i++) {
    char name[64];
    snprintf(name, sizeof(name), "__sp_c%zu", i);
    if (json_array_append_new(positional, json_string(name))) {
      json_decref(positional);
      return sp_error_oom(err);
    }
  }
  st = plan_block(p, json_object_get(tree, "left"), positional, &side[0],
                  err);
  if (st == SP_OK)
    st = plan_block(p, json_object_get(tree, "right"), positional, &side[1],
                    err);
  json_decref(positional);
  if (st != SP_OK)
    return st;
  parts = sp_stages_partitions(p->s, side[0]);
  if (strcmp(type, "UNION") == 0 && all) {
    /* Partitions paired: both sides need as many (one each, gathered,
     * when they differ). */
    if (parts != sp_stages_partitions(p->s, side[1]) ||
        !sp_stages_plain(p->s, side[0]) || !sp_stages_plain(p->s, side[1]))
      for (k = 0; k < 2 && st == SP_OK; k++)
        if (sp_stages_partitions(p->s, side[k]) > 1)
          st = add(p, SP_STAGE_GATHER, side[k], 1, NULL, NULL, 0, NULL,
                   &side[k], err);
  } else {
    if (!(keys = sp_calloc(ncols + 1, sizeof(*keys))))
      return sp_error_oom(err);
    for (i = 0; i < ncols && st == SP_OK; i++) {
      char name[64];
      snprintf(name, sizeof(name), "__sp_c%zu", i);
      if (!(keys[i] = sp_strdup(name)))
        st = sp_error_oom(err);
    }
    for (k = 0; k < 2 && st == SP_OK; k++) {
      sp_buf_reset(&sql);
      sp_buf_puts(&sql, "SELECT ");
      append_columns(&sql, schema, "__sp_c",
                     sp_stages_schema(p->s, side[k]), 1);
      sp_buf_puts(&sql, " FROM ");
      sp_stages_append_name(p->s, &sql, side[k]);
      st = add(p, SP_STAGE_HASH, side[k], p->partitions, &sql, keys, ncols,
               "rows hashed on every column, so that equal rows meet",
               &side[k], err);
    }
  }
  if (st != SP_OK)
    goto out;
  /* Each partition: the operation over both sides, as typed as before. */
  sp_buf_reset(&sql);
  sp_buf_puts(&sql, "SELECT ");
  for (i = 0; i < ncols; i++) {
    char name[64];
    snprintf(name, sizeof(name), "c%zu", i);
    sp_buf_puts(&sql, i ? ", " : "");
    sp_buf_append_ident(&sql, name);
    sp_buf_puts(&sql, " AS ");
    if (json_array_size(mods))
      sp_buf_appendf(&sql, "\"__sp_c%zu\"", i);
    else
      sp_buf_append_ident(&sql, json_string_value(json_array_get(
                                    json_array_get(schema, i), 0)));
  }
  sp_buf_puts(&sql, " FROM (SELECT * FROM ");
  sp_stages_append_typed(p->s, &sql, side[0], -1);
  sp_buf_appendf(&sql, " AS \"__sp_l\" %s%s SELECT * FROM ", type,
                 all ? " ALL" : "");
  sp_stages_append_typed(p->s, &sql, side[1], -1);
  sp_buf_puts(&sql, " AS \"__sp_r\") AS \"__sp_result\"(");
  for (i = 0; i < ncols; i++)
    sp_buf_appendf(&sql, "%s\"c%zu\"", i ? ", " : "", i);
  sp_buf_putc(&sql, ')');
  if ((st = add(p, SP_STAGE_SQL, side[0], 0, &sql, NULL, 0, NULL, &x, err)))
    goto out;
  *out = x;
  if (!json_array_size(mods))
    goto out;
  /* ORDER BY and LIMIT: on one task, over the result's own names. */
  if ((st = add(p, SP_STAGE_GATHER, x, 1, NULL, NULL, 0, NULL, &x, err)))
    goto out;
  sp_buf_reset(&sql);
  sp_buf_puts(&sql, "SELECT * FROM (SELECT ");
  for (i = 0; i < ncols; i++) {
    sp_buf_appendf(&sql, "%s\"__sp_c%zu\" AS ", i ? ", " : "", i);
    sp_buf_append_ident(&sql, json_string_value(json_array_get(
                                  json_array_get(schema, i), 0)));
  }
  sp_buf_puts(&sql, " FROM ");
  sp_stages_append_typed(p->s, &sql, x, -1);
  sp_buf_puts(&sql, " AS \"__sp_t\") AS \"__sp_result\"");
  if (sp_buf_oom(&sql)) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_tree_parse_select(p->s->con, sql.data, &final, err)) ||
      json_object_set(final, "modifiers", (json_t *)mods) ||
      (st = sp_tree_print(p->s->con, final, &printed, err)))
    goto out;
  sp_buf_reset(&sql);
  sp_buf_puts(&sql, printed);
  {
    sp_stage stage = {.kind = SP_STAGE_SQL, .threads = p->s->host_threads};
    if (sp_stage_read(&stage, x) || !(stage.sql = sp_strdup(sql.data)) ||
        !(stage.note = sp_strdup("one task: the final order (and limit)")))
      st = sp_error_oom(err);
    else
      st = sp_stages_add(p->s, &stage, out, err);
    sp_stage_release(&stage);
  }
out:
  for (i = 0; keys && i < ncols; i++)
    sp_free(keys[i]);
  sp_free(keys);
  json_decref(final);
  sp_free(printed);
  sp_buf_release(&sql);
  return st;
}

/* ------------------------------------------------------------------ */

/* Renames the second and later columns of one name in schema as DuckDB
 * does for a subquery read as a table (a, a_1, a_2), so that the next
 * stage finds each by its name. 0, or -1 when out of memory. */
static int unique_names(json_t *schema)
{
  size_t i, j, seen;

  for (i = 0; i < json_array_size(schema); i++) {
    const char *name =
        json_string_value(json_array_get(json_array_get(schema, i), 0));
    char renamed[512];
    for (j = 0, seen = 0; j < i; j++)
      seen += strcasecmp(json_string_value(json_array_get(
                             json_array_get(schema, j), 0)),
                         name) == 0;
    if (!seen)
      continue;
    snprintf(renamed, sizeof(renamed), "%s_%zu", name, seen);
    if (json_array_set_new(json_array_get(schema, i), 0,
                           json_string(renamed)))
      return -1;
  }
  return 0;
}

/* tree's result: names and types, its names replaced by names (if any),
 * or made unique. */
static sp_status block_schema(planner *p, const json_t *tree,
                              const json_t *names, json_t **schema,
                              sp_error **err)
{
  char *printed = NULL;
  sp_status st;
  size_t i;

  if ((st = sp_tree_print(p->s->con, tree, &printed, err)) == SP_OK)
    st = sp_sql_bind(p->s->con, printed, schema, err);
  sp_free(printed);
  for (i = 0; st == SP_OK && i < json_array_size(names) &&
              i < json_array_size(*schema);
       i++)
    if (json_array_set(json_array_get(*schema, i), 0,
                       json_array_get(names, i)))
      st = sp_error_oom(err);
  if (st == SP_OK && !names && unique_names(*schema))
    st = sp_error_oom(err);
  return st;
}

static sp_status plan_block(planner *p, const json_t *node,
                            const json_t *names, int *out, sp_error **err)
{
  json_t *tree = json_deep_copy(node), *schema = NULL;
  const char *why = NULL;
  int staged = 0, correlated = 0;
  sp_status st = tree ? SP_OK : sp_error_oom(err);

  if (st != SP_OK)
    return st;
  if (strcmp(sp_tree_str(tree, "type"), "SET_OPERATION_NODE") == 0) {
    if ((st = plan_ctes(p, &tree, &why, err)) != SP_OK ||
        (st = block_schema(p, tree, names, &schema, err)) != SP_OK)
      goto out;
    if (!why && (st = plan_setop(p, tree, schema, out, &why, err)) != SP_OK)
      goto out;
    if (!why) {
      p->split++;
      goto out;
    }
  } else if (strcmp(sp_tree_str(tree, "type"), "SELECT_NODE") != 0) {
    why = strcmp(sp_tree_str(tree, "type"), "RECURSIVE_CTE_NODE") == 0
              ? "a recursive CTE runs on one task"
              : "this kind of query is not split yet";
  } else if ((st = plan_ctes(p, &tree, &why, err)) != SP_OK ||
             (!why &&
              ((st = plan_from(p, tree, "from_table", err)) != SP_OK ||
               (st = plan_subqueries(p, tree, &staged, &correlated,
                                     err))))) {
    goto out;
  }
  if (!schema && (st = block_schema(p, tree, names, &schema, err)) != SP_OK)
    goto out;
  /* A correlated subquery stays in the block: its tables are read whole
   * or hashed with the outer ones (sql/sources.c). */
  staged |= correlated;
  if (!why &&
      (st = sp_sql_route(p->s, tree, schema, staged, p->partitions,
                         p->hashed, out, &why, err)) != SP_OK)
    goto out;
  if (why) {
    if (!p->why)
      p->why = why;
    st = sp_sql_single(p->s, tree, schema, why, out, err);
  } else {
    p->split++;
  }
out:
  json_decref(tree);
  json_decref(schema);
  return st;
}

sp_status sp_sql_distribute(sp_stages *s, const json_t *stmt,
                            const json_t *schema, int partitions, int hashed,
                            const char **why, sp_error **err)
{
  planner p = {s, partitions, hashed, 0, NULL};
  json_t *names = json_array(), *c;
  sp_status st = SP_OK;
  size_t i;
  int out;

  *why = NULL;
  if (has_volatile(stmt)) {
    *why = "now(), current_date, random() and the like are evaluated "
           "once, on one task";
    json_decref(names);
    return SP_OK;
  }
  json_array_foreach(schema, i, c)
    if (!names || json_array_append(names, json_array_get(c, 0)))
      st = sp_error_oom(err);
  if (st == SP_OK)
    st = plan_block(&p, json_object_get(stmt, "node"), names, &out, err);
  if (st == SP_OK && !p.split) {
    sp_stages_clear(s);
    *why = p.why;
  }
  json_decref(names);
  return st;
}
