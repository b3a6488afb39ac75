/*
 * transport_local.h - worker processes on this machine, forked by the
 * driver and connected by socketpairs (the embedded default).
 *
 * Workers are forked, so they are copies of the program at that moment: C
 * callbacks it registered exist in them. Fork before the driver starts
 * threads of its own (DuckDB included). A worker that dies is replaced by
 * a fork made mid-job: the driver's own DuckDB instances (sp_take,
 * sp_from_arrow, reloads) are closed by then; an sp_to_arrow stream the
 * program still holds is the one case where DuckDB threads exist in the
 * driver at that fork.
 */
#ifndef SP_SCHED_TRANSPORT_LOCAL_H
#define SP_SCHED_TRANSPORT_LOCAL_H

#include <sys/types.h>

#include "exec/worker.h"
#include "smallpond.h"

typedef struct sp_worker {
  int index;  /* 1, 2, ... */
  pid_t pid;
  int fd;     /* the driver's end of the socketpair */
  long task;  /* index of the task it runs, or -1 when idle */
} sp_worker;

typedef struct sp_workers {
  sp_worker *items;
  int n;
} sp_workers;

/* Starts n workers serving with opts (index is set per worker). */
sp_status sp_workers_start(sp_workers *ws, int n, const sp_worker_opts *opts,
                           sp_error **err);

/* Starts a new process in the place of worker w, which has been reaped
 * (sp_worker_reap). The caller waits for its ready message. */
sp_status sp_worker_respawn(sp_worker *w, const sp_worker_opts *opts,
                            sp_error **err);

/* Closes every worker's stream and waits for it to exit. */
void sp_workers_stop(sp_workers *ws);

/* Kills every worker (SIGKILL), then stops them: for when they may be
 * stuck and waiting would not end. */
void sp_workers_kill(sp_workers *ws);

/* Reaps a worker whose stream ended and describes how it exited ("exit
 * code 1", "killed by signal 9") into buf. */
void sp_worker_reap(sp_worker *w, char *buf, size_t len);

#endif
