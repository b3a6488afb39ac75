/*
 * attempts.c - log/tasks.csv (see attempts.h).
 */
#include "sched/attempts.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/remote.h"
#include "util/buf.h"

int sp_attempts_open(const char *path)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  struct stat sb;

  if (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size == 0 &&
      write(fd, SP_ATTEMPTS_HEADER, strlen(SP_ATTEMPTS_HEADER)) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void append_time(sp_buf *b, int64_t ms)
{
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  char when[32];

  gmtime_r(&s, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
  sp_buf_appendf(b, "%s.%03dZ", when, (int)(ms % 1000));
}

/* A CSV field: quoted, quotes doubled, line breaks as spaces. */
static void append_field(sp_buf *b, const char *s)
{
  sp_buf_putc(b, '"');
  for (; s && *s; s++) {
    if (*s == '"')
      sp_buf_putc(b, '"');
    sp_buf_putc(b, *s == '\n' || *s == '\r' ? ' ' : *s);
  }
  sp_buf_putc(b, '"');
}

void sp_attempts_write(int fd, const sp_attempt_row *r)
{
  sp_buf line = SP_BUF_INIT;

  if (fd < 0)
    return;
  sp_buf_appendf(&line, "%s,%d,%s,%d,%d,%d,", r->key, r->node, r->kind,
                 r->partition, r->worker, r->attempt);
  append_time(&line, r->start_ms);
  sp_buf_putc(&line, ',');
  append_time(&line, r->end_ms);
  sp_buf_appendf(&line, ",%.3f,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                 ",%s,", (r->end_ms - r->start_ms) / 1000.0, r->rows_in,
                 r->bytes_in, r->rows_out, r->bytes_out, r->status);
  if (r->error)
    append_field(&line, r->error);
  sp_buf_putc(&line, '\n');
  if (!sp_buf_oom(&line)) {
    ssize_t n = write(fd, line.data, line.len);
    (void)n; /* best effort: the job goes on without its log */
  }
  sp_buf_release(&line);
}

void sp_attempts_measure(const sp_dataset *ds, size_t n, int64_t *rows,
                         int64_t *bytes)
{
  size_t i, j;

  *rows = 0;
  *bytes = 0;
  for (i = 0; i < n; i++)
    for (j = 0; j < ds[i].len; j++) {
      const sp_piece *p = &ds[i].pieces[j];
      struct stat sb;
      /* Counts come from messages: a sum past 64 bits is unknown. */
      if (p->rows < 0 || *rows < 0 || p->rows > INT64_MAX - *rows)
        *rows = -1;
      else
        *rows += p->rows;
      /* A file smallpond wrote knows its size; the user's are asked
       * (remote ones are not: their bytes are not counted). */
      if (p->fingerprint.bytes > 0)
        *bytes += p->fingerprint.bytes;
      else if (!sp_path_is_remote(p->path) && stat(p->path, &sb) == 0)
        *bytes += (int64_t)sb.st_size;
    }
}
