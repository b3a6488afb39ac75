/*
 * task_shuffle.c - the producer of a repartition that moves rows: routes
 * every row of its input to the partition its key expression names (a
 * hash of columns, the user's expression, or a random number) and writes
 * one Parquet output per partition. A key outside [0, n) fails the task
 * with "partition key K is out of range 0-(n-1)".
 *
 * DuckDB's COPY ... PARTITION_BY writes <dir>/__sp_part=<i>/data_<k>.parquet
 * for the partitions that got rows; those files are moved to
 * part-<i>-<k>.parquet (no '=' left in a path for hive detection to find)
 * and every partition without rows points at one empty file with the
 * input's schema, so each partition still has its columns.
 *
 * A combining repartition (desc sql set) routes the rows of its partial
 * aggregate over the input instead of the input's rows.
 *
 * A range repartition (desc range set) computes each row's sort key and
 * places it among the split points of input {1} with a binary search
 * written as nested CASE: DuckDB evaluates each branch only on the rows
 * that reach it, so a row costs log2(n) comparisons of its key.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "duck/duck.h"
#include "exec/task.h"
#include "io/fs.h"
#include "plan/template.h"
#include "util/alloc.h"
#include "util/error.h"

#define PART_COLUMN "__sp_part"
#define KEY_COLUMN "__sp_key"
#define SORT_KEY_COLUMN "__sp_sk"
#define COMBINED_VIEW "\"__sp_combined\""

/* Moves the files DuckDB wrote for partition i into the task folder and
 * records them in out. */
static sp_status collect_partition(sp_exec_ctx *x, const char *parts_dir,
                                   int i, sp_dataset *out, sp_error **err)
{
  sp_buf dir = SP_BUF_INIT, src = SP_BUF_INIT, name = SP_BUF_INIT;
  struct dirent *de;
  sp_status st = SP_OK;
  DIR *dh;
  int k = 0;

  sp_buf_appendf(&dir, "%s/" PART_COLUMN "=%d", parts_dir, i);
  if (sp_buf_oom(&dir))
    return sp_error_oom(err);
  if (!(dh = opendir(dir.data))) {
    if (errno != ENOENT)
      st = sp_error_set(err, SP_EIO, "cannot read %s: %s", dir.data,
                        strerror(errno));
    sp_buf_release(&dir);
    return st;
  }
  while (st == SP_OK && (de = readdir(dh))) {
    char *dst;
    if (de->d_name[0] == '.')
      continue;
    sp_buf_reset(&src);
    sp_buf_reset(&name);
    sp_buf_appendf(&src, "%s/%s", dir.data, de->d_name);
    sp_buf_appendf(&name, "part-%d-%d.parquet", i, k++);
    if (sp_buf_oom(&src) || sp_buf_oom(&name) ||
        !(dst = sp_exec_out_path(x, name.data))) {
      st = sp_error_oom(err);
    } else if (rename(src.data, dst) != 0) {
      st = sp_error_set(err, SP_EIO, "cannot move %s to %s: %s", src.data,
                        dst, strerror(errno));
    } else {
      sp_piece p = {.path = dst, .rows = -1, .end = -1};
      st = sp_dataset_add(out, &p, err);
    }
  }
  closedir(dh);
  sp_buf_release(&dir);
  sp_buf_release(&src);
  sp_buf_release(&name);
  return st;
}

/* Reads the row count of every output file from its footer. */
static sp_status fill_rows(sp_exec_ctx *x, sp_error **err)
{
  sp_task_result *r = x->result;
  sp_dataset unknown = {0};
  sp_status st = SP_OK;
  int i;
  size_t j, k = 0;

  for (i = 0; i < r->noutputs && st == SP_OK; i++)
    for (j = 0; j < r->outputs[i].len && st == SP_OK; j++)
      if (r->outputs[i].pieces[j].rows < 0)
        st = sp_dataset_add(&unknown, &r->outputs[i].pieces[j], err);
  if (st == SP_OK)
    st = sp_duck_fill_file_rows(x->con, &unknown, err);
  for (i = 0; i < r->noutputs && st == SP_OK; i++)
    for (j = 0; j < r->outputs[i].len; j++)
      if (r->outputs[i].pieces[j].rows < 0)
        r->outputs[i].pieces[j].rows = unknown.pieces[k++].rows;
  sp_dataset_release(&unknown);
  return st;
}

/* A combining repartition aggregates the producer's rows first (see
 * sql/combine.h): *source becomes a view of the partial aggregate. */
static sp_status combine_first(sp_exec_ctx *x, const char **source,
                               sp_error **err)
{
  const sp_task_desc *d = x->desc;
  sp_template_vars vars = {0};
  sp_buf sql = SP_BUF_INIT;
  sp_status st;

  vars.partition = d->partition;
  sp_buf_puts(&sql, "CREATE OR REPLACE TEMP VIEW " COMBINED_VIEW " AS\n");
  st = sp_template_expand(d->sql, source, 1, &vars, &sql, err);
  if (st == SP_OK)
    st = sp_buf_oom(&sql) ? sp_error_oom(err)
                          : sp_duck_exec(x->con, sql.data, err);
  if (st == SP_OK)
    *source = COMBINED_VIEW;
  sp_buf_release(&sql);
  return st;
}

/* Appends the partition among bounds[lo..hi) for SORT_KEY_COLUMN: the
 * number of bounds <= the key, from lo to hi. A NULL bound ("-") is above
 * every key. */
static void append_bisect(sp_buf *b, char *const *bounds, int lo, int hi)
{
  int mid = lo + (hi - lo + 1) / 2;

  if (lo == hi) {
    sp_buf_appendf(b, "%d", lo);
    return;
  }
  if (strcmp(bounds[mid - 1], "-") == 0) {
    append_bisect(b, bounds, lo, mid - 1);
    return;
  }
  sp_buf_puts(b, "CASE WHEN " SORT_KEY_COLUMN " < from_hex(");
  sp_buf_append_literal(b, bounds[mid - 1]);
  sp_buf_puts(b, ") THEN ");
  append_bisect(b, bounds, lo, mid - 1);
  sp_buf_puts(b, " ELSE ");
  append_bisect(b, bounds, mid, hi);
  sp_buf_puts(b, " END");
}

/* Reads the split points of a range repartition from view `bounds` and
 * appends the expression that places a row among them. */
static sp_status append_range_key(sp_exec_ctx *x, const char *bounds,
                                  sp_buf *key, sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  char *text = NULL, **items = NULL, *p;
  int n = 0, i;
  sp_status st;

  sp_buf_appendf(&sql, "SELECT string_agg(coalesce(hex(__sp_bound), '-'), "
                 "$1 ORDER BY __sp_i) FROM %s", bounds);
  st = sp_buf_oom(&sql) ? sp_error_oom(err)
                        : sp_duck_query_text(x->con, sql.data, ",", &text, err);
  if (st != SP_OK)
    goto out;
  for (p = text; p && *p; p++)
    n += *p == ',';
  if (text && *text)
    n++;
  if (n != x->desc->nslots - 1) {
    st = sp_error_set(err, SP_EINTERNAL, "range repartition into %d: got "
                      "%d split points", x->desc->nslots, n);
    goto out;
  }
  if (n && !(items = sp_calloc((size_t)n, sizeof(*items)))) {
    st = sp_error_oom(err);
    goto out;
  }
  for (i = 0, p = text; i < n; i++) {
    items[i] = p;
    p += strcspn(p, ",");
    if (*p)
      *p++ = '\0';
  }
  append_bisect(key, items, 0, n);
  if (sp_buf_oom(key))
    st = sp_error_oom(err);
out:
  sp_free(items);
  sp_free(text);
  sp_buf_release(&sql);
  return st;
}

sp_status sp_exec_shuffle(sp_exec_ctx *x, sp_error **err)
{
  const sp_task_desc *d = x->desc;
  sp_buf sql = SP_BUF_INIT, key = SP_BUF_INIT, from = SP_BUF_INIT,
         rows = SP_BUF_INIT;
  const char **names;
  char *parts_dir = sp_exec_out_path(x, "parts");
  char *empty = sp_exec_out_path(x, "empty.parquet");
  sp_piece empty_piece = {.path = empty, .rows = 0, .end = -1};
  int i, nempty = 0;
  sp_status st;

  if (!parts_dir || !empty)
    return sp_error_oom(err);
  if ((st = sp_exec_make_out_dir(x, err)) != SP_OK)
    return st;
  if ((st = sp_exec_create_views(x, &names, err)) != SP_OK)
    return st;
  if (d->sql && (st = combine_first(x, &names[0], err)) != SP_OK)
    return st;
  /* The rows as written, the same in every file (the empty one too). */
  sp_buf_appendf(&sql, "SELECT * FROM %s", names[0]);
  st = sp_buf_oom(&sql) ? sp_error_oom(err)
                        : sp_exec_lossless_select(x, sql.data, &rows, err);
  sp_buf_reset(&sql);
  if (st != SP_OK)
    goto out;
  if (d->range) {
    if ((st = append_range_key(x, names[1], &key, err)) != SP_OK)
      goto out;
    sp_buf_appendf(&from, "(SELECT *, %s AS " SORT_KEY_COLUMN " FROM (%s))",
                   d->partition_key, rows.data);
  } else {
    sp_buf_puts(&key, d->partition_key);
    sp_buf_appendf(&from, "(%s)", rows.data);
  }
  /* The check raises DuckDB's error() with smallpond's message. */
  sp_buf_appendf(&sql,
                 "COPY (SELECT * EXCLUDE (" KEY_COLUMN "%s), CASE "
                 "WHEN " KEY_COLUMN " >= 0 AND " KEY_COLUMN " < %d "
                 "THEN " KEY_COLUMN " "
                 "WHEN " KEY_COLUMN " IS NULL "
                 "THEN error('partition key is NULL') "
                 "ELSE error('partition key ' || " KEY_COLUMN " || "
                 "' is out of range 0-%d') END AS " PART_COLUMN " "
                 "FROM (SELECT *, (%s)::BIGINT AS " KEY_COLUMN " FROM %s)) TO ",
                 d->range ? ", " SORT_KEY_COLUMN : "", d->nslots,
                 d->nslots - 1, key.data,
                 from.data);
  sp_buf_append_literal(&sql, parts_dir);
  sp_exec_parquet_options(d, 1, "PARTITION_BY (" PART_COLUMN ")", &sql);
  if (sp_buf_oom(&sql) || sp_buf_oom(&key) || sp_buf_oom(&from)) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_duck_query_i64(x->con, sql.data, &x->result->rows, err))) {
    sp_error_prefix(err, "repartition by %s", d->partition_key);
    goto out;
  }
  if ((st = sp_exec_alloc_outputs(x, d->nslots, err)) != SP_OK)
    goto out;
  for (i = 0; i < d->nslots && st == SP_OK; i++)
    st = collect_partition(x, parts_dir, i, &x->result->outputs[i], err);
  if (st == SP_OK)
    st = fill_rows(x, err);
  for (i = 0; i < d->nslots && st == SP_OK; i++)
    if (x->result->outputs[i].len == 0 && nempty++ == 0) {
      sp_buf_reset(&sql);
      sp_buf_appendf(&sql, "COPY (SELECT * FROM (%s) LIMIT 0) TO ",
                     rows.data);
      sp_buf_append_literal(&sql, empty);
      sp_exec_parquet_options(d, 1, NULL, &sql);
      st = sp_buf_oom(&sql) ? sp_error_oom(err)
                            : sp_duck_exec(x->con, sql.data, err);
    }
  for (i = 0; i < d->nslots && st == SP_OK; i++)
    if (x->result->outputs[i].len == 0)
      st = sp_dataset_add(&x->result->outputs[i], &empty_piece, err);
  if (st == SP_OK)
    st = sp_rm_rf(parts_dir, err);
out:
  sp_buf_release(&sql);
  sp_buf_release(&key);
  sp_buf_release(&from);
  sp_buf_release(&rows);
  return st;
}
