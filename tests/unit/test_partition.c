/*
 * test_partition.c - unit tests of partition assignment (src/plan/
 * partition.h): sp_split_by_files and sp_split_by_rows, checked against
 * invariants on generated datasets rather than hand-typed expectations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plan/dataset.h"
#include "plan/partition.h"
#include "util/alloc.h"

/* A fixed-seed linear congruential generator: reproducible datasets. */
static uint32_t lcg_next(uint32_t *x)
{
  *x = *x * 1664525u + 1013904223u;
  return *x >> 8;
}

/* k whole files /data/f<i>.parquet with pseudo-random row counts, about a
 * quarter of them empty; odd files are user files. */
static void make_files(sp_dataset *d, int k, uint32_t seed)
{
  uint32_t x = seed;
  int i;

  memset(d, 0, sizeof(*d));
  for (i = 0; i < k; i++) {
    char path[64];
    uint32_t r = lcg_next(&x);
    int64_t rows = (r % 4 == 0) ? 0 : (int64_t)(r % 97);
    sp_piece p = {.path = path, .rows = rows, .end = -1, .user = i & 1};
    snprintf(path, sizeof(path), "/data/f%03d.parquet", i);
    assert_int_equal(sp_dataset_add(d, &p, NULL), SP_OK);
  }
}

static int64_t dataset_rows(const sp_dataset *d)
{
  int64_t total = 0;
  size_t i;

  for (i = 0; i < d->len; i++)
    total += d->pieces[i].rows;
  return total;
}

static void assert_piece_equal(const sp_piece *a, const sp_piece *b)
{
  assert_string_equal(a->path, b->path);
  assert_int_equal(a->rows, b->rows);
  assert_int_equal(a->begin, b->begin);
  assert_int_equal(a->end, b->end);
  assert_int_equal(a->user, b->user);
}

/* The placeholder an empty partition gets: one empty range of in's first
 * file. */
static void assert_empty_partition(const sp_dataset *part,
                                   const sp_dataset *in)
{
  assert_int_equal(part->len, 1);
  assert_string_equal(part->pieces[0].path, in->pieces[0].path);
  assert_int_equal(part->pieces[0].begin, 0);
  assert_int_equal(part->pieces[0].end, 0);
  assert_int_equal(part->pieces[0].rows, 0);
  assert_int_equal(part->pieces[0].user, in->pieces[0].user);
}

/* Checks every invariant of sp_split_by_files(in, n). */
static void check_by_files(const sp_dataset *in, int n)
{
  size_t base = in->len / (size_t)n, extra = in->len % (size_t)n, next = 0;
  sp_dataset *out = NULL;
  sp_error *err = NULL;
  int k;

  assert_int_equal(sp_split_by_files(in, n, &out, &err), SP_OK);
  assert_null(err);
  assert_non_null(out);
  for (k = 0; k < n; k++) {
    size_t want = base + ((size_t)k < extra ? 1 : 0), i;
    if (want == 0) {
      assert_empty_partition(&out[k], in);
      continue;
    }
    /* Whole input pieces, contiguous and in order. */
    assert_int_equal(out[k].len, want);
    for (i = 0; i < want; i++, next++)
      assert_piece_equal(&out[k].pieces[i], &in->pieces[next]);
    /* Group sizes differ by at most 1, larger ones first. */
    if (k > 0 && out[k - 1].len >= 1)
      assert_true(out[k - 1].len == want || out[k - 1].len == want + 1);
  }
  /* The concatenation is exactly the input. */
  assert_int_equal(next, in->len);
  sp_datasets_free(out, (size_t)n);
}

/* Checks every invariant of sp_split_by_rows(in, n): n partitions, row
 * totals within 1 of each other, and the ranges in order cover each row of
 * each input piece exactly once. Piece paths of in must be distinct. */
static void check_by_rows(const sp_dataset *in, int n)
{
  int64_t total = dataset_rows(in), sum = 0, lo = INT64_MAX, hi = -1;
  int64_t *cursor = sp_calloc(in->len, sizeof(*cursor));
  sp_dataset *out = NULL;
  sp_error *err = NULL;
  size_t cur = 0, i;
  int k;

  assert_non_null(cursor);
  for (i = 0; i < in->len; i++)
    cursor[i] = in->pieces[i].begin; /* 0 for a whole file */
  assert_int_equal(sp_split_by_rows(in, n, &out, &err), SP_OK);
  assert_null(err);
  assert_non_null(out);
  for (k = 0; k < n; k++) {
    int64_t rows = dataset_rows(&out[k]);
    lo = rows < lo ? rows : lo;
    hi = rows > hi ? rows : hi;
    sum += rows;
    if (rows == 0) {
      assert_empty_partition(&out[k], in);
      continue;
    }
    for (i = 0; i < out[k].len; i++) {
      const sp_piece *o = &out[k].pieces[i];
      const sp_piece *src;
      int64_t src_end;

      assert_true(o->rows > 0); /* no empty ranges in a non-empty part */
      /* Find o's input piece: this one or a later one, with every piece
       * skipped over already fully covered. */
      while (cur < in->len && strcmp(in->pieces[cur].path, o->path) != 0) {
        src = &in->pieces[cur];
        assert_int_equal(cursor[cur], src->begin + src->rows);
        cur++;
      }
      assert_true(cur < in->len);
      src = &in->pieces[cur];
      src_end = src->begin + src->rows;
      assert_int_equal(o->user, src->user);
      if (o->end == -1) {
        /* A whole file: only for a whole input file, taken at once. */
        assert_false(sp_piece_is_range(src));
        assert_int_equal(o->begin, 0);
        assert_int_equal(cursor[cur], 0);
        assert_int_equal(o->rows, src->rows);
        cursor[cur] = src->rows;
      } else {
        assert_int_equal(o->begin, cursor[cur]);
        assert_true(o->end > o->begin);
        assert_true(o->end <= src_end);
        assert_int_equal(o->rows, o->end - o->begin);
        cursor[cur] = o->end;
      }
    }
  }
  /* Everything is covered, including pieces after the last range. */
  for (i = 0; i < in->len; i++)
    assert_int_equal(cursor[i], in->pieces[i].begin + in->pieces[i].rows);
  assert_int_equal(sum, total);
  assert_true(hi - lo <= 1);
  sp_free(cursor);
  sp_datasets_free(out, (size_t)n);
}

static void test_by_files_generated(void **state)
{
  static const int ks[] = {1, 2, 3, 5, 8, 13};
  size_t t;

  (void)state;
  for (t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
    sp_dataset in;
    int n;
    make_files(&in, ks[t], 7u + (uint32_t)t);
    for (n = 1; n <= 2 * ks[t] + 3; n++)
      check_by_files(&in, n);
    sp_dataset_release(&in);
  }
}

static void test_by_files_array_split_sizes(void **state)
{
  sp_dataset in, *out = NULL;
  int k;

  (void)state;
  /* 7 files into 3: 3, 2, 2 (the first 7 % 3 groups are larger). */
  make_files(&in, 7, 1);
  assert_int_equal(sp_split_by_files(&in, 3, &out, NULL), SP_OK);
  assert_int_equal(out[0].len, 3);
  assert_int_equal(out[1].len, 2);
  assert_int_equal(out[2].len, 2);
  assert_string_equal(out[1].pieces[0].path, in.pieces[3].path);
  assert_string_equal(out[2].pieces[0].path, in.pieces[5].path);
  sp_datasets_free(out, 3);
  /* 7 files into 9: seven groups of one, then two placeholders. */
  assert_int_equal(sp_split_by_files(&in, 9, &out, NULL), SP_OK);
  for (k = 7; k < 9; k++)
    assert_empty_partition(&out[k], &in);
  sp_datasets_free(out, 9);
  sp_dataset_release(&in);
}

static void test_by_rows_generated(void **state)
{
  static const int ks[] = {1, 2, 3, 5, 8, 13};
  size_t t;

  (void)state;
  for (t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
    sp_dataset in;
    int n;
    make_files(&in, ks[t], 101u + (uint32_t)t);
    for (n = 1; n <= 2 * ks[t] + 3; n++)
      check_by_rows(&in, n);
    /* Far more partitions than rows: most are empty placeholders. */
    check_by_rows(&in, (int)dataset_rows(&in) + 5);
    sp_dataset_release(&in);
  }
}

static void test_by_rows_all_files_empty(void **state)
{
  sp_dataset in = {0}, *out = NULL;
  sp_piece a = {.path = "/data/a.parquet", .end = -1, .user = 1};
  sp_piece b = {.path = "/data/b.parquet", .end = -1};
  int n, k;

  (void)state;
  assert_int_equal(sp_dataset_add(&in, &a, NULL), SP_OK);
  assert_int_equal(sp_dataset_add(&in, &b, NULL), SP_OK);
  for (n = 1; n <= 4; n++) {
    assert_int_equal(sp_split_by_rows(&in, n, &out, NULL), SP_OK);
    for (k = 0; k < n; k++)
      assert_empty_partition(&out[k], &in);
    sp_datasets_free(out, (size_t)n);
    check_by_rows(&in, n);
  }
  sp_dataset_release(&in);
}

static void test_by_rows_whole_files_stay_whole(void **state)
{
  sp_dataset in = {0}, *out = NULL;
  sp_piece a = {.path = "/data/a.parquet", .rows = 10, .end = -1};
  sp_piece b = {.path = "/data/b.parquet", .rows = 10, .end = -1};

  (void)state;
  assert_int_equal(sp_dataset_add(&in, &a, NULL), SP_OK);
  assert_int_equal(sp_dataset_add(&in, &b, NULL), SP_OK);
  /* 20 rows into 2: each partition is one whole file, not a range. */
  assert_int_equal(sp_split_by_rows(&in, 2, &out, NULL), SP_OK);
  assert_int_equal(out[0].len, 1);
  assert_int_equal(out[0].pieces[0].end, -1);
  assert_int_equal(out[1].len, 1);
  assert_int_equal(out[1].pieces[0].end, -1);
  assert_string_equal(out[1].pieces[0].path, "/data/b.parquet");
  sp_datasets_free(out, 2);
  /* 20 rows into 3: 7 + 7 + 6, the middle one crosses the boundary. */
  assert_int_equal(sp_split_by_rows(&in, 3, &out, NULL), SP_OK);
  assert_int_equal(out[0].len, 1);
  assert_int_equal(out[0].pieces[0].begin, 0);
  assert_int_equal(out[0].pieces[0].end, 7);
  assert_int_equal(out[1].len, 2);
  assert_int_equal(out[1].pieces[0].begin, 7);
  assert_int_equal(out[1].pieces[0].end, 10);
  assert_int_equal(out[1].pieces[1].begin, 0);
  assert_int_equal(out[1].pieces[1].end, 4);
  assert_int_equal(out[2].len, 1);
  assert_int_equal(out[2].pieces[0].begin, 4);
  assert_int_equal(out[2].pieces[0].end, 10);
  sp_datasets_free(out, 3);
  sp_dataset_release(&in);
}

static void test_by_rows_range_input(void **state)
{
  sp_dataset in = {0}, *out = NULL;
  sp_piece pieces[] = {
    /* part of a bigger file, a whole file, an empty range, a range near
     * the start */
    {.path = "/data/r0.parquet", .rows = 10, .begin = 100, .end = 110},
    {.path = "/data/w1.parquet", .rows = 7, .end = -1, .user = 1},
    {.path = "/data/r2.parquet", .rows = 0, .begin = 40, .end = 40},
    {.path = "/data/r3.parquet", .rows = 5, .begin = 3, .end = 8, .user = 1},
  };
  size_t i;
  int n;

  (void)state;
  for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
    assert_int_equal(sp_dataset_add(&in, &pieces[i], NULL), SP_OK);
  for (n = 1; n <= 26; n++)
    check_by_rows(&in, n);
  /* Spot check: 22 rows into 4 gives 6, 6, 5, 5; the first range starts at
   * its own begin, not at 0. */
  assert_int_equal(sp_split_by_rows(&in, 4, &out, NULL), SP_OK);
  assert_int_equal(out[0].pieces[0].begin, 100);
  assert_int_equal(out[0].pieces[0].end, 106);
  assert_int_equal(out[1].pieces[0].begin, 106);
  assert_int_equal(out[1].pieces[0].end, 110);
  assert_string_equal(out[1].pieces[1].path, "/data/w1.parquet");
  assert_int_equal(out[1].pieces[1].begin, 0);
  assert_int_equal(out[1].pieces[1].end, 2);
  sp_datasets_free(out, 4);
  /* One partition keeps a range input piece as the same range. */
  assert_int_equal(sp_split_by_rows(&in, 1, &out, NULL), SP_OK);
  assert_int_equal(out[0].pieces[0].begin, 100);
  assert_int_equal(out[0].pieces[0].end, 110);
  assert_int_equal(out[0].pieces[1].end, -1);
  sp_datasets_free(out, 1);
  sp_dataset_release(&in);
}

static void test_invalid_partition_count(void **state)
{
  static const int bad[] = {0, -1, -100};
  sp_dataset in, *out;
  size_t i;

  (void)state;
  make_files(&in, 3, 5);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    sp_error *err = NULL;
    out = NULL;
    assert_int_equal(sp_split_by_files(&in, bad[i], &out, &err), SP_EINVAL);
    assert_int_equal(sp_error_status(err), SP_EINVAL);
    assert_null(out);
    sp_error_free(&err);
    out = NULL;
    assert_int_equal(sp_split_by_rows(&in, bad[i], &out, &err), SP_EINVAL);
    assert_int_equal(sp_error_status(err), SP_EINVAL);
    assert_null(out);
    sp_error_free(&err);
  }
  sp_dataset_release(&in);
}

static void test_by_rows_unknown_count(void **state)
{
  sp_dataset in, *out = NULL;
  sp_piece unknown = {.path = "/data/unknown.parquet", .rows = -1,
                     .end = -1, .user = 1};
  sp_error *err = NULL;
  sp_status st;

  (void)state;
  make_files(&in, 3, 9);
  assert_int_equal(sp_dataset_add(&in, &unknown, NULL), SP_OK);
  st = sp_split_by_rows(&in, 2, &out, &err);
  assert_int_not_equal(st, SP_OK);
  assert_non_null(err);
  assert_int_equal(sp_error_status(err), st);
  assert_null(out);
  sp_error_free(&err);
  /* By files does not need row counts. */
  check_by_files(&in, 2);
  sp_dataset_release(&in);
}

/* Row counts come in messages and state.jsonl: a total that does not fit
 * in 64 bits is unknown, as is one with an unknown count. */
static void test_rows_total_overflow(void **state)
{
  sp_dataset in = {0}, *out = NULL;
  sp_piece big = {.path = "/data/big.parquet", .rows = INT64_MAX, .end = -1};
  sp_piece one = {.path = "/data/one.parquet", .rows = 1, .end = -1};
  sp_error *err = NULL;

  (void)state;
  assert_int_equal(sp_dataset_add(&in, &big, NULL), SP_OK);
  assert_int_equal(sp_dataset_rows(&in), INT64_MAX);
  assert_int_equal(sp_dataset_add(&in, &one, NULL), SP_OK);
  assert_int_equal(sp_dataset_rows(&in), -1);
  assert_int_not_equal(sp_split_by_rows(&in, 2, &out, &err), SP_OK);
  assert_non_null(err);
  assert_null(out);
  sp_error_free(&err);
  sp_dataset_release(&in);
}

/* By assignment: each piece lands where partition_of says, in order;
 * empty partitions get the schema piece; out of range fails naming the
 * file. */
static void test_by_assignment(void **state)
{
  sp_dataset in, *out = NULL;
  const int where[] = {2, 0, 2, 0, 2};
  const int bad[] = {0, 0, 4, 0, 0};
  sp_error *err = NULL;

  (void)state;
  make_files(&in, 5, 7);
  assert_int_equal(sp_split_by_assignment(&in, 4, where, &out, &err), SP_OK);
  assert_int_equal(out[0].len, 2);
  assert_string_equal(out[0].pieces[0].path, in.pieces[1].path);
  assert_string_equal(out[0].pieces[1].path, in.pieces[3].path);
  assert_int_equal(out[2].len, 3);
  assert_string_equal(out[2].pieces[2].path, in.pieces[4].path);
  assert_int_equal(out[1].len, 1); /* the schema piece: an empty range */
  assert_int_equal(out[1].pieces[0].end, 0);
  sp_datasets_free(out, 4);
  assert_int_equal(sp_split_by_assignment(&in, 4, bad, &out, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), in.pieces[2].path));
  assert_null(out);
  sp_error_free(&err);
  sp_dataset_release(&in);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_by_assignment),
    cmocka_unit_test(test_by_files_generated),
    cmocka_unit_test(test_by_files_array_split_sizes),
    cmocka_unit_test(test_by_rows_generated),
    cmocka_unit_test(test_by_rows_all_files_empty),
    cmocka_unit_test(test_by_rows_whole_files_stay_whole),
    cmocka_unit_test(test_by_rows_range_input),
    cmocka_unit_test(test_invalid_partition_count),
    cmocka_unit_test(test_by_rows_unknown_count),
    cmocka_unit_test(test_rows_total_overflow),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
