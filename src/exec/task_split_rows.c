/*
 * task_split_rows.c - splits a dataset into row ranges of near-equal size.
 * Needs the files' row counts, which only DuckDB can read from the Parquet
 * footers; writes no data.
 */
#include "duck/duck.h"
#include "duck/input.h"
#include "exec/task.h"
#include "plan/partition.h"
#include "plan/reader.h"
#include "util/error.h"

sp_status sp_exec_split_rows(sp_exec_ctx *x, sp_error **err)
{
  sp_dataset all = {0}, *parts = NULL;
  sp_status st;
  size_t i;

  for (i = 0; i < x->desc->ninputs; i++)
    if ((st = sp_dataset_extend(&all, &x->desc->inputs[i], err)) != SP_OK)
      goto out;
  for (i = 0; i < all.len; i++)
    if (!sp_reader_is_parquet(all.pieces[i].reader)) {
      st = sp_error_set(err, SP_EINVAL, "repartition by rows needs Parquet "
                        "files, and %s is not one; split CSV or JSON input "
                        "by files or by hash", all.pieces[i].path);
      goto out;
    }
  if ((st = sp_duck_fill_file_rows(x->con, &all, err)) != SP_OK)
    goto out;
  if ((st = sp_split_by_rows(&all, x->desc->nslots, &parts, err)) != SP_OK)
    goto out;
  x->result->outputs = parts;
  x->result->noutputs = x->desc->nslots;
  x->result->rows = sp_dataset_rows(&all);
out:
  sp_dataset_release(&all);
  return st;
}
