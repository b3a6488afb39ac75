/*
 * test_sources.c - read_csv, read_json and read_parquet's options, each
 * result compared with DuckDB reading the same files directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smallpond.h"
#include "testkit.h"

#define ROWS 12000
#define FILES 3

static const char *const columns[] = {"id", "k", "name", "v"};
static const char *const types[] = {"BIGINT", "BIGINT", "VARCHAR", "DOUBLE"};

typedef struct fixture {
  char *dir;
  char parquet[4096], csv[4096], json[4096], root[4096];
  sp_session *s;
} fixture;

/* The table as Parquet (part-*.parquet), CSV with a header and '|'
 * (part-*.csv) and JSON lines (part-*.json), the same rows in each. */
static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  duckdb_database db;
  duckdb_connection con;
  int i, rc = 0;

  if (!f || !(f->dir = tk_tmpdir()) ||
      tk_make_table(f->dir, ROWS, FILES, 200) != 0 || dc_open(&db, &con))
    return -1;
  for (i = 0; i < FILES && rc == 0; i++) {
    rc = dc_exec(con, tk_fmt("COPY (FROM '%s/part-%03d.parquet') TO "
                             "'%s/part-%03d.csv' (FORMAT csv, HEADER true, "
                             "DELIMITER '|')", f->dir, i, f->dir, i));
    rc = rc ? rc : dc_exec(con, tk_fmt("COPY (FROM '%s/part-%03d.parquet') "
                                       "TO '%s/part-%03d.json' (FORMAT json)",
                                       f->dir, i, f->dir, i));
  }
  dc_close(&db, &con);
  snprintf(f->parquet, sizeof(f->parquet), "%s/part-*.parquet", f->dir);
  snprintf(f->csv, sizeof(f->csv), "%s/part-*.csv", f->dir);
  snprintf(f->json, sizeof(f->json), "%s/part-*.json", f->dir);
  snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
  f->s = tk_session(f->root, 2, "sources");
  *state = f;
  return rc;
}

static int teardown(void **state)
{
  fixture *f = *state;

  sp_close(&f->s);
  tk_rm_rf(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

static const char *write_out(fixture *f, sp_df *df, const char *name)
{
  const char *dir = tk_path(f->dir, name);
  sp_error *err = NULL;

  tk_check(sp_write_parquet(df, dir, NULL, &err), &err);
  return tk_fmt("read_parquet('%s/*.parquet')", dir);
}

static void test_csv(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"k"};
  sp_read_options csv = {.columns = columns, .ncolumns = 4, .types = types,
                         .delimiter = "|", .header = 1};
  sp_repartition_options by_k = {.hash_by = cols, .nhash_by = 1};
  sp_error *err = NULL;
  sp_df *df = NULL, *agg = NULL;
  int64_t n = -1;

  tk_check(sp_read_csv(f->s, (const char *[]){f->csv}, 1, &csv, &df, &err),
           &err);
  tk_check(sp_count(df, &n, &err), &err);
  assert_int_equal(n, ROWS);
  tk_check(sp_repartition(df, 3, &by_k, &agg, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT k, count(*) AS n, max(name) AS m, "
                          "sum(id) AS s FROM {0} GROUP BY k", &agg, 1, NULL,
                          &agg, &err), &err);
  tk_assert_same_rows(
      tk_fmt("SELECT k, count(*), max(name), sum(id) FROM read_csv('%s', "
             "delim = '|', header = true) GROUP BY k", f->csv),
      tk_fmt("SELECT * FROM %s", write_out(f, agg, "csv-agg")));
  /* More partitions than files: the empty ones still have the columns. */
  tk_check(sp_repartition(df, 7, NULL, &df, &err), &err);
  tk_check(sp_map(df, "id, name", NULL, &df, &err), &err);
  tk_assert_same_rows(
      tk_fmt("SELECT id, name FROM read_csv('%s', delim = '|', header = "
             "true)", f->csv),
      tk_fmt("SELECT * FROM %s", write_out(f, df, "csv-split")));
}

static void test_csv_errors(void **state)
{
  fixture *f = *state;
  sp_read_options no_schema = {.delimiter = "|"};
  sp_read_options csv = {.columns = columns, .ncolumns = 4, .types = types,
                         .delimiter = "|", .header = 1};
  sp_repartition_options rows = {.by_rows = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;
  int64_t n;

  assert_int_equal(sp_read_csv(f->s, (const char *[]){f->csv}, 1, &no_schema,
                               &df, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "needs a schema"));
  sp_error_free(&err);
  tk_check(sp_read_csv(f->s, (const char *[]){f->csv}, 1, &csv, &df, &err),
           &err);
  tk_check(sp_repartition(df, 3, &rows, &df, &err), &err);
  assert_int_equal(sp_count(df, &n, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "needs Parquet"));
  sp_error_free(&err);
}

static void test_json(void **state)
{
  fixture *f = *state;
  sp_read_options json = {.columns = columns, .ncolumns = 4, .types = types};
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_read_json(f->s, (const char *[]){f->json}, 1, &json, &df,
                        &err), &err);
  tk_check(sp_repartition(df, 2, NULL, &df, &err), &err);
  tk_check(sp_filter(df, "k < 20", NULL, &df, &err), &err);
  tk_assert_same_rows(
      tk_fmt("SELECT * FROM read_json('%s', format = 'newline_delimited') "
             "WHERE k < 20", f->json),
      tk_fmt("SELECT * FROM %s", write_out(f, df, "json")));
}

/* CSV and JSON files read with detect: each file's dialect found as
 * DuckDB finds it (a ';' file and a ',' file, a header and none of the
 * same names is refused by DuckDB, so both have headers; quotes around a
 * delimiter; a JSON array and a JSON-lines file with another key), the
 * types found over all the files (an integer column that one file has as
 * decimals), however the files are split; or types forced by name. */
static void test_detect(void **state)
{
  fixture *f = *state;
  const char *dir = tk_path(f->dir, "detect");
  const char *forced_cols[] = {"b", "a"}, *forced_types[] = {"VARCHAR",
                                                             "DOUBLE"};
  sp_read_options detect = {.detect = 1};
  sp_read_options forced = {.detect = 1, .columns = forced_cols,
                            .ncolumns = 2, .types = forced_types};
  sp_read_options bad = {.detect = 1, .delimiter = ";"};
  const char *csvs = tk_fmt("%s/*.csv", dir), *jsons = tk_fmt("%s/*.json",
                                                               dir);
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *out;
  int parts;

  assert_int_equal(tk_mkdir_p(dir), 0);
  tk_duck_exec(tk_fmt("COPY (SELECT 1 AS a, 'x,1' AS b, DATE '2024-01-31' AS "
                      "d) TO '%s/1.csv' (HEADER)", dir));
  tk_duck_exec(tk_fmt("COPY (SELECT 2.5 AS a, 'y' AS b, DATE '2024-02-01' AS "
                      "d UNION ALL SELECT 3, NULL, NULL) TO '%s/2.csv' "
                      "(HEADER, DELIMITER ';')", dir));
  tk_duck_exec(tk_fmt("COPY (SELECT range AS a, 'r' || range AS b, DATE "
                      "'2024-03-01' + range::INT AS d FROM range(40)) TO "
                      "'%s/3.csv' (HEADER)", dir));
  tk_duck_exec(tk_fmt("COPY (SELECT 1 AS a, 'x' AS b) TO '%s/1.json' "
                      "(FORMAT json, ARRAY true)", dir));
  tk_duck_exec(tk_fmt("COPY (SELECT 2.5 AS a, true AS c FROM range(3)) TO "
                      "'%s/2.json' (FORMAT json)", dir));
  for (parts = 1; parts <= 3; parts += 2) {
    tk_check(sp_read_csv(f->s, &csvs, 1, &detect, &df, &err), &err);
    if (parts > 1)
      tk_check(sp_repartition(df, parts, NULL, &df, &err), &err);
    out = write_out(f, df, tk_fmt("csv-%d", parts));
    tk_assert_same_rows(tk_fmt("SELECT * FROM read_csv('%s')", csvs),
                        tk_fmt("SELECT * FROM %s", out));
    /* Columns of the same types as DuckDB's, named as its. */
    tk_assert_same_rows(
        tk_fmt("SELECT column_name, column_type FROM (DESCRIBE SELECT * "
               "FROM read_csv('%s'))", csvs),
        tk_fmt("SELECT column_name, column_type FROM (DESCRIBE SELECT * "
               "FROM %s)", out));
    tk_check(sp_read_json(f->s, &jsons, 1, &detect, &df, &err), &err);
    if (parts > 1)
      tk_check(sp_repartition(df, parts, NULL, &df, &err), &err);
    tk_assert_same_rows(tk_fmt("SELECT * FROM read_json('%s')", jsons),
                        tk_fmt("SELECT * FROM %s",
                               write_out(f, df, tk_fmt("json-%d", parts))));
  }
  tk_check(sp_read_csv(f->s, &csvs, 1, &forced, &df, &err), &err);
  tk_check(sp_repartition(df, 3, NULL, &df, &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT b, a FROM read_csv('%s', types = "
                             "{'a': 'DOUBLE', 'b': 'VARCHAR'})", csvs),
                      tk_fmt("SELECT * FROM %s",
                             write_out(f, df, "csv-forced")));
  assert_int_equal(sp_read_csv(f->s, &csvs, 1, &bad, &df, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "delimiter"));
  sp_error_free(&err);
}

/* A projection, and the generated columns, also through a by-rows split
 * whose ranges read with file_row_number themselves. */
static void test_parquet_options(void **state)
{
  fixture *f = *state;
  const char *proj[] = {"v", "id"};
  sp_read_options opt = {.columns = proj, .ncolumns = 2, .filename = 1,
                         .file_row_number = 1};
  sp_repartition_options rows = {.by_rows = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *out;
  char *q;

  tk_check(sp_read_parquet(f->s, (const char *[]){f->parquet}, 1, &opt, &df,
                           &err), &err);
  tk_check(sp_repartition(df, 5, &rows, &df, &err), &err);
  out = write_out(f, df, "projected");
  q = strdup(tk_fmt("SELECT column_name FROM (DESCRIBE SELECT * FROM %s)",
                    out));
  tk_assert_same_rows("SELECT unnest(['v', 'id', 'filename', "
                      "'file_row_number'])", q);
  tk_assert_same_rows(
      tk_fmt("SELECT v, id, filename, file_row_number FROM read_parquet('%s',"
             " filename = true, file_row_number = true)", f->parquet),
      tk_fmt("SELECT * FROM %s", out));
  free(q);
}

/* union_by_name: files with different columns read as one, NULL where a
 * file lacks a column. */
static void test_parquet_union_by_name(void **state)
{
  fixture *f = *state;
  sp_read_options opt = {.union_by_name = 1};
  char *glob = strdup(tk_path(f->dir, "mixed-*.parquet"));
  duckdb_database db;
  duckdb_connection con;
  sp_error *err = NULL;
  sp_df *df = NULL;

  assert_int_equal(dc_open(&db, &con), 0);
  assert_int_equal(dc_exec(con, tk_fmt("COPY (SELECT i AS a, i * 2 AS b FROM "
                                       "range(5) t(i)) TO '%s/mixed-1.parquet'",
                                       f->dir)), 0);
  assert_int_equal(dc_exec(con, tk_fmt("COPY (SELECT 'x' || i AS c, i AS a "
                                       "FROM range(3) t(i)) TO "
                                       "'%s/mixed-2.parquet'", f->dir)), 0);
  dc_close(&db, &con);
  tk_check(sp_read_parquet(f->s, (const char **)&glob, 1, &opt, &df, &err),
           &err);
  tk_assert_same_rows(
      tk_fmt("SELECT a, b, c FROM read_parquet('%s', union_by_name = true)",
             glob),
      tk_fmt("SELECT a, b, c FROM %s", write_out(f, df, "mixed")));
  free(glob);
}

/* The unified schema holds in every partition, whichever files it got:
 * split by files (and by rows), each partition reads every column, NULL
 * where its files lack one, with the type the files unite to (a is
 * INTEGER in one file, BIGINT in another); every written file has the
 * same schema. A projection implies union by name, and a column in none
 * of the files is refused when the source is built. */
static void test_parquet_union_by_name_split(void **state)
{
  fixture *f = *state;
  sp_read_options by_name = {.union_by_name = 1};
  const char *some[] = {"b", "id"}, *none[] = {"id", "nosuch"};
  sp_read_options projected = {.columns = some, .ncolumns = 2};
  sp_read_options missing = {.columns = none, .ncolumns = 2};
  sp_repartition_options rows = {.by_rows = 1};
  char *glob = strdup(tk_path(f->dir, "split-*.parquet"));
  const char *whole = tk_fmt("read_parquet('%s', union_by_name = true)",
                             glob);
  const char *out;
  duckdb_database db;
  duckdb_connection con;
  sp_error *err = NULL;
  sp_df *df = NULL;
  int by;

  assert_int_equal(dc_open(&db, &con), 0);
  assert_int_equal(dc_exec(con, tk_fmt("COPY (SELECT i AS id, i::INTEGER AS "
                                       "a FROM range(40) t(i)) TO "
                                       "'%s/split-1.parquet'", f->dir)), 0);
  assert_int_equal(dc_exec(con, tk_fmt("COPY (SELECT i AS id, i * 2 AS b, "
                                       "i::BIGINT AS a FROM range(40, 70) "
                                       "t(i)) TO '%s/split-2.parquet'",
                                       f->dir)), 0);
  assert_int_equal(dc_exec(con, tk_fmt("COPY (SELECT 'x' || i AS c, i AS id "
                                       "FROM range(70, 90) t(i)) TO "
                                       "'%s/split-3.parquet'", f->dir)), 0);
  dc_close(&db, &con);
  for (by = 0; by < 2; by++) {
    tk_check(sp_read_parquet(f->s, (const char **)&glob, 1, &by_name, &df,
                             &err), &err);
    tk_check(sp_repartition(df, by ? 5 : 3, by ? &rows : NULL, &df, &err),
             &err);
    tk_check(sp_partial_sql(f->s, "SELECT id, a, b, c FROM {0}", &df, 1,
                            NULL, &df, &err), &err);
    out = write_out(f, df, by ? "split-rows" : "split-files");
    tk_assert_same_rows(tk_fmt("SELECT id, a, b, c FROM %s", whole),
                        tk_fmt("SELECT * FROM %s", out));
    /* The same columns and types in every file written. */
    assert_int_equal(
        tk_duck_i64(tk_fmt(
            "SELECT count(DISTINCT s) * 10 + (count(*) > 1)::INT FROM ("
            "SELECT file_name, string_agg(name || ' ' || type, ', ' ORDER BY "
            "name) AS s FROM parquet_schema('%s/split-%s/*.parquet') WHERE "
            "name <> 'duckdb_schema' GROUP BY file_name)",
            f->dir, by ? "rows" : "files")),
        11);
    assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(*) FROM (DESCRIBE "
                                        "SELECT a FROM %s) WHERE column_type "
                                        "= 'BIGINT'", out)), 1);
  }
  /* A projection alone unites by name; b is missing from two files. */
  tk_check(sp_read_parquet(f->s, (const char **)&glob, 1, &projected, &df,
                           &err), &err);
  tk_check(sp_repartition(df, 3, NULL, &df, &err), &err);
  out = write_out(f, df, "projected");
  tk_assert_same_rows(tk_fmt("SELECT b, id FROM %s", whole),
                      tk_fmt("SELECT * FROM %s", out));
  assert_int_equal(sp_read_parquet(f->s, (const char **)&glob, 1, &missing,
                                   &df, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "nosuch is in none of the 3 "
                                                "files"));
  sp_error_free(&err);
  free(glob);
}

/* Review findings: quoted CSV fields with doubled quotes and commas; a
 * CSV split into more partitions than files (empty partitions must not
 * empty the others); a union of steps whose column types differ. */
static void test_csv_quotes_and_unions(void **state)
{
  fixture *f = *state;
  const char *cols[] = {"id", "name", "note"};
  const char *tys[] = {"BIGINT", "VARCHAR", "VARCHAR"};
  sp_read_options csv = {.columns = cols, .ncolumns = 3, .types = tys,
                         .header = 1};
  char *path = strdup(tk_path(f->dir, "quoted.csv"));
  sp_error *err = NULL;
  sp_df *df = NULL, *in[2], *u = NULL;
  sp_rows *rows = NULL;
  FILE *fp;
  int n;

  assert_non_null(fp = fopen(path, "w"));
  fputs("id,name,note\n1,x,\"said \"\"hi\"\"\"\n2,\"a, b\",plain\n", fp);
  fclose(fp);
  for (n = 1; n <= 3; n++) {
    tk_check(sp_read_csv(f->s, (const char **)&path, 1, &csv, &df, &err),
             &err);
    tk_check(sp_repartition(df, n, NULL, &df, &err), &err);
    tk_check(sp_take_all(df, &rows, &err), &err);
    assert_int_equal(sp_rows_count(rows), 2);
    assert_string_equal(sp_rows_value(rows, 0, 2), "said \"hi\"");
    assert_string_equal(sp_rows_value(rows, 1, 1), "a, b");
    sp_rows_free(&rows);
  }
  /* A listed file whose name DuckDB would expand again is refused. */
  assert_int_equal(rename(path, tk_path(f->dir, "quoted[1].csv")), 0);
  assert_int_equal(sp_read_csv(f->s, (const char *[]){tk_path(f->dir,
                               "quoted*.csv")}, 1, &csv, &df, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "quoted[1].csv"));
  sp_error_free(&err);
  tk_check(sp_from_sql(f->s, "SELECT 7::INTEGER AS v", NULL, &in[0], &err),
           &err);
  tk_check(sp_from_sql(f->s, "SELECT 1.5::DOUBLE AS v", NULL, &in[1], &err),
           &err);
  tk_check(sp_union(in, 2, &u, &err), &err);
  tk_check(sp_filter(u, "v > 1 AND v < 2", NULL, &u, &err), &err);
  tk_check(sp_take_all(u, &rows, &err), &err);
  assert_int_equal(sp_rows_count(rows), 1);
  assert_string_equal(sp_rows_value(rows, 0, 0), "1.5");
  sp_rows_free(&rows);
  free(path);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
    cmocka_unit_test_setup_teardown(test_csv_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_json, setup, teardown),
    cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
    cmocka_unit_test_setup_teardown(test_parquet_options, setup, teardown),
    cmocka_unit_test_setup_teardown(test_parquet_union_by_name, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_parquet_union_by_name_split, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_csv_quotes_and_unions, setup,
                                    teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
