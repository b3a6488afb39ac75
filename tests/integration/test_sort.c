/*
 * test_sort.c - range repartitioning and sort. The written files, read in
 * the order of their names, must give DuckDB's ORDER BY on the same rows:
 * the same rows, and at every position the same sort key. Skewed keys
 * must still spread evenly over the partitions. The sort benchmark's
 * records (gensort) sort the same way, and the checker (valsort) says so,
 * and says what is wrong when something is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "smallpond.h"
#include "testkit.h"

#define ROWS 40000
#define FILES 4
#define KEYS 700

/* Key columns over the fixture's rows, as SELECT lists: uniform, one key
 * held by half the rows, one key for all, already sorted. */
static const char *const shapes[] = {
  "id, k AS sk, name, v",
  "id, CASE WHEN id % 2 = 0 THEN 7 ELSE k END AS sk, name, v",
  "id, 5 AS sk, name, v",
  "id, id AS sk, name, v",
};

/* The rows of the files written to out, numbered in the order of the
 * file names and the rows in each file. */
static const char *written(const char *out, const char *cols)
{
  return tk_fmt("SELECT row_number() OVER (ORDER BY filename, "
                "file_row_number) AS pos, %s FROM read_parquet('%s/*.parquet', "
                "filename = true, file_row_number = true)", cols, out);
}

/* df sorted by order into n partitions, written to a fresh folder. */
static const char *sort_to(tk_fixture *f, sp_df *df, const char *order, int n,
                           const char *tag)
{
  const char *out = tk_path(f->dir, tag);
  sp_error *err = NULL;

  tk_check(sp_sort(df, order, n, NULL, &df, &err), &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  return out;
}

static void test_sort_shapes(void **state)
{
  tk_fixture *f = *state;
  static const int parts[] = {1, 3, 16};
  size_t i, j;

  for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
    for (j = 0; j < sizeof(parts) / sizeof(parts[0]); j++) {
      sp_df *df = NULL;
      sp_error *err = NULL;
      const char *src = tk_fmt("(SELECT %s FROM read_parquet('%s'))",
                               shapes[i], f->glob);
      const char *out;
      tk_check(sp_map(tk_by_files(tk_input(f), FILES), shapes[i], NULL, &df,
                      &err), &err);
      out = sort_to(f, df, "sk", parts[j], tk_fmt("s%zu-%d", i, parts[j]));
      /* Position by position, the key is DuckDB's; the rows are too. */
      tk_assert_same_rows(written(out, "sk"),
                          tk_fmt("SELECT row_number() OVER (ORDER BY sk) "
                                 "AS pos, sk FROM %s", src));
      tk_assert_same_rows(tk_fmt("SELECT * FROM '%s/*.parquet'", out),
                          tk_fmt("SELECT * FROM %s", src));
      assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(*) FROM glob('%s/*"
                                          ".parquet')", out)), parts[j]);
    }
}

/* Half the rows share one key, and every row of another input has one
 * key: no partition holds more than 1.5x the mean. */
static void test_skew_spreads(void **state)
{
  tk_fixture *f = *state;
  size_t i;

  for (i = 1; i <= 2; i++) {
    sp_df *df = NULL;
    sp_error *err = NULL;
    const char *out;
    tk_check(sp_map(tk_by_files(tk_input(f), FILES), shapes[i], NULL, &df,
                    &err), &err);
    out = sort_to(f, df, "sk", 8, tk_fmt("skew%zu", i));
    assert_true(tk_duck_i64(tk_fmt(
                    "SELECT (max(c) * 100 / %d)::BIGINT FROM (SELECT count(*) "
                    "AS c FROM read_parquet('%s/*.parquet', filename = true) "
                    "GROUP BY filename)", ROWS / 8, out)) <= 150);
  }
}

/* Two columns, DESC and NULLS FIRST (name has NULLs): with id last the
 * order is total, so the rows come exactly as DuckDB orders them. */
static void test_sort_directions(void **state)
{
  tk_fixture *f = *state;
  const char *order = "name DESC NULLS FIRST, \"id\" ASC";
  const char *out = sort_to(f, tk_by_files(tk_input(f), 2), order, 5, "dir");

  tk_assert_same_rows(written(out, "id, name, k, v"),
                      tk_fmt("SELECT row_number() OVER (ORDER BY %s) AS pos, "
                             "id, name, k, v FROM read_parquet('%s')", order,
                             f->glob));
}

/* A range repartition alone: every key of partition i is at most every
 * key of partition i + 1, and nothing is lost. */
static void test_range_repartition(void **state)
{
  tk_fixture *f = *state;
  sp_repartition_options opt = {.range_by = "k DESC"};
  const char *out = tk_path(f->dir, "range");
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_repartition(tk_by_files(tk_input(f), 3), 6, &opt, &df, &err),
           &err);
  tk_check(sp_partial_sql(f->s, "SELECT {__data_partition__} AS p, min(k) AS "
                          "lo, max(k) AS hi, count(*) AS n FROM {0}", &df, 1,
                          NULL, &df, &err), &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT sum(n) FROM '%s/*.parquet'",
                                      out)), ROWS);
  /* DESC: partition p's smallest key is at least p+1's largest. */
  assert_int_equal(tk_duck_i64(tk_fmt(
                       "SELECT count(*) FROM (SELECT lo, lead(hi) OVER "
                       "(ORDER BY p) AS next FROM '%s/*.parquet' WHERE n > 0) "
                       "WHERE lo < next", out)), 0);
  /* A producer reads the rows it routes and the split points: tasks.csv
   * gives its rows in as unknown (-1) or as all of them, never the split
   * points' count alone. */
  assert_int_equal(tk_duck_i64(tk_fmt(
                       "SELECT count(*) FROM read_csv('%s/log/tasks.csv') "
                       "WHERE kind = 'shuffle' AND status = 'ok' AND "
                       "rows_in <> -1 AND rows_in < rows_out",
                       sp_session_job_dir(f->s))), 0);
  assert_true(tk_duck_i64(tk_fmt(
                  "SELECT count(*) FROM read_csv('%s/log/tasks.csv') "
                  "WHERE kind = 'shuffle' AND status = 'ok'",
                  sp_session_job_dir(f->s))) >= 3);
}

static void test_bad_orders(void **state)
{
  tk_fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = NULL;
  int64_t n;

  assert_int_equal(sp_sort(tk_input(f), "k; DROP TABLE t", 2, NULL, &df,
                           &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "'k; DROP TABLE t'"));
  sp_error_free(&err);
  assert_int_equal(sp_sort(tk_input(f), "k DESC NULLS", 2, NULL, &df, &err),
                   SP_EINVAL);
  sp_error_free(&err);
  /* A column the input lacks fails the job, naming it. */
  tk_check(sp_sort(tk_input(f), "nosuch", 2, NULL, &df, &err), &err);
  assert_int_not_equal(sp_count(df, &n, &err), SP_OK);
  assert_non_null(strstr(sp_error_message(err), "nosuch"));
  sp_error_free(&err);
}

/* smallpond run --sort-by ... --partitions N gives DuckDB's order. */
static void test_cli_sort(void **state)
{
  tk_fixture *f = *state;
  const char *out = tk_path(f->dir, "cli");
  const char *argv[] = {"run", "--workers", "2", "--quiet", "--data-root",
                        f->root, "--read-parquet", f->glob, "--sort-by",
                        "v DESC, id", "--partitions", "4", "--write-parquet",
                        out, NULL};
  char *o = NULL, *e = NULL;

  assert_int_equal(tk_cli(argv, &o, &e), 0);
  free(o);
  free(e);
  tk_assert_same_rows(written(out, "id, v"),
                      tk_fmt("SELECT row_number() OVER (ORDER BY v DESC, id) "
                             "AS pos, id, v FROM read_parquet('%s')", f->glob));
}

/* sp_take over a sorted DataFrame reads the partitions in order: the
 * first n rows are DuckDB's first n, across a partition boundary too. */
static void test_take_sorted(void **state)
{
  tk_fixture *f = *state;
  const int64_t n = ROWS / 4 + 500; /* past the first partition's end */
  sp_error *err = NULL;
  sp_rows *rows = NULL;
  sp_df *df = NULL;
  int64_t r;

  tk_check(sp_sort(tk_input(f), "v DESC, id", 4, NULL, &df, &err), &err);
  tk_check(sp_take(df, n, &rows, &err), &err);
  assert_int_equal(sp_rows_count(rows), n);
  assert_string_equal(sp_rows_column_name(rows, 0), "id");
  for (r = 0; r < n; r += r < ROWS / 4 - 300 ? 499 : 7)
    assert_int_equal(strtoll(sp_rows_value(rows, (size_t)r, 0), NULL, 10),
                     tk_duck_i64(tk_fmt("SELECT id FROM read_parquet('%s') "
                                        "ORDER BY v DESC, id LIMIT 1 "
                                        "OFFSET %lld", f->glob,
                                        (long long)r)));
  sp_rows_free(&rows);
}

/* smallpond gensort|valsort ARGS... on the fixture's data root; returns
 * the exit status and frees the output, keeping stdout in *out if asked. */
static int records(tk_fixture *f, const char *cmd, const char *const *args,
                   char **out)
{
  const char *argv[16] = {cmd, "--workers", "2", "--quiet", "--data-root",
                          f->root};
  char *o = NULL, *e = NULL;
  size_t n = 6;
  int code;

  while (*args)
    argv[n++] = *args++;
  argv[n] = NULL;
  code = tk_cli(argv, &o, &e);
  if (out)
    *out = o;
  else
    free(o);
  free(e);
  return code;
}

/* gensort's records depend on (seed, i) only: 3 partitions hold the same
 * records as 1. They have the format's sizes, and --skew puts about a
 * quarter of them on one key. */
static void test_gensort(void **state)
{
  tk_fixture *f = *state;
  const char *g1 = tk_path(f->dir, "gen1"), *g3 = tk_path(f->dir, "gen3");
  const char *other = tk_path(f->dir, "gen-seed"), *sk = tk_path(f->dir,
                                                                "gen-skew");
  const char *a1[] = {"--records", "30000", "--seed", "5", g1, NULL};
  const char *a3[] = {"--records", "30000", "--partitions", "3", "--seed",
                      "5", g3, NULL};
  const char *as[] = {"--records", "30000", "--seed", "6", other, NULL};
  const char *ak[] = {"--records", "30000", "--partitions", "4", "--skew",
                      sk, NULL};

  assert_int_equal(records(f, "gensort", a1, NULL), 0);
  assert_int_equal(records(f, "gensort", a3, NULL), 0);
  assert_int_equal(records(f, "gensort", as, NULL), 0);
  assert_int_equal(records(f, "gensort", ak, NULL), 0);
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(*) FROM glob('%s/*"
                                      ".parquet')", g3)), 3);
  tk_assert_same_rows(tk_fmt("SELECT key, payload FROM '%s/*.parquet'", g1),
                      tk_fmt("SELECT key, payload FROM '%s/*.parquet'", g3));
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(DISTINCT key) FROM '%s/*.parquet' WHERE "
      "octet_length(key) = 10 AND octet_length(payload) = 90 AND "
      "typeof(key) = 'BLOB' AND typeof(payload) = 'BLOB'", g3)), 30000);
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM '%s/*.parquet' a JOIN '%s/*.parquet' b "
      "USING (key)", g1, other)), 0);
  assert_in_range(tk_duck_i64(tk_fmt(
      "SELECT max(n) FROM (SELECT count(*) AS n FROM '%s/*.parquet' "
      "GROUP BY key)", sk)), 6000, 9000);
}

/* Records with uniform, skewed, all-equal and already sorted keys, sorted
 * into 1 to 16 partitions: valsort says SUCCESS with the input's checksum,
 * and the keys are DuckDB's ORDER BY, position by position. */
static void test_sort_records(void **state)
{
  tk_fixture *f = *state;
  static const char *const kinds[] = {"uniform", "skewed", "equal",
                                      "sorted"};
  static const char *const parts[] = {"1", "5", "16"};
  const char *uniform = tk_path(f->dir, "rec-uniform");
  const char *gen[] = {"--records", "20000", "--partitions", "3", "--seed",
                       "9", uniform, NULL};
  const char *skewed[] = {"--records", "20000", "--partitions", "3",
                          "--skew", tk_path(f->dir, "rec-skewed"), NULL};
  size_t i, j;

  assert_int_equal(records(f, "gensort", gen, NULL), 0);
  assert_int_equal(records(f, "gensort", skewed, NULL), 0);
  assert_int_equal(tk_mkdir_p(tk_path(f->dir, "rec-equal")), 0);
  tk_duck_exec(tk_fmt("COPY (SELECT unhex('00112233445566778899') AS key, "
                      "payload FROM '%s/*.parquet') "
                      "TO '%s/rec-equal/a.parquet'", uniform, f->dir));
  assert_int_equal(tk_mkdir_p(tk_path(f->dir, "rec-sorted")), 0);
  tk_duck_exec(tk_fmt("COPY (SELECT * FROM '%s/*.parquet' ORDER BY key) TO "
                      "'%s/rec-sorted/a.parquet'", uniform, f->dir));
  for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    const char *in = tk_path(f->dir, tk_fmt("rec-%s", kinds[i]));
    for (j = 0; j < sizeof(parts) / sizeof(parts[0]); j++) {
      const char *out = tk_fmt("%s-%s", in, parts[j]);
      const char *argv[] = {"run", "--workers", "2", "--quiet",
                            "--data-root", f->root, "--read-parquet",
                            tk_fmt("%s/*.parquet", in), "--sort-by", "key",
                            "--partitions", parts[j], "--write-parquet",
                            out, NULL};
      const char *check[] = {"--input", in, out, NULL};
      char *o = NULL, *e = NULL;

      assert_int_equal(tk_cli(argv, &o, &e), 0);
      free(o);
      free(e);
      assert_int_equal(records(f, "valsort", check, &o), 0);
      assert_non_null(strstr(o, "valsort: SUCCESS: 20000 records in order"));
      assert_non_null(strstr(o, "(the input's)"));
      /* Equal neighbours, counted once whether inside a piece or across
       * two: as many as the records beyond the first of each key. */
      assert_non_null(strstr(o, tk_fmt("files, %lld duplicate keys",
                                       (long long)tk_duck_i64(tk_fmt(
                                         "SELECT count(*) - count(DISTINCT "
                                         "key) FROM '%s/*.parquet'", in)))));
      free(o);
      tk_assert_same_rows(written(out, "key"),
                          tk_fmt("SELECT row_number() OVER (ORDER BY key) AS "
                                 "pos, key FROM '%s/*.parquet'", in));
    }
  }
}

/* valsort fails, saying why, on records out of order (inside a file,
 * between two files, and between two pieces of one file), on a missing
 * file and on other records. */
static void test_valsort_failures(void **state)
{
  tk_fixture *f = *state;
  const char *in = tk_path(f->dir, "vin"), *other = tk_path(f->dir, "vo");
  const char *out = tk_path(f->dir, "vout"), *swapped = tk_path(f->dir,
                                                                "vswap");
  const char *gen[] = {"--records", "9000", "--partitions", "3", in, NULL};
  const char *gen2[] = {"--records", "9000", "--seed", "1", other, NULL};
  const char *sort[] = {"run", "--workers", "2", "--quiet", "--data-root",
                        f->root, "--read-parquet", tk_fmt("%s/*.parquet", in),
                        "--sort-by", "key", "--partitions", "3",
                        "--write-parquet", out, NULL};
  const char *unsorted[] = {in, NULL};
  const char *wrong[] = {"--input", other, out, NULL};
  const char *swap[] = {swapped, NULL};
  const char *one = tk_path(f->dir, "vone"), *halves = tk_path(f->dir,
                                                               "vhalves");
  const char *whole[] = {"--input", in, one, NULL};
  const char *split[] = {"--job-id", "vpieces", halves, NULL};
  const char *nulls[] = {halves, NULL};
  const char *two = tk_path(f->dir, "vtwo");
  const char *four[] = {"valsort", "--workers", "4", "--quiet", "--data-root",
                        f->root, two, NULL};
  const char *missing[] = {"--input", in, out, NULL};
  const char *empty[] = {tk_path(f->dir, "nothing-here"), NULL};
  char *o = NULL, *e = NULL;

  assert_int_equal(tk_mkdir_p(two), 0);
  assert_int_equal(records(f, "gensort", gen, NULL), 0);
  assert_int_equal(records(f, "gensort", gen2, NULL), 0);
  assert_int_equal(tk_cli(sort, &o, &e), 0);
  free(o);
  free(e);

  assert_int_equal(records(f, "valsort", unsorted, &o), 1);
  assert_non_null(strstr(o, "valsort: FAILURE: "));
  assert_non_null(strstr(o, "out of order, the first at row "));
  free(o);

  assert_int_equal(records(f, "valsort", wrong, &o), 1);
  assert_non_null(strstr(o, "but their checksum"));
  free(o);

  /* Each file sorted, but the last range named first. */
  assert_int_equal(tk_mkdir_p(swapped), 0);
  assert_int_equal(link(tk_path(out, "part-00002-000.parquet"),
                        tk_path(swapped, "a.parquet")), 0);
  assert_int_equal(link(tk_path(out, "part-00000-000.parquet"),
                        tk_path(swapped, "b.parquet")), 0);
  assert_int_equal(records(f, "valsort", swap, &o), 1);
  assert_non_null(strstr(o, "1 records out of order, the first at row 0 "
                            "(below the last key of the file before)"));
  assert_non_null(strstr(o, "b.parquet"));
  free(o);

  /* One file, checked by the two workers in two pieces of 4,500 rows:
   * whole, it passes; with its halves swapped, the only break is where
   * the second piece starts. */
  assert_int_equal(tk_mkdir_p(one), 0);
  assert_int_equal(tk_mkdir_p(halves), 0);
  tk_duck_exec(tk_fmt("COPY (SELECT key, payload FROM read_parquet('%s/*."
                      "parquet') ORDER BY key) TO '%s/all.parquet' "
                      "(FORMAT parquet)", out, one));
  tk_duck_exec(tk_fmt("COPY (SELECT key, payload FROM read_parquet("
                      "'%s/all.parquet', file_row_number = true) ORDER BY "
                      "file_row_number < 4500, file_row_number) TO "
                      "'%s/all.parquet' (FORMAT parquet)", one, halves));
  assert_int_equal(records(f, "valsort", whole, &o), 0);
  assert_non_null(strstr(o, "valsort: SUCCESS: 9000 records in order in 1 "
                            "files"));
  free(o);
  assert_int_equal(records(f, "valsort", split, &o), 1);
  assert_non_null(strstr(o, "1 records out of order, the first at row 4500 "
                            "(below the row before it)"));
  free(o);
  /* Its steps' rows: one per piece, then the total's one. */
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT sum(rows_out) FROM read_csv("
                                      "'%s/vpieces/log/tasks.csv') WHERE "
                                      "kind = 'sql' AND status = 'ok'",
                                      f->root)), 2 + 1);
  /* Two files of 6,000 and 3,000 rows in four pieces, one of which holds
   * the end of the first and the start of the second: in order, and then
   * with the files' names (their order) swapped. */
  tk_duck_exec(tk_fmt("COPY (SELECT key, payload FROM read_parquet('%s/"
                      "all.parquet', file_row_number = true) WHERE "
                      "file_row_number < 6000 "
                      "ORDER BY file_row_number) TO '%s/a.parquet'", one,
                      two));
  tk_duck_exec(tk_fmt("COPY (SELECT key, payload FROM read_parquet('%s/"
                      "all.parquet', file_row_number = true) WHERE "
                      "file_row_number >= 6000 "
                      "ORDER BY file_row_number) TO '%s/b.parquet'", one,
                      two));
  assert_int_equal(tk_cli(four, &o, &e), 0);
  assert_non_null(strstr(o, "valsort: SUCCESS: 9000 records in order in 2 "
                            "files, 0 duplicate keys"));
  free(o);
  free(e);
  assert_int_equal(rename(tk_path(two, "a.parquet"), tk_path(two, "c")), 0);
  assert_int_equal(rename(tk_path(two, "b.parquet"),
                          tk_path(two, "a.parquet")), 0);
  assert_int_equal(rename(tk_path(two, "c"), tk_path(two, "b.parquet")), 0);
  assert_int_equal(tk_cli(four, &o, &e), 1);
  assert_non_null(strstr(o, "1 records out of order, the first at row 0 "
                            "(below the last key of the file before) of "));
  assert_non_null(strstr(o, "b.parquet"));
  free(o);
  free(e);

  /* A NULL key, which no comparison would catch. */
  tk_duck_exec(tk_fmt("COPY (SELECT CASE WHEN file_row_number = 10 THEN NULL "
                      "ELSE key END AS key, payload FROM read_parquet("
                      "'%s/all.parquet', file_row_number = true) ORDER BY "
                      "file_row_number) TO '%s/all.parquet' "
                      "(FORMAT parquet)", one, halves));
  assert_int_equal(records(f, "valsort", nulls, &o), 1);
  assert_non_null(strstr(o, "valsort: FAILURE: 1 records have a NULL key"));
  free(o);

  tk_rm_rf(tk_fmt("%s/part-00001-000.parquet", out));
  assert_int_equal(records(f, "valsort", missing, &o), 1);
  assert_non_null(strstr(o, "but the input has 9000"));
  free(o);

  assert_int_equal(records(f, "valsort", empty, &o), 1);
  free(o);
}

/* A sort whose partition is larger than its task's memory: DuckDB must
 * spill to the job's temp folder. With one attempt (no retry with more
 * memory) the first must succeed, and give DuckDB's order. */
static void test_sort_spills(void **state)
{
  tk_fixture *f = *state;
  const char *in = tk_path(f->dir, "big"), *out = tk_path(f->dir, "big-out");
  const char *gen[] = {"--records", "1200000", "--partitions", "2", in, NULL};
  const sp_repartition_options range = {.range_by = "key"};
  const sp_node_options small = {.task_memory = (int64_t)160 << 20};
  const char *paths[1];
  sp_session *s = NULL;
  sp_error *err = NULL;
  sp_config cfg;
  sp_df *df;

  assert_int_equal(records(f, "gensort", gen, NULL), 0);
  paths[0] = tk_fmt("%s/*.parquet", in);
  sp_config_init(&cfg);
  cfg.workers = 1;
  cfg.data_root = f->root;
  cfg.job_id = "spill";
  cfg.task_memory = (int64_t)512 << 20;
  cfg.max_attempts = 1;
  tk_check(sp_init(&cfg, &s, &err), &err);
  tk_check(sp_read_parquet(s, paths, 1, NULL, &df, &err), &err);
  tk_check(sp_repartition(df, 1, &range, &df, &err), &err);
  /* 120 MB of records sorted in 160 MiB: not without spilling (DuckDB
   * needs over 100 MiB for itself). */
  tk_check(sp_partial_sort(df, "key", &small, &df, &err), &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  sp_close(&s);
  tk_assert_same_rows(written(out, "key, payload"),
                      tk_fmt("SELECT row_number() OVER (ORDER BY key) AS pos, "
                             "key, payload FROM '%s/*.parquet'", in));
}

static int setup(void **state)
{
  *state = tk_fixture_new(ROWS, FILES, KEYS, "sort", NULL);
  return *state ? 0 : -1;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sort_shapes),
    cmocka_unit_test(test_skew_spreads),
    cmocka_unit_test(test_sort_directions),
    cmocka_unit_test(test_range_repartition),
    cmocka_unit_test(test_bad_orders),
    cmocka_unit_test(test_cli_sort),
    cmocka_unit_test(test_take_sorted),
    cmocka_unit_test(test_gensort),
    cmocka_unit_test(test_sort_records),
    cmocka_unit_test(test_valsort_failures),
    cmocka_unit_test(test_sort_spills),
  };

  return cmocka_run_group_tests(tests, setup, tk_fixture_teardown);
}
