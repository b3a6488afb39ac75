/*
 * worker.h - the executor's main loop, the same in every transport.
 */
#ifndef SP_EXEC_WORKER_H
#define SP_EXEC_WORKER_H

#include <stdint.h>

#include "exec/task.h"

typedef struct sp_worker_opts {
  int index;           /* 1, 2, ...: names the log and spill folders */
  const char *job_dir; /* the job folder */
  int threads;         /* DuckDB threads before the first task */
  int64_t memory;      /* DuckDB memory limit before the first task */
  int (*setup)(void *connection, void *arg); /* optional, see smallpond.h */
  void *setup_arg;
  sp_exec_env env;     /* what tasks may call */
} sp_worker_opts;

/* Serves task descriptors from fd until the driver closes it. It first
 * opens DuckDB, runs the setup function, and sends {"ready": true} or
 * {"ready": false, "error": "..."}; then runs each task in DuckDB and sends
 * back its result. Returns the process exit code: 0 after the driver
 * closed the stream, 1 when the worker could not go on. */
int sp_worker_serve(int fd, const sp_worker_opts *opts);

#endif
