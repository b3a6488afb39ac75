/*
 * test_transform.c - repartition by an expression, random shuffle, map,
 * filter, flat_map, partial_sort, limit and from_sql through the API, each
 * result compared with the same computation run directly in DuckDB.
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

#define ROWS 20000
#define FILES 4

typedef tk_fixture fixture;

static int setup(void **state)
{
  *state = tk_fixture_new(ROWS, FILES, 500, "transform", NULL);
  return *state ? 0 : -1;
}

static const char *write_out(fixture *f, sp_df *df, const char *name)
{
  const char *dir = tk_path(f->dir, name);
  sp_error *err = NULL;

  tk_check(sp_write_parquet(df, dir, NULL, &err), &err);
  return tk_fmt("read_parquet('%s/*.parquet'%s)", dir,
                ", filename = true, file_row_number = true");
}

static const char *in_sql(const fixture *f)
{
  return tk_fmt("read_parquet('%s')", f->glob);
}

/* repartition(10, by = "id % 10") puts each residue in its own partition. */
static void test_repartition_by_expression(void **state)
{
  fixture *f = *state;
  sp_repartition_options opt = {.by = "id % 10"};
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *out;

  tk_check(sp_repartition(tk_by_files(tk_input(f), 3), 10, &opt, &df, &err),
           &err);
  assert_int_equal(sp_df_num_partitions(df), 10);
  out = write_out(f, df, "by");
  tk_assert_same_rows(tk_fmt("SELECT * FROM %s", in_sql(f)),
                      tk_fmt("SELECT * EXCLUDE (filename, file_row_number) "
                             "FROM %s", out));
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM %s WHERE id %% 10 <> regexp_extract(filename, "
      "'part-(\\d+)-', 1)::BIGINT", out)), 0);
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(DISTINCT regexp_extract(filename, 'part-(\\d+)-', 1)) "
      "FROM %s", out)), 10);
}

static void test_repartition_by_out_of_range(void **state)
{
  fixture *f = *state;
  sp_repartition_options opt = {.by = "id % 10"};
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_repartition(tk_input(f), 5, &opt, &df, &err), &err);
  assert_int_equal(sp_write_parquet(df, tk_path(f->dir, "never"), NULL, &err),
                   SP_ESQL);
  assert_non_null(strstr(sp_error_message(err), "partition key "));
  assert_non_null(strstr(sp_error_message(err), " is out of range 0-4"));
  assert_false(tk_exists(tk_path(f->dir, "never")));
  sp_error_free(&err);
  opt.by = "NULL::INT";
  tk_check(sp_repartition(tk_input(f), 5, &opt, &df, &err), &err);
  assert_int_equal(sp_write_parquet(df, tk_path(f->dir, "never"), NULL, &err),
                   SP_ESQL);
  assert_non_null(strstr(sp_error_message(err), "partition key is NULL"));
  sp_error_free(&err);
  /* Options that exclude each other. */
  opt.by_rows = 1;
  assert_int_equal(sp_repartition(tk_input(f), 5, &opt, &df, &err), SP_EINVAL);
  sp_error_free(&err);
}

/* A random shuffle of 1000 items keeps them all, and its order has about
 * n(n-1)/4 = 249,750 inversions, like a random permutation, also inside
 * each partition. */
static void test_random_shuffle(void **state)
{
  fixture *f = *state;
  sp_repartition_options rows = {.by_rows = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *out;
  int64_t inversions;

  tk_check(sp_from_sql(f->s, "SELECT i AS item FROM range(1000) t(i)", NULL,
                       &df, &err), &err);
  tk_check(sp_repartition(df, 10, &rows, &df, &err), &err);
  tk_check(sp_random_shuffle(df, NULL, &df, &err), &err);
  assert_int_equal(sp_df_num_partitions(df), 10);
  out = write_out(f, df, "shuffled");
  tk_assert_same_rows("SELECT i FROM range(1000) t(i)",
                      tk_fmt("SELECT item FROM %s", out));
  inversions = tk_duck_i64(tk_fmt(
      "WITH o AS (SELECT item, row_number() OVER (ORDER BY filename, "
      "file_row_number) AS pos FROM %s) SELECT count(*) FROM o a, o b "
      "WHERE a.pos < b.pos AND a.item > b.item", out));
  if (inversions < 220000 || inversions > 280000)
    fail_msg("%lld inversions: not a random order", (long long)inversions);
  /* Ten sorted runs would pass the check above too (about 225,000): count
   * within partitions, where a random order has about 10 * 100 * 99 / 4. */
  inversions = tk_duck_i64(tk_fmt(
      "WITH o AS (SELECT item, regexp_extract(filename, 'part-(\\d+)-', 1) "
      "AS p, row_number() OVER (ORDER BY filename, file_row_number) AS pos "
      "FROM %s) SELECT count(*) FROM o a, o b WHERE a.p = b.p AND "
      "a.pos < b.pos AND a.item > b.item", out));
  if (inversions < 15000)
    fail_msg("%lld inversions within partitions: not shuffled inside",
             (long long)inversions);
}

static void test_map_filter_flat_map(void **state)
{
  fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_map(tk_by_files(tk_input(f), 3),
                  "id, k * 2 AS k2, upper(name) AS n",
                  NULL, &df, &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT id, k * 2, upper(name) FROM %s",
                             in_sql(f)),
                      tk_fmt("SELECT id, k2, n FROM %s",
                             write_out(f, df, "map")));
  /* Braces inside the user's SQL are literal, not placeholders. */
  tk_check(sp_filter(tk_by_files(tk_input(f), 3),
                     "k < 100 AND coalesce(name, '{x}') <> '{x}'", NULL, &df,
                     &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT * FROM %s WHERE k < 100 AND name IS NOT "
                             "NULL", in_sql(f)),
                      tk_fmt("SELECT * EXCLUDE (filename, file_row_number) "
                             "FROM %s", write_out(f, df, "filter")));
  tk_check(sp_flat_map(tk_by_files(tk_input(f), 2),
                       "id, unnest([k, k + 1000]) AS x", NULL, &df, &err),
           &err);
  tk_assert_same_rows(tk_fmt("SELECT id, unnest([k, k + 1000]) FROM %s",
                             in_sql(f)),
                      tk_fmt("SELECT id, x FROM %s",
                             write_out(f, df, "flat")));
}

/* partial_sort sorts each partition, not the whole. */
static void test_partial_sort(void **state)
{
  fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *out;

  tk_check(sp_partial_sort(tk_by_files(tk_input(f), 3), "v DESC, id", NULL, &df,
                           &err), &err);
  out = write_out(f, df, "sorted");
  tk_assert_same_rows(tk_fmt("SELECT * FROM %s", in_sql(f)),
                      tk_fmt("SELECT * EXCLUDE (filename, file_row_number) "
                             "FROM %s", out));
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM (SELECT v, id, lag(v) OVER w AS pv, "
      "lag(id) OVER w AS pid FROM %s WINDOW w AS (PARTITION BY filename "
      "ORDER BY file_row_number)) WHERE pv < v OR (pv = v AND pid > id)",
      out)), 0);
}

/* limit is global: per partition, then once more over all of them. */
static void test_limit(void **state)
{
  fixture *f = *state;
  const int64_t ns[] = {0, 2, 777, ROWS + 5};
  sp_error *err = NULL;
  sp_df *df = NULL;
  int64_t count;
  size_t i;

  for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
    tk_check(sp_limit(tk_by_files(tk_input(f), 4), ns[i], NULL, &df, &err),
             &err);
    assert_int_equal(sp_df_num_partitions(df), 1);
    tk_check(sp_count(df, &count, &err), &err);
    assert_int_equal(count, ns[i] < ROWS ? ns[i] : ROWS);
  }
  tk_check(sp_limit(tk_input(f), 3, NULL, &df, &err), &err);
  tk_check(sp_count(df, &count, &err), &err);
  assert_int_equal(count, 3);
  assert_int_equal(sp_limit(tk_input(f), -1, NULL, &df, &err), SP_EINVAL);
  sp_error_free(&err);
}

static void test_from_sql(void **state)
{
  fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = NULL;
  int64_t count = -1;

  tk_check(sp_from_sql(f->s, "SELECT i, '{' || i || '}' AS s FROM range(1000) "
                       "t(i)", NULL, &df, &err), &err);
  assert_int_equal(sp_df_num_partitions(df), 1);
  tk_check(sp_count(df, &count, &err), &err);
  assert_int_equal(count, 1000);
  tk_assert_same_rows("SELECT i, '{' || i || '}' FROM range(1000) t(i)",
                      tk_fmt("SELECT i, s FROM %s",
                             write_out(f, df, "from-sql")));
}

/* union concatenates partition by partition and moves nothing, matching
 * columns by name; inputs partitioned differently are refused, naming
 * both. */
static void test_union(void **state)
{
  fixture *f = *state;
  sp_error *err = NULL;
  sp_df *parts[3], *df = NULL;
  int64_t count = -1;

  parts[0] = tk_by_files(tk_input(f), 3);
  tk_check(sp_filter(tk_by_files(tk_input(f), 3), "k < 50", NULL, &parts[1],
                     &err),
           &err);
  tk_check(sp_map(tk_by_files(tk_input(f), 3), "v, name, k, id", NULL,
                  &parts[2],
                  &err), &err); /* the same columns in another order */
  tk_check(sp_union(parts, 3, &df, &err), &err);
  assert_int_equal(sp_df_num_partitions(df), 3);
  tk_check(sp_count(df, &count, &err), &err);
  assert_int_equal(count, tk_duck_i64(tk_fmt(
      "SELECT 2 * count(*) + count(*) FILTER (WHERE k < 50) FROM %s",
      in_sql(f))));
  tk_assert_same_rows(
      tk_fmt("SELECT * FROM %s UNION ALL SELECT * FROM %s WHERE k < 50 "
             "UNION ALL SELECT * FROM %s", in_sql(f), in_sql(f), in_sql(f)),
      tk_fmt("SELECT id, k, name, v FROM %s", write_out(f, df, "union")));
  /* Different columns: matched by name, NULL where an input lacks one,
   * as DuckDB's UNION ALL BY NAME. */
  tk_check(sp_map(tk_by_files(tk_input(f), 3), "id, k", NULL, &parts[0],
                  &err), &err);
  tk_check(sp_map(tk_by_files(tk_input(f), 3), "v AS w, id", NULL,
                  &parts[1], &err), &err);
  tk_check(sp_union(parts, 2, &df, &err), &err);
  tk_assert_same_rows(
      tk_fmt("SELECT id, k, w FROM (SELECT id, k FROM %s UNION ALL BY NAME "
             "SELECT v AS w, id FROM %s)", in_sql(f), in_sql(f)),
      tk_fmt("SELECT id, k, w FROM %s", write_out(f, df, "union-by-name")));
  parts[1] = tk_by_files(tk_input(f), 2);
  assert_int_equal(sp_union(parts, 2, &df, &err), SP_EPLAN);
  assert_non_null(strstr(sp_error_message(err), "3 partitions"));
  assert_non_null(strstr(sp_error_message(err), "2 partitions"));
  sp_error_free(&err);
}

/* take_all returns every row, equal to DuckDB's. */
static void test_take_all(void **state)
{
  fixture *f = *state;
  sp_error *err = NULL;
  sp_rows *rows = NULL;
  sp_df *df = NULL;
  int64_t sum = 0;
  size_t r;

  tk_check(sp_filter(tk_by_files(tk_input(f), 4), "k = 7", NULL, &df, &err),
           &err);
  tk_check(sp_take_all(df, &rows, &err), &err);
  assert_int_equal(sp_rows_count(rows),
                   tk_duck_i64(tk_fmt("SELECT count(*) FROM %s WHERE k = 7",
                                      in_sql(f))));
  assert_string_equal(sp_rows_column_name(rows, 0), "id");
  for (r = 0; r < sp_rows_count(rows); r++)
    sum += strtoll(sp_rows_value(rows, r, 0), NULL, 10);
  assert_int_equal(sum, tk_duck_i64(tk_fmt("SELECT sum(id) FROM %s WHERE "
                                           "k = 7", in_sql(f))));
  sp_rows_free(&rows);
}

/* {__data_partition__} is the task's partition; {rand_seed} differs
 * between tasks and is the same when the job runs again. */
static void test_placeholders(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  sp_repartition_options opt = {.hash_by = cols, .nhash_by = 1};
  const char *query = "SELECT id, {__data_partition__} AS p, "
                      "{rand_seed} AS seed, {batch_index} AS b FROM {0}";
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *out;

  tk_check(sp_repartition(tk_input(f), 5, &opt, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, query, &df, 1, NULL, &df, &err), &err);
  out = write_out(f, df, "placeholders");
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM %s WHERE p <> regexp_extract(filename, "
      "'part-(\\d+)-', 1)::INT OR b <> 0", out)), 0);
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(DISTINCT seed) FROM %s",
                                      out)), 5);
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(DISTINCT (p, seed)) "
                                      "FROM %s", out)), 5);
  assert_int_equal(sp_partial_sql(f->s, "SELECT {__data_partitions__} FROM "
                                  "{0}", &df, 1, NULL, &df, &err), SP_EINVAL);
  sp_error_free(&err);
}

/* Two lazy writes computed together run in one scheduler run; the output
 * folder is checked when the lazy write is made. */
static void test_lazy_write_and_compute(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  sp_repartition_options opt = {.hash_by = cols, .nhash_by = 1};
  char *a = strdup(tk_path(f->dir, "lazy-a")), *b = strdup(tk_path(f->dir,
                                                                   "lazy-b"));
  char *log_path = strdup(tk_path(sp_session_job_dir(f->s), "log/driver.log"));
  sp_error *err = NULL;
  sp_df *df = NULL, *agg = NULL, *outs[2];
  char *log;
  int runs;

  tk_check(sp_repartition(tk_input(f), 3, &opt, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT k, count(*) AS n FROM {0} GROUP BY k",
                          &df, 1, NULL, &agg, &err), &err);
  tk_check(sp_write_parquet_lazy(agg, a, NULL, &outs[0], &err), &err);
  tk_check(sp_write_parquet_lazy(tk_input(f), b, NULL, &outs[1], &err), &err);
  assert_false(tk_exists(a));
  log = tk_read(log_path);
  runs = tk_count(log, "run: done");
  free(log);
  tk_check(sp_compute(outs, 2, &err), &err);
  log = tk_read(log_path);
  assert_int_equal(tk_count(log, "run: done"), runs + 1);
  free(log);
  tk_assert_same_rows(tk_fmt("SELECT k, count(*) FROM %s GROUP BY k",
                             in_sql(f)),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", a));
  tk_assert_same_rows(tk_fmt("SELECT * FROM %s", in_sql(f)),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", b));
  /* Computing again publishes nothing twice and runs nothing new. */
  tk_check(sp_compute(outs, 2, &err), &err);
  /* Two outputs into one folder are refused before anything runs. */
  {
    char *c1 = strdup(tk_path(f->dir, "lazy-c"));
    sp_df *twice[2];
    tk_check(sp_write_parquet_lazy(agg, c1, NULL, &twice[0], &err), &err);
    tk_check(sp_write_parquet_lazy(tk_input(f), c1, NULL, &twice[1], &err),
             &err);
    assert_int_equal(sp_compute(twice, 2, &err), SP_EINVAL);
    assert_non_null(strstr(sp_error_message(err), "both write into"));
    sp_error_free(&err);
    assert_false(tk_exists(c1));
    free(c1);
  }
  assert_int_equal(sp_write_parquet_lazy(agg, a, NULL, &outs[0], &err),
                   SP_EEXIST);
  sp_error_free(&err);
  free(a);
  free(b);
  free(log_path);
}

/* times2(BIGINT) -> BIGINT, NULL for NULL. */
static void times2(duckdb_function_info info, duckdb_data_chunk input,
                   duckdb_vector output)
{
  duckdb_vector in = duckdb_data_chunk_get_vector(input, 0);
  idx_t n = duckdb_data_chunk_get_size(input), i;
  int64_t *src = duckdb_vector_get_data(in), *dst;
  uint64_t *valid = duckdb_vector_get_validity(in);

  (void)info;
  dst = duckdb_vector_get_data(output);
  for (i = 0; i < n; i++) {
    if (valid && !duckdb_validity_row_is_valid(valid, i)) {
      duckdb_vector_ensure_validity_writable(output);
      duckdb_validity_set_row_invalid(duckdb_vector_get_validity(output), i);
      continue;
    }
    dst[i] = src[i] * 2;
  }
}

static int register_times2(void *connection, void *arg)
{
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_logical_type t = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  duckdb_state st;

  duckdb_scalar_function_set_name(f, (const char *)arg);
  duckdb_scalar_function_add_parameter(f, t);
  duckdb_scalar_function_set_return_type(f, t);
  duckdb_scalar_function_set_function(f, times2);
  st = duckdb_register_scalar_function((duckdb_connection)connection, f);
  duckdb_destroy_logical_type(&t);
  duckdb_destroy_scalar_function(&f);
  return st == DuckDBSuccess ? 0 : 1;
}

static int refuse_setup(void *connection, void *arg)
{
  (void)connection;
  (void)arg;
  return 7;
}

/* A C function registered through duckdb_setup is there in every task;
 * a setup that fails makes sp_init fail and leaves nothing behind. */
static void test_duckdb_setup(void **state)
{
  fixture *f = *state;
  char name[] = "times2";
  sp_session *s = NULL;
  sp_error *err = NULL;
  sp_df *df = NULL;
  sp_config cfg;

  sp_config_init(&cfg);
  cfg.workers = 2;
  cfg.data_root = f->root;
  cfg.job_id = "udf";
  cfg.duckdb_setup = register_times2;
  cfg.duckdb_setup_arg = name;
  tk_check(sp_init(&cfg, &s, &err), &err);
  tk_check(sp_read_parquet(s, (const char *[]){f->glob}, 1, NULL, &df, &err),
           &err);
  tk_check(sp_repartition(df, 3, NULL, &df, &err), &err);
  tk_check(sp_map(df, "id, times2(id) AS t, times2(NULL) AS n", NULL, &df,
                  &err), &err);
  tk_check(sp_write_parquet(df, tk_path(f->dir, "udf"), NULL, &err), &err);
  sp_close(&s);
  tk_assert_same_rows(tk_fmt("SELECT id, id * 2, NULL FROM %s", in_sql(f)),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             tk_path(f->dir, "udf")));
  cfg.job_id = "refused";
  cfg.duckdb_setup = refuse_setup;
  assert_int_equal(sp_init(&cfg, &s, &err), SP_EWORKER);
  assert_non_null(strstr(sp_error_message(err), "could not start"));
  assert_non_null(strstr(sp_error_message(err), "returned 7"));
  assert_null(s);
  sp_error_free(&err);
  assert_false(tk_exists(tk_path(f->root, "refused")));
}

/* The number of SQL task attempts the session's driver has dispatched. */
static int sql_tasks_sent(fixture *f)
{
  char *log = tk_read(tk_path(sp_session_job_dir(f->s), "log/driver.log"));
  int n = 0;
  char *line;

  for (line = log; line && (line = strstr(line, "sql task ")); line++) {
    const char *sent = strstr(line, "-> worker"), *eol = strchr(line, '\n');
    n += sent && (!eol || sent < eol);
  }
  free(log);
  return n;
}

/* Consecutive SQL steps run as one query per partition, with the same
 * result; an ordered step, or one already computed, is not folded in. */
static void test_fusion(void **state)
{
  fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = NULL, *sorted = NULL, *mapped = NULL;
  int before;

  before = sql_tasks_sent(f);
  tk_check(sp_filter(tk_by_files(tk_input(f), 3), "k < 250", NULL, &df, &err),
           &err);
  tk_check(sp_map(df, "id, k, v * 2 AS v2, '{x}' AS lit", NULL, &df, &err),
           &err);
  tk_check(sp_partial_sql(f->s, "SELECT *, {__data_partition__} AS p FROM {0} "
                          "WHERE v2 > 10 -- a comment", &df, 1, NULL, &df,
                          &err), &err);
  tk_assert_same_rows(
      tk_fmt("SELECT id, k, v * 2, '{x}' FROM %s WHERE k < 250 AND v * 2 > 10",
             in_sql(f)),
      tk_fmt("SELECT id, k, v2, lit FROM %s", write_out(f, df, "fused")));
  assert_int_equal(sql_tasks_sent(f) - before, 3); /* not 9 */
  /* ORDER BY below: kept as its own step, so each partition stays sorted. */
  before = sql_tasks_sent(f);
  tk_check(sp_partial_sort(tk_by_files(tk_input(f), 2), "id DESC", NULL,
                           &sorted,
                           &err), &err);
  tk_check(sp_map(sorted, "id", NULL, &mapped, &err), &err);
  write_out(f, mapped, "sorted-mapped");
  assert_int_equal(sql_tasks_sent(f) - before, 4);
  /* Computed already: reused, not recomputed inside a fused query. */
  before = sql_tasks_sent(f);
  tk_check(sp_map(mapped, "id + 1 AS j", NULL, &df, &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT id + 1 FROM %s", in_sql(f)),
                      tk_fmt("SELECT j FROM %s", write_out(f, df, "reused")));
  assert_int_equal(sql_tasks_sent(f) - before, 2);
}

/* Files part-000 and part-002 to partition 0, the odd ones to 1: the
 * digit before ".parquet" decides. */
static int by_file_digit(const char *const *paths, size_t n, int nparts,
                         int *partition_of, void *arg)
{
  size_t i;

  (void)arg;
  for (i = 0; i < n; i++) {
    const char *dot = strrchr(paths[i], '.');
    partition_of[i] = (dot[-1] - '0') % nparts;
  }
  return 0;
}

static int out_of_range(const char *const *paths, size_t n, int nparts,
                        int *partition_of, void *arg)
{
  size_t i;

  (void)paths;
  (void)arg;
  for (i = 0; i < n; i++)
    partition_of[i] = nparts; /* one too many */
  return 0;
}

/* A C function assigns whole files to partitions, in the driver. */
static void test_assign_function(void **state)
{
  fixture *f = *state;
  sp_read_options with_name = {.filename = 1};
  sp_repartition_options opt = {.assign = by_file_digit,
                                .assign_name = "by-file-digit-v1"};
  sp_error *err = NULL;
  sp_df *df = NULL, *in = NULL;
  const char *out;

  tk_check(sp_read_parquet(f->s, (const char *[]){f->glob}, 1, &with_name,
                           &in, &err), &err);
  tk_check(sp_repartition(in, 2, &opt, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT id, filename AS src, "
                          "{__data_partition__} AS p FROM {0}", &df, 1, NULL,
                          &df, &err), &err);
  out = write_out(f, df, "assigned");
  tk_assert_same_rows(tk_fmt("SELECT id FROM %s", in_sql(f)),
                      tk_fmt("SELECT id FROM %s", out));
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM %s WHERE p <> regexp_extract(src, "
      "'(\\d)\\.parquet$', 1)::INT %% 2", out)), 0);
  opt.assign = out_of_range;
  opt.assign_name = "broken";
  tk_check(sp_repartition(in, 3, &opt, &df, &err), &err);
  assert_int_equal(sp_count(df, &(int64_t){0}, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "is out of range 0-2"));
  sp_error_free(&err);
  opt.assign_name = NULL;
  assert_int_equal(sp_repartition(in, 3, &opt, &df, &err), SP_EINVAL);
  sp_error_free(&err);
}

/* Reads a whole Arrow stream: its columns, rows, and the sum of the first
 * (BIGINT) column; releases everything. */
static void read_stream(struct ArrowArrayStream *s, int64_t *rows,
                        int64_t *sum, int64_t *columns)
{
  struct ArrowSchema schema;
  struct ArrowArray batch;

  *rows = *sum = 0;
  assert_int_equal(s->get_schema(s, &schema), 0);
  assert_string_equal(schema.format, "+s");
  assert_string_equal(schema.children[0]->format, "l"); /* int64 */
  *columns = schema.n_children;
  schema.release(&schema);
  for (;;) {
    const int64_t *ids;
    const uint8_t *valid;
    int64_t i;
    assert_int_equal(s->get_next(s, &batch), 0);
    if (!batch.release)
      break;
    ids = batch.children[0]->buffers[1];
    valid = batch.children[0]->buffers[0];
    for (i = 0; i < batch.length; i++) {
      int64_t j = i + batch.children[0]->offset;
      if (!valid || (valid[j / 8] >> (j % 8) & 1))
        *sum += ids[j];
    }
    *rows += batch.length;
    batch.release(&batch);
  }
  s->release(s);
  assert_null(s->release);
}

/* to_arrow gives every row, in Arrow, equal to DuckDB's count and sum. */
static void test_to_arrow(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  sp_repartition_options opt = {.hash_by = cols, .nhash_by = 1};
  struct ArrowArrayStream stream;
  sp_error *err = NULL;
  sp_df *df = NULL;
  int64_t rows, sum, ncols;

  tk_check(sp_repartition(tk_input(f), 4, &opt, &df, &err), &err);
  tk_check(sp_to_arrow(df, &stream, &err), &err);
  read_stream(&stream, &rows, &sum, &ncols);
  assert_int_equal(ncols, 4);
  assert_int_equal(rows, ROWS);
  assert_int_equal(sum, tk_duck_i64(tk_fmt("SELECT sum(id) FROM %s",
                                           in_sql(f))));
  tk_check(sp_filter(df, "false", NULL, &df, &err), &err);
  tk_check(sp_to_arrow(df, &stream, &err), &err);
  read_stream(&stream, &rows, &sum, &ncols);
  assert_int_equal(rows, 0);
  assert_int_equal(ncols, 4);
}

/* from_arrow reads a stream (here: to_arrow's) into a DataFrame; the same
 * data twice is one file, named by its content. */
static void test_from_arrow(void **state)
{
  fixture *f = *state;
  struct ArrowArrayStream stream;
  sp_error *err = NULL;
  sp_df *df = NULL, *back = NULL;
  int i;

  tk_check(sp_map(tk_by_files(tk_input(f), 3), "id, name, v, k > 250 AS big, "
                  "[k, k + 1] AS ks, {'k': k, 'name': name} AS s", NULL, &df,
                  &err), &err);
  for (i = 0; i < 2; i++) {
    tk_check(sp_to_arrow(df, &stream, &err), &err);
    tk_check(sp_from_arrow(f->s, &stream, &back, &err), &err);
    assert_null(stream.release); /* consumed and released */
  }
  tk_check(sp_repartition(back, 2, &(sp_repartition_options){.by_rows = 1},
                          &back, &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT id, name, v, k > 250, [k, k + 1], "
                             "{'k': k, 'name': name} FROM %s", in_sql(f)),
                      tk_fmt("SELECT id, name, v, big, ks, s FROM %s",
                             write_out(f, back, "from-arrow")));
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM glob('%s/inputs/arrow-*.parquet')",
      sp_session_job_dir(f->s))), 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_repartition_by_expression, setup,
                                    tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_repartition_by_out_of_range, setup,
                                    tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_random_shuffle, setup,
                                    tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_map_filter_flat_map, setup,
                                    tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_partial_sort, setup,
                                    tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_limit, setup, tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_from_sql, setup, tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_union, setup, tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_take_all, setup, tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_placeholders, setup,
                                    tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_lazy_write_and_compute, setup,
                                    tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_duckdb_setup, setup,
                                    tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_fusion, setup, tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_assign_function, setup,
                                    tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_to_arrow, setup, tk_fixture_teardown),
    cmocka_unit_test_setup_teardown(test_from_arrow, setup,
                                    tk_fixture_teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
