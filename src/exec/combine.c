/*
 * combine.c - a combiner for an aggregate over a hash repartition (see
 * combine.h).
 *
 * DESIGN. DuckDB parses the query (json_serialize_sql) into its syntax
 * tree as JSON, which is checked against one shape: a single SELECT from
 * the input, no CTE, DISTINCT, HAVING, QUALIFY, window or ORDER/LIMIT,
 * grouped by plain columns that include every hash key, selecting those
 * columns and count(*), count, sum, min or max of any row expression,
 * each aggregate named with AS. The partial query is the same tree with
 * the select list replaced by the group columns and the aggregates under
 * names of our own, turned back into SQL by DuckDB (json_deserialize_sql)
 * and bound over the input's schema: it must bind, and its results must
 * be of types Parquet keeps (a HUGEINT sum travels as DECIMAL(38,0)),
 * since they cross the shuffle as Parquet. The final query is built here
 * from quoted names only. No subquery (it would see one producer's rows),
 * no column aliases on the input. Anything else gets no combiner: the
 * plan stays as the user wrote it.
 */
#include "exec/combine.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec/duck.h"
#include "plan/template.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* The input's name while the query is parsed; {0} again afterwards. */
#define INPUT_NAME "__sp_combine_input"

typedef enum { AGG_COUNT, AGG_SUM, AGG_MIN, AGG_MAX } agg_kind;

static const char *str_of(const json_t *o, const char *key)
{
  const char *s = json_string_value(json_object_get(o, key));

  return s ? s : "";
}

/* The one column a COLUMN_REF names, or NULL for anything else. */
static const char *column_of(const json_t *e)
{
  const json_t *names = json_object_get(e, "column_names");

  if (strcmp(str_of(e, "class"), "COLUMN_REF") != 0 ||
      json_array_size(names) != 1)
    return NULL;
  return json_string_value(json_array_get(names, 0));
}

/* 1 when e is an aggregate the combiner can split, and its kind. */
static int aggregate_of(const json_t *e, agg_kind *kind)
{
  const char *fn = str_of(e, "function_name");
  size_t nargs = json_array_size(json_object_get(e, "children"));

  if (strcmp(str_of(e, "class"), "FUNCTION") != 0 || *str_of(e, "schema") ||
      *str_of(e, "catalog") || json_is_true(json_object_get(e, "distinct")) ||
      json_is_true(json_object_get(e, "export_state")) ||
      !json_is_null(json_object_get(e, "filter")) ||
      json_array_size(json_object_get(
          json_object_get(e, "order_bys"), "orders")) != 0 ||
      !*str_of(e, "alias"))
    return 0;
  if (strcmp(fn, "count_star") == 0 && nargs == 0)
    *kind = AGG_COUNT;
  else if (strcmp(fn, "count") == 0 && nargs == 1)
    *kind = AGG_COUNT;
  else if (strcmp(fn, "sum") == 0 && nargs == 1)
    *kind = AGG_SUM;
  else if (strcmp(fn, "min") == 0 && nargs == 1)
    *kind = AGG_MIN;
  else if (strcmp(fn, "max") == 0 && nargs == 1)
    *kind = AGG_MAX;
  else
    return 0;
  return 1;
}

/* 1 when j holds an expression of class cls anywhere below it. */
static int has_class(const json_t *j, const char *cls)
{
  const char *key;
  json_t *v;
  size_t i;

  if (json_is_array(j)) {
    json_array_foreach(j, i, v)
      if (has_class(v, cls))
        return 1;
  } else if (json_is_object(j)) {
    if (strcmp(str_of(j, "class"), cls) == 0)
      return 1;
    json_object_foreach((json_t *)j, key, v)
      if (has_class(v, cls))
        return 1;
  }
  return 0;
}

/* 1 when name is among the group columns. */
static int grouped(const json_t *groups, const char *name)
{
  size_t i;

  for (i = 0; i < json_array_size(groups); i++)
    if (strcasecmp(column_of(json_array_get(groups, i)), name) == 0)
      return 1;
  return 0;
}

/* The SELECT node of a statement list of the shape described above, or
 * NULL. */
static json_t *select_node(json_t *ast, char *const *keys, size_t nkeys)
{
  json_t *stmts = json_object_get(ast, "statements");
  json_t *node = json_object_get(json_array_get(stmts, 0), "node");
  json_t *from = json_object_get(node, "from_table");
  json_t *groups = json_object_get(node, "group_expressions");
  json_t *sets = json_object_get(node, "group_sets");
  size_t i;

  if (json_is_true(json_object_get(ast, "error")) ||
      json_array_size(stmts) != 1 ||
      strcmp(str_of(node, "type"), "SELECT_NODE") != 0 ||
      json_array_size(json_object_get(node, "modifiers")) != 0 ||
      json_array_size(json_object_get(json_object_get(node, "cte_map"),
                                      "map")) != 0 ||
      strcmp(str_of(from, "type"), "BASE_TABLE") != 0 ||
      strcmp(str_of(from, "table_name"), INPUT_NAME) != 0 ||
      *str_of(from, "schema_name") || *str_of(from, "catalog_name") ||
      json_array_size(json_object_get(from, "column_name_alias")) != 0 ||
      !json_is_null(json_object_get(from, "sample")) ||
      !json_is_null(json_object_get(node, "having")) ||
      !json_is_null(json_object_get(node, "qualify")) ||
      !json_is_null(json_object_get(node, "sample")) ||
      strcmp(str_of(node, "aggregate_handling"), "STANDARD_HANDLING") != 0 ||
      json_array_size(groups) == 0 || json_array_size(sets) != 1 ||
      json_array_size(json_array_get(sets, 0)) != json_array_size(groups))
    return NULL;
  for (i = 0; i < json_array_size(groups); i++)
    if (!column_of(json_array_get(groups, i)))
      return NULL;
  /* A subquery would see one producer's rows, not the partition's. */
  if (has_class(json_object_get(node, "where_clause"), "SUBQUERY") ||
      has_class(json_object_get(node, "select_list"), "SUBQUERY"))
    return NULL;
  /* Rows of one group must meet in one partition. */
  for (i = 0; i < nkeys; i++)
    if (!grouped(groups, keys[i]))
      return NULL;
  return node;
}

/* Appends name quoted, as template text: braces doubled. 1 when out of
 * memory. */
static int append_ident(sp_buf *b, const char *name)
{
  sp_buf q = SP_BUF_INIT;
  int oom;
  size_t i;

  sp_buf_append_ident(&q, name);
  oom = sp_buf_oom(&q);
  for (i = 0; !oom && i < q.len; i++) {
    if (q.data[i] == '{' || q.data[i] == '}')
      sp_buf_putc(b, q.data[i]);
    sp_buf_putc(b, q.data[i]);
  }
  sp_buf_release(&q);
  return oom;
}

/* The final query: per item of the original select list, the group
 * column or the aggregate of the partial results, under its name. */
static sp_status build_final(const json_t *items, const json_t *groups,
                             const unsigned char *wide, sp_buf *b)
{
  static const char *const outer[] = {"sum", "sum", "min", "max"};
  int oom = 0;
  size_t i;

  sp_buf_puts(b, "SELECT ");
  for (i = 0; i < json_array_size(items); i++) {
    const json_t *e = json_array_get(items, i);
    const char *col = column_of(e), *alias = str_of(e, "alias");
    agg_kind kind;
    char part[32];
    sp_buf_puts(b, i ? ", " : "");
    if (col) {
      oom |= append_ident(b, col);
    } else {
      aggregate_of(e, &kind);
      snprintf(part, sizeof(part), "__sp_part%zu", i);
      sp_buf_appendf(b, "%s(", outer[kind]);
      oom |= append_ident(b, part);
      /* A sum of counts is HUGEINT; a count is BIGINT. A HUGEINT partial
       * travelled as DECIMAL(38,0). */
      sp_buf_puts(b, kind == AGG_COUNT ? ")::BIGINT"
                     : wide[i]         ? ")::HUGEINT"
                                       : ")");
    }
    /* Unnamed, a column keeps the name DuckDB gives it, as written in
     * the input, not in the query. */
    if (*alias) {
      sp_buf_puts(b, " AS ");
      oom |= append_ident(b, alias);
    }
  }
  /* Every group column, selected or not: groups must not merge. */
  sp_buf_puts(b, " FROM {0} GROUP BY ");
  for (i = 0; i < json_array_size(groups); i++) {
    sp_buf_puts(b, i ? ", " : "");
    oom |= append_ident(b, column_of(json_array_get(groups, i)));
  }
  return oom || sp_buf_oom(b) ? SP_ENOMEM : SP_OK;
}

/* Makes node the partial query: the group columns, then each aggregate of
 * the select list named __sp_part<i>. 0 when an item does not fit. */
static int make_partial(json_t *node, const json_t *groups, json_t **items)
{
  json_t *list = json_array();
  size_t i;

  *items = json_incref(json_object_get(node, "select_list"));
  if (!list)
    return 0;
  for (i = 0; i < json_array_size(groups); i++)
    if (json_array_append(list, json_array_get(groups, i)))
      goto fail;
  for (i = 0; i < json_array_size(*items); i++) {
    json_t *e = json_array_get(*items, i), *copy;
    const char *col = column_of(e);
    agg_kind kind;
    char part[32];
    if (col) {
      if (!grouped(groups, col))
        goto fail;
      continue;
    }
    if (!aggregate_of(e, &kind) || !(copy = json_deep_copy(e)))
      goto fail;
    snprintf(part, sizeof(part), "__sp_part%zu", i);
    if (json_object_set_new(copy, "alias", json_string(part)) ||
        json_array_append_new(list, copy))
      goto fail;
  }
  return json_object_set_new(node, "select_list", list) == 0;

fail:
  json_decref(list);
  return 0;
}

/* 1 when Parquet keeps values of type t as they are (the partial
 * results travel in a shuffle's Parquet files). */
static int parquet_exact(duckdb_type t)
{
  switch (t) {
  case DUCKDB_TYPE_BOOLEAN: case DUCKDB_TYPE_TINYINT:
  case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER:
  case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UTINYINT:
  case DUCKDB_TYPE_USMALLINT: case DUCKDB_TYPE_UINTEGER:
  case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE:
  case DUCKDB_TYPE_DECIMAL: case DUCKDB_TYPE_VARCHAR: case DUCKDB_TYPE_BLOB:
  case DUCKDB_TYPE_DATE: case DUCKDB_TYPE_TIMESTAMP:
    return 1;
  default:
    return 0;
  }
}

/* Binds the partial query (sql) over the input (input_sql) and checks the
 * type of each partial result: one Parquet keeps, or HUGEINT (a sum of
 * integers), which travels as DECIMAL(38,0): wide[i] set. 0 when it does
 * not bind (it names a select-list alias, say) or a type would change. */
static int check_partial(duckdb_connection con, const char *input_sql,
                         const char *sql, size_t nitems, unsigned char *wide)
{
  duckdb_prepared_statement prep = NULL;
  sp_buf view = SP_BUF_INIT;
  sp_error *ignored = NULL;
  int ok = 0;
  idx_t c;

  sp_buf_puts(&view, "CREATE OR REPLACE TEMP VIEW \"" INPUT_NAME "\" AS ");
  sp_buf_puts(&view, input_sql);
  if (sp_buf_oom(&view) || sp_duck_exec(con, view.data, &ignored) != SP_OK ||
      duckdb_prepare(con, sql, &prep) == DuckDBError)
    goto out;
  for (c = 0; c < duckdb_prepared_statement_column_count(prep); c++) {
    char *name = (char *)duckdb_prepared_statement_column_name(prep, c);
    duckdb_type t = duckdb_prepared_statement_column_type(prep, c);
    size_t i = nitems;
    int part = name && strncmp(name, "__sp_part", 9) == 0;
    if (part)
      i = (size_t)strtoul(name + 9, NULL, 10);
    duckdb_free(name); /* the caller's copy */
    if (!part)
      continue; /* a group column: as the input has it */
    if (i >= nitems || (!parquet_exact(t) && t != DUCKDB_TYPE_HUGEINT))
      goto out;
    wide[i] = t == DUCKDB_TYPE_HUGEINT;
  }
  ok = 1;
out:
  duckdb_destroy_prepare(&prep);
  sp_error_free(&ignored);
  sp_buf_release(&view);
  return ok;
}

/* The partial query with its HUGEINT results as DECIMAL(38,0). */
static void narrow(const char *sql, const unsigned char *wide, size_t n,
                   sp_buf *b)
{
  char part[32];
  size_t i, k = 0;

  for (i = 0; i < n; i++)
    if (wide[i]) {
      snprintf(part, sizeof(part), "__sp_part%zu", i);
      sp_buf_puts(b, k++ ? ", " : "SELECT * REPLACE (");
      sp_buf_puts(b, "CAST(");
      sp_buf_append_ident(b, part);
      sp_buf_puts(b, " AS DECIMAL(38, 0)) AS ");
      sp_buf_append_ident(b, part);
    }
  if (k)
    sp_buf_puts(b, ") FROM (");
  sp_buf_puts(b, sql);
  if (k)
    sp_buf_puts(b, ")");
}

/* Appends SQL text as a template over {0}: braces doubled, the input's
 * parse-time name replaced by {0}. */
static void as_template(const char *sql, sp_buf *b)
{
  size_t n = strlen(INPUT_NAME);
  const char *p;

  for (p = sql; *p; p++) {
    if (p[0] == '"' && strncmp(p + 1, INPUT_NAME, n) == 0 && p[n + 1] == '"') {
      sp_buf_puts(b, "{0}");
      p += n + 1;
    } else if (strncmp(p, INPUT_NAME, n) == 0) {
      sp_buf_puts(b, "{0}");
      p += n - 1;
    } else if (*p == '{' || *p == '}') {
      sp_buf_putc(b, *p);
      sp_buf_putc(b, *p);
    } else {
      sp_buf_putc(b, *p);
    }
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

sp_status sp_combine_split(const char *query, const char *input_sql,
                           char *const *keys, size_t nkeys, char **partial,
                           char **final, sp_error **err)
{
  duckdb_database db = NULL;
  duckdb_connection con = NULL;
  char *sql = NULL, *text = NULL, *back = NULL, *dumped = NULL;
  json_t *ast = NULL, *node, *items = NULL;
  sp_buf p = SP_BUF_INIT, f = SP_BUF_INIT, n = SP_BUF_INIT;
  unsigned char *wide = NULL;
  sp_error *ignored = NULL;
  sp_status st = SP_OK;
  size_t nitems;

  *partial = *final = NULL;
  if (!input_sql)
    return SP_OK;
  expand_plain(query, &sql);
  if (!sql)
    return SP_OK;
  if ((st = sp_duck_open_connected(&db, &con, err)) != SP_OK)
    goto out;
  /* A query DuckDB cannot parse is left for the task to report. */
  if (sp_duck_query_text(con, "SELECT json_serialize_sql($1::VARCHAR)", sql,
                         &text, &ignored) != SP_OK || !text ||
      !(ast = json_loads(text, 0, NULL)) ||
      !(node = select_node(ast, keys, nkeys)) ||
      !make_partial(node, json_object_get(node, "group_expressions"),
                    &items))
    goto out;
  if (!(dumped = json_dumps(ast, JSON_COMPACT))) {
    st = sp_error_oom(err);
    goto out;
  }
  if (sp_duck_query_text(con, "SELECT json_deserialize_sql($1::JSON)", dumped,
                         &back, &ignored) != SP_OK || !back)
    goto out;
  nitems = json_array_size(items);
  if (!(wide = sp_calloc(nitems + 1, 1))) {
    st = sp_error_oom(err);
    goto out;
  }
  if (!check_partial(con, input_sql, back, nitems, wide))
    goto out;
  narrow(back, wide, nitems, &n);
  if (sp_buf_oom(&n)) {
    st = sp_error_oom(err);
    goto out;
  }
  as_template(n.data, &p);
  if (build_final(items, json_object_get(node, "group_expressions"), wide,
                  &f) != SP_OK ||
      sp_buf_oom(&p)) {
    st = sp_error_oom(err);
    goto out;
  }
  *partial = sp_buf_detach(&p);
  *final = sp_buf_detach(&f);
  if (!*partial || !*final) {
    sp_free(*partial);
    sp_free(*final);
    *partial = *final = NULL;
    st = sp_error_oom(err);
  }
out:
  sp_error_free(&ignored);
  json_decref(items);
  json_decref(ast);
  free(dumped); /* from jansson */
  sp_free(text);
  sp_free(back);
  sp_free(sql);
  sp_buf_release(&p);
  sp_buf_release(&f);
  sp_buf_release(&n);
  sp_free(wide);
  sp_duck_close(&db, &con);
  return st;
}
