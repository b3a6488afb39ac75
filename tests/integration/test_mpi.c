/*
 * test_mpi.c - cluster mode on a real mpirun with 3 and 4 ranks on this
 * machine: the same job gives the same rows as local mode and as DuckDB;
 * a rank that cannot see the data root is named; a rank that dies ends
 * the job, and the rerun completes it. (That C callbacks exist on every
 * rank is the CTest example_callbacks_mpi: examples/callbacks.c under
 * mpirun.)
 *
 * CTest sets Open MPI's variables for root and oversubscription (see
 * tests/integration/CMakeLists.txt).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "smallpond.h"
#include "testkit.h"

#define ROWS 200000
#define FILES 4
#define KEYS 5000

static const char *group_sql =
    "SELECT k, count(*) AS n, round(sum(v), 6) AS s, max(name) AS m "
    "FROM {0} GROUP BY k";

/* The job's output in out has DuckDB's rows of group_sql over glob. */
static void assert_grouped(const char *glob, const char *out)
{
  tk_assert_same_rows(
      tk_fmt("SELECT k, count(*), round(sum(v), 6), max(name) FROM "
             "read_parquet('%s') GROUP BY k", glob),
      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", out));
}

/* The job's output of a run of the CLI with the given session options. */
static const char *run_job(const char *dir, const char *glob, const char *tag,
                           const char *const *session)
{
  const char *out = tk_path(dir, tk_fmt("out-%s", tag));
  const char *argv[48];
  char *o = NULL, *e = NULL;
  int n = 0, rc;

  argv[n++] = "run";
  argv[n++] = "--quiet";
  while (*session)
    argv[n++] = *session++;
  argv[n++] = "--data-root";
  argv[n++] = tk_path(dir, "root");
  argv[n++] = "--job-id";
  argv[n++] = tag;
  argv[n++] = "--read-parquet";
  argv[n++] = glob;
  argv[n++] = "--repartition";
  argv[n++] = "6";
  argv[n++] = "--hash-by";
  argv[n++] = "k";
  argv[n++] = "--sql";
  argv[n++] = group_sql;
  argv[n++] = "--repartition";
  argv[n++] = "3";
  argv[n++] = "--hash-by";
  argv[n++] = "n";
  argv[n++] = "--write-parquet";
  argv[n++] = out;
  argv[n] = NULL;
  rc = tk_cli(argv, &o, &e);
  if (rc != 0)
    fprintf(stderr, "run %s: exit %d\n%s\n%s\n", tag, rc, o ? o : "",
            e ? e : "");
  assert_int_equal(rc, 0);
  free(o);
  free(e);
  return out;
}

/* The same three-stage job under mpirun with 4 ranks (via --launcher
 * mpi) and with 2 local workers: the same rows, and DuckDB's. */
static void test_mpi_same_as_local(void **state)
{
  char *dir = tk_tmpdir();
  const char *glob = tk_path(dir, "part-*.parquet");
  const char *const local[] = {"--workers", "2", NULL};
  const char *const mpi[] = {"--launcher", "mpi", "--np", "4", NULL};
  const char *out_local, *out_mpi;
  char *log;

  (void)state;
  assert_int_equal(tk_make_table(dir, ROWS, FILES, KEYS), 0);
  out_local = run_job(dir, glob, "local", local);
  out_mpi = run_job(dir, glob, "mpi", mpi);
  tk_assert_same_rows(
      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", out_local),
      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", out_mpi));
  assert_grouped(glob, out_mpi);
  log = tk_read(tk_path(dir, "root/mpi/log/driver.log"));
  assert_non_null(log);
  assert_true(strstr(log, "3 MPI ranks on 1 machine") != NULL);
  free(log);
  /* Every rank ran tasks: each wrote its own executor log. */
  assert_true(tk_exists(tk_path(dir, "root/mpi/log/executor-1.log")));
  assert_true(tk_exists(tk_path(dir, "root/mpi/log/executor-3.log")));
  assert_int_equal(tk_duck_i64(tk_fmt(
      "SELECT count(DISTINCT worker) FROM read_csv('%s', header = true) "
      "WHERE status = 'ok'", tk_path(dir, "root/mpi/log/tasks.csv"))), 3);
  tk_rm_rf(dir);
  free(dir);
}

/* Runs a shell command; returns its exit status and its output (stdout
 * and stderr, caller frees). */
static int shell(const char *cmd, char **out)
{
  char buf[4096];
  size_t len = 0, n;
  FILE *p;
  int status;

  *out = calloc(1, 1);
  fflush(NULL);
  if (!*out || !(p = popen(tk_fmt("%s 2>&1", cmd), "r")))
    return -1;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    char *more = realloc(*out, len + n + 1);
    if (!more)
      break;
    *out = more;
    memcpy(*out + len, buf, n);
    len += n;
    (*out)[len] = '\0';
  }
  status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A rank that does not see the driver's file system (the data root is a
 * fresh tmpfs in its own mount namespace) is named, and the job stops
 * with nothing left under the data root. Needs unshare(1) with the right
 * to mount: skipped without. */
static void test_mpi_unshared_root(void **state)
{
  char *dir = tk_tmpdir(), *out = NULL;
  const char *root = tk_path(dir, "root");
  const char *wrap = tk_path(dir, "unshared-rank.sh");
  FILE *f;
  int rc;

  (void)state;
  if (shell("unshare -m sh -c 'mount -t tmpfs tmpfs /mnt'", &out) != 0) {
    free(out);
    tk_rm_rf(dir);
    free(dir);
    skip();
  }
  free(out);
  assert_int_equal(tk_mkdir_p(root), 0);
  assert_non_null(f = fopen(wrap, "w"));
  fputs("#!/bin/sh\n"
        "# ranks other than 0 get a private, empty data root\n"
        "root=$1; shift\n"
        "[ \"${OMPI_COMM_WORLD_RANK:-0}\" = 0 ] && exec \"$@\"\n"
        "exec unshare -m sh -c 'mount -t tmpfs tmpfs \"$0\" && exec \"$@\"' "
        "\"$root\" \"$@\"\n", f);
  fclose(f);
  assert_int_equal(chmod(wrap, 0755), 0);
  rc = shell(tk_fmt("mpirun -np 3 %s %s %s run --quiet --data-root %s "
                    "--from-sql 'SELECT 1 AS x' --count", wrap, root,
                    SP_CLI_PATH, root), &out);
  assert_int_not_equal(rc, 0);
  if (!strstr(out, "is not on a file system every rank sees"))
    fprintf(stderr, "%s\n", out);
  assert_non_null(strstr(out, "is not on a file system every rank sees"));
  assert_non_null(strstr(out, "rank 1 on host"));
  assert_non_null(strstr(out, "token: No such file or directory"));
  free(out);
  /* The job folder made for the attempt is gone again. */
  assert_int_equal(shell(tk_fmt("test -z \"$(ls -A %s)\"", root), &out), 0);
  free(out);
  tk_rm_rf(dir);
  free(dir);
}

/* Makes the table in dir and starts the CLI with argv (job job_dir),
 * partition 5's SQL task sleeping 60 s on its first attempt; *rank gets
 * the worker rank (1 or 2) that runs it, *pid its pid. Returns the CLI's
 * pid. */
static int start_with_straggler(const char *dir, const char *job_dir,
                                const char *const *argv, int *rank, int *pid)
{
  int driver, waited;

  assert_int_equal(tk_make_table(dir, ROWS, FILES, KEYS), 0);
  setenv("SP_FAULT_SLOW", "5:60000", 1);
  driver = tk_cli_start(argv);
  unsetenv("SP_FAULT_SLOW");
  assert_true(driver > 0);
  for (*rank = 0, waited = 0; !*rank && waited < 30000; waited += 100)
    *rank = tk_wait_log(job_dir, 1, "sql partition 5: start", 50)   ? 1
            : tk_wait_log(job_dir, 2, "sql partition 5: start", 50) ? 2
                                                                   : 0;
  assert_true(*rank > 0);
  *pid = tk_worker_pid(job_dir, *rank, 20000);
  assert_true(*pid > 0);
  return driver;
}

/* A rank killed in the middle of a job while it runs a task nothing else
 * covers: under `--launcher mpi` (mpirun --enable-recovery) the job goes
 * on, the driver finds the rank lost at the host timeout, and the run
 * fails with smallpond's own error naming the rank, in the status file
 * too. Rerunning it with the same job id skips what finished and gives
 * DuckDB's rows. */
static void test_mpi_rank_dies_rerun_resumes(void **state)
{
  char *dir = tk_tmpdir(), *log;
  const char *glob = tk_path(dir, "part-*.parquet");
  const char *root = tk_path(dir, "root");
  const char *job_dir = tk_path(root, "dies");
  const char *out = tk_path(dir, "out");
  const char *const argv[] = {
      "run", "--quiet", "--launcher", "mpi", "--np", "3", "--no-speculation",
      "--host-timeout", "3",
      "--data-root", root, "--job-id", "dies", "--read-parquet", glob,
      "--repartition", "8", "--hash-by", "k", "--sql", group_sql,
      "--write-parquet", out, NULL};
  char *o = NULL, *e = NULL, *text;
  int driver, rank, pid, status = -1;

  (void)state;
  /* The rank that runs the slow task is killed. */
  driver = start_with_straggler(dir, job_dir, argv, &rank, &pid);
  assert_int_equal(kill(pid, SIGKILL), 0);
  assert_int_equal(waitpid(driver, &status, 0), driver);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 1);
  assert_false(tk_exists(out));
  /* The driver outlived the rank and said which one it lost. */
  text = tk_read(tk_path(job_dir, "status"));
  assert_non_null(text);
  assert_int_equal(strncmp(text, "failure", 7), 0);
  assert_non_null(strstr(text, tk_fmt("rank %d on host ", rank)));
  assert_non_null(strstr(text, "was lost"));
  free(text);

  assert_int_equal(tk_cli(argv, &o, &e), 0);
  free(o);
  free(e);
  assert_grouped(glob, out);
  log = tk_read(tk_path(job_dir, "log/driver.log"));
  assert_non_null(log);
  /* The second run reused the tasks the first one finished. */
  assert_non_null(strstr(log, "finished tasks reused from state.jsonl"));
  assert_int_equal(tk_count(log, " 0 finished tasks reused"), 1);
  free(log);
  tk_rm_rf(dir);
  free(dir);
}

/* A rank that stops answering (SIGSTOP: its heartbeats stop, as when its
 * host is cut off) while it runs a straggler, under a host timeout far
 * longer than the job: a speculative duplicate does the work elsewhere,
 * and the run ends and publishes without waiting for the rank to be found
 * lost; at sp_close its abandoned attempt is given up on after three
 * missed heartbeats, and the job succeeds. */
static void test_mpi_stalled_rank_not_waited_for(void **state)
{
  char *dir = tk_tmpdir(), *log;
  const char *glob = tk_path(dir, "part-*.parquet");
  const char *root = tk_path(dir, "root");
  const char *job_dir = tk_path(root, "stalls");
  const char *out = tk_path(dir, "out");
  const char *const argv[] = {
      "run", "--quiet", "--launcher", "mpi", "--np", "3", "--host-timeout",
      "300", "--data-root", root, "--job-id", "stalls", "--read-parquet",
      glob, "--repartition", "8", "--hash-by", "k", "--sql", group_sql,
      "--write-parquet", out, NULL};
  char *text;
  int driver, rank, pid, status = -1;

  (void)state;
  driver = start_with_straggler(dir, job_dir, argv, &rank, &pid);
  assert_int_equal(kill(pid, SIGSTOP), 0);
  assert_int_equal(waitpid(driver, &status, 0), driver);
  (void)kill(pid, SIGKILL); /* mpirun was stopped, as the launcher does */
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_grouped(glob, out);
  text = tk_read(tk_path(job_dir, "status"));
  assert_non_null(text);
  assert_int_equal(strncmp(text, "success", 7), 0);
  free(text);
  log = tk_read(tk_path(job_dir, "log/driver.log"));
  assert_non_null(log);
  /* The duplicate won; the run did not wait for the host timeout, and
   * the close gave the stalled rank up after three heartbeats. */
  assert_non_null(strstr(log, "(speculative: a duplicate of a straggler)"));
  assert_null(strstr(log, "its host is down or cut off"));
  assert_non_null(strstr(log, tk_fmt("rank %d on host ", rank)));
  assert_non_null(strstr(log, "(three heartbeats)"));
  free(log);
  tk_rm_rf(dir);
  free(dir);
}

/* 1 once process pid has ended (gone, or a zombie), waiting up to 10 s. */
static int ended(int pid)
{
  char state = 0;
  int waited;
  FILE *f;

  for (waited = 0; waited < 10000; waited += 100) {
    if (!(f = fopen(tk_fmt("/proc/%d/stat", pid), "r")))
      return 1;
    if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
      state = 0;
    fclose(f);
    if (state == 'Z')
      return 1;
    tk_sleep_ms(100);
  }
  return 0;
}

/* SIGTERM for `smallpond run --launcher mpi` alone (a batch system's, or
 * timeout's) ends the whole job: mpirun and every rank, not the launcher
 * only; it says how to resume, and the rerun gives DuckDB's rows. */
static void test_mpi_launcher_terminated(void **state)
{
  char *dir = tk_tmpdir(), *text, *o = NULL, *e = NULL;
  const char *glob = tk_path(dir, "part-*.parquet");
  const char *root = tk_path(dir, "root");
  const char *job_dir = tk_path(root, "ends");
  const char *out = tk_path(dir, "out");
  const char *const argv[] = {
      "run", "--quiet", "--launcher", "mpi", "--np", "3", "--no-speculation",
      "--data-root", root, "--job-id", "ends", "--read-parquet", glob,
      "--repartition", "8", "--hash-by", "k", "--sql", group_sql,
      "--write-parquet", out, NULL};
  int launcher, rank, pid, status = -1;

  (void)state;
  launcher = start_with_straggler(dir, job_dir, argv, &rank, &pid);
  assert_int_equal(kill(launcher, SIGTERM), 0);
  assert_int_equal(waitpid(launcher, &status, 0), launcher);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 1);
  assert_true(ended(pid));
  assert_false(tk_exists(out));
  text = tk_read(tk_path(job_dir, "status"));
  assert_non_null(text);
  assert_int_equal(strncmp(text, "running", 7), 0); /* its driver is gone */
  free(text);
  assert_int_equal(tk_cli(argv, &o, &e), 0);
  free(o);
  free(e);
  assert_grouped(glob, out);
  tk_rm_rf(dir);
  free(dir);
}

/* smallpond sql under mpirun with 3 ranks: a hashed join with an
 * aggregate, a correlated subquery, an ORDER BY through the range, each
 * the same rows as DuckDB's on the same files. */
static void test_mpi_sql(void **state)
{
  static const char *const queries[] = {
    /* every join hashed on its key (--broadcast-mib 0) */
    "SELECT t.k, count(*) AS n, round(sum(u.v), 6) AS s FROM t JOIN u "
    "ON t.k = u.k AND u.v < 0.2 GROUP BY t.k",
    "SELECT k, name FROM t WHERE v < 0.01 AND EXISTS (SELECT 1 FROM u "
    "WHERE u.k = t.k AND u.v > 0.99)",
    "SELECT k, v, name FROM t WHERE v > 0.5 ORDER BY v DESC, k",
  };
  char *dir = tk_tmpdir();
  const char *glob = tk_path(dir, "part-*.parquet");
  size_t i;

  (void)state;
  assert_int_equal(tk_make_table(dir, ROWS, FILES, KEYS), 0);
  for (i = 0; i < sizeof(queries) / sizeof(*queries); i++) {
    const char *out = tk_path(dir, tk_fmt("sql-%zu", i));
    char *log = NULL;
    int rc = shell(tk_fmt("mpirun -np 3 %s sql --quiet --data-root %s "
                          "--partitions 4 --broadcast-mib 0 --table "
                          "t='%s' --table u='%s' --write-parquet %s \"%s\"",
                          SP_CLI_PATH, tk_path(dir, "root"), glob, glob, out,
                          queries[i]),
                   &log);
    if (rc != 0)
      fprintf(stderr, "%s\n", log);
    assert_int_equal(rc, 0);
    free(log);
    tk_assert_same_rows(
        tk_fmt("WITH t AS (FROM read_parquet('%s')), u AS (FROM "
               "read_parquet('%s')) %s", glob, glob, queries[i]),
        tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", out));
  }
  tk_rm_rf(dir);
  free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_mpi_sql),
    cmocka_unit_test(test_mpi_same_as_local),
    cmocka_unit_test(test_mpi_unshared_root),
    cmocka_unit_test(test_mpi_rank_dies_rerun_resumes),
    cmocka_unit_test(test_mpi_stalled_rank_not_waited_for),
    cmocka_unit_test(test_mpi_launcher_terminated),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
