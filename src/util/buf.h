/*
 * buf.h - the string builder, with SQL quoting.
 *
 * Invariants: `data` is never NULL and always NUL-terminated (SP_BUF_INIT
 * points at a shared empty string); `len` excludes the NUL. Appends never
 * fail loudly: on out of memory the buffer keeps what it had and sets a
 * sticky `oom` flag, so templating code checks once with sp_buf_oom() at the
 * end. sp_buf_detach() is the only way to take ownership of the bytes.
 *
 * SQL text is built only through sp_buf_append_ident (a quoted identifier)
 * and sp_buf_append_literal (a quoted string literal) for names, paths and
 * user values; never by appending them raw.
 */
#ifndef SP_UTIL_BUF_H
#define SP_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sp_buf {
  char *data;
  size_t len;
  size_t cap; /* 0 while data points at the shared empty string */
  int oom;    /* sticky: an append failed */
} sp_buf;

extern char sp_buf_empty[];
#define SP_BUF_INIT { sp_buf_empty, 0, 0, 0 }

void sp_buf_init(sp_buf *b);
/* Frees the bytes and leaves an empty, reusable buffer. */
void sp_buf_release(sp_buf *b);
/* Empties the buffer, keeping its allocation. */
void sp_buf_reset(sp_buf *b);
/* Returns the bytes (caller frees with sp_free) and empties the buffer.
 * Returns NULL if an append had failed. */
char *sp_buf_detach(sp_buf *b);

void sp_buf_append(sp_buf *b, const char *s, size_t n);
void sp_buf_puts(sp_buf *b, const char *s);
void sp_buf_putc(sp_buf *b, char c);
void sp_buf_appendf(sp_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sp_buf_vappendf(sp_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Appends name as a double-quoted SQL identifier ("a""b"). */
void sp_buf_append_ident(sp_buf *b, const char *name);
/* Appends s as a single-quoted SQL string literal ('it''s'). */
void sp_buf_append_literal(sp_buf *b, const char *s);

static inline int sp_buf_oom(const sp_buf *b) { return b->oom; }

#endif
