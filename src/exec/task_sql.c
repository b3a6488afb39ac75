/*
 * task_sql.c - a partial_sql task: the node's query over the partition's
 * views, its result written to one Parquet file.
 */
#include <string.h>

#include "exec/duck.h"
#include "exec/task.h"
#include "plan/template.h"
#include "util/error.h"

/* Drops trailing blanks and semicolons so the query fits inside COPY (...). */
static void trim_statement_end(sp_buf *b)
{
  while (b->len > 0 && strchr(" \t\r\n;", b->data[b->len - 1]))
    b->data[--b->len] = '\0';
}

sp_status sp_exec_sql(sp_exec_ctx *x, sp_error **err)
{
  const sp_task_desc *d = x->desc;
  sp_buf query = SP_BUF_INIT, copy = SP_BUF_INIT;
  const char **names;
  const char *out = sp_exec_out_path(x, "part-0.parquet");
  sp_piece piece = {"part-0.parquet", 0, 0, -1, 0};
  int64_t nstmt;
  sp_status st;

  if (!out)
    return sp_error_oom(err);
  if ((st = sp_exec_create_views(x, &names, err)) != SP_OK)
    return st;
  st = sp_template_expand(d->sql, names, d->ninputs, &query, err);
  if (st != SP_OK)
    goto out;
  trim_statement_end(&query);
  nstmt = sp_duck_count_statements(x->con, query.data, err);
  if (nstmt < 0) {
    st = SP_ESQL;
    goto out;
  }
  if (nstmt != 1) {
    st = sp_error_set(err, SP_ESQL, "partial_sql takes one SQL statement, "
                      "got %lld", (long long)nstmt);
    goto out;
  }
  /* The newline before ')' ends a trailing -- comment in the query. */
  sp_buf_puts(&copy, "COPY (\n");
  sp_buf_append(&copy, query.data, query.len);
  sp_buf_puts(&copy, "\n) TO ");
  sp_buf_append_literal(&copy, out);
  sp_buf_puts(&copy, " (FORMAT parquet, COMPRESSION zstd)");
  if (sp_buf_oom(&copy)) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_duck_query_i64(x->con, copy.data, &piece.rows, err)))
    goto out;
  if ((st = sp_exec_alloc_outputs(x, 1, err)) != SP_OK)
    goto out;
  st = sp_dataset_add(&x->result->outputs[0], &piece, err);
  x->result->rows = piece.rows;
out:
  sp_buf_release(&query);
  sp_buf_release(&copy);
  return st;
}
