/*
 * job.h - one job: the driver's state for a session (DESIGN.md section 6).
 *
 * The job is the only mutable state of the driver. It owns the job folder,
 * the driver log, the state log and its resume map, the workers, and what
 * is known about every planned task: done or not, and its outputs.
 */
#ifndef SP_SCHED_JOB_H
#define SP_SCHED_JOB_H

#include <jansson.h>
#include <stdint.h>

#include "io/layout.h"
#include "plan/graph.h"
#include "sched/transport.h"
#include "util/log.h"

typedef struct sp_task_state {
  int done;
  sp_dataset *outputs; /* noutputs datasets once done */
  int noutputs;
  int64_t rows;        /* rows written, or counted by a COUNT task */
  int attempts;        /* attempts started in this session */
  int running;         /* attempts out at workers now */
  int speculated;      /* a duplicate attempt was started */
  int64_t memory;      /* the memory limit of its next attempt; 0: the
                          task's own (raised after running out) */
  int64_t rows_in, bytes_in; /* what it reads, for log/tasks.csv */
} sp_task_state;

typedef struct sp_job_config {
  const char *data_root;
  const char *job_id;
  int workers;
  int task_threads;
  int64_t task_memory;
  int (*duckdb_setup)(void *connection, void *arg);
  void *duckdb_setup_arg;
  const sp_batch_function *batch_functions; /* borrowed */
  size_t nbatch_functions;
  int max_attempts;        /* attempts per task before the job fails */
  double fault_rate;       /* SP_FAULT_INJECTION, 0 for none */
  sp_event_fn on_event;    /* told of runs, stages and attempts */
  void *on_event_arg;
  int speculation;         /* duplicate attempts of stragglers */
  int64_t task_timeout_ms; /* an attempt running longer fails; 0: none */
  int keep_intermediate;   /* keep data/ and the rest after success */
  int64_t host_timeout_ms; /* MPI: a rank silent this long is lost; 0:
                              never */
  int slow_partition;      /* SP_FAULT_SLOW: first attempts of this */
  int slow_ms;             /* partition sleep this long first */
  int mpi;                 /* the workers are the other MPI ranks */
  int mpi_owned;           /* smallpond initialized MPI */
} sp_job_config;

typedef struct sp_job {
  sp_layout layout;
  char *job_id;
  sp_log log;             /* log/driver.log */
  int state_fd;           /* state.jsonl, O_APPEND */
  int attempts_fd;        /* log/tasks.csv, O_APPEND; -1 without */
  json_t *finished;       /* key -> state line, from earlier runs */
  sp_task_state *tasks;   /* by task index */
  size_t ntasks;
  sp_workers workers;
  sp_worker_opts wopts;   /* how workers start, to replace a dead one */
  int task_threads;
  int64_t task_memory;
  int64_t max_memory;     /* what a retried task may raise its limit to:
                             the largest host's memory */
  int max_attempts;
  sp_event_fn on_event;   /* told of runs, stages and attempts */
  void *on_event_arg;
  int speculation;        /* duplicate attempts of stragglers */
  int64_t task_timeout_ms; /* an attempt running longer fails; 0: none */
  int runs;               /* sp_job_run calls so far */
  int unfinished;         /* the status file says "running" */
  int failed;             /* a run of this session failed */
  int keep_intermediate;  /* keep data/ and the rest after success */
  int64_t host_timeout_ms; /* MPI: a rank silent this long is lost */
} sp_job;

/* Appends dir, a folder the job's results were just published into, to
 * the job folder's list of its outputs (io/layout.h). Errors are ignored:
 * the list is for people. */
void sp_job_note_output(sp_job *job, const char *dir);

/* Creates the job folder (or reopens it), locks it against a second
 * driver, opens the logs, reads state.jsonl, and forks the workers. */
sp_status sp_job_open(sp_job *job, const sp_job_config *cfg, sp_error **err);

/* Starts a new worker in the place of w, which died and was reaped, and
 * waits until it is ready. Forks the driver: see transport.h. */
sp_status sp_job_replace_worker(sp_job *job, sp_worker *w, sp_error **err);

/* Stops the workers and frees everything. A job
 * folder that this session created and never ran anything in is removed:
 * bad input found before the first run leaves nothing behind. */
void sp_job_close(sp_job *job);

/* Runs every task that targets need and that is not done yet, dispatching
 * to the workers; writes plan.json first. Tasks finished in an earlier run
 * with the same job id (per state.jsonl, their files present) are skipped.
 * The status file says "running" from the start; a run that fails ends it
 * (sp_job_finish), one that succeeds leaves that to the caller, which may
 * have more to do (publishing the output). */
sp_status sp_job_run(sp_job *job, const sp_graph *g, const sp_plan *plan,
                     sp_task *const *targets, size_t ntargets,
                     sp_error **err);

/* The outputs of a finished task, or NULL when it is not done. */
const sp_task_state *sp_job_task(const sp_job *job, const sp_task *t);

/* Concatenates the outputs that `in` refers to into *out (zeroed by the
 * caller). Every referenced task must be done. */
sp_status sp_job_resolve(const sp_job *job, const sp_task_input *in,
                         sp_dataset *out, sp_error **err);

/* Ends what a consumer did since sp_job_run began: logs the error and
 * writes "failure" with its message when st is not SP_OK, else empties
 * staging/ and writes "success". Does nothing when no run is unfinished.
 * Returns st. */
sp_status sp_job_finish(sp_job *job, sp_status st, sp_error **err);

/* Writes the status file: "<word> <UTC time>[: <message>]". A run writes
 * "running" when it starts and sp_job_finish "success" or "failure"; a
 * driver that died before the end leaves "running". */
void sp_job_set_status(sp_job *job, const char *word, const char *message);

#endif
