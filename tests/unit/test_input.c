/*
 * test_input.c - unit tests of datasets as SQL (src/duck/input.h): what a
 * worker reads its inputs with, from the readers its task descriptor
 * carries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "duck/input.h"
#include "plan/dataset.h"
#include "util/buf.h"

/* The SELECT of one whole file read with reader, or the status it fails
 * with (the SQL is then "FAILED: <message>"). */
static sp_status select_one(const char *reader, sp_buf *sql)
{
  sp_piece p = {.path = (char *)"/d/f.csv", .rows = -1, .end = -1,
                .user = 1, .reader = (char *)reader};
  sp_dataset d = {&p, 1, 1};
  sp_error *err = NULL;
  sp_status st;

  sp_buf_reset(sql);
  st = sp_input_select(sql, &d, &err);
  if (st != SP_OK) {
    sp_buf_reset(sql);
    sp_buf_appendf(sql, "FAILED: %s", sp_error_message(err));
  }
  sp_error_free(&err);
  return st;
}

static void test_readers(void **state)
{
  sp_buf sql = SP_BUF_INIT;

  (void)state;
  assert_int_equal(select_one("{\"columns\":[[\"a\",\"BIGINT\"]],"
                              "\"format\":\"csv\",\"header\":true}", &sql),
                   SP_OK);
  assert_string_equal(sql.data, "SELECT * FROM read_csv(['/d/f.csv'], "
                      "columns = {'a': 'BIGINT'}, delim = ',', header = "
                      "true, quote = '\"', escape = '\"', auto_detect = "
                      "false)");
  assert_int_equal(select_one("{\"columns\":[\"a\",\"b\"],\"format\":"
                              "\"parquet\"}", &sql), SP_OK);
  assert_string_equal(sql.data, "SELECT \"a\", \"b\" FROM read_parquet(["
                      "'/d/f.csv'], hive_partitioning = false)");
  assert_int_equal(select_one("{\"format\":\"xml\"}", &sql), SP_EINVAL);
  sp_buf_release(&sql);
}

/* A descriptor's reader whose columns are not names (Parquet) or [name,
 * type] pairs (CSV, JSON) is refused (plan/reader.h), never read as a
 * NULL name. */
static void test_malformed_columns(void **state)
{
  static const char *const bad[] = {
    "{\"columns\":[[\"a\"]],\"format\":\"csv\"}",
    "{\"columns\":[[\"a\",1]],\"format\":\"csv\"}",
    "{\"columns\":[\"a\"],\"format\":\"json\"}",
    "{\"columns\":[[\"a\",\"BIGINT\",\"x\"]],\"format\":\"json\"}",
    "{\"columns\":[1],\"format\":\"parquet\"}",
    "{\"columns\":[[\"a\",\"BIGINT\"]],\"format\":\"parquet\"}",
    "{\"columns\":\"a\",\"format\":\"csv\"}",
  };
  sp_buf sql = SP_BUF_INIT;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(select_one(bad[i], &sql), SP_EINVAL);
    assert_non_null(strstr(sql.data, "reader: "));
  }
  sp_buf_release(&sql);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_readers),
    cmocka_unit_test(test_malformed_columns),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
