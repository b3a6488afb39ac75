/*
 * events.h - what a run tells the session's sp_event_fn (smallpond.h):
 * runs, stages and task attempts starting and ending, with counts kept
 * per stage here, and ticks between them. A stage is one node's worker
 * tasks in a run.
 */
#ifndef SP_SCHED_EVENTS_H
#define SP_SCHED_EVENTS_H

#include <stdint.h>

#include "plan/graph.h"
#include "sched/transport.h"
#include "smallpond.h"

typedef struct sp_stage_count {
  int node;              /* the node's id; 0 for tasks without one */
  char *name;            /* sp_node_title */
  int64_t total, done, running, rows, bytes;
  int64_t start_ms;      /* wall clock of its first attempt; 0: none yet */
} sp_stage_count;

typedef struct sp_events {
  sp_event_fn fn;        /* NULL: events are not even counted */
  void *arg;
  const char *job_id;    /* borrowed */
  sp_stage_count *stages;
  size_t n, cap;
  int64_t tasks, done;   /* the run's worker tasks */
  int64_t last_ms;       /* monotonic time of the last event */
} sp_events;

/* Starts a run's events for fn (NULL: none) and arg. */
void sp_events_init(sp_events *e, sp_event_fn fn, void *arg,
                    const char *job_id);

/* Counts task t, which the run has to do. */
sp_status sp_events_expect(sp_events *e, const sp_task *t, sp_error **err);

/* RUN_STARTED, or RUN_FINISHED with st. */
void sp_events_run(sp_events *e, sp_event_kind kind, sp_status st);

/* A task event for the attempt of t on w: TASK_STARTED or _SPECULATED
 * (and STAGE_STARTED before the stage's first), or the attempt's end:
 * _FINISHED having written rows and bytes (and STAGE_FINISHED after the
 * stage's last), _RETRIED, _FAILED or _DROPPED for why. */
void sp_events_attempt(sp_events *e, sp_event_kind kind, const sp_task *t,
                       const sp_worker *w, int64_t rows, int64_t bytes,
                       const char *why);

/* Milliseconds until a tick is due (a TICK follows 200 ms without
 * events), or -1 without fn. */
int64_t sp_events_tick_due(const sp_events *e);

/* Sends a TICK when one is due. */
void sp_events_tick(sp_events *e);

void sp_events_release(sp_events *e);

#endif
