/*
 * test_cli.c - `smallpond` as a user runs it: exit codes, help, and
 * pipelines whose results are compared with plain DuckDB on the same files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testkit.h"

typedef struct fixture {
  char *dir;
  char glob[4096];
  char root[4096];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  if (!f || !(f->dir = tk_tmpdir()))
    return -1;
  if (tk_make_table(f->dir, 20000, 5, 300) != 0)
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

typedef struct run {
  int code;
  char *out, *err;
} run;

static run cli(const char *const *argv)
{
  run r;

  r.code = tk_cli(argv, &r.out, &r.err);
  assert_non_null(r.out);
  assert_non_null(r.err);
  return r;
}

static void run_free(run *r)
{
  free(r->out);
  free(r->err);
}

static void expect(const run *r, int code, const char *needle_in_err)
{
  if (r->code != code || (needle_in_err && !strstr(r->err, needle_in_err)))
    fail_msg("exit %d (want %d); stderr:\n%s\nwant in stderr: %s", r->code,
             code, r->err, needle_in_err ? needle_in_err : "-");
}

static void test_help_and_version(void **state)
{
  const char *opts[] = {"--read-parquet", "--read-csv", "--read-json",
                        "--schema", "--delimiter", "--header", "--from-sql",
                        "--repartition",
                        "--hash-by", "--by-rows", "--by", "--random-shuffle",
                        "--sql", "--map", "--filter", "--flat-map",
                        "--partial-sort", "--limit", "--write-parquet",
                        "--count", "--take", "--take-all", "--workers",
                        "--data-root", "--job-id", "--task-threads",
                        "--task-memory", "--max-attempts", "--explain",
                        "--dimension", "--nested", "--compression",
                        "--compression-level", "--row-group-size",
                        "--no-dictionary", "--hive", "--recursive"};
  run r = cli((const char *[]){"run", "--help", NULL});
  size_t i;

  (void)state;
  expect(&r, 0, NULL);
  for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
    if (!strstr(r.out, opts[i]))
      fail_msg("smallpond run --help does not document %s", opts[i]);
  run_free(&r);
  r = cli((const char *[]){"--help", NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "run"));
  run_free(&r);
  r = cli((const char *[]){"--version", NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "smallpond 0."));
  assert_non_null(strstr(r.out, "DuckDB v1."));
  run_free(&r);
}

static void test_usage_errors(void **state)
{
  fixture *f = *state;
  const char *out = tk_path(f->dir, "never");
  const char *const *cases[] = {
    (const char *[]){NULL},
    (const char *[]){"frobnicate", NULL},
    (const char *[]){"run", "--no-such-option", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--repartition", "abc",
                     "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--repartition", "0",
                     "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--hash-by", "k",
                     "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--repartition", "2",
                     "--hash-by", "k", "--by-rows", "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--count", "--sql",
                     "SELECT 1", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--take", "-1", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--workers", "0",
                     "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--count", "extra",
                     NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--write-parquet", out,
                     "--count", NULL},
    (const char *[]){"run", "--sql", "SELECT 1", "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--by", "k % 2",
                     "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--repartition", "2",
                     "--by", "k % 2", "--hash-by", "k", "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--from-sql",
                     "SELECT 1", "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--limit", "many",
                     "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--map", "",
                     "--count", NULL},
    (const char *[]){"run", "--read-csv", f->glob, "--count", NULL},
    (const char *[]){"run", "--read-csv", f->glob, "--schema", "a", "--count",
                     NULL},
    (const char *[]){"run", "--read-csv", f->glob, "--schema",
                     "a DECIMAL(10, 2", "--count", NULL},
    (const char *[]){"run", "--read-parquet", f->glob, "--schema", "a INT",
                     "--count", NULL},
    (const char *[]){"run", "--read-json", f->glob, "--schema", "a INT",
                     "--header", "--count", NULL},
    (const char *[]){"run", "--read-csv", f->glob, "--read-parquet", f->glob,
                     "--schema", "a INT", "--count", NULL},
    (const char *[]){"run", "--read-csv", f->glob, "--schema",
                     "id BIGINT), n VARCHAR(", "--count", NULL},
    (const char *[]){"run", "--from-sql", "", "--count", NULL},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    run r = cli(cases[i]);
    if (r.code != 2 || (!strstr(r.err, "usage") && !strstr(r.err, "--help")))
      fail_msg("case %zu: exit %d, want 2 with a usage hint; stderr:\n%s", i,
               r.code, r.err);
    run_free(&r);
  }
  assert_false(tk_exists(out));
  assert_false(tk_exists(f->root));
}

/* The quick start from the command line, on two workers. */
static void test_quickstart_pipeline(void **state)
{
  fixture *f = *state;
  const char *out = tk_path(f->dir, "out");
  run r = cli((const char *[]){
      "run", "--workers", "2", "--data-root", f->root, "--job-id", "qs",
      "--read-parquet", f->glob, "--repartition", "3", "--hash-by", "k",
      "--sql", "SELECT k, min(v) AS lo, max(v) AS hi, count(*) AS n FROM {0} "
               "GROUP BY k",
      "--write-parquet", out, NULL});
  char *log1, *log2, *status;

  expect(&r, 0, NULL);
  run_free(&r);
  tk_assert_same_rows(tk_fmt("SELECT k, min(v), max(v), count(*) FROM "
                          "read_parquet('%s') GROUP BY k", f->glob),
                   tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", out));
  log1 = tk_executor_log(tk_path(f->root, "qs"), 1);
  log2 = tk_executor_log(tk_path(f->root, "qs"), 2);
  assert_true(tk_count(log1, ": done,") > 0);
  assert_true(tk_count(log2, ": done,") > 0);
  free(log1);
  free(log2);
  status = tk_read(tk_path(tk_path(f->root, "qs"), "status"));
  assert_non_null(status);
  assert_non_null(strstr(status, "success"));
  free(status);
}

static void test_count_take_and_rows(void **state)
{
  fixture *f = *state;
  const char *out = tk_path(f->dir, "rows");
  run r = cli((const char *[]){"run", "--data-root", f->root,
                               "--read-parquet", f->glob, "--sql",
                               "SELECT * FROM {0} WHERE k < 50", "--count",
                               NULL});

  expect(&r, 0, NULL);
  assert_int_equal(strtoll(r.out, NULL, 10),
                   tk_duck_i64(tk_fmt("SELECT count(*) FROM read_parquet('%s') "
                                   "WHERE k < 50", f->glob)));
  run_free(&r);
  r = cli((const char *[]){"run", "--data-root", f->root, "--read-parquet",
                           f->glob, "--repartition", "4", "--take", "5", NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "id"));
  assert_non_null(strstr(r.out, "(5 rows)"));
  assert_int_equal(tk_count(r.out, "\n"), 7); /* header, 5 rows, footer */
  run_free(&r);
  r = cli((const char *[]){"run", "--data-root", f->root, "--read-parquet",
                           f->glob, "--repartition", "7", "--by-rows",
                           "--write-parquet", out, NULL});
  expect(&r, 0, NULL);
  run_free(&r);
  tk_assert_same_rows(tk_fmt("SELECT * FROM read_parquet('%s')", f->glob),
                   tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", out));
}

static void test_runtime_errors(void **state)
{
  fixture *f = *state;
  const char *out = tk_path(f->dir, "err-out");
  const char *missing = tk_path(f->dir, "missing-*.parquet");
  run r = cli((const char *[]){"run", "--data-root", f->root, "--job-id",
                               "noglob", "--read-parquet", missing,
                               "--write-parquet", out, NULL});

  expect(&r, 1, tk_fmt("no file matches %s", missing));
  run_free(&r);
  assert_false(tk_exists(out));
  /* Nothing ran, so no job folder is left behind either. */
  assert_false(tk_exists(tk_path(f->root, "noglob")));
  r = cli((const char *[]){"run", "--data-root", f->root, "--read-parquet",
                           f->glob, "--sql", "SELECT nope FROM {0}",
                           "--write-parquet", out, NULL});
  expect(&r, 1, "Binder Error");
  assert_non_null(strstr(r.err, "SELECT nope FROM {0}"));
  run_free(&r);
  assert_false(tk_exists(out));
  r = cli((const char *[]){"run", "--data-root", f->root, "--read-parquet",
                           f->glob, "--repartition", "3", "--hash-by",
                           "k,no_such_col", "--write-parquet", out, NULL});
  expect(&r, 1, "no_such_col");
  run_free(&r);
  assert_false(tk_exists(out));
}

/* --explain prints every step with its partitions and tasks, marks the
 * fused filter, and runs nothing: no output, no job folder left. */
static void test_explain(void **state)
{
  fixture *f = *state;
  const char *out = tk_path(f->dir, "explained");
  run r = cli((const char *[]){
      "run", "--workers", "2", "--data-root", f->root, "--read-parquet",
      f->glob, "--repartition", "6", "--hash-by", "k", "--filter", "k > 3",
      "--sql", "SELECT k, count(*) FROM {0} GROUP BY k", "--repartition",
      "2", "--nested", "--dimension", "half", "--by-rows", "--explain",
      "--write-parquet", out, NULL});

  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "#1 read (5 files)"));
  assert_non_null(strstr(r.out, "#2 repartition by hash: hash(\"k\") % 6"));
  assert_non_null(strstr(r.out, "4 shuffle tasks")); /* 2 x 2 workers */
  assert_non_null(strstr(r.out, "#3 sql: SELECT * FROM {0} WHERE (k > 3"));
  assert_non_null(strstr(r.out, "fused into the SQL step that reads it"));
  assert_non_null(strstr(r.out, "6 partitions along __data_partition__ (6), "
                                "6 sql tasks"));
  assert_non_null(strstr(r.out, "12 partitions along __data_partition__ "
                                "(6) x half (2), 6 split_rows tasks"));
  assert_non_null(strstr(r.out, "16 tasks for the workers, 2 in the driver; "
                                "12 partitions out"));
  assert_false(tk_exists(out));
  assert_int_equal(tk_count(r.err, "wrote"), 0);
  run_free(&r);
  /* The session's job folder had no run: it is gone. */
  r = cli((const char *[]){"run", "--data-root", f->root, "--job-id",
                           "explained", "--from-sql", "SELECT 1",
                           "--explain", NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "1 sql task"));
  run_free(&r);
  assert_false(tk_exists(tk_path(f->root, "explained")));
}

/* Progress off a terminal: a timestamped line when a stage starts and one
 * when it ends, with its step, its tasks and the rows it wrote; --quiet
 * has none. (tests/tty/progress.sh watches it on a terminal.) */
static void test_progress(void **state)
{
  fixture *f = *state;
  const char *argv[] = {
      "run", "--workers", "2", "--data-root", f->root, "--read-parquet",
      f->glob, "--repartition", "3", "--hash-by", "k", "--sql",
      /* median: no combiner, so the shuffle moves every row */
      "SELECT k, median(id) AS n FROM {0} GROUP BY k", "--write-parquet",
      tk_path(f->dir, "progress"), NULL, NULL};
  run r = cli(argv);
  int64_t keys = tk_duck_i64(tk_fmt("SELECT count(DISTINCT k) FROM "
                                    "read_parquet('%s')", f->glob));

  expect(&r, 0, NULL);
  assert_non_null(strstr(r.err, " #2 repartition 3 hash(k): started, "
                                "4 tasks\n"));
  assert_true(r.err[4] == '-' && r.err[7] == '-' && r.err[13] == ':');
  assert_non_null(strstr(r.err, " #2 repartition 3 hash(k): 4/4 tasks, "
                                "20.0 k rows, "));
  assert_non_null(strstr(r.err, tk_fmt(" #3 sql SELECT k, median(id) AS n "
                                       "FROM {0} GROUP BY k: 3/3 tasks, "
                                       "%lld rows, ", (long long)keys)));
  assert_null(strstr(r.err, "\033[")); /* no redrawing off a terminal */
  run_free(&r);
  argv[14] = tk_path(f->dir, "quiet");
  argv[15] = "--quiet";
  r = cli(argv);
  expect(&r, 0, NULL);
  assert_null(strstr(r.err, "tasks,"));
  run_free(&r);
  /* A count's task belongs to no step: it shows as #0 count. */
  r = cli((const char *[]){"run", "--workers", "2", "--data-root", f->root,
                           "--read-parquet", f->glob, "--count", NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.err, " #0 count: 1/1 tasks, 20.0 k rows, "));
  run_free(&r);
}

/* kill -9 of the driver mid-task: its workers exit with it, and rerunning
 * the same job id completes the job with the right result. */
static void test_kill_driver_then_rerun(void **state)
{
  fixture *f = *state;
  const char *out = tk_path(f->dir, "after-kill");
  const char *job_dir = tk_path(f->root, "killed");
  const char *const argv[] = {
      "run", "--workers", "2", "--task-threads", "1", "--data-root", f->root,
      "--job-id", "killed", "--read-parquet", f->glob, "--repartition", "2",
      "--hash-by", "k",
      "--sql", "SELECT k, max(md5(i::VARCHAR || k)) AS m FROM {0}, "
               "range(800) t(i) GROUP BY k",
      "--write-parquet", out, NULL};
  int driver = tk_cli_start(argv), w1, w2, status;
  run r;

  assert_true(driver > 0);
  w1 = tk_worker_pid(job_dir, 1, 10000);
  w2 = tk_worker_pid(job_dir, 2, 10000);
  assert_true(w1 > 0 && w2 > 0);
  /* Kill once a worker is inside an SQL task (after the producers). */
  assert_true(tk_wait_log(job_dir, 1, " sql partition ", 20000) ||
              tk_wait_log(job_dir, 2, " sql partition ", 1000));
  r = cli((const char *[]){"status", job_dir, NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, tk_fmt("state: running (driver pid %d)",
                                       driver)));
  run_free(&r);
  assert_int_equal(kill(driver, SIGKILL), 0);
  assert_int_equal(waitpid(driver, &status, 0), driver);
  assert_true(tk_wait_gone(w1, 5000));
  assert_true(tk_wait_gone(w2, 5000));
  assert_false(tk_exists(out));
  /* From the files alone: the driver is gone, the producers are done. */
  r = cli((const char *[]){"status", job_dir, NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "state: stopped: its driver is gone"));
  assert_non_null(strstr(r.out, "#2 repartition"));
  assert_null(strstr(r.out, "#3 sql               2 / 2"));
  run_free(&r);
  /* The job list says the same, and names it by its id. */
  r = cli((const char *[]){"jobs", "--data-root", f->root, NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "killed                   stopped"));
  run_free(&r);
  r = cli(argv);
  expect(&r, 0, NULL);
  run_free(&r);
  r = cli((const char *[]){"status", "--data-root", f->root, "killed",
                           NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "state: success"));
  assert_non_null(strstr(r.out, "#3 sql               2 / 2"));
  run_free(&r);
  r = cli((const char *[]){"jobs", "--data-root", f->root, NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "killed                   success"));
  assert_non_null(strstr(r.out, "MiB  /")); /* the output folder, */
  assert_non_null(strstr(r.out, "/after-kill\n")); /* absolute */
  run_free(&r);
  r = cli((const char *[]){"status", f->dir, NULL});
  expect(&r, 1, "is not a smallpond job folder");
  run_free(&r);
  r = cli((const char *[]){"status", "--data-root", f->root, "nosuch", NULL});
  expect(&r, 1, "no job nosuch: neither a job folder nor a job id");
  run_free(&r);
  r = cli((const char *[]){"jobs", "--data-root", tk_path(f->dir, "none"),
                           NULL});
  expect(&r, 1, "no data root");
  run_free(&r);
  tk_assert_same_rows(tk_fmt("SELECT k, max(md5(i::VARCHAR || k)) FROM "
                             "read_parquet('%s'), range(800) t(i) GROUP BY k",
                             f->glob),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
}

/* gc removes what finished jobs left: a job that succeeded, a failed one
 * only with --failed, never one whose lock a driver holds (held here by
 * the test), and nothing younger than --older-than. */
static void test_jobs_gc(void **state)
{
  fixture *f = *state;
  const char *root = tk_path(f->dir, "gc-root");
  static const char *const ids[] = {"ok", "bad", "held"};
  int lock, i;
  run r;

  for (i = 0; i < 3; i++) {
    r = cli((const char *[]){"run", "--workers", "1", "--data-root", root,
                             "--job-id", ids[i], "--read-parquet", f->glob,
                             "--sql", i == 1 ? "SELECT nosuch FROM {0}"
                                             : "SELECT k FROM {0}",
                             "--count", NULL});
    expect(&r, i == 1 ? 1 : 0, NULL);
    run_free(&r);
  }
  lock = open(tk_path(tk_path(root, "held"), "lock"), O_RDWR);
  assert_true(lock >= 0);
  assert_int_equal(flock(lock, LOCK_EX | LOCK_NB), 0);
  r = cli((const char *[]){"gc", "--data-root", root, NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "0 of 3 jobs removed")); /* all too young */
  run_free(&r);
  r = cli((const char *[]){"gc", "--data-root", root, "--older-than", "0s",
                           NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "removed ok (success"));
  assert_non_null(strstr(r.out, "1 of 3 jobs removed"));
  run_free(&r);
  assert_false(tk_exists(tk_path(root, "ok")));
  assert_true(tk_exists(tk_path(root, "bad")));
  r = cli((const char *[]){"gc", "--data-root", root, "--older-than", "0s",
                           "--failed", NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "removed bad (failure"));
  assert_null(strstr(r.out, "removed held"));
  run_free(&r);
  assert_true(tk_exists(tk_path(root, "held")));
  close(lock); /* the "driver" is gone */
  r = cli((const char *[]){"gc", "--data-root", root, "--older-than", "0s",
                           NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "removed held (success"));
  run_free(&r);
  assert_false(tk_exists(tk_path(root, "held")));
  r = cli((const char *[]){"gc", "--older-than", "soon", NULL});
  expect(&r, 2, "--older-than");
  run_free(&r);
}

/* Every step of the chain, from the command line, against DuckDB. */
static void test_steps(void **state)
{
  fixture *f = *state;
  const char *out = tk_path(f->dir, "steps");
  run r = cli((const char *[]){
      "run", "--data-root", f->root, "--read-parquet", f->glob,
      "--repartition", "4", "--by", "k % 4",
      "--filter", "v >= 100 AND name IS NOT NULL",
      "--map", "id, k, v, length(name) AS len",
      "--flat-map", "id, k, unnest([v, len]) AS x",
      "--partial-sort", "x DESC",
      "--write-parquet", out, NULL});

  expect(&r, 0, NULL);
  run_free(&r);
  tk_assert_same_rows(
      tk_fmt("SELECT id, k, unnest([v, length(name)]) FROM read_parquet('%s') "
             "WHERE v >= 100 AND name IS NOT NULL", f->glob),
      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", out));
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM read_parquet('%s/*.parquet', filename = true) "
      "WHERE k %% 4 <> regexp_extract(filename, 'part-(\\d+)-', 1)::INT",
      out)), 0);
  r = cli((const char *[]){"run", "--data-root", f->root, "--from-sql",
                           "SELECT i FROM range(5000) t(i)", "--repartition",
                           "3", "--by-rows", "--random-shuffle", "--limit",
                           "1234", "--count", NULL});
  expect(&r, 0, NULL);
  assert_int_equal(strtoll(r.out, NULL, 10), 1234);
  run_free(&r);
  r = cli((const char *[]){"run", "--data-root", f->root, "--from-sql",
                           "SELECT i FROM range(4) t(i)", "--repartition", "2",
                           "--by-rows", "--take-all", NULL});
  expect(&r, 0, NULL);
  assert_non_null(strstr(r.out, "(4 rows)"));
  run_free(&r);
  r = cli((const char *[]){"run", "--data-root", f->root, "--read-parquet",
                           f->glob, "--repartition", "3", "--by", "k",
                           "--count", NULL});
  expect(&r, 1, "is out of range 0-2");
  run_free(&r);
}

/* CSV and JSON sources from the command line, against DuckDB. */
static void test_csv_and_json_sources(void **state)
{
  fixture *f = *state;
  const char *csv = tk_path(f->dir, "t.csv"), *json = tk_path(f->dir,
                                                              "t.json");
  const char *out = tk_path(f->dir, "from-csv");
  duckdb_database db;
  duckdb_connection con;
  run r;

  assert_int_equal(dc_open(&db, &con), 0);
  assert_int_equal(dc_exec(con, tk_fmt("COPY (FROM read_parquet('%s')) TO "
                                       "'%s' (FORMAT csv, DELIMITER '\t')",
                                       f->glob, csv)), 0);
  assert_int_equal(dc_exec(con, tk_fmt("COPY (FROM read_parquet('%s')) TO "
                                       "'%s' (FORMAT json)", f->glob, json)),
                   0);
  dc_close(&db, &con);
  r = cli((const char *[]){
      "run", "--data-root", f->root, "--read-csv", csv, "--schema",
      "id BIGINT, k BIGINT, name VARCHAR, v DECIMAL(12, 2)", "--delimiter",
      "\t", "--header", "--repartition", "3", "--hash-by", "k", "--sql",
      "SELECT k, sum(v) AS s FROM {0} GROUP BY k", "--write-parquet", out,
      NULL});
  expect(&r, 0, NULL);
  run_free(&r);
  tk_assert_same_rows(
      tk_fmt("SELECT k, sum(v::DECIMAL(12, 2)) FROM read_parquet('%s') "
             "GROUP BY k", f->glob),
      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", out));
  r = cli((const char *[]){"run", "--data-root", f->root, "--read-json", json,
                           "--schema", "id BIGINT, k BIGINT, name VARCHAR, "
                           "v DOUBLE", "--filter", "name IS NULL", "--count",
                           NULL});
  expect(&r, 0, NULL);
  assert_int_equal(strtoll(r.out, NULL, 10),
                   tk_duck_i64(tk_fmt("SELECT count(*) FROM "
                                      "read_parquet('%s') WHERE name IS NULL",
                                      f->glob)));
  run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_help_and_version),
    cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_quickstart_pipeline, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_count_take_and_rows, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_runtime_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_steps, setup, teardown),
    cmocka_unit_test_setup_teardown(test_csv_and_json_sources, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_explain, setup, teardown),
    cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
    cmocka_unit_test_setup_teardown(test_jobs_gc, setup, teardown),
    cmocka_unit_test_setup_teardown(test_kill_driver_then_rerun, setup,
                                    teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
