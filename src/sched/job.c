/*
 * job.c - the job object (see job.h); the scheduler loop is scheduler.c.
 */
#include "sched/job.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/fs.h"
#include "sched/attempts.h"
#include "sched/state.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/buf.h"
#include "util/error.h"

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

static sp_status load_state(sp_job *job, sp_error **err)
{
  sp_buf path = SP_BUF_INIT;
  size_t skipped = 0;
  sp_status st;

  sp_layout_file(&job->layout, &path, "state.jsonl");
  if (sp_buf_oom(&path))
    return sp_error_oom(err);
  st = sp_state_load(path.data, &job->finished, &skipped, err);
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

/* After a run that succeeded nothing runs, and what staging/ holds is
 * left over by attempts that failed or were killed: remove it. Returns 1
 * when staging/ is empty. */
static int empty_staging(sp_job *job)
{
  sp_buf dir = SP_BUF_INIT;
  int ok;

  sp_layout_file(&job->layout, &dir, "staging");
  ok = !sp_buf_oom(&dir) && sp_rm_rf(dir.data, NULL) == SP_OK &&
       sp_mkdir_p(dir.data, NULL) == SP_OK;
  sp_buf_release(&dir);
  return ok;
}

sp_status sp_job_finish(sp_job *job, sp_status st, sp_error **err)
{
  sp_buf why = SP_BUF_INIT;
  const char *message;

  if (!job->unfinished)
    return st;
  job->unfinished = 0;
  if (st == SP_OK) {
    sp_job_set_status(job, "success", empty_staging(job)
                                          ? "staging/ emptied"
                                          : "staging/ could not be emptied");
    return st;
  }
  job->failed = 1;
  message = err && *err ? sp_error_message(*err) : sp_status_str(st);
  SP_LOG(&job->log, SP_LOG_ERROR, "run failed: %s", message);
  sp_buf_appendf(&why, "%s\n(staging/ kept for debugging)", message);
  sp_job_set_status(job, "failure", sp_buf_oom(&why) ? NULL : why.data);
  sp_buf_release(&why);
  return st;
}

/* How long sp_init waits for a worker to open DuckDB and run the
 * program's duckdb_setup. */
#define READY_TIMEOUT_MS (120 * 1000)

/* Waits for worker w's ready message and notes the host it runs on. */
static sp_status await_worker(sp_job *job, sp_worker *w, sp_error **err)
{
  sp_workers *ws = &job->workers;
  unsigned char *watch = sp_calloc((size_t)ws->n, 2);
  const char *reason, *host, *machine;
  sp_error *why = NULL;
  json_t *msg = NULL;
  sp_status st;
  char how[64], who[32];
  int rc;

  if (!watch)
    return sp_error_oom(err);
  snprintf(who, sizeof(who), ws->mpi ? "rank %d" : "worker %d", w->index);
  watch[w - ws->items] = 1;
  rc = sp_workers_poll(ws, watch, watch + ws->n, READY_TIMEOUT_MS, err);
  sp_free(watch);
  if (rc < 0)
    return SP_EWORKER;
  if (rc == 0)
    return sp_error_set(err, SP_EWORKER, "%s did not start within %d s (a "
                        "duckdb_setup function that does not return?)", who,
                        READY_TIMEOUT_MS / 1000);
  st = sp_worker_recv(ws, w, &msg, &why);
  host = json_string_value(json_object_get(msg, "host"));
  machine = json_string_value(json_object_get(msg, "machine"));
  if (!host || !*host)
    host = "?";
  w->heard_ms = sp_clock_ms();
  w->beats = json_is_true(json_object_get(msg, "heartbeats"));
  if (st == SP_OK && json_is_true(json_object_get(msg, "ready"))) {
    st = sp_workers_place(
        ws, w, machine && *machine ? machine : host, host,
        (int)json_integer_value(json_object_get(msg, "cpus")),
        json_integer_value(json_object_get(msg, "memory")), err);
    json_decref(msg);
    return st;
  }
  reason = json_string_value(json_object_get(msg, "error"));
  if (st == SP_OK && json_is_true(json_object_get(msg, "unshared"))) {
    st = sp_error_set(err, SP_EIO, "the job folder %s is not on a file "
                      "system every rank sees (put the data root on a "
                      "shared file system): %s on host %s: %s",
                      job->layout.job_dir, who, host,
                      reason ? reason : "no reason given");
  } else if (st == SP_OK) {
    st = sp_error_set(err, SP_EWORKER, "%s could not start: %s", who,
                      reason ? reason : "no reason given");
  } else if (st == SP_ENOENT) {
    sp_worker_reap(ws, w, how, sizeof(how));
    st = sp_error_set(err, SP_EWORKER, "%s could not start: it ended with "
                      "%s", who, how);
  } else {
    st = sp_error_set(err, SP_EWORKER, "%s could not start: %s", who,
                      sp_error_message(why));
  }
  sp_error_free(&why);
  json_decref(msg);
  return st;
}

/* The workers placed on host k. */
static int workers_on(const sp_workers *ws, int k)
{
  int i, n = 0;

  for (i = 0; i < ws->n; i++)
    n += ws->items[i].host == k;
  return n;
}

/* What tasks may use at once on each host: its CPUs, or what its workers
 * x task_threads asks for when more (the program asked for that many
 * workers); and 80% of its memory, or workers x task_memory when more.
 * Under MPI, a task that sets no limits gets its host's share per worker,
 * the smallest over hosts. */
static void size_hosts(sp_job *job, int64_t task_memory)
{
  sp_workers *ws = &job->workers;
  int k, n, min_threads = 0;
  int64_t min_memory = 0;

  for (k = 0; k < ws->nhosts; k++) {
    sp_host *h = &ws->hosts[k];
    if (!(n = workers_on(ws, k)))
      continue;
    if (!ws->mpi) {
      /* The workers' share, or 80% of the machine when more: a step may
       * ask for more than the session's per-task memory. */
      int64_t machine = h->memory / 10 * 8;
      h->memory = n * task_memory > machine ? n * task_memory : machine;
      continue;
    }
    h->memory = h->memory > 0 ? h->memory / 10 * 8 : n * ((int64_t)1 << 30);
    if (!min_threads || h->cpus / n < min_threads)
      min_threads = h->cpus / n > 0 ? h->cpus / n : 1;
    if (!min_memory || h->memory / n < min_memory)
      min_memory = h->memory / n;
  }
  if (!job->task_threads)
    job->task_threads = min_threads > 0 ? min_threads : 1;
  if (!job->task_memory)
    job->task_memory = min_memory;
  for (k = 0; k < ws->nhosts; k++) {
    sp_host *h = &ws->hosts[k];
    n = workers_on(ws, k);
    if (h->cpus < n * job->task_threads)
      h->cpus = n * job->task_threads;
    if (h->memory < n * job->task_memory)
      h->memory = n * job->task_memory;
    if (h->memory > job->max_memory)
      job->max_memory = h->memory;
  }
}

/* Waits for every worker's ready message (they start in parallel). On
 * failure the workers are killed: one may be stuck. */
static sp_status await_ready(sp_job *job, sp_error **err)
{
  sp_status st = SP_OK;
  int i;

  for (i = 0; i < job->workers.n && st == SP_OK; i++)
    st = await_worker(job, &job->workers.items[i], err);
  if (st != SP_OK)
    sp_workers_kill(&job->workers);
  return st;
}

sp_status sp_job_replace_worker(sp_job *job, sp_worker *w, sp_error **err)
{
  sp_status st = sp_worker_respawn(&job->workers, w, &job->wopts, err);
  char how[64];

  if (st == SP_OK && (st = await_worker(job, w, err)) != SP_OK &&
      w->pid > 0) {
    sp_worker_kill(w); /* it may be stuck */
    sp_worker_reap(&job->workers, w, how, sizeof(how));
  }
  if (st == SP_OK)
    SP_LOG(&job->log, SP_LOG_INFO, "worker %d replaced (pid %d)", w->index,
           (int)w->pid);
  return st;
}

/* Writes the job's workers per host (sp_workers_describe_hosts) into its
 * file hosts, for `smallpond status`. */
static void write_hosts(sp_job *job, const char *hosts)
{
  sp_buf path = SP_BUF_INIT, text = SP_BUF_INIT;

  sp_layout_file(&job->layout, &path, "hosts");
  sp_buf_appendf(&text, "%s\n", hosts);
  if (!sp_buf_oom(&path) && !sp_buf_oom(&text))
    sp_write_file_atomic(path.data, text.data, text.len, NULL);
  sp_buf_release(&path);
  sp_buf_release(&text);
}

/* Writes <job>/token with a random text that MPI ranks read back to show
 * they see the same file system; *token gets the text. */
static sp_status write_token(sp_job *job, sp_buf *path, char *token,
                             size_t len, sp_error **err)
{
  unsigned char rnd[16];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  size_t i;

  if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
    if (fd >= 0)
      close(fd);
    return sp_error_set(err, SP_EIO, "cannot read /dev/urandom: %s",
                        strerror(errno));
  }
  close(fd);
  for (i = 0; i < sizeof(rnd) && 2 * i + 2 < len; i++)
    snprintf(token + 2 * i, 3, "%02x", rnd[i]);
  sp_layout_file(&job->layout, path, "token");
  if (sp_buf_oom(path))
    return sp_error_oom(err);
  return sp_write_file_atomic(path->data, token, strlen(token), err);
}

sp_status sp_job_open(sp_job *job, const sp_job_config *cfg, sp_error **err)
{
  sp_worker_opts *wopts = &job->wopts;
  sp_buf path = SP_BUF_INIT, token_path = SP_BUF_INIT;
  char token[40] = "";
  sp_status st;

  memset(job, 0, sizeof(*job));
  job->state_fd = -1;
  job->attempts_fd = -1;
  job->task_threads = cfg->task_threads;
  job->task_memory = cfg->task_memory;
  job->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 1;
  job->keep_intermediate = cfg->keep_intermediate;
  job->host_timeout_ms = cfg->host_timeout_ms;
  job->on_event = cfg->on_event;
  job->on_event_arg = cfg->on_event_arg;
  job->speculation = cfg->speculation;
  job->task_timeout_ms = cfg->task_timeout_ms;
  job->workers.mpi = cfg->mpi;
  job->workers.mpi_owned = cfg->mpi_owned;
  /* Failures go through sp_job_close, which also releases MPI ranks
   * waiting for their first message. */
  if ((st = sp_layout_open(cfg->data_root, cfg->job_id, &job->layout, err)))
    goto out_fail;
  if (!(job->job_id = sp_strdup(cfg->job_id))) {
    st = sp_error_oom(err);
    goto out_fail;
  }
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
  wopts->env.slow_partition = cfg->slow_partition;
  wopts->env.slow_ms = cfg->slow_ms;
  if (cfg->mpi) {
    if ((st = write_token(job, &token_path, token, sizeof(token), err)))
      goto out_fail;
    wopts->token_path = token_path.data;
    wopts->token = token;
    /* Six heartbeats a timeout, at most one every 2 s: a few lost to a
     * busy network do not make a rank lost. */
    if (cfg->host_timeout_ms > 0)
      job->workers.heartbeat_ms =
          (int)(cfg->host_timeout_ms / 6 < 2000 ? cfg->host_timeout_ms / 6
                                                : 2000);
    st = sp_workers_start_mpi(&job->workers, wopts, err);
  } else {
    st = sp_workers_start(&job->workers, cfg->workers, wopts, err);
  }
  if (st != SP_OK || (st = await_ready(job, err)) != SP_OK)
    goto out_fail;
  wopts->token_path = wopts->token = NULL;
  size_hosts(job, cfg->task_memory);
  SP_LOG(&job->log, SP_LOG_INFO, "job %s: %d %s on %d machine%s, %d threads "
         "and %lld MiB per task, %d attempts per task", cfg->job_id,
         job->workers.n, cfg->mpi ? "MPI ranks" : "local workers",
         job->workers.nhosts, job->workers.nhosts == 1 ? "" : "s",
         job->task_threads, (long long)(job->task_memory >> 20),
         job->max_attempts);
  sp_buf_reset(&path);
  sp_workers_describe_hosts(&job->workers, &path);
  if (!sp_buf_oom(&path)) {
    SP_LOG(&job->log, SP_LOG_INFO, "hosts: %s", path.data);
    write_hosts(job, path.data);
  }
  if (cfg->mpi)
    SP_LOG(&job->log, SP_LOG_INFO, "a rank not heard from for %.1f s is "
           "lost%s", job->host_timeout_ms / 1000.0,
           job->host_timeout_ms > 0 ? "" : " (never: the host timeout is off)");
  sp_buf_release(&path);
  sp_buf_release(&token_path);
  return SP_OK;

out_fail:
  sp_buf_release(&path);
  sp_buf_release(&token_path);
  sp_job_close(job);
  return st;
}

/* How long sp_job_close waits for MPI ranks still running an attempt
 * (stopped at its task timeout, or lost to a duplicate). */
#define DRAIN_MS (10 * 1000)

/* Takes the late results of ranks still running an attempt, so that their
 * sends end and they read STOP, and removes what those attempts wrote. A
 * rank that missed three heartbeats is taken for lost and not waited for:
 * the job is done, and its work was done elsewhere. */
static void drain_ranks(sp_job *job)
{
  sp_workers *ws = &job->workers;
  int64_t until = sp_clock_ms() + DRAIN_MS, now;
  unsigned char *watch = sp_calloc((size_t)ws->n + 1, 2);
  sp_buf out = SP_BUF_INIT;
  int i, left = 1, n;

  while (watch && left > 0 && (now = sp_clock_ms()) < until) {
    for (i = 0, left = 0; i < ws->n; i++) {
      sp_worker *w = &ws->items[i];
      if (w->task >= 0 && !w->lost && w->beats && ws->heartbeat_ms > 0 &&
          now - w->heard_ms >= 3 * ws->heartbeat_ms) {
        SP_LOG(&job->log, SP_LOG_WARN, "rank %d on host %s was lost: "
               "nothing heard from it for %.1f s (three heartbeats); its "
               "abandoned attempt of task %s is not waited for", w->index,
               w->name, (now - w->heard_ms) / 1000.0, w->key);
        sp_worker_lose(ws, w);
      }
      left += watch[i] = w->task >= 0 && !w->lost;
    }
    if (!left)
      break;
    /* Each second at most, to look at the ranks' silence again. */
    n = sp_workers_poll(ws, watch, watch + ws->n,
                        until - now < 1000 ? (int)(until - now) : 1000, NULL);
    if (n < 0)
      break;
    for (i = 0; i < ws->n; i++) {
      sp_worker *w = &ws->items[i];
      json_t *msg = NULL;
      if (!watch[ws->n + i])
        continue;
      if (sp_worker_recv(ws, w, &msg, NULL) == SP_OK)
        json_decref(msg);
      sp_buf_reset(&out);
      sp_layout_attempt_out(&job->layout, &out, w->key, w->attempt);
      if (!sp_buf_oom(&out))
        sp_rm_rf(out.data, NULL);
      sp_buf_puts(&out, ".parquet");
      if (!sp_buf_oom(&out))
        (void)unlink(out.data);
      w->task = -1;
    }
  }
  sp_free(watch);
  sp_buf_release(&out);
}

void sp_job_note_output(sp_job *job, const char *dir)
{
  sp_buf path = SP_BUF_INIT, line = SP_BUF_INIT;
  int fd;

  sp_layout_file(&job->layout, &path, "outputs");
  sp_buf_appendf(&line, "%s\n", dir);
  if (!sp_buf_oom(&path) && !sp_buf_oom(&line) &&
      (fd = open(path.data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                 0644)) >= 0) {
    /* One write, so that a line is whole or absent. */
    if (write(fd, line.data, line.len) != (ssize_t)line.len)
      SP_LOG(&job->log, SP_LOG_WARN, "outputs: cannot note %s", dir);
    close(fd);
  }
  sp_buf_release(&path);
  sp_buf_release(&line);
}

/* After a session whose runs all succeeded nothing will read the tasks'
 * files again but a rerun of the same job: remove them (what was
 * published is linked or copied out). A rerun finds its state.jsonl lines
 * name files that are gone, and computes those tasks anew. state.jsonl,
 * plan.json, status and log/ stay, for smallpond status and report. */
static void remove_intermediate(sp_job *job)
{
  static const char *const parts[] = {"data", "staging", "tmp", "inputs"};
  sp_buf path = SP_BUF_INIT, message = SP_BUF_INIT;
  sp_error *err = NULL;
  int64_t freed = 0;
  size_t i;

  for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
    sp_buf_reset(&path);
    sp_layout_file(&job->layout, &path, parts[i]);
    if (sp_buf_oom(&path))
      break;
    freed += sp_disk_bytes(path.data);
    if (sp_rm_rf(path.data, err ? NULL : &err) != SP_OK)
      freed -= sp_disk_bytes(path.data);
  }
  if (err)
    sp_buf_appendf(&message, "staging/ emptied; intermediate data could "
                   "not all be removed: %s", sp_error_message(err));
  else
    sp_buf_appendf(&message, "staging/ emptied; intermediate data removed "
                   "(%.1f MiB freed)", (double)freed / (1 << 20));
  SP_LOG(&job->log, err ? SP_LOG_WARN : SP_LOG_INFO, "%s",
         sp_buf_oom(&message) ? "intermediate data removed" : message.data);
  sp_job_set_status(job, "success", sp_buf_oom(&message) ? NULL
                                                         : message.data);
  sp_error_free(&err);
  sp_buf_release(&path);
  sp_buf_release(&message);
}

void sp_job_close(sp_job *job)
{
  int discard = job->runs == 0;
  size_t i;

  if (job->workers.mpi)
    drain_ranks(job);
  sp_workers_stop(&job->workers);
  if (job->workers.mpi_stuck)
    SP_LOG(&job->log, SP_LOG_ERROR, "%d rank%s still ran an abandoned "
           "attempt and did not answer when the job closed: no rank "
           "finalizes MPI, so mpirun ends the job", job->workers.mpi_stuck,
           job->workers.mpi_stuck == 1 ? "" : "s");
  if (job->runs > 0 && !job->failed && !job->unfinished &&
      !job->keep_intermediate && !job->workers.mpi_stuck)
    remove_intermediate(job);
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
  sp_layout_close(&job->layout, discard);
  sp_free(job->job_id);
  memset(job, 0, sizeof(*job));
  job->state_fd = -1;
  job->attempts_fd = -1;
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
