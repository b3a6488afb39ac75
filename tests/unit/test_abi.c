/*
 * test_abi.c - unit tests of util/abi.h: which programs' headers the
 * library serves, and how their option structs are read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smallpond.h"
#include "util/abi.h"

/* The header the library was built with, and the same major version's
 * older ones it keeps layouts for, are served; a newer header, another
 * major version, or one older than the first layout are refused, naming
 * the program's version and the library's. */
static void test_check(void **state)
{
  sp_error *err = NULL;

  (void)state;
  assert_int_equal(sp_abi_check(SP_VERSION_NUMBER, &err), SP_OK);
  assert_int_equal(sp_abi_check(1000, &err), SP_OK); /* 0.1.0 */
  assert_null(err);
  assert_int_equal(sp_abi_check(SP_VERSION_NUMBER + 1, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "newer than the library"));
  assert_non_null(strstr(sp_error_message(err), SP_VERSION_STRING));
  sp_error_free(&err);
  assert_int_equal(sp_abi_check((SP_VERSION_MAJOR + 1) * 1000000, &err),
                   SP_EINVAL);
  sp_error_free(&err);
  assert_int_equal(sp_abi_check(999, &err), SP_EINVAL); /* 0.0.999 */
  assert_non_null(strstr(sp_error_message(err), "0.0.999"));
  assert_non_null(strstr(sp_error_message(err), "rebuild"));
  sp_error_free(&err);
}

/* This header's structs are read whole; NULL stays NULL, with the local
 * copy all zeros (the defaults). */
static void test_copy_current(void **state)
{
  sp_node_options mine, theirs = {.compression = "snappy",
                                  .task_timeout_ms = 7};
  sp_sql_options sql;
  const sp_node_options *got;

  (void)state;
  assert_int_equal(sp_abi_size(SP_VERSION_NUMBER, SP_ABI_CONFIG),
                   sizeof(sp_config));
  assert_int_equal(sp_abi_size(SP_VERSION_NUMBER, SP_ABI_SQL_OPTIONS),
                   sizeof(sp_sql_options));
  memset(&mine, 0xab, sizeof(mine));
  got = sp_abi_copy(SP_VERSION_NUMBER, SP_ABI_NODE_OPTIONS, &theirs, &mine,
                    sizeof(mine));
  assert_ptr_equal(got, &mine);
  assert_string_equal(got->compression, "snappy");
  assert_int_equal(got->task_timeout_ms, 7);
  assert_int_equal(got->hive, 0);
  memset(&sql, 0xab, sizeof(sql));
  assert_null(sp_abi_copy(SP_VERSION_NUMBER, SP_ABI_SQL_OPTIONS, NULL, &sql,
                          sizeof(sql)));
  assert_int_equal(sql.mode, SP_SQL_AUTO);
  assert_int_equal(sql.partitions, 0);
  assert_int_equal(sql.plan_only, 0);
}

/* A program whose struct is shorter than the library's (an older header)
 * has only its bytes read: the library's later fields, here 16 bytes past
 * the 0.1.0 struct, are zeros, whatever lies past the program's struct in
 * its memory. */
static void test_copy_shorter(void **state)
{
  size_t old = sp_abi_size(1000, SP_ABI_SQL_OPTIONS), i;
  unsigned char theirs[sizeof(sp_sql_options) + 16];
  unsigned char mine[sizeof(sp_sql_options) + 16];

  (void)state;
  assert_true(old > 0 && old <= sizeof(sp_sql_options));
  memset(theirs, 0x11, sizeof(theirs));
  memset(mine, 0xab, sizeof(mine));
  assert_ptr_equal(sp_abi_copy(1000, SP_ABI_SQL_OPTIONS, theirs, mine,
                               sizeof(mine)), mine);
  assert_memory_equal(mine, theirs, old);
  for (i = old; i < sizeof(mine); i++)
    assert_int_equal(mine[i], 0);
}

/* sp_init_abi refuses a program built against a newer header before it
 * starts anything. */
static void test_init_refuses(void **state)
{
  sp_session *s = NULL;
  sp_error *err = NULL;
  sp_config cfg;

  (void)state;
  sp_config_init(&cfg);
  cfg.data_root = "/nonexistent/never-made";
  assert_int_equal(sp_init_abi(&cfg, &s, &err, SP_VERSION_NUMBER + 1000),
                   SP_EINVAL);
  assert_null(s);
  assert_non_null(strstr(sp_error_message(err), "sp_init: this program was "
                                                "built against smallpond.h"));
  sp_error_free(&err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_check),
    cmocka_unit_test(test_copy_current),
    cmocka_unit_test(test_copy_shorter),
    cmocka_unit_test(test_init_refuses),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
