/*
 * template.c - SQL template expansion (see template.h).
 */
#include "plan/template.h"

#include <inttypes.h>
#include <string.h>

#include "util/error.h"

/* Appends the value of the named placeholder name (len bytes). Returns 0,
 * or -1 when the name is unknown. */
static int append_var(const char *name, size_t len,
                      const sp_template_vars *vars, sp_buf *out)
{
  static const char *const known[] = {"__data_partition__", "rand_seed",
                                      "batch_index"};
  size_t k;

  for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
    if (strlen(known[k]) == len && memcmp(known[k], name, len) == 0)
      break;
  if (k == sizeof(known) / sizeof(known[0]))
    return -1;
  if (!out)
    return 0;
  if (k == 0)
    sp_buf_appendf(out, "%d", vars->partition);
  else if (k == 1)
    sp_buf_appendf(out, "%" PRIu32, vars->rand_seed);
  else
    sp_buf_appendf(out, "%d", vars->batch_index);
  return 0;
}

sp_status sp_template_expand(const char *tmpl, const char *const *names,
                             size_t nnames, const sp_template_vars *vars,
                             sp_buf *out, sp_error **err)
{
  static const sp_template_vars none = {0, 0, 0};
  const char *p = tmpl;

  while (*p) {
    const char *close;
    size_t idx = 0;

    if (p[0] == '{' && p[1] == '{') {
      if (out)
        sp_buf_putc(out, '{');
      p += 2;
      continue;
    }
    if (p[0] == '}') {
      if (p[1] != '}')
        return sp_error_set(err, SP_EINVAL, "unmatched '}' in SQL at offset "
                            "%zu (write '}}' for a literal brace): %s",
                            (size_t)(p - tmpl), tmpl);
      if (out)
        sp_buf_putc(out, '}');
      p += 2;
      continue;
    }
    if (p[0] != '{') {
      size_t n = strcspn(p, "{}");
      if (out)
        sp_buf_append(out, p, n);
      p += n;
      continue;
    }
    close = strchr(p, '}');
    if (!close)
      return sp_error_set(err, SP_EINVAL, "unmatched '{' in SQL at offset %zu "
                          "(write '{{' for a literal brace): %s",
                          (size_t)(p - tmpl), tmpl);
    if (close > p + 1 && strspn(p + 1, "0123456789") != (size_t)(close - p - 1)) {
      if (append_var(p + 1, (size_t)(close - p - 1), vars ? vars : &none,
                     out) != 0)
        return sp_error_set(err, SP_EINVAL, "unknown placeholder '%.*s' in "
                            "SQL (use {0}, {1}, ... for inputs, or "
                            "{__data_partition__}, {rand_seed}, "
                            "{batch_index}): %s",
                            (int)(close - p + 1), p, tmpl);
      p = close + 1;
      continue;
    }
    if (close == p + 1 || close - p > 8)
      return sp_error_set(err, SP_EINVAL, "unknown placeholder '%.*s' in SQL "
                          "(use {0}, {1}, ... for inputs): %s",
                          (int)(close - p + 1), p, tmpl);
    for (const char *d = p + 1; d < close; d++)
      idx = idx * 10 + (size_t)(*d - '0');
    if (idx >= nnames)
      return sp_error_set(err, SP_EINVAL, "placeholder {%zu} in SQL but the "
                          "query has %zu input%s: %s", idx, nnames,
                          nnames == 1 ? "" : "s", tmpl);
    if (out)
      sp_buf_puts(out, names[idx]);
    p = close + 1;
  }
  return out && sp_buf_oom(out) ? sp_error_oom(err) : SP_OK;
}
