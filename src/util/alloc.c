/*
 * alloc.c - allocation wrappers (see alloc.h).
 */
#include "util/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *sp_malloc(size_t size) { return malloc(size ? size : 1); }

void *sp_calloc(size_t count, size_t size)
{
  return calloc(count ? count : 1, size ? size : 1);
}

void *sp_realloc(void *ptr, size_t size)
{
  return realloc(ptr, size ? size : 1);
}

void sp_free(void *ptr) { free(ptr); }

char *sp_strdup(const char *s)
{
  return s ? sp_strndup(s, strlen(s)) : NULL;
}

char *sp_strndup(const char *s, size_t n)
{
  char *p = sp_malloc(n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

int sp_grow(void **items, size_t *cap, size_t need, size_t elem_size)
{
  size_t ncap;
  void *p;

  if (need <= *cap)
    return 0;
  ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2)
      return -1;
    ncap *= 2;
  }
  if (ncap > SIZE_MAX / elem_size)
    return -1;
  p = sp_realloc(*items, ncap * elem_size);
  if (!p)
    return -1;
  *items = p;
  *cap = ncap;
  return 0;
}
