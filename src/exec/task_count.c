/*
 * task_count.c - counts the rows of a partition. Whole Parquet files are
 * counted from their footers by DuckDB, without a scan.
 */
#include "duck/duck.h"
#include "exec/task.h"
#include "util/buf.h"
#include "util/error.h"

sp_status sp_exec_count(sp_exec_ctx *x, sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  const char **names;
  sp_status st;

  if ((st = sp_exec_create_views(x, &names, err)) != SP_OK)
    return st;
  sp_buf_appendf(&sql, "SELECT count(*) FROM %s", names[0]);
  if (sp_buf_oom(&sql))
    st = sp_error_oom(err);
  else
    st = sp_duck_query_i64(x->con, sql.data, &x->result->rows, err);
  sp_buf_release(&sql);
  return st;
}
