/*
 * report.h - what sp_job_report knows of a job (its plan's steps and every
 * task attempt that ended), how it is read from the job folder
 * (report_read.c), and how it is drawn as one HTML page (report_html.c).
 * The three parts meet here so each can be tested alone
 * (tests/unit/test_report.c, tests/fuzz/fuzz_report.c).
 *
 * What is checked. plan.json is written whole by the driver (atomically):
 * one that lacks a field this version writes, or whose fields do not fit
 * together, is an error naming the file and the version that wrote it,
 * never half drawn. log/tasks.csv is appended to while the job runs and
 * may end in a cut line: a row that does not read as this version's row
 * is skipped and counted, and the page says how many.
 */
#ifndef SP_API_REPORT_H
#define SP_API_REPORT_H

#include <duckdb.h>
#include <stddef.h>
#include <stdint.h>

#include "smallpond.h"
#include "util/buf.h"

/* A step of the plan (a plan.json node). */
typedef struct sp_report_node {
  int id;              /* > 0, unique */
  char *kind;          /* "read", "sql", ... */
  char *detail;        /* what it does: its SQL, split, files; may be "" */
  int partitions;
  int *inputs;         /* indexes into sp_report.nodes, each before it */
  size_t ninputs;
  size_t tasks;        /* its tasks that run on a worker */
} sp_report_node;

typedef enum sp_report_outcome {
  SP_REPORT_OK,        /* it wrote the task's output */
  SP_REPORT_RETRY,     /* it failed and the task was tried again */
  SP_REPORT_FAILED,    /* it failed and so did the task */
  SP_REPORT_LOST       /* another attempt of the task won: a cancelled
                          speculative duplicate or a stale attempt */
} sp_report_outcome;

/* A row of log/tasks.csv: one attempt that ended. */
typedef struct sp_report_attempt {
  char *key;
  char *kind;
  char *error;         /* NULL when there is none */
  int node;            /* 0: a task of no step (a count) */
  int partition, worker, attempt;
  int64_t start_ms, end_ms;      /* end_ms >= start_ms */
  int64_t rows_in, bytes_in;     /* -1 when unknown */
  int64_t rows_out, bytes_out;
  sp_report_outcome outcome;
  int speculative;     /* started while another attempt of its task ran */
} sp_report_attempt;

typedef struct sp_report {
  char *job;           /* the job's folder, as named */
  char state[64];      /* running, success, failure, stopped or new */
  char *version;       /* the smallpond that wrote plan.json, or NULL */
  int has_plan;        /* plan.json was there */
  sp_report_node *nodes;
  size_t nnodes;
  sp_report_attempt *attempts; /* in the file's order */
  size_t nattempts, attempts_cap;
  size_t skipped;      /* rows of tasks.csv that did not read */
} sp_report;

/* Reads plan.json's text (len bytes) into r's steps; named names the file
 * in errors. Fails with SP_EINVAL, naming the version that wrote it, when
 * it is not a plan this version can read. */
sp_status sp_report_read_plan(sp_report *r, const char *text, size_t len,
                              const char *named, sp_error **err);

/* Appends the rows of the tasks.csv at path (read with DuckDB on con) to
 * r's attempts, counting those that do not read in r->skipped, and marks
 * the speculative ones. Fails with SP_EINVAL when its header is not this
 * version's, SP_EIO when it cannot be read; a missing file is no rows. */
sp_status sp_report_read_attempts(sp_report *r, duckdb_connection con,
                                  const char *path, sp_error **err);

/* Fills r from the job folder job_dir (status, plan.json, log/tasks.csv). */
sp_status sp_report_load(sp_report *r, const char *job_dir, sp_error **err);

void sp_report_release(sp_report *r);

/* Appends r as one self-contained HTML page (no scripts, nothing fetched):
 * the plan as an SVG graph (an element of class "node" per step), a
 * timeline with an element of class "attempt" per attempt, a table per
 * step, and the errors. now_ms is the time printed as the page's. Check
 * sp_buf_oom after. */
void sp_report_html(const sp_report *r, int64_t now_ms, sp_buf *out);

#endif
