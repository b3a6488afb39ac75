/*
 * hash.h - 64-bit FNV-1a, used for deterministic task keys.
 */
#ifndef SP_UTIL_HASH_H
#define SP_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SP_HASH_INIT UINT64_C(0xcbf29ce484222325)

uint64_t sp_hash_bytes(uint64_t h, const void *data, size_t n);
/* Hashes s including its terminating NUL, so ("ab","c") != ("a","bc"). */
uint64_t sp_hash_str(uint64_t h, const char *s);
uint64_t sp_hash_i64(uint64_t h, int64_t v);

/* Spreads h's bits (splitmix64's finalizer): FNV's low bits vary too
 * little to split on them. */
uint64_t sp_hash_mix(uint64_t h);

#endif
