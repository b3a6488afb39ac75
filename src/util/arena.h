/*
 * arena.h - a bump allocator for memory that dies together.
 *
 * A worker gives each task an arena: everything the task allocates (its
 * parsed descriptor, SQL text, file lists) comes from it and is released in
 * one sp_arena_reset() when the task ends, whatever the outcome.
 */
#ifndef SP_UTIL_ARENA_H
#define SP_UTIL_ARENA_H

#include <stddef.h>

typedef struct sp_arena_chunk sp_arena_chunk;

typedef struct sp_arena {
  sp_arena_chunk *head; /* newest chunk first */
} sp_arena;

#define SP_ARENA_INIT { NULL }

/* size bytes aligned for any type, or NULL when out of memory. */
void *sp_arena_alloc(sp_arena *a, size_t size);
char *sp_arena_strdup(sp_arena *a, const char *s);
/* Frees everything allocated from the arena; it stays usable. */
void sp_arena_reset(sp_arena *a);

#endif
