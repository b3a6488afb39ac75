/*
 * task_sql.c - a partial_sql task: the node's query over the partition's
 * views, its result written to one Parquet file.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "duck/duck.h"
#include "exec/task.h"
#include "plan/template.h"
#include "util/error.h"

#define RESULT_VIEW "\"__sp_result\""

static const char *statement_name(duckdb_statement_type type)
{
  switch (type) {
  case DUCKDB_STATEMENT_TYPE_INSERT: return "an INSERT";
  case DUCKDB_STATEMENT_TYPE_UPDATE: return "an UPDATE";
  case DUCKDB_STATEMENT_TYPE_DELETE: return "a DELETE";
  case DUCKDB_STATEMENT_TYPE_CREATE: return "a CREATE";
  case DUCKDB_STATEMENT_TYPE_DROP: return "a DROP";
  case DUCKDB_STATEMENT_TYPE_COPY: return "a COPY";
  case DUCKDB_STATEMENT_TYPE_CALL: return "a CALL";
  case DUCKDB_STATEMENT_TYPE_EXPLAIN: return "an EXPLAIN";
  default: return "a non-query";
  }
}

/* Checks that query is one statement (parsing only). Text without a ';'
 * holds at most one, and an empty one fails to run anyway. */
static sp_status check_one_statement(duckdb_connection con, const char *query,
                                     sp_error **err)
{
  int64_t n;

  if (!strchr(query, ';'))
    return SP_OK;
  n = sp_duck_count_statements(con, query, err);

  if (n < 0)
    return SP_ESQL;
  if (n != 1)
    return sp_error_set(err, SP_ESQL, "partial_sql takes one SQL statement, "
                        "got %lld", (long long)n);
  return SP_OK;
}

/* Explains why query cannot be the body of a view: it does not bind, or
 * it is not a statement that returns rows. DuckDB's errors then point into
 * the user's own text. SP_OK if it finds nothing wrong. */
static sp_status explain_query(duckdb_connection con, const char *query,
                               sp_error **err)
{
  duckdb_prepared_statement prep = NULL;
  sp_status st = SP_OK;

  if (duckdb_prepare(con, query, &prep) == DuckDBError)
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_prepare_error(prep));
  else if (duckdb_prepared_statement_type(prep) !=
           DUCKDB_STATEMENT_TYPE_SELECT)
    st = sp_error_set(err, SP_ESQL, "partial_sql needs a query that returns "
                      "rows (SELECT, FROM, VALUES, WITH ...), got %s "
                      "statement",
                      statement_name(duckdb_prepared_statement_type(prep)));
  duckdb_destroy_prepare(&prep);
  return st;
}

/* 1 when q can go between parentheses as it is: it has no comment and
 * does not end in ';'. A lexical test only, on the safe side: a "--"
 * inside a string literal just takes the view. */
static int embeddable(const sp_buf *q)
{
  size_t n = q->len;

  while (n > 0 && isspace((unsigned char)q->data[n - 1]))
    n--;
  return n > 0 && q->data[n - 1] != ';' && !strstr(q->data, "--") &&
         !strstr(q->data, "/*");
}

/* 1 when q starts with SELECT or FROM, so that a WITH clause can go in
 * front of it, and reads each input once, so that DuckDB inlines the
 * input where it is read (a CTE read twice may be materialized). */
static int takes_ctes(const sp_buf *q, const char *const *names, size_t n)
{
  const char *p = q->data;
  size_t i;

  while (isspace((unsigned char)*p))
    p++;
  if (!((strncasecmp(p, "select", 6) == 0 && !isalnum((unsigned char)p[6])) ||
        (strncasecmp(p, "from", 4) == 0 && !isalnum((unsigned char)p[4]))))
    return 0;
  for (i = 0; i < n; i++) {
    const char *at = strstr(q->data, names[i]);
    if (!at || strstr(at + 1, names[i]))
      return 0;
  }
  return 1;
}

/* Appends to rows the query of the rows to write. One statement when it
 * can be: WITH <inputs> <query>. Else views over the inputs (*views set),
 * and a view of the query when its text cannot sit inside parentheses (it
 * may end in ';' or a comment, which only a statement of its own can
 * hold). Every statement costs a tiny task about a fifth of its time: so
 * the query is bound on its own only to explain a failure. */
static sp_status result_rows(sp_exec_ctx *x, const char **names,
                             const sp_buf *query, sp_buf *rows, int *views,
                             sp_error **err)
{
  sp_buf view = SP_BUF_INIT;
  sp_status st;

  if (embeddable(query) && takes_ctes(query, names, x->desc->ninputs)) {
    st = sp_exec_input_ctes(x, names, rows, err);
    sp_buf_append(rows, query->data, query->len);
    return st;
  }
  if ((st = sp_exec_create_views(x, &names, err)) != SP_OK)
    return st;
  *views = 1;
  if (embeddable(query)) {
    sp_buf_append(rows, query->data, query->len);
    return SP_OK;
  }
  sp_buf_puts(&view, "CREATE OR REPLACE TEMP VIEW " RESULT_VIEW " AS\n");
  sp_buf_append(&view, query->data, query->len);
  st = sp_buf_oom(&view) ? sp_error_oom(err)
                         : sp_duck_exec(x->con, view.data, err);
  sp_buf_release(&view);
  sp_buf_puts(rows, "SELECT * FROM " RESULT_VIEW);
  return st;
}

sp_status sp_exec_sql(sp_exec_ctx *x, sp_error **err)
{
  const sp_task_desc *d = x->desc;
  sp_buf query = SP_BUF_INIT, rows = SP_BUF_INIT, copy = SP_BUF_INIT;
  const char **names;
  sp_template_vars vars = {0};
  char *out = sp_exec_out_file(x);
  sp_piece piece = {.path = out, .rows = 0, .end = -1};
  sp_error *why = NULL;
  sp_status st;
  int views = 0;

  if (!out)
    return sp_error_oom(err);
  if ((st = sp_exec_input_names(x, &names, err)) != SP_OK)
    return st;
  vars.partition = d->partition;
  /* 31 bits: DuckDB types a literal by its size, and every partition must
   * give the column the same type (INTEGER). */
  vars.rand_seed = (uint32_t)(d->seed & 0x7fffffff);
  vars.batch_index = 0;
  vars.dim_names = d->dim_names;
  vars.dim_index = d->dim_index;
  vars.ndims = d->ndims;
  st = sp_template_expand(d->sql, names, d->ninputs, &vars, &query, err);
  if (st != SP_OK)
    goto out;
  if ((st = check_one_statement(x->con, query.data, err)) != SP_OK)
    goto out;
  if ((st = result_rows(x, names, &query, &rows, &views, err)) != SP_OK)
    goto out_explain;
  if (sp_buf_oom(&rows)) {
    st = sp_error_oom(err);
    goto out;
  }
  sp_buf_puts(&copy, "COPY (");
  if ((st = sp_exec_lossless_select(x, rows.data, &copy, err)) != SP_OK)
    goto out;
  sp_buf_puts(&copy, ") TO ");
  sp_buf_append_literal(&copy, out);
  sp_exec_parquet_options(d, 0, NULL, &copy);
  if (sp_buf_oom(&copy)) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_duck_query_i64(x->con, copy.data, &piece.rows, err)))
    goto out_explain;
  if ((st = sp_exec_alloc_outputs(x, 1, err)) != SP_OK)
    goto out;
  st = sp_dataset_add(&x->result->outputs[0], &piece, err);
  x->result->rows = piece.rows;
  goto out;

out_explain:
  /* The query alone needs its inputs as views; failing to make them is
   * the explanation. */
  if (err && !views && sp_exec_create_views(x, &names, &why) != SP_OK) {
    sp_error_free(err);
    *err = why;
    st = sp_error_status(why);
  } else if (err && explain_query(x->con, query.data, &why) != SP_OK) {
    sp_error_free(err);
    *err = why;
    st = sp_error_status(why);
  }
out:
  sp_buf_release(&query);
  sp_buf_release(&rows);
  sp_buf_release(&copy);
  return st;
}
