/*
 * test_faults.c - failures a job survives: a worker killed in the middle
 * of a task, and a fraction of attempts failing on purpose before, while
 * or after writing their output (SP_FAULT_INJECTION); and failures it
 * must not retry. Every output is compared with DuckDB's on the same
 * files.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "smallpond.h"
#include "testkit.h"

#define ROWS 20000
#define FILES 4

/* What sp_config.on_event told a test, checked against log/tasks.csv. */
#define MAX_STAGES 16
static struct recorded {
  int64_t kinds[SP_EVENT_TICK + 1]; /* events of each kind */
  int in_run;                   /* between RUN_STARTED and _FINISHED */
  int out_of_order;             /* events that broke the order */
  int stages[MAX_STAGES];       /* stage ids, in STAGE_STARTED order */
  int64_t rows[MAX_STAGES];     /* rows of its TASK_FINISHED events */
  int finished[MAX_STAGES];     /* STAGE_FINISHED came, with every task
                                   done and those rows */
  int nstages;
  sp_status last_status;
} recorded;

static int recorded_stage(int stage)
{
  int i;

  for (i = 0; i < recorded.nstages; i++)
    if (recorded.stages[i] == stage)
      return i;
  return -1;
}

static void record(const sp_event *ev, void *arg)
{
  int i = ev->stage > 0 ? recorded_stage(ev->stage) : -1;

  (void)arg;
  if (ev->kind < SP_EVENT_RUN_STARTED || ev->kind > SP_EVENT_TICK)
    return;
  recorded.kinds[ev->kind]++;
  /* Runs do not overlap; a stage starts before its tasks, ends after. */
  if (ev->kind == SP_EVENT_RUN_STARTED)
    recorded.out_of_order += recorded.in_run++ != 0;
  else if (!recorded.in_run)
    recorded.out_of_order++;
  if (ev->kind == SP_EVENT_RUN_FINISHED) {
    recorded.in_run = 0;
    recorded.last_status = ev->status;
  }
  if (ev->kind == SP_EVENT_STAGE_STARTED && i < 0 &&
      recorded.nstages < MAX_STAGES)
    recorded.stages[i = recorded.nstages++] = ev->stage;
  /* An attempt that lost may end after its stage. */
  if (ev->kind >= SP_EVENT_TASK_STARTED && ev->kind <= SP_EVENT_TASK_DROPPED)
    recorded.out_of_order += i < 0 || !ev->task_key ||
                             (recorded.finished[i] &&
                              ev->kind != SP_EVENT_TASK_DROPPED);
  if (ev->kind == SP_EVENT_TASK_FINISHED && i >= 0)
    recorded.rows[i] += ev->rows;
  if (ev->kind == SP_EVENT_STAGE_FINISHED && i >= 0)
    recorded.finished[i] = ev->stage_done == ev->stage_tasks &&
                           ev->stage_rows == recorded.rows[i];
}

static void recording(sp_config *cfg)
{
  memset(&recorded, 0, sizeof(recorded));
  cfg->on_event = record;
}

static void eight_attempts(sp_config *cfg)
{
  cfg->max_attempts = 8;
  recording(cfg);
}

/* The events match log/tasks.csv (csv): an event per attempt, each
 * stage's rows those its attempts wrote. */
static void check_recorded(const char *csv)
{
  int i;

  assert_int_equal(recorded.out_of_order, 0);
  assert_int_equal(recorded.in_run, 0);
  assert_int_equal(recorded.last_status, SP_OK);
  assert_int_equal(recorded.kinds[SP_EVENT_RUN_STARTED],
                   recorded.kinds[SP_EVENT_RUN_FINISHED]);
  assert_int_equal(recorded.kinds[SP_EVENT_TASK_STARTED] +
                       recorded.kinds[SP_EVENT_TASK_SPECULATED],
                   tk_duck_i64(tk_fmt("SELECT count(*) FROM %s", csv)));
  assert_int_equal(recorded.kinds[SP_EVENT_TASK_FINISHED],
                   tk_duck_i64(tk_fmt("SELECT count(*) FROM %s WHERE "
                                      "status = 'ok'", csv)));
  assert_int_equal(recorded.kinds[SP_EVENT_TASK_RETRIED],
                   tk_duck_i64(tk_fmt("SELECT count(*) FROM %s WHERE "
                                      "status = 'retry'", csv)));
  assert_int_equal(recorded.kinds[SP_EVENT_TASK_DROPPED],
                   tk_duck_i64(tk_fmt("SELECT count(*) FROM %s WHERE "
                                      "status = 'lost'", csv)));
  assert_int_equal(recorded.nstages,
                   tk_duck_i64(tk_fmt("SELECT count(DISTINCT node) FROM %s",
                                      csv)));
  assert_int_equal(recorded.kinds[SP_EVENT_STAGE_FINISHED], recorded.nstages);
  for (i = 0; i < recorded.nstages; i++) {
    assert_true(recorded.finished[i]);
    assert_int_equal(recorded.rows[i],
                     tk_duck_i64(tk_fmt("SELECT sum(rows_out) FROM %s WHERE "
                                        "status = 'ok' AND node = %d", csv,
                                        recorded.stages[i])));
  }
}

static void one_attempt(sp_config *cfg)
{
  cfg->max_attempts = 1;
}

/* A fixture whose session starts with SP_FAULT_INJECTION set to rate. */
static tk_fixture *faulty(const char *rate, const char *job,
                          void (*configure)(sp_config *))
{
  tk_fixture *f;

  if (rate)
    setenv("SP_FAULT_INJECTION", rate, 1);
  f = tk_fixture_new(ROWS, FILES, 500, job, configure);
  unsetenv("SP_FAULT_INJECTION");
  assert_non_null(f);
  return f;
}

static char *driver_log(const tk_fixture *f)
{
  char *log = tk_read(tk_path(sp_session_job_dir(f->s), "log/driver.log"));

  assert_non_null(log);
  return log;
}

/* A job of about 250 worker tasks with 10% of attempts failing gives
 * DuckDB's result, and the log shows the retries. */
static void test_fault_injection(void **state)
{
  tk_fixture *f = faulty("0.1", "faults", eight_attempts);
  const char *key[] = {"k"}, *out = tk_path(f->dir, "out");
  sp_repartition_options rows = {.by_rows = 1};
  sp_repartition_options hash = {.hash_by = key, .nhash_by = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *csv;
  char *log;

  (void)state;
  tk_check(sp_repartition(tk_input(f), 100, &rows, &df, &err), &err);
  tk_check(sp_map(df, "id, k, v * 2 AS v2", NULL, &df, &err), &err);
  tk_check(sp_repartition(df, 50, &hash, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT k, count(*) AS n, sum(id) AS s, "
                          "max(v2) AS top FROM {0} GROUP BY k", &df, 1, NULL,
                          &df, &err), &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT k, count(*), sum(id), max(v * 2) FROM "
                             "read_parquet('%s') GROUP BY k", f->glob),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  log = driver_log(f);
  assert_true(tk_count(log, "injected fault") >= 5);
  assert_true(tk_count(log, "trying again") >= 5);
  /* log/tasks.csv: a row per attempt, one "ok" per task, and the
   * shuffle's successful attempts (a combiner's partial counts: one row
   * per key and producer) are what the last step read, once. */
  csv = tk_fmt("read_csv('%s/log/tasks.csv')", sp_session_job_dir(f->s));
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(*) FROM %s WHERE "
                                      "status = 'retry'", csv)),
                   tk_count(log, "trying again"));
  check_recorded(csv);
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM (SELECT key FROM %s GROUP BY key HAVING "
      "count(*) FILTER (WHERE status = 'ok') <> 1)", csv)), 0);
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT sum(rows_out) FROM %s WHERE "
                                      "status = 'ok' AND kind = 'shuffle'",
                                      csv)),
                   tk_duck_i64(tk_fmt("SELECT sum(rows_in) FROM %s WHERE "
                                      "status = 'ok' AND node = (SELECT "
                                      "max(node) FROM %s)", csv, csv)));
  free(log);
  /* Success: the failed attempts' leftovers are gone, and status says so. */
  log = tk_read(tk_path(sp_session_job_dir(f->s), "status"));
  assert_non_null(log);
  assert_non_null(strstr(log, "success"));
  assert_non_null(strstr(log, "staging/ emptied"));
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(*) FROM glob('%s/"
                                      "staging/**')",
                                      sp_session_job_dir(f->s))), 0);
  free(log);
  tk_fixture_free(f);
}

/* With one attempt per task the first injected fault fails the job,
 * naming it; nothing is written. */
static void test_attempts_run_out(void **state)
{
  tk_fixture *f = faulty("0.5", "one-attempt", one_attempt);
  const char *out = tk_path(f->dir, "never");
  sp_repartition_options rows = {.by_rows = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;

  (void)state;
  tk_check(sp_repartition(tk_input(f), 20, &rows, &df, &err), &err);
  tk_check(sp_map(df, "id, k", NULL, &df, &err), &err);
  assert_int_not_equal(sp_write_parquet(df, out, NULL, &err), SP_OK);
  assert_non_null(strstr(sp_error_message(err), "injected fault"));
  assert_non_null(strstr(sp_error_message(err), "failed 1 times"));
  assert_false(tk_exists(out));
  sp_error_free(&err);
  {
    char *status = tk_read(tk_path(sp_session_job_dir(f->s), "status"));
    assert_non_null(status);
    assert_non_null(strstr(status, "failure"));
    assert_non_null(strstr(status, "staging/ kept for debugging"));
    free(status);
  }
  tk_fixture_free(f);
}

static void small_memory(sp_config *cfg)
{
  cfg->task_memory = (int64_t)64 << 20;
}

/* A task that runs out of memory at 64 MiB runs again with 128 MiB (the
 * two workers' memory) and succeeds. */
static void test_out_of_memory_retried(void **state)
{
  tk_fixture *f = faulty(NULL, "oom", small_memory);
  const char *out = tk_path(f->dir, "out");
  sp_error *err = NULL;
  sp_df *df = NULL;
  char *log;

  (void)state;
  tk_check(sp_from_sql(f->s, "SELECT string_agg(md5(i::VARCHAR), ',') AS s "
                       "FROM range(400000) t(i)", NULL, &df, &err), &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT length(s) FROM read_parquet("
                                      "'%s/*.parquet')", out)),
                   tk_duck_i64("SELECT length(string_agg(md5(i::VARCHAR), "
                               "',')) FROM range(400000) t(i)"));
  log = driver_log(f);
  assert_int_equal(tk_count(log, "with twice the memory"), 1);
  assert_non_null(strstr(log, "Out of Memory Error"));
  free(log);
  tk_fixture_free(f);
}

/* A mistake in the SQL fails at once: retrying cannot help. */
static void test_sql_error_not_retried(void **state)
{
  tk_fixture *f = faulty(NULL, "sql-error", NULL);
  sp_error *err = NULL;
  sp_df *df = NULL;
  char *log;

  (void)state;
  tk_check(sp_map(tk_input(f), "id, no_such_column", NULL, &df, &err), &err);
  assert_int_equal(sp_write_parquet(df, tk_path(f->dir, "never"), NULL,
                                    &err), SP_ESQL);
  assert_non_null(strstr(sp_error_message(err), "no_such_column"));
  sp_error_free(&err);
  log = driver_log(f);
  assert_int_equal(tk_count(log, "trying again"), 0);
  assert_int_equal(tk_count(log, "attempt 1 -> worker"), 0);
  free(log);
  tk_fixture_free(f);
}

/* kill -9 of both workers in the middle of their tasks: each is replaced
 * by a new process, each task runs again, and the job finishes with
 * DuckDB's result (without replacement no worker would be left). */
static void test_kill_workers(void **state)
{
  tk_fixture *f = faulty(NULL, "kill-data", NULL);
  const char *out = tk_path(f->dir, "after-kill");
  const char *job_dir = tk_path(f->root, "killed-workers");
  const char *const argv[] = {
      "run", "--workers", "2", "--task-threads", "1", "--data-root", f->root,
      "--job-id", "killed-workers", "--read-parquet", f->glob,
      "--repartition", "2", "--hash-by", "k",
      "--sql", "SELECT k, max(md5(i::VARCHAR || k)) AS m FROM {0}, "
               "range(800) t(i) GROUP BY k",
      "--write-parquet", out, NULL};
  int driver = tk_cli_start(argv), w1, w2, status = -1;
  char *log;

  (void)state;
  assert_true(driver > 0);
  w1 = tk_worker_pid(job_dir, 1, 10000);
  w2 = tk_worker_pid(job_dir, 2, 10000);
  assert_true(w1 > 0 && w2 > 0);
  assert_true(tk_wait_log(job_dir, 1, " sql partition ", 20000));
  assert_true(tk_wait_log(job_dir, 2, " sql partition ", 20000));
  assert_int_equal(kill(w1, SIGKILL), 0);
  assert_int_equal(kill(w2, SIGKILL), 0);
  assert_int_equal(waitpid(driver, &status, 0), driver);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  tk_assert_same_rows(tk_fmt("SELECT k, max(md5(i::VARCHAR || k)) FROM "
                             "read_parquet('%s'), range(800) t(i) GROUP BY k",
                             f->glob),
                      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')",
                             out));
  log = tk_read(tk_path(job_dir, "log/driver.log"));
  assert_non_null(log);
  assert_int_equal(tk_count(log, "worker 1 died"), 1);
  assert_int_equal(tk_count(log, "worker 2 died"), 1);
  assert_int_equal(tk_count(log, "worker 1 replaced"), 1);
  assert_int_equal(tk_count(log, "worker 2 replaced"), 1);
  assert_true(tk_count(log, "trying again") >= 2);
  free(log);
  tk_fixture_free(f);
}


static void no_speculation(sp_config *cfg)
{
  cfg->speculation = -1;
}

/* A fixture whose session starts with SP_FAULT_SLOW set to slow. */
static tk_fixture *slowed(const char *slow, const char *job,
                          void (*configure)(sp_config *))
{
  tk_fixture *f;

  setenv("SP_FAULT_SLOW", slow, 1);
  f = tk_fixture_new(ROWS, FILES, 500, job, configure);
  unsetenv("SP_FAULT_SLOW");
  assert_non_null(f);
  return f;
}

/* 8 partitions; a SQL step per partition written to out. */
static void eight_partitions(tk_fixture *f, const char *out)
{
  sp_repartition_options rows = {.by_rows = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_repartition(tk_input(f), 8, &rows, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT k, count(*) AS n, sum(id) AS s "
                          "FROM {0} GROUP BY k", &df, 1, NULL, &df, &err),
           &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT k, count(*), sum(id) FROM "
                             "read_parquet('%s') GROUP BY k", f->glob),
                      tk_fmt("SELECT k, sum(n), sum(s) FROM "
                             "read_parquet('%s/*.parquet') GROUP BY k", out));
}

/* The first attempt of partition 3 sleeps 60 s: once the other tasks of
 * its stage are done, a duplicate runs on the idle worker and wins; the
 * sleeping attempt is stopped (its worker killed and replaced) instead of
 * being waited for, and the result is DuckDB's. */
static void test_speculation(void **state)
{
  tk_fixture *f = slowed("3:60000", "speculation", recording);
  const char *csv;
  char *log;

  (void)state;
  eight_partitions(f, tk_path(f->dir, "out"));
  log = driver_log(f);
  assert_int_equal(tk_count(log, "starting a duplicate"), 1);
  assert_int_equal(tk_count(log, "(speculative: a duplicate of a "
                                 "straggler)"), 1);
  assert_int_equal(tk_count(log, "replaced"), 1);
  free(log);
  csv = tk_fmt("read_csv('%s/log/tasks.csv')", sp_session_job_dir(f->s));
  /* Partition 3's SQL task: attempt 0 lost, attempt 1 ok. */
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM %s WHERE kind = 'sql' AND partition = 3 AND "
      "attempt = 0 AND status = 'lost' AND error LIKE 'stopped: another "
      "attempt%%'", csv)), 1);
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM %s WHERE kind = 'sql' AND partition = 3 AND "
      "attempt = 1 AND status = 'ok'", csv)), 1);
  check_recorded(csv);
  assert_int_equal(recorded.kinds[SP_EVENT_TASK_SPECULATED], 1);
  /* The sleeper was not waited for. */
  assert_true(tk_duck_i64(tk_fmt("SELECT epoch_ms(max(\"end\")) - "
                                 "epoch_ms(min(start)) FROM %s", csv)) <
              30000);
  tk_fixture_free(f);
}

/* With speculation off the same straggler (2 s here) is waited for. */
static void test_speculation_off(void **state)
{
  tk_fixture *f = slowed("3:2000", "no-speculation", no_speculation);
  char *log;

  (void)state;
  eight_partitions(f, tk_path(f->dir, "out"));
  log = driver_log(f);
  assert_int_equal(tk_count(log, "starting a duplicate"), 0);
  free(log);
  tk_fixture_free(f);
}

/* A task that hangs (its first attempt sleeps 60 s) with speculation off:
 * the attempt is stopped at the task timeout and retried, the job ends
 * with DuckDB's answer well before the sleeper would have woken. */
static void timeout_3s(sp_config *cfg)
{
  cfg->speculation = -1;
  cfg->task_timeout_ms = 3000;
}

static void assert_timed_out_once(tk_fixture *f)
{
  const char *csv;
  char *log = driver_log(f);

  assert_int_equal(tk_count(log, "ran past its task timeout of 3.0 s: "
                                 "stopping it"), 1);
  assert_int_equal(tk_count(log, "starting a duplicate"), 0);
  free(log);
  csv = tk_fmt("read_csv('%s/log/tasks.csv')", sp_session_job_dir(f->s));
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM %s WHERE kind = 'sql' AND partition = 3 AND "
      "attempt = 0 AND status = 'retry' AND error LIKE 'ran past its task "
      "timeout of 3.0 s%%'", csv)), 1);
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM %s WHERE kind = 'sql' AND partition = 3 AND "
      "attempt = 1 AND status = 'ok'", csv)), 1);
  assert_true(tk_duck_i64(tk_fmt("SELECT epoch_ms(max(\"end\")) - "
                                 "epoch_ms(min(start)) FROM %s", csv)) <
              30000);
}

static void test_task_timeout(void **state)
{
  tk_fixture *f = slowed("3:60000", "timeout", timeout_3s);

  (void)state;
  eight_partitions(f, tk_path(f->dir, "out"));
  assert_timed_out_once(f);
  tk_fixture_free(f);
}

/* The same timeout set on the step alone, the session having none. */
static void test_task_timeout_of_step(void **state)
{
  tk_fixture *f = slowed("3:60000", "step-timeout", no_speculation);
  sp_node_options opt = {.task_timeout_ms = 3000};
  sp_repartition_options rows = {.by_rows = 1};
  const char *out = tk_path(f->dir, "out");
  sp_error *err = NULL;
  sp_df *df = NULL;

  (void)state;
  tk_check(sp_repartition(tk_input(f), 8, &rows, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT k, count(*) AS n FROM {0} GROUP BY "
                          "k", &df, 1, &opt, &df, &err), &err);
  tk_check(sp_write_parquet(df, out, NULL, &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT k, count(*) FROM read_parquet('%s') "
                             "GROUP BY k", f->glob),
                      tk_fmt("SELECT k, sum(n) FROM read_parquet('%s/*"
                             ".parquet') GROUP BY k", out));
  assert_timed_out_once(f);
  tk_fixture_free(f);
}

/* One worker, the hung attempt the only one running while others wait:
 * the timeout still fires (it once waited for any result first). */
static void timeout_one_worker(sp_config *cfg)
{
  timeout_3s(cfg);
  cfg->workers = 1;
}

static void test_task_timeout_one_worker(void **state)
{
  tk_fixture *f = slowed("3:60000", "timeout-one", timeout_one_worker);

  (void)state;
  eight_partitions(f, tk_path(f->dir, "out"));
  assert_timed_out_once(f);
  tk_fixture_free(f);
}

/* With no attempt left, a timeout fails the job, saying so. */
static void timeout_one_attempt(sp_config *cfg)
{
  timeout_3s(cfg);
  cfg->max_attempts = 1;
}

static void test_task_timeout_fails_job(void **state)
{
  tk_fixture *f = slowed("3:60000", "timeout-fails", timeout_one_attempt);
  sp_repartition_options rows = {.by_rows = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;

  (void)state;
  tk_check(sp_repartition(tk_input(f), 8, &rows, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT k FROM {0}", &df, 1, NULL, &df,
                          &err), &err);
  assert_int_equal(sp_write_parquet(df, tk_path(f->dir, "out"), NULL, &err),
                   SP_EWORKER);
  assert_non_null(strstr(sp_error_message(err), "ran past its task timeout "
                                                "of 3.0 s"));
  sp_error_free(&err);
  assert_false(tk_exists(tk_path(f->dir, "out")));
  tk_fixture_free(f);
}

/* A step whose tasks ask for more threads than the machine's capacity
 * runs them one at a time (no two attempts overlap in log/tasks.csv); a
 * step asking for more memory than any host offers fails naming it. */
static void test_task_resources_against_capacity(void **state)
{
  tk_fixture *f = faulty(NULL, "capacity", NULL);
  sp_repartition_options rows = {.by_rows = 1};
  sp_node_options big = {.task_threads = 1024};
  sp_node_options huge = {.task_memory = (int64_t)1 << 50};
  sp_error *err = NULL;
  sp_df *df = NULL, *wide = NULL;
  const char *csv, *out = tk_path(f->dir, "out");
  int64_t n = 0;

  (void)state;
  tk_check(sp_repartition(tk_input(f), 6, &rows, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT k, count(*) AS n FROM {0}, "
                          "range(20) GROUP BY k", &df, 1, &big, &wide, &err),
           &err);
  tk_check(sp_write_parquet(wide, out, NULL, &err), &err);
  tk_assert_same_rows(tk_fmt("SELECT k, count(*) * 20 FROM read_parquet('%s') "
                             "GROUP BY k", f->glob),
                      tk_fmt("SELECT k, sum(n) FROM "
                             "read_parquet('%s/*.parquet') GROUP BY k", out));
  csv = tk_fmt("read_csv('%s/log/tasks.csv')", sp_session_job_dir(f->s));
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM %s WHERE kind = 'sql' AND status = 'ok'", csv)),
      6);
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(*) FROM (SELECT start, lag(\"end\") OVER (ORDER BY "
      "start) AS prev_end FROM %s WHERE kind = 'sql') WHERE start < "
      "prev_end", csv)), 0);

  tk_check(sp_partial_sql(f->s, "SELECT * FROM {0}", &df, 1, &huge, &wide,
                          &err), &err);
  assert_int_equal(sp_count(wide, &n, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "more than any host "
                                                "offers"));
  sp_error_free(&err);
  tk_fixture_free(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fault_injection),
    cmocka_unit_test(test_attempts_run_out),
    cmocka_unit_test(test_out_of_memory_retried),
    cmocka_unit_test(test_sql_error_not_retried),
    cmocka_unit_test(test_kill_workers),
    cmocka_unit_test(test_speculation),
    cmocka_unit_test(test_speculation_off),
    cmocka_unit_test(test_task_timeout),
    cmocka_unit_test(test_task_timeout_of_step),
    cmocka_unit_test(test_task_timeout_one_worker),
    cmocka_unit_test(test_task_timeout_fails_job),
    cmocka_unit_test(test_task_resources_against_capacity),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
