/*
 * template.c - SQL template expansion (see template.h).
 */
#include "plan/template.h"

#include <string.h>

#include "util/error.h"

sp_status sp_template_expand(const char *tmpl, const char *const *names,
                             size_t nnames, sp_buf *out, sp_error **err)
{
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
    if (close == p + 1 || close - p > 8 ||
        strspn(p + 1, "0123456789") != (size_t)(close - p - 1))
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
