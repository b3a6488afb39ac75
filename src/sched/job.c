/*
 * job.c - the job object (see job.h); the scheduler loop is scheduler.c.
 */
#include "sched/job.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/fs.h"
#include "io/jsonl.h"
#include "sched/attempts.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/frame.h"

static sp_status remember_line(json_t *line, void *arg, sp_error **err)
{
  json_t *finished = arg;
  const char *key = json_string_value(json_object_get(line, "key"));

  if (key && json_object_set(finished, key, line))
    return sp_error_oom(err);
  return SP_OK;
}

/* A driver killed mid-append leaves a last line without its newline; end
 * it, so that the next record starts on a line of its own. */
static sp_status end_last_line(int fd, const char *path, sp_error **err)
{
  struct stat sb;
  char last;

  if (fstat(fd, &sb) != 0 || sb.st_size == 0)
    return SP_OK;
  if (pread(fd, &last, 1, sb.st_size - 1) != 1)
    return sp_error_set(err, SP_EIO, "cannot read %s: %s", path,
                        strerror(errno));
  if (last != '\n' && write(fd, "\n", 1) != 1)
    return sp_error_set(err, SP_EIO, "cannot write %s: %s", path,
                        strerror(errno));
  return SP_OK;
}

/* 1 once fd's exclusive lock is ours. A few tries over 0.2 s: `smallpond
 * status` holds a shared lock for an instant to see if a driver runs. */
static int take_lock(int fd)
{
  struct timespec pause = {0, 10 * 1000 * 1000};
  int i;

  for (i = 0; i < 20; i++) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
      return 1;
    if (errno != EWOULDBLOCK)
      return 0;
    nanosleep(&pause, NULL);
  }
  return 0;
}

/* Takes the job's lock file, so two drivers never run one job at once. */
static sp_status lock_job(sp_job *job, sp_error **err)
{
  sp_buf path = SP_BUF_INIT;
  char pid[32], owner[32] = "";
  sp_status st = SP_OK;
  ssize_t n;

  sp_layout_file(&job->layout, &path, "lock");
  if (sp_buf_oom(&path))
    return sp_error_oom(err);
  job->lock_fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (job->lock_fd < 0) {
    st = sp_error_set(err, SP_EIO, "cannot open %s: %s", path.data,
                      strerror(errno));
  } else if (!take_lock(job->lock_fd)) {
    n = pread(job->lock_fd, owner, sizeof(owner) - 1, 0);
    owner[n > 0 ? n : 0] = '\0';
    owner[strcspn(owner, "\n")] = '\0';
    st = sp_error_set(err, SP_EEXIST, "job %s is in use by another driver "
                      "(pid %s)", job->job_id, *owner ? owner : "unknown");
  } else {
    snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (ftruncate(job->lock_fd, 0) != 0 ||
        pwrite(job->lock_fd, pid, strlen(pid), 0) < 0)
      st = sp_error_set(err, SP_EIO, "cannot write %s: %s", path.data,
                        strerror(errno));
  }
  sp_buf_release(&path);
  return st;
}

int sp_job_driver_pid(const char *job_dir)
{
  char path[4096], owner[32] = "";
  int fd, pid = 0;
  ssize_t n;

  snprintf(path, sizeof(path), "%s/lock", job_dir);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    return 0;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    n = pread(fd, owner, sizeof(owner) - 1, 0);
    owner[n > 0 ? n : 0] = '\0';
    pid = atoi(owner) > 0 ? atoi(owner) : -1;
  }
  close(fd); /* drops a shared lock taken */
  return pid;
}

static sp_status load_state(sp_job *job, sp_error **err)
{
  sp_buf path = SP_BUF_INIT;
  size_t skipped = 0;
  sp_status st;

  if (!(job->finished = json_object()))
    return sp_error_oom(err);
  sp_layout_file(&job->layout, &path, "state.jsonl");
  if (sp_buf_oom(&path))
    return sp_error_oom(err);
  st = sp_jsonl_load(path.data, remember_line, job->finished, &skipped, err);
  if (st == SP_OK) {
    job->state_fd = open(path.data, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
                         0666);
    if (job->state_fd < 0)
      st = sp_error_set(err, SP_EIO, "cannot open %s: %s", path.data,
                        strerror(errno));
  }
  if (st == SP_OK)
    st = end_last_line(job->state_fd, path.data, err);
  if (st == SP_OK && json_object_size(job->finished))
    SP_LOG(&job->log, SP_LOG_INFO, "state.jsonl lists %zu finished tasks "
           "(%zu unreadable lines skipped)", json_object_size(job->finished),
           skipped);
  sp_buf_release(&path);
  return st;
}

void sp_job_set_status(sp_job *job, const char *word, const char *message)
{
  sp_buf path = SP_BUF_INIT, text = SP_BUF_INIT;
  char when[32];
  struct tm tm;
  time_t now = time(NULL);

  gmtime_r(&now, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  sp_buf_appendf(&text, "%s %s%s%s\n", word, when, message ? ": " : "",
                 message ? message : "");
  sp_layout_file(&job->layout, &path, "status");
  if (!sp_buf_oom(&path) && !sp_buf_oom(&text))
    sp_write_file_atomic(path.data, text.data, text.len, NULL);
  sp_buf_release(&path);
  sp_buf_release(&text);
}

/* How long sp_init waits for a worker to open DuckDB and run the
 * program's duckdb_setup. */
#define READY_TIMEOUT_MS (120 * 1000)

/* Waits for worker w's ready message. */
static sp_status await_worker(sp_worker *w, sp_error **err)
{
  struct pollfd pfd = {w->fd, POLLIN, 0};
  sp_error *why = NULL;
  json_t *msg = NULL;
  const char *reason;
  sp_status st;
  char how[64];
  int rc;

  do
    rc = poll(&pfd, 1, READY_TIMEOUT_MS);
  while (rc < 0 && errno == EINTR);
  if (rc == 0)
    return sp_error_set(err, SP_EWORKER, "worker %d did not start within "
                        "%d s (a duckdb_setup function that does not "
                        "return?)", w->index, READY_TIMEOUT_MS / 1000);
  st = sp_frame_recv_json(w->fd, &msg, &why);
  if (st == SP_OK && json_is_true(json_object_get(msg, "ready"))) {
    json_decref(msg);
    return SP_OK;
  }
  reason = json_string_value(json_object_get(msg, "error"));
  if (st == SP_OK) {
    st = sp_error_set(err, SP_EWORKER, "worker %d could not start: %s",
                      w->index, reason ? reason : "no reason given");
  } else if (st == SP_ENOENT) {
    sp_worker_reap(w, how, sizeof(how));
    st = sp_error_set(err, SP_EWORKER, "worker %d could not start: it "
                      "ended with %s", w->index, how);
  } else {
    st = sp_error_set(err, SP_EWORKER, "worker %d could not start: %s",
                      w->index, sp_error_message(why));
  }
  sp_error_free(&why);
  json_decref(msg);
  return st;
}

/* Waits for every worker's ready message (they start in parallel). On
 * failure the workers are killed: one may be stuck. */
static sp_status await_ready(sp_job *job, sp_error **err)
{
  sp_status st = SP_OK;
  int i;

  for (i = 0; i < job->workers.n && st == SP_OK; i++)
    st = await_worker(&job->workers.items[i], err);
  if (st != SP_OK)
    sp_workers_kill(&job->workers);
  return st;
}

sp_status sp_job_replace_worker(sp_job *job, sp_worker *w, sp_error **err)
{
  sp_status st = sp_worker_respawn(w, &job->wopts, err);
  char how[64];

  if (st == SP_OK && (st = await_worker(w, err)) != SP_OK && w->pid > 0) {
    kill(w->pid, SIGKILL); /* it may be stuck */
    sp_worker_reap(w, how, sizeof(how));
  }
  if (st == SP_OK)
    SP_LOG(&job->log, SP_LOG_INFO, "worker %d replaced (pid %d)", w->index,
           (int)w->pid);
  return st;
}

sp_status sp_job_open(sp_job *job, const sp_job_config *cfg, sp_error **err)
{
  sp_worker_opts *wopts = &job->wopts;
  sp_buf path = SP_BUF_INIT;
  sp_status st;

  memset(job, 0, sizeof(*job));
  job->state_fd = -1;
  job->attempts_fd = -1;
  job->lock_fd = -1;
  job->task_threads = cfg->task_threads;
  job->task_memory = cfg->task_memory;
  job->max_memory = cfg->task_memory * (cfg->workers > 0 ? cfg->workers : 1);
  job->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 1;
  job->progress = cfg->progress;
  if ((st = sp_layout_create(cfg->data_root, cfg->job_id, &job->layout, err)))
    return st;
  if (!(job->job_id = sp_strdup(cfg->job_id))) {
    st = sp_error_oom(err);
    goto out_fail;
  }
  if ((st = lock_job(job, err)) != SP_OK)
    goto out_fail;
  sp_layout_file(&job->layout, &path, "log/driver.log");
  if (sp_buf_oom(&path)) {
    st = sp_error_oom(err);
    goto out_fail;
  }
  if (sp_log_open(&job->log, path.data, "driver") != 0) {
    st = sp_error_set(err, SP_EIO, "cannot open %s: %s", path.data,
                      strerror(errno));
    goto out_fail;
  }
  SP_LOG(&job->log, SP_LOG_INFO, "job %s: %d workers, %d threads and %lld "
         "MiB per task, %d attempts per task", cfg->job_id, cfg->workers,
         cfg->task_threads, (long long)(cfg->task_memory >> 20),
         job->max_attempts);
  if (cfg->fault_rate > 0)
    SP_LOG(&job->log, SP_LOG_WARN, "SP_FAULT_INJECTION: %.0f%% of task "
           "attempts fail on purpose", cfg->fault_rate * 100);
  if ((st = load_state(job, err)) != SP_OK)
    goto out_fail;
  sp_buf_reset(&path);
  sp_layout_file(&job->layout, &path, "log/tasks.csv");
  if (!sp_buf_oom(&path))
    job->attempts_fd = sp_attempts_open(path.data);
  wopts->job_dir = job->layout.job_dir;
  wopts->threads = cfg->task_threads;
  wopts->memory = cfg->task_memory;
  wopts->setup = cfg->duckdb_setup;
  wopts->setup_arg = cfg->duckdb_setup_arg;
  wopts->env.fns = cfg->batch_functions;
  wopts->env.nfns = cfg->nbatch_functions;
  wopts->env.fault_rate = cfg->fault_rate;
  if ((st = sp_workers_start(&job->workers, cfg->workers, wopts, err)) ||
      (st = await_ready(job, err)))
    goto out_fail;
  sp_buf_release(&path);
  return SP_OK;

out_fail:
  sp_buf_release(&path);
  sp_job_close(job);
  return st;
}

void sp_job_close(sp_job *job)
{
  int discard = job->layout.created && job->runs == 0;
  size_t i;

  sp_workers_stop(&job->workers);
  SP_LOG(&job->log, SP_LOG_INFO, "job closed");
  for (i = 0; i < job->ntasks; i++)
    sp_datasets_free(job->tasks[i].outputs, (size_t)job->tasks[i].noutputs);
  sp_free(job->tasks);
  json_decref(job->finished);
  if (job->state_fd >= 0)
    close(job->state_fd);
  if (job->attempts_fd >= 0)
    close(job->attempts_fd);
  sp_log_close(&job->log);
  if (job->layout.job_dir && discard)
    sp_rm_rf(job->layout.job_dir, NULL);
  if (job->lock_fd >= 0)
    close(job->lock_fd); /* after the removal: the folder stays ours */
  sp_layout_release(&job->layout);
  sp_free(job->job_id);
  memset(job, 0, sizeof(*job));
  job->state_fd = -1;
  job->attempts_fd = -1;
  job->lock_fd = -1;
}

const sp_task_state *sp_job_task(const sp_job *job, const sp_task *t)
{
  if (t->index >= job->ntasks || !job->tasks[t->index].done)
    return NULL;
  return &job->tasks[t->index];
}

sp_status sp_job_resolve(const sp_job *job, const sp_task_input *in,
                         sp_dataset *out, sp_error **err)
{
  sp_status st;
  size_t i;

  for (i = 0; i < in->len; i++) {
    const sp_task_state *ts = sp_job_task(job, in->refs[i].task);
    if (!ts || in->refs[i].slot >= ts->noutputs)
      return sp_error_set(err, SP_EINTERNAL, "task %s is not done",
                          in->refs[i].task->key);
    if ((st = sp_dataset_extend(out, &ts->outputs[in->refs[i].slot], err)))
      return st;
  }
  return SP_OK;
}
