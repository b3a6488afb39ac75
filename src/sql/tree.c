/*
 * tree.c - reading and editing DuckDB's parse trees (see tree.h).
 */
#include "sql/tree.h"

#include <string.h>
#include <strings.h>

#include "sql/parse.h"
#include "util/buf.h"
#include "util/error.h"

const char *sp_tree_str(const json_t *o, const char *key)
{
  const char *s = json_string_value(json_object_get(o, key));

  return s ? s : "";
}

int sp_tree_is(const json_t *e, const char *cls)
{
  return json_is_object(e) && strcmp(sp_tree_str(e, "class"), cls) == 0;
}

int sp_tree_visit(const json_t *j, sp_tree_visitor fn, void *arg)
{
  const char *key;
  json_t *v;
  size_t i;
  int r;

  if (json_is_array(j)) {
    json_array_foreach(j, i, v)
      if (sp_tree_visit(v, fn, arg))
        return -1;
    return 0;
  }
  if (!json_is_object(j))
    return 0;
  if ((r = fn(j, arg)) != 0)
    return r < 0 ? -1 : 0;
  json_object_foreach((json_t *)j, key, v)
    if (sp_tree_visit(v, fn, arg))
      return -1;
  return 0;
}

static int is_class(const json_t *node, void *cls)
{
  return sp_tree_is(node, cls) ? -1 : 0;
}

int sp_tree_has_class(const json_t *j, const char *cls)
{
  return sp_tree_visit(j, is_class, (void *)cls) != 0;
}

static int names_column(const json_t *node, void *name)
{
  const json_t *part;
  size_t i;

  if (!sp_tree_is(node, "COLUMN_REF"))
    return 0;
  json_array_foreach(json_object_get(node, "column_names"), i, part)
    if (json_string_value(part) &&
        strcasecmp(json_string_value(part), name) == 0)
      return -1;
  return 1;
}

int sp_tree_has_column(const json_t *j, const char *name)
{
  return sp_tree_visit(j, names_column, (void *)name) != 0;
}

/* The names of a COLUMN_REF without a leading qualifier equal to alias:
 * *first the index of the first name that counts. */
static const json_t *column_names(const json_t *e, const char *alias,
                                  size_t *first)
{
  const json_t *names = json_object_get(e, "column_names");

  *first = 0;
  if (alias && json_array_size(names) == 2 &&
      strcasecmp(json_string_value(json_array_get(names, 0))
                     ? json_string_value(json_array_get(names, 0))
                     : "",
                 alias) == 0)
    *first = 1;
  return names;
}

const char *sp_tree_column(const json_t *e, const char *alias)
{
  const json_t *names;
  size_t first;

  if (!sp_tree_is(e, "COLUMN_REF"))
    return NULL;
  names = column_names(e, alias, &first);
  if (json_array_size(names) != first + 1)
    return NULL;
  return json_string_value(json_array_get(names, first));
}

static int same_columns(const json_t *a, const json_t *b, const char *alias)
{
  size_t fa, fb, i;
  const json_t *na = column_names(a, alias, &fa);
  const json_t *nb = column_names(b, alias, &fb);

  if (json_array_size(na) - fa != json_array_size(nb) - fb)
    return 0;
  for (i = 0; fa + i < json_array_size(na); i++) {
    const char *x = json_string_value(json_array_get(na, fa + i));
    const char *y = json_string_value(json_array_get(nb, fb + i));
    if (!x || !y || strcasecmp(x, y) != 0)
      return 0;
  }
  return 1;
}

/* 1 for the keys that say where or under which name, not what. */
static int ignored_key(const char *key)
{
  return strcmp(key, "query_location") == 0 || strcmp(key, "alias") == 0;
}

/* 1 if every key of a (but the ignored) has an equal value in b; an
 * absent key is the same as null. */
static int keys_in(const json_t *a, const json_t *b, const char *alias)
{
  const char *key;
  json_t *v;

  json_object_foreach((json_t *)a, key, v) {
    json_t *w = json_object_get(b, key);
    if (ignored_key(key))
      continue;
    if (!w) {
      if (!json_is_null(v))
        return 0;
      continue;
    }
    if (strcmp(key, "function_name") == 0) {
      if (!json_is_string(v) || !json_is_string(w) ||
          strcasecmp(json_string_value(v), json_string_value(w)) != 0)
        return 0;
    } else if (!sp_tree_equal(v, w, alias)) {
      return 0;
    }
  }
  return 1;
}

int sp_tree_equal(const json_t *a, const json_t *b, const char *alias)
{
  size_t i;

  if (json_is_array(a) && json_is_array(b)) {
    if (json_array_size(a) != json_array_size(b))
      return 0;
    for (i = 0; i < json_array_size(a); i++)
      if (!sp_tree_equal(json_array_get(a, i), json_array_get(b, i), alias))
        return 0;
    return 1;
  }
  if (json_is_object(a) && json_is_object(b)) {
    if (sp_tree_is(a, "COLUMN_REF") && sp_tree_is(b, "COLUMN_REF"))
      return same_columns(a, b, alias);
    return keys_in(a, b, alias) && keys_in(b, a, alias);
  }
  return json_equal((json_t *)a, (json_t *)b);
}

json_t *sp_tree_column_ref(const char *name)
{
  return json_pack("{s:s, s:s, s:s, s:[s]}", "class", "COLUMN_REF", "type",
                   "COLUMN_REF", "alias", "", "column_names", name);
}

int sp_tree_map(json_t **e, sp_tree_fn fn, void *arg)
{
  void *it;
  size_t i;
  int r = fn(e, arg);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (json_is_array(*e)) {
    for (i = 0; i < json_array_size(*e); i++) {
      json_t *item = json_incref(json_array_get(*e, i));
      if (sp_tree_map(&item, fn, arg)) {
        json_decref(item);
        return -1;
      }
      if (json_array_set_new(*e, i, item))
        return -1;
    }
  } else if (json_is_object(*e)) {
    for (it = json_object_iter(*e); it; it = json_object_iter_next(*e, it)) {
      json_t *item = json_incref(json_object_iter_value(it));
      if (sp_tree_map(&item, fn, arg)) {
        json_decref(item);
        return -1;
      }
      if (json_object_iter_set_new(*e, it, item))
        return -1;
    }
  }
  return 0;
}

int sp_tree_replace(json_t **e, const json_t *with)
{
  json_t *copy = json_deep_copy(with);
  json_t *alias = json_object_get(*e, "alias");

  /* The replaced node's name stays: SELECT x AS y keeps y. */
  if (!copy || (json_string_length(alias) &&
                json_object_set(copy, "alias", alias))) {
    json_decref(copy);
    return -1;
  }
  json_decref(*e);
  *e = copy;
  return 0;
}

typedef struct substitution {
  const json_t *from; /* expressions ... */
  const json_t *to;   /* ... and what each becomes */
  const char *alias;
} substitution;

static int substitute_one(json_t **e, void *arg)
{
  const substitution *sub = arg;
  const json_t *f;
  size_t i;

  if (sp_tree_is(*e, "SUBQUERY"))
    return 1; /* its names are its own */
  json_array_foreach(sub->from, i, f)
    if (sp_tree_equal(f, *e, sub->alias))
      return sp_tree_replace(e, json_array_get(sub->to, i)) ? -1 : 1;
  return 0;
}

int sp_tree_substitute(json_t **e, const json_t *from, const json_t *to,
                       const char *alias)
{
  substitution sub = {from, to, alias};

  return sp_tree_map(e, substitute_one, &sub);
}

sp_status sp_tree_print(duckdb_connection con, const json_t *node,
                        char **text, sp_error **err)
{
  json_t *stmt = json_pack("{s:O}", "node", (json_t *)node);
  sp_status st;

  if (!stmt)
    return sp_error_oom(err);
  st = sp_sql_print(con, stmt, text, err);
  json_decref(stmt);
  return st;
}

sp_status sp_tree_parse_select(duckdb_connection con, const char *text,
                               json_t **node, sp_error **err)
{
  json_t *stmt = NULL;
  sp_status st;

  *node = NULL;
  if ((st = sp_sql_parse(con, text, &stmt, err)) != SP_OK)
    return st;
  *node = json_incref(json_object_get(stmt, "node"));
  json_decref(stmt);
  if (strcmp(sp_tree_str(*node, "type"), "SELECT_NODE") != 0) {
    json_decref(*node);
    *node = NULL;
    return sp_error_set(err, SP_EINTERNAL, "not a SELECT: %s", text);
  }
  return SP_OK;
}

sp_status sp_tree_parse_items(duckdb_connection con, const char *items,
                              json_t **list, sp_error **err)
{
  sp_buf b = SP_BUF_INIT;
  json_t *node = NULL;
  sp_status st;

  *list = NULL;
  sp_buf_puts(&b, "SELECT ");
  sp_buf_puts(&b, items);
  st = sp_buf_oom(&b) ? sp_error_oom(err)
                      : sp_tree_parse_select(con, b.data, &node, err);
  if (st == SP_OK)
    *list = json_incref(json_object_get(node, "select_list"));
  json_decref(node);
  sp_buf_release(&b);
  return st;
}
