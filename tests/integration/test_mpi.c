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

/* A job of group_sql over a new table on 3 ranks, under `--launcher mpi`,
 * whose partition 5's SQL task sleeps 60 s on its first attempt: a
 * straggler. */
typedef struct straggler {
  char *dir;
  const char *glob, *job_dir, *out;
  const char *argv[32];
  int launcher; /* the CLI's pid */
  int rank;     /* the worker rank (1 or 2) that runs the slow task */
  int pid;      /* its pid */
} straggler;

/* Starts job id with the host timeout (seconds) and speculation on or off,
 * and waits until a rank runs the slow task. */
static void straggler_start(straggler *j, const char *id,
                            const char *host_timeout, int speculation)
{
  const char *root;
  int k = 0, waited;

  j->dir = tk_tmpdir();
  j->glob = tk_path(j->dir, "part-*.parquet");
  root = tk_path(j->dir, "root");
  j->job_dir = tk_path(root, id);
  j->out = tk_path(j->dir, "out");
  {
    const char *const args[] = {
        "run", "--quiet", "--launcher", "mpi", "--np", "3",
        "--host-timeout", host_timeout, "--data-root", root, "--job-id", id,
        "--read-parquet", j->glob, "--repartition", "8", "--hash-by", "k",
        "--sql", group_sql, "--write-parquet", j->out};
    for (; k < (int)(sizeof(args) / sizeof(args[0])); k++)
      j->argv[k] = args[k];
  }
  if (!speculation)
    j->argv[k++] = "--no-speculation";
  j->argv[k] = NULL;
  assert_int_equal(tk_make_table(j->dir, ROWS, FILES, KEYS), 0);
  setenv("SP_FAULT_SLOW", "5:60000", 1);
  j->launcher = tk_cli_start(j->argv);
  unsetenv("SP_FAULT_SLOW");
  assert_true(j->launcher > 0);
  for (j->rank = 0, waited = 0; !j->rank && waited < 30000; waited += 100)
    j->rank = tk_wait_log(j->job_dir, 1, "sql partition 5: start", 50)   ? 1
              : tk_wait_log(j->job_dir, 2, "sql partition 5: start", 50) ? 2
                                                                        : 0;
  assert_true(j->rank > 0);
  j->pid = tk_worker_pid(j->job_dir, j->rank, 20000);
  assert_true(j->pid > 0);
}

/* Waits for the launcher, which must exit with code. */
static void straggler_exits(straggler *j, int code)
{
  int status = -1;

  assert_int_equal(waitpid(j->launcher, &status, 0), j->launcher);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), code);
}

/* The job's file name (caller frees), which must exist and start with
 * prefix. */
static char *straggler_file(const straggler *j, const char *name,
                            const char *prefix)
{
  char *text = tk_read(tk_path(j->job_dir, name));

  assert_non_null(text);
  assert_int_equal(strncmp(text, prefix, strlen(prefix)), 0);
  return text;
}

/* Reruns the job with the same id, which must give DuckDB's rows. */
static void straggler_rerun(const straggler *j)
{
  char *o = NULL, *e = NULL;

  assert_int_equal(tk_cli(j->argv, &o, &e), 0);
  free(o);
  free(e);
  assert_grouped(j->glob, j->out);
}

static void straggler_end(straggler *j)
{
  tk_rm_rf(j->dir);
  free(j->dir);
}

/* A rank killed in the middle of a job while it runs a task nothing else
 * covers: under `--launcher mpi` (mpirun --enable-recovery) the job goes
 * on, the driver finds the rank lost at the host timeout, and the run
 * fails with smallpond's own error naming the rank, in the status file
 * too. Rerunning it with the same job id skips what finished and gives
 * DuckDB's rows. */
static void test_mpi_rank_dies_rerun_resumes(void **state)
{
  straggler j;
  char *text;

  (void)state;
  straggler_start(&j, "dies", "3", 0);
  assert_int_equal(kill(j.pid, SIGKILL), 0);
  straggler_exits(&j, 1);
  assert_false(tk_exists(j.out));
  /* The driver outlived the rank and said which one it lost. */
  text = straggler_file(&j, "status", "failure");
  assert_non_null(strstr(text, tk_fmt("rank %d on host ", j.rank)));
  assert_non_null(strstr(text, "was lost"));
  free(text);
  straggler_rerun(&j);
  /* The second run reused the tasks the first one finished. */
  text = straggler_file(&j, "log/driver.log", "");
  assert_non_null(strstr(text, "finished tasks reused from state.jsonl"));
  assert_int_equal(tk_count(text, " 0 finished tasks reused"), 1);
  free(text);
  straggler_end(&j);
}

/* A rank that stops answering (SIGSTOP: its heartbeats stop, as when its
 * host is cut off) while it runs a straggler, under a host timeout far
 * longer than the job: a speculative duplicate does the work elsewhere,
 * and the run ends and publishes without waiting for the rank to be found
 * lost; at sp_close its abandoned attempt is given up on after three
 * missed heartbeats, and the job succeeds. */
static void test_mpi_stalled_rank_not_waited_for(void **state)
{
  straggler j;
  char *text;

  (void)state;
  straggler_start(&j, "stalls", "300", 1);
  assert_int_equal(kill(j.pid, SIGSTOP), 0);
  straggler_exits(&j, 0);
  (void)kill(j.pid, SIGKILL); /* mpirun was stopped, as the launcher does */
  assert_grouped(j.glob, j.out);
  free(straggler_file(&j, "status", "success"));
  /* The duplicate won; the run did not wait for the host timeout, and
   * the close gave the stalled rank up after three heartbeats. */
  text = straggler_file(&j, "log/driver.log", "");
  assert_non_null(strstr(text, "(speculative: a duplicate of a straggler)"));
  assert_null(strstr(text, "its host is down or cut off"));
  assert_non_null(strstr(text, tk_fmt("rank %d on host ", j.rank)));
  assert_non_null(strstr(text, "(three heartbeats)"));
  free(text);
  straggler_end(&j);
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
  straggler j;

  (void)state;
  straggler_start(&j, "ends", "30", 0);
  assert_int_equal(kill(j.launcher, SIGTERM), 0);
  straggler_exits(&j, 1);
  assert_true(ended(j.pid));
  assert_false(tk_exists(j.out));
  /* Its driver is gone, and said nothing more. */
  free(straggler_file(&j, "status", "running"));
  straggler_rerun(&j);
  straggler_end(&j);
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
