/*
 * test_sort.c - range repartitioning and sort. The written files, read in
 * the order of their names, must give DuckDB's ORDER BY on the same rows:
 * the same rows, and at every position the same sort key. Skewed keys
 * must still spread evenly over the partitions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  };

  return cmocka_run_group_tests(tests, setup, tk_fixture_teardown);
}
