/*
 * task.c - the task dispatcher and what the runners share (see task.h).
 */
#define _GNU_SOURCE /* strcasestr */
#include "exec/task.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include <dirent.h>
#include <unistd.h>

#include "duck/duck.h"
#include "duck/input.h"
#include "io/fs.h"
#include "io/parquet.h"
#include "plan/hash_layout.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/hash.h"

/* Rows per row group of an exchange file. DuckDB buffers a whole row
 * group per column before writing it; at its default of 122,880 rows a
 * column of 90-byte values takes 11 MB buffers, which the allocator
 * returns to the kernel and faults in again for every group (a third of
 * a shuffle's time went to page faults). 16,384 rows write a shuffle
 * 15-35 % faster, numeric or wide, and read back about as fast. */
#define SP_EXCHANGE_ROW_GROUP 16384

/* Where an attempt fails on purpose (SP_FAULT_INJECTION). */
enum { FAULT_NONE = -1, FAULT_BEFORE, FAULT_WRITING, FAULT_AFTER };

/* Whether this attempt fails, and where: a hash of its key and attempt
 * number below the rate, so a rerun injects the same faults. */
static int fault_point(const sp_exec_env *env, const sp_task_desc *d)
{
  uint64_t h;

  if (!env || env->fault_rate <= 0)
    return FAULT_NONE;
  h = sp_hash_mix(sp_hash_i64(sp_hash_str(SP_HASH_INIT, d->key),
                              d->attempt));
  if ((double)(h >> 11) / 9007199254740992.0 >= env->fault_rate)
    return FAULT_NONE;
  return (int)(h % 3);
}

/* Cuts a file to half its size: an output torn mid-write. */
static void tear_file(const char *path)
{
  struct stat sb;

  if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
    (void)truncate(path, sb.st_size / 2);
}

/* Tears the attempt's file, or every file of its folder. */
static void tear_outputs(const char *out)
{
  struct dirent *de;
  char path[4096];
  DIR *dh;

  snprintf(path, sizeof(path), "%s.parquet", out);
  tear_file(path);
  if (!(dh = opendir(out)))
    return;
  while ((de = readdir(dh))) {
    snprintf(path, sizeof(path), "%s/%s", out, de->d_name);
    if (de->d_name[0] != '.')
      tear_file(path);
  }
  closedir(dh);
}

/* The attempt's staging path followed by sep and name, in arena memory. */
static char *out_plus(sp_exec_ctx *x, const char *sep, const char *name)
{
  size_t n = strlen(x->desc->out) + strlen(sep) + strlen(name) + 1;
  char *p = sp_arena_alloc(x->arena, n);

  if (p)
    snprintf(p, n, "%s%s%s", x->desc->out, sep, name);
  return p;
}

char *sp_exec_out_path(sp_exec_ctx *x, const char *name)
{
  return out_plus(x, "/", name);
}

char *sp_exec_out_file(sp_exec_ctx *x) { return out_plus(x, ".parquet", ""); }

/* The folder starts empty: an attempt killed earlier (in this or a
 * previous run of the job) may have left files under the same name. A
 * single output file needs no such care, as COPY replaces it. */
sp_status sp_exec_make_out_dir(sp_exec_ctx *x, sp_error **err)
{
  const char *dir = x->desc->out;
  sp_status st = sp_rm_rf(dir, err);

  if (st == SP_OK && mkdir(dir, 0777) != 0)
    st = sp_error_set(err, SP_EIO, "cannot create %s: %s", dir,
                      strerror(errno));
  return st;
}

const sp_batch_function *sp_batch_function_find(const sp_batch_function *fns,
                                                size_t n, const char *name)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp(fns[i].name, name) == 0)
      return &fns[i];
  return NULL;
}

void sp_exec_parquet_options(const sp_task_desc *d, int exchange,
                             const char *extra, sp_buf *b)
{
  const sp_parquet_settings *pq = &d->parquet;
  int kv = !exchange;
  size_t k;

  /* Files only the next stage reads favour write speed, so they get no
   * codec: lz4 made a 5 GB sort's shuffle 40 % slower (25-27 s against
   * 18 s, each run started after a sync) for files only a quarter
   * smaller. Parquet 2's encodings keep numbers small on their own (20 M
   * numeric rows: 188 MB against 326 MB, and no slower). Where the file
   * system's bandwidth is what is scarce, the repartition's own
   * compression setting applies. */
  if (!pq->compression[0] && exchange && !pq->compression_level)
    sp_buf_puts(b, " (FORMAT parquet, COMPRESSION uncompressed, "
                   "PARQUET_VERSION V2");
  else
    sp_buf_appendf(b, " (FORMAT parquet, COMPRESSION %s",
                   pq->compression[0] ? pq->compression : "zstd");
  if (pq->compression_level)
    sp_buf_appendf(b, ", COMPRESSION_LEVEL %d", pq->compression_level);
  if (pq->row_group_size)
    sp_buf_appendf(b, ", ROW_GROUP_SIZE %" PRId64, pq->row_group_size);
  else if (exchange)
    sp_buf_appendf(b, ", ROW_GROUP_SIZE %d", SP_EXCHANGE_ROW_GROUP);
  if (pq->no_dictionary)
    sp_buf_puts(b, ", DICTIONARY_SIZE_LIMIT 0");
  if (kv && d->ndims) {
    sp_buf_puts(b, ", KV_METADATA {");
    for (k = 0; k < d->ndims; k++) {
      sp_buf reg = SP_BUF_INIT;
      sp_buf_appendf(&reg, "SMALLPOND:%s", d->dim_names[k]);
      sp_buf_puts(b, k ? ", " : "");
      sp_buf_append_literal(b, sp_buf_oom(&reg) ? "" : reg.data);
      sp_buf_appendf(b, ": '%d'", d->dim_index[k]);
      sp_buf_release(&reg);
    }
    if (d->hash_layout) {
      sp_buf_puts(b, ", '" SP_HASH_LAYOUT_KEY "': ");
      sp_buf_append_literal(b, d->hash_layout);
    }
    sp_buf_putc(b, '}');
  }
  if (extra)
    sp_buf_appendf(b, ", %s", extra);
  sp_buf_putc(b, ')');
}

sp_status sp_exec_alloc_outputs(sp_exec_ctx *x, int n, sp_error **err)
{
  x->result->outputs = sp_calloc((size_t)n, sizeof(*x->result->outputs));
  if (!x->result->outputs)
    return sp_error_oom(err);
  x->result->noutputs = n;
  return SP_OK;
}

sp_status sp_exec_input_names(sp_exec_ctx *x, const char ***names,
                              sp_error **err)
{
  const sp_task_desc *d = x->desc;
  sp_buf name = SP_BUF_INIT;
  sp_status st = SP_OK;
  size_t i;

  *names = sp_arena_alloc(x->arena, (d->ninputs + 1) * sizeof(**names));
  if (!*names)
    return sp_error_oom(err);
  for (i = 0; i < d->ninputs && st == SP_OK; i++) {
    if (d->inputs[i].len == 0) {
      st = sp_error_set(err, SP_EINTERNAL, "input {%zu} has no files", i);
      break;
    }
    sp_buf_reset(&name);
    sp_input_view_name(&name, i);
    if (sp_buf_oom(&name) ||
        !((*names)[i] = sp_arena_strdup(x->arena, name.data)))
      st = sp_error_oom(err);
  }
  sp_buf_release(&name);
  return st;
}

sp_status sp_exec_create_views(sp_exec_ctx *x, const char ***names,
                               sp_error **err)
{
  const sp_task_desc *d = x->desc;
  sp_buf sql = SP_BUF_INIT;
  sp_status st;
  size_t i;

  if ((st = sp_exec_input_names(x, names, err)) != SP_OK)
    return st;
  for (i = 0; i < d->ninputs && st == SP_OK; i++) {
    sp_buf_reset(&sql);
    sp_buf_appendf(&sql, "CREATE OR REPLACE TEMP VIEW %s AS\n", (*names)[i]);
    if ((st = sp_input_select(&sql, &d->inputs[i], err)) != SP_OK)
      break;
    if (sp_buf_oom(&sql)) {
      st = sp_error_oom(err);
      break;
    }
    if ((st = sp_duck_exec(x->con, sql.data, err)) != SP_OK)
      sp_error_prefix(err, "cannot read input {%zu}", i);
  }
  sp_buf_release(&sql);
  return st;
}

sp_status sp_exec_input_ctes(sp_exec_ctx *x, const char *const *names,
                             sp_buf *b, sp_error **err)
{
  const sp_task_desc *d = x->desc;
  sp_status st = SP_OK;
  size_t i;

  for (i = 0; i < d->ninputs && st == SP_OK; i++) {
    sp_buf_appendf(b, "%s%s AS (", i ? ",\n" : "WITH ", names[i]);
    st = sp_input_select(b, &d->inputs[i], err);
    sp_buf_puts(b, ")");
  }
  sp_buf_puts(b, "\n");
  return st;
}

/* 1 when text names one of words[0..n), ignoring case. */
static int mentions(const char *text, const char *const *words, size_t n)
{
  size_t i;

  for (i = 0; text && i < n; i++)
    if (strcasestr(text, words[i]))
      return 1;
  return 0;
}

/* 1 when SQL text may make a HUGEINT: a sum, a cast to one, factorial, an
 * integer literal past BIGINT (19 digits or more), or an expression that
 * unites an unsigned 64-bit value with signed ones (DuckDB's common type
 * of UBIGINT and BIGINT is HUGEINT). A lexical test on the safe side. */
static int sql_may_make_hugeint(const char *text)
{
  static const char *const words[] = {
    "sum", "hugeint", "int128", "factorial", "ubigint", "uint64", "hash",
    "case", "coalesce", "ifnull", "greatest", "least", "union"};
  size_t digits = 0;

  if (mentions(text, words, sizeof(words) / sizeof(words[0])))
    return 1;
  for (; text && *text; text++)
    if ((digits = *text >= '0' && *text <= '9' ? digits + 1 : 0) >= 19)
      return 1;
  return 0;
}

/* 1 when the task's result may have a HUGEINT or UHUGEINT column: see
 * sp_exec_lossless_select. */
static int may_make_hugeint(const sp_exec_ctx *x)
{
  /* The types a CSV or JSON reader may declare. */
  static const char *const types[] = {"hugeint", "int128", "ubigint",
                                      "uint64"};
  const sp_task_desc *d = x->desc;
  size_t i, j;

  if ((x->env && x->env->own_functions) || sql_may_make_hugeint(d->sql))
    return 1;
  for (i = 0; i < d->ninputs; i++)
    for (j = 0; j < d->inputs[i].len; j++)
      if (mentions(d->inputs[i].pieces[j].reader, types,
                   sizeof(types) / sizeof(types[0])))
        return 1;
  return 0;
}

sp_status sp_exec_lossless_select(sp_exec_ctx *x, const char *select,
                                  sp_buf *b, sp_error **err)
{
  duckdb_prepared_statement prep = NULL;
  sp_buf list = SP_BUF_INIT, names = SP_BUF_INIT, type = SP_BUF_INIT;
  idx_t i, n;
  int changed, any = 0;

  /* A query that does not bind fails in the COPY with the same error. */
  if (!may_make_hugeint(x) ||
      duckdb_prepare(x->con, select, &prep) == DuckDBError) {
    duckdb_destroy_prepare(&prep);
    sp_buf_puts(b, select);
    return sp_buf_oom(b) ? sp_error_oom(err) : SP_OK;
  }
  /* By position: names may repeat, or differ only in case. */
  n = duckdb_prepared_statement_column_count(prep);
  for (i = 0; i < n; i++) {
    duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(
        prep, i);
    const char *name = duckdb_prepared_statement_column_name(prep, i);
    sp_buf_reset(&type);
    changed = 0;
    sp_buf_appendf(&names, "%s\"c%llu\"", i ? ", " : "",
                   (unsigned long long)i);
    if (sp_duck_type_parquet_sql(t, &type, &changed) == 0 && changed &&
        !sp_buf_oom(&type)) {
      sp_buf_appendf(&list, "%sCAST(\"c%llu\" AS %s) AS ", i ? ", " : "",
                     (unsigned long long)i, type.data);
      any = 1;
    } else {
      sp_buf_appendf(&list, "%s\"c%llu\" AS ", i ? ", " : "",
                     (unsigned long long)i);
    }
    sp_buf_append_ident(&list, name ? name : "");
    duckdb_free((void *)name);
    duckdb_destroy_logical_type(&t);
  }
  duckdb_destroy_prepare(&prep);
  if (any)
    sp_buf_appendf(b, "SELECT %s FROM (%s) AS \"__sp_rows\"(%s)", list.data,
                   select, names.data);
  else
    sp_buf_puts(b, select);
  sp_buf_release(&list);
  sp_buf_release(&names);
  sp_buf_release(&type);
  return sp_buf_oom(b) || sp_buf_oom(&list) || sp_buf_oom(&names)
             ? sp_error_oom(err)
             : SP_OK;
}

/* 1 when text may draw random numbers (random(), uuid(), USING SAMPLE,
 * a shuffle): only then is the connection's seed worth a statement. */
static int may_draw_random(const char *text)
{
  static const char *const words[] = {"rand", "uuid", "sample", "shuffle"};
  size_t i;

  for (i = 0; text && i < sizeof(words) / sizeof(words[0]); i++)
    if (strcasestr(text, words[i]))
      return 1;
  return 0;
}

/* Applies the task's seed, and its resource limits where they differ from
 * the database's. DuckDB's threads and memory_limit are per database:
 * fine, as a worker runs one task at a time. */
static sp_status configure(sp_exec_ctx *x, sp_exec_settings *cur,
                           sp_error **err)
{
  const sp_task_desc *d = x->desc;
  int threads = d->threads > 0 ? d->threads : 1;
  sp_buf sql = SP_BUF_INIT;
  sp_status st;

  if (threads != cur->threads)
    sp_buf_appendf(&sql, "SET threads = %d; ", threads);
  if (d->memory_limit > 0 && d->memory_limit != cur->memory_limit)
    sp_buf_appendf(&sql, "SET memory_limit = '%" PRId64 "MiB'; ",
                   d->memory_limit >> 20 > 0 ? d->memory_limit >> 20 : 1);
  /* setseed takes a double in [-1, 1]; keep 31 bits of the task's seed. */
  if (may_draw_random(d->sql) || may_draw_random(d->partition_key))
    sp_buf_appendf(&sql, "SELECT setseed(%.10f);",
                   (double)(d->seed & 0x7fffffff) / 2147483648.0);
  if (sp_buf_oom(&sql))
    st = sp_error_oom(err);
  else
    st = sql.len ? sp_duck_exec(x->con, sql.data, err) : SP_OK;
  sp_buf_release(&sql);
  if (st == SP_OK) {
    cur->threads = threads;
    if (d->memory_limit > 0)
      cur->memory_limit = d->memory_limit;
  }
  return st;
}

/* Fingerprints every file the attempt wrote (its outputs under d->out),
 * so that a later run can check them before it reuses them. */
static sp_status fingerprint_outputs(const sp_task_desc *d,
                                     sp_task_result *r, sp_error **err)
{
  size_t n = strlen(d->out), j;
  const sp_piece *last = NULL;
  sp_status st = SP_OK;
  int i;

  for (i = 0; i < r->noutputs && st == SP_OK; i++)
    for (j = 0; j < r->outputs[i].len && st == SP_OK; j++) {
      sp_piece *p = &r->outputs[i].pieces[j];
      if (strncmp(p->path, d->out, n) != 0)
        continue; /* an input's file, as a split hands it on */
      if (last && strcmp(last->path, p->path) == 0)
        p->fingerprint = last->fingerprint;
      else
        st = sp_parquet_fingerprint(p->path, &p->fingerprint, err);
      last = p;
    }
  return st;
}

sp_status sp_exec_task(duckdb_database db, sp_exec_settings *cur,
                       const sp_exec_env *env, const sp_task_desc *d,
                       sp_arena *arena, sp_task_result *r)
{
  sp_exec_ctx x = {NULL, env, d, arena, r};
  sp_error *err = NULL;
  int64_t start = sp_clock_us();
  int fault = fault_point(env, d);
  sp_status st;

  r->attempt = d->attempt;
  r->rows = -1;
  if (!(r->key = sp_strdup(d->key))) {
    r->status = SP_ENOMEM;
    return SP_ENOMEM;
  }
  if (cur->con) {
    x.con = cur->con;
    cur->con = NULL;
  } else if (duckdb_connect(db, &x.con) == DuckDBError) {
    st = sp_error_set(&err, SP_ESQL, "cannot connect to DuckDB");
    goto out;
  }
  if (env && env->slow_ms > 0 && d->attempt == 0 &&
      d->partition == env->slow_partition)
    sp_sleep_ms(env->slow_ms);
  if (fault == FAULT_BEFORE) {
    st = sp_error_set(&err, SP_EIO, "injected fault (SP_FAULT_INJECTION) "
                      "before the task");
    goto out;
  }
  if ((st = configure(&x, cur, &err)) != SP_OK)
    goto out;
  switch (d->kind) {
  case SP_TASK_SQL: st = sp_exec_sql(&x, &err); break;
  case SP_TASK_SHUFFLE: st = sp_exec_shuffle(&x, &err); break;
  case SP_TASK_SPLIT_ROWS: st = sp_exec_split_rows(&x, &err); break;
  case SP_TASK_COUNT: st = sp_exec_count(&x, &err); break;
  case SP_TASK_BATCH: st = sp_exec_batch(&x, &err); break;
  default:
    st = sp_error_set(&err, SP_EINTERNAL, "task kind %s does not run in a "
                      "worker", sp_task_kind_name(d->kind));
  }
  if (st == SP_OK)
    st = fingerprint_outputs(d, r, &err);
  if (st == SP_OK && fault != FAULT_NONE) {
    if (fault == FAULT_WRITING)
      tear_outputs(d->out);
    st = sp_error_set(&err, SP_EIO, "injected fault (SP_FAULT_INJECTION) %s",
                      fault == FAULT_WRITING ? "while writing the output"
                                             : "after the task");
  }
out:
  /* Only a clean connection is kept: one whose task succeeded and made
   * nothing but the views that the next task replaces. */
  if (x.con && st == SP_OK && d->kind != SP_TASK_BATCH)
    cur->con = x.con;
  else if (x.con)
    duckdb_disconnect(&x.con);
  r->elapsed_us = sp_clock_us() - start;
  r->status = st;
  if (st != SP_OK) {
    r->error = sp_strdup(sp_error_message(err));
    if (d->kind == SP_TASK_SQL && d->sql)
      r->error_sql = sp_strdup(d->sql);
    sp_datasets_free(r->outputs, (size_t)r->noutputs);
    r->outputs = NULL;
    r->noutputs = 0;
  }
  sp_error_free(&err);
  return st;
}
