/*
 * test_publish.c - sp_write_parquet's last step, publishing into the
 * user's folder: the job's status says success only once the output is in
 * place, a folder the user made stays theirs (its mode, its inode, a link
 * to it), and what cannot work is refused before anything runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "smallpond.h"
#include "testkit.h"

#define ROWS 20000
#define FILES 4
#define KEYS 100

static int setup(void **state)
{
  tk_fixture *f = tk_fixture_new(ROWS, FILES, KEYS, "publish", NULL);

  *state = f;
  return f ? 0 : -1;
}

/* A small aggregate over the fixture's files, in 2 partitions. */
static sp_df *aggregate(tk_fixture *f)
{
  const char *cols[] = {"k"};
  sp_repartition_options by_k = {.hash_by = cols, .nhash_by = 1};
  sp_error *err = NULL;
  sp_df *df = tk_input(f);

  tk_check(sp_repartition(df, 2, &by_k, &df, &err), &err);
  tk_check(sp_partial_sql(f->s, "SELECT k, count(*) AS n FROM {0} GROUP BY k",
                          &df, 1, NULL, &df, &err), &err);
  return df;
}

static void assert_aggregate_in(tk_fixture *f, const char *dir)
{
  tk_assert_same_rows(
      tk_fmt("SELECT k, count(*) AS n FROM read_parquet('%s') GROUP BY k",
             f->glob),
      tk_fmt("SELECT * FROM read_parquet('%s/*.parquet')", dir));
}

/* The first word of the job's status file. */
static char *status_word(tk_fixture *f)
{
  char *text = tk_read(tk_path(sp_session_job_dir(f->s), "status"));

  assert_non_null(text);
  text[strcspn(text, " ")] = '\0';
  return text;
}

/* The publish fails after every task ran (another writer filled the folder
 * meanwhile): the run is a failure, in the status file and in the log. */
static void test_failed_publish_is_a_failure(void **state)
{
  tk_fixture *f = *state;
  const char *out = tk_path(f->dir, "filled");
  char *word, *log;
  sp_error *err = NULL;
  sp_df *lazy = NULL;
  FILE *fp;

  tk_check(sp_write_parquet_lazy(aggregate(f), out, NULL, &lazy, &err), &err);
  assert_int_equal(tk_mkdir_p(out), 0);
  assert_non_null(fp = fopen(tk_path(out, "theirs.txt"), "w"));
  fclose(fp);
  assert_int_equal(sp_compute(&lazy, 1, &err), SP_EEXIST);
  assert_non_null(strstr(sp_error_message(err), "not empty"));
  sp_error_free(&err);
  word = status_word(f);
  assert_string_equal(word, "failure");
  free(word);
  log = tk_read(tk_path(sp_session_job_dir(f->s), "log/driver.log"));
  assert_non_null(strstr(log, "not empty"));
  free(log);
  assert_true(tk_exists(tk_path(out, "theirs.txt")));
  assert_int_equal(
      tk_duck_i64(tk_fmt("SELECT count(*) FROM glob('%s/*')", out)), 1);

  /* The same output published once the folder is empty again. */
  assert_int_equal(unlink(tk_path(out, "theirs.txt")), 0);
  tk_check(sp_write_parquet(aggregate(f), out, NULL, &err), &err);
  word = status_word(f);
  assert_string_equal(word, "success");
  free(word);
  assert_aggregate_in(f, out);
}

/* An empty folder the user made stays the same folder, with its mode. */
static void test_existing_folder_kept(void **state)
{
  tk_fixture *f = *state;
  const char *out = tk_path(f->dir, "private");
  struct stat before, after;
  sp_error *err = NULL;

  assert_int_equal(mkdir(out, 0700), 0);
  assert_int_equal(stat(out, &before), 0);
  tk_check(sp_write_parquet(aggregate(f), out, NULL, &err), &err);
  assert_int_equal(stat(out, &after), 0);
  assert_int_equal(after.st_mode & 07777, 0700);
  assert_int_equal(after.st_ino, before.st_ino);
  assert_aggregate_in(f, out);
  /* Only the output's files: nothing of the publish is left behind. */
  assert_int_equal(
      tk_duck_i64(tk_fmt("SELECT count(*) FROM glob('%s/.*')", out)), 0);
}

/* A symbolic link to an empty folder: the files land in the folder and
 * the link stays a link. */
static void test_link_to_empty_folder(void **state)
{
  tk_fixture *f = *state;
  const char *target = tk_path(f->dir, "real-out");
  const char *link = tk_path(f->dir, "link-out");
  struct stat sb;
  sp_error *err = NULL;

  assert_int_equal(mkdir(target, 0750), 0);
  assert_int_equal(symlink(target, link), 0);
  tk_check(sp_write_parquet(aggregate(f), link, NULL, &err), &err);
  assert_int_equal(lstat(link, &sb), 0);
  assert_true(S_ISLNK(sb.st_mode));
  assert_int_equal(stat(target, &sb), 0);
  assert_int_equal(sb.st_mode & 07777, 0750);
  assert_aggregate_in(f, target);
}

/* What cannot be published is refused before anything runs: a link to
 * nowhere, a link to a file, a file. */
static void test_refused_before_running(void **state)
{
  tk_fixture *f = *state;
  const char *dangling = tk_path(f->dir, "dangling");
  const char *to_file = tk_path(f->dir, "to-file");
  const char *file = tk_path(f->dir, "a-file");
  const char *bad[] = {dangling, to_file, file};
  sp_error *err = NULL;
  sp_df *lazy = NULL;
  FILE *fp;
  size_t i;

  assert_int_equal(symlink(tk_path(f->dir, "nowhere"), dangling), 0);
  assert_non_null(fp = fopen(file, "w"));
  fclose(fp);
  assert_int_equal(symlink(file, to_file), 0);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_not_equal(
        sp_write_parquet_lazy(aggregate(f), bad[i], NULL, &lazy, &err),
        SP_OK);
    if (!strstr(sp_error_message(err), bad[i]))
      fail_msg("the error does not name %s: %s", bad[i],
               sp_error_message(err));
    sp_error_free(&err);
  }
  assert_false(tk_exists(tk_path(f->dir, "nowhere")));
  assert_int_equal(
      tk_duck_i64(tk_fmt("SELECT count(*) FROM read_text('%s')", file)), 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_failed_publish_is_a_failure),
    cmocka_unit_test(test_existing_folder_kept),
    cmocka_unit_test(test_link_to_empty_folder),
    cmocka_unit_test(test_refused_before_running),
  };

  return cmocka_run_group_tests(tests, setup, tk_fixture_teardown);
}
