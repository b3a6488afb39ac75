/*
 * scheduler.c - the driver loop: sp_job_run (see job.h).
 *
 * DESIGN. A run starts from target tasks and walks their inputs to find the
 * tasks still to do. Tasks recorded in state.jsonl by an earlier run with
 * the same job id, whose files are still there, are taken as done. Each
 * remaining task counts its unfinished inputs; at zero it joins a FIFO ready
 * queue, so the tasks of a stage go out in partition order and spread over
 * the workers. Driver-side tasks (listing, splitting files) complete inline;
 * the others go to an idle worker as a JSON descriptor. The loop then waits
 * (poll) for results. A result is committed (its staging file or folder
 * renamed into data/), logged to state.jsonl, and releases the tasks
 * waiting for it.
 *
 * An attempt that fails in a way that may pass on a second try (its
 * worker died, a file system error, DuckDB out of memory: then with twice
 * the memory) goes back to the end of the ready queue, up to the job's
 * max_attempts; its staging file or folder is removed. On any other failure
 * nothing new is dispatched; the attempts already running are waited for,
 * so no worker is left mid-task, and the error names the task, its node
 * and partition, and its SQL.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io/fs.h"
#include "io/jsonl.h"
#include "plan/desc.h"
#include "plan/partition.h"
#include "sched/attempts.h"
#include "sched/job.h"
#include "sched/events.h"
#include "sched/state.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/hash.h"

typedef struct index_list {
  size_t *items;
  size_t len, cap;
} index_list;

/* What a stage (a node's tasks of one kind) took, for speculation. */
typedef struct stage_times {
  const sp_node *node;
  int kind;
  size_t total;          /* its tasks in this run */
  int64_t *ms;           /* durations of its finished attempts */
  size_t len, cap;
  int64_t limit;         /* straggler_ms when len was limit_len */
  size_t limit_len;
} stage_times;

typedef struct sp_run {
  sp_job *job;
  const sp_graph *g;
  index_list ready;      /* FIFO; ready.items[head..len) are waiting */
  size_t head;
  size_t *ndeps;         /* by task index: unfinished inputs */
  index_list *waiting;   /* by task index: tasks that read it */
  unsigned char *needed; /* by task index */
  size_t pending;        /* needed tasks not done */
  int running;           /* attempts out at workers */
  unsigned char *watch;  /* by worker: what wait_results polls, then what
                            has a message (2 x workers) */
  stage_times *stages;
  size_t nstages, stages_cap;
  int failed;
  int awaiting_ranks;    /* nothing runs, but a rank whose attempt was
                            abandoned may yet answer and serve again */
  size_t resumed, ran, retried, speculated;
  sp_events events;
} sp_run;

static int list_push(index_list *l, size_t v)
{
  if (sp_grow((void **)&l->items, &l->cap, l->len + 1, sizeof(*l->items)))
    return -1;
  l->items[l->len++] = v;
  return 0;
}

static const char *task_what(const sp_task *t, char *buf, size_t len)
{
  if (t->node)
    snprintf(buf, len, "%s task %s (node #%d %s, partition %d)",
             sp_task_kind_name(t->kind), t->key, t->node->id,
             sp_node_kind_name(t->node->kind), t->partition);
  else
    snprintf(buf, len, "%s task %s", sp_task_kind_name(t->kind), t->key);
  return buf;
}

/* Starts a worker in the place of w, which was reaped; when that fails, w
 * stays out of service and the run goes on with the others. */
static void replace_worker(sp_job *job, sp_worker *w)
{
  sp_error *lost = NULL;

  if (sp_job_replace_worker(job, w, &lost) != SP_OK) {
    SP_LOG(&job->log, SP_LOG_WARN, "worker %d is not replaced: %s",
           w->index, sp_error_message(lost));
    sp_error_free(&lost);
  }
}

/* Grows the job's per-task state to cover every task of the graph. */
static sp_status job_cover(sp_job *job, const sp_graph *g, sp_error **err)
{
  size_t cap = job->ntasks;

  if (g->len <= job->ntasks)
    return SP_OK;
  if (sp_grow((void **)&job->tasks, &cap, g->len, sizeof(*job->tasks)))
    return sp_error_oom(err);
  memset(job->tasks + job->ntasks, 0,
         (cap - job->ntasks) * sizeof(*job->tasks));
  job->ntasks = cap;
  return SP_OK;
}

/* Marks t done with the given outputs (ownership moves to the job). */
static void mark_done(sp_run *run, const sp_task *t, sp_dataset *outputs,
                      int noutputs, int64_t rows)
{
  sp_task_state *ts = &run->job->tasks[t->index];

  ts->done = 1;
  ts->outputs = outputs;
  ts->noutputs = noutputs;
  ts->rows = rows;
}

/* Takes t as done if an earlier run logged it and its line passes every
 * check (sched/state.h); a line that does not is recomputed, saying why. */
static int try_resume(sp_run *run, const sp_task *t)
{
  json_t *line = json_object_get(run->job->finished, t->key);
  sp_dataset *outputs;
  sp_error *why = NULL;
  int64_t rows;
  char what[160];

  if (!line)
    return 0;
  if (sp_state_reuse(line, t, run->job->layout.job_dir, &outputs, &rows,
                     &why) != SP_OK) {
    SP_LOG(&run->job->log, SP_LOG_WARN, "state.jsonl: %s is run again, its "
           "line cannot be reused: %s", task_what(t, what, sizeof(what)),
           sp_error_message(why));
    sp_error_free(&why);
    return 0;
  }
  mark_done(run, t, outputs, t->nslots, rows);
  return 1;
}

/* The stage of worker task t, or NULL. */
static stage_times *stage_of(sp_run *run, const sp_task *t)
{
  size_t i;

  for (i = 0; i < run->nstages; i++)
    if (run->stages[i].node == t->node && run->stages[i].kind == (int)t->kind)
      return &run->stages[i];
  return NULL;
}

/* Counts worker task t in its stage. */
static sp_status stage_expect(sp_run *run, const sp_task *t, sp_error **err)
{
  stage_times *st;

  if (!sp_task_kind_runs_in_worker(t->kind))
    return SP_OK;
  if (!(st = stage_of(run, t))) {
    if (sp_grow((void **)&run->stages, &run->stages_cap, run->nstages + 1,
                sizeof(*run->stages)))
      return sp_error_oom(err);
    st = &run->stages[run->nstages++];
    memset(st, 0, sizeof(*st));
    st->node = t->node;
    st->kind = (int)t->kind;
  }
  st->total++;
  return SP_OK;
}

/* Finds the tasks the targets need, resumes what an earlier run finished,
 * and links each remaining task to the inputs it waits for. */
static sp_status prepare(sp_run *run, sp_task *const *targets, size_t n,
                         sp_error **err)
{
  const sp_graph *g = run->g;
  index_list stack = {0};
  sp_status st = SP_OK;
  size_t i, j, k;

  run->ndeps = sp_calloc(g->len, sizeof(*run->ndeps));
  run->waiting = sp_calloc(g->len, sizeof(*run->waiting));
  run->needed = sp_calloc(g->len, 1);
  run->watch = sp_calloc((size_t)run->job->workers.n + 1, 2);
  if (!run->ndeps || !run->waiting || !run->needed || !run->watch)
    return sp_error_oom(err);
  for (i = 0; i < n; i++)
    if (list_push(&stack, targets[i]->index))
      goto out_oom;
  while (stack.len) {
    const sp_task *t = g->tasks[stack.items[--stack.len]];
    if (run->needed[t->index])
      continue;
    run->needed[t->index] = 1;
    if (run->job->tasks[t->index].done)
      continue;
    if (sp_task_kind_runs_in_worker(t->kind) && try_resume(run, t)) {
      run->resumed++;
      continue;
    }
    for (j = 0; j < t->ninputs; j++)
      for (k = 0; k < t->inputs[j].len; k++)
        if (list_push(&stack, t->inputs[j].refs[k].task->index))
          goto out_oom;
  }
  /* Link in graph order, which is planning order: inputs come first. */
  for (i = 0; i < g->len; i++) {
    const sp_task *t = g->tasks[i];
    if (!run->needed[i] || run->job->tasks[i].done)
      continue;
    run->pending++;
    if ((st = sp_events_expect(&run->events, t, err)) != SP_OK ||
        (st = stage_expect(run, t, err)) != SP_OK)
      goto out;
    for (j = 0; j < t->ninputs; j++)
      for (k = 0; k < t->inputs[j].len; k++) {
        size_t dep = t->inputs[j].refs[k].task->index;
        if (run->job->tasks[dep].done)
          continue;
        run->ndeps[i]++;
        if (list_push(&run->waiting[dep], i))
          goto out_oom;
      }
    if (run->ndeps[i] == 0 && list_push(&run->ready, i))
      goto out_oom;
  }
  goto out;

out_oom:
  st = sp_error_oom(err);
out:
  sp_free(stack.items);
  return st;
}

/* Called when task idx is done: queues the tasks that now have all inputs. */
static sp_status release_waiting(sp_run *run, size_t idx, sp_error **err)
{
  index_list *w = &run->waiting[idx];
  size_t i;

  run->pending--;
  for (i = 0; i < w->len; i++)
    if (--run->ndeps[w->items[i]] == 0 && list_push(&run->ready, w->items[i]))
      return sp_error_oom(err);
  return SP_OK;
}

/* Asks the user's function where each file of in goes. */
static sp_status split_by_function(const sp_task *t, const sp_dataset *in,
                                   sp_dataset **out, sp_error **err)
{
  const char **paths = sp_calloc(in->len, sizeof(*paths));
  int *partition_of = sp_calloc(in->len, sizeof(*partition_of));
  sp_status st = SP_OK;
  size_t i;
  int rc;

  if (!paths || !partition_of) {
    st = sp_error_oom(err);
    goto out;
  }
  for (i = 0; i < in->len; i++)
    paths[i] = in->pieces[i].path;
  rc = t->node->assign(paths, in->len, t->nslots, partition_of,
                       t->node->assign_arg);
  if (rc != 0)
    st = sp_error_set(err, SP_EINVAL, "repartition (node #%d): the assign "
                      "function returned %d", t->node->id, rc);
  else
    st = sp_split_by_assignment(in, t->nslots, partition_of, out, err);
out:
  sp_free(paths);
  sp_free(partition_of);
  return st;
}

/* Runs a driver-side task: no data is read, only file lists. */
static sp_status run_inline(sp_run *run, const sp_task *t, sp_error **err)
{
  sp_dataset in = {0}, *out = NULL;
  sp_status st;

  if (t->kind == SP_TASK_SOURCE) {
    if (!(out = sp_calloc(1, sizeof(*out))))
      return sp_error_oom(err);
    if ((st = sp_dataset_extend(&out[0], &t->node->files, err)) != SP_OK) {
      sp_datasets_free(out, 1);
      return st;
    }
  } else {
    st = sp_job_resolve(run->job, &t->inputs[0], &in, err);
    if (st == SP_OK)
      st = t->kind == SP_TASK_ASSIGN
               ? split_by_function(t, &in, &out, err)
               : sp_split_by_files(&in, t->nslots, &out, err);
    sp_dataset_release(&in);
    if (st != SP_OK)
      return st;
  }
  mark_done(run, t, out, t->nslots, -1);
  return release_waiting(run, t->index, err);
}

/* The task's index along each of its node's dimensions. */
static sp_status set_dims(sp_task_desc *d, const sp_task *t, sp_error **err)
{
  const sp_node *n = t->node;
  size_t k;

  if (!n->ndims)
    return SP_OK;
  d->dim_names = sp_calloc(n->ndims, sizeof(*d->dim_names));
  d->dim_index = sp_calloc(n->ndims, sizeof(*d->dim_index));
  if (!d->dim_names || !d->dim_index)
    return sp_error_oom(err);
  for (k = 0; k < n->ndims; k++) {
    d->dim_names[k] = n->dims[k].name;
    d->dim_index[k] = sp_node_dim_index(n, t->partition, k);
  }
  d->ndims = n->ndims;
  d->hash_layout = n->hash_layout;
  return SP_OK;
}

/* Worker w's attempt takes threads and memory of its host's capacity. */
static void hold(sp_workers *ws, sp_worker *w, int threads, int64_t memory)
{
  sp_host *h = &ws->hosts[w->host];

  w->cpus_held = threads;
  w->memory_held = memory;
  h->cpus_used += threads;
  h->memory_used += memory;
}

/* 1 when w is an MPI rank whose attempt ran past its task timeout, or
 * lost to another attempt of its task: it cannot be stopped, so it holds
 * its host's capacity until its result comes, but the attempt no longer
 * counts as running. A run ends without waiting for it; the session
 * drops its result when it comes, in a later run or at sp_close. */
static int attempt_abandoned(const sp_workers *ws, const sp_worker *w)
{
  return ws->mpi && (w->timed_out || w->cancelled);
}

/* Worker w's attempt ended: it is idle, its capacity free again. */
static void unhold(sp_run *run, sp_worker *w)
{
  sp_workers *ws = &run->job->workers;

  if (ws->nhosts > 0) {
    ws->hosts[w->host].cpus_used -= w->cpus_held;
    ws->hosts[w->host].memory_used -= w->memory_held;
  }
  w->cpus_held = 0;
  w->memory_held = 0;
  if (w->task >= 0 && !attempt_abandoned(ws, w)) {
    run->job->tasks[w->task].running--;
    run->running--;
  }
  w->task = -1;
}

/* The DuckDB threads and memory limit of t's next attempt. */
static void task_needs(const sp_job *job, const sp_task *t, int *threads,
                       int64_t *memory)
{
  const sp_task_state *ts = &job->tasks[t->index];

  *threads = t->task_threads ? t->task_threads : job->task_threads;
  *memory = ts->memory        ? ts->memory
            : t->task_memory ? t->task_memory
                             : job->task_memory;
}

/* How long an attempt of t may run, in ms; 0: no limit. */
static int64_t task_timeout_ms(const sp_job *job, const sp_task *t)
{
  return t->task_timeout_ms ? t->task_timeout_ms : job->task_timeout_ms;
}

static sp_status dispatch(sp_run *run, const sp_task *t, sp_worker *w,
                          sp_error **err)
{
  sp_job *job = run->job;
  sp_task_state *ts = &job->tasks[t->index];
  sp_buf out = SP_BUF_INIT, tmp_dir = SP_BUF_INIT, key = SP_BUF_INIT;
  sp_task_desc d;
  json_t *msg = NULL;
  sp_status st = SP_OK;
  char what[160];
  size_t i;

  memset(&d, 0, sizeof(d));
  d.kind = t->kind;
  d.key = t->key;
  d.attempt = ts->attempts;
  d.partition = t->partition;
  d.nslots = t->nslots;
  task_needs(job, t, &d.threads, &d.memory_limit);
  d.seed = sp_hash_str(SP_HASH_INIT, t->key);
  if (t->node)
    d.parquet = t->node->parquet;
  if ((t->kind == SP_TASK_SQL || t->kind == SP_TASK_BATCH) &&
      (st = set_dims(&d, t, err)) != SP_OK)
    goto out;
  if (t->kind == SP_TASK_BATCH) {
    d.batch_fn = t->node->batch_fn;
    d.batch_size = t->node->batch_size;
    d.batch_mode = (int)t->node->batch_mode;
  }
  /* A SQL node's query, or a combining repartition's partial one. */
  d.sql = t->sql ? t->sql : t->node ? t->node->sql : NULL;
  if (t->kind == SP_TASK_SHUFFLE) {
    sp_node_partition_key(t->node, &key);
    d.partition_key = key.data;
    d.range = t->node->split == SP_SPLIT_RANGE;
  }
  sp_layout_attempt_out(&job->layout, &out, t->key, d.attempt);
  sp_layout_worker_tmp(&job->layout, &tmp_dir, w->index);
  d.out = out.data;
  d.tmp_dir = tmp_dir.data;
  if (sp_buf_oom(&out) || sp_buf_oom(&tmp_dir) || sp_buf_oom(&key) ||
      (t->ninputs && !(d.inputs = sp_calloc(t->ninputs, sizeof(*d.inputs))))) {
    st = sp_error_oom(err);
    goto out;
  }
  d.ninputs = t->ninputs;
  for (i = 0; i < t->ninputs && st == SP_OK; i++)
    st = sp_job_resolve(job, &t->inputs[i], &d.inputs[i], err);
  if (st != SP_OK)
    goto out;
  w->started_ms = sp_wall_ms();
  w->started_mono = sp_clock_ms();
  sp_attempts_measure(d.inputs, d.ninputs, &ts->rows_in, &ts->bytes_in);
  if (!(msg = sp_task_desc_to_json(&d))) {
    st = sp_error_oom(err);
    goto out;
  }
  if (sp_worker_send(&job->workers, w, msg, NULL) != SP_OK) {
    /* It died while idle: the task goes back to the queue, and the
     * worker is replaced (or stays out of service). */
    char how[64];
    sp_worker_reap(&job->workers, w, how, sizeof(how));
    SP_LOG(&job->log, SP_LOG_ERROR, "worker %d died (%s) while idle",
           w->index, how);
    if (list_push(&run->ready, t->index) != 0)
      st = sp_error_oom(err);
    else
      replace_worker(job, w);
    goto out;
  }
  ts->attempts++;
  ts->running++;
  w->task = (long)t->index;
  snprintf(w->key, sizeof(w->key), "%s", t->key);
  w->attempt = d.attempt;
  w->cancelled = 0;
  w->timed_out = 0;
  hold(&job->workers, w, d.threads, d.memory_limit);
  run->running++;
  sp_events_attempt(&run->events, ts->running > 1 ? SP_EVENT_TASK_SPECULATED
                                                  : SP_EVENT_TASK_STARTED,
                    t, w, -1, -1, NULL);
  SP_LOG(&job->log, SP_LOG_INFO, "%s attempt %d -> worker %d%s",
         task_what(t, what, sizeof(what)), d.attempt, w->index,
         ts->running > 1 ? " (speculative: a duplicate of a straggler)" : "");
out:
  sp_task_desc_release(&d);
  json_decref(msg);
  sp_buf_release(&out);
  sp_buf_release(&tmp_dir);
  sp_buf_release(&key);
  return st;
}

/* What follows the attempt's staging path out (n bytes) in path, when path
 * is its file (".parquet") or in its folder ("/<name>"); else NULL. */
static const char *attempt_rest(const char *path, const char *out, size_t n)
{
  if (strncmp(path, out, n) != 0)
    return NULL;
  return path[n] == '/' || strcmp(path + n, ".parquet") == 0 ? path + n
                                                              : NULL;
}

/* Moves what the attempt wrote, its file staging/<key>.<attempt>.parquet
 * or its folder staging/<key>.<attempt>/, to the same name under
 * data/<key>, and rewrites the paths of its outputs to match. Outputs
 * elsewhere (a range of an input file) stay as they are. */
static sp_status commit_files(sp_job *job, const sp_task *t,
                              sp_task_result *r, sp_error **err)
{
  sp_buf staging = SP_BUF_INIT, data = SP_BUF_INIT, from = SP_BUF_INIT,
         to = SP_BUF_INIT;
  const char *rest = NULL;
  sp_status st = SP_OK;
  size_t j, n;
  int i;

  sp_layout_attempt_out(&job->layout, &staging, t->key, r->attempt);
  sp_layout_task_out(&job->layout, &data, t->key);
  if (sp_buf_oom(&staging) || sp_buf_oom(&data)) {
    st = sp_error_oom(err);
    goto out;
  }
  n = staging.len;
  for (i = 0; i < r->noutputs && !rest; i++)
    for (j = 0; j < r->outputs[i].len && !rest; j++)
      rest = attempt_rest(r->outputs[i].pieces[j].path, staging.data, n);
  if (!rest)
    goto out; /* nothing written: a count, or ranges of the inputs */
  /* ".parquet", or "/<name>" of the folder's files. */
  sp_buf_appendf(&from, "%s%s", staging.data, rest[0] == '/' ? "" : rest);
  sp_buf_appendf(&to, "%s%s", data.data, rest[0] == '/' ? "" : rest);
  if (sp_buf_oom(&from) || sp_buf_oom(&to)) {
    st = sp_error_oom(err);
    goto out;
  }
  /* A rename replaces a file, not a folder: a folder left by a run that
   * died between its rename and its log line is stale, and goes; so does
   * anything else in the way (a link a line could not be reused for). */
  if (rename(from.data, to.data) != 0 &&
      ((errno != ENOTEMPTY && errno != EEXIST && errno != ENOTDIR) ||
       (st = sp_rm_rf(to.data, err)) != SP_OK ||
       rename(from.data, to.data) != 0)) {
    if (st == SP_OK)
      st = sp_error_set(err, SP_EIO, "cannot rename %s to %s: %s",
                        from.data, to.data, strerror(errno));
    goto out;
  }
  for (i = 0; i < r->noutputs && st == SP_OK; i++)
    for (j = 0; j < r->outputs[i].len; j++) {
      sp_piece *p = &r->outputs[i].pieces[j];
      char *moved;
      if (!(rest = attempt_rest(p->path, staging.data, n)))
        continue;
      sp_buf_reset(&to);
      sp_buf_appendf(&to, "%s%s", data.data, rest);
      if (!(moved = sp_buf_detach(&to))) {
        st = sp_error_oom(err);
        break;
      }
      sp_free(p->path);
      p->path = moved;
    }
out:
  sp_buf_release(&staging);
  sp_buf_release(&data);
  sp_buf_release(&from);
  sp_buf_release(&to);
  return st;
}

static sp_status log_state(sp_job *job, const sp_task *t,
                           const sp_task_result *r, int worker,
                           sp_error **err)
{
  json_t *line = sp_state_line(t, r, worker, job->layout.job_dir);
  sp_buf path = SP_BUF_INIT;
  sp_status st;

  if (!line)
    return sp_error_oom(err);
  sp_layout_file(&job->layout, &path, "state.jsonl");
  st = sp_buf_oom(&path) ? sp_error_oom(err)
                         : sp_jsonl_append(job->state_fd, line, path.data,
                                           err);
  /* Later runs of this session reuse it by key, like an earlier run's. */
  if (st == SP_OK && json_object_set(job->finished, t->key, line))
    st = sp_error_oom(err);
  sp_buf_release(&path);
  json_decref(line);
  return st;
}

/* 1 if an attempt that failed with st may pass when tried again. */
static int retryable(sp_status st)
{
  return st == SP_ENOMEM || st == SP_EIO || st == SP_EWORKER;
}

/* Queues another attempt of t, whose attempt on worker w failed with st
 * (why), when the failure may pass and t has attempts left: returns 1. */
static int retry(sp_run *run, const sp_task *t, const sp_worker *w,
                 sp_status st, const char *why)
{
  sp_job *job = run->job;
  sp_task_state *ts = &job->tasks[t->index];
  char what[160];

  if (!retryable(st) || ts->attempts >= job->max_attempts)
    return 0;
  if (list_push(&run->ready, t->index) != 0)
    return 0;
  if (st == SP_ENOMEM) {
    int threads;
    int64_t was;
    task_needs(job, t, &threads, &was);
    ts->memory = was * 2 < job->max_memory ? was * 2 : job->max_memory;
  }
  SP_LOG(&job->log, SP_LOG_WARN, "%s attempt %d failed on worker %d: %s; "
         "trying again (%d of %d attempts used)%s",
         task_what(t, what, sizeof(what)), w->attempt, w->index, why,
         ts->attempts, job->max_attempts,
         st == SP_ENOMEM ? ", with twice the memory" : "");
  run->retried++;
  return 1;
}

/* Removes what the attempt w ran wrote: its file or its folder. */
static void drop_staging(sp_job *job, const sp_task *t, const sp_worker *w)
{
  sp_buf staging = SP_BUF_INIT;

  sp_layout_attempt_out(&job->layout, &staging, t->key, w->attempt);
  if (!sp_buf_oom(&staging))
    sp_rm_rf(staging.data, NULL);
  sp_buf_puts(&staging, ".parquet");
  if (!sp_buf_oom(&staging))
    (void)unlink(staging.data);
  sp_buf_release(&staging);
}

/* The attempt of t on w just ended as kind says: TASK_FINISHED (with
 * rows and bytes out), _RETRIED, _FAILED or _DROPPED (another attempt of
 * the task finished first). Appends it to log/tasks.csv, as "ok",
 * "retry", "failed" or "lost", and tells the session. */
static void attempt_ended(sp_run *run, const sp_task *t, const sp_worker *w,
                          sp_event_kind kind, const char *error,
                          int64_t rows_out, int64_t bytes_out)
{
  const sp_task_state *ts = &run->job->tasks[t->index];
  sp_attempt_row row = {
    t->key, t->node ? t->node->id : 0, sp_task_kind_name(t->kind),
    t->partition, w->index, w->attempt, w->started_ms,
    sp_wall_ms(), ts->rows_in, ts->bytes_in, rows_out, bytes_out,
    kind == SP_EVENT_TASK_FINISHED  ? "ok"
    : kind == SP_EVENT_TASK_RETRIED ? "retry"
    : kind == SP_EVENT_TASK_FAILED  ? "failed"
                                    : "lost",
    error};

  sp_attempts_write(run->job->attempts_fd, &row);
  sp_events_attempt(&run->events, kind, t, w, rows_out, bytes_out, error);
}

/* Notes how long a finished attempt of t took, for speculation. */
static void stage_finished(sp_run *run, const sp_task *t, int64_t ms)
{
  stage_times *st = stage_of(run, t);

  if (st && !sp_grow((void **)&st->ms, &st->cap, st->len + 1,
                     sizeof(*st->ms)))
    st->ms[st->len++] = ms;
}

/* Stops the other attempts of t, which has just finished: a local worker
 * is killed (and replaced when its stream ends); an MPI rank cannot be,
 * so its attempt is abandoned and its result dropped when it comes. */
static void cancel_others(sp_run *run, const sp_task *t, const sp_worker *won)
{
  sp_workers *ws = &run->job->workers;
  int i;

  for (i = 0; i < ws->n; i++) {
    sp_worker *w = &ws->items[i];
    if (w == won || w->task != (long)t->index)
      continue;
    if (!attempt_abandoned(ws, w) && ws->mpi) {
      run->job->tasks[t->index].running--;
      run->running--;
    }
    w->cancelled = 1;
    sp_worker_kill(w);
  }
}

/* The attempt on w ended without a result and the task is done or has
 * another attempt running: drop it quietly. */
static void drop_attempt(sp_run *run, const sp_task *t, sp_worker *w,
                         const char *why)
{
  char what[160];

  drop_staging(run->job, t, w);
  attempt_ended(run, t, w, SP_EVENT_TASK_DROPPED, why, -1, -1);
  SP_LOG(&run->job->log, SP_LOG_INFO, "%s attempt %d on worker %d dropped: "
         "%s", task_what(t, what, sizeof(what)), w->attempt, w->index, why);
  unhold(run, w);
}

/* The attempt of t on w ended without a result, for why, and no other
 * attempt covers it: another attempt when it may, else the task fails. */
static sp_status retry_or_fail(sp_run *run, const sp_task *t,
                               const sp_worker *w, const char *why,
                               sp_error **err)
{
  char what[160];

  if (retry(run, t, w, SP_EWORKER, why)) {
    attempt_ended(run, t, w, SP_EVENT_TASK_RETRIED, why, -1, -1);
    return SP_OK;
  }
  attempt_ended(run, t, w, SP_EVENT_TASK_FAILED, why, -1, -1);
  return sp_error_set_task(err, SP_EWORKER, t->key, NULL, "%s failed %d "
                           "times; the last time on %s %d: %s",
                           task_what(t, what, sizeof(what)),
                           run->job->tasks[t->index].attempts,
                           run->job->workers.mpi ? "rank" : "worker",
                           w->index, why);
}

/* Worker w's stream broke while it ran t: it died, or we killed it. */
static sp_status on_worker_lost(sp_run *run, sp_worker *w, const sp_task *t,
                                sp_error **err)
{
  sp_job *job = run->job;
  sp_task_state *ts = &job->tasks[t->index];
  sp_status st = SP_OK;
  char what[160], how[64], why[96];
  int cancelled = w->cancelled;

  task_what(t, what, sizeof(what));
  sp_worker_reap(&job->workers, w, how, sizeof(how));
  if (cancelled)
    snprintf(why, sizeof(why), "stopped: another attempt finished first");
  else if (w->timed_out)
    snprintf(why, sizeof(why), "ran past its task timeout of %.1f s and "
             "was killed", task_timeout_ms(job, t) / 1000.0);
  else
    snprintf(why, sizeof(why), "the worker died (%s)", how);
  if (!cancelled && !w->timed_out)
    SP_LOG(&job->log, SP_LOG_ERROR, "worker %d died (%s) running %s",
           w->index, how, what);
  if (cancelled || ts->done || ts->running > 1) {
    drop_attempt(run, t, w, why);
  } else {
    drop_staging(job, t, w);
    st = retry_or_fail(run, t, w, why, err);
    unhold(run, w);
  }
  replace_worker(job, w);
  return st;
}

/* Handles a message from worker w, which was running a task. */
static sp_status on_result(sp_run *run, sp_worker *w, sp_error **err)
{
  sp_job *job = run->job;
  const sp_task *t = run->g->tasks[w->task];
  sp_task_state *ts = &job->tasks[t->index];
  sp_task_result r = {0};
  json_t *msg = NULL;
  int64_t rows_known, bytes;
  sp_status st;
  char what[160];

  task_what(t, what, sizeof(what));
  if (sp_worker_recv(&job->workers, w, &msg, NULL) != SP_OK)
    return on_worker_lost(run, w, t, err);
  if (w->timed_out) {
    json_decref(msg);
    /* Killed at its timeout, but its result came first: as if lost. */
    if (!job->workers.mpi)
      return on_worker_lost(run, w, t, err);
    /* A rank answering after its timeout: dropped; it serves again. */
    drop_attempt(run, t, w, "it came after its task timeout");
    w->timed_out = 0;
    w->live = 1;
    return SP_OK;
  }
  st = sp_task_result_from_json(msg, &r, err);
  json_decref(msg);
  if (st != SP_OK) {
    unhold(run, w);
    return st;
  }
  if (ts->done || w->cancelled) { /* another attempt won */
    int killed = w->cancelled && !job->workers.mpi;
    drop_attempt(run, t, w, "another attempt finished first");
    /* Killed after its result came: its stream will not end while we
     * read nothing more, so reap and replace it here. */
    if (killed) {
      char how[64];
      sp_worker_reap(&job->workers, w, how, sizeof(how));
      replace_worker(job, w);
    }
    goto out;
  }
  if (r.status != SP_OK) {
    const char *why = r.error ? r.error : "unknown error";
    int again;
    drop_staging(job, t, w);
    if (ts->running > 1) { /* the other attempt may still succeed */
      drop_attempt(run, t, w, why);
      goto out;
    }
    again = retry(run, t, w, r.status, why);
    attempt_ended(run, t, w, again ? SP_EVENT_TASK_RETRIED
                                   : SP_EVENT_TASK_FAILED, why, -1, -1);
    unhold(run, w);
    if (again)
      goto out;
    SP_LOG(&job->log, SP_LOG_ERROR, "%s failed: %s", what, why);
    if (retryable(r.status))
      st = sp_error_set_task(err, r.status, t->key, r.error_sql, "%s failed "
                             "%d times; the last time: %s", what,
                             ts->attempts, why);
    else
      st = sp_error_set_task(err, r.status, t->key, r.error_sql, "%s failed: "
                             "%s", what, why);
    goto out;
  }
  if ((st = commit_files(job, t, &r, err)) != SP_OK ||
      (st = log_state(job, t, &r, w->index, err)) != SP_OK) {
    unhold(run, w);
    goto out;
  }
  bytes = 0; /* a split writes nothing: its outputs are the input's files */
  if (t->kind != SP_TASK_SPLIT_ROWS)
    sp_attempts_measure(r.outputs, (size_t)r.noutputs, &rows_known, &bytes);
  attempt_ended(run, t, w, SP_EVENT_TASK_FINISHED, NULL, r.rows, bytes);
  stage_finished(run, t, sp_clock_ms() - w->started_mono);
  SP_LOG(&job->log, SP_LOG_INFO, "%s done on worker %d: %lld rows in %.1f ms",
         what, w->index, (long long)r.rows, r.elapsed_us / 1000.0);
  mark_done(run, t, r.outputs, r.noutputs, r.rows);
  r.outputs = NULL;
  r.noutputs = 0;
  run->ran++;
  unhold(run, w);
  if (ts->running > 0)
    cancel_others(run, t, w);
  st = release_waiting(run, t->index, err);
out:
  sp_task_result_release(&r);
  return st;
}

static int live_workers(const sp_job *job)
{
  int i, n = 0;

  for (i = 0; i < job->workers.n; i++)
    n += job->workers.items[i].live;
  return n;
}

/* When an MPI rank stopped at its task timeout counts as hung: twice
 * its timeout after its attempt started. Until then it may answer and
 * serve again. */
static int64_t hung_after_ms(const sp_run *run, const sp_worker *w)
{
  return w->started_mono +
         2 * task_timeout_ms(run->job, run->g->tasks[w->task]);
}

/* MPI ranks out of service until their late result comes; *waiting gets
 * how many of them may still answer (hung_after_ms). */
static int abandoned_ranks(const sp_run *run, int *waiting)
{
  const sp_workers *ws = &run->job->workers;
  int64_t now = sp_clock_ms();
  int i, n = 0;

  *waiting = 0;
  for (i = 0; i < ws->n; i++) {
    const sp_worker *w = &ws->items[i];
    if (w->task < 0 || !attempt_abandoned(ws, w))
      continue;
    n++;
    /* One lost to a duplicate answers when it is done (or its rank is
     * found lost); one past its timeout may be hung. */
    *waiting += !w->timed_out || now < hung_after_ms(run, w);
  }
  return n;
}

/* An idle worker whose host has room for t (threads and memory), or
 * NULL. A task bigger than its host runs when the host is otherwise idle.
 * Sets *never when no host could ever hold t's memory. */
static sp_worker *pick_worker(sp_run *run, const sp_task *t, int *never)
{
  sp_workers *ws = &run->job->workers;
  int threads, i;
  int64_t memory;

  task_needs(run->job, t, &threads, &memory);
  *never = memory > run->job->max_memory;
  for (i = 0; i < ws->n && !*never; i++) {
    sp_worker *w = &ws->items[i];
    const sp_host *h;
    if (!w->live || w->task >= 0)
      continue;
    h = &ws->hosts[w->host];
    if (h->cpus_used == 0 && h->memory_used == 0)
      return w;
    if (h->cpus_used + threads <= h->cpus &&
        h->memory_used + memory <= h->memory)
      return w;
  }
  return NULL;
}

/* Sends out ready tasks while there are idle workers with room. */
static sp_status start_ready(sp_run *run, sp_error **err)
{
  sp_job *job = run->job;
  sp_status st;
  int never = 0;

  while (!run->failed && run->head < run->ready.len) {
    const sp_task *t = run->g->tasks[run->ready.items[run->head]];
    sp_worker *w = NULL;

    if (sp_task_kind_runs_in_worker(t->kind) &&
        !(w = pick_worker(run, t, &never))) {
      char what[160];
      int threads;
      int64_t memory;
      if (never) {
        task_needs(job, t, &threads, &memory);
        return sp_error_set_task(err, SP_EINVAL, t->key, NULL, "%s needs "
                                 "%lld MiB of memory, more than any host "
                                 "offers (%lld MiB)",
                                 task_what(t, what, sizeof(what)),
                                 (long long)(memory >> 20),
                                 (long long)(job->max_memory >> 20));
      }
      int stopped, waiting;
      if (run->running > 0)
        return SP_OK;
      /* Abandoned attempts hold their ranks and hosts' room. */
      if ((stopped = abandoned_ranks(run, &waiting)) > 0 && waiting > 0) {
        run->awaiting_ranks = 1;
        return SP_OK;
      }
      if (live_workers(job) > 0)
        return SP_OK;
      if (stopped > 0)
        return sp_error_set(err, SP_EWORKER, "no worker is left: %d of the "
                            "%d ranks still run attempts stopped at their "
                            "task timeout, twice that long now (an MPI "
                            "rank cannot be stopped)", stopped,
                            job->workers.n);
      return sp_error_set(err, SP_EWORKER, "no worker is left: all %d died; "
                          "start a new session", job->workers.n);
    }
    run->head++;
    st = w ? dispatch(run, t, w, err) : run_inline(run, t, err);
    if (st != SP_OK)
      return st;
  }
  return SP_OK;
}

static int cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return (x > y) - (x < y);
}

/* When a running attempt counts as a straggler of stage st: three quarters
 * of the stage's tasks have finished and it has run more than twice the
 * stage's p95 and four times its p50, and at least a second. 0: not yet
 * known. */
static int64_t straggler_ms(stage_times *st)
{
  int64_t p50, p95, limit;

  if (st->len < 2 || st->len * 4 < st->total * 3)
    return 0;
  /* Sorting is O(n log n) and this runs after every result: sort again
   * only when a sixteenth more attempts have finished. */
  if (st->limit && st->len - st->limit_len <= st->limit_len / 16)
    return st->limit;
  qsort(st->ms, st->len, sizeof(*st->ms), cmp_i64);
  p50 = st->ms[st->len / 2];
  p95 = st->ms[(st->len * 95) / 100 < st->len ? (st->len * 95) / 100
                                              : st->len - 1];
  limit = 2 * p95 > 4 * p50 ? 2 * p95 : 4 * p50;
  st->limit = limit > 1000 ? limit : 1000;
  st->limit_len = st->len;
  return st->limit;
}

/* Starts a duplicate of each straggling attempt on an idle worker, when
 * nothing else is waiting. Sets *watching when some attempt may yet turn
 * out a straggler, so that the caller polls with a timeout. */
static sp_status speculate(sp_run *run, int *watching, sp_error **err)
{
  sp_job *job = run->job;
  int64_t now = sp_clock_ms();
  sp_status st = SP_OK;
  int i, never;

  *watching = 0;
  if (job->speculation < 0 || run->failed || run->head < run->ready.len)
    return SP_OK;
  for (i = 0; i < job->workers.n && st == SP_OK; i++) {
    sp_worker *w = &job->workers.items[i], *idle;
    const sp_task *t;
    stage_times *stage;
    int64_t limit;
    if (w->task < 0 || w->cancelled)
      continue;
    t = run->g->tasks[w->task];
    if (job->tasks[t->index].running > 1 || job->tasks[t->index].speculated ||
        job->tasks[t->index].attempts >= job->max_attempts ||
        !(stage = stage_of(run, t)))
      continue;
    if (!(limit = straggler_ms(stage)) || now - w->started_mono < limit) {
      *watching = 1;
      continue;
    }
    if (!(idle = pick_worker(run, t, &never)))
      continue;
    job->tasks[t->index].speculated = 1;
    run->speculated++;
    SP_LOG(&job->log, SP_LOG_WARN, "task %s has run %.1f s on worker %d, "
           "over %.1f s for its stage: starting a duplicate on worker %d",
           t->key, (now - w->started_mono) / 1000.0, w->index, limit / 1000.0,
           idle->index);
    st = dispatch(run, t, idle, err);
  }
  return st;
}

/* Stops every attempt that has run past its task's timeout, which then
 * fails like one whose worker died. A local worker is killed: its stream
 * ends and on_worker_lost retries the task. An MPI rank cannot be: its
 * attempt stops counting and fails here (unless another attempt of the
 * task runs or won), and the rank gets no task until its result comes
 * (attempt_abandoned). */
static sp_status expire_attempts(sp_run *run, sp_error **err)
{
  sp_job *job = run->job;
  int64_t now = sp_clock_ms(), limit;
  sp_status st = SP_OK;
  char what[160], why[112];
  int i;

  for (i = 0; i < job->workers.n && st == SP_OK; i++) {
    sp_worker *w = &job->workers.items[i];
    sp_task_state *ts;
    const sp_task *t;
    /* A cancelled attempt is being killed (local) or was abandoned (a
     * rank: the run no longer waits for it). */
    if (w->task < 0 || w->timed_out || w->cancelled)
      continue;
    t = run->g->tasks[w->task];
    ts = &job->tasks[t->index];
    if (!(limit = task_timeout_ms(job, t)) || now - w->started_mono < limit)
      continue;
    w->timed_out = 1;
    SP_LOG(&job->log, SP_LOG_WARN, "%s attempt %d on %s %d ran past its "
           "task timeout of %.1f s: stopping it",
           task_what(t, what, sizeof(what)), w->attempt,
           job->workers.mpi ? "rank" : "worker", w->index, limit / 1000.0);
    if (!job->workers.mpi) {
      sp_worker_kill(w);
      continue;
    }
    w->live = 0;
    ts->running--;
    run->running--;
    if (w->cancelled || ts->done || ts->running > 0)
      continue;
    snprintf(why, sizeof(why), "ran past its task timeout of %.1f s; rank "
             "%d gets no task until it answers", limit / 1000.0, w->index);
    st = retry_or_fail(run, t, w, why, err);
  }
  return st;
}

/* Finds the MPI ranks not heard from for the host timeout: each is lost
 * (out of service for good). An attempt one ran is dropped when another
 * covers its task, else the run fails, naming the rank and its host. */
static sp_status find_lost_ranks(sp_run *run, sp_error **err)
{
  sp_job *job = run->job;
  sp_workers *ws = &job->workers;
  int64_t now = sp_clock_ms();
  sp_status st = SP_OK;
  char what[160], why[256];
  int i;

  if (!ws->mpi || job->host_timeout_ms <= 0)
    return SP_OK;
  for (i = 0; i < ws->n; i++) {
    sp_worker *w = &ws->items[i];
    const sp_task *t;
    const sp_task_state *ts;
    if (w->lost || !w->beats || now - w->heard_ms < job->host_timeout_ms)
      continue;
    snprintf(why, sizeof(why), "rank %d on host %s was lost: nothing heard "
             "from it for %.1f s (its host is down or cut off, or the rank "
             "died)", w->index, w->name, (now - w->heard_ms) / 1000.0);
    sp_worker_lose(ws, w);
    SP_LOG(&job->log, SP_LOG_ERROR, "%s", why);
    if (w->task < 0)
      continue;
    t = run->g->tasks[w->task];
    ts = &job->tasks[t->index];
    if (w->cancelled || w->timed_out || ts->done || ts->running > 1) {
      drop_attempt(run, t, w, why);
      continue;
    }
    attempt_ended(run, t, w, SP_EVENT_TASK_FAILED, why, -1, -1);
    unhold(run, w);
    if (st == SP_OK)
      st = sp_error_set_task(err, SP_EWORKER, t->key, NULL, "%s; it ran %s, "
                             "which cannot finish (rerun with the same job "
                             "id to resume)", why,
                             task_what(t, what, sizeof(what)));
  }
  return st;
}

/* Milliseconds until the first running attempt reaches its task timeout
 * (0 when one has), or while the run awaits ranks stopped at theirs, one
 * counts as hung; -1 when none of these comes. */
static int64_t next_timeout_ms(const sp_run *run)
{
  const sp_job *job = run->job;
  int64_t now = sp_clock_ms(), next = -1, limit, left;
  int i;

  for (i = 0; i < job->workers.n; i++) {
    const sp_worker *w = &job->workers.items[i];
    if (w->task < 0 || w->cancelled ||
        (w->timed_out && !run->awaiting_ranks) ||
        !(limit = task_timeout_ms(job, run->g->tasks[w->task])))
      continue;
    left = (w->timed_out ? hung_after_ms(run, w) : w->started_mono + limit) -
           now;
    left = left > 0 ? left : 0;
    if (next < 0 || left < next)
      next = left;
  }
  return next;
}

/* Waits for at least one result (or timeout_ms, -1 for no limit) and
 * handles all that arrived. */
static sp_status wait_results(sp_run *run, int timeout_ms, sp_error **err)
{
  sp_job *job = run->job;
  unsigned char *watch = run->watch, *ready = run->watch + job->workers.n;
  sp_status st = SP_OK;
  int i, rc;

  for (i = 0; i < job->workers.n; i++)
    watch[i] = job->workers.items[i].task >= 0;
  rc = sp_workers_poll(&job->workers, watch, ready, timeout_ms, err);
  if (rc < 0)
    return SP_EWORKER;
  for (i = 0; i < job->workers.n; i++) {
    sp_status s;
    if (!ready[i])
      continue;
    s = on_result(run, &job->workers.items[i], err);
    if (s != SP_OK && st == SP_OK) {
      st = s;
      run->failed = 1;
    }
  }
  return st;
}

static sp_status write_plan(sp_job *job, const sp_graph *g,
                            const sp_plan *plan, sp_error **err)
{
  json_t *j = sp_graph_to_json(g, plan);
  sp_buf path = SP_BUF_INIT;
  char *text;
  sp_status st;

  if (!j)
    return sp_error_oom(err);
  text = json_dumps(j, JSON_INDENT(1));
  json_decref(j);
  sp_layout_file(&job->layout, &path, "plan.json");
  if (!text || sp_buf_oom(&path))
    st = sp_error_oom(err);
  else
    st = sp_write_file_atomic(path.data, text, strlen(text), err);
  free(text); /* from jansson */
  sp_buf_release(&path);
  return st;
}

static void run_release(sp_run *run)
{
  size_t i;

  for (i = 0; run->waiting && i < run->g->len; i++)
    sp_free(run->waiting[i].items);
  sp_free(run->waiting);
  sp_free(run->ndeps);
  sp_free(run->needed);
  sp_free(run->ready.items);
  sp_free(run->watch);
  for (i = 0; i < run->nstages; i++)
    sp_free(run->stages[i].ms);
  sp_free(run->stages);
}

sp_status sp_job_run(sp_job *job, const sp_graph *g, const sp_plan *plan,
                     sp_task *const *targets, size_t ntargets,
                     sp_error **err)
{
  sp_run run;
  sp_status st;
  int64_t start = sp_clock_ms();

  memset(&run, 0, sizeof(run));
  run.job = job;
  run.g = g;
  sp_events_init(&run.events, job->on_event, job->on_event_arg,
                 job->job_id);
  job->runs++;
  job->unfinished = 1;
  if ((st = job_cover(job, g, err)) != SP_OK ||
      (st = write_plan(job, g, plan, err)) != SP_OK ||
      (st = prepare(&run, targets, ntargets, err)) != SP_OK)
    goto out;
  sp_job_set_status(job, "running", NULL);
  SP_LOG(&job->log, SP_LOG_INFO, "run: %zu tasks to do, %zu finished tasks "
         "reused from state.jsonl", run.pending, run.resumed);
  sp_events_run(&run.events, SP_EVENT_RUN_STARTED, SP_OK);
  while (st == SP_OK || run.running > 0) {
    int watching = 0;
    int64_t wait_ms, tick_ms;
    run.awaiting_ranks = 0;
    /* Also while a failed run waits for its last attempts. */
    sp_status expired = expire_attempts(&run, st == SP_OK ? err : NULL);
    if (st == SP_OK)
      st = expired;
    expired = find_lost_ranks(&run, st == SP_OK ? err : NULL);
    if (st == SP_OK)
      st = expired;
    if (st == SP_OK)
      st = start_ready(&run, err);
    if (st == SP_OK)
      st = speculate(&run, &watching, err);
    if (st != SP_OK)
      run.failed = 1;
    if (run.running == 0 && !run.awaiting_ranks)
      break;
    /* Until the next attempt, just sent out or not, reaches its timeout;
     * while one may turn out a straggler, look again each 100 ms. */
    wait_ms = next_timeout_ms(&run);
    if (watching && (wait_ms < 0 || wait_ms > 100))
      wait_ms = 100;
    tick_ms = sp_events_tick_due(&run.events);
    if (tick_ms >= 0 && (wait_ms < 0 || wait_ms > tick_ms))
      wait_ms = tick_ms;
    /* Ranks are looked at for silence at least each second. */
    if (job->workers.mpi && job->host_timeout_ms > 0 &&
        (wait_ms < 0 || wait_ms > 1000))
      wait_ms = 1000;
    if (wait_ms > INT_MAX)
      wait_ms = INT_MAX;
    sp_status s = wait_results(&run, (int)wait_ms, err);
    if (st == SP_OK)
      st = s;
    sp_events_tick(&run.events);
  }
  if (st == SP_OK && run.pending > 0)
    st = sp_error_set(err, SP_EINTERNAL, "scheduler stopped with %zu tasks "
                      "left", run.pending);
out:
  if (st == SP_OK)
    SP_LOG(&job->log, SP_LOG_INFO, "run: done, %zu tasks ran (%zu attempts "
           "retried, %zu speculative duplicates), %zu reused, %.3f s",
           run.ran, run.retried, run.speculated, run.resumed,
           (sp_clock_ms() - start) / 1000.0);
  else
    sp_job_finish(job, st, err);
  sp_events_run(&run.events, SP_EVENT_RUN_FINISHED, st);
  sp_events_release(&run.events);
  run_release(&run);
  return st;
}
