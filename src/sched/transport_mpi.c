/*
 * transport_mpi.c - rank 0 drives, ranks 1..N-1 serve (see transport.h).
 *
 * DESIGN. Every message is one JSON document sent as MPI_CHAR, its tag
 * saying what it is: HELLO (the job folder and settings, once), TASK,
 * RESULT (also the ready message), STOP (empty). Waiting is MPI_Iprobe
 * with a short sleep that grows to 1 ms, not a blocking MPI_Recv: Open
 * MPI's blocking calls spin, and an idle rank must not take a core from
 * the ranks running DuckDB on the same machine.
 */
#include "sched/transport_mpi.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"
#include "util/clock.h"
#include "util/error.h"

enum { TAG_HELLO = 1, TAG_TASK = 2, TAG_RESULT = 3, TAG_STOP = 4 };

int sp_mpi_available(void) { return 1; }

static sp_status mpi_error(sp_error **err, int rc, const char *what)
{
  char text[MPI_MAX_ERROR_STRING] = "";
  int len = 0;

  MPI_Error_string(rc, text, &len);
  return sp_error_set(err, SP_EWORKER, "MPI: %s: %s", what, text);
}

sp_status sp_mpi_start(int *rank, int *size, int *owned, sp_error **err)
{
  int inited = 0, finalized = 0, provided, rc;

  *owned = 0;
  MPI_Finalized(&finalized);
  if (finalized)
    return sp_error_set(err, SP_EINVAL, "sp_init: MPI was finalized by an "
                        "earlier session; under mpirun a program runs one "
                        "session");
  MPI_Initialized(&inited);
  if (!inited) {
    rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS)
      return mpi_error(err, rc, "MPI_Init_thread");
    *owned = 1;
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  return SP_OK;
}

static sp_status send_json(int rank, int tag, const json_t *msg,
                           sp_error **err)
{
  char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  size_t len = text ? strlen(text) : 0;
  int rc;

  if (msg && !text)
    return sp_error_oom(err);
  if (len > (size_t)0x7fffffff) {
    free(text);
    return sp_error_set(err, SP_EINVAL, "MPI: a message of %zu bytes is "
                        "too long", len);
  }
  rc = MPI_Send(text ? text : "", (int)len, MPI_CHAR, rank, tag,
                MPI_COMM_WORLD);
  free(text); /* from jansson */
  return rc == MPI_SUCCESS ? SP_OK : mpi_error(err, rc, "MPI_Send");
}

/* Receives the message that *status describes. */
static sp_status recv_json(MPI_Status *status, json_t **out, sp_error **err)
{
  json_error_t jerr;
  char *text;
  int len = 0, rc;

  *out = NULL;
  MPI_Get_count(status, MPI_CHAR, &len);
  if (!(text = sp_malloc((size_t)len + 1)))
    return sp_error_oom(err);
  rc = MPI_Recv(text, len, MPI_CHAR, status->MPI_SOURCE, status->MPI_TAG,
                MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  if (rc != MPI_SUCCESS) {
    sp_free(text);
    return mpi_error(err, rc, "MPI_Recv");
  }
  if (status->MPI_TAG == TAG_STOP) {
    sp_free(text);
    return SP_ENOENT;
  }
  *out = json_loadb(text, (size_t)len, 0, &jerr);
  sp_free(text);
  if (!*out)
    return sp_error_set(err, SP_EWORKER, "MPI: a malformed message from "
                        "rank %d: %s", status->MPI_SOURCE, jerr.text);
  return SP_OK;
}

/* Sleeps a little longer each time, up to 1 ms. */
static void backoff(long *ns)
{
  struct timespec ts = {0, *ns};

  nanosleep(&ts, NULL);
  if (*ns < 1000 * 1000)
    *ns *= 2;
}

sp_status sp_mpi_send(sp_worker *w, const json_t *msg, sp_error **err)
{
  return send_json(w->index, TAG_TASK, msg, err);
}

sp_status sp_mpi_recv(sp_worker *w, json_t **msg, sp_error **err)
{
  MPI_Status status;
  int rc = MPI_Probe(w->index, TAG_RESULT, MPI_COMM_WORLD, &status);

  if (rc != MPI_SUCCESS)
    return mpi_error(err, rc, "MPI_Probe");
  return recv_json(&status, msg, err);
}

int sp_mpi_poll(sp_workers *ws, const unsigned char *watch,
                unsigned char *ready, int timeout_ms, sp_error **err)
{
  int64_t until = timeout_ms < 0 ? -1 : sp_clock_ms() + timeout_ms;
  long pause = 20 * 1000;
  int i, n, flag, rc;

  for (;;) {
    for (i = 0, n = 0; i < ws->n; i++) {
      ready[i] = 0;
      if (!watch[i])
        continue;
      rc = MPI_Iprobe(ws->items[i].index, TAG_RESULT, MPI_COMM_WORLD, &flag,
                      MPI_STATUS_IGNORE);
      if (rc != MPI_SUCCESS) {
        mpi_error(err, rc, "MPI_Iprobe");
        return -1;
      }
      ready[i] = flag != 0;
      n += flag != 0;
    }
    if (n > 0 || (until >= 0 && sp_clock_ms() >= until))
      return n;
    backoff(&pause);
  }
}

sp_status sp_workers_start_mpi(sp_workers *ws, const sp_worker_opts *opts,
                               sp_error **err)
{
  json_t *hello = NULL;
  sp_status st = SP_OK;
  int size = 0, i;

  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ws->mpi = 1;
  ws->n = 0;
  if (size < 2)
    return sp_error_set(err, SP_EINVAL, "mpirun started one rank: rank 0 "
                        "drives and runs no tasks, so start at least two "
                        "(mpirun -np 2 or more)");
  if (!(ws->items = sp_calloc((size_t)size - 1, sizeof(*ws->items))))
    return sp_error_oom(err);
  for (i = 1; i < size && st == SP_OK; i++) {
    sp_worker *w = &ws->items[i - 1];
    w->index = i;
    w->live = 1;
    w->fd = -1;
    w->task = -1;
    ws->n++;
    hello = json_pack("{s:s, s:i, s:i, s:I, s:f, s:i, s:i, s:s?, s:s?}",
                      "job_dir", opts->job_dir, "index", i, "threads",
                      opts->threads, "memory", (json_int_t)opts->memory,
                      "fault_rate", opts->env.fault_rate, "slow_partition",
                      opts->env.slow_partition, "slow_ms", opts->env.slow_ms,
                      "token_path", opts->token_path, "token", opts->token);
    st = hello ? send_json(i, TAG_HELLO, hello, err) : sp_error_oom(err);
    json_decref(hello);
  }
  return st;
}

void sp_mpi_stop(sp_workers *ws)
{
  int size = 0, i;

  if (ws->mpi_stopped)
    return;
  ws->mpi_stopped = 1;
  for (i = 0; i < ws->n; i++)
    ws->mpi_stuck += ws->items[i].task >= 0;
  /* Every rank but 0 serves, whether the job got as far as saying hello
   * or not. */
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (i = 1; i < size; i++)
    send_json(i, TAG_STOP, NULL, NULL);
  /* A rank that never answered would keep MPI_Finalize waiting: leave it
   * to mpirun, which ends the job when this process exits without. */
  if (ws->mpi_owned && !ws->mpi_stuck)
    MPI_Finalize();
}

/* A worker rank's side of the conversation with rank 0. */
static sp_status rank_recv(void *ctx, json_t **msg, sp_error **err)
{
  MPI_Status status;
  long pause = 20 * 1000;
  int flag = 0, rc;

  (void)ctx;
  for (;;) {
    rc = MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
    if (rc != MPI_SUCCESS)
      return mpi_error(err, rc, "MPI_Iprobe");
    if (flag)
      return recv_json(&status, msg, err);
    backoff(&pause);
  }
}

static sp_status rank_send(void *ctx, const json_t *msg, sp_error **err)
{
  (void)ctx;
  return send_json(0, TAG_RESULT, msg, err);
}

/* Reads the driver's settings from hello into opts (strings borrowed from
 * it), checked: 0, or -1 when any is missing or out of range. */
static int hello_opts(json_t *hello, sp_worker_opts *opts)
{
  json_int_t memory = 0;

  opts->token_path = opts->token = NULL;
  if (json_unpack(hello, "{s:s, s:i, s:i, s:I, s:F, s:i, s:i, s?s, s?s}",
                  "job_dir", &opts->job_dir, "index", &opts->index,
                  "threads", &opts->threads, "memory", &memory,
                  "fault_rate", &opts->env.fault_rate, "slow_partition",
                  &opts->env.slow_partition, "slow_ms", &opts->env.slow_ms,
                  "token_path", &opts->token_path, "token", &opts->token))
    return -1;
  opts->memory = memory;
  return opts->index < 1 || opts->threads < 0 || opts->memory < 0 ||
                 !(opts->env.fault_rate >= 0 && opts->env.fault_rate < 1) ||
                 (!opts->token_path != !opts->token)
             ? -1
             : 0;
}

int sp_mpi_serve(const sp_worker_opts *base, int owned)
{
  sp_channel ch = {rank_send, rank_recv, NULL};
  sp_worker_opts opts = *base;
  json_t *hello = NULL;
  sp_error *err = NULL;
  int code = 1;

  /* The first message is the job's settings, or STOP when the driver
   * could not open the job. */
  switch (rank_recv(NULL, &hello, &err)) {
  case SP_OK:
    if (hello_opts(hello, &opts) == 0) {
      code = sp_worker_serve(&ch, &opts);
    } else {
      json_t *no = json_pack("{s:b, s:s}", "ready", 0, "error", "malformed "
                             "settings from the driver");
      if (no)
        rank_send(NULL, no, NULL);
      json_decref(no);
      code = 2;
    }
    /* A rank that could not start said why; the driver reports it and
     * stops us. Leaving first would make mpirun kill the driver. */
    if (code == 2) {
      json_t *more = NULL;
      while (rank_recv(NULL, &more, NULL) == SP_OK)
        json_decref(more);
      code = 0;
    }
    /* One that stopped partway would leave the driver waiting for its
     * result: end the whole job, as a dead rank does; a rerun resumes. */
    if (code == 1)
      MPI_Abort(MPI_COMM_WORLD, 1);
    break;
  case SP_ENOENT:
    code = 0;
    break;
  default:
    break;
  }
  json_decref(hello);
  sp_error_free(&err);
  /* Also when the program initialized MPI: sp_init does not return here,
   * so the program never gets to finalize it. */
  (void)owned;
  MPI_Finalize();
  return code;
}
