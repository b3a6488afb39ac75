/*
 * progress.h - what a run tells a person while it works: on a terminal,
 * one line redrawn for the stage in progress (tasks done of total, rows
 * and bytes written, elapsed, ETA); a summary line per stage when it
 * ends, also when stderr is not a terminal. A stage is a node's worker
 * tasks.
 */
#ifndef SP_SCHED_PROGRESS_H
#define SP_SCHED_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "plan/graph.h"
#include "smallpond.h"

typedef struct sp_stage {
  int node;            /* node id; 0 for tasks without a node (counts) */
  const char *kind;    /* the node's kind, or the task kind */
  size_t total, done;
  int64_t rows, bytes;
  int64_t start_ms;    /* when its first task finished or started */
} sp_stage;

typedef struct sp_progress {
  FILE *out;           /* NULL: silent */
  int tty;             /* redraw a line; else summaries only */
  sp_stage *stages;    /* by node id order */
  size_t n, cap;
  int64_t last_draw_ms;
} sp_progress;

/* Starts silent (out NULL) or writing to out. */
void sp_progress_init(sp_progress *p, FILE *out);

/* Counts task t, which this run has to do. */
sp_status sp_progress_expect(sp_progress *p, const sp_task *t,
                             sp_error **err);

/* Notes that an attempt of task t went out (the stage's clock starts). */
void sp_progress_started(sp_progress *p, const sp_task *t);

/* Notes that task t finished, having written rows and bytes. */
void sp_progress_done(sp_progress *p, const sp_task *t, int64_t rows,
                      int64_t bytes);

/* Clears the redrawn line, if any, and frees p. */
void sp_progress_release(sp_progress *p);

#endif
