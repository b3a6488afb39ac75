/*
 * test_remote.c - s3://, gs://, https:// and az:// paths, as far as a
 * machine without network access can check them. DuckDB lists and reads
 * them through an extension (httpfs, azure) that cannot be downloaded
 * here, so what is tested is the error path: through the API, sp_sql and
 * the CLI, with extension autoloading off (as the whole suite runs) and
 * on; and that local paths that merely look a little like URLs still read
 * as files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "smallpond.h"
#include "testkit.h"

#define ROWS 3000

static const char *const s3_glob = "s3://smallpond-test/lake/*.parquet";
static const char *const https_file =
    "https://example.com/lake/part-0.parquet?sig=a1";

static int setup(void **state)
{
  tk_fixture *f = tk_fixture_new(ROWS, 3, 50, "remote", NULL);

  *state = f;
  return f ? 0 : -1;
}

/* Fails the test unless st is SP_EIO and the message names every needle. */
static void expect_eio(sp_status st, sp_error **err, const char *const *needles)
{
  size_t i;

  if (st != SP_EIO)
    fail_msg("status %s (want SP_EIO): %s", sp_status_str(st),
             *err ? sp_error_message(*err) : "(no error)");
  for (i = 0; needles[i]; i++)
    if (!strstr(sp_error_message(*err), needles[i]))
      fail_msg("no '%s' in: %s", needles[i], sp_error_message(*err));
  sp_error_free(err);
}

/* Autoloading off: each source fails at once, naming the path, the
 * extension, that autoloading is off, and how to install it; a local
 * pattern beside the remote one changes nothing. */
static void test_sources_autoload_off(void **state)
{
  tk_fixture *f = *state;
  sp_read_options detect = {.detect = 1};
  const char *mixed[] = {f->glob, s3_glob};
  const char *gs = "gs://smallpond-test/lake/*.csv";
  const char *az = "az://container/lake/x.parquet";
  sp_error *err = NULL;
  sp_df *df = NULL;

  expect_eio(sp_read_parquet(f->s, &s3_glob, 1, NULL, &df, &err), &err,
             (const char *[]){s3_glob, "httpfs", "autoloading is off",
                              "INSTALL httpfs;", NULL});
  expect_eio(sp_read_parquet(f->s, &https_file, 1, NULL, &df, &err), &err,
             (const char *[]){https_file, "https:// paths", "httpfs",
                              "autoloading is off", NULL});
  expect_eio(sp_read_csv(f->s, &gs, 1, &detect, &df, &err), &err,
             (const char *[]){gs, "httpfs", NULL});
  expect_eio(sp_read_parquet(f->s, &az, 1, NULL, &df, &err), &err,
             (const char *[]){az, "azure extension", "INSTALL azure;", NULL});
  expect_eio(sp_read_parquet(f->s, mixed, 2, NULL, &df, &err), &err,
             (const char *[]){s3_glob, "httpfs", NULL});
  assert_null(df);
  /* Outputs go to a file system, not to a URL (nor a local "s3:"). */
  assert_int_equal(sp_write_parquet(tk_input(f), "s3://smallpond-test/out",
                                    NULL, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "s3://smallpond-test/out"));
  sp_error_free(&err);
  assert_false(tk_exists("s3:"));
}

/* sp_sql: a remote file named inline, in a reader with options of its
 * own, and joined to local files: each fails before anything runs. */
static void test_sql_autoload_off(void **state)
{
  tk_fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = NULL;
  char *log;

  expect_eio(sp_sql(f->s, tk_fmt("SELECT * FROM '%s'", s3_glob), NULL, &df,
                    &err), &err,
             (const char *[]){s3_glob, "httpfs", "autoloading is off", NULL});
  expect_eio(sp_sql(f->s, tk_fmt("SELECT count(*) FROM read_parquet('%s', "
                                 "filename = true)", https_file), NULL, &df,
                    &err), &err,
             (const char *[]){https_file, "httpfs", NULL});
  expect_eio(sp_sql(f->s, tk_fmt("SELECT k, count(*) FROM '%s' JOIN "
                                 "read_csv('gs://b/x.csv') USING (k) "
                                 "GROUP BY k", f->glob), NULL, &df, &err),
             &err, (const char *[]){"gs://b/x.csv", "httpfs", NULL});
  assert_null(df);
  /* Nothing ran: no task finished. */
  log = tk_read(tk_path(sp_session_job_dir(f->s), "state.jsonl"));
  assert_true(!log || !*log);
  free(log);
}

/* The workers' DuckDB has autoloading off too: SQL that reads a remote
 * file inside a task fails with DuckDB's own missing-extension error,
 * which an autoloading DuckDB would not give. */
static void test_worker_autoload_off(void **state)
{
  tk_fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = tk_input(f);
  int64_t n;

  tk_check(sp_partial_sql(f->s, tk_fmt("SELECT * FROM {0} WHERE k IN "
                                       "(SELECT k FROM read_parquet('%s'))",
                                       s3_glob), &df, 1, NULL, &df, &err),
           &err);
  assert_int_not_equal(sp_count(df, &n, &err), SP_OK);
  assert_non_null(sp_error_task(err)); /* a task's failure, on a worker */
  assert_non_null(strstr(sp_error_message(err), "Missing Extension"));
  assert_non_null(strstr(sp_error_message(err), "httpfs"));
  sp_error_free(&err);
}

/* Local folders named "a:b", "s3:" and "S3:" hold files, read as files:
 * only a lower-case scheme and "://" make a path remote. */
static void test_local_paths_like_urls(void **state)
{
  tk_fixture *f = *state;
  static const char *const dirs[] = {"a:b", "s3:/bucket", "S3:/bucket"};
  const char *paths[] = {"./a:b/*.parquet", "s3:/bucket/x.parquet",
                         "S3://bucket/x.parquet"};
  char cwd[4096];
  sp_error *err = NULL;
  sp_df *df = NULL;
  int64_t n = -1;
  size_t i;

  for (i = 0; i < 3; i++) {
    const char *d = tk_path(f->dir, dirs[i]);
    assert_int_equal(tk_mkdir_p(d), 0);
    tk_duck_exec(tk_fmt("COPY (FROM '%s') TO '%s/x.parquet'", f->glob, d));
  }
  assert_non_null(getcwd(cwd, sizeof(cwd)));
  assert_int_equal(chdir(f->dir), 0);
  for (i = 0; i < 3; i++) {
    tk_check(sp_read_parquet(f->s, &paths[i], 1, NULL, &df, &err), &err);
    tk_check(sp_count(df, &n, &err), &err);
    assert_int_equal(n, ROWS);
  }
  tk_check(sp_sql(f->s, "SELECT * FROM 'a:b/x.parquet'", NULL, &df, &err),
           &err);
  assert_int_equal(chdir(cwd), 0);
  tk_check(sp_count(df, &n, &err), &err);
  assert_int_equal(n, ROWS);
}

/* A session of one worker with autoload_extensions = autoload, or NULL
 * with *st and err set. */
static sp_session *session(const char *root, int autoload, sp_status *st,
                           sp_error **err)
{
  sp_session *s = NULL;
  sp_config cfg;

  sp_config_init(&cfg);
  cfg.workers = 1;
  cfg.data_root = root;
  cfg.task_memory = (int64_t)256 << 20;
  cfg.autoload_extensions = autoload;
  *st = sp_init(&cfg, &s, err);
  return s;
}

/* Autoloading on: DuckDB tries to install httpfs, cannot reach the
 * network here, and the error still names the extension and the path.
 * The setting comes from the config, else SP_AUTOLOAD_EXTENSIONS, else
 * it is on; bad values are refused. */
static void test_autoload_setting(void **state)
{
  tk_fixture *f = *state;
  const char *root = tk_path(f->dir, "root-on");
  const char *autoloading[] = {s3_glob, "httpfs",
                               "could not be installed or loaded", NULL};
  const char *off[] = {s3_glob, "httpfs", "autoloading is off", NULL};
  char *saved = getenv("SP_AUTOLOAD_EXTENSIONS")
                    ? strdup(getenv("SP_AUTOLOAD_EXTENSIONS")) : NULL;
  sp_error *err = NULL;
  sp_session *s;
  sp_df *df = NULL;
  sp_status st;

  /* The config says on. */
  setenv("SP_AUTOLOAD_EXTENSIONS", "off", 1);
  assert_non_null(s = session(root, 1, &st, &err));
  expect_eio(sp_read_parquet(s, &s3_glob, 1, NULL, &df, &err), &err,
             autoloading);
  sp_close(&s);
  /* The environment says on, or off; unset, it is on. */
  setenv("SP_AUTOLOAD_EXTENSIONS", "on", 1);
  assert_non_null(s = session(root, 0, &st, &err));
  expect_eio(sp_read_parquet(s, &s3_glob, 1, NULL, &df, &err), &err,
             autoloading);
  sp_close(&s);
  setenv("SP_AUTOLOAD_EXTENSIONS", "0", 1);
  assert_non_null(s = session(root, 0, &st, &err));
  expect_eio(sp_read_parquet(s, &s3_glob, 1, NULL, &df, &err), &err, off);
  sp_close(&s);
  unsetenv("SP_AUTOLOAD_EXTENSIONS");
  assert_non_null(s = session(root, 0, &st, &err));
  expect_eio(sp_sql(s, tk_fmt("SELECT * FROM '%s'", s3_glob), NULL, &df,
                    &err), &err, autoloading);
  sp_close(&s);
  /* Bad values. */
  setenv("SP_AUTOLOAD_EXTENSIONS", "sometimes", 1);
  assert_null(s = session(root, 0, &st, &err));
  assert_int_equal(st, SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "sometimes"));
  sp_error_free(&err);
  assert_null(s = session(root, 2, &st, &err));
  assert_int_equal(st, SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "autoload_extensions"));
  sp_error_free(&err);
  if (saved)
    setenv("SP_AUTOLOAD_EXTENSIONS", saved, 1);
  else
    unsetenv("SP_AUTOLOAD_EXTENSIONS");
  free(saved);
}

/* Fails the test unless the CLI exited code with every needle in its
 * stderr. */
static void expect_cli(const char *const *argv, int code,
                       const char *const *needles)
{
  char *out = NULL, *err = NULL;
  int rc = tk_cli(argv, &out, &err);
  size_t i;

  assert_non_null(err);
  if (rc != code)
    fail_msg("exit %d (want %d); stderr:\n%s", rc, code, err);
  for (i = 0; needles[i]; i++)
    if (!strstr(err, needles[i]))
      fail_msg("no '%s' in stderr:\n%s", needles[i], err);
  free(out);
  free(err);
}

/* The CLI: exit 1 and the same message, nothing written; --no-autoload
 * turns autoloading off whatever the environment says. */
static void test_cli(void **state)
{
  tk_fixture *f = *state;
  const char *out = tk_path(f->dir, "cli-out");
  const char *root = tk_path(f->dir, "root-cli");
  char *saved = getenv("SP_AUTOLOAD_EXTENSIONS")
                    ? strdup(getenv("SP_AUTOLOAD_EXTENSIONS")) : NULL;

  setenv("SP_AUTOLOAD_EXTENSIONS", "on", 1);
  expect_cli((const char *[]){"run", "--workers", "1", "--data-root", root,
                              "--no-autoload", "--read-parquet", s3_glob,
                              "--write-parquet", out, NULL},
             1, (const char *[]){"smallpond: error:", s3_glob, "httpfs",
                                 "autoloading is off", NULL});
  assert_false(tk_exists(out));
  expect_cli((const char *[]){"sql", "--workers", "1", "--data-root", root,
                              "--no-autoload", "--table",
                              tk_fmt("t=%s", https_file), "SELECT * FROM t",
                              NULL},
             1, (const char *[]){https_file, "httpfs", NULL});
  expect_cli((const char *[]){"sql", "--workers", "1", "--data-root", root,
                              tk_fmt("SELECT * FROM '%s'", s3_glob), NULL},
             1, (const char *[]){s3_glob, "httpfs",
                                 "could not be installed or loaded", NULL});
  setenv("SP_AUTOLOAD_EXTENSIONS", "off", 1);
  expect_cli((const char *[]){"sql", "--workers", "1", "--data-root", root,
                              "--write-parquet", out,
                              tk_fmt("SELECT * FROM '%s'", s3_glob), NULL},
             1, (const char *[]){s3_glob, "httpfs", "autoloading is off",
                                 NULL});
  assert_false(tk_exists(out));
  if (saved)
    setenv("SP_AUTOLOAD_EXTENSIONS", saved, 1);
  else
    unsetenv("SP_AUTOLOAD_EXTENSIONS");
  free(saved);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sources_autoload_off),
    cmocka_unit_test(test_sql_autoload_off),
    cmocka_unit_test(test_worker_autoload_off),
    cmocka_unit_test(test_local_paths_like_urls),
    cmocka_unit_test(test_autoload_setting),
    cmocka_unit_test(test_cli),
  };

  return cmocka_run_group_tests(tests, setup, tk_fixture_teardown);
}
