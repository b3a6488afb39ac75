/*
 * buf.c - the string builder (see buf.h).
 */
#include "util/buf.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

char sp_buf_empty[1];

void sp_buf_init(sp_buf *b)
{
  b->data = sp_buf_empty;
  b->len = 0;
  b->cap = 0;
  b->oom = 0;
}

void sp_buf_release(sp_buf *b)
{
  if (b->cap)
    sp_free(b->data);
  sp_buf_init(b);
}

void sp_buf_reset(sp_buf *b)
{
  b->len = 0;
  b->oom = 0;
  if (b->cap)
    b->data[0] = '\0';
}

char *sp_buf_detach(sp_buf *b)
{
  char *p;

  if (b->oom) {
    sp_buf_release(b);
    return NULL;
  }
  p = b->cap ? b->data : sp_strdup("");
  sp_buf_init(b);
  return p;
}

/* Makes room for n more bytes plus the NUL. Returns 0 or -1 (sets oom). */
static int buf_reserve(sp_buf *b, size_t n)
{
  size_t need, ncap;
  char *p;

  if (b->oom)
    return -1;
  need = b->len + n + 1;
  if (need <= b->cap)
    return 0;
  ncap = b->cap ? b->cap : 64;
  while (ncap < need)
    ncap *= 2;
  p = b->cap ? sp_realloc(b->data, ncap) : sp_malloc(ncap);
  if (!p) {
    b->oom = 1;
    return -1;
  }
  if (!b->cap)
    p[0] = '\0';
  b->data = p;
  b->cap = ncap;
  return 0;
}

void sp_buf_append(sp_buf *b, const char *s, size_t n)
{
  if (buf_reserve(b, n))
    return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void sp_buf_puts(sp_buf *b, const char *s) { sp_buf_append(b, s, strlen(s)); }

void sp_buf_putc(sp_buf *b, char c) { sp_buf_append(b, &c, 1); }

void sp_buf_vappendf(sp_buf *b, const char *fmt, va_list ap)
{
  va_list cp;
  int n;

  va_copy(cp, ap);
  n = vsnprintf(NULL, 0, fmt, cp);
  va_end(cp);
  if (n < 0) {
    b->oom = 1;
    return;
  }
  if (buf_reserve(b, (size_t)n))
    return;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void sp_buf_appendf(sp_buf *b, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  sp_buf_vappendf(b, fmt, ap);
  va_end(ap);
}

/* Appends s between two `quote` characters, doubling any inside. */
static void buf_append_quoted(sp_buf *b, const char *s, char quote)
{
  const char *p;

  sp_buf_putc(b, quote);
  for (p = s; *p; p++) {
    if (*p == quote)
      sp_buf_putc(b, quote);
    sp_buf_putc(b, *p);
  }
  sp_buf_putc(b, quote);
}

void sp_buf_append_ident(sp_buf *b, const char *name)
{
  buf_append_quoted(b, name, '"');
}

void sp_buf_append_literal(sp_buf *b, const char *s)
{
  buf_append_quoted(b, s, '\'');
}
