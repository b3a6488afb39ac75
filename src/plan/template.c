/*
 * template.c - SQL template expansion (see template.h).
 */
#include "plan/template.h"

#include <inttypes.h>
#include <string.h>

#include "util/error.h"

/* Appends the value of the named placeholder name (len bytes). Returns 0,
 * or -1 when the name is unknown. With out NULL, only checks the name. */
static int append_var(const char *name, size_t len,
                      const sp_template_vars *vars, sp_buf *out)
{
  static const char *const known[] = {"__data_partition__", "rand_seed",
                                      "batch_index"};
  size_t k;

  for (k = 0; vars && k < vars->ndims; k++)
    if (strlen(vars->dim_names[k]) == len &&
        memcmp(vars->dim_names[k], name, len) == 0) {
      if (out)
        sp_buf_appendf(out, "%d", vars->dim_index[k]);
      return 0;
    }
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

typedef enum tok_kind {
  TOK_END, TOK_TEXT, TOK_LBRACE, TOK_RBRACE, TOK_INPUT, TOK_NAME
} tok_kind;

typedef struct tok {
  tok_kind kind;
  const char *s; /* TEXT, NAME: the text (a NAME without its braces) */
  size_t len;
  size_t input;  /* INPUT: the index */
} tok;

/* Reads the token at *p and moves *p past it. */
static sp_status next_tok(const char *tmpl, const char **p, tok *t,
                          sp_error **err)
{
  const char *s = *p, *close;
  size_t n;

  memset(t, 0, sizeof(*t));
  if (!*s)
    return SP_OK; /* TOK_END */
  if (s[0] == '{' && s[1] == '{') {
    t->kind = TOK_LBRACE;
    *p = s + 2;
    return SP_OK;
  }
  if (s[0] == '}') {
    if (s[1] != '}')
      return sp_error_set(err, SP_EINVAL, "unmatched '}' in SQL at offset "
                          "%zu (write '}}' for a literal brace): %s",
                          (size_t)(s - tmpl), tmpl);
    t->kind = TOK_RBRACE;
    *p = s + 2;
    return SP_OK;
  }
  if (s[0] != '{') {
    t->kind = TOK_TEXT;
    t->s = s;
    t->len = strcspn(s, "{}");
    *p = s + t->len;
    return SP_OK;
  }
  if (!(close = strchr(s, '}')))
    return sp_error_set(err, SP_EINVAL, "unmatched '{' in SQL at offset %zu "
                        "(write '{{' for a literal brace): %s",
                        (size_t)(s - tmpl), tmpl);
  n = (size_t)(close - s - 1);
  *p = close + 1;
  if (n > 0 && strspn(s + 1, "0123456789") != n) {
    t->kind = TOK_NAME; /* checked by the caller, which knows the names */
    t->s = s + 1;
    t->len = n;
    return SP_OK;
  }
  if (n == 0 || n > 6)
    return sp_error_set(err, SP_EINVAL, "unknown placeholder '%.*s' in SQL "
                        "(use {0}, {1}, ... for inputs): %s", (int)n + 2, s,
                        tmpl);
  t->kind = TOK_INPUT;
  for (s++; s < close; s++)
    t->input = t->input * 10 + (size_t)(*s - '0');
  return SP_OK;
}

sp_status sp_template_expand(const char *tmpl, const char *const *names,
                             size_t nnames, const sp_template_vars *vars,
                             sp_buf *out, sp_error **err)
{
  static const sp_template_vars none = {0};
  const char *p = tmpl;
  sp_status st;
  tok t;

  if (!vars)
    vars = &none;
  while ((st = next_tok(tmpl, &p, &t, err)) == SP_OK && t.kind != TOK_END) {
    if (t.kind == TOK_INPUT && t.input >= nnames)
      return sp_error_set(err, SP_EINVAL, "placeholder {%zu} in SQL but the "
                          "query has %zu input%s: %s", t.input, nnames,
                          nnames == 1 ? "" : "s", tmpl);
    if (t.kind == TOK_NAME && append_var(t.s, t.len, vars, NULL) != 0)
      return sp_error_set(err, SP_EINVAL, "unknown placeholder '{%.*s}' in "
                          "SQL (use {0}, {1}, ... for inputs, "
                          "{__data_partition__}, {rand_seed}, {batch_index}, "
                          "or the name of a dimension the data is "
                          "partitioned along): %s", (int)t.len, t.s, tmpl);
    if (!out)
      continue;
    switch (t.kind) {
    case TOK_TEXT: sp_buf_append(out, t.s, t.len); break;
    case TOK_LBRACE: sp_buf_putc(out, '{'); break;
    case TOK_RBRACE: sp_buf_putc(out, '}'); break;
    case TOK_INPUT: sp_buf_puts(out, names[t.input]); break;
    case TOK_NAME: append_var(t.s, t.len, vars, out); break;
    case TOK_END: break;
    }
  }
  if (st != SP_OK)
    return st;
  return out && sp_buf_oom(out) ? sp_error_oom(err) : SP_OK;
}

sp_status sp_template_substitute(const char *outer, const char *inner,
                                 sp_buf *out, sp_error **err)
{
  const char *p = outer;
  sp_status st;
  tok t;

  while ((st = next_tok(outer, &p, &t, err)) == SP_OK && t.kind != TOK_END) {
    switch (t.kind) {
    case TOK_TEXT: sp_buf_append(out, t.s, t.len); break;
    case TOK_LBRACE: sp_buf_puts(out, "{{"); break;
    case TOK_RBRACE: sp_buf_puts(out, "}}"); break;
    case TOK_NAME: sp_buf_appendf(out, "{%.*s}", (int)t.len, t.s); break;
    case TOK_INPUT:
      if (t.input != 0)
        return sp_error_set(err, SP_EINVAL, "placeholder {%zu} in a query "
                            "over one input: %s", t.input, outer);
      /* Newlines: the inner query may end in a -- comment. */
      sp_buf_puts(out, "(\n");
      sp_buf_puts(out, inner);
      sp_buf_puts(out, "\n)");
      break;
    case TOK_END: break;
    }
  }
  if (st != SP_OK)
    return st;
  return sp_buf_oom(out) ? sp_error_oom(err) : SP_OK;
}

void sp_template_append_text(sp_buf *out, const char *text)
{
  const char *p;

  for (p = text; *p; p++) {
    if (*p == '{' || *p == '}')
      sp_buf_putc(out, *p);
    sp_buf_putc(out, *p);
  }
}
