/*
 * transport.h - the driver's side of its workers: start them, send them
 * tasks, wait for and read their results, stop them.
 *
 * Two transports stand behind one set of calls:
 * - local (the embedded default): worker processes forked by the driver
 *   and connected by socketpairs. Forked workers are copies of the program
 *   at that moment, so C callbacks it registered exist in them. Fork
 *   before the driver starts threads of its own (DuckDB included). A
 *   worker that dies is replaced by a fork made mid-job: the driver's own
 *   DuckDB instances (sp_take, sp_from_arrow, reloads) are closed by then;
 *   an sp_to_arrow stream the program still holds is the one case where
 *   DuckDB threads exist in the driver at that fork.
 * - MPI: under mpirun, rank 0 drives and every other rank is a worker
 *   (sp_mpi_serve). MPI is called from the driver's thread only. Each rank
 *   also sends a heartbeat every heartbeat_ms from a thread of its own; a
 *   rank not heard from for the host timeout is lost (its host is down or
 *   cut off, or it died while mpirun --enable-recovery kept the job): out
 *   of service for good. MPI_Finalize waits for every rank, so when one
 *   is lost (or stuck in an attempt) no rank finalizes: the driver tells
 *   the others to leave without, and all exit. Recovery is a rerun, which
 *   resumes.
 */
#ifndef SP_SCHED_TRANSPORT_H
#define SP_SCHED_TRANSPORT_H

#include <jansson.h>
#include <sys/types.h>

#include "exec/worker.h"
#include "smallpond.h"
#include "util/buf.h"

typedef struct sp_worker {
  int index;       /* 1, 2, ...; under MPI its rank */
  int live;        /* it may be sent tasks */
  pid_t pid;       /* local: its process, 0 once reaped */
  int fd;          /* local: the driver's end of the socketpair */
  int host;        /* index into sp_workers.hosts */
  /* The attempt it runs, for the scheduler: */
  long task;       /* the task's index, or -1 when idle */
  char key[17];    /* its key and attempt: where it writes */
  int attempt;
  int64_t started_ms;   /* wall clock, for log/tasks.csv */
  int64_t started_mono; /* monotonic, for timeouts and stragglers */
  int cpus_held;   /* what it holds of its host's capacity */
  int64_t memory_held;
  int cancelled;   /* another attempt of its task won */
  int timed_out;   /* stopped for running past its task timeout: a local
                      worker killed; an MPI rank, which cannot be, is out
                      of service until its result comes, which is then
                      dropped (its attempt no longer counts as running) */
  int64_t heard_ms; /* MPI: monotonic time of its last message or
                       heartbeat */
  int beats;       /* MPI: it sends heartbeats (its ready message says) */
  int lost;        /* MPI: not heard from for the host timeout */
  char name[64];   /* the host it runs on, as it named it */
} sp_worker;

/* A machine the workers run on, and what its tasks may use at once. */
typedef struct sp_host {
  char *name;      /* its identity: $SP_HOST_ID, or the kernel's boot id,
                      or else its name */
  int cpus;        /* capacity: DuckDB threads of the tasks running */
  int64_t memory;  /* capacity: their memory limits */
  int cpus_used;
  int64_t memory_used;
} sp_host;

typedef struct sp_workers {
  sp_worker *items;
  int n;
  sp_host *hosts;  /* filled from the workers' ready messages */
  int nhosts;
  int mpi;         /* 1: the MPI transport */
  int mpi_owned;   /* we initialized MPI, so we finalize it */
  int mpi_stopped; /* the ranks were told to stop */
  int mpi_stuck;   /* ranks that still ran an attempt when told to stop
                      (stopped at a task timeout, no answer): MPI is then
                      not finalized, and mpirun ends the job */
  int mpi_lost;    /* ranks lost: likewise */
  int heartbeat_ms; /* MPI: how often ranks send a heartbeat; 0: never */
} sp_workers;

/* Starts n local workers serving with opts (index is set per worker). */
sp_status sp_workers_start(sp_workers *ws, int n, const sp_worker_opts *opts,
                           sp_error **err);

/* Takes the ranks 1..size-1 of an MPI job as workers: sends each the job
 * folder, its settings and the token to check (see sp_worker_opts). */
sp_status sp_workers_start_mpi(sp_workers *ws, const sp_worker_opts *opts,
                               sp_error **err);

/* Starts a new local process in the place of worker w, which has been
 * reaped (sp_worker_reap). The caller waits for its ready message. */
sp_status sp_worker_respawn(sp_workers *ws, sp_worker *w,
                            const sp_worker_opts *opts, sp_error **err);

/* Sends msg to w. */
sp_status sp_worker_send(sp_workers *ws, sp_worker *w, const json_t *msg,
                         sp_error **err);

/* Reads the message w sent (one sp_workers_poll said is there). SP_ENOENT:
 * the worker is gone. */
sp_status sp_worker_recv(sp_workers *ws, sp_worker *w, json_t **msg,
                         sp_error **err);

/* Waits up to timeout_ms (-1: no limit) until one of the workers with
 * watch[i] set has a message (or is gone), and sets ready[i] for each that
 * has. Returns how many, 0 on timeout, -1 on error (with err). */
int sp_workers_poll(sp_workers *ws, const unsigned char *watch,
                    unsigned char *ready, int timeout_ms, sp_error **err);

/* Ends every worker's conversation and waits for it to exit. */
void sp_workers_stop(sp_workers *ws);

/* Kills every local worker (SIGKILL), then stops them: for when they may
 * be stuck and waiting would not end. */
void sp_workers_kill(sp_workers *ws);

/* Kills local worker w (SIGKILL): its attempt is not wanted any more. */
void sp_worker_kill(sp_worker *w);

/* Reaps a worker whose stream ended and describes how it exited ("exit
 * code 1", "killed by signal 9") into buf. It is out of service. */
void sp_worker_reap(sp_workers *ws, sp_worker *w, char *buf, size_t len);

/* Records the machine a worker said it runs on (its ready message): its
 * identity (machine) and the host name it goes by (name). */
sp_status sp_workers_place(sp_workers *ws, sp_worker *w, const char *machine,
                           const char *name, int cpus, int64_t memory,
                           sp_error **err);

/* Appends "name ranks 1, 2; name ranks 3" (workers for local ones) to b:
 * where the workers run. */
void sp_workers_describe_hosts(const sp_workers *ws, sp_buf *b);

/* Marks MPI rank w lost: out of service for good; MPI will not be
 * finalized. */
void sp_worker_lose(sp_workers *ws, sp_worker *w);

/* 1 when this process was started by mpirun (an MPI launcher's
 * environment is set). */
int sp_mpi_launched(void);

/* 1 when this build has the MPI transport (transport_mpi.c), 0 when it has
 * transport_nompi.c in its place. */
int sp_mpi_available(void);

/* Initializes MPI unless the program did; *rank and *size of the world.
 * *owned: we initialized it (and finalize it in sp_workers_stop or after
 * sp_mpi_serve). */
sp_status sp_mpi_start(int *rank, int *size, int *owned, sp_error **err);

/* On a rank other than 0: waits for the driver's settings, serves its
 * tasks until it stops them, and finalizes MPI (owned or not: the program
 * does not get control back). base gives what the program set for itself
 * (setup, batch functions). Returns the exit code for the process; a rank
 * that breaks off partway aborts the MPI job instead. */
int sp_mpi_serve(const sp_worker_opts *base, int owned);

#endif
