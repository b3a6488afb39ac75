/*
 * test_buf.c - unit tests of the foundations in src/util: the string
 * builder with SQL quoting (buf.h), the bump allocator (arena.h) and the
 * FNV-1a hash behind task keys (hash.h).
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/hash.h"

/* The invariants every sp_buf keeps, whatever was done to it. */
static void check_buf(const sp_buf *b, const char *expect)
{
  assert_non_null(b->data);
  assert_int_equal(b->data[b->len], '\0');
  assert_int_equal(strlen(b->data), b->len);
  assert_false(sp_buf_oom(b));
  if (b->cap)
    assert_true(b->len < b->cap);
  if (expect) {
    assert_int_equal(b->len, strlen(expect));
    assert_string_equal(b->data, expect);
  }
}

/* ---- sp_buf ------------------------------------------------------------ */

static void test_buf_init_empty(void **state)
{
  sp_buf a = SP_BUF_INIT, b;

  (void)state;
  check_buf(&a, "");
  assert_int_equal(a.cap, 0);
  b.data = NULL;
  b.len = 7;
  b.cap = 9;
  b.oom = 1;
  sp_buf_init(&b);
  check_buf(&b, "");
  assert_int_equal(b.cap, 0);
  /* Releasing and resetting a never-used buffer are harmless. */
  sp_buf_reset(&a);
  check_buf(&a, "");
  sp_buf_release(&a);
  check_buf(&a, "");
}

static void test_buf_append_variants(void **state)
{
  sp_buf b = SP_BUF_INIT;

  (void)state;
  sp_buf_append(&b, "hello, world", 5);
  check_buf(&b, "hello");
  sp_buf_putc(&b, ' ');
  check_buf(&b, "hello ");
  sp_buf_puts(&b, "there");
  check_buf(&b, "hello there");
  sp_buf_appendf(&b, " %d-%s-%c", 42, "x", 'y');
  check_buf(&b, "hello there 42-x-y");
  sp_buf_append(&b, "ignored", 0);
  check_buf(&b, "hello there 42-x-y");
  sp_buf_puts(&b, "");
  check_buf(&b, "hello there 42-x-y");
  sp_buf_release(&b);
  check_buf(&b, "");
  assert_int_equal(b.cap, 0);
}

static void test_buf_grows_byte_by_byte(void **state)
{
  sp_buf b = SP_BUF_INIT;
  size_t i;

  (void)state;
  /* Crosses many growth steps; the content must stay exact. */
  for (i = 0; i < 5000; i++) {
    sp_buf_putc(&b, (char)('a' + (char)(i % 26)));
    assert_int_equal(b.len, i + 1);
    assert_int_equal(b.data[b.len], '\0');
  }
  check_buf(&b, NULL);
  for (i = 0; i < b.len; i++)
    assert_int_equal(b.data[i], 'a' + (int)(i % 26));
  sp_buf_release(&b);
}

static void test_buf_reset_keeps_allocation(void **state)
{
  sp_buf b = SP_BUF_INIT;
  size_t cap;
  char *data;

  (void)state;
  sp_buf_puts(&b, "some text that needs an allocation");
  cap = b.cap;
  data = b.data;
  assert_true(cap > 0);
  sp_buf_reset(&b);
  check_buf(&b, "");
  assert_int_equal(b.cap, cap);
  assert_ptr_equal(b.data, data);
  sp_buf_puts(&b, "again");
  check_buf(&b, "again");
  sp_buf_release(&b);
  check_buf(&b, "");
}

static void test_buf_detach(void **state)
{
  sp_buf b = SP_BUF_INIT;
  char *s;

  (void)state;
  sp_buf_appendf(&b, "%s=%d", "n", 3);
  s = sp_buf_detach(&b);
  assert_non_null(s);
  assert_string_equal(s, "n=3");
  /* The buffer is empty and reusable, and no longer owns s. */
  check_buf(&b, "");
  assert_int_equal(b.cap, 0);
  sp_buf_puts(&b, "next");
  check_buf(&b, "next");
  assert_string_equal(s, "n=3");
  sp_free(s);
  sp_buf_release(&b);

  /* Detaching an empty buffer still gives an owned empty string. */
  s = sp_buf_detach(&b);
  assert_non_null(s);
  assert_string_equal(s, "");
  check_buf(&b, "");
  sp_free(s);
}

static void test_buf_long_appendf(void **state)
{
  enum { N = 10000 };
  sp_buf b = SP_BUF_INIT;
  char *big = sp_malloc(N + 1);
  size_t i;

  (void)state;
  assert_non_null(big);
  for (i = 0; i < N; i++)
    big[i] = (char)('0' + (char)(i % 10));
  big[N] = '\0';
  sp_buf_puts(&b, "<");
  sp_buf_appendf(&b, "%s|%05d", big, 7);
  sp_buf_appendf(&b, "%*s", 3000, "!");
  check_buf(&b, NULL);
  assert_int_equal(b.len, 1 + N + 6 + 3000);
  assert_int_equal(b.data[0], '<');
  assert_memory_equal(b.data + 1, big, N);
  assert_memory_equal(b.data + 1 + N, "|00007", 6);
  for (i = 1 + N + 6; i < b.len - 1; i++)
    assert_int_equal(b.data[i], ' ');
  assert_int_equal(b.data[b.len - 1], '!');
  sp_buf_release(&b);
  sp_free(big);
}

static void test_buf_append_ident(void **state)
{
  static const struct {
    const char *in, *out;
  } cases[] = {
    {"col", "\"col\""},
    {"", "\"\""},
    {"a\"b", "\"a\"\"b\""},
    {"\"", "\"\"\"\""},
    {"\"\"x\"", "\"\"\"\"\"x\"\"\""},
    {"it's", "\"it's\""}, /* single quotes are not special here */
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sp_buf b = SP_BUF_INIT;
    sp_buf_puts(&b, "x=");
    sp_buf_append_ident(&b, cases[i].in);
    check_buf(&b, NULL);
    assert_memory_equal(b.data, "x=", 2);
    assert_string_equal(b.data + 2, cases[i].out);
    sp_buf_release(&b);
  }
}

static void test_buf_append_literal(void **state)
{
  static const struct {
    const char *in, *out;
  } cases[] = {
    {"it's", "'it''s'"},
    {"", "''"},
    {"'", "''''"},
    {"''", "''''''"},
    {"/data/a b/x.parquet", "'/data/a b/x.parquet'"},
    {"say \"hi\"", "'say \"hi\"'"}, /* double quotes are not special here */
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sp_buf b = SP_BUF_INIT;
    sp_buf_append_literal(&b, cases[i].in);
    check_buf(&b, cases[i].out);
    sp_buf_release(&b);
  }
}

/* Undoing the quoting must give back the input, for generated strings. */
static void test_buf_quote_roundtrip(void **state)
{
  static const char alphabet[] = "ab'\" {}";
  uint32_t x = 12345;
  int round;

  (void)state;
  for (round = 0; round < 200; round++) {
    char in[32], quote = (round & 1) ? '\'' : '"';
    size_t n, i, j;
    sp_buf b = SP_BUF_INIT;
    sp_buf back = SP_BUF_INIT;

    x = x * 1103515245u + 12345u;
    n = (x >> 16) % (sizeof(in) - 1);
    for (i = 0; i < n; i++) {
      x = x * 1103515245u + 12345u;
      in[i] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
    }
    in[n] = '\0';
    if (quote == '\'')
      sp_buf_append_literal(&b, in);
    else
      sp_buf_append_ident(&b, in);
    check_buf(&b, NULL);
    assert_true(b.len >= 2);
    assert_int_equal(b.data[0], quote);
    assert_int_equal(b.data[b.len - 1], quote);
    for (i = 1; i + 1 < b.len; i++) {
      sp_buf_putc(&back, b.data[i]);
      if (b.data[i] == quote) {
        /* Inside, a quote only ever appears doubled. */
        j = i + 1;
        assert_true(j + 1 < b.len);
        assert_int_equal(b.data[j], quote);
        i = j;
      }
    }
    check_buf(&back, in);
    sp_buf_release(&back);
    sp_buf_release(&b);
  }
}

/* ---- sp_arena ---------------------------------------------------------- */

static void test_arena_alloc_many_sizes(void **state)
{
  enum { N = 600 };
  sp_arena a = SP_ARENA_INIT;
  unsigned char *ptrs[N];
  size_t sizes[N], i, j;

  (void)state;
  for (i = 0; i < N; i++) {
    /* Small, odd, zero and a few larger than a whole chunk (64 KiB). */
    sizes[i] = (i % 97 == 0) ? 70000 + i : (i * 37) % 1000;
    ptrs[i] = sp_arena_alloc(&a, sizes[i]);
    assert_non_null(ptrs[i]);
    assert_int_equal((uintptr_t)ptrs[i] % alignof(max_align_t), 0);
    memset(ptrs[i], (int)(i & 0xff), sizes[i]);
  }
  /* No allocation overlapped another: every byte still has its pattern. */
  for (i = 0; i < N; i++)
    for (j = 0; j < sizes[i]; j++)
      assert_int_equal(ptrs[i][j], i & 0xff);
  sp_arena_reset(&a);
  assert_null(a.head);
  /* Usable again after a reset. */
  ptrs[0] = sp_arena_alloc(&a, 1);
  assert_non_null(ptrs[0]);
  assert_int_equal((uintptr_t)ptrs[0] % alignof(max_align_t), 0);
  sp_arena_reset(&a);
  sp_arena_reset(&a); /* twice is harmless */
}

static void test_arena_strdup(void **state)
{
  sp_arena a = SP_ARENA_INIT;
  char *s1, *s2, *s3;
  char src[16] = "hello";

  (void)state;
  s1 = sp_arena_strdup(&a, src);
  s2 = sp_arena_strdup(&a, "");
  s3 = sp_arena_strdup(&a, "world, longer string");
  assert_non_null(s1);
  assert_non_null(s2);
  assert_non_null(s3);
  assert_ptr_not_equal(s1, src);
  src[0] = 'J'; /* a copy, not an alias */
  assert_string_equal(s1, "hello");
  assert_string_equal(s2, "");
  assert_string_equal(s3, "world, longer string");
  assert_int_equal((uintptr_t)s3 % alignof(max_align_t), 0);
  sp_arena_reset(&a);
  assert_null(a.head);
}

/* ---- hash -------------------------------------------------------------- */

static void test_hash_known_values(void **state)
{
  (void)state;
  /* The published FNV-1a 64-bit test vectors. */
  assert_true(sp_hash_bytes(SP_HASH_INIT, "", 0) == SP_HASH_INIT);
  assert_true(sp_hash_bytes(SP_HASH_INIT, "a", 1) ==
              UINT64_C(0xaf63dc4c8601ec8c));
  assert_true(sp_hash_bytes(SP_HASH_INIT, "foobar", 6) ==
              UINT64_C(0x85944171f73967e8));
  /* sp_hash_str includes the terminating NUL. */
  assert_true(sp_hash_str(SP_HASH_INIT, "foobar") ==
              sp_hash_bytes(SP_HASH_INIT, "foobar", 7));
}

static void test_hash_deterministic_and_chained(void **state)
{
  uint64_t h1, h2;

  (void)state;
  h1 = sp_hash_str(sp_hash_str(SP_HASH_INIT, "ab"), "c");
  h2 = sp_hash_str(sp_hash_str(SP_HASH_INIT, "ab"), "c");
  assert_true(h1 == h2);
  /* Chaining is not concatenation: the NUL separates the parts. */
  assert_true(h1 != sp_hash_str(sp_hash_str(SP_HASH_INIT, "a"), "bc"));
  assert_true(h1 != sp_hash_str(SP_HASH_INIT, "abc"));
  assert_true(sp_hash_str(SP_HASH_INIT, "x") !=
              sp_hash_str(SP_HASH_INIT, "y"));
  /* Byte-wise chaining equals hashing the concatenation. */
  assert_true(sp_hash_bytes(sp_hash_bytes(SP_HASH_INIT, "ab", 2), "c", 1) ==
              sp_hash_bytes(SP_HASH_INIT, "abc", 3));
}

static void test_hash_i64_fixed_byte_order(void **state)
{
  static const int64_t values[] = {0, 1, -1, 255, 256, INT64_MAX, INT64_MIN,
                                   0x0102030405060708};
  size_t i;
  int k;

  (void)state;
  for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    unsigned char le[8];
    uint64_t u = (uint64_t)values[i];
    for (k = 0; k < 8; k++)
      le[k] = (unsigned char)(u >> (8 * k));
    assert_true(sp_hash_i64(SP_HASH_INIT, values[i]) ==
                sp_hash_bytes(SP_HASH_INIT, le, 8));
    if (i > 0)
      assert_true(sp_hash_i64(SP_HASH_INIT, values[i]) !=
                  sp_hash_i64(SP_HASH_INIT, values[i - 1]));
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_buf_init_empty),
    cmocka_unit_test(test_buf_append_variants),
    cmocka_unit_test(test_buf_grows_byte_by_byte),
    cmocka_unit_test(test_buf_reset_keeps_allocation),
    cmocka_unit_test(test_buf_detach),
    cmocka_unit_test(test_buf_long_appendf),
    cmocka_unit_test(test_buf_append_ident),
    cmocka_unit_test(test_buf_append_literal),
    cmocka_unit_test(test_buf_quote_roundtrip),
    cmocka_unit_test(test_arena_alloc_many_sizes),
    cmocka_unit_test(test_arena_strdup),
    cmocka_unit_test(test_hash_known_values),
    cmocka_unit_test(test_hash_deterministic_and_chained),
    cmocka_unit_test(test_hash_i64_fixed_byte_order),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
