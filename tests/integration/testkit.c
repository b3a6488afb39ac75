/*
 * testkit.c - integration test helpers (see testkit.h).
 */
#include "testkit.h"

#include <setjmp.h>
#include <stddef.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char *rotate(void)
{
  static char bufs[256][4096];
  static int next;

  return bufs[next++ % 256];
}

const char *tk_fmt(const char *fmt, ...)
{
  char *b = rotate();
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(b, 4096, fmt, ap);
  va_end(ap);
  return b;
}

const char *tk_path(const char *dir, const char *name)
{
  return tk_fmt("%s/%s", dir, name);
}

char *tk_tmpdir(void)
{
  const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char *p = malloc(strlen(base) + 32);

  if (!p)
    return NULL;
  snprintf(p, strlen(base) + 32, "%s/sp-test-XXXXXX", base);
  if (!mkdtemp(p)) {
    free(p);
    return NULL;
  }
  return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
  (void)sb;
  (void)ftw;
  return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void tk_rm_rf(const char *path)
{
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int tk_make_table(const char *dir, int64_t rows, int files, int keys)
{
  duckdb_database db;
  duckdb_connection con;
  int f, rc = 0;

  if (dc_open(&db, &con) != 0)
    return -1;
  for (f = 0; f < files && rc == 0; f++) {
    int64_t lo = rows * f / files, hi = rows * (f + 1) / files;
    rc = dc_exec(con, tk_fmt(
        "COPY (SELECT i AS id, (hash(i * 7 + 1) %% %d)::BIGINT AS k, "
        "CASE WHEN i %% 17 = 3 THEN NULL "
        "ELSE 'n' || (hash(i) %% 1000)::VARCHAR END AS name, "
        "(hash(i * 13) %% 100000) / 100.0 AS v "
        "FROM range(%lld, %lld) t(i)) TO '%s/part-%03d.parquet' "
        "(FORMAT parquet)", keys, (long long)lo, (long long)hi, dir, f));
  }
  dc_close(&db, &con);
  return rc;
}

/* args = SP_CLI_PATH, then argv (NULL-terminated, at most 62 entries). */
static void cli_args(const char **args, const char *const *argv)
{
  int n;

  args[0] = SP_CLI_PATH;
  for (n = 0; argv[n] && n < 62; n++)
    args[n + 1] = argv[n];
  args[n + 1] = NULL;
}

int tk_cli(const char *const *argv, char **out, char **err)
{
  char *dir = tk_tmpdir();
  const char *outp, *errp;
  const char *args[64];
  int status = -1;
  pid_t pid;

  *out = *err = NULL;
  if (!dir)
    return -1;
  outp = tk_path(dir, "stdout");
  errp = tk_path(dir, "stderr");
  cli_args(args, argv);
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (o < 0 || e < 0)
      _exit(127);
    dup2(o, 1);
    dup2(e, 2);
    execv(SP_CLI_PATH, (char *const *)args);
    _exit(127);
  }
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
    status = WEXITSTATUS(status);
  else
    status = -1;
  *out = tk_read(outp);
  *err = tk_read(errp);
  tk_rm_rf(dir);
  free(dir);
  return status;
}

void tk_sleep_ms(int ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

  while (nanosleep(&ts, &ts) != 0)
    ;
}

int tk_cli_start(const char *const *argv)
{
  const char *args[64];
  pid_t pid;

  cli_args(args, argv);
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    execv(SP_CLI_PATH, (char *const *)args);
    _exit(127);
  }
  return (int)pid;
}

int tk_worker_pid(const char *job_dir, int i, int timeout_ms)
{
  const char *tag = tk_fmt("executor-%d[", i);
  int waited;

  for (waited = 0; waited <= timeout_ms; waited += 20) {
    char *log = tk_executor_log(job_dir, i), *p;
    int pid = -1;
    if (log && (p = strstr(log, tag)))
      pid = atoi(p + strlen(tag));
    free(log);
    if (pid > 0)
      return pid;
    tk_sleep_ms(20);
  }
  return -1;
}

int tk_wait_log(const char *job_dir, int i, const char *needle,
                int timeout_ms)
{
  int waited;

  for (waited = 0; waited <= timeout_ms; waited += 20) {
    char *log = tk_executor_log(job_dir, i);
    int found = log && strstr(log, needle);
    free(log);
    if (found)
      return 1;
    tk_sleep_ms(20);
  }
  return 0;
}

int tk_wait_gone(int pid, int timeout_ms)
{
  int waited;

  for (waited = 0; waited <= timeout_ms; waited += 20) {
    char *stat = tk_read(tk_fmt("/proc/%d/stat", pid)), *p;
    /* Gone, or a zombie waiting for its parent to reap it. */
    int gone = !stat || ((p = strrchr(stat, ')')) && p[1] && p[2] == 'Z');
    free(stat);
    if (gone)
      return 1;
    tk_sleep_ms(20);
  }
  return 0;
}

char *tk_read(const char *path)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long len;

  if (!f)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1))) {
    size_t got = fread(buf, 1, (size_t)len, f);
    buf[got] = '\0';
  }
  fclose(f);
  return buf;
}

int tk_mkdir_p(const char *path)
{
  char buf[4096];
  size_t i, n = strlen(path);

  if (n >= sizeof(buf))
    return -1;
  memcpy(buf, path, n + 1);
  for (i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0')
      continue;
    buf[i] = '\0';
    if (mkdir(buf, 0777) != 0 && !tk_exists(buf))
      return -1;
    buf[i] = path[i];
  }
  return 0;
}

int tk_exists(const char *path)
{
  struct stat sb;

  return lstat(path, &sb) == 0;
}

char *tk_executor_log(const char *job_dir, int i)
{
  return tk_read(tk_fmt("%s/log/executor-%d.log", job_dir, i));
}

int tk_count(const char *hay, const char *needle)
{
  int n = 0;

  for (; hay && (hay = strstr(hay, needle)); hay += strlen(needle))
    n++;
  return n;
}

void tk_assert_same_rows(const char *a, const char *b)
{
  duckdb_database db;
  duckdb_connection con;
  char why[256];
  int same;

  assert_int_equal(dc_open(&db, &con), 0);
  same = dc_same_rows(con, a, b, why, sizeof(why));
  dc_close(&db, &con);
  if (same != 1)
    fail_msg("rows differ: %s\n  expected: %s\n  actual: %s", why, a, b);
}

int64_t tk_duck_i64(const char *sql)
{
  duckdb_database db;
  duckdb_connection con;
  int64_t v;

  assert_int_equal(dc_open(&db, &con), 0);
  v = dc_i64(con, sql);
  dc_close(&db, &con);
  if (v == INT64_MIN)
    fail_msg("query failed: %s", sql);
  return v;
}

void tk_duck_exec(const char *sql)
{
  duckdb_database db;
  duckdb_connection con;
  int rc;

  assert_int_equal(dc_open(&db, &con), 0);
  rc = dc_exec(con, sql);
  dc_close(&db, &con);
  if (rc != 0)
    fail_msg("statement failed: %s", sql);
}

static sp_session *session(const char *root, int workers, const char *job_id,
                           int keep)
{
  sp_session *s = NULL;
  sp_error *err = NULL;
  sp_config cfg;

  sp_config_init(&cfg);
  cfg.keep_intermediate = keep;
  cfg.workers = workers;
  cfg.data_root = root;
  cfg.job_id = job_id;
  cfg.task_memory = (int64_t)512 << 20;
  cfg.autoload_extensions = -1; /* nothing can be downloaded here */
  if (sp_init(&cfg, &s, &err) != SP_OK)
    fail_msg("sp_init: %s", sp_error_message(err));
  return s;
}

sp_session *tk_session(const char *root, int workers, const char *job_id)
{
  return session(root, workers, job_id, 0);
}

sp_session *tk_session_keeping(const char *root, int workers,
                               const char *job_id)
{
  return session(root, workers, job_id, 1);
}

tk_fixture *tk_fixture_new(int64_t rows, int files, int keys,
                           const char *job_id,
                           void (*configure)(sp_config *cfg))
{
  tk_fixture *f = calloc(1, sizeof(*f));
  sp_error *err = NULL;
  sp_config cfg;

  if (!f || !(f->dir = tk_tmpdir()) ||
      tk_make_table(f->dir, rows, files, keys) != 0) {
    fprintf(stderr, "testkit: cannot make the test data\n");
    tk_fixture_free(f);
    return NULL;
  }
  snprintf(f->glob, sizeof(f->glob), "%s/part-*.parquet", f->dir);
  snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
  sp_config_init(&cfg);
  cfg.workers = 2;
  cfg.data_root = f->root;
  cfg.job_id = job_id;
  cfg.task_memory = (int64_t)512 << 20;
  cfg.autoload_extensions = -1; /* nothing can be downloaded here */
  if (configure)
    configure(&cfg);
  if (sp_init(&cfg, &f->s, &err) != SP_OK) {
    fprintf(stderr, "testkit: sp_init: %s\n", sp_error_message(err));
    sp_error_free(&err);
    tk_fixture_free(f);
    return NULL;
  }
  return f;
}

void tk_fixture_free(tk_fixture *f)
{
  if (!f)
    return;
  sp_close(&f->s);
  if (f->dir)
    tk_rm_rf(f->dir);
  free(f->dir);
  free(f);
}

sp_df *tk_input(tk_fixture *f)
{
  const char *glob = f->glob;
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_read_parquet(f->s, &glob, 1, NULL, &df, &err), &err);
  return df;
}

void tk_check(sp_status st, sp_error **err)
{
  if (st != SP_OK)
    fail_msg("status %d: %s%s%s", st, sp_error_message(*err),
             sp_error_sql(*err) ? "\nSQL: " : "",
             sp_error_sql(*err) ? sp_error_sql(*err) : "");
}

int tk_fixture_teardown(void **state)
{
  tk_fixture_free(*state);
  return 0;
}

sp_df *tk_by_files(sp_df *df, int n)
{
  sp_error *err = NULL;
  sp_df *out = NULL;

  tk_check(sp_repartition(df, n, NULL, &out, &err), &err);
  return out;
}
