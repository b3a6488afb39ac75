/*
 * transport_mpi.c - rank 0 drives, ranks 1..N-1 serve (see transport.h).
 *
 * DESIGN. Every message is one JSON document sent as MPI_CHAR, its tag
 * saying what it is: HELLO (the job folder and settings, once), TASK,
 * RESULT (also the ready message), STOP (empty), LEAVE (empty: stop and
 * exit without MPI_Finalize, which would wait forever for a lost or stuck
 * rank), HEARTBEAT (empty, from a rank's own thread every heartbeat_ms,
 * whatever its main thread does: the driver tells a busy rank from a lost
 * one by them). Waiting is
 * MPI_Iprobe with a short sleep that grows to 1 ms, not a blocking
 * MPI_Recv: Open MPI's blocking calls spin, and an idle rank must not take
 * a core from the ranks running DuckDB on the same machine. A rank's two
 * threads take turns at MPI under one mutex (MPI_THREAD_SERIALIZED).
 */
#include "sched/transport_mpi.h"

#include <mpi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"
#include "util/clock.h"
#include "util/error.h"

enum {
  TAG_HELLO = 1, TAG_TASK = 2, TAG_RESULT = 3, TAG_STOP = 4,
  TAG_HEARTBEAT = 5, TAG_LEAVE = 6
};

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
  if (status->MPI_TAG == TAG_STOP || status->MPI_TAG == TAG_LEAVE) {
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
  w->heard_ms = sp_clock_ms();
  return recv_json(&status, msg, err);
}

/* Takes every heartbeat that came, noting when each rank was heard. */
static int take_heartbeats(sp_workers *ws, sp_error **err)
{
  MPI_Status status;
  int flag = 1, rc;

  while (flag) {
    rc = MPI_Iprobe(MPI_ANY_SOURCE, TAG_HEARTBEAT, MPI_COMM_WORLD, &flag,
                    &status);
    if (rc == MPI_SUCCESS && flag)
      rc = MPI_Recv(NULL, 0, MPI_CHAR, status.MPI_SOURCE, TAG_HEARTBEAT,
                    MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) {
      mpi_error(err, rc, "heartbeat");
      return -1;
    }
    if (flag && status.MPI_SOURCE >= 1 && status.MPI_SOURCE <= ws->n)
      ws->items[status.MPI_SOURCE - 1].heard_ms = sp_clock_ms();
  }
  return 0;
}

int sp_mpi_poll(sp_workers *ws, const unsigned char *watch,
                unsigned char *ready, int timeout_ms, sp_error **err)
{
  int64_t until = timeout_ms < 0 ? -1 : sp_clock_ms() + timeout_ms;
  long pause = 20 * 1000;
  int i, n, flag, rc;

  for (;;) {
    if (ws->heartbeat_ms && take_heartbeats(ws, err) != 0)
      return -1;
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
    w->heard_ms = sp_clock_ms();
    ws->n++;
    hello = json_pack("{s:s, s:i, s:i, s:I, s:f, s:i, s:i, s:s?, s:s?, "
                      "s:i}",
                      "job_dir", opts->job_dir, "index", i, "threads",
                      opts->threads, "memory", (json_int_t)opts->memory,
                      "fault_rate", opts->env.fault_rate, "slow_partition",
                      opts->env.slow_partition, "slow_ms", opts->env.slow_ms,
                      "token_path", opts->token_path, "token", opts->token,
                      "heartbeat_ms", ws->heartbeat_ms);
    st = hello ? send_json(i, TAG_HELLO, hello, err) : sp_error_oom(err);
    json_decref(hello);
  }
  return st;
}

void sp_mpi_stop(sp_workers *ws)
{
  int size = 0, i, leave;

  if (ws->mpi_stopped)
    return;
  ws->mpi_stopped = 1;
  for (i = 0; i < ws->n; i++)
    ws->mpi_stuck += ws->items[i].task >= 0 && !ws->items[i].lost;
  /* MPI_Finalize waits for every rank: with one lost or stuck in an
   * attempt, every rank leaves without (under --enable-recovery mpirun
   * then ends as the last one exits; without, it ends the job). */
  leave = ws->mpi_stuck || ws->mpi_lost;
  /* Every rank but 0 serves, whether the job got as far as saying hello
   * or not; a lost one is not waited for. */
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (i = 1; i < size; i++)
    if (i > ws->n || !ws->items[i - 1].lost)
      send_json(i, leave ? TAG_LEAVE : TAG_STOP, NULL, NULL);
  if (ws->mpi_owned && !leave)
    MPI_Finalize();
}

/* A worker rank's side of the conversation with rank 0: its main thread
 * and its heartbeat thread take turns at MPI. */
typedef struct rank_link {
  pthread_mutex_t mpi;
  pthread_t thread;
  int beating;          /* the heartbeat thread runs */
  int heartbeat_ms;
  int leave;            /* told to exit without MPI_Finalize */
  _Atomic int stop;     /* tells the heartbeat thread to end */
} rank_link;

static sp_status rank_recv(void *ctx, json_t **msg, sp_error **err)
{
  rank_link *link = ctx;
  MPI_Status status;
  long pause = 20 * 1000;
  int flag = 0, rc;
  sp_status st = SP_OK;

  for (;;) {
    pthread_mutex_lock(&link->mpi);
    rc = MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
    if (rc != MPI_SUCCESS)
      st = mpi_error(err, rc, "MPI_Iprobe");
    else if (flag)
      st = recv_json(&status, msg, err);
    if (rc == MPI_SUCCESS && flag && status.MPI_TAG == TAG_LEAVE)
      link->leave = 1;
    pthread_mutex_unlock(&link->mpi);
    if (rc != MPI_SUCCESS || flag)
      break;
    backoff(&pause);
  }
  return st;
}

static sp_status rank_send(void *ctx, const json_t *msg, sp_error **err)
{
  rank_link *link = ctx;
  sp_status st;

  pthread_mutex_lock(&link->mpi);
  st = send_json(0, TAG_RESULT, msg, err);
  pthread_mutex_unlock(&link->mpi);
  return st;
}

/* Every heartbeat_ms, an empty message to rank 0, sent without waiting:
 * one still on its way is not followed by another. */
static void *heartbeat_main(void *arg)
{
  rank_link *link = arg;
  MPI_Request req = MPI_REQUEST_NULL;
  int64_t next = 0;
  int done;

  while (!link->stop) {
    struct timespec nap = {0, 20 * 1000 * 1000};
    if (sp_clock_ms() >= next) {
      pthread_mutex_lock(&link->mpi);
      done = 1;
      if (req != MPI_REQUEST_NULL)
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
      if (done)
        MPI_Isend(NULL, 0, MPI_CHAR, 0, TAG_HEARTBEAT, MPI_COMM_WORLD, &req);
      pthread_mutex_unlock(&link->mpi);
      next = sp_clock_ms() + link->heartbeat_ms;
    }
    nanosleep(&nap, NULL);
  }
  pthread_mutex_lock(&link->mpi);
  if (req != MPI_REQUEST_NULL)
    MPI_Request_free(&req); /* delivered or not, MPI_Finalize sees to it */
  pthread_mutex_unlock(&link->mpi);
  return NULL;
}

/* Starts the heartbeat thread when the driver asks for heartbeats and MPI
 * lets two threads take turns; 1 when it runs. */
static int start_heartbeats(rank_link *link, int heartbeat_ms)
{
  int level = MPI_THREAD_SINGLE;

  MPI_Query_thread(&level);
  if (heartbeat_ms <= 0 || level < MPI_THREAD_SERIALIZED)
    return 0;
  link->heartbeat_ms = heartbeat_ms;
  link->beating = pthread_create(&link->thread, NULL, heartbeat_main,
                                 link) == 0;
  return link->beating;
}

static void stop_heartbeats(rank_link *link)
{
  link->stop = 1;
  if (link->beating)
    pthread_join(link->thread, NULL);
  link->beating = 0;
}

/* Reads the driver's settings from hello into opts (strings borrowed from
 * it), checked: 0, or -1 when any is missing or out of range. */
static int hello_opts(json_t *hello, sp_worker_opts *opts, int *heartbeat_ms)
{
  json_int_t memory = 0;

  opts->token_path = opts->token = NULL;
  *heartbeat_ms = 0;
  if (json_unpack(hello, "{s:s, s:i, s:i, s:I, s:F, s:i, s:i, s?s, s?s, "
                  "s?i}",
                  "job_dir", &opts->job_dir, "index", &opts->index,
                  "threads", &opts->threads, "memory", &memory,
                  "fault_rate", &opts->env.fault_rate, "slow_partition",
                  &opts->env.slow_partition, "slow_ms", &opts->env.slow_ms,
                  "token_path", &opts->token_path, "token", &opts->token,
                  "heartbeat_ms", heartbeat_ms))
    return -1;
  opts->memory = memory;
  return opts->index < 1 || opts->threads < 0 || opts->memory < 0 ||
                 *heartbeat_ms < 0 ||
                 !(opts->env.fault_rate >= 0 && opts->env.fault_rate < 1) ||
                 (!opts->token_path != !opts->token)
             ? -1
             : 0;
}

int sp_mpi_serve(const sp_worker_opts *base, int owned)
{
  rank_link link = {.mpi = PTHREAD_MUTEX_INITIALIZER};
  sp_channel ch = {rank_send, rank_recv, &link};
  sp_worker_opts opts = *base;
  char host[MPI_MAX_PROCESSOR_NAME + 1] = "";
  json_t *hello = NULL;
  sp_error *err = NULL;
  int code = 1, len = 0, heartbeat_ms;

  /* Its host as MPI names it (Open MPI: the host name). */
  if (MPI_Get_processor_name(host, &len) == MPI_SUCCESS && len > 0)
    opts.host = host;
  /* The first message is the job's settings, or STOP when the driver
   * could not open the job. */
  switch (rank_recv(&link, &hello, &err)) {
  case SP_OK:
    if (hello_opts(hello, &opts, &heartbeat_ms) == 0) {
      opts.heartbeats = start_heartbeats(&link, heartbeat_ms);
      code = sp_worker_serve(&ch, &opts);
    } else {
      json_t *no = json_pack("{s:b, s:s}", "ready", 0, "error", "malformed "
                             "settings from the driver");
      if (no)
        rank_send(&link, no, NULL);
      json_decref(no);
      code = 2;
    }
    /* A rank that could not start said why; the driver reports it and
     * stops us. Leaving first would make mpirun kill the driver. */
    if (code == 2) {
      json_t *more = NULL;
      while (rank_recv(&link, &more, NULL) == SP_OK)
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
  stop_heartbeats(&link);
  json_decref(hello);
  sp_error_free(&err);
  /* Also when the program initialized MPI: sp_init does not return here,
   * so the program never gets to finalize it. */
  (void)owned;
  if (!link.leave)
    MPI_Finalize();
  return code;
}
