/*
 * test_args.c - unit tests of the tool's option parsers (src/cli:
 * cmd_run.h, cmd_records.h), which fill their options from argv and start
 * nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cmd_records.h"
#include "cli/cmd_run.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof(v[0])) - 1)

/* A parser called again starts over, even when the call before stopped
 * inside a group of short options ("-hx": --help, then x): getopt keeps
 * its place between calls unless told to start afresh. */
static void test_parse_twice(void **state)
{
  char *help[] = {"run", "-hx", NULL};
  char *count[] = {"run", "--from-sql", "SELECT 1", "--count", NULL};
  char *gen_help[] = {"gensort", "-hx", NULL};
  char *check[] = {"valsort", "--workers", "2", "out", NULL};
  struct run_args a;
  struct record_args r;

  (void)state;
  assert_int_equal(sp_cli_run_parse(ARGC(help), help, &a), -1);
  sp_cli_run_free(&a);
  assert_int_equal(sp_cli_run_parse(ARGC(count), count, &a), SP_EXIT_OK);
  assert_int_equal(a.source, SOURCE_SQL);
  assert_string_equal(a.from_sql, "SELECT 1");
  assert_int_equal(a.consumer, CONSUME_COUNT);
  sp_cli_run_free(&a);
  assert_int_equal(sp_cli_records_parse(ARGC(gen_help), gen_help, &r), -1);
  assert_int_equal(sp_cli_records_parse(ARGC(check), check, &r), SP_EXIT_OK);
  assert_string_equal(r.dir, "out");
  assert_int_equal(r.cfg.workers, 2);
}

/* --no-autoload is a session option: every command that runs a job
 * turns extension autoloading off with it, and leaves the default (0:
 * the environment's, else on) without it. */
static void test_no_autoload(void **state)
{
  char *run[] = {"run", "--no-autoload", "--read-parquet", "s3://b/*.parquet",
                 "--count", NULL};
  char *plain[] = {"run", "--read-parquet", "s3://b/*.parquet", "--count",
                   NULL};
  char *gen[] = {"gensort", "--records", "10", "--no-autoload", "out", NULL};
  struct run_args a;
  struct record_args r;

  (void)state;
  assert_int_equal(sp_cli_run_parse(ARGC(run), run, &a), SP_EXIT_OK);
  assert_int_equal(a.cfg.autoload_extensions, -1);
  sp_cli_run_free(&a);
  assert_int_equal(sp_cli_run_parse(ARGC(plain), plain, &a), SP_EXIT_OK);
  assert_int_equal(a.cfg.autoload_extensions, 0);
  sp_cli_run_free(&a);
  assert_int_equal(sp_cli_records_parse(ARGC(gen), gen, &r), SP_EXIT_OK);
  assert_int_equal(r.cfg.autoload_extensions, -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_twice),
    cmocka_unit_test(test_no_autoload),
  };

  /* --help prints the usage, which is not what is tested. */
  if (!freopen("/dev/null", "w", stdout))
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
