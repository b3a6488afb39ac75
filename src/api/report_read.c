/*
 * report_read.c - a job folder as sp_job_report draws it (report.h): the
 * steps of plan.json (jansson) and the attempts of log/tasks.csv (DuckDB's
 * CSV reader), every value checked before it is kept.
 */
#include "api/report.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/status.h"
#include "duck/duck.h"
#include "io/fs.h"
#include "plan/desc.h"
#include "sched/attempts.h"
#include "util/alloc.h"
#include "util/error.h"

/* plan.json is not what this version writes: says who wrote it. */
static sp_status old_plan(const char *named, const json_t *plan,
                          const char *what, sp_error **err)
{
  const char *v = json_string_value(json_object_get(plan, "version"));

  if (!v)
    return sp_error_set(err, SP_EINVAL, "%s was written by an older "
                        "smallpond (it names no version), whose plan "
                        "smallpond %s cannot read: %s", named,
                        SP_VERSION_STRING, what);
  return sp_error_set(err, SP_EINVAL, "%s was written by smallpond %.40s, "
                      "whose plan smallpond %s cannot read: %s", named, v,
                      SP_VERSION_STRING, what);
}

/* An integer member of o in [lo, INT_MAX]: 0, or -1 when it is not. */
static int get_int(const json_t *o, const char *name, int lo, int *out)
{
  const json_t *v = json_object_get(o, name);
  json_int_t i;

  if (!json_is_integer(v))
    return -1;
  i = json_integer_value(v);
  if (i < lo || i > INT_MAX)
    return -1;
  *out = (int)i;
  return 0;
}

/* The index of the node with id among the first n, or -1. */
static long node_index(const sp_report_node *nodes, size_t n, int id)
{
  size_t i;

  /* The driver numbers them 1, 2, ... in order. */
  if (id >= 1 && (size_t)id <= n && nodes[id - 1].id == id)
    return id - 1;
  for (i = 0; i < n; i++)
    if (nodes[i].id == id)
      return (long)i;
  return -1;
}

/* What node o does, in a few words (its SQL is the longest). */
static char *node_detail(const json_t *o, int partitions)
{
  const char *sql = json_string_value(json_object_get(o, "sql"));
  const char *fn = json_string_value(json_object_get(o, "batch_fn"));
  const char *split = json_string_value(json_object_get(o, "split"));
  const char *key = json_string_value(json_object_get(o, "partition_key"));
  const json_t *files = json_object_get(o, "files");
  sp_buf b = SP_BUF_INIT;

  if (sql && !split)
    sp_buf_puts(&b, sql);
  else if (fn)
    sp_buf_appendf(&b, "batch function %s", fn);
  else if (json_is_integer(files))
    sp_buf_appendf(&b, "%lld file%s", (long long)json_integer_value(files),
                   json_integer_value(files) == 1 ? "" : "s");
  else if (split)
    sp_buf_appendf(&b, "into %d by %s%s%s", partitions, split,
                   key ? ": " : "", key ? key : "");
  return sp_buf_oom(&b) ? NULL : sp_buf_detach(&b);
}

/* Reads node o (the i-th) into r->nodes[i]. */
static sp_status read_node(sp_report *r, size_t i, const json_t *o,
                           const char *named, const json_t *plan,
                           sp_error **err)
{
  sp_report_node *n = &r->nodes[i];
  const json_t *ins = json_object_get(o, "inputs");
  const char *kind = json_string_value(json_object_get(o, "kind"));
  char what[96];
  size_t j;

  if (!json_is_object(o) || get_int(o, "id", 1, &n->id) != 0) {
    snprintf(what, sizeof(what), "its node %zu has no id", i);
    return old_plan(named, plan, what, err);
  }
  if (!kind || get_int(o, "partitions", 0, &n->partitions) != 0 ||
      !json_is_array(ins)) {
    snprintf(what, sizeof(what), "node #%d lacks its kind, partitions or "
             "inputs", n->id);
    return old_plan(named, plan, what, err);
  }
  if (node_index(r->nodes, i, n->id) >= 0)
    return sp_error_set(err, SP_EINVAL, "%s: node #%d appears twice", named,
                        n->id);
  if (!(n->kind = sp_strdup(kind)) ||
      !(n->detail = node_detail(o, n->partitions)) ||
      !(n->inputs = sp_calloc(json_array_size(ins) + 1, sizeof(int))))
    return sp_error_oom(err);
  for (j = 0; j < json_array_size(ins); j++) {
    const json_t *in = json_array_get(ins, j);
    json_int_t id = json_integer_value(in);
    long at = -1;
    /* Nodes come after their inputs: the graph is drawn in one pass. */
    if (json_is_integer(in) && id >= 1 && id <= INT_MAX)
      at = node_index(r->nodes, i, (int)id);
    if (at < 0)
      return sp_error_set(err, SP_EINVAL, "%s: an input of node #%d is not "
                          "a node before it", named, n->id);
    n->inputs[n->ninputs++] = (int)at;
  }
  return SP_OK;
}

/* Counts each node's worker tasks from the tasks of plan. */
static sp_status count_tasks(sp_report *r, const json_t *tasks,
                             const char *named, const json_t *plan,
                             sp_error **err)
{
  size_t i;

  for (i = 0; i < json_array_size(tasks); i++) {
    const json_t *t = json_array_get(tasks, i);
    const char *kind = json_string_value(json_object_get(t, "kind"));
    int node = 0, k = kind ? sp_task_kind_from_name(kind) : -1;
    long at = -1;
    char what[96];
    if (!json_is_string(json_object_get(t, "key")) || k < 0) {
      snprintf(what, sizeof(what), "its task %zu has no key or a kind it "
               "does not know", i);
      return old_plan(named, plan, what, err);
    }
    /* A task of no node (a count) is no step's. */
    if (json_object_get(t, "node") &&
        (get_int(t, "node", 1, &node) != 0 ||
         (at = node_index(r->nodes, r->nnodes, node)) < 0))
      return sp_error_set(err, SP_EINVAL, "%s: task %zu names a node that "
                          "is not in the plan", named, i);
    if (at >= 0 && sp_task_kind_runs_in_worker((sp_task_kind)k))
      r->nodes[at].tasks++;
  }
  return SP_OK;
}

sp_status sp_report_read_plan(sp_report *r, const char *text, size_t len,
                              const char *named, sp_error **err)
{
  json_error_t jerr;
  json_t *plan = json_loadb(text, len, 0, &jerr), *nodes, *tasks;
  sp_status st = SP_OK;
  size_t i;

  if (!plan)
    return sp_error_set(err, SP_EINVAL, "%s is not JSON: line %d: %s", named,
                        jerr.line, jerr.text);
  nodes = json_object_get(plan, "nodes");
  tasks = json_object_get(plan, "tasks");
  if (!json_is_object(plan) ||
      !json_is_string(json_object_get(plan, "version")) ||
      !json_is_array(nodes) || !json_is_array(tasks)) {
    st = old_plan(named, plan, "it lacks a version, nodes or tasks", err);
    goto out;
  }
  if (!(r->version = sp_strdup(json_string_value(
            json_object_get(plan, "version")))) ||
      !(r->nodes = sp_calloc(json_array_size(nodes) + 1, sizeof(*r->nodes)))) {
    st = sp_error_oom(err);
    goto out;
  }
  r->has_plan = 1;
  for (i = 0; i < json_array_size(nodes) && st == SP_OK; i++) {
    st = read_node(r, i, json_array_get(nodes, i), named, plan, err);
    r->nnodes = i + 1; /* its strings are freed with the rest */
  }
  if (st == SP_OK)
    st = count_tasks(r, tasks, named, plan, err);
out:
  json_decref(plan);
  return st;
}

/* tasks.csv's columns, all read as text and converted by the query. */
static const char csv_read[] =
    "SELECT \"key\", \"kind\", \"status\", \"error\", "
    "TRY_CAST(\"node\" AS BIGINT), TRY_CAST(\"partition\" AS BIGINT), "
    "TRY_CAST(\"worker\" AS BIGINT), TRY_CAST(\"attempt\" AS BIGINT), "
    "epoch_ms(try_strptime(\"start\", '%Y-%m-%dT%H:%M:%S.%gZ')), "
    "epoch_ms(try_strptime(\"end\", '%Y-%m-%dT%H:%M:%S.%gZ')), "
    "TRY_CAST(\"rows_in\" AS BIGINT), TRY_CAST(\"bytes_in\" AS BIGINT), "
    "TRY_CAST(\"rows_out\" AS BIGINT), TRY_CAST(\"bytes_out\" AS BIGINT) "
    "FROM read_csv(";
static const char csv_options[] =
    ", header = true, auto_detect = false, delim = ',', quote = '\"', "
    "escape = '\"', ignore_errors = true, store_rejects = true, "
    "columns = {'key': 'VARCHAR', 'node': 'VARCHAR', 'kind': 'VARCHAR', "
    "'partition': 'VARCHAR', 'worker': 'VARCHAR', 'attempt': 'VARCHAR', "
    "'start': 'VARCHAR', 'end': 'VARCHAR', 'seconds': 'VARCHAR', "
    "'rows_in': 'VARCHAR', 'bytes_in': 'VARCHAR', 'rows_out': 'VARCHAR', "
    "'bytes_out': 'VARCHAR', 'status': 'VARCHAR', 'error': 'VARCHAR'})";
/* DuckDB keeps the lines it could not read in temporary tables that grow
 * with each scan: emptied before one, counted after. */
static const char rejects_drop[] =
    "DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans";
static const char rejects_count[] =
    "SELECT count(DISTINCT line) FROM reject_errors";

enum { C_KEY, C_KIND, C_STATUS, C_ERROR, C_NODE, C_PART, C_WORKER,
       C_ATTEMPT, C_START, C_END, C_ROWS_IN, C_BYTES_IN, C_ROWS_OUT,
       C_BYTES_OUT, C_COUNT };

/* A chunk's column: its values and which are NULL. */
typedef struct column {
  void *data;
  uint64_t *valid;
} column;

static int is_null(const column *c, idx_t row)
{
  return c->valid && !duckdb_validity_row_is_valid(c->valid, row);
}

/* The text of column c at row as a new string, or NULL (also for NULL). */
static char *text_at(const column *c, idx_t row)
{
  duckdb_string_t *s = (duckdb_string_t *)c->data + row;

  if (is_null(c, row))
    return NULL;
  return sp_strndup(duckdb_string_t_data(s), duckdb_string_t_length(*s));
}

/* The integer of column c at row when in [lo, hi], else 0 with *bad set. */
static int64_t int_at(const column *c, idx_t row, int64_t lo, int64_t hi,
                      int *bad)
{
  int64_t v;

  if (is_null(c, row))
    return *bad = 1, 0;
  v = ((int64_t *)c->data)[row];
  if (v < lo || v > hi)
    return *bad = 1, 0;
  return v;
}

static int outcome_of(const char *s, sp_report_outcome *out)
{
  static const char *const names[] = {"ok", "retry", "failed", "lost"};
  int i;

  for (i = 0; s && i < 4; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = (sp_report_outcome)i;
      return 0;
    }
  return -1;
}

static void attempt_free(sp_report_attempt *a)
{
  sp_free(a->key);
  sp_free(a->kind);
  sp_free(a->error);
}

/* Reads row of the chunk's columns into a new attempt of r; a row that
 * does not hold an attempt is counted in r->skipped. */
static sp_status add_row(sp_report *r, const column *c, idx_t row,
                         sp_error **err)
{
  sp_report_attempt a = {0};
  char *status = NULL;
  int bad = 0, oom;

  a.key = text_at(&c[C_KEY], row);
  a.kind = text_at(&c[C_KIND], row);
  a.error = text_at(&c[C_ERROR], row);
  status = text_at(&c[C_STATUS], row);
  oom = (!a.key && !is_null(&c[C_KEY], row)) ||
        (!a.kind && !is_null(&c[C_KIND], row)) ||
        (!a.error && !is_null(&c[C_ERROR], row)) ||
        (!status && !is_null(&c[C_STATUS], row));
  a.node = (int)int_at(&c[C_NODE], row, 0, INT_MAX, &bad);
  a.partition = (int)int_at(&c[C_PART], row, 0, INT_MAX, &bad);
  a.worker = (int)int_at(&c[C_WORKER], row, 0, INT_MAX, &bad);
  a.attempt = (int)int_at(&c[C_ATTEMPT], row, 0, INT_MAX, &bad);
  a.start_ms = int_at(&c[C_START], row, 0, INT64_MAX, &bad);
  a.end_ms = int_at(&c[C_END], row, a.start_ms, INT64_MAX, &bad);
  a.rows_in = int_at(&c[C_ROWS_IN], row, -1, INT64_MAX, &bad);
  a.bytes_in = int_at(&c[C_BYTES_IN], row, -1, INT64_MAX, &bad);
  a.rows_out = int_at(&c[C_ROWS_OUT], row, -1, INT64_MAX, &bad);
  a.bytes_out = int_at(&c[C_BYTES_OUT], row, -1, INT64_MAX, &bad);
  bad = bad || !a.key || !*a.key || !a.kind || !*a.kind ||
        outcome_of(status, &a.outcome) != 0;
  sp_free(status);
  if (oom || (!bad && sp_grow((void **)&r->attempts, &r->attempts_cap,
                              r->nattempts + 1, sizeof(a)))) {
    attempt_free(&a);
    return sp_error_oom(err);
  }
  if (bad) {
    attempt_free(&a);
    r->skipped++;
    return SP_OK;
  }
  r->attempts[r->nattempts++] = a;
  return SP_OK;
}

/* Reads the rows of res into r's attempts. */
static sp_status add_rows(sp_report *r, duckdb_result res, sp_error **err)
{
  duckdb_data_chunk chunk;
  sp_status st = SP_OK;

  while (st == SP_OK && (chunk = duckdb_fetch_chunk(res))) {
    column c[C_COUNT];
    idx_t n = duckdb_data_chunk_get_size(chunk), row;
    int i;
    for (i = 0; i < C_COUNT; i++) {
      duckdb_vector v = duckdb_data_chunk_get_vector(chunk, (idx_t)i);
      c[i].data = duckdb_vector_get_data(v);
      c[i].valid = duckdb_vector_get_validity(v);
    }
    for (row = 0; row < n && st == SP_OK; row++)
      st = add_row(r, c, row, err);
    duckdb_destroy_data_chunk(&chunk);
  }
  return st;
}

/* Checks the result's columns are the query's: text, then integers. */
static int columns_as_expected(duckdb_result *res)
{
  idx_t i;

  if (duckdb_column_count(res) != C_COUNT)
    return 0;
  for (i = 0; i < C_COUNT; i++)
    if (duckdb_column_type(res, i) !=
        (i < C_NODE ? DUCKDB_TYPE_VARCHAR : DUCKDB_TYPE_BIGINT))
      return 0;
  return 1;
}

/* Whether the file at path starts with this version's header: 1, 0 when
 * not (*empty set when it has no bytes), -1 when it cannot be read. */
static int header_ok(const char *path, int *empty)
{
  char line[sizeof(SP_ATTEMPTS_HEADER) + 1];
  size_t n;
  FILE *f = fopen(path, "r");

  if (!f)
    return -1;
  n = fread(line, 1, sizeof(line) - 1, f);
  fclose(f);
  *empty = n == 0;
  return n >= strlen(SP_ATTEMPTS_HEADER) &&
         memcmp(line, SP_ATTEMPTS_HEADER, strlen(SP_ATTEMPTS_HEADER)) == 0;
}

static int by_key_start(const void *x, const void *y)
{
  const sp_report_attempt *a = *(sp_report_attempt *const *)x;
  const sp_report_attempt *b = *(sp_report_attempt *const *)y;
  int c = strcmp(a->key, b->key);

  if (c)
    return c;
  return a->start_ms != b->start_ms ? (a->start_ms < b->start_ms ? -1 : 1)
                                    : (a->attempt > b->attempt) -
                                          (a->attempt < b->attempt);
}

/* Marks the attempts that started while another of their task ran. */
static sp_status mark_speculative(sp_report *r, sp_error **err)
{
  sp_report_attempt **by = sp_calloc(r->nattempts + 1, sizeof(*by));
  int64_t busy_until = 0;
  size_t i;

  if (!by)
    return sp_error_oom(err);
  for (i = 0; i < r->nattempts; i++)
    by[i] = &r->attempts[i];
  qsort(by, r->nattempts, sizeof(*by), by_key_start);
  for (i = 0; i < r->nattempts; i++) {
    if (i == 0 || strcmp(by[i]->key, by[i - 1]->key) != 0)
      busy_until = 0; /* the task's first attempt */
    else if (by[i]->start_ms < busy_until)
      by[i]->speculative = 1;
    if (by[i]->end_ms > busy_until)
      busy_until = by[i]->end_ms;
  }
  sp_free(by);
  return SP_OK;
}

sp_status sp_report_read_attempts(sp_report *r, duckdb_connection con,
                                  const char *path, sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  duckdb_result res;
  int empty = 0, ok = header_ok(path, &empty), have_res = 0;
  int64_t rejected = 0;
  sp_status st = SP_OK;

  if (ok < 0 && errno == ENOENT)
    return SP_OK; /* no attempt ended yet */
  if (ok < 0)
    return sp_error_set(err, SP_EIO, "cannot read %s: %s", path,
                        strerror(errno));
  if (empty)
    return SP_OK; /* made, its header not yet written */
  if (!ok)
    return sp_error_set(err, SP_EINVAL, "%s does not start with the "
                        "columns smallpond %s writes (%.*s): written by "
                        "another version", path, SP_VERSION_STRING,
                        (int)strlen(SP_ATTEMPTS_HEADER) - 1,
                        SP_ATTEMPTS_HEADER);
  sp_buf_puts(&sql, csv_read);
  sp_buf_append_literal(&sql, path);
  sp_buf_puts(&sql, csv_options);
  if (sp_buf_oom(&sql)) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((st = sp_duck_exec(con, rejects_drop, err)) != SP_OK)
    goto out;
  have_res = 1;
  if (duckdb_query(con, sql.data, &res) == DuckDBError) {
    st = sp_duck_result_error(&res, err);
    sp_error_prefix(err, "reading %s: ", path);
    goto out;
  }
  if (!columns_as_expected(&res)) {
    st = sp_error_set(err, SP_EINTERNAL, "reading %s: unexpected columns",
                      path);
    goto out;
  }
  if ((st = add_rows(r, res, err)) != SP_OK ||
      (st = sp_duck_query_i64(con, rejects_count, &rejected, err)) != SP_OK)
    goto out;
  r->skipped += (size_t)rejected;
  st = mark_speculative(r, err);
out:
  if (have_res)
    duckdb_destroy_result(&res);
  sp_buf_release(&sql);
  return st;
}

/* Reads dir's plan.json into r, when there is one. */
static sp_status load_plan(sp_report *r, const char *dir, sp_error **err)
{
  sp_buf path = SP_BUF_INIT;
  char *text = NULL;
  size_t len = 0;
  sp_status st = SP_OK;

  sp_buf_appendf(&path, "%s/plan.json", dir);
  if (sp_buf_oom(&path))
    st = sp_error_oom(err);
  else if (sp_path_exists(path.data) &&
           (st = sp_read_file(path.data, &text, &len, err)) == SP_OK)
    st = sp_report_read_plan(r, text, len, path.data, err);
  sp_free(text);
  sp_buf_release(&path);
  return st;
}

sp_status sp_report_load(sp_report *r, const char *job_dir, sp_error **err)
{
  duckdb_database db = NULL;
  duckdb_connection con = NULL;
  sp_buf csv = SP_BUF_INIT;
  time_t end;
  sp_status st;

  memset(r, 0, sizeof(*r));
  if (!(r->job = sp_strdup(job_dir)))
    return sp_error_oom(err);
  sp_job_state(job_dir, r->state, sizeof(r->state), &end);
  if ((st = load_plan(r, job_dir, err)) != SP_OK)
    goto out;
  sp_buf_appendf(&csv, "%s/log/tasks.csv", job_dir);
  if (sp_buf_oom(&csv)) {
    st = sp_error_oom(err);
    goto out;
  }
  /* DuckDB only when there is a file for it to read. */
  if (sp_path_exists(csv.data) &&
      (st = sp_duck_open_connected(&db, &con, err)) == SP_OK)
    st = sp_report_read_attempts(r, con, csv.data, err);
out:
  sp_duck_close(&db, &con);
  sp_buf_release(&csv);
  return st;
}

void sp_report_release(sp_report *r)
{
  size_t i;

  for (i = 0; i < r->nnodes; i++) {
    sp_free(r->nodes[i].kind);
    sp_free(r->nodes[i].detail);
    sp_free(r->nodes[i].inputs);
  }
  for (i = 0; i < r->nattempts; i++)
    attempt_free(&r->attempts[i]);
  sp_free(r->nodes);
  sp_free(r->attempts);
  sp_free(r->version);
  sp_free(r->job);
  memset(r, 0, sizeof(*r));
}
