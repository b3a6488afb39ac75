/*
 * fuzz.c - what the harnesses share (see fuzz.h).
 */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "duck/input.h"
#include "plan/reader.h"
#include "util/frame.h"

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

json_t *fuzz_recv_json(const uint8_t *data, size_t size)
{
  static int fd = -1;
  unsigned char hdr[4];
  sp_error *err = NULL;
  json_t *j = NULL, *again;
  sp_status st;

  /* One file in memory, rewritten for every input. */
  if (fd < 0 && (fd = memfd_create("fuzz-message", MFD_CLOEXEC)) < 0)
    abort();
  hdr[0] = (unsigned char)(size >> 24);
  hdr[1] = (unsigned char)(size >> 16);
  hdr[2] = (unsigned char)(size >> 8);
  hdr[3] = (unsigned char)size;
  if (ftruncate(fd, 0) != 0 || pwrite(fd, hdr, 4, 0) != 4 ||
      pwrite(fd, data, size, 4) != (ssize_t)size ||
      lseek(fd, 0, SEEK_SET) != 0)
    abort();
  st = sp_frame_recv_json(fd, &j, &err);
  fuzz_check_error(st, &err);
  FUZZ_CHECK((st == SP_OK) == (j != NULL));
  /* The MPI transport parses the same bytes without a frame. */
  again = json_loadb((const char *)data, size, 0, NULL);
  FUZZ_CHECK((again != NULL) == (j != NULL));
  FUZZ_CHECK(!j || json_equal(j, again));
  json_decref(again);
  return j;
}

static int same_string(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

void fuzz_check_same_dataset(const sp_dataset *a, const sp_dataset *b)
{
  size_t i;

  FUZZ_CHECK(a->len == b->len);
  for (i = 0; i < a->len; i++) {
    const sp_piece *p = &a->pieces[i], *q = &b->pieces[i];
    FUZZ_CHECK(strcmp(p->path, q->path) == 0);
    FUZZ_CHECK(p->rows == q->rows);
    FUZZ_CHECK(sp_piece_is_range(p) == sp_piece_is_range(q));
    FUZZ_CHECK(!sp_piece_is_range(p) ||
               (p->begin == q->begin && p->end == q->end));
    FUZZ_CHECK(p->user == q->user);
    FUZZ_CHECK(same_string(p->reader, q->reader));
    FUZZ_CHECK(p->fingerprint.bytes == q->fingerprint.bytes &&
               p->fingerprint.footer == q->fingerprint.footer);
  }
}

void fuzz_check_dataset_round_trip(const sp_dataset *d)
{
  json_t *j = sp_dataset_to_json(d), *j2;
  sp_dataset again;
  sp_error *err = NULL;
  sp_status st;

  FUZZ_CHECK(j != NULL);
  st = sp_dataset_from_json(j, &again, &err);
  fuzz_check_error(st, &err);
  FUZZ_CHECK(st == SP_OK);
  fuzz_check_same_dataset(d, &again);
  j2 = sp_dataset_to_json(&again);
  FUZZ_CHECK(j2 && json_equal(j, j2));
  json_decref(j2);
  json_decref(j);
  sp_dataset_release(&again);
}

void fuzz_use_dataset(const sp_dataset *d)
{
  sp_buf sql = SP_BUF_INIT;
  sp_error *err = NULL;
  sp_status st;
  int64_t rows = 0;
  size_t i;
  int known = 1;

  st = sp_input_select(&sql, d, &err);
  fuzz_check_error(st, &err);
  FUZZ_CHECK(st != SP_OK || strncmp(sql.data, "SELECT ", 7) == 0);
  sp_buf_release(&sql);
  /* The total is known when every count is and the sum fits. */
  for (i = 0; i < d->len; i++) {
    int64_t r = d->pieces[i].rows;
    known = known && r >= 0 && r <= INT64_MAX - rows;
    rows = known ? rows + r : 0;
    (void)sp_reader_is_parquet(d->pieces[i].reader);
  }
  FUZZ_CHECK(sp_dataset_rows(d) == (known ? rows : -1));
}
