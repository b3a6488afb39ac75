/*
 * attempts.h - log/tasks.csv: one row per task attempt (what ran where,
 * when, how much in and out, how it ended), for people and spreadsheets.
 */
#ifndef SP_SCHED_ATTEMPTS_H
#define SP_SCHED_ATTEMPTS_H

#include <stdint.h>

#include "plan/dataset.h"

/* The file's first line. Its columns are what a reader (smallpond report)
 * checks to know the file is of this version's format: times are UTC,
 * 2026-12-02T14:19:43.734Z; counts -1 when unknown; the error quoted. */
#define SP_ATTEMPTS_HEADER                                                 \
  "key,node,kind,partition,worker,attempt,start,end,seconds,rows_in,"      \
  "bytes_in,rows_out,bytes_out,status,error\n"

typedef struct sp_attempt_row {
  const char *key;
  int node;               /* the node's id, 0 for none */
  const char *kind;       /* "sql", "shuffle", ... */
  int partition;
  int worker;             /* 0: the driver */
  int attempt;            /* 0 for the first */
  int64_t start_ms, end_ms; /* wall clock, ms since the epoch */
  int64_t rows_in, bytes_in;   /* -1 when unknown */
  int64_t rows_out, bytes_out;
  const char *status;     /* "ok", "retry", "failed" or "lost" */
  const char *error;      /* NULL when it succeeded */
} sp_attempt_row;

/* Opens (creates, appends to) the CSV file at path, writing its header
 * when it is new. Returns the descriptor, or -1. */
int sp_attempts_open(const char *path);

/* Appends one row with a single write, so rows never interleave. Errors
 * are ignored: the log is for people, the job goes on without it. */
void sp_attempts_write(int fd, const sp_attempt_row *r);

/* Rows and bytes of the files of n datasets: the rows when every piece's
 * count is known, else -1 (a partial sum would pass for the whole); bytes
 * from the files' sizes (whole files, even for a row range). */
void sp_attempts_measure(const sp_dataset *ds, size_t n, int64_t *rows,
                         int64_t *bytes);

#endif
