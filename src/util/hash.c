/*
 * hash.c - FNV-1a (see hash.h).
 */
#include "util/hash.h"

#include <string.h>

uint64_t sp_hash_bytes(uint64_t h, const void *data, size_t n)
{
  const unsigned char *p = data;
  size_t i;

  for (i = 0; i < n; i++) {
    h ^= p[i];
    h *= UINT64_C(0x100000001b3);
  }
  return h;
}

uint64_t sp_hash_str(uint64_t h, const char *s)
{
  return sp_hash_bytes(h, s, strlen(s) + 1);
}

uint64_t sp_hash_i64(uint64_t h, int64_t v)
{
  unsigned char b[8];
  int i;

  for (i = 0; i < 8; i++) /* fixed byte order: keys must not depend on it */
    b[i] = (unsigned char)((uint64_t)v >> (8 * i));
  return sp_hash_bytes(h, b, sizeof(b));
}

uint64_t sp_hash_mix(uint64_t h)
{
  h ^= h >> 30;
  h *= UINT64_C(0xbf58476d1ce4e5b9);
  h ^= h >> 27;
  h *= UINT64_C(0x94d049bb133111eb);
  return h ^ (h >> 31);
}
