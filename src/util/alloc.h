/*
 * alloc.h - the library's allocation functions.
 *
 * Every allocation goes through these so a test build can count and fail
 * them. They return NULL on failure like malloc; callers check.
 */
#ifndef SP_UTIL_ALLOC_H
#define SP_UTIL_ALLOC_H

#include <stddef.h>

void *sp_malloc(size_t size);
void *sp_calloc(size_t count, size_t size);
void *sp_realloc(void *ptr, size_t size);
void sp_free(void *ptr);

/* A copy of s (NULL for NULL), or NULL when out of memory. */
char *sp_strdup(const char *s);

/* A copy of the first n bytes of s, NUL-terminated. */
char *sp_strndup(const char *s, size_t n);

/* Grows *items (each elem_size bytes, *cap allocated) so that at least
 * `need` elements fit. Returns 0, or -1 when out of memory (the array is
 * then unchanged). */
int sp_grow(void **items, size_t *cap, size_t need, size_t elem_size);

#endif
