/*
 * fuzz.c - what the harnesses share (see fuzz.h).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The stderr that fuzz_quiet replaced, for fuzz_fail. */
static FILE *real_stderr;

void fuzz_fail(const char *file, int line, const char *what)
{
  fprintf(real_stderr ? real_stderr : stderr, "%s:%d: check failed: %s\n",
          file, line, what);
  abort();
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
  char *s = malloc(size + 1);

  if (!s)
    abort(); /* libFuzzer's -rss_limit_mb comes first */
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

size_t fuzz_split(const uint8_t *data, size_t size, char **out, size_t max)
{
  size_t n = 0, start = 0, i;

  for (i = 0; i <= size && n < max; i++) {
    if (i < size && data[i] != '\0')
      continue;
    out[n++] = fuzz_strndup(data + start, i - start);
    start = i + 1;
  }
  return n;
}

void fuzz_free_strings(char **s, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free(s[i]);
}

void fuzz_check_error(sp_status st, sp_error **err)
{
  if (st == SP_OK) {
    FUZZ_CHECK(*err == NULL);
    return;
  }
  FUZZ_CHECK(*err != NULL);
  FUZZ_CHECK(sp_error_status(*err) == st);
  FUZZ_CHECK(sp_error_message(*err) != NULL);
  sp_error_free(err);
}

void fuzz_quiet(void)
{
  FILE *null;

  if (getenv("SP_FUZZ_VERBOSE") || real_stderr)
    return;
  if (!(null = fopen("/dev/null", "w")))
    return;
  real_stderr = stderr;
  /* glibc's stdout and stderr are variables a program may set. */
  stdout = null;
  stderr = null;
}
