/*
 * test_api.c - pipelines through the public API, each result compared with
 * the same query run directly in DuckDB on the same files.
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

#define ROWS 30000
#define FILES 6
#define KEYS 1000

typedef struct fixture {
  char *dir;        /* the test's temporary folder */
  const char *glob; /* the input files */
  char root[4096];  /* data root */
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  if (!f || !(f->dir = tk_tmpdir()))
    return -1;
  if (tk_make_table(f->dir, ROWS, FILES, KEYS) != 0)
    return -1;
  f->glob = strdup(tk_path(f->dir, "part-*.parquet"));
  snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  tk_rm_rf(f->dir);
  free(f->dir);
  free((void *)f->glob);
  free(f);
  return 0;
}

static sp_session *open_session(fixture *f, int workers, const char *job_id)
{
  return tk_session(f->root, workers, job_id);
}

/* A session whose job keeps its intermediate data for the next one. */
static sp_session *open_kept_session(fixture *f, int workers,
                                     const char *job_id)
{
  return tk_session_keeping(f->root, workers, job_id);
}

static sp_df *read_input(sp_session *s, const fixture *f)
{
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_read_parquet(s, &f->glob, 1, NULL, &df, &err), &err);
  return df;
}

static sp_df *hash_by(sp_df *df, int n, const char *const *cols, size_t ncols)
{
  sp_repartition_options opt = {.hash_by = cols, .nhash_by = ncols};
  sp_error *err = NULL;
  sp_df *out = NULL;

  tk_check(sp_repartition(df, n, &opt, &out, &err), &err);
  return out;
}

static sp_df *sql1(sp_session *s, const char *query, sp_df *in)
{
  sp_error *err = NULL;
  sp_df *out = NULL;

  tk_check(sp_partial_sql(s, query, &in, 1, NULL, &out, &err), &err);
  return out;
}

static void write_ok(sp_df *df, const char *dir)
{
  sp_error *err = NULL;

  tk_check(sp_write_parquet(df, dir, NULL, &err), &err);
}

static const char *input_sql(const fixture *f, const char *select)
{
  return tk_fmt("SELECT %s FROM read_parquet('%s')", select, f->glob);
}

static const char *output_sql(const char *dir, const char *select)
{
  return tk_fmt("SELECT %s FROM read_parquet('%s/*.parquet')", select, dir);
}

/* smallpond's quick start: hash by key, aggregate per partition. */
static void test_hash_then_group_by(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  const char *agg = "SELECT k, count(*) AS n, sum(id) AS s, min(v) AS lo, "
                    "max(name) AS hi FROM {0} GROUP BY k";
  const char *out = tk_path(f->dir, "out");
  sp_session *s = open_session(f, 2, "quickstart");
  char *job_dir = strdup(sp_session_job_dir(s)), *log1, *log2;
  sp_df *df = sql1(s, agg, hash_by(read_input(s, f), 3, cols, 1));

  assert_int_equal(sp_session_workers(s), 2);
  assert_int_equal(sp_session_workers(NULL), 0);
  write_ok(df, out);
  sp_close(&s);
  tk_assert_same_rows(tk_fmt("SELECT k, count(*), sum(id), min(v), max(name) "
                          "FROM read_parquet('%s') GROUP BY k", f->glob),
                   output_sql(out, "*"));
  /* Every key was computed in exactly one partition (one file each). */
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM (SELECT k FROM read_parquet('%s/*.parquet', "
      "filename = true) GROUP BY k HAVING count(DISTINCT filename) > 1)",
      out)), 0);
  /* Producers and consumers ran on both workers. */
  log1 = tk_executor_log(job_dir, 1);
  log2 = tk_executor_log(job_dir, 2);
  assert_true(tk_count(log1, ": done,") > 0);
  assert_true(tk_count(log2, ": done,") > 0);
  assert_true(tk_count(log1, " shuffle partition ") +
              tk_count(log2, " shuffle partition ") >= 2);
  free(log1);
  free(log2);
  free(job_dir);
}

/* Hash partitions: the union is the input and a key lives in one
 * partition, for several partition counts and a two-column key. */
static void test_hash_partition_properties(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k", "name"};
  const int counts[] = {1, 4, 9};
  sp_session *s = open_session(f, 2, "hash");
  size_t i;

  for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
    const char *out = tk_path(f->dir, tk_fmt("hash-%d", counts[i]));
    write_ok(hash_by(read_input(s, f), counts[i], cols, 2), out);
    tk_assert_same_rows(input_sql(f, "*"), output_sql(out, "*"));
    assert_int_equal(tk_duck_i64(tk_fmt(
        "SELECT count(*) FROM (SELECT k, name FROM read_parquet("
        "'%s/*.parquet', filename = true) GROUP BY k, name HAVING "
        "count(DISTINCT regexp_extract(filename, 'part-(\\d+)-', 1)) > 1)",
        out)), 0);
    assert_true(tk_duck_i64(tk_fmt(
        "SELECT count(DISTINCT regexp_extract(filename, 'part-(\\d+)-', 1)) "
        "FROM read_parquet('%s/*.parquet', filename = true)", out)) <=
        counts[i]);
  }
  sp_close(&s);
}

/* Even splits by files and by rows keep every row; by rows, partition
 * sizes differ by at most one. */
static void test_even_splits(void **state)
{
  fixture *f = *state;
  sp_session *s = open_session(f, 2, "even");
  int n, by_rows;

  for (by_rows = 0; by_rows <= 1; by_rows++)
    for (n = 1; n <= 2 * FILES + 1; n += by_rows ? 3 : 1) {
      sp_repartition_options opt = {.by_rows = by_rows};
      const char *out = tk_path(f->dir, tk_fmt("even-%d-%d", by_rows, n));
      sp_error *err = NULL;
      sp_df *df = NULL;
      int64_t count = -1;

      tk_check(sp_repartition(read_input(s, f), n, &opt, &df, &err), &err);
      assert_int_equal(sp_df_num_partitions(df), n);
      tk_check(sp_count(df, &count, &err), &err);
      assert_int_equal(count, ROWS);
      write_ok(df, out);
      tk_assert_same_rows(input_sql(f, "*"), output_sql(out, "*"));
      if (by_rows)
        assert_true(tk_duck_i64(tk_fmt(
            "SELECT max(c) - min(c) FROM (SELECT filename, count(*) AS c "
            "FROM read_parquet('%s/*.parquet', filename = true) GROUP BY "
            "ALL)", out)) <= 1);
    }
  sp_close(&s);
}

static void test_count(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  sp_session *s = open_session(f, 2, "count");
  sp_error *err = NULL;
  int64_t n = -1;

  tk_check(sp_count(read_input(s, f), &n, &err), &err);
  assert_int_equal(n, tk_duck_i64(input_sql(f, "count(*)")));
  tk_check(sp_count(sql1(s, "SELECT * FROM {0} WHERE v < 300",
                         read_input(s, f)), &n, &err), &err);
  assert_int_equal(n, tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM read_parquet('%s') WHERE v < 300", f->glob)));
  tk_check(sp_count(hash_by(read_input(s, f), 4, cols, 1), &n, &err), &err);
  assert_int_equal(n, ROWS);
  sp_close(&s);
}

/* take: values and NULLs, in order, equal DuckDB's for the same query. */
static void test_take(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  sp_session *s = open_session(f, 2, "take");
  sp_error *err = NULL;
  sp_rows *rows = NULL;
  size_t r;

  tk_check(sp_take(sql1(s, "SELECT id, name FROM {0} ORDER BY id DESC",
                        read_input(s, f)), 20, &rows, &err), &err);
  assert_int_equal(sp_rows_count(rows), 20);
  assert_int_equal(sp_rows_column_count(rows), 2);
  assert_string_equal(sp_rows_column_name(rows, 0), "id");
  assert_string_equal(sp_rows_column_type(rows, 0), "BIGINT");
  assert_string_equal(sp_rows_column_name(rows, 1), "name");
  for (r = 0; r < 20; r++) {
    const char *q = tk_fmt("FROM read_parquet('%s') ORDER BY id DESC LIMIT 1 "
                           "OFFSET %zu", f->glob, r);
    assert_int_equal(strtoll(sp_rows_value(rows, r, 0), NULL, 10),
                     tk_duck_i64(tk_fmt("SELECT id %s", q)));
    assert_int_equal(sp_rows_value(rows, r, 1) == NULL,
                     tk_duck_i64(tk_fmt("SELECT (name IS NULL)::INT %s", q)));
  }
  sp_rows_free(&rows);
  /* Over several partitions: n rows, or all of them. */
  tk_check(sp_take(hash_by(read_input(s, f), 4, cols, 1), 25, &rows, &err),
           &err);
  assert_int_equal(sp_rows_count(rows), 25);
  assert_int_equal(sp_rows_column_count(rows), 4);
  sp_rows_free(&rows);
  tk_check(sp_take(sql1(s, "SELECT * FROM {0} LIMIT 3", read_input(s, f)),
                   1000, &rows, &err), &err);
  assert_int_equal(sp_rows_count(rows), 3);
  sp_rows_free(&rows);
  sp_close(&s);
}

/* Two hash-partitioned inputs are zipped partition by partition; a
 * one-partition input is broadcast; no input runs one task. */
static void test_multi_input_sql(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  char *small = strdup(tk_path(f->dir, "small"));
  char *small_glob_copy = strdup(tk_path(small, "part-*.parquet"));
  const char *join = "SELECT a.id AS a_id, b.id AS b_id, a.k FROM {0} a "
                     "JOIN {1} b ON a.k = b.k";
  const char *out = tk_path(f->dir, "join"), *bout = tk_path(f->dir, "bcast");
  sp_session *s;
  sp_error *err = NULL;
  sp_df *in[2], *df = NULL;
  int64_t n = -1;

  assert_int_equal(mkdir(small, 0777), 0);
  assert_int_equal(tk_make_table(small, 2000, 2, KEYS), 0);
  s = open_session(f, 2, "join");
  in[0] = hash_by(read_input(s, f), 4, cols, 1);
  tk_check(sp_read_parquet(s, (const char **)&small_glob_copy, 1, NULL, &in[1],
                           &err), &err);
  in[1] = hash_by(in[1], 4, cols, 1);
  tk_check(sp_partial_sql(s, join, in, 2, NULL, &df, &err), &err);
  assert_int_equal(sp_df_num_partitions(df), 4);
  write_ok(df, out);
  /* Broadcast: the small table whole next to each of 4 partitions. */
  tk_check(sp_read_parquet(s, (const char **)&small_glob_copy, 1, NULL, &in[1],
                           &err), &err);
  tk_check(sp_partial_sql(s, join, in, 2, NULL, &df, &err), &err);
  write_ok(df, bout);
  tk_check(sp_partial_sql(s, "SELECT * FROM range(3)", NULL, 0, NULL, &df,
                          &err), &err);
  tk_check(sp_count(df, &n, &err), &err);
  assert_int_equal(n, 3);
  sp_close(&s);
  const char *expected = tk_fmt(
      "SELECT a.id, b.id, a.k FROM read_parquet('%s') a JOIN "
      "read_parquet('%s') b ON a.k = b.k", f->glob, small_glob_copy);
  tk_assert_same_rows(expected, output_sql(out, "*"));
  tk_assert_same_rows(expected, output_sql(bout, "*"));
  free(small_glob_copy);
  free(small);
}

static void test_error_glob_matches_nothing(void **state)
{
  fixture *f = *state;
  const char *pattern = tk_path(f->dir, "nothing-*.parquet");
  sp_session *s = open_session(f, 1, "noglob");
  sp_error *err = NULL;
  sp_df *df = NULL;

  assert_int_equal(sp_read_parquet(s, &pattern, 1, NULL, &df, &err), SP_ENOENT);
  assert_non_null(strstr(sp_error_message(err), pattern));
  assert_null(df);
  sp_error_free(&err);
  sp_close(&s);
}

static void test_error_bad_sql(void **state)
{
  fixture *f = *state;
  const char *query = "SELEC k FROM {0}";
  const char *out = tk_path(f->dir, "bad-sql");
  sp_session *s = open_session(f, 2, "badsql");
  sp_error *err = NULL;
  sp_df *df = sql1(s, query, read_input(s, f));

  assert_int_equal(sp_write_parquet(df, out, NULL, &err), SP_ESQL);
  assert_non_null(strstr(sp_error_message(err), "syntax error"));
  assert_non_null(sp_error_sql(err));
  assert_string_equal(sp_error_sql(err), query);
  assert_non_null(sp_error_task(err));
  assert_false(tk_exists(out));
  sp_error_free(&err);
  /* A failed run leaves an existing empty folder as it was. */
  assert_int_equal(mkdir(out, 0777), 0);
  assert_int_equal(sp_write_parquet(df, out, NULL, &err), SP_ESQL);
  sp_error_free(&err);
  assert_int_equal(
      tk_duck_i64(tk_fmt("SELECT count(*) FROM glob('%s/*')", out)), 0);
  /* A binding error quotes the query as written, not the statement that
   * ran it; two statements are refused before anything runs. */
  df = sql1(s, "SELECT nosuch_col FROM {0}", read_input(s, f));
  assert_int_equal(sp_write_parquet(df, out, NULL, &err), SP_ESQL);
  assert_non_null(strstr(sp_error_message(err), "nosuch_col"));
  assert_null(strstr(sp_error_message(err), "COPY"));
  sp_error_free(&err);
  df = sql1(s, "SELECT 1 AS a; SELECT 2 AS a", read_input(s, f));
  assert_int_equal(sp_write_parquet(df, out, NULL, &err), SP_ESQL);
  assert_non_null(strstr(sp_error_message(err), "one SQL statement, got 2"));
  sp_error_free(&err);
  sp_close(&s);
}

static void test_error_missing_hash_column(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"nosuch_column"};
  const char *out = tk_path(f->dir, "bad-col");
  sp_session *s = open_session(f, 2, "badcol");
  sp_error *err = NULL;

  assert_int_equal(sp_write_parquet(hash_by(read_input(s, f), 3, cols, 1),
                                    out, NULL, &err), SP_ESQL);
  assert_non_null(strstr(sp_error_message(err), "nosuch_column"));
  assert_false(tk_exists(out));
  sp_error_free(&err);
  sp_close(&s);
}

static void test_error_output_not_empty(void **state)
{
  fixture *f = *state;
  const char *out = tk_path(f->dir, "full");
  const char *keep = tk_path(out, "keep.txt");
  sp_session *s = open_session(f, 1, "full");
  sp_error *err = NULL;
  FILE *fp;

  assert_int_equal(mkdir(out, 0777), 0);
  assert_non_null(fp = fopen(keep, "w"));
  fclose(fp);
  assert_int_equal(sp_write_parquet(read_input(s, f), out, NULL, &err),
                   SP_EEXIST);
  assert_non_null(strstr(sp_error_message(err), out));
  assert_true(tk_exists(keep));
  assert_int_equal(
      tk_duck_i64(tk_fmt("SELECT count(*) FROM glob('%s/*')", out)), 1);
  sp_error_free(&err);
  sp_close(&s);
}

/* Every array a public function takes with its length: NULL with a
 * length above 0 is refused with SP_EINVAL naming the argument, and
 * nothing crashes. */
static void test_error_pointer_count_pairs(void **state)
{
  fixture *f = *state;
  sp_session *s = open_session(f, 1, "pairs");
  sp_df *in = read_input(s, f), *df = NULL;
  sp_repartition_options hash = {.hash_by = NULL, .nhash_by = 2};
  sp_read_options cols = {.columns = NULL, .ncolumns = 3};
  sp_config cfg;
  sp_session *other = NULL;
  sp_error *err = NULL;
  struct {
    sp_status st;
    const char *name;
  } got[7];
  size_t i;

  got[0].st = sp_repartition(in, 3, &hash, &df, &err);
  got[0].name = "hash_by";
  got[1].st = sp_read_parquet(s, NULL, 2, NULL, &df, NULL);
  got[1].name = "paths";
  got[2].st = sp_read_parquet(s, &f->glob, 1, &cols, &df, NULL);
  got[2].name = "columns";
  got[3].st = sp_partial_sql(s, "SELECT 1", NULL, 2, NULL, &df, NULL);
  got[3].name = "inputs";
  got[4].st = sp_union(NULL, 2, &df, NULL);
  got[4].name = "dfs";
  got[5].st = sp_compute(NULL, 1, NULL);
  got[5].name = "dfs";
  sp_config_init(&cfg);
  cfg.data_root = f->root;
  cfg.job_id = "pairs-init";
  cfg.nbatch_functions = 1;
  got[6].st = sp_init(&cfg, &other, NULL);
  got[6].name = "batch_functions";
  assert_null(other);
  for (i = 0; i < sizeof(got) / sizeof(got[0]); i++)
    if (got[i].st != SP_EINVAL)
      fail_msg("case %zu (%s): status %d, not SP_EINVAL", i, got[i].name,
               got[i].st);
  /* The messages name the argument (checked where err was passed). */
  assert_non_null(strstr(sp_error_message(err), "hash_by is NULL"));
  sp_error_free(&err);
  assert_int_equal(sp_union(NULL, 2, &df, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "dfs is NULL"));
  sp_error_free(&err);
  assert_int_equal(sp_partial_sql(s, "SELECT 1", NULL, 2, NULL, &df, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "inputs is NULL"));
  sp_error_free(&err);
  assert_int_equal(sp_read_parquet(s, NULL, 2, NULL, &df, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "paths is NULL"));
  sp_error_free(&err);
  sp_close(&s);
}

static void test_error_bad_template(void **state)
{
  fixture *f = *state;
  sp_session *s = open_session(f, 1, "template");
  sp_error *err = NULL;
  sp_df *in = read_input(s, f), *df = NULL;

  assert_int_equal(sp_partial_sql(s, "SELECT * FROM {1}", &in, 1, NULL, &df,
                                  &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "{1}"));
  sp_error_free(&err);
  sp_close(&s);
}

static size_t count_lines(const char *path)
{
  char *text = tk_read(path);
  size_t n = (size_t)tk_count(text, "\n");

  free(text);
  return n;
}

/* Rerunning with the same job id and data root reuses finished tasks. */
static void test_resume_same_job_id(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  const char *agg = "SELECT k, count(*) AS n FROM {0} GROUP BY k";
  char *out1 = strdup(tk_path(f->dir, "resume-1"));
  char *out2 = strdup(tk_path(f->dir, "resume-2"));
  char *state_path;
  sp_session *s = open_kept_session(f, 2, "resume");
  size_t lines;

  state_path = strdup(tk_path(sp_session_job_dir(s), "state.jsonl"));
  write_ok(sql1(s, agg, hash_by(read_input(s, f), 3, cols, 1)), out1);
  sp_close(&s);
  lines = count_lines(state_path);
  assert_true(lines >= 6); /* producers and the 3 SQL tasks */
  s = open_kept_session(f, 2, "resume");
  write_ok(sql1(s, agg, hash_by(read_input(s, f), 3, cols, 1)), out2);
  sp_close(&s);
  assert_int_equal(count_lines(state_path), lines);
  tk_assert_same_rows(output_sql(out1, "*"), output_sql(out2, "*"));
  free(state_path);
  free(out1);
  free(out2);
}

/* SQL attempts that ran in the job so far (log/tasks.csv). */
static int64_t sql_attempts(sp_session *s)
{
  return tk_duck_i64(tk_fmt("SELECT count(*) FROM read_csv('%s/log/tasks.csv')"
                            " WHERE kind = 'sql' AND status = 'ok'",
                            sp_session_job_dir(s)));
}

/* An aggregate over 3 partitions (3 SQL tasks) and a map over it. */
static sp_df *recompute_pipeline(sp_session *s, fixture *f, sp_df **mapped)
{
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_repartition(read_input(s, f), 3, NULL, &df, &err), &err);
  tk_check(sp_partial_sql(s, "SELECT k, count(*) AS n FROM {0} GROUP BY k "
                          "ORDER BY k", &df, 1, NULL, &df, &err), &err);
  tk_check(sp_map(df, "k, n * 2 AS n2", NULL, mapped, &err), &err);
  return df;
}

/* sp_recompute: the next consumer runs the DataFrame's tasks again, and
 * those of a step over it, instead of reusing them, in the session and
 * across reruns. */
static void test_recompute(void **state)
{
  fixture *f = *state;
  const char *expect = input_sql(f, "k, count(*) AS n");
  sp_session *s = open_kept_session(f, 2, "recompute");
  sp_df *df, *mapped;
  sp_error *err = NULL;
  int64_t before;

  df = recompute_pipeline(s, f, &mapped);
  write_ok(df, tk_path(f->dir, "rc-1"));
  write_ok(mapped, tk_path(f->dir, "rc-1m"));
  before = sql_attempts(s);
  assert_int_equal(before, 6);
  write_ok(df, tk_path(f->dir, "rc-2")); /* reused */
  assert_int_equal(sql_attempts(s), before);
  tk_check(sp_recompute(df, &err), &err);
  write_ok(df, tk_path(f->dir, "rc-3"));
  assert_int_equal(sql_attempts(s), before + 3);
  write_ok(mapped, tk_path(f->dir, "rc-4")); /* the map over it runs */
  assert_int_equal(sql_attempts(s), before + 6);
  tk_check(sp_recompute(df, &err), &err); /* downstream planned: again */
  write_ok(mapped, tk_path(f->dir, "rc-5"));
  assert_int_equal(sql_attempts(s), before + 12);
  /* Counted per partition: summed, DuckDB's counts. */
  tk_assert_same_rows(tk_fmt("%s GROUP BY k", expect),
                      tk_fmt("%s GROUP BY k",
                             output_sql(tk_path(f->dir, "rc-3"),
                                        "k, sum(n)")));
  tk_assert_same_rows(tk_fmt("SELECT k, n * 2 FROM (%s GROUP BY k)", expect),
                      tk_fmt("%s GROUP BY k",
                             output_sql(tk_path(f->dir, "rc-5"),
                                        "k, sum(n2)")));
  sp_close(&s);

  /* A rerun: reused without sp_recompute, also the map; with it,
   * recomputed, and so is a map over it built afterwards. */
  s = open_kept_session(f, 2, "recompute");
  df = recompute_pipeline(s, f, &mapped);
  before = sql_attempts(s);
  write_ok(df, tk_path(f->dir, "rc-6"));
  write_ok(mapped, tk_path(f->dir, "rc-7"));
  assert_int_equal(sql_attempts(s), before);
  tk_check(sp_recompute(df, &err), &err);
  tk_check(sp_map(df, "k, n * 2 AS n2", NULL, &mapped, &err), &err);
  write_ok(mapped, tk_path(f->dir, "rc-8"));
  assert_int_equal(sql_attempts(s), before + 6);
  assert_int_equal(sp_recompute(NULL, &err), SP_EINVAL);
  sp_error_free(&err);
  sp_close(&s);
}

/* Files whose columns come in different orders, in a folder whose name
 * has a quote and an '=', split by rows across file boundaries: columns
 * match by name and the folder name never becomes a column. */
static void test_unusual_inputs(void **state)
{
  fixture *f = *state;
  char *odd = strdup(tk_path(f->dir, "it's a=b dir"));
  char *glob = strdup(tk_path(odd, "*.parquet"));
  const char *out = tk_path(f->dir, "odd-out");
  duckdb_database db;
  duckdb_connection con;
  sp_repartition_options by_rows = {.by_rows = 1};
  sp_session *s;
  sp_error *err = NULL;
  sp_df *df = NULL;
  char *q;

  assert_int_equal(mkdir(odd, 0777), 0);
  assert_int_equal(dc_open(&db, &con), 0);
  assert_int_equal(dc_exec(con, tk_fmt(
      "COPY (SELECT i AS a, i * 100 AS b FROM range(0, 7) t(i)) TO "
      "'%s/f1.parquet'", f->dir)), 0); /* no quote in this path */
  dc_close(&db, &con);
  assert_int_equal(rename(tk_path(f->dir, "f1.parquet"),
                          tk_path(odd, "f1.parquet")), 0);
  assert_int_equal(dc_open(&db, &con), 0);
  assert_int_equal(dc_exec(con, tk_fmt(
      "COPY (SELECT i * 100 AS b, i AS a FROM range(7, 12) t(i)) TO "
      "'%s/f2.parquet'", f->dir)), 0);
  dc_close(&db, &con);
  assert_int_equal(rename(tk_path(f->dir, "f2.parquet"),
                          tk_path(odd, "f2.parquet")), 0);
  s = open_session(f, 2, "odd");
  tk_check(sp_read_parquet(s, (const char **)&glob, 1, NULL, &df, &err), &err);
  tk_check(sp_repartition(df, 3, &by_rows, &df, &err), &err);
  df = sql1(s, "SELECT a, b FROM {0}; -- a trailing comment", df);
  write_ok(df, out);
  /* A statement that returns no rows is refused, naming its kind. */
  df = sql1(s, "CREATE TABLE t AS SELECT * FROM {0}", df);
  assert_int_equal(sp_write_parquet(df, tk_path(f->dir, "never"), NULL, &err),
                   SP_ESQL);
  assert_non_null(strstr(sp_error_message(err), "got a CREATE statement"));
  sp_error_free(&err);
  sp_close(&s);
  tk_assert_same_rows("SELECT i, i * 100 FROM range(12) t(i)",
                      tk_fmt("SELECT a, b FROM read_parquet('%s/*.parquet')",
                             out));
  q = strdup(tk_fmt("SELECT count(*) FROM (DESCRIBE SELECT * FROM "
                    "read_parquet('%s/*.parquet'))", out));
  assert_int_equal(tk_duck_i64(q), 2);
  free(q);
  free(glob);
  free(odd);
}

static sp_status try_init(const char *root, const char *job_id,
                          sp_session **s, sp_error **err)
{
  sp_config cfg;

  sp_config_init(&cfg);
  cfg.workers = 1;
  cfg.data_root = root;
  cfg.job_id = job_id;
  return sp_init(&cfg, s, err);
}

/* The job folder is never confused with a user's folder, never shared by
 * two drivers, and survives a torn last line in its state log. */
static void test_job_folder_safety(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  char *precious = strdup(tk_fmt("%s/victim/precious", f->root));
  char *state_path, *text;
  sp_session *a = NULL, *b = NULL;
  sp_error *err = NULL;
  int64_t n = -1;
  FILE *fp;

  /* A folder that is not a job's is refused, and left as it was. */
  assert_int_equal(tk_mkdir_p(precious), 0);
  assert_int_equal(try_init(f->root, "victim", &a, &err), SP_EEXIST);
  assert_non_null(strstr(sp_error_message(err), "not a smallpond job"));
  sp_error_free(&err);
  assert_true(tk_exists(precious));
  assert_int_equal(try_init("", NULL, &a, &err), SP_EINVAL);
  sp_error_free(&err);
  /* One driver per job at a time. */
  a = open_session(f, 1, "busy");
  assert_int_equal(try_init(f->root, "busy", &b, &err), SP_EEXIST);
  assert_non_null(strstr(sp_error_message(err), "in use by another driver"));
  assert_null(b);
  sp_error_free(&err);
  tk_check(sp_count(hash_by(read_input(a, f), 2, cols, 1), &n, &err), &err);
  state_path = strdup(tk_path(sp_session_job_dir(a), "state.jsonl"));
  sp_close(&a);
  /* A driver killed mid-append leaves a torn line; the next run's records
   * still start on lines of their own. */
  assert_non_null(fp = fopen(state_path, "a"));
  fputs("{\"key\":\"torn", fp);
  fclose(fp);
  a = open_session(f, 1, "busy");
  tk_check(sp_count(hash_by(read_input(a, f), 3, cols, 1), &n, &err), &err);
  sp_close(&a);
  text = tk_read(state_path);
  assert_non_null(strstr(text, "{\"key\":\"torn\n{"));
  free(text);
  free(state_path);
  free(precious);
}

/* Sessions are independent: two at once in one process, closed in the
 * order they were opened, each computing its own result. */
static void test_two_sessions(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  sp_session *a = open_session(f, 2, "first");
  sp_session *b = open_session(f, 2, "second");
  sp_error *err = NULL;
  int64_t na = -1, nb = -1;

  tk_check(sp_count(hash_by(read_input(a, f), 3, cols, 1), &na, &err), &err);
  tk_check(sp_count(sql1(b, "SELECT * FROM {0} WHERE k < 10",
                         read_input(b, f)), &nb, &err), &err);
  sp_close(&a); /* used to hang: b's workers held a's sockets open */
  tk_check(sp_count(read_input(b, f), &nb, &err), &err);
  sp_close(&b);
  assert_int_equal(na, ROWS);
  assert_int_equal(nb, ROWS);
}

/* The key of the first task of `kind` in the job's plan.json (static). */
static const char *plan_task_key(const char *job_dir, const char *kind)
{
  json_t *plan = json_load_file(tk_path(job_dir, "plan.json"), 0, NULL);
  json_t *task;
  const char *key = NULL;
  size_t i;

  assert_non_null(plan);
  json_array_foreach(json_object_get(plan, "tasks"), i, task)
    if (!key && strcmp(json_string_value(json_object_get(task, "kind")),
                       kind) == 0)
      key = tk_fmt("%s", json_string_value(json_object_get(task, "key")));
  json_decref(plan);
  assert_non_null(key);
  return key;
}

/* Writes "half-written" to path: what a killed attempt leaves. */
static void write_junk(const char *path)
{
  FILE *fp = fopen(path, "w");

  assert_non_null(fp);
  fputs("half-written", fp);
  fclose(fp);
}

/* The files under the job folder's sub-folder sub. */
static int64_t files_under(const char *job_dir, const char *sub)
{
  return tk_duck_i64(tk_fmt("SELECT count(*) FROM glob('%s/%s/**')", job_dir,
                            sub));
}

/* The input's rows per k, counted and summed, through a hash exchange on
 * k into 3 partitions. */
static sp_df *grouped(sp_session *s, const fixture *f)
{
  const char *cols[] = {"k"};

  return sql1(s, "SELECT k, count(*) AS n, sum(id) AS s FROM {0} GROUP BY k",
              hash_by(read_input(s, f), 3, cols, 1));
}

static void write_grouped(sp_session *s, const fixture *f, const char *out)
{
  write_ok(grouped(s, f), out);
}

/* out holds DuckDB's rows of grouped() over the input. */
static void assert_grouped(const fixture *f, const char *out)
{
  tk_assert_same_rows(tk_fmt("SELECT k, count(*), sum(id) FROM read_parquet"
                             "('%s') GROUP BY k", f->glob),
                      output_sql(out, "*"));
}

/* A task writes one file, data/<key>.parquet once committed; a shuffle
 * producer a folder, data/<key>/. A rerun over the leftovers of killed
 * attempts (same key, same attempt number: a torn file, a folder of junk)
 * and over outputs committed but never logged replaces them all. */
static void test_rerun_over_stale_staging(void **state)
{
  fixture *f = *state;
  char *out1 = strdup(tk_path(f->dir, "stale-1"));
  char *out2 = strdup(tk_path(f->dir, "stale-2"));
  sp_session *s = open_kept_session(f, 2, "stale");
  char *job_dir = strdup(sp_session_job_dir(s));
  char *shuffle, *sql;
  const char *stale;
  struct stat sb;

  write_grouped(s, f, out1);
  sp_close(&s);
  assert_grouped(f, out1);
  shuffle = strdup(plan_task_key(job_dir, "shuffle"));
  sql = strdup(plan_task_key(job_dir, "sql"));
  assert_int_equal(stat(tk_fmt("%s/data/%s", job_dir, shuffle), &sb), 0);
  assert_true(S_ISDIR(sb.st_mode));
  assert_int_equal(stat(tk_fmt("%s/data/%s.parquet", job_dir, sql), &sb), 0);
  assert_true(S_ISREG(sb.st_mode));
  assert_false(tk_exists(tk_fmt("%s/data/%s", job_dir, sql)));

  stale = tk_fmt("%s/staging/%s.0/parts/__sp_part=0", job_dir, shuffle);
  assert_int_equal(tk_mkdir_p(stale), 0);
  write_junk(tk_path(stale, "data_0.parquet"));
  write_junk(tk_fmt("%s/staging/%s.0.parquet", job_dir, sql));
  /* Forget every finished task: all of them run again. */
  assert_int_equal(truncate(tk_path(job_dir, "state.jsonl"), 0), 0);
  s = open_kept_session(f, 2, "stale");
  write_grouped(s, f, out2);
  sp_close(&s);
  assert_grouped(f, out2);
  assert_int_equal(files_under(job_dir, "staging"), 0);
  free(shuffle);
  free(sql);
  free(job_dir);
  free(out1);
  free(out2);
}

/* By default a session whose runs all succeeded removes its intermediate
 * data when it closes; the published output stays whole, the folder
 * lists it in outputs, and a rerun of the job computes everything again
 * (to the same rows). A session with a failed run keeps everything. */
static void test_intermediate_removed(void **state)
{
  fixture *f = *state;
  char *out1 = strdup(tk_path(f->dir, "removed-1"));
  char *out2 = strdup(tk_path(f->dir, "removed-2"));
  sp_session *s = open_session(f, 2, "removed");
  char *job_dir = strdup(sp_session_job_dir(s));
  sp_error *err = NULL;
  sp_df *df;
  char *text;

  write_grouped(s, f, out1);
  assert_true(files_under(job_dir, "data") > 0);
  sp_close(&s);
  assert_int_equal(files_under(job_dir, "data"), 0);
  assert_false(tk_exists(tk_path(job_dir, "data")));
  assert_grouped(f, out1);
  text = tk_read(tk_path(job_dir, "status"));
  assert_non_null(text);
  assert_non_null(strstr(text, "success"));
  assert_non_null(strstr(text, "intermediate data removed"));
  free(text);
  text = tk_read(tk_path(job_dir, "outputs"));
  assert_non_null(text);
  assert_non_null(strstr(text, "/removed-1\n"));
  free(text);

  /* The rerun: every SQL task runs again. */
  s = open_session(f, 2, "removed");
  write_grouped(s, f, out2);
  sp_close(&s);
  assert_grouped(f, out2);
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(*) FROM read_csv('%s/"
                                      "log/tasks.csv') WHERE kind = 'sql' "
                                      "AND status = 'ok'", job_dir)), 6);

  /* A failed run: the finished tasks' files stay for a rerun. */
  s = open_session(f, 2, "removed");
  df = grouped(s, f);
  write_ok(df, tk_path(f->dir, "removed-3"));
  tk_check(sp_partial_sql(s, "SELECT no_such_column FROM {0}", &df, 1, NULL,
                          &df, &err), &err);
  assert_int_not_equal(sp_write_parquet(df, tk_path(f->dir, "removed-4"),
                                        NULL, &err), SP_OK);
  sp_error_free(&err);
  sp_close(&s);
  assert_true(files_under(job_dir, "data") > 0);
  free(job_dir);
  free(out1);
  free(out2);
}

/* The shapes of query a SQL task runs as one statement (the inputs as a
 * WITH clause) and those it runs over views (the query starts with WITH,
 * names an input twice, or ends in a comment): DuckDB's rows either way,
 * for one input and for two. */
static void test_sql_shapes(void **state)
{
  fixture *f = *state;
  sp_session *s = open_session(f, 2, "shapes");
  const char *key[] = {"k"};
  static const char *const shapes[][2] = {
      {"SELECT t.id, t.k FROM {0} AS t WHERE t.k > 5",
       "SELECT id, k FROM @ WHERE k > 5"},
      {"  from {0} select id, k * 2 AS k2",
       "SELECT id, k * 2 FROM @"},
      {"SELECT {0}.id FROM {0} WHERE {0}.k < 3",
       "SELECT id FROM @ WHERE k < 3"},
      {"WITH x AS (SELECT * FROM {0}) SELECT id, k FROM x",
       "SELECT id, k FROM @"},
      {"SELECT a.id FROM {0} a JOIN {0} b USING (id)",
       "SELECT id FROM @"},
      {"SELECT id FROM {0} -- a comment", "SELECT id FROM @"},
  };
  const char *from = tk_fmt("read_parquet('%s')", f->glob);
  sp_df *in = hash_by(read_input(s, f), 3, key, 1), *df, *pair[2];
  sp_error *err = NULL;
  size_t i;

  for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
    const char *out = tk_path(f->dir, tk_fmt("shape-%zu", i));
    const char *at = strchr(shapes[i][1], '@');
    write_ok(sql1(s, shapes[i][0], in), out);
    tk_assert_same_rows(tk_fmt("%.*s%s%s", (int)(at - shapes[i][1]),
                               shapes[i][1], from, at + 1),
                        output_sql(out, "*"));
  }
  /* Two inputs partitioned alike: a join per partition. */
  pair[0] = in;
  pair[1] = sql1(s, "SELECT k, count(*) AS n FROM {0} GROUP BY k", in);
  tk_check(sp_partial_sql(s, "SELECT a.id, b.n FROM {0} a JOIN {1} b "
                          "ON a.k = b.k", pair, 2, NULL, &df, &err), &err);
  write_ok(df, tk_path(f->dir, "shape-join"));
  tk_assert_same_rows(
      tk_fmt("SELECT a.id, b.n FROM %s a JOIN (SELECT k, count(*) AS n FROM "
             "%s GROUP BY k) b ON a.k = b.k", from, from),
      output_sql(tk_path(f->dir, "shape-join"), "*"));
  sp_close(&s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_hash_then_group_by, setup, teardown),
    cmocka_unit_test_setup_teardown(test_hash_partition_properties, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_even_splits, setup, teardown),
    cmocka_unit_test_setup_teardown(test_count, setup, teardown),
    cmocka_unit_test_setup_teardown(test_take, setup, teardown),
    cmocka_unit_test_setup_teardown(test_multi_input_sql, setup, teardown),
    cmocka_unit_test_setup_teardown(test_error_glob_matches_nothing, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_error_bad_sql, setup, teardown),
    cmocka_unit_test_setup_teardown(test_error_missing_hash_column, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_error_output_not_empty, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_error_bad_template, setup, teardown),
    cmocka_unit_test_setup_teardown(test_error_pointer_count_pairs, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_resume_same_job_id, setup, teardown),
    cmocka_unit_test_setup_teardown(test_recompute, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rerun_over_stale_staging, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_unusual_inputs, setup, teardown),
    cmocka_unit_test_setup_teardown(test_job_folder_safety, setup, teardown),
    cmocka_unit_test_setup_teardown(test_two_sessions, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sql_shapes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_intermediate_removed, setup,
                                    teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
