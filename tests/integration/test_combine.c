/*
 * test_combine.c - the combiner: an aggregate over a hash repartition by
 * its group keys runs as a partial aggregate in each shuffle producer and
 * a final one per partition. Its rows, column names and types must be
 * DuckDB's for the same query on the same files; queries it cannot split
 * run as written, with the same results.
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

#define ROWS 30000
#define FILES 4
#define KEYS 700

/* The aggregate query over a hash repartition by k into 5 partitions,
 * written to a fresh folder; returns the folder. */
static const char *run(tk_fixture *f, const char *query, const char *tag)
{
  const char *key[] = {"k"}, *out = tk_path(f->dir, tag);
  sp_repartition_options hash = {.hash_by = key, .nhash_by = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_repartition(tk_input(f), 5, &hash, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, query, &df, 1, NULL, &df, &err), &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  return out;
}

/* How many repartitions in the job's last plan combine. */
static int combining(tk_fixture *f)
{
  char *plan = tk_read(tk_path(sp_session_job_dir(f->s), "plan.json"));
  int n;

  assert_non_null(plan);
  n = tk_count(plan, "\"combine\"");
  free(plan);
  return n;
}

/* The same query straight over the files: {0} the files, {{ and }}
 * single braces. */
static const char *direct_over(const char *glob, const char *query)
{
  const char *from = tk_fmt("read_parquet('%s')", glob);
  char buf[4096];
  size_t n = 0;
  const char *p;

  for (p = query; *p && n + strlen(from) + 2 < sizeof(buf); p++) {
    if (strncmp(p, "{0}", 3) == 0) {
      n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", from);
      p += 2;
    } else {
      buf[n++] = *p;
      if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
        p++;
    }
  }
  buf[n] = '\0';
  return tk_fmt("%s", buf);
}

static const char *direct(tk_fixture *f, const char *query)
{
  return direct_over(f->glob, query);
}

/* Same rows, and the same column names and types as DuckDB gives the
 * query, but for HUGEINT, which smallpond writes to Parquet as
 * DECIMAL(38,0) (DuckDB would write DOUBLE and lose digits). */
static void assert_same_result(tk_fixture *f, const char *query,
                               const char *out)
{
  const char *mine = tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                            out);

  tk_assert_same_rows(direct(f, query), mine);
  tk_assert_same_rows(tk_fmt("SELECT column_name, regexp_replace("
                             "column_type, 'U?HUGEINT', 'DECIMAL(38,0)', 'g') "
                             "FROM (DESCRIBE %s)", direct(f, query)),
                      tk_fmt("SELECT column_name, column_type FROM "
                             "(DESCRIBE %s)", mine));
}

/* count(*), count of a column with NULLs, an integer sum, min and max of
 * numbers and text, a WHERE, and two group columns, one not selected. */
static void test_combined_aggregates(void **state)
{
  tk_fixture *f = tk_fixture_new(ROWS, FILES, KEYS, "combine", NULL);
  const char *query =
      "SELECT count(*) AS n, k, count(name) AS named, sum(id) AS ids, "
      "min(v) AS lo, max(v) AS hi, min(name) AS first, "
      "max(name) AS \"Last {{1}}\" FROM {0} WHERE id % 7 <> 3 "
      "GROUP BY k, name";
  const char *out;

  (void)state;
  assert_non_null(f);
  out = run(f, query, "combined");
  assert_int_equal(combining(f), 1);
  assert_same_result(f, query, out);
  tk_fixture_free(f);
}

/* A sum of doubles, and what the shuffle moved: at most one row per key
 * and producer instead of every row. */
static void test_combined_shuffle_moves_less(void **state)
{
  tk_fixture *f = tk_fixture_new(ROWS, FILES, KEYS, "combine-rows", NULL);
  const char *query = "SELECT k, sum(v) AS s, count(*) AS n FROM {0} "
                      "GROUP BY k";
  const char *out = run(f, query, "sums");
  int64_t moved;

  (void)state;
  assert_int_equal(combining(f), 1);
  /* Sums of doubles differ in the last bits with the order of addition. */
  tk_assert_same_rows(
      tk_fmt("SELECT k, round(sum(v), 6), count(*) FROM read_parquet('%s') "
             "GROUP BY k", f->glob),
      tk_fmt("SELECT k, round(s, 6), n FROM read_parquet('%s/*.parquet')",
             out));
  tk_assert_same_rows(tk_fmt("SELECT column_name, column_type FROM "
                             "(DESCRIBE %s)", direct(f, query)),
                      tk_fmt("SELECT column_name, column_type FROM (DESCRIBE "
                             "SELECT * FROM read_parquet('%s/*.parquet'))",
                             out));
  moved = tk_duck_i64(tk_fmt(
      "SELECT sum(rows_out) FROM read_csv('%s/log/tasks.csv') WHERE kind = "
      "'shuffle' AND status = 'ok'", sp_session_job_dir(f->s)));
  assert_true(moved > 0);
  assert_true(moved <= (int64_t)FILES * KEYS);
  tk_fixture_free(f);
}

/* Shapes the planner's aggregate split covers beyond plain sums: avg,
 * an expression over aggregates, HAVING, FILTER, an unnamed aggregate
 * (named as DuckDB names it), ORDER BY with LIMIT per partition, and the
 * variance family (pooled on each partition, rounded: the order of
 * addition differs). */
static void test_combined_shapes(void **state)
{
  static const char *const queries[] = {
      "SELECT k, avg(id) AS a FROM {0} GROUP BY k",
      "SELECT k, round(sum(id) / 7, 3) AS s FROM {0} GROUP BY k",
      "SELECT k, count(*) AS n FROM {0} GROUP BY k HAVING count(*) > 40",
      "SELECT k, count(*) FILTER (WHERE id % 3 = 0) AS n, "
      "max(id) FILTER (WHERE name IS NULL) AS m FROM {0} GROUP BY k",
      "SELECT k, count(*), sum(id) FROM {0} GROUP BY k",
      "SELECT k, sum(id) AS s FROM {0} GROUP BY k ORDER BY s DESC, k "
      "LIMIT 3",
      "SELECT k, round(stddev(id), 2) AS sd, round(var_pop(id) / 1000) "
      "AS vp, count(*) AS n FROM {0} GROUP BY k",
  };
  tk_fixture *f = tk_fixture_new(ROWS, FILES, KEYS, "combine-shapes", NULL);
  size_t i;

  (void)state;
  assert_non_null(f);
  for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
    const char *out = run(f, queries[i], tk_fmt("q%zu", i));
    /* the plan holds the session's nodes: one more combines each time */
    assert_int_equal(combining(f), (int)i + 1);
    if (strstr(queries[i], "LIMIT")) /* per partition: up to 3 each */
      tk_assert_same_rows(
          tk_fmt("SELECT * FROM (SELECT k, sum(id) AS s, row_number() OVER "
                 "(PARTITION BY hash(k) %% 5 ORDER BY sum(id) DESC, k) AS r "
                 "FROM read_parquet('%s') GROUP BY k) WHERE r <= 3",
                 f->glob),
          tk_fmt("SELECT *, row_number() OVER (PARTITION BY hash(k) %% 5 "
                 "ORDER BY s DESC, k) FROM read_parquet('%s/*.parquet')",
                 out));
    else
      assert_same_result(f, queries[i], out);
  }
  tk_fixture_free(f);
}

/* Shapes it does not split run as written and give DuckDB's result (the
 * GROUP BY name per partition: name is not the hash key). */
static void test_not_combined(void **state)
{
  static const char *const queries[][2] = {
      {"SELECT k, count(*) AS n FROM {0} GROUP BY k, id % 2", NULL},
      {"SELECT k, count(DISTINCT name) AS n FROM {0} GROUP BY k", NULL},
      {"SELECT k, median(id) AS n FROM {0} GROUP BY k", NULL},
      {"SELECT k, string_agg(name, ',' ORDER BY id) AS n FROM {0} "
       "GROUP BY k", NULL},
      {"SELECT name, count(*) AS n FROM {0} GROUP BY name",
       "SELECT name, count(*) AS n FROM {0} GROUP BY hash(k) % 5, name"},
      {"SELECT k, count(*) + {__data_partition__} * 0 AS n FROM {0} "
       "GROUP BY k", "SELECT k, count(*) AS n FROM {0} GROUP BY k"},
      {"SELECT k, sum(id) OVER () AS n FROM {0} GROUP BY k, id",
       "SELECT k, sum(id) OVER (PARTITION BY hash(k) % 5) AS n FROM {0} "
       "GROUP BY k, id"},
  };
  tk_fixture *f = tk_fixture_new(ROWS, FILES, KEYS, "no-combine", NULL);
  size_t i;

  (void)state;
  assert_non_null(f);
  for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
    const char *out = run(f, queries[i][0], tk_fmt("q%zu", i));
    const char *expected = queries[i][1] ? queries[i][1] : queries[i][0];
    assert_int_equal(combining(f), 0);
    tk_assert_same_rows(direct(f, expected),
                        tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                               out));
  }
  tk_fixture_free(f);
}

/* The cases a reviewer found: a subquery in WHERE sees the partition
 * (not one producer's rows), a select alias used in WHERE, a column
 * alias list on the input, an unnamed key written in another case, and
 * an integer sum that the next step reads as HUGEINT. */
static void test_combiner_keeps_meaning(void **state)
{
  tk_fixture *f = tk_fixture_new(ROWS, FILES, KEYS, "combine-edges", NULL);
  const char *key[] = {"k"};
  sp_repartition_options hash = {.hash_by = key, .nhash_by = 1};
  const char *sub = "SELECT k, count(*) AS c FROM {0} WHERE v > (SELECT "
                    "avg(v) FROM {0}) GROUP BY k";
  const char *alias = "SELECT k AS key, count(*) AS c FROM {0} WHERE key > 2 "
                      "GROUP BY k";
  const char *renamed = "SELECT k, count(*) AS c FROM {0} AS t(k, a) "
                        "GROUP BY k";
  sp_error *err = NULL;
  sp_df *df = NULL, *in = NULL;
  const char *out;

  (void)state;
  assert_non_null(f);
  out = run(f, sub, "subquery");
  assert_int_equal(combining(f), 0);
  tk_assert_same_rows(tk_fmt("SELECT k, count(*) FROM read_parquet('%s') t "
                             "WHERE v > (SELECT avg(v) FROM read_parquet('%s') "
                             "u WHERE hash(u.k) %% 5 = hash(t.k) %% 5) GROUP "
                             "BY k", f->glob, f->glob),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  out = run(f, alias, "alias");
  assert_int_equal(combining(f), 0);
  assert_same_result(f, alias, out);
  out = run(f, renamed, "renamed");
  assert_int_equal(combining(f), 0);
  tk_assert_same_rows(tk_fmt("SELECT id AS k, count(*) FROM read_parquet('%s') "
                             "GROUP BY hash(k) %% 5, id", f->glob),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  out = run(f, "SELECT K, count(*) AS c FROM {0} GROUP BY K", "upper");
  assert_int_equal(combining(f), 1);
  assert_same_result(f, "SELECT K, count(*) AS c FROM {0} GROUP BY K", out);
  /* The next step reads the final sum as DuckDB types it: HUGEINT. */
  tk_check(sp_repartition(tk_input(f), 5, &hash, &in, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT k, sum(id * 1000000000000) AS s "
                          "FROM {0} GROUP BY k", &in, 1, NULL, &df, &err),
           &err);
  tk_check(sp_partial_sql(f->s, "SELECT k, typeof(s) AS t, (s % 1000003)::"
                          "BIGINT AS m FROM {0}", &df, 1, NULL, &df, &err),
           &err);
  out = tk_path(f->dir, "huge");
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  assert_int_equal(combining(f), 2); /* the plan holds the session's nodes */
  tk_assert_same_rows(tk_fmt("SELECT k, 'HUGEINT', (sum(id * 1000000000000) "
                             "%% 1000003)::BIGINT FROM read_parquet('%s') "
                             "GROUP BY k", f->glob),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  tk_fixture_free(f);
}

/* Integer sums past 2^53 (and past BIGINT) stay exact through every file
 * smallpond writes: a combined aggregate's exchange, a SQL step's output
 * read by a later step across a repartition, and the published files,
 * whose column is DECIMAL(38,0). Compared as text, digit for digit. */
static void test_sum_beyond_2_53(void **state)
{
  tk_fixture *f = tk_fixture_new(ROWS, FILES, KEYS, "huge-sums", NULL);
  const char *query = "SELECT k, sum(id * 1000000000007) AS s FROM {0} "
                      "GROUP BY k";
  const char *out, *twice = NULL;
  sp_error *err = NULL;
  sp_df *df = NULL;

  (void)state;
  assert_non_null(f);
  out = run(f, query, "combined-huge");
  assert_int_equal(combining(f), 1);
  tk_assert_same_rows(tk_fmt("SELECT k, s::VARCHAR FROM (%s)",
                             direct(f, query)),
                      tk_fmt("SELECT k, s::VARCHAR FROM read_parquet('%s/*."
                             "parquet')", out));
  assert_true(tk_duck_i64(tk_fmt("SELECT count(*) FROM (DESCRIBE SELECT s "
                                 "FROM read_parquet('%s/*.parquet')) WHERE "
                                 "column_type = 'DECIMAL(38,0)'", out)) == 1);
  /* Per file, then summed again after a repartition: the second step
   * reads what the first wrote. The total is about 4.5e22. */
  tk_check(sp_partial_sql(f->s, "SELECT sum(id * 100000000000007) AS s "
                          "FROM {0}", (sp_df *[]){tk_by_files(tk_input(f),
                                                              4)},
                          1, NULL, &df, &err), &err);
  df = tk_by_files(df, 1);
  tk_check(sp_partial_sql(f->s, "SELECT sum(s) AS total FROM {0}", &df, 1,
                          NULL, &df, &err), &err);
  twice = tk_path(f->dir, "twice-huge");
  tk_check(sp_write_parquet(df, twice, NULL, &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT sum(id * 100000000000007)::VARCHAR "
                             "FROM read_parquet('%s')", f->glob),
                      tk_fmt("SELECT total::VARCHAR FROM read_parquet('%s/*."
                             "parquet')", twice));
  assert_true(tk_duck_i64(tk_fmt("SELECT (total > 2::DECIMAL(38,0) ^ 63)::INT"
                                 " FROM read_parquet('%s/*.parquet')",
                                 twice)) == 1);
  tk_fixture_free(f);
}

/* Shapes that make a HUGEINT without a plain sum, each written exactly:
 * repeated and case-twin column names, factorial, and the common type of
 * a UBIGINT column and a signed one. Compared as text with DuckDB. */
static void test_hugeint_shapes(void **state)
{
  static const char *const queries[] = {
    "SELECT sum(id * 100000000000007), sum(id * 100000000000007) FROM {0}",
    "SELECT sum(id) * 1000000000007 AS s, sum(k) AS \"S\" FROM {0}",
    "SELECT factorial(25) AS f, count(*) AS n FROM {0}",
    "SELECT coalesce(u, -id) AS c FROM {0}",
    "SELECT CASE WHEN id % 2 = 0 THEN u ELSE -id END AS c FROM {0}",
  };
  tk_fixture *f = tk_fixture_new(ROWS, FILES, KEYS, "huge-shapes", NULL);
  const char *u = tk_path(f->dir, "unsigned.parquet");
  sp_error *err = NULL;
  size_t i;

  (void)state;
  assert_non_null(f);
  /* u: a 64-bit unsigned column past BIGINT, and id. */
  tk_duck_exec(tk_fmt("COPY (SELECT id, (hash(id) | (1::UBIGINT << 63)) AS u "
                      "FROM read_parquet('%s')) TO '%s'", f->glob, u));
  for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
    const char *out = tk_path(f->dir, tk_fmt("shape-%zu", i));
    const char *src = i < 3 ? f->glob : u;
    sp_df *df = NULL;
    tk_check(sp_read_parquet(f->s, &src, 1, NULL, &df, &err), &err);
    tk_check(sp_partial_sql(f->s, queries[i], &df, 1, NULL, &df, &err),
             &err);
    tk_check(sp_write_parquet(df, out, NULL, &err), &err);
    tk_assert_same_rows(
        tk_fmt("SELECT COLUMNS(*)::VARCHAR FROM (%s)",
               tk_fmt("%s", direct_over(src, queries[i]))),
        tk_fmt("SELECT COLUMNS(*)::VARCHAR FROM read_parquet('%s/*.parquet')",
               out));
  }
  tk_fixture_free(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_combined_aggregates),
    cmocka_unit_test(test_combined_shuffle_moves_less),
    cmocka_unit_test(test_combined_shapes),
    cmocka_unit_test(test_not_combined),
    cmocka_unit_test(test_combiner_keeps_meaning),
    cmocka_unit_test(test_sum_beyond_2_53),
    cmocka_unit_test(test_hugeint_shapes),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
