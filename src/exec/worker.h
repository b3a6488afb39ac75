/*
 * worker.h - the executor's main loop, the same in every transport.
 */
#ifndef SP_EXEC_WORKER_H
#define SP_EXEC_WORKER_H

#include <jansson.h>
#include <stdint.h>

#include "exec/task.h"

/* How a worker talks with its driver: a socket in local mode, MPI
 * messages under mpirun. recv returns SP_ENOENT when the driver ends the
 * conversation. */
typedef struct sp_channel {
  sp_status (*send)(void *ctx, const json_t *msg, sp_error **err);
  sp_status (*recv)(void *ctx, json_t **msg, sp_error **err);
  void *ctx;
} sp_channel;

typedef struct sp_worker_opts {
  int index;           /* 1, 2, ...: names the log and spill folders */
  const char *job_dir; /* the job folder */
  int threads;         /* DuckDB threads before the first task */
  int64_t memory;      /* DuckDB memory limit before the first task */
  int (*setup)(void *connection, void *arg); /* optional, see smallpond.h */
  void *setup_arg;
  sp_exec_env env;     /* what tasks may call */
  /* Optional: a file in the job folder the driver wrote, and its text. A
   * worker that cannot read the same text does not see the driver's file
   * system, and says so instead of starting. */
  const char *token_path;
  const char *token;
  /* The name of the host it runs on, as the transport knows it (MPI's
   * processor name); NULL: gethostname(). */
  const char *host;
  /* The transport sends heartbeats for it (said in its ready message). */
  int heartbeats;
} sp_worker_opts;

/* Serves task descriptors from ch until the driver ends the conversation.
 * It first checks the token, opens DuckDB, runs the setup function, and
 * sends {"ready": true, "host", "machine", "pid", "cpus", "memory",
 * "heartbeats"} (its
 * host's name; the machine's identity: $SP_HOST_ID, else the kernel's
 * boot id, which hosts sharing a name still differ in; its CPUs and bytes)
 * or {"ready": false, "error": "..."}; then runs each task
 * in DuckDB and sends back its result. Returns the process exit code: 0
 * after the driver ended the conversation, 1 when the worker stopped
 * partway (the conversation broke), 2 when it could not start (and said
 * why, if it could). */
int sp_worker_serve(const sp_channel *ch, const sp_worker_opts *opts);

/* A channel over a stream socket fd (ctx points to the int). */
sp_status sp_channel_fd_send(void *ctx, const json_t *msg, sp_error **err);
sp_status sp_channel_fd_recv(void *ctx, json_t **msg, sp_error **err);

#endif
