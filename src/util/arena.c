/*
 * arena.c - bump allocator (see arena.h).
 */
#include "util/arena.h"

#include <stdalign.h>
#include <string.h>

#include "util/alloc.h"

#define ARENA_CHUNK_SIZE (64 * 1024)

struct sp_arena_chunk {
  sp_arena_chunk *next;
  size_t used, size;
  alignas(max_align_t) unsigned char mem[];
};

void *sp_arena_alloc(sp_arena *a, size_t size)
{
  const size_t align = alignof(max_align_t);
  sp_arena_chunk *c = a->head;
  size_t need = (size + align - 1) & ~(align - 1);
  void *p;

  if (!c || c->size - c->used < need) {
    size_t csize = need > ARENA_CHUNK_SIZE ? need : ARENA_CHUNK_SIZE;
    c = sp_malloc(sizeof(*c) + csize);
    if (!c)
      return NULL;
    c->used = 0;
    c->size = csize;
    c->next = a->head;
    a->head = c;
  }
  p = c->mem + c->used;
  c->used += need;
  return p;
}

char *sp_arena_strdup(sp_arena *a, const char *s)
{
  size_t n = strlen(s) + 1;
  char *p = sp_arena_alloc(a, n);

  if (p)
    memcpy(p, s, n);
  return p;
}

void sp_arena_reset(sp_arena *a)
{
  sp_arena_chunk *c = a->head, *next;

  for (; c; c = next) {
    next = c->next;
    sp_free(c);
  }
  a->head = NULL;
}
