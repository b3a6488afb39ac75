/*
 * plan.c - a query planned into stages (see plan.h).
 *
 * What is split so far: nothing. Every query runs as one stage on one
 * task over all of its inputs (each registered table's partitions
 * gathered, files named inline read whole), with the threads of a whole
 * host: the always-correct plan that the distributed stages of
 * research/distributed-sql.md (c.1, c.7) replace shape by shape.
 */
#include "sql/plan.h"

#include <ctype.h>
#include <string.h>

#include "exec/duck.h"
#include "exec/input.h"
#include "plan/template.h"
#include "sql/parse.h"
#include "util/alloc.h"
#include "util/error.h"

#define RESULT_ALIAS "__sp_result"

/* Creates (sql "CREATE") or drops ("DROP") the views the binder reads:
 * each input under its registered name and under its placeholder. */
static sp_status input_views(duckdb_connection con, const sp_sql_refs *refs,
                             const sp_sql_input *inputs, int create,
                             sp_error **err)
{
  sp_buf sql = SP_BUF_INIT, place = SP_BUF_INIT;
  sp_status st = SP_OK;
  size_t k;
  int twice;

  for (k = 0; k < refs->nused && st == SP_OK; k++)
    for (twice = 0; twice < 2 && st == SP_OK; twice++) {
      sp_buf_reset(&sql);
      sp_buf_reset(&place);
      if (twice)
        sp_buf_appendf(&place, "%s%zu", refs->tag, k);
      else
        sp_buf_puts(&place, inputs[k].name);
      sp_buf_puts(&sql, create ? "CREATE TEMP VIEW " : "DROP VIEW IF EXISTS ");
      sp_buf_append_ident(&sql, place.data);
      if (create) {
        sp_buf_puts(&sql, " AS\n");
        if ((st = sp_input_select(&sql, inputs[k].files, err)) != SP_OK)
          break;
      }
      st = sp_buf_oom(&sql) ? sp_error_oom(err)
                            : sp_duck_exec(con, sql.data, err);
    }
  sp_buf_release(&sql);
  sp_buf_release(&place);
  return st;
}

/* Binds text: *schema gets [[name, type], ...] of its result. */
static sp_status bind(duckdb_connection con, const char *text,
                      json_t **schema, sp_error **err)
{
  duckdb_prepared_statement prep = NULL;
  sp_buf type = SP_BUF_INIT;
  sp_status st = SP_OK;
  idx_t i, n;

  if (!(*schema = json_array()))
    return sp_error_oom(err);
  if (duckdb_prepare(con, text, &prep) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_prepare_error(prep));
    goto out;
  }
  n = duckdb_prepared_statement_column_count(prep);
  for (i = 0; i < n && st == SP_OK; i++) {
    duckdb_logical_type t =
        duckdb_prepared_statement_column_logical_type(prep, i);
    const char *name = duckdb_prepared_statement_column_name(prep, i);
    sp_buf_reset(&type);
    if (sp_duck_type_sql(t, &type) != 0)
      st = sp_error_set(err, SP_EINVAL, "result column %s has a type SQL "
                        "cannot spell", name ? name : "?");
    else if (!name || sp_buf_oom(&type) ||
             json_array_append_new(*schema,
                                   json_pack("[s, s]", name, type.data)))
      st = sp_error_oom(err);
    duckdb_free((void *)name);
    duckdb_destroy_logical_type(&t);
  }
out:
  duckdb_destroy_prepare(&prep);
  sp_buf_release(&type);
  if (st != SP_OK) {
    json_decref(*schema);
    *schema = NULL;
  }
  return st;
}

/* Appends printed, a query over the placeholders <tag><k>, as a template
 * over {k}: its braces doubled, each placeholder (quoted or not) {k}. */
static void append_template(sp_buf *b, const char *printed, const char *tag)
{
  size_t taglen = strlen(tag);
  const char *p = printed;

  while (*p) {
    int quoted = p[0] == '"' && strncmp(p + 1, tag, taglen) == 0;
    const char *at = p + quoted;
    if (strncmp(at, tag, taglen) == 0 &&
        isdigit((unsigned char)at[taglen])) {
      const char *end = at + taglen;
      while (isdigit((unsigned char)*end))
        end++;
      if (!quoted || *end == '"') {
        sp_buf_appendf(b, "{%.*s}", (int)(end - at - taglen), at + taglen);
        p = end + quoted;
        continue;
      }
    }
    if (*p == '{' || *p == '}')
      sp_buf_putc(b, *p);
    sp_buf_putc(b, *p++);
  }
}

/* The one-stage query: the printed statement, its columns renamed by
 * position to the names DuckDB gives the user's own text. */
static sp_status stage_sql(duckdb_connection con, const json_t *stmt,
                           const sp_sql_refs *refs, const json_t *schema,
                           sp_buf *out, sp_error **err)
{
  char *printed = NULL;
  sp_status st;
  size_t i;
  json_t *c;

  if ((st = sp_sql_print(con, stmt, &printed, err)) != SP_OK)
    return st;
  sp_buf_puts(out, "SELECT ");
  json_array_foreach(schema, i, c) {
    sp_buf_appendf(out, "%s\"c%zu\" AS ", i ? ", " : "", i);
    sp_buf_append_ident(out, json_string_value(json_array_get(c, 0)));
  }
  sp_buf_puts(out, "\nFROM (\n");
  append_template(out, printed, refs->tag);
  sp_buf_puts(out, "\n) AS \"" RESULT_ALIAS "\"(");
  json_array_foreach(schema, i, c)
    sp_buf_appendf(out, "%s\"c%zu\"", i ? ", " : "", i);
  sp_buf_putc(out, ')');
  sp_free(printed);
  return sp_buf_oom(out) ? sp_error_oom(err) : SP_OK;
}

/* Describes the plan for sp_explain. */
static void describe(sp_buf *b, const sp_sql_refs *refs,
                     const sp_sql_input *inputs, const char *sql)
{
  size_t k;

  sp_buf_puts(b, "stage 1: 1 task, single\n  reads:");
  if (!refs->nused)
    sp_buf_puts(b, " only files named in the query, whole");
  for (k = 0; k < refs->nused; k++)
    sp_buf_appendf(b, "%s %s ({%zu}, %d partition%s gathered)",
                   k ? "," : "", inputs[k].name, k,
                   inputs[k].node->npartitions,
                   inputs[k].node->npartitions == 1 ? "" : "s");
  sp_buf_puts(b, "\n  output: single (1 partition)\n"
                 "  single because: the distributed planner splits no "
                 "query shape yet; the query runs whole on one task with "
                 "the threads of a host\n  sql:\n    ");
  for (; *sql; sql++) {
    sp_buf_putc(b, *sql);
    if (*sql == '\n')
      sp_buf_puts(b, "    ");
  }
  sp_buf_putc(b, '\n');
}

sp_status sp_sql_plan(duckdb_connection con, sp_plan *plan, const char *text,
                      const json_t *stmt, const sp_sql_refs *refs,
                      const sp_sql_input *inputs, int threads,
                      sp_sql_planned *out, sp_error **err)
{
  sp_node_options whole = {.task_threads = threads};
  sp_split_spec gather = {.kind = SP_SPLIT_FILES};
  sp_buf sql = SP_BUF_INIT, explain = SP_BUF_INIT;
  sp_node **in = NULL;
  sp_status st;
  size_t k;

  memset(out, 0, sizeof(*out));
  if ((st = input_views(con, refs, inputs, 1, err)) == SP_OK)
    st = bind(con, text, &out->schema, err);
  input_views(con, refs, inputs, 0, NULL);
  if (st != SP_OK)
    goto out;
  if ((st = stage_sql(con, stmt, refs, out->schema, &sql, err)) != SP_OK)
    goto out;
  if (refs->nused && !(in = sp_calloc(refs->nused, sizeof(*in)))) {
    st = sp_error_oom(err);
    goto out;
  }
  for (k = 0; k < refs->nused && st == SP_OK; k++) {
    in[k] = inputs[k].node;
    if (in[k]->npartitions != 1)
      st = sp_plan_add_repartition(plan, inputs[k].node, 1, &gather, NULL,
                                   &in[k], err);
  }
  if (st == SP_OK)
    st = sp_plan_add_sql(plan, sql.data, in, refs->nused, &whole, &out->node,
                         err);
  if (st != SP_OK)
    goto out;
  describe(&explain, refs, inputs, sql.data);
  if (!(out->explain = sp_buf_detach(&explain)))
    st = sp_error_oom(err);
out:
  sp_free(in);
  sp_buf_release(&sql);
  sp_buf_release(&explain);
  if (st != SP_OK)
    sp_sql_planned_release(out);
  return st;
}

void sp_sql_planned_release(sp_sql_planned *p)
{
  json_decref(p->schema);
  sp_free(p->explain);
  memset(p, 0, sizeof(*p));
}
