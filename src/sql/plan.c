/*
 * plan.c - a query planned into stages (see plan.h).
 *
 * The distributed planner (sql/distribute.h) cuts the query into stages
 * when it knows the shape; each stage binds in the driver as it is made,
 * and the last one must give the query's exact names and types. If it
 * does not (a rewrite DuckDB would type differently), the rows are hashed
 * on the group keys instead of split into partials; if that fails too,
 * or the shape is one the planner does not split, the query runs as one
 * stage on one task over all of its inputs (each registered table's
 * partitions gathered, files named inline read whole), with the threads
 * of a host: always correct, and the explain output says why.
 */
#include "sql/plan.h"

#include <string.h>
#include <strings.h>

#include "duck/duck.h"
#include "duck/input.h"
#include "sql/aggregate.h"
#include "sql/blocks.h"
#include "sql/distribute.h"
#include "sql/parse.h"
#include "sql/stage.h"
#include "util/alloc.h"
#include "util/error.h"

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

/* The schemas of the tables, for the distributed planner. */
static sp_status read_catalog(sp_stages *s, sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  sp_status st = SP_OK;
  size_t k;

  if (s->refs->nused &&
      !(s->table_schemas = sp_calloc(s->refs->nused, sizeof(json_t *))))
    return sp_error_oom(err);
  for (k = 0; k < s->refs->nused && st == SP_OK; k++) {
    sp_buf_reset(&sql);
    sp_buf_puts(&sql, "SELECT * FROM ");
    sp_stages_append_name(s, &sql, (int)k);
    st = sp_buf_oom(&sql)
             ? sp_error_oom(err)
             : sp_sql_bind(s->con, sql.data, &s->table_schemas[k], err);
  }
  sp_buf_release(&sql);
  return st;
}

static void stages_release(sp_stages *s)
{
  size_t k;

  sp_stages_clear(s);
  sp_free(s->list);
  for (k = 0; s->table_schemas && k < s->refs->nused; k++)
    json_decref(s->table_schemas[k]);
  sp_free(s->table_schemas);
  json_decref(s->aggregates);
}

/* 1 if the query or a table names something as the planner names its own
 * columns (__sp_...): a stage could read the user's for its own. */
static int names_collide(const sp_stages *s, const char *text)
{
  const json_t *c;
  size_t k, i;

  for (; *text; text++)
    if (strncasecmp(text, "__sp_", 5) == 0)
      return 1;
  for (k = 0; k < s->refs->nused; k++)
    json_array_foreach(s->table_schemas[k], i, c)
      if (strncasecmp(json_string_value(json_array_get(c, 0)), "__sp_", 5) ==
          0)
        return 1;
  return 0;
}

/* 1 if the last stage gives exactly schema. */
static int gives(const sp_stages *s, const json_t *schema)
{
  return s->len > 0 &&
         json_equal(s->list[s->len - 1].schema, (json_t *)schema);
}

/* Tries the distributed plan: SP_OK with s->len > 0 when it holds, with
 * s empty and why saying why when it does not. Errors are only for what
 * no plan survives (out of memory). */
static sp_status try_distribute(sp_stages *s, const json_t *stmt,
                                const json_t *schema,
                                const sp_sql_setup *setup, sp_buf *why,
                                sp_error **err)
{
  const char *reason = NULL;
  sp_error *soft = NULL;
  sp_status st;
  int hashed;

  for (hashed = 0; hashed < 2; hashed++) {
    st = sp_sql_distribute(s, stmt, schema, setup->partitions, hashed,
                           &reason, &soft);
    if (st == SP_OK && (reason || gives(s, schema)))
      break;
    sp_stages_clear(s);
    if (st == SP_ENOMEM || st == SP_EINTERNAL) {
      if (err && !*err) {
        *err = soft;
        soft = NULL;
      }
      sp_error_free(&soft);
      return st;
    }
    /* A rewrite DuckDB does not take, or types differently: the next. */
    sp_buf_reset(why);
    if (st == SP_OK)
      sp_buf_puts(why, "the distributed stages do not give DuckDB's exact "
                       "result types");
    else
      sp_buf_appendf(why, "the distributed stages do not bind (%s)",
                     sp_error_message(soft));
    sp_error_free(&soft);
  }
  if (reason) {
    /* Why the split plan failed first says more than why the hashed one
     * does not apply. */
    if (!hashed || !why->len || !strstr(why->data, "distributed stages"))
      sp_buf_reset(why);
    else
      sp_buf_puts(why, "; then: ");
    sp_buf_puts(why, reason);
  }
  if (s->len == 0 || reason)
    sp_stages_clear(s);
  return sp_buf_oom(why) ? sp_error_oom(err) : SP_OK;
}

/* The stages whose guessed sizes decided the plan, with their nodes. */
static sp_status collect_guesses(const sp_stages *s, sp_node **nodes,
                                 sp_sql_planned *out, sp_error **err)
{
  size_t k, n = 0;

  for (k = 0; k < s->len; k++)
    n += s->list[k].guessed && !s->list[k].measured;
  if (!n)
    return SP_OK;
  if (!(out->guesses = sp_calloc(n, sizeof(*out->guesses))))
    return sp_error_oom(err);
  for (k = 0; k < s->len; k++)
    if (s->list[k].guessed && !s->list[k].measured) {
      out->guesses[out->nguesses].key = s->list[k].key;
      out->guesses[out->nguesses++].node = nodes[k];
    }
  return SP_OK;
}

sp_status sp_sql_plan(duckdb_connection con, sp_plan *plan, const char *text,
                      const json_t *stmt, const sp_sql_refs *refs,
                      const sp_sql_input *inputs, const sp_sql_setup *setup,
                      sp_sql_planned *out, sp_error **err)
{
  sp_stages s = {.con = con, .refs = refs, .inputs = inputs,
                 .host_threads = setup->threads,
                 .broadcast_bytes = setup->broadcast_bytes,
                 .broadcast_auto = setup->broadcast_auto,
                 .partition_bytes = setup->partition_bytes,
                 .aggregates = json_incref((json_t *)setup->functions),
                 .sizes = setup->sizes,
                 .nsizes = setup->nsizes};
  sp_buf explain = SP_BUF_INIT, why = SP_BUF_INIT;
  sp_node **nodes = NULL;
  sp_status st;
  int last;

  memset(out, 0, sizeof(*out));
  if ((st = input_views(con, refs, inputs, 1, err)) != SP_OK ||
      (st = sp_sql_bind(con, text, &out->schema, err)) != SP_OK ||
      (st = read_catalog(&s, err)) != SP_OK)
    goto out;
  sp_buf_puts(&why, setup->small
                        ? "the inputs are small enough for one task (under "
                          "one partition's worth by default; set the "
                          "partitions to split them)"
                        : "the whole query was asked for on one task");
  if (setup->mode != SP_SQL_SINGLE && !setup->small &&
      names_collide(&s, text)) {
    sp_buf_reset(&why);
    sp_buf_puts(&why, "the query or a table names something __sp_..., as "
                      "the planner names its own columns");
  } else if (setup->mode != SP_SQL_SINGLE && !setup->small &&
             (st = try_distribute(&s, stmt, out->schema, setup, &why, err)))
    goto out;
  if (s.len == 0 && setup->mode == SP_SQL_SPLIT) {
    st = sp_error_set(err, SP_EPLAN, "the query is not split: %s", why.data);
    goto out;
  }
  if (s.len == 0 &&
      (st = sp_sql_single(&s, json_object_get(stmt, "node"), out->schema,
                          why.data, &last, err)) != SP_OK)
    goto out;
  if (s.len && !(nodes = sp_calloc(s.len, sizeof(*nodes)))) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_stages_emit(&s, plan, &out->node, nodes, err)) != SP_OK ||
      (st = collect_guesses(&s, nodes, out, err)) != SP_OK)
    goto out;
  sp_stages_explain(&s, &explain);
  if (!(out->explain = sp_buf_detach(&explain)))
    st = sp_error_oom(err);
out:
  sp_free(nodes);
  stages_release(&s);
  input_views(con, refs, inputs, 0, NULL);
  sp_buf_release(&explain);
  sp_buf_release(&why);
  if (st != SP_OK)
    sp_sql_planned_release(out);
  return st;
}

void sp_sql_planned_release(sp_sql_planned *p)
{
  json_decref(p->schema);
  sp_free(p->explain);
  sp_free(p->guesses);
  memset(p, 0, sizeof(*p));
}
