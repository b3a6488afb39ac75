/*
 * fuzz_template.c - the SQL template expander (src/plan/template.h) on
 * arbitrary text: what a user passes to sp_partial_sql, --sql and the
 * other SQL steps, and what a task descriptor carries to a worker.
 *
 * The input is "TEMPLATE\0INNER": TEMPLATE is expanded over two inputs
 * and two named dimensions (one shadowing {__data_partition__}), and
 * substituted with INNER as the planner fuses queries. Checked: checking
 * alone (out NULL) agrees with expanding; dimensions only add names; text
 * made literal by sp_template_append_text expands to itself; and a fused
 * template expands to what expanding the two in turn gives.
 */
#include <string.h>

#include "fuzz.h"
#include "plan/template.h"

static const char *const names[] = {"\"first\"", "\"second\""};
static const char *const dim_names[] = {"region", "__data_partition__"};
static const int dim_index[] = {7, 3};

/* Expands tmpl over nnames inputs with vars into a fresh *out, and checks
 * that check-only mode gives the same status. */
static sp_status expand(const char *tmpl, size_t nnames,
                        const char *const *in, const sp_template_vars *vars,
                        sp_buf *out)
{
  sp_error *err = NULL;
  sp_status st, check;

  sp_buf_init(out);
  st = sp_template_expand(tmpl, in, nnames, vars, out, &err);
  fuzz_check_error(st, &err);
  check = sp_template_expand(tmpl, NULL, nnames, vars, NULL, &err);
  fuzz_check_error(check, &err);
  FUZZ_CHECK(st == check);
  FUZZ_CHECK(st == SP_OK || st == SP_EINVAL);
  return st;
}

/* Text written as a literal part of a template comes back unchanged. */
static void check_literal(const char *text)
{
  sp_buf tmpl = SP_BUF_INIT, out;

  sp_template_append_text(&tmpl, text);
  FUZZ_CHECK(!sp_buf_oom(&tmpl));
  FUZZ_CHECK(expand(tmpl.data, 0, NULL, NULL, &out) == SP_OK);
  FUZZ_CHECK(strcmp(out.data, text) == 0);
  sp_buf_release(&out);
  sp_buf_release(&tmpl);
}

/* When outer (over one input) and inner (over names) both expand, outer
 * with inner substituted for {0} expands over names to outer expanded
 * with "(\n<inner expanded>\n)" as its input. */
static void check_substitute(const char *outer, const char *inner,
                             const sp_template_vars *vars)
{
  sp_buf in_exp, wrapped = SP_BUF_INIT, want, fused = SP_BUF_INIT, got;
  sp_error *err = NULL;
  const char *one[1];
  sp_status st;

  if (expand(inner, 2, names, vars, &in_exp) != SP_OK) {
    sp_buf_release(&in_exp);
    return;
  }
  sp_buf_puts(&wrapped, "(\n");
  sp_buf_puts(&wrapped, in_exp.data);
  sp_buf_puts(&wrapped, "\n)");
  one[0] = wrapped.data;
  st = sp_template_substitute(outer, inner, &fused, &err);
  fuzz_check_error(st, &err);
  if (expand(outer, 1, one, vars, &want) == SP_OK) {
    FUZZ_CHECK(st == SP_OK);
    FUZZ_CHECK(expand(fused.data, 2, names, vars, &got) == SP_OK);
    FUZZ_CHECK(strcmp(got.data, want.data) == 0);
    sp_buf_release(&got);
  }
  sp_buf_release(&want);
  sp_buf_release(&fused);
  sp_buf_release(&wrapped);
  sp_buf_release(&in_exp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sp_template_vars plain = {5, 123456789u, 2, NULL, NULL, 0};
  sp_template_vars dims = plain;
  char *parts[2] = {NULL, NULL};
  sp_buf a, b;
  size_t n, k;

  dims.dim_names = dim_names;
  dims.dim_index = dim_index;
  dims.ndims = 2;
  n = fuzz_split(data, size, parts, 2);
  /* More inputs only add names: what expands over the first k expands
   * the same over both. */
  for (k = 0; k < 2; k++) {
    if (expand(parts[0], k, names, &plain, &a) == SP_OK) {
      FUZZ_CHECK(expand(parts[0], 2, names, &plain, &b) == SP_OK);
      FUZZ_CHECK(strcmp(a.data, b.data) == 0);
      sp_buf_release(&b);
    }
    sp_buf_release(&a);
  }
  /* A template that expands without dimensions expands the same with a
   * dimension of another name; one named __data_partition__ wins. */
  if (expand(parts[0], 2, names, &plain, &a) == SP_OK) {
    FUZZ_CHECK(expand(parts[0], 2, names, &dims, &b) == SP_OK);
    if (!strstr(parts[0], "{__data_partition__}"))
      FUZZ_CHECK(strcmp(a.data, b.data) == 0);
    sp_buf_release(&b);
  }
  sp_buf_release(&a);
  check_literal(parts[0]);
  if (n == 2)
    check_substitute(parts[0], parts[1], &dims);
  fuzz_free_strings(parts, n);
  return 0;
}
