/*
 * test_template.c - unit tests of the SQL templates of src/plan/template.h:
 * {0}, {1}, ... replaced by input names, {{ and }} as literal braces, and
 * every other use of a brace rejected with a message naming it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plan/template.h"
#include "util/buf.h"

/* Expands tmpl with names and checks it succeeds with `expect`. */
static void expect_ok(const char *tmpl, const char *const *names,
                      size_t nnames, const char *expect)
{
  sp_buf out = SP_BUF_INIT;
  sp_error *err = NULL;

  assert_int_equal(
      sp_template_expand(tmpl, names, nnames, NULL, &out, &err), SP_OK);
  assert_null(err);
  assert_string_equal(out.data, expect);
  assert_int_equal(out.len, strlen(expect));
  sp_buf_release(&out);
  /* Check-only mode agrees. */
  assert_int_equal(
      sp_template_expand(tmpl, NULL, nnames, NULL, NULL, &err), SP_OK);
  assert_null(err);
}

/* Expands tmpl and checks it fails with SP_EINVAL and a message containing
 * every string of `needles` (NULL-terminated); check-only mode too. */
static void expect_fail(const char *tmpl, size_t nnames,
                        const char *const *needles)
{
  static const char *const names[] = {"A", "B", "C", "D"};
  sp_buf out = SP_BUF_INIT;
  sp_error *err = NULL;
  size_t i;
  int pass;

  assert_true(nnames <= 4);
  for (pass = 0; pass < 2; pass++) {
    sp_status st =
        pass == 0 ? sp_template_expand(tmpl, names, nnames, NULL, &out, &err)
                  : sp_template_expand(tmpl, NULL, nnames, NULL, NULL, &err);
    assert_int_equal(st, SP_EINVAL);
    assert_non_null(err);
    assert_int_equal(sp_error_status(err), SP_EINVAL);
    for (i = 0; needles[i]; i++) {
      if (!strstr(sp_error_message(err), needles[i]))
        fail_msg("message '%s' lacks '%s'", sp_error_message(err),
                 needles[i]);
    }
    sp_error_free(&err);
    assert_null(err);
  }
  sp_buf_release(&out);
}

static void test_no_placeholders(void **state)
{
  (void)state;
  expect_ok("", NULL, 0, "");
  expect_ok("SELECT * FROM range(3)", NULL, 0, "SELECT * FROM range(3)");
}

static void test_placeholders_replaced(void **state)
{
  static const char *const names[] = {"\"v0\"", "\"v1\""};

  (void)state;
  expect_ok("SELECT * FROM {0}", names, 1, "SELECT * FROM \"v0\"");
  expect_ok("SELECT * FROM {0} JOIN {1} USING (k)", names, 2,
            "SELECT * FROM \"v0\" JOIN \"v1\" USING (k)");
  expect_ok("{1}{0}", names, 2, "\"v1\"\"v0\"");
  expect_ok("{0}", names, 1, "\"v0\"");
}

static void test_placeholder_repeated(void **state)
{
  static const char *const names[] = {"t"};

  (void)state;
  expect_ok("SELECT * FROM {0} a, {0} b", names, 1,
            "SELECT * FROM t a, t b");
  expect_ok("{0}{0}", names, 1, "tt");
}

static void test_many_inputs(void **state)
{
  static const char *const names[] = {"n0", "n1", "n2", "n3", "n4", "n5",
                                      "n6", "n7", "n8", "n9", "n10", "n11"};

  (void)state;
  /* Two-digit indexes are read whole, not as {1} followed by "1". */
  expect_ok("{11},{10},{1},{0}", names, 12, "n11,n10,n1,n0");
  expect_ok("{011}", names, 12, "n11");
}

static void test_literal_braces(void **state)
{
  static const char *const names[] = {"t"};

  (void)state;
  expect_ok("SELECT '{{}}' FROM {0}", names, 1, "SELECT '{}' FROM t");
  expect_ok("{{0}}", names, 1, "{0}");
  expect_ok("{{{0}}}", names, 1, "{t}");
  expect_ok("SELECT {{'a': 1}}", NULL, 0, "SELECT {'a': 1}");
  expect_ok("}}}}{{{{", NULL, 0, "}}{{");
}

static void test_index_out_of_range(void **state)
{
  static const char *const two[] = {"{2}", "2 inputs", NULL};
  static const char *const zero[] = {"{0}", "0 inputs", NULL};
  static const char *const one[] = {"{1}", "1 input", NULL};

  (void)state;
  expect_fail("SELECT * FROM {0}, {1}, {2}", 2, two);
  expect_fail("SELECT * FROM {0}", 0, zero);
  expect_fail("SELECT * FROM {1}", 1, one);
}

static void test_unknown_placeholders(void **state)
{
  static const char *const x[] = {"{x}", NULL};
  static const char *const empty[] = {"{}", NULL};
  static const char *const name[] = {"{name}", NULL};
  static const char *const minus[] = {"{-1}", NULL};
  static const char *const space[] = {"{ 0}", NULL};
  static const char *const mixed[] = {"{0a}", NULL};

  (void)state;
  expect_fail("SELECT * FROM {x}", 1, x);
  expect_fail("SELECT * FROM {}", 1, empty);
  expect_fail("SELECT {name} FROM {0}", 1, name);
  expect_fail("SELECT * FROM {-1}", 1, minus);
  expect_fail("SELECT * FROM { 0}", 1, space);
  expect_fail("SELECT * FROM {0a}", 1, mixed);
}

static void test_unmatched_braces(void **state)
{
  static const char *const open[] = {"unmatched '{'", NULL};
  static const char *const close[] = {"unmatched '}'", NULL};

  (void)state;
  expect_fail("SELECT * FROM {0", 1, open);
  expect_fail("SELECT '{' FROM t", 1, open);
  expect_fail("{", 0, open);
  expect_fail("SELECT 1 }", 0, close);
  expect_fail("}", 0, close);
  expect_fail("SELECT * FROM {0}}", 1, close);
}

static void test_check_only_mode(void **state)
{
  sp_error *err = NULL;

  (void)state;
  /* Only the count matters when names is NULL. */
  assert_int_equal(sp_template_expand("{0} {1} {2}", NULL, 3, NULL, NULL, &err),
                   SP_OK);
  assert_null(err);
  assert_int_equal(sp_template_expand("{0} {1} {3}", NULL, 3, NULL, NULL, &err),
                   SP_EINVAL);
  assert_non_null(err);
  assert_non_null(strstr(sp_error_message(err), "{3}"));
  sp_error_free(&err);
  /* err may be NULL: the status alone reports the failure. */
  assert_int_equal(sp_template_expand("{x}", NULL, 1, NULL, NULL, NULL),
                   SP_EINVAL);
  assert_int_equal(sp_template_expand("{0}", NULL, 1, NULL, NULL, NULL), SP_OK);
}

static void test_appends_to_existing_text(void **state)
{
  static const char *const names[] = {"t"};
  sp_buf out = SP_BUF_INIT;
  sp_error *err = NULL;

  (void)state;
  sp_buf_puts(&out, "EXPLAIN ");
  assert_int_equal(sp_template_expand("SELECT * FROM {0}", names, 1, NULL,
                                      &out, &err),
                   SP_OK);
  assert_string_equal(out.data, "EXPLAIN SELECT * FROM t");
  sp_buf_release(&out);
}

/* Named placeholders: known names take the task's values, unknown names
 * fail, and check-only mode accepts the known ones. */
static void test_named_placeholders(void **state)
{
  const sp_template_vars vars = {.partition = 7, .rand_seed = 4000000000u};
  sp_buf out = SP_BUF_INIT;
  sp_error *err = NULL;

  (void)state;
  assert_int_equal(sp_template_expand("p={__data_partition__} s={rand_seed} "
                                      "b={batch_index} {{rand_seed}}",
                                      NULL, 0, &vars, &out, &err), SP_OK);
  assert_string_equal(out.data, "p=7 s=4000000000 b=0 {rand_seed}");
  assert_int_equal(sp_template_expand("{__data_partition__}", NULL, 0, NULL,
                                      NULL, &err), SP_OK);
  assert_int_equal(sp_template_expand("{__data_partitions__}", NULL, 0, NULL,
                                      NULL, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "{__data_partitions__}"));
  sp_error_free(&err);
  sp_buf_release(&out);
}

/* Substitution keeps the outer template's literal braces and named
 * placeholders as template text and puts the inner query in parentheses. */
static void test_substitute(void **state)
{
  sp_buf out = SP_BUF_INIT, back = SP_BUF_INIT;
  sp_error *err = NULL;
  const char *names[] = {"v"};
  const sp_template_vars vars = {.partition = 3, .rand_seed = 9};

  (void)state;
  assert_int_equal(sp_template_substitute("SELECT '{{', {rand_seed}, * FROM "
                                          "{0} WHERE x = {0}.x",
                                          "SELECT * FROM {0} -- c", &out,
                                          &err), SP_OK);
  assert_string_equal(out.data, "SELECT '{{', {rand_seed}, * FROM (\n"
                                "SELECT * FROM {0} -- c\n) WHERE x = (\n"
                                "SELECT * FROM {0} -- c\n).x");
  assert_int_equal(sp_template_expand(out.data, names, 1, &vars, &back,
                                      &err), SP_OK);
  assert_non_null(strstr(back.data, "SELECT '{', 9, * FROM (\nSELECT * FROM "
                                    "v -- c\n)"));
  sp_buf_reset(&out);
  assert_int_equal(sp_template_substitute("SELECT * FROM {1}", "SELECT 1",
                                          &out, &err), SP_EINVAL);
  sp_error_free(&err);
  sp_buf_release(&out);
  sp_buf_release(&back);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_no_placeholders),
    cmocka_unit_test(test_placeholders_replaced),
    cmocka_unit_test(test_placeholder_repeated),
    cmocka_unit_test(test_many_inputs),
    cmocka_unit_test(test_literal_braces),
    cmocka_unit_test(test_index_out_of_range),
    cmocka_unit_test(test_unknown_placeholders),
    cmocka_unit_test(test_unmatched_braces),
    cmocka_unit_test(test_check_only_mode),
    cmocka_unit_test(test_named_placeholders),
    cmocka_unit_test(test_substitute),
    cmocka_unit_test(test_appends_to_existing_text),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
