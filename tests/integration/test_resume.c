/*
 * test_resume.c - a rerun with the same job id trusts nothing that
 * state.jsonl says: a line that points outside the job folder, a file
 * damaged since it was written, or a malformed reader spec is recomputed
 * (the answer still DuckDB's), and a job folder that moved is reused
 * whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "smallpond.h"
#include "testkit.h"

#define ROWS 20000
#define FILES 4
#define KEYS 50

typedef struct fixture {
  char *dir;
  char glob[4096];
  char root[4096];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  if (!f || !(f->dir = tk_tmpdir()) ||
      tk_make_table(f->dir, ROWS, FILES, KEYS) != 0)
    return -1;
  snprintf(f->glob, sizeof(f->glob), "%s/part-*.parquet", f->dir);
  snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  tk_rm_rf(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

/* The aggregate a pipeline computes, and the same in plain DuckDB. */
#define AGG "SELECT k, count(*) AS n, min(v) AS lo FROM {0} GROUP BY k"
#define AGG2 "SELECT k, max(v) AS m FROM {0} GROUP BY k"

static const char *expected(const fixture *f, const char *agg)
{
  const char *sel = strcmp(agg, AGG) == 0 ? "k, count(*) AS n, min(v) AS lo"
                                          : "k, max(v) AS m";
  return tk_fmt("SELECT %s FROM read_parquet('%s') GROUP BY k", sel,
                f->glob);
}

/* Runs by files -> a projection -> hash by k -> agg -> write into out,
 * in a session of job job_id under root. */
static void run_pipeline(const fixture *f, const char *root,
                         const char *job_id, const char *agg,
                         const char *out)
{
  const char *cols[] = {"k"}, *glob = f->glob;
  sp_repartition_options by_k = {.hash_by = cols, .nhash_by = 1};
  sp_session *s = tk_session_keeping(root, 2, job_id);
  sp_error *err = NULL;
  sp_df *df;

  tk_check(sp_read_parquet(s, &glob, 1, NULL, &df, &err), &err);
  tk_check(sp_repartition(df, 3, NULL, &df, &err), &err);
  tk_check(sp_partial_sql(s, "SELECT k, v FROM {0} WHERE v IS NOT NULL",
                          &df, 1, NULL, &df, &err), &err);
  tk_check(sp_repartition(df, 3, &by_k, &df, &err), &err);
  tk_check(sp_partial_sql(s, agg, &df, 1, NULL, &df, &err), &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  sp_close(&s);
}

static const char *state_path(const char *root, const char *job_id)
{
  return tk_fmt("%s/%s/state.jsonl", root, job_id);
}

/* Reads state.jsonl as an array of its lines. */
static json_t *read_state(const char *path)
{
  char *text = tk_read(path), *line, *save = NULL;
  json_t *lines = json_array();

  assert_non_null(text);
  for (line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    json_t *j = json_loads(line, 0, NULL);
    assert_non_null(j);
    json_array_append_new(lines, j);
  }
  free(text);
  return lines;
}

static void write_state(const char *path, const json_t *lines)
{
  FILE *fp = fopen(path, "w");
  size_t i;
  json_t *j;

  assert_non_null(fp);
  json_array_foreach(lines, i, j) {
    char *text = json_dumps(j, JSON_COMPACT);
    fprintf(fp, "%s\n", text);
    free(text);
  }
  fclose(fp);
}

/* The node id of the last line of kind `kind` (the latest such step). */
static json_int_t last_node(const json_t *lines, const char *kind)
{
  json_int_t node = -1;
  size_t i;
  json_t *j;

  json_array_foreach(lines, i, j)
    if (strcmp(json_string_value(json_object_get(j, "kind")), kind) == 0)
      node = json_integer_value(json_object_get(j, "node"));
  assert_true(node > 0);
  return node;
}

static int is_step(const json_t *line, const char *kind, json_int_t node)
{
  return strcmp(json_string_value(json_object_get(line, "kind")), kind) ==
             0 &&
         json_integer_value(json_object_get(line, "node")) == node;
}

static char *driver_log(const char *root, const char *job_id)
{
  char *log = tk_read(tk_fmt("%s/%s/log/driver.log", root, job_id));

  assert_non_null(log);
  return log;
}

/* Every line of the aggregate's tasks points at a 0600 Parquet file
 * outside the job folder, with its true size and footer: none is
 * published, the aggregate is recomputed. */
static void test_path_outside_job(void **state)
{
  fixture *f = *state;
  const char *secret = tk_path(f->dir, "secret.parquet");
  const char *out = tk_path(f->dir, "outside-2");
  json_t *lines, *j;
  json_int_t agg;
  struct stat sb, o;
  char *log;
  size_t i;
  int forged = 0;

  run_pipeline(f, f->root, "outside", AGG, tk_path(f->dir, "outside-1"));
  tk_duck_exec(tk_fmt("COPY (SELECT 424242 AS k, 7 AS n, 1.5 AS s) TO '%s' "
                      "(FORMAT parquet)", secret));
  assert_int_equal(chmod(secret, 0600), 0);
  assert_int_equal(stat(secret, &sb), 0);
  lines = read_state(state_path(f->root, "outside"));
  agg = last_node(lines, "sql");
  json_array_foreach(lines, i, j) {
    json_t *piece;
    if (!is_step(j, "sql", agg))
      continue;
    piece = json_array_get(json_array_get(json_object_get(j, "outputs"), 0),
                           0);
    /* The path outside, absolute and through "..": both refused. */
    json_object_set_new(piece, "path",
                        json_string(forged++ % 2
                                        ? secret
                                        : tk_fmt("data/../../%s",
                                                 "../secret.parquet")));
    json_object_set_new(piece, "rows", json_integer(1));
  }
  assert_true(forged >= 2);
  write_state(state_path(f->root, "outside"), lines);
  json_decref(lines);

  run_pipeline(f, f->root, "outside", AGG, out);
  tk_assert_same_rows(expected(f, AGG),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  for (i = 0; i < 3; i++) {
    const char *p = tk_fmt("%s/part-%05zu-000.parquet", out, i);
    if (stat(p, &o) == 0)
      assert_true(o.st_ino != sb.st_ino);
  }
  log = driver_log(f->root, "outside");
  assert_true(tk_count(log, "outside the job folder") +
                  tk_count(log, "empty, . or .. component") >=
              forged);
  free(log);
}

/* A committed file cut to half its size is recomputed, not reused. */
static void test_damaged_file(void **state)
{
  fixture *f = *state;
  const char *out = tk_path(f->dir, "damaged-2");
  json_t *lines, *j;
  json_int_t agg;
  char *log;
  size_t i;
  int cut = 0;

  run_pipeline(f, f->root, "damaged", AGG, tk_path(f->dir, "damaged-1"));
  lines = read_state(state_path(f->root, "damaged"));
  agg = last_node(lines, "sql");
  json_array_foreach(lines, i, j) {
    const char *rel;
    struct stat sb;
    if (!is_step(j, "sql", agg) || cut)
      continue;
    rel = json_string_value(json_object_get(
        json_array_get(json_array_get(json_object_get(j, "outputs"), 0), 0),
        "path"));
    assert_non_null(rel);
    assert_int_not_equal(rel[0], '/'); /* stored relative to the job */
    {
      const char *abs = tk_fmt("%s/damaged/%s", f->root, rel);
      assert_int_equal(stat(abs, &sb), 0);
      assert_int_equal(truncate(abs, sb.st_size / 2), 0);
    }
    cut = 1;
  }
  json_decref(lines);
  assert_true(cut);

  run_pipeline(f, f->root, "damaged", AGG, out);
  tk_assert_same_rows(expected(f, AGG),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  log = driver_log(f->root, "damaged");
  assert_int_equal(tk_count(log, "is not a whole Parquet file") +
                       tk_count(log, "has changed since it was written"),
                   1);
  free(log);
}

/* A data root moved elsewhere is reused whole: nothing runs again. */
static void test_moved_root(void **state)
{
  fixture *f = *state;
  const char *moved = tk_path(f->dir, "moved-root");
  const char *out = tk_path(f->dir, "moved-2");
  json_t *before, *after;

  run_pipeline(f, f->root, "moved", AGG, tk_path(f->dir, "moved-1"));
  before = read_state(state_path(f->root, "moved"));
  assert_int_equal(tk_mkdir_p(moved), 0);
  assert_int_equal(rename(tk_path(f->root, "moved"),
                          tk_path(moved, "moved")), 0);
  run_pipeline(f, moved, "moved", AGG, out);
  after = read_state(state_path(moved, "moved"));
  assert_int_equal(json_array_size(after), json_array_size(before));
  tk_assert_same_rows(expected(f, AGG),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  json_decref(before);
  json_decref(after);
}

/* A shuffle's folder moved outside the job and linked back: its files are
 * the same, fingerprints and all, but they resolve outside data/, so the
 * shuffle runs again (nothing outside the job is reused or published). */
static void test_link_out_of_job(void **state)
{
  fixture *f = *state;
  const char *outside = tk_path(f->dir, "elsewhere");
  const char *out = tk_path(f->dir, "linked-2");
  json_t *lines, *j;
  json_int_t shuffle;
  char *log;
  size_t i;
  int moved = 0;

  run_pipeline(f, f->root, "linked", AGG, tk_path(f->dir, "linked-1"));
  assert_int_equal(tk_mkdir_p(outside), 0);
  lines = read_state(state_path(f->root, "linked"));
  shuffle = last_node(lines, "shuffle");
  json_array_foreach(lines, i, j) {
    const char *key = json_string_value(json_object_get(j, "key"));
    const char *dir = tk_fmt("%s/linked/data/%s", f->root, key);
    if (!is_step(j, "shuffle", shuffle))
      continue;
    assert_int_equal(rename(dir, tk_path(outside, key)), 0);
    assert_int_equal(symlink(tk_path(outside, key), dir), 0);
    moved++;
  }
  json_decref(lines);
  assert_true(moved >= 2);
  run_pipeline(f, f->root, "linked", AGG2, out);
  tk_assert_same_rows(expected(f, AGG2),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  log = driver_log(f->root, "linked");
  assert_int_equal(tk_count(log, "is not inside"), moved);
  free(log);
  /* The link went, what it led to stays. */
  assert_true(tk_duck_i64(tk_fmt("SELECT count(*) FROM glob('%s/*/*')",
                                 outside)) >= moved);
}

/* Malformed reader specs on the files a later step reads: the lines are
 * skipped with a warning and their tasks run again; no worker crashes. */
static void test_malformed_reader(void **state)
{
  fixture *f = *state;
  static const char *const bad[] = {
    "{\"format\": \"csv\", \"columns\": [1, 2]}",
    "{\"format\": \"json\", \"columns\": [[\"a\"]]}",
    "{\"format\": \"parquet\", \"columns\": [[\"k\", \"INT\"]]}",
    "{\"format\": \"parquet\", \"columns\": 7}",
  };
  const char *out = tk_path(f->dir, "specs-2");
  json_t *lines, *j;
  json_int_t shuffle;
  char *log;
  size_t i;
  int forged = 0;

  run_pipeline(f, f->root, "specs", AGG, tk_path(f->dir, "specs-1"));
  lines = read_state(state_path(f->root, "specs"));
  shuffle = last_node(lines, "shuffle");
  json_array_foreach(lines, i, j) {
    json_t *ds, *piece;
    size_t k, m;
    if (!is_step(j, "shuffle", shuffle))
      continue;
    json_array_foreach(json_object_get(j, "outputs"), k, ds)
      json_array_foreach(ds, m, piece)
        json_object_set_new(piece, "reader",
                            json_loads(bad[forged % 4], 0, NULL));
    forged++;
  }
  assert_true(forged >= 2);
  write_state(state_path(f->root, "specs"), lines);
  json_decref(lines);

  /* Another aggregate over the same shuffle: its producers are needed. */
  run_pipeline(f, f->root, "specs", AGG2, out);
  tk_assert_same_rows(expected(f, AGG2),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  log = driver_log(f->root, "specs");
  assert_int_equal(tk_count(log, "cannot be reused: dataset: piece 0: "
                                 "reader: "),
                   forged);
  assert_int_equal(tk_count(log, "died"), 0);
  free(log);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_path_outside_job),
    cmocka_unit_test(test_damaged_file),
    cmocka_unit_test(test_moved_root),
    cmocka_unit_test(test_link_out_of_job),
    cmocka_unit_test(test_malformed_reader),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
