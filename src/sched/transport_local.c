/*
 * transport_local.c - forked worker processes, and the calls that pick the
 * transport (see transport.h; MPI is transport_mpi.c).
 */
#define _GNU_SOURCE /* close_range, prctl */
#include "sched/transport.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sched/transport_mpi.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/frame.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define SP_LEAK_CHECK() __lsan_do_leak_check()
#else
#define SP_LEAK_CHECK() ((void)0)
#endif

/* Keeps only stdin, stdout, stderr and the worker's socket (moved to fd
 * 3): the driver's other descriptors (other workers' sockets, other
 * sessions', the job's lock and state log, the program's own files) must
 * not stay open in a worker. */
static int keep_only_socket(int fd)
{
  long fd_max;
  int i;

  if (fd != 3) {
    if (dup2(fd, 3) < 0)
      return -1;
    fd = 3;
  }
  if (close_range(4, ~0U, 0) == 0)
    return fd;
  fd_max = sysconf(_SC_OPEN_MAX); /* kernels before 5.9 */
  for (i = 4; i < (fd_max > 0 && fd_max < 65536 ? fd_max : 65536); i++)
    close(i);
  return fd;
}

/* In the child: serve, then leave without running the program's atexit
 * handlers or flushing its stdio buffers, which belong to the parent. */
static void child_main(pid_t driver, int fd, const sp_worker_opts *opts)
{
  int code = 1;

  /* A worker never outlives its driver, killed or not. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != driver)
    _exit(1);
  if ((fd = keep_only_socket(fd)) >= 0) {
    sp_channel ch = {sp_channel_fd_send, sp_channel_fd_recv, &fd};
    code = sp_worker_serve(&ch, opts);
    close(fd);
  }
  SP_LEAK_CHECK();
  _exit(code);
}

/* Forks worker w (index) serving with opts. */
static sp_status spawn(sp_worker *w, int index, const sp_worker_opts *opts,
                       sp_error **err)
{
  sp_worker_opts o = *opts;
  pid_t pid, driver;
  int sv[2];

  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return sp_error_set(err, SP_EWORKER, "cannot create a socket for "
                        "worker %d: %s", index, strerror(errno));
  o.index = index;
  fflush(NULL); /* nothing buffered may be written twice */
  driver = getpid();
  pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return sp_error_set(err, SP_EWORKER, "cannot start worker %d: %s",
                        index, strerror(errno));
  }
  if (pid == 0)
    child_main(driver, sv[1], &o);
  close(sv[1]);
  w->index = index;
  w->live = 1;
  w->pid = pid;
  w->fd = sv[0];
  w->task = -1;
  return SP_OK;
}

sp_status sp_workers_start(sp_workers *ws, int n, const sp_worker_opts *opts,
                           sp_error **err)
{
  sp_status st;
  int i;

  ws->n = 0;
  if (!(ws->items = sp_calloc((size_t)n, sizeof(*ws->items))))
    return sp_error_oom(err);
  for (i = 0; i < n; i++) {
    if ((st = spawn(&ws->items[i], i + 1, opts, err)) != SP_OK) {
      sp_workers_stop(ws);
      return st;
    }
    ws->n++;
  }
  return SP_OK;
}

sp_status sp_worker_respawn(sp_workers *ws, sp_worker *w,
                            const sp_worker_opts *opts, sp_error **err)
{
  if (ws->mpi)
    return sp_error_set(err, SP_EWORKER, "MPI ranks are not replaced");
  if (w->fd >= 0 || w->pid > 0)
    return sp_error_set(err, SP_EINTERNAL, "worker %d is still running",
                        w->index);
  return spawn(w, w->index, opts, err);
}

void sp_worker_reap(sp_workers *ws, sp_worker *w, char *buf, size_t len)
{
  pid_t got = -1;
  int status = 0;

  w->live = 0;
  if (ws->mpi) {
    snprintf(buf, len, "a broken MPI conversation");
    return;
  }
  if (w->fd >= 0)
    close(w->fd);
  w->fd = -1;
  if (w->pid > 0)
    do
      got = waitpid(w->pid, &status, 0);
    while (got < 0 && errno == EINTR);
  if (got != w->pid || w->pid <= 0)
    snprintf(buf, len, "an unknown status");
  else if (WIFSIGNALED(status))
    snprintf(buf, len, "signal %d (%s)", WTERMSIG(status),
             strsignal(WTERMSIG(status)));
  else
    snprintf(buf, len, "exit code %d", WEXITSTATUS(status));
  w->pid = 0;
}

void sp_worker_kill(sp_worker *w)
{
  if (w->pid > 0)
    kill(w->pid, SIGKILL);
}

void sp_workers_kill(sp_workers *ws)
{
  int i;

  for (i = 0; i < ws->n; i++)
    sp_worker_kill(&ws->items[i]);
  sp_workers_stop(ws);
}

static void release_hosts(sp_workers *ws)
{
  int i;

  for (i = 0; i < ws->nhosts; i++)
    sp_free(ws->hosts[i].name);
  sp_free(ws->hosts);
  ws->hosts = NULL;
  ws->nhosts = 0;
}

void sp_workers_stop(sp_workers *ws)
{
  int i;

  release_hosts(ws);
  if (ws->mpi) {
    sp_mpi_stop(ws);
    sp_free(ws->items);
    ws->items = NULL;
    ws->n = 0;
    return;
  }

  for (i = 0; i < ws->n; i++)
    if (ws->items[i].fd >= 0) {
      close(ws->items[i].fd);
      ws->items[i].fd = -1;
    }
  for (i = 0; i < ws->n; i++)
    if (ws->items[i].pid > 0) {
      while (waitpid(ws->items[i].pid, NULL, 0) < 0 && errno == EINTR)
        ;
      ws->items[i].pid = 0;
    }
  sp_free(ws->items);
  ws->items = NULL;
  ws->n = 0;
}

sp_status sp_worker_send(sp_workers *ws, sp_worker *w, const json_t *msg,
                         sp_error **err)
{
  return ws->mpi ? sp_mpi_send(w, msg, err)
                 : sp_frame_send_json(w->fd, msg, err);
}

sp_status sp_worker_recv(sp_workers *ws, sp_worker *w, json_t **msg,
                         sp_error **err)
{
  return ws->mpi ? sp_mpi_recv(w, msg, err)
                 : sp_frame_recv_json(w->fd, msg, err);
}

int sp_workers_poll(sp_workers *ws, const unsigned char *watch,
                    unsigned char *ready, int timeout_ms, sp_error **err)
{
  struct pollfd *fds;
  int n = 0, i, k, rc;

  if (ws->mpi)
    return sp_mpi_poll(ws, watch, ready, timeout_ms, err);
  if (!(fds = sp_calloc((size_t)ws->n + 1, sizeof(*fds)))) {
    sp_error_oom(err);
    return -1;
  }
  for (i = 0; i < ws->n; i++) {
    ready[i] = 0;
    if (watch[i] && ws->items[i].fd >= 0) {
      fds[n].fd = ws->items[i].fd;
      fds[n++].events = POLLIN;
    }
  }
  do
    rc = poll(fds, (nfds_t)n, timeout_ms);
  while (rc < 0 && errno == EINTR);
  if (rc < 0)
    sp_error_set(err, SP_EWORKER, "poll: %s", strerror(errno));
  for (i = 0, k = 0; rc > 0 && i < ws->n; i++)
    if (watch[i] && ws->items[i].fd >= 0)
      ready[i] = (fds[k++].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  sp_free(fds);
  return rc;
}

sp_status sp_workers_place(sp_workers *ws, sp_worker *w, const char *machine,
                           const char *name, int cpus, int64_t memory,
                           sp_error **err)
{
  size_t cap = (size_t)ws->nhosts;
  sp_host *h;
  int i;

  snprintf(w->name, sizeof(w->name), "%s", name);
  for (i = 0; i < ws->nhosts; i++)
    if (strcmp(ws->hosts[i].name, machine) == 0) {
      w->host = i;
      return SP_OK;
    }
  if (sp_grow((void **)&ws->hosts, &cap, cap + 1, sizeof(*ws->hosts)))
    return sp_error_oom(err);
  h = &ws->hosts[ws->nhosts];
  memset(h, 0, sizeof(*h));
  if (!(h->name = sp_strdup(machine)))
    return sp_error_oom(err);
  h->cpus = cpus > 0 ? cpus : 1;
  h->memory = memory;
  w->host = ws->nhosts++;
  return SP_OK;
}

void sp_workers_describe_hosts(const sp_workers *ws, sp_buf *b)
{
  int i, j, first;

  for (i = 0; i < ws->n; i++) {
    /* Each name once, at its first worker. */
    for (j = 0; j < i && strcmp(ws->items[j].name, ws->items[i].name); j++)
      ;
    if (j < i)
      continue;
    sp_buf_appendf(b, "%s%s %s", i ? "; " : "", ws->items[i].name,
                   ws->mpi ? "ranks" : "workers");
    for (j = i, first = 1; j < ws->n; j++)
      if (strcmp(ws->items[j].name, ws->items[i].name) == 0) {
        sp_buf_appendf(b, "%s%d", first ? " " : ", ", ws->items[j].index);
        first = 0;
      }
  }
}

void sp_worker_lose(sp_workers *ws, sp_worker *w)
{
  if (w->lost)
    return;
  w->lost = 1;
  w->live = 0;
  ws->mpi_lost++;
}

/* The launcher's environment, with or without MPI in this build: a
 * build without it must refuse to run under mpirun, not run N drivers. */
int sp_mpi_launched(void)
{
  static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                     "PMIX_RANK"};
  size_t i;

  for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
    if (getenv(vars[i]) && *getenv(vars[i]))
      return 1;
  return 0;
}
