/*
 * test_reload.c - partitioned outputs read back into the partitions they
 * were written from (sp_read_options.partitioned_by), from key-value
 * metadata and from hive folders, with empty partitions everywhere. Each
 * partition is compared with the rows DuckDB assigns to it directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smallpond.h"
#include "testkit.h"

#define ROWS 5000
#define FILES 3

typedef tk_fixture fixture;

static int setup(void **state)
{
  *state = tk_fixture_new(ROWS, FILES, 50, "reload", NULL);
  return *state ? 0 : -1;
}

/* Reads dir back along `dimension` into n partitions and writes each row
 * with its reloaded partition index as column p; returns a DuckDB table
 * expression over that. */
static const char *reload(fixture *f, const char *dir, const char *files,
                          const char *dimension, int n, const char *name)
{
  sp_read_options opt = {.partitioned_by = dimension, .npartitions = n,
                         .recursive = 1};
  const char *glob = tk_path(dir, files), *out = tk_path(f->dir, name);
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_read_parquet(f->s, &glob, 1, &opt, &df, &err), &err);
  assert_int_equal(sp_df_num_partitions(df), n);
  tk_check(sp_partial_sql(f->s, tk_fmt("SELECT *, {%s} AS p FROM {0}",
                                       dimension), &df, 1, NULL, &df, &err),
           &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  return tk_fmt("read_parquet('%s/*.parquet')", out);
}

/* One row hashed into 8 partitions: 7 are empty, and the output still
 * reloads into exactly 8, the row in the partition DuckDB's hash names. */
static void test_reload_one_row(void **state)
{
  fixture *f = *state;
  const char *key[] = {"k"};
  sp_repartition_options hash = {.hash_by = key, .nhash_by = 1};
  const char *dir = tk_path(f->dir, "one");
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *back;

  tk_check(sp_filter(tk_input(f), "id = 17", NULL, &df, &err), &err);
  tk_check(sp_repartition(df, 8, &hash, &df, &err), &err);
  tk_check(sp_write_parquet(df, dir, NULL, &err), &err);
  back = reload(f, dir, "*.parquet", "__data_partition__", 8, "one-back");
  tk_assert_same_rows(tk_fmt("SELECT *, hash(k) %% 8 FROM read_parquet('%s') "
                             "WHERE id = 17", f->glob),
                      tk_fmt("SELECT * FROM %s", back));
}

/* Nested hash partitions (4 x 3, many empty) written flat and with hive
 * folders reload along either dimension; every row lands at the indexes
 * DuckDB computes. */
static void test_reload_nested(void **state)
{
  fixture *f = *state;
  const char *key[] = {"k"}, *id[] = {"id"};
  sp_repartition_options outer = {.hash_by = key, .nhash_by = 1,
                                  .dimension = "a"};
  sp_repartition_options inner = {.hash_by = id, .nhash_by = 1,
                                  .dimension = "b", .nested = 1};
  sp_node_options hive = {.hive = 1};
  const char *flat = tk_path(f->dir, "flat");
  const char *folders = tk_path(f->dir, "hive");
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *expect_a, *expect_b;

  tk_check(sp_filter(tk_input(f), "id < 40", NULL, &df, &err), &err);
  tk_check(sp_repartition(df, 4, &outer, &df, &err), &err);
  tk_check(sp_repartition(df, 3, &inner, &df, &err), &err);
  assert_int_equal(sp_df_num_partitions(df), 12);
  tk_check(sp_write_parquet(df, flat, NULL, &err), &err);
  tk_check(sp_write_parquet(df, folders, &hive, &err), &err);
  expect_a = tk_fmt("SELECT *, hash(k) %% 4 FROM read_parquet('%s') WHERE "
                    "id < 40", f->glob);
  expect_b = tk_fmt("SELECT *, hash(id) %% 3 FROM read_parquet('%s') WHERE "
                    "id < 40", f->glob);
  /* From the key-value metadata. */
  tk_assert_same_rows(expect_a, tk_fmt("SELECT * FROM %s",
                                       reload(f, flat, "*.parquet", "a", 4,
                                              "flat-a")));
  tk_assert_same_rows(expect_b, tk_fmt("SELECT * FROM %s",
                                       reload(f, flat, "*.parquet", "b", 3,
                                              "flat-b")));
  /* From the hive folders (their files carry the metadata too). */
  tk_assert_same_rows(expect_b, tk_fmt("SELECT * FROM %s",
                                       reload(f, folders, "**/*.parquet",
                                              "b", 3, "hive-b")));
}

/* Hive folders written by DuckDB itself (no smallpond metadata) give the
 * partition. */
static void test_reload_duckdb_hive(void **state)
{
  fixture *f = *state;
  const char *dir = tk_path(f->dir, "duck-hive");
  duckdb_database db;
  duckdb_connection con;

  assert_int_equal(dc_open(&db, &con), 0);
  assert_int_equal(dc_exec(con, tk_fmt(
      "COPY (SELECT *, id %% 5 AS part FROM read_parquet('%s')) TO '%s' "
      "(FORMAT parquet, PARTITION_BY (part))", f->glob, dir)), 0);
  dc_close(&db, &con);
  tk_assert_same_rows(tk_fmt("SELECT *, id %% 5 FROM read_parquet('%s')",
                             f->glob),
                      tk_fmt("SELECT * FROM %s",
                             reload(f, dir, "**/*.parquet", "part", 5,
                                    "duck-hive-back")));
}

/* Files with neither a hive folder nor metadata, or with an index out of
 * range, are refused naming the file. */
static void test_reload_errors(void **state)
{
  fixture *f = *state;
  const char *glob = f->glob;
  sp_read_options opt = {.partitioned_by = "a", .npartitions = 4};
  const char *key[] = {"k"};
  sp_repartition_options hash = {.hash_by = key, .nhash_by = 1,
                                 .dimension = "a"};
  const char *dir = tk_path(f->dir, "small");
  sp_error *err = NULL;
  sp_df *df = NULL;

  assert_int_equal(sp_read_parquet(f->s, &glob, 1, &opt, &df, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "part-"));
  assert_non_null(strstr(sp_error_message(err), "SMALLPOND:a"));
  sp_error_free(&err);

  tk_check(sp_repartition(tk_input(f), 4, &hash, &df, &err), &err);
  tk_check(sp_write_parquet(df, dir, NULL, &err), &err);
  glob = tk_path(dir, "*.parquet");
  opt.npartitions = 2;
  assert_int_equal(sp_read_parquet(f->s, &glob, 1, &opt, &df, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "is out of range 0-1"));
  sp_error_free(&err);
  opt.npartitions = 0;
  assert_int_equal(sp_read_parquet(f->s, &glob, 1, &opt, &df, &err),
                   SP_EINVAL);
  sp_error_free(&err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_reload_one_row),
    cmocka_unit_test(test_reload_nested),
    cmocka_unit_test(test_reload_duckdb_hive),
    cmocka_unit_test(test_reload_errors),
  };

  return cmocka_run_group_tests(tests, setup, tk_fixture_teardown);
}
