/*
 * test_sql.c - sp_sql against plain DuckDB. Every query of the corpus
 * (tests/sql/corpus.sql) runs through sp_sql, over tables registered as
 * DataFrames split into a number of partitions, and through one DuckDB
 * over the same files: the results must have the same column names and
 * types, and the same rows (as multisets, or in order where the corpus
 * says so), doubles to 9 significant digits. Each query runs with 1, 2 and
 * 4 workers and the tables in 1, 3 and 4 partitions. Then bad input: each
 * kind is refused before anything runs, with a message that names it.
 */
#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "smallpond.h"
#include "testkit.h"
#include "tpch.h"

#define MAX_QUERIES 256

typedef struct query {
  char *name;
  char *sql;
  int ordered;
  char *expect; /* "-- expect:" words: the stage kinds its plan must have
                   ("hash", "gather", "split"); NULL: it may run whole */
} query;

typedef struct fixture {
  char *dir;       /* the test's folder */
  char data[4096]; /* <dir>/data/<table>/part-*.parquet */
  query queries[MAX_QUERIES];
  size_t nqueries;
  duckdb_database db; /* plain DuckDB, with a view per table */
  duckdb_connection con;
} fixture;

/* The tables of the corpus. */
static const char *const tables[] = {
  "region", "nation", "supplier", "customer", "part", "partsupp", "orders",
  "lineitem", "g", "t", "u", "drift"};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* The trap and H2O-shaped tables, made like bench/tpch.c's: seeded
 * hashes; __i spreads the rows over files and is not written. */
static const char *const extra_sql[][2] = {
  {"t", "SELECT i AS id, CASE WHEN i % 17 = 0 THEN NULL ELSE i % 300 END AS k, "
        "i % 7 AS g, CASE WHEN i % 29 = 0 THEN NULL ELSE (hash(i, 3) % 1000) "
        "/ 8.0 END AS x, 's' || (i % 11) AS s, i AS __i FROM range(20000) "
        "r(i)"},
  {"u", "SELECT CASE WHEN i = 77 THEN NULL ELSE i * 2 END AS k, i AS __i "
        "FROM range(200) r(i)"},
  {"g", "SELECT 'id' || lpad((hash(i, 1) % 10)::VARCHAR, 3, '0') AS id1, "
        "'id' || lpad((hash(i, 2) % 10)::VARCHAR, 3, '0') AS id2, "
        "'id' || lpad((hash(i, 3) % 200)::VARCHAR, 10, '0') AS id3, "
        "(hash(i, 4) % 10)::INTEGER AS id4, (hash(i, 5) % 10)::INTEGER AS id5, "
        "(hash(i, 6) % 200)::INTEGER AS id6, (hash(i, 7) % 5 + 1)::INTEGER AS "
        "v1, (hash(i, 8) % 15 + 1)::INTEGER AS v2, CASE WHEN i % 97 = 0 THEN "
        "NULL ELSE round((hash(i, 9) % 100000) / 1000.0, 6) END AS v3, "
        "i AS __i FROM range(20000) r(i)"},
};

/* Reads the corpus into f->queries. */
static void load_corpus(fixture *f)
{
  char *text = tk_read(SP_SQL_CORPUS), *p, *line;
  query *q = NULL;

  assert_non_null(text);
  for (p = text; p && *p; p = line) {
    char *end = strchr(p, '\n');
    line = end ? end + 1 : NULL;
    if (end)
      *end = '\0';
    if (strncmp(p, "-- name: ", 9) == 0) {
      assert_true(f->nqueries < MAX_QUERIES);
      q = &f->queries[f->nqueries++];
      q->name = strdup(p + 9);
      q->sql = strdup("");
    } else if (q && strncmp(p, "-- flags: ", 10) == 0) {
      q->ordered = strstr(p, "ordered") != NULL;
    } else if (q && strncmp(p, "-- expect: ", 11) == 0) {
      q->expect = strdup(p + 11);
    } else if (q && strncmp(p, "--", 2) != 0) {
      size_t n = strlen(q->sql);
      q->sql = realloc(q->sql, n + strlen(p) + 2);
      sprintf(q->sql + n, "%s%s", n ? "\n" : "", p);
    }
  }
  free(text);
  assert_true(f->nqueries >= 60);
  /* Without the closing ';', so that DuckDB's side can wrap the query. */
  for (size_t i = 0; i < f->nqueries; i++) {
    char *sql = f->queries[i].sql;
    size_t n = strlen(sql);
    while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' ||
                     sql[n - 1] == '\n'))
      sql[--n] = '\0';
  }
}

/* The query's text with each @DATA@ the data folder. */
static char *expand(const fixture *f, const char *sql)
{
  const char *at = strstr(sql, "@DATA@");
  char *once, *out;

  if (!at)
    return strdup(sql);
  once = malloc(strlen(sql) + strlen(f->data) + 1);
  sprintf(once, "%.*s%s%s", (int)(at - sql), sql, f->data, at + 6);
  out = expand(f, once);
  free(once);
  return out;
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  size_t i;

  if (!f || !(f->dir = tk_tmpdir()))
    return -1;
  snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
  if (mkdir(f->data, 0777) != 0 || dc_open(&f->db, &f->con) != 0 ||
      tpch_write(f->con, f->data, 0.01, 4, 7) != 0)
    return -1;
  for (i = 0; i < sizeof(extra_sql) / sizeof(extra_sql[0]); i++) {
    const char *name = extra_sql[i][0];
    int k;
    assert_int_equal(tk_mkdir_p(tk_fmt("%s/%s", f->data, name)), 0);
    for (k = 0; k < 3; k++)
      if (dc_exec(f->con, tk_fmt("COPY (SELECT * EXCLUDE (__i) FROM (%s) "
                                 "WHERE __i %% 3 = %d) TO "
                                 "'%s/%s/part-%d.parquet'", extra_sql[i][1],
                                 k, f->data, name, k)))
        return -1;
  }
  /* drift: files whose columns differ in order and type; DuckDB reads
   * them all with the first one's. */
  assert_int_equal(tk_mkdir_p(tk_fmt("%s/drift", f->data)), 0);
  if (dc_exec(f->con, tk_fmt("COPY (SELECT i AS k, 's' || i AS s FROM "
                             "range(40) r(i)) TO '%s/drift/part-0.parquet'",
                             f->data)) ||
      dc_exec(f->con, tk_fmt("COPY (SELECT 's' || i AS s, i + 0.25 AS k FROM "
                             "range(40, 90) r(i)) TO "
                             "'%s/drift/part-1.parquet'", f->data)) ||
      dc_exec(f->con, tk_fmt("COPY (SELECT i::SMALLINT AS k, 's' || i AS s "
                             "FROM range(90, 99) r(i)) TO "
                             "'%s/drift/part-2.parquet'", f->data)))
    return -1;
  /* The same tables for plain DuckDB, as views over the same files. */
  dc_close(&f->db, &f->con);
  if (dc_open(&f->db, &f->con) != 0)
    return -1;
  for (i = 0; i < NTABLES; i++)
    if (dc_exec(f->con, tk_fmt("CREATE VIEW %s AS SELECT * FROM read_parquet"
                               "('%s/%s/*.parquet')", tables[i], f->data,
                               tables[i])))
      return -1;
  load_corpus(f);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  size_t i;

  dc_close(&f->db, &f->con);
  for (i = 0; i < f->nqueries; i++) {
    free(f->queries[i].name);
    free(f->queries[i].sql);
    free(f->queries[i].expect);
  }
  tk_rm_rf(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

/* Rows as text, normalized for comparing. */
typedef struct result {
  size_t ncols, nrows;
  char **names, **types;
  char **rows; /* nrows lines: the row's values joined by '\x1f' */
} result;

static void result_free(result *t)
{
  size_t i;

  for (i = 0; i < t->ncols; i++) {
    free(t->names[i]);
    free(t->types[i]);
  }
  for (i = 0; i < t->nrows; i++)
    free(t->rows[i]);
  free(t->names);
  free(t->types);
  free(t->rows);
  memset(t, 0, sizeof(*t));
}

/* A value as compared: doubles to 9 significant digits, -0 as 0. */
static void normal(const char *type, const char *v, char *out, size_t len)
{
  if (!v) {
    snprintf(out, len, "NULL");
  } else if (strcmp(type, "DOUBLE") == 0 || strcmp(type, "FLOAT") == 0) {
    char *end;
    double d = strtod(v, &end);
    if (*end || d != d)
      snprintf(out, len, "%s", v);
    else
      snprintf(out, len, "%.9g", d == 0 ? 0.0 : d);
  } else {
    snprintf(out, len, "%s", v);
  }
}

/* Appends row values[0..ncols) to t, normalized. */
static void add_row(result *t, const char *const *values)
{
  size_t c, n = 0, cap = 64;
  char *line = malloc(cap), v[512];

  line[0] = '\0';
  for (c = 0; c < t->ncols; c++) {
    size_t add;
    normal(t->types[c], values[c], v, sizeof(v));
    add = strlen(v) + 2;
    if (n + add >= cap) {
      cap = (n + add) * 2;
      line = realloc(line, cap);
    }
    n += (size_t)sprintf(line + n, "%s%s", c ? "\x1f" : "", v);
  }
  t->rows = realloc(t->rows, (t->nrows + 1) * sizeof(*t->rows));
  t->rows[t->nrows++] = line;
}

/* sp_sql's result, read with sp_take_all. */
static void result_of_rows(const sp_rows *r, result *t)
{
  size_t i, c;
  const char **values;

  memset(t, 0, sizeof(*t));
  t->ncols = sp_rows_column_count(r);
  t->names = calloc(t->ncols + 1, sizeof(char *));
  t->types = calloc(t->ncols + 1, sizeof(char *));
  values = calloc(t->ncols + 1, sizeof(char *));
  for (c = 0; c < t->ncols; c++) {
    t->names[c] = strdup(sp_rows_column_name(r, c));
    t->types[c] = strdup(sp_rows_column_type(r, c));
  }
  for (i = 0; i < sp_rows_count(r); i++) {
    for (c = 0; c < t->ncols; c++)
      values[c] = sp_rows_value(r, i, c);
    add_row(t, values);
  }
  free(values);
}

/* Plain DuckDB's result of sql. */
static void result_of_duckdb(fixture *f, const char *sql, result *t)
{
  duckdb_result res;
  const char **values;
  idx_t i, c;

  memset(t, 0, sizeof(*t));
  if (duckdb_query(f->con, tk_fmt("DESCRIBE %s", sql), &res) == DuckDBError)
    fail_msg("DuckDB: %s\n  in: %s", duckdb_result_error(&res), sql);
  t->ncols = duckdb_row_count(&res);
  t->names = calloc(t->ncols + 1, sizeof(char *));
  t->types = calloc(t->ncols + 1, sizeof(char *));
  for (i = 0; i < t->ncols; i++) {
    char *name = duckdb_value_varchar(&res, 0, i);
    char *type = duckdb_value_varchar(&res, 1, i);
    t->names[i] = strdup(name);
    t->types[i] = strdup(type);
    duckdb_free(name);
    duckdb_free(type);
  }
  duckdb_destroy_result(&res);
  if (duckdb_query(f->con, tk_fmt("SELECT COLUMNS(*)::VARCHAR FROM (%s)",
                                  sql), &res) == DuckDBError)
    fail_msg("DuckDB: %s\n  in: %s", duckdb_result_error(&res), sql);
  values = calloc(t->ncols + 1, sizeof(char *));
  for (i = 0; i < duckdb_row_count(&res); i++) {
    for (c = 0; c < t->ncols; c++)
      values[c] = duckdb_value_is_null(&res, c, i)
                      ? NULL
                      : duckdb_value_varchar(&res, c, i);
    add_row(t, values);
    for (c = 0; c < t->ncols; c++)
      duckdb_free((void *)values[c]);
  }
  free(values);
  duckdb_destroy_result(&res);
}

static int cmp_line(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 if lines a and b hold the same values: equal text, or numbers that
 * differ by at most one unit in their 9th significant digit (two ways of
 * summing doubles round apart, and a value can sit on a rounding edge). */
static int same_line(const char *a, const char *b)
{
  while (strcmp(a, b) != 0) {
    size_t la = strcspn(a, "\x1f"), lb = strcspn(b, "\x1f");
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    double scale = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
    if (!(la == lb && strncmp(a, b, la) == 0) &&
        (ea != a + la || eb != b + lb || fabs(x - y) > 1e-8 * scale))
      return 0;
    if (!a[la] || !b[lb])
      return !a[la] && !b[lb];
    a += la + 1;
    b += lb + 1;
  }
  return 1;
}

/* Fails the test unless mine and theirs agree, naming the query. */
static void assert_same(const query *q, result *mine, result *theirs,
                        const char *where)
{
  size_t i;

  if (mine->ncols != theirs->ncols)
    fail_msg("%s (%s): %zu columns, DuckDB %zu", q->name, where, mine->ncols,
             theirs->ncols);
  for (i = 0; i < mine->ncols; i++)
    if (strcmp(mine->names[i], theirs->names[i]) != 0 ||
        strcmp(mine->types[i], theirs->types[i]) != 0)
      fail_msg("%s (%s): column %zu is %s %s, DuckDB's %s %s", q->name,
               where, i, mine->names[i], mine->types[i], theirs->names[i],
               theirs->types[i]);
  if (mine->nrows != theirs->nrows)
    fail_msg("%s (%s): %zu rows, DuckDB %zu", q->name, where, mine->nrows,
             theirs->nrows);
  if (!q->ordered && mine->nrows > 0) {
    qsort(mine->rows, mine->nrows, sizeof(char *), cmp_line);
    qsort(theirs->rows, theirs->nrows, sizeof(char *), cmp_line);
  }
  for (i = 0; i < mine->nrows; i++)
    if (!same_line(mine->rows[i], theirs->rows[i]))
      fail_msg("%s (%s): row %zu differs%s:\n  mine:   %s\n  DuckDB: %s",
               q->name, where, i, q->ordered ? "" : " (sorted)",
               mine->rows[i], theirs->rows[i]);
}

/* The text sp_explain prints for df (caller frees). */
static char *explain_text(sp_df *df)
{
  char *text = NULL;
  size_t len = 0;
  sp_error *err = NULL;
  FILE *f = open_memstream(&text, &len);

  assert_non_null(f);
  tk_check(sp_explain(df, f, &err), &err);
  fclose(f);
  return text;
}

/* Checks that the plan of df is split as q expects: a stage of each kind
 * it names ("stage N: hash"), and no part of the query run whole on one
 * task ("single because"). */
static void assert_plan(const query *q, sp_df *df, const char *where)
{
  char *text = explain_text(df), *words, *word, *save = NULL;

  if (q->expect && strstr(text, "single because"))
    fail_msg("%s (%s): expected %s, the plan runs it whole:\n%s", q->name,
             where, q->expect, text);
  words = strdup(q->expect ? q->expect : "");
  for (word = strtok_r(words, " ", &save); word;
       word = strtok_r(NULL, " ", &save)) {
    char *kind = NULL;
    int found = 0;
    for (kind = strstr(text, "stage "); kind && !found;
         kind = strstr(kind + 1, "stage ")) {
      const char *colon = strchr(kind, ':');
      found = colon && strncmp(colon + 2, word, strlen(word)) == 0;
    }
    if (!found)
      fail_msg("%s (%s): no %s stage in the plan:\n%s", q->name, where, word,
               text);
  }
  free(words);
  free(text);
}

/* The corpus with `workers` workers and every table in `parts`
 * partitions (split by files). */
static void run_corpus(fixture *f, int workers, int parts)
{
  sp_session *s = tk_session(tk_path(f->dir, "root"), workers,
                             tk_fmt("corpus-%d", workers));
  const char *where = tk_fmt("%d workers, %d partitions", workers, parts);
  /* Exchanges into more partitions than workers, and than the tables
   * have: buckets that wait, and buckets that are empty. Every ORDER BY
   * of rows is ranged, however few bytes they come from. */
  sp_sql_options opt = {.partitions = workers + 2, .partition_bytes = 1};
  /* With two workers, no table is small enough to read whole: every join
   * is hashed on its key (co-partitioned), correlated subqueries too. */
  if (workers == 2)
    opt.broadcast_bytes = 1;
  sp_error *err = NULL;
  size_t i;

  for (i = 0; i < NTABLES; i++) {
    const char *glob = tk_fmt("%s/%s/*.parquet", f->data, tables[i]);
    sp_df *df = NULL;
    tk_check(sp_read_parquet(s, &glob, 1, NULL, &df, &err), &err);
    if (parts > 1)
      tk_check(sp_repartition(df, parts, NULL, &df, &err), &err);
    tk_check(sp_register_table(s, tables[i], df, &err), &err);
  }
  for (i = 0; i < f->nqueries; i++) {
    const query *q = &f->queries[i];
    char *sql = expand(f, q->sql);
    result mine, theirs;
    sp_rows *rows = NULL;
    sp_df *df = NULL;
    if (sp_sql(s, sql, &opt, &df, &err) != SP_OK ||
        sp_take_all(df, &rows, &err) != SP_OK)
      fail_msg("%s (%s): %s", q->name, where, sp_error_message(err));
    assert_plan(q, df, where);
    result_of_rows(rows, &mine);
    result_of_duckdb(f, sql, &theirs);
    assert_same(q, &mine, &theirs, where);
    result_free(&mine);
    result_free(&theirs);
    sp_rows_free(&rows);
    free(sql);
  }
  sp_close(&s);
}

static void test_corpus_one_worker(void **state)
{
#ifdef SP_TEST_SANITIZED
  skip(); /* the two-worker and four-worker runs take the same paths */
#endif
  run_corpus(*state, 1, 1);
}
static void test_corpus_two_workers(void **state) { run_corpus(*state, 2, 3); }
static void test_corpus_four_workers(void **state) { run_corpus(*state, 4, 4); }

/* The rows of df are DuckDB's for sql, as q compares them. */
static void assert_rows_of(fixture *f, const query *q, sp_df *df,
                           const char *sql, const char *where)
{
  result mine, theirs;
  sp_rows *rows = NULL;
  sp_error *err = NULL;

  tk_check(sp_take_all(df, &rows, &err), &err);
  result_of_rows(rows, &mine);
  result_of_duckdb(f, sql, &theirs);
  assert_same(q, &mine, &theirs, where);
  result_free(&mine);
  result_free(&theirs);
  sp_rows_free(&rows);
}

/* Tables registered hash-partitioned on their join keys are joined where
 * they are: the plan hashes nothing again, and the rows are DuckDB's. */
static void test_join_of_hashed_tables(void **state)
{
  fixture *f = *state;
  sp_session *s = tk_session(tk_path(f->dir, "root"), 2, "hashed");
  static const char *const names[] = {"orders", "customer"};
  static const char *const keys[] = {"o_custkey", "c_custkey"};
  const query q = {"join_of_hashed_tables", NULL, 0, NULL};
  const char *sql =
      "SELECT c_custkey, count(*) AS n, sum(o_totalprice) AS total "
      "FROM customer JOIN orders ON c_custkey = o_custkey "
      "WHERE c_acctbal > 0 GROUP BY c_custkey";
  sp_sql_options opt = {.broadcast_bytes = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;
  char *text;
  int i;

  for (i = 0; i < 2; i++) {
    const char *glob = tk_fmt("%s/%s/*.parquet", f->data, names[i]);
    sp_repartition_options ropt = {.hash_by = &keys[i], .nhash_by = 1};
    tk_check(sp_read_parquet(s, &glob, 1, NULL, &df, &err), &err);
    tk_check(sp_repartition(df, 3, &ropt, &df, &err), &err);
    tk_check(sp_register_table(s, names[i], df, &err), &err);
  }
  tk_check(sp_sql(s, sql, &opt, &df, &err), &err);
  text = explain_text(df);
  if (strstr(text, ": hash on"))
    fail_msg("the hashed tables are hashed again:\n%s", text);
  assert_null(strstr(text, "single because"));
  assert_non_null(strstr(text, "reads: customer (3 partitions), orders (3 "
                               "partitions)"));
  free(text);
  assert_rows_of(f, &q, df, sql, "hashed tables");
  sp_close(&s);
}

/* The same join over files a hash repartition wrote: each file records
 * the hash it follows (Parquet metadata), so a query naming the files
 * inline, or a DataFrame read with partitioned_by, is not hashed again. A
 * table written into another number of partitions is hashed into the
 * first's count; files whose metadata is not a layout are read as any. */
static void test_join_of_written_hashed_files(void **state)
{
  fixture *f = *state;
  sp_session *s = tk_session(tk_path(f->dir, "root"), 2, "written");
  static const char *const names[] = {"orders", "customer"};
  static const char *const keys[] = {"o_custkey", "c_custkey"};
  static const int parts[] = {4, 3};
  const query q = {"join_of_written_hashed_files", NULL, 0, NULL};
  const char *dirs[2], *garbage = tk_path(f->dir, "garbage.parquet");
  sp_sql_options opt = {.broadcast_bytes = 1};
  sp_read_options ropt = {.partitioned_by = "__data_partition__",
                          .npartitions = 4};
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *sql;
  char *text;
  int i, round;

  for (i = 0; i < 2; i++) {
    const char *glob = tk_fmt("%s/%s/*.parquet", f->data, names[i]);
    sp_repartition_options hash = {.hash_by = &keys[i], .nhash_by = 1};
    dirs[i] = tk_path(f->dir, tk_fmt("written-%s", names[i]));
    tk_check(sp_read_parquet(s, &glob, 1, NULL, &df, &err), &err);
    tk_check(sp_repartition(df, 4, &hash, &df, &err), &err);
    tk_check(sp_write_parquet(df, dirs[i], NULL, &err), &err);
  }
  sql = tk_fmt("SELECT c_custkey, count(*) AS n, sum(o_totalprice) AS total "
               "FROM '%s/*.parquet' JOIN '%s/*.parquet' ON c_custkey = "
               "o_custkey WHERE c_acctbal > 0 GROUP BY c_custkey",
               dirs[1], dirs[0]);
  for (round = 0; round < 2; round++) {
    const char *run = sql;
    if (round == 1) { /* registered, read with partitioned_by */
      for (i = 0; i < 2; i++) {
        const char *glob = tk_fmt("%s/*.parquet", dirs[i]);
        tk_check(sp_read_parquet(s, &glob, 1, &ropt, &df, &err), &err);
        tk_check(sp_register_table(s, names[i], df, &err), &err);
      }
      run = "SELECT c_custkey, count(*) AS n, sum(o_totalprice) AS total "
            "FROM customer JOIN orders ON c_custkey = o_custkey "
            "WHERE c_acctbal > 0 GROUP BY c_custkey";
    }
    tk_check(sp_sql(s, run, &opt, &df, &err), &err);
    text = explain_text(df);
    if (strstr(text, ": hash on"))
      fail_msg("the written hashed tables are hashed again:\n%s", text);
    assert_non_null(strstr(text, "(4 partitions)"));
    free(text);
    assert_rows_of(f, &q, df, sql, round ? "registered" : "inline");
  }

  /* orders again, into 3 partitions: hashed into customer's 4. */
  {
    const char *glob = tk_fmt("%s/orders/*.parquet", f->data);
    sp_repartition_options hash = {.hash_by = &keys[0], .nhash_by = 1};
    dirs[0] = tk_path(f->dir, "written-orders-3");
    tk_check(sp_read_parquet(s, &glob, 1, NULL, &df, &err), &err);
    tk_check(sp_repartition(df, parts[1], &hash, &df, &err), &err);
    tk_check(sp_write_parquet(df, dirs[0], NULL, &err), &err);
  }
  sql = tk_fmt("SELECT c_custkey, count(*) AS n FROM '%s/*.parquet' JOIN "
               "'%s/*.parquet' ON c_custkey = o_custkey GROUP BY c_custkey",
               dirs[1], dirs[0]);
  tk_check(sp_sql(s, sql, &opt, &df, &err), &err);
  text = explain_text(df);
  assert_int_equal(tk_count(text, ": hash on"), 1);
  free(text);
  assert_rows_of(f, &q, df, sql, "3 and 4 partitions");

  /* Metadata that is not a layout: the file is read as any other. */
  tk_duck_exec(tk_fmt("COPY (SELECT * FROM read_parquet('%s/customer/*."
                      "parquet')) TO '%s' (KV_METADATA {'SMALLPOND::hash': "
                      "'{\"by\": 7}', '__data_partition__': '0'})",
                      f->data, garbage));
  sql = tk_fmt("SELECT c_custkey, count(*) AS n FROM '%s' JOIN '%s/*."
               "parquet' ON c_custkey = o_custkey GROUP BY c_custkey",
               garbage, dirs[0]);
  tk_check(sp_sql(s, sql, &opt, &df, &err), &err);
  assert_rows_of(f, &q, df, sql, "metadata that is not a layout");
  sp_close(&s);
}

/* An ORDER BY of rows from less than a partition's bytes is sorted on one
 * task; with partition_bytes below them, ranged. The same rows in the same
 * order either way, DuckDB's. */
static void test_small_sort(void **state)
{
  fixture *f = *state;
  sp_session *s = tk_session(tk_path(f->dir, "root"), 2, "small-sort");
  const char *glob = tk_fmt("%s/lineitem/*.parquet", f->data);
  const query q = {"small_sort", NULL, 1, NULL};
  const char *sql = "SELECT l_orderkey, l_linenumber, l_quantity FROM "
                    "lineitem WHERE l_quantity > 10 ORDER BY l_quantity "
                    "DESC, l_orderkey, l_linenumber";
  sp_sql_options opt = {.partitions = 3};
  sp_error *err = NULL;
  sp_df *df = NULL;
  char *text;
  int round;

  tk_check(sp_read_parquet(s, &glob, 1, NULL, &df, &err), &err);
  tk_check(sp_repartition(df, 3, NULL, &df, &err), &err);
  tk_check(sp_register_table(s, "lineitem", df, &err), &err);
  for (round = 0; round < 2; round++) {
    opt.partition_bytes = round ? 1 : 0;
    tk_check(sp_sql(s, sql, &opt, &df, &err), &err);
    text = explain_text(df);
    assert_null(strstr(text, "single because"));
    if ((strstr(text, ": range") != NULL) != round)
      fail_msg("%s a range:\n%s", round ? "expected" : "did not expect",
               text);
    free(text);
    assert_rows_of(f, &q, df, sql, round ? "ranged" : "on one task");
  }
  sp_close(&s);
}

/* DuckDB's aggregates are listed once into the data root and read back
 * by later sessions; a cache that does not hold a list (or says sum is a
 * scalar function) is made again, and the plan is the same. */
static void test_functions_cache(void **state)
{
  static const char *const bad[] = {"not json", "{\"sum\": \"scalar\", "
                                    "\"count_star\": \"aggregate\"}",
                                    "[]"};
  fixture *f = *state;
  const char *root = tk_path(f->dir, "cache-root");
  const char *glob = tk_fmt("%s/orders/*.parquet", f->data);
  const char *sql = tk_fmt("SELECT o_custkey, sum(o_totalprice) AS s, "
                           "median(o_totalprice) AS m FROM '%s' GROUP BY "
                           "o_custkey", glob);
  char *cache = NULL, *text, *first = NULL;
  sp_sql_options opt = {.partitions = 3};
  size_t i;

  for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
    sp_session *s = tk_session(root, 2, tk_fmt("cache-%zu", i));
    sp_error *err = NULL;
    sp_df *df = NULL;
    if (!cache) { /* the version's characters as the file name has them */
      size_t fixed = strlen(root) + strlen("/.duckdb-functions-");
      char *p;
      cache = strdup(tk_fmt("%s/.duckdb-functions-%s.json", root,
                            sp_duckdb_version()));
      assert_non_null(cache);
      for (p = cache + fixed; strcmp(p, ".json") != 0; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
          *p = '_';
    }
    if (i > 0) {
      FILE *fp = fopen(cache, "w");
      assert_non_null(fp);
      fputs(bad[i - 1], fp);
      fclose(fp);
    }
    tk_check(sp_sql(s, sql, &opt, &df, &err), &err);
    text = explain_text(df);
    /* sum splits, median does not: rows hashed on the keys. */
    assert_non_null(strstr(text, "hash on"));
    if (!first)
      first = text;
    else {
      assert_string_equal(text, first);
      free(text);
    }
    assert_int_equal(tk_duck_i64(tk_fmt("SELECT (json_extract_string("
                                        "content, '$.sum') = 'aggregate')"
                                        "::INT FROM read_text('%s')", cache)),
                     1);
    sp_close(&s);
  }
  free(first);
  free(cache);
}

/* CSV and JSON files named inline (read_csv('...'), read_json('...'),
 * 'x/orders-*.csv') are split by files like Parquet: each file's dialect
 * found as DuckDB finds it (orders in three CSV files, one with ';';
 * customers in a JSON array and a JSON-lines file), the types over all of
 * them. DuckDB's rows. */
static void test_inline_csv_json(void **state)
{
  fixture *f = *state;
  sp_session *s = tk_session(tk_path(f->dir, "root"), 2, "inline-csv");
  const char *dir = tk_path(f->dir, "text");
  const char *orders = tk_fmt("%s/orders/*.parquet", f->data);
  const char *customers = tk_fmt("%s/customer/*.parquet", f->data);
  const char *queries[3];
  sp_sql_options opt = {.partitions = 3, .broadcast_bytes = 1};
  const query q = {"inline_csv_json", NULL, 0, NULL};
  size_t i;

  assert_int_equal(tk_mkdir_p(dir), 0);
  for (i = 0; i < 3; i++)
    tk_duck_exec(tk_fmt("COPY (SELECT * FROM read_parquet('%s') WHERE "
                        "o_orderkey %% 3 = %zu) TO '%s/orders-%zu.csv' "
                        "(HEADER%s)", orders, i, dir, i,
                        i == 1 ? ", DELIMITER ';'" : ""));
  tk_duck_exec(tk_fmt("COPY (SELECT * FROM read_parquet('%s') WHERE "
                      "c_custkey %% 2 = 0) TO '%s/customer-0.json' (FORMAT "
                      "json, ARRAY true)", customers, dir));
  tk_duck_exec(tk_fmt("COPY (SELECT * FROM read_parquet('%s') WHERE "
                      "c_custkey %% 2 = 1) TO '%s/customer-1.json' (FORMAT "
                      "json)", customers, dir));
  queries[0] = tk_fmt("SELECT c_mktsegment, count(*) AS n, sum(o_totalprice) "
                      "AS total FROM read_csv('%s/orders-*.csv') JOIN "
                      "read_json('%s/customer-*.json') ON o_custkey = "
                      "c_custkey GROUP BY c_mktsegment", dir, dir);
  queries[1] = strdup(tk_fmt("SELECT o_orderpriority, count(*) AS n FROM "
                             "'%s/orders-*.csv' WHERE o_orderdate >= DATE "
                             "'1995-01-01' GROUP BY ALL", dir));
  queries[0] = strdup(queries[0]);
  queries[2] = strdup(tk_fmt("SELECT o_orderkey, o_orderdate FROM read_csv("
                             "'%s/orders-*.csv') ORDER BY o_orderdate, "
                             "o_orderkey LIMIT 25", dir));
  for (i = 0; i < 3; i++) {
    sp_error *err = NULL;
    sp_df *df = NULL;
    char *text;
    tk_check(sp_sql(s, queries[i], &opt, &df, &err), &err);
    text = explain_text(df);
    /* The files split, or hashed from each file by its producers. */
    if (strstr(text, "single because") ||
        (!strstr(text, ": split") && !strstr(text, ": hash on")))
      fail_msg("not split by files:\n%s", text);
    free(text);
    assert_rows_of(f, &q, df, queries[i], queries[i]);
    free((char *)queries[i]);
  }
  sp_close(&s);
}

/* A join's side that a stage computes is guessed as big as what it reads
 * (lineitem here) until it has run: planned on the guess, the join hashes
 * both sides; by default the stage runs first and the query is planned
 * again with its real size (a few groups), and the join reads it whole.
 * DuckDB's rows either way. */
static void test_measured_sizes(void **state)
{
  fixture *f = *state;
  sp_session *s = tk_session(tk_path(f->dir, "root"), 2, "measured");
  static const char *const names[] = {"lineitem", "orders"};
  const char *sql = "WITH busy AS (SELECT l_orderkey AS k, sum(l_quantity) "
                    "AS q FROM lineitem GROUP BY l_orderkey HAVING "
                    "count(*) >= 7) SELECT o_orderstatus, count(*) AS n, "
                    "sum(q) AS q FROM orders JOIN busy ON o_orderkey = k "
                    "GROUP BY o_orderstatus";
  int64_t lineitem = tk_duck_i64(tk_fmt("SELECT sum(size) FROM read_blob("
                                        "'%s/lineitem/*.parquet')",
                                        f->data));
  sp_sql_options opt = {.partitions = 3, .broadcast_bytes = lineitem / 4};
  const query q = {"measured_sizes", NULL, 0, NULL};
  int round;
  size_t i;

  for (i = 0; i < 2; i++) {
    const char *glob = tk_fmt("%s/%s/*.parquet", f->data, names[i]);
    sp_df *df = NULL;
    sp_error *err = NULL;
    tk_check(sp_read_parquet(s, &glob, 1, NULL, &df, &err), &err);
    tk_check(sp_register_table(s, names[i], df, &err), &err);
  }
  for (round = 0; round < 2; round++) {
    sp_error *err = NULL;
    sp_df *df = NULL;
    char *text;
    opt.plan_only = !round;
    tk_check(sp_sql(s, sql, &opt, &df, &err), &err);
    text = explain_text(df);
    /* The join's key is __sp_k; the GROUP BY's, __sp_g0. */
    if (round == 0 && (!strstr(text, "guessed") ||
                       !strstr(text, ": hash on (__sp_k)")))
      fail_msg("planned on the guess, the join should hash:\n%s", text);
    if (round == 1 && (!strstr(text, "measured") || strstr(text, "guessed") ||
                       !strstr(text, "read whole by every partition") ||
                       strstr(text, ": hash on (__sp_k)")))
      fail_msg("planned on the measured size, the join should read the "
               "groups whole:\n%s", text);
    free(text);
    assert_rows_of(f, &q, df, sql, round ? "measured" : "guessed");
  }
  sp_close(&s);
}

/* Bad input is refused before anything runs, naming what is wrong. */
static void test_bad_input(void **state)
{
  static const struct {
    const char *sql;
    sp_status st;
    const char *says;
  } bad[] = {
    {"SELEC 1", SP_ESQL, "syntax error"},
    {"SELECT *\nFROM orders\nWHERE o_orderkey = = 1", SP_ESQL, "LINE 3"},
    {"SELECT * FROM nosuch", SP_EINVAL, "unknown table nosuch: the "
                                        "registered tables are orders"},
    {"SELECT nosuch_column FROM orders", SP_ESQL, "nosuch_column"},
    {"SELECT * FROM 'no/such/*.parquet'", SP_ENOENT, "no/such/*.parquet"},
    {"SELECT * FROM read_csv('no-such.csv')", SP_ENOENT, "no-such.csv"},
    {"COPY (SELECT 1) TO 'x.csv'", SP_EINVAL, "got a COPY statement"},
    {"EXPORT DATABASE 'x'", SP_EINVAL, "got a EXPORT statement"},
    {"ATTACH 'x.db'", SP_EINVAL, "got a ATTACH statement"},
    {"INSTALL httpfs", SP_EINVAL, "got a INSTALL statement"},
    {"LOAD httpfs", SP_EINVAL, "got a LOAD statement"},
    {"CREATE TABLE x AS SELECT 1", SP_EINVAL, "got a CREATE statement"},
    {"INSERT INTO orders VALUES (1)", SP_EINVAL, "got a INSERT statement"},
    {"SET threads = 1", SP_EINVAL, "got a SET statement"},
    {"PRAGMA version", SP_EINVAL, "got a PRAGMA statement"},
    {"SELECT 1; SELECT 2", SP_EINVAL, "got 2 statements"},
    {"SELECT 1; COPY (SELECT 1) TO 'y.csv'", SP_EINVAL, "got 2 statements"},
    {"", SP_EINVAL, "empty"},
  };
  fixture *f = *state;
  sp_session *s = tk_session(tk_path(f->dir, "root"), 1, "bad-input");
  const char *glob = tk_fmt("%s/orders/*.parquet", f->data);
  sp_error *err = NULL;
  sp_df *df = NULL;
  size_t i;

  tk_check(sp_read_parquet(s, &glob, 1, NULL, &df, &err), &err);
  tk_check(sp_register_table(s, "orders", df, &err), &err);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    sp_status st = sp_sql(s, bad[i].sql, NULL, &df, &err);
    if (st != bad[i].st || !strstr(sp_error_message(err), bad[i].says))
      fail_msg("'%s': status %d (wanted %d): %s", bad[i].sql, st, bad[i].st,
               sp_error_message(err));
    sp_error_free(&err);
  }
  /* Nothing ran: no task was sent to a worker, no file written. */
  assert_false(tk_exists("x.csv") || tk_exists("y.csv") ||
               tk_exists("x.db"));
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(*) FROM read_csv('%s/"
                                      "log/tasks.csv')",
                                      sp_session_job_dir(s))), 0);
  sp_close(&s);
}

/* smallpond sql: a table, a query file, standard input, --take, --explain,
 * --write-parquet; exit 1 for a failed query, 2 for bad options. */
static void test_cli(void **state)
{
  fixture *f = *state;
  const char *table = tk_fmt("orders=%s/orders/*.parquet", f->data);
  const char *root = tk_path(f->dir, "cli-root");
  const char *qfile = tk_path(f->dir, "q.sql");
  const char *out = tk_path(f->dir, "cli-out");
  char *o = NULL, *e = NULL;
  FILE *fp;

  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "--table", table, "SELECT "
                                           "count(*) AS n FROM orders", NULL},
                          &o, &e), 0);
  assert_non_null(strstr(o, tk_fmt("%lld", (long long)tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM '%s/orders/*.parquet'", f->data)))));
  assert_non_null(strstr(o, "(1 row)"));
  free(o);
  free(e);
  assert_non_null(fp = fopen(qfile, "w"));
  fputs("SELECT o_orderkey FROM orders ORDER BY o_orderkey LIMIT 3\n", fp);
  fclose(fp);
  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "--table", table, "-f",
                                           qfile, "--take", "2", NULL},
                          &o, &e), 0);
  assert_non_null(strstr(o, "(2 rows)"));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "--table", table,
                                           "--explain", "SELECT count(*) "
                                           "FROM orders", NULL}, &o, &e), 0);
  /* Small tables: one task by default. */
  assert_non_null(strstr(o, "single because: the inputs are small"));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "--table", table,
                                           "--partitions", "2", "--explain",
                                           "SELECT count(*) FROM orders",
                                           NULL}, &o, &e), 0);
  assert_non_null(strstr(o, "stage 1: gather"));
  assert_non_null(strstr(o, "partial aggregates"));
  assert_null(strstr(o, "single because"));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "--table", table, "--plan",
                                           "single", "--explain",
                                           "SELECT count(*) FROM orders",
                                           NULL}, &o, &e), 0);
  assert_non_null(strstr(o, "single because: the whole query was asked"));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "--table", table,
                                           "--partitions", "3", "--explain",
                                           "SELECT o_custkey, count(*) FROM "
                                           "orders GROUP BY 1", NULL},
                          &o, &e), 0);
  assert_non_null(strstr(o, "stage 1: hash on (__sp_g0), 3 partitions"));
  free(o);
  free(e);
  /* --plan split refuses what it cannot split, saying why. */
  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "--table", table, "--plan",
                                           "split", "SELECT row_number() "
                                           "OVER () FROM orders", NULL},
                          &o, &e), 1);
  assert_non_null(strstr(e, "not split: a window without PARTITION BY"));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--partitions", "0",
                                           "SELECT 1", NULL}, &o, &e), 2);
  assert_non_null(strstr(e, "--partitions"));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--partition-mib", "0",
                                           "SELECT 1", NULL}, &o, &e), 2);
  assert_non_null(strstr(e, "--partition-mib"));
  free(o);
  free(e);
  /* Small orders: one partition's worth by default, so the sort runs on
   * one task. */
  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "--table", table,
                                           "--partitions", "2",
                                           "--partition-mib", "64", "--explain",
                                           "SELECT * FROM orders ORDER BY "
                                           "o_orderdate", NULL}, &o, &e), 0);
  assert_null(strstr(o, ": range"));
  assert_non_null(strstr(o, "one task: the final order"));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--plan", "fast",
                                           "SELECT 1", NULL}, &o, &e), 2);
  assert_non_null(strstr(e, "--plan"));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "--table", table,
                                           "--write-parquet", out, "SELECT * "
                                           "FROM orders WHERE o_orderkey < 100",
                                           NULL}, &o, &e), 0);
  tk_assert_same_rows(tk_fmt("SELECT * FROM '%s/orders/*.parquet' WHERE "
                             "o_orderkey < 100", f->data),
                      tk_fmt("SELECT * FROM '%s/*.parquet'", out));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--quiet", "--data-root",
                                           root, "SELECT * FROM nosuch",
                                           NULL}, &o, &e), 1);
  assert_non_null(strstr(e, "unknown table nosuch"));
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--table", "noequals",
                                           "SELECT 1", NULL}, &o, &e), 2);
  free(o);
  free(e);
  assert_int_equal(tk_cli((const char *[]){"sql", "--take", "2",
                                           "--explain", "SELECT 1", NULL},
                          &o, &e), 2);
  free(o);
  free(e);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bad_input),
    cmocka_unit_test(test_join_of_hashed_tables),
    cmocka_unit_test(test_join_of_written_hashed_files),
    cmocka_unit_test(test_small_sort),
    cmocka_unit_test(test_functions_cache),
    cmocka_unit_test(test_inline_csv_json),
    cmocka_unit_test(test_measured_sizes),
    cmocka_unit_test(test_cli),
    cmocka_unit_test(test_corpus_one_worker),
    cmocka_unit_test(test_corpus_two_workers),
    cmocka_unit_test(test_corpus_four_workers),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
