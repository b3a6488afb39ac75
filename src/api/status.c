/*
 * status.c - sp_job_print_status: a job's state and per-step progress,
 * from its folder's files alone (status, plan.json, state.jsonl and the
 * driver's lock), so it works while the job runs, after it finished, and
 * after its driver died. sp_job_print_status reads the files and
 * sp_job_status_print (status.h) makes the report of their bytes.
 */
#include "api/status.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "io/fs.h"
#include "io/jsonl.h"
#include "plan/desc.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* jsonl callback: records the line's task key in the object *arg. */
static sp_status note_key(json_t *line, void *arg, sp_error **err)
{
  json_t *key = json_object_get(line, "key");

  if (json_is_string(key) &&
      json_object_set_new((json_t *)arg, json_string_value(key),
                          json_true()) != 0)
    return sp_error_oom(err);
  return SP_OK;
}

/* Reads the first len bytes of the status file into buf; returns how many
 * (0 when there is none). */
static size_t read_status(const char *job_dir, char *buf, size_t len)
{
  char path[4096];
  size_t n = 0;
  FILE *f;

  snprintf(path, sizeof(path), "%s/status", job_dir);
  if ((f = fopen(path, "r"))) {
    n = fread(buf, 1, len, f);
    fclose(f);
  }
  return n;
}

/* Prints one line per node of plan with worker tasks: done of total. */
static void print_steps(const json_t *plan, const json_t *done, FILE *out,
                        size_t *ndone, size_t *ntotal)
{
  const json_t *nodes = json_object_get(plan, "nodes");
  const json_t *tasks = json_object_get(plan, "tasks");
  size_t i, j;

  for (i = 0; i < json_array_size(nodes); i++) {
    const json_t *n = json_array_get(nodes, i);
    json_int_t id = json_integer_value(json_object_get(n, "id"));
    const char *node_kind = json_string_value(json_object_get(n, "kind"));
    size_t total = 0, finished = 0;
    for (j = 0; j < json_array_size(tasks); j++) {
      const json_t *t = json_array_get(tasks, j);
      const char *name = json_string_value(json_object_get(t, "kind"));
      int kind = sp_task_kind_from_name(name ? name : "");
      if (json_integer_value(json_object_get(t, "node")) != id || kind < 0 ||
          !sp_task_kind_runs_in_worker((sp_task_kind)kind))
        continue;
      total++;
      finished += json_object_get(done, json_string_value(json_object_get(
                                            t, "key"))) != NULL;
    }
    if (total == 0)
      continue;
    /* plan.json may be cut or edited: a step without a kind is "?". */
    fprintf(out, "  #%lld %-12s %6zu / %-6zu tasks done%s\n", (long long)id,
            node_kind ? node_kind : "?", finished, total,
            finished == total ? "" : "  <-");
    *ndone += finished;
    *ntotal += total;
  }
}

void sp_job_status_print(const sp_job_files *f, FILE *out)
{
  char status[SP_STATUS_MAX + 1];
  size_t n = f->status ? f->status_len : 0, ndone = 0, ntotal = 0;
  json_t *plan = NULL;
  json_error_t jerr;

  if (n > SP_STATUS_MAX)
    n = SP_STATUS_MAX;
  if (n)
    memcpy(status, f->status, n);
  while (n > 0 && status[n - 1] == '\n')
    n--;
  status[n] = '\0';
  fprintf(out, "job %s\n", f->job_dir);
  if (f->driver > 0)
    fprintf(out, "state: running (driver pid %d)\n", f->driver);
  else if (f->driver < 0)
    fprintf(out, "state: running (its driver's pid is unknown)\n");
  else if (strncmp(status, "running", 7) == 0)
    fprintf(out, "state: stopped: its driver is gone (killed or crashed); "
            "rerun it with the same job id to resume (status file: %s)\n",
            status);
  else
    fprintf(out, "state: %s\n", *status ? status : "never ran");
  if (f->hosts && f->hosts_len > 0) {
    n = strcspn(f->hosts, "\n");
    fprintf(out, "hosts: %.*s\n", (int)(n < f->hosts_len ? n : f->hosts_len),
            f->hosts);
  }
  if (f->plan && (plan = json_loadb(f->plan, f->plan_len, 0, &jerr))) {
    fprintf(out, "steps of the last run's plan:\n");
    print_steps(plan, f->done, out, &ndone, &ntotal);
    fprintf(out, "%zu of %zu tasks done", ndone, ntotal);
  } else {
    fprintf(out, "no plan yet");
  }
  fprintf(out, "; %zu finished tasks in state.jsonl\n",
          json_object_size(f->done));
  json_decref(plan);
}

sp_status sp_job_print_status(const char *job_dir, FILE *out, sp_error **err)
{
  char marker[4096], path[4096], status[SP_STATUS_MAX];
  sp_job_files f = {0};
  json_t *done = json_object();
  char *plan = NULL, *hosts = NULL;
  size_t skipped = 0;
  sp_status st;

  if (!job_dir || !out)
    return sp_error_set(err, SP_EINVAL, "sp_job_print_status: %s is NULL",
                        !job_dir ? "job_dir" : "out");
  snprintf(marker, sizeof(marker), "%s/.smallpond-job", job_dir);
  if (access(marker, F_OK) != 0) {
    json_decref(done);
    return sp_error_set(err, SP_ENOENT, "%s is not a smallpond job folder "
                        "(no .smallpond-job in it)", job_dir);
  }
  if (!done)
    return sp_error_oom(err);
  snprintf(path, sizeof(path), "%s/state.jsonl", job_dir);
  if ((st = sp_jsonl_load(path, note_key, done, &skipped, err)) != SP_OK)
    goto out;
  f.job_dir = job_dir;
  f.status = status;
  f.status_len = read_status(job_dir, status, sizeof(status));
  f.driver = sp_layout_driver_pid(job_dir);
  /* A plan.json that cannot be read is no plan, as one that does not
   * parse. */
  snprintf(path, sizeof(path), "%s/plan.json", job_dir);
  if (sp_read_file(path, &plan, &f.plan_len, NULL) == SP_OK)
    f.plan = plan;
  snprintf(path, sizeof(path), "%s/hosts", job_dir);
  if (sp_read_file(path, &hosts, &f.hosts_len, NULL) == SP_OK)
    f.hosts = hosts;
  f.done = done;
  sp_job_status_print(&f, out);
out:
  sp_free(hosts);
  sp_free(plan);
  json_decref(done);
  return st;
}

sp_status sp_job_dir_of(const char *data_root, const char *job, sp_buf *dir,
                        sp_error **err)
{
  char marker[4096];
  struct stat sb;
  sp_status st = SP_OK;
  int named = strchr(job, '/') || (stat(job, &sb) == 0 && S_ISDIR(sb.st_mode));

  /* A folder, named as such; else an id (no '/') under the data root. */
  if (named)
    sp_buf_puts(dir, job);
  else if ((st = sp_data_root(data_root, dir, err)) == SP_OK)
    sp_buf_appendf(dir, "/%s", job);
  if (st != SP_OK)
    return st;
  if (sp_buf_oom(dir))
    return sp_error_oom(err);
  snprintf(marker, sizeof(marker), "%s/.smallpond-job", dir->data);
  if (access(marker, F_OK) == 0)
    return SP_OK;
  if (named)
    return sp_error_set(err, SP_ENOENT, "%s is not a smallpond job folder "
                        "(no .smallpond-job in it)", job);
  return sp_error_set(err, SP_ENOENT, "no job %s: neither a job folder nor "
                      "a job id under the data root %.*s", job,
                      (int)(dir->len - strlen(job) - 1), dir->data);
}

sp_status sp_job_print_status_of(const char *data_root, const char *job,
                                 FILE *out, sp_error **err)
{
  sp_buf dir = SP_BUF_INIT;
  sp_status st;

  if (!job || !out)
    return sp_error_set(err, SP_EINVAL, "sp_job_print_status_of: %s is NULL",
                        !job ? "job" : "out");
  if ((st = sp_job_dir_of(data_root, job, &dir, err)) == SP_OK)
    st = sp_job_print_status(dir.data, out, err);
  sp_buf_release(&dir);
  return st;
}

sp_status sp_job_state_of(const char *data_root, const char *job,
                          char *state, size_t len, sp_error **err)
{
  sp_buf dir = SP_BUF_INIT;
  sp_status st;
  time_t end;

  if (!job || !state || len == 0)
    return sp_error_set(err, SP_EINVAL, "sp_job_state_of: %s",
                        !job ? "job is NULL" : "no room for the state");
  if ((st = sp_job_dir_of(data_root, job, &dir, err)) == SP_OK)
    sp_job_state(dir.data, state, len, &end);
  sp_buf_release(&dir);
  return st;
}

/* A job under the data root: its id, and when it started (its marker's
 * time). */
typedef struct job_line {
  char *id;
  time_t started;
} job_line;

static int by_start(const void *a, const void *b)
{
  const job_line *x = a, *y = b;

  return x->started != y->started ? (x->started < y->started ? -1 : 1)
                                  : strcmp(x->id, y->id);
}

void sp_job_state(const char *dir, char *state, size_t len, time_t *end)
{
  sp_buf file = SP_BUF_INIT;
  struct stat sb;
  size_t n;
  int driver = sp_layout_driver_pid(dir);

  n = read_status(dir, state, len - 1);
  state[n] = '\0';
  state[strcspn(state, " \t\n")] = '\0';
  if (driver)
    snprintf(state, len, "running");
  else if (strcmp(state, "running") == 0)
    snprintf(state, len, "stopped");
  else if (!*state)
    snprintf(state, len, "new");
  *end = time(NULL);
  sp_buf_appendf(&file, "%s/status", dir);
  if (!driver && !sp_buf_oom(&file) && stat(file.data, &sb) == 0)
    *end = sb.st_mtime;
  sp_buf_release(&file);
}

/* The job's last published output folder, and how many before it
 * (its outputs file), into *last ("-" for none). */
static void last_output(const char *dir, sp_buf *last)
{
  sp_buf path = SP_BUF_INIT;
  char *text = NULL, *line, *end;
  size_t len, n = 0;

  sp_buf_appendf(&path, "%s/outputs", dir);
  if (!sp_buf_oom(&path) &&
      sp_read_file(path.data, &text, &len, NULL) == SP_OK) {
    for (line = text; *line; line = *end ? end + 1 : end) {
      end = line + strcspn(line, "\n");
      if (end == line)
        continue;
      sp_buf_reset(last);
      sp_buf_append(last, line, (size_t)(end - line));
      n++;
    }
  }
  if (n > 1)
    sp_buf_appendf(last, " (and %zu more)", n - 1);
  if (n == 0)
    sp_buf_puts(last, "-");
  sp_free(text);
  sp_buf_release(&path);
}

static void print_job(const char *dir, const job_line *j, FILE *out)
{
  sp_buf output = SP_BUF_INIT;
  char state[64], when[32];
  time_t end;

  sp_job_state(dir, state, sizeof(state), &end);
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&j->started));
  last_output(dir, &output);
  fprintf(out, "%-24s %-8s %s %9lld %10.1f MiB  %s\n", j->id, state, when,
          (long long)(end > j->started ? end - j->started : 0),
          (double)sp_disk_bytes(dir) / (1 << 20),
          sp_buf_oom(&output) ? "?" : output.data);
  sp_buf_release(&output);
}

/* The jobs under root, oldest first: *jobs for free_jobs. */
static sp_status list_jobs(const char *root, job_line **jobs, size_t *n,
                           sp_error **err)
{
  size_t cap = 0;
  struct dirent *e;
  sp_status st = SP_OK;
  DIR *d;

  *jobs = NULL;
  *n = 0;
  if (!(d = opendir(root)))
    return sp_error_set(err, SP_ENOENT, "no data root %s: %s", root,
                        strerror(errno));
  /* A job folder has the marker; its creation is when the job started. */
  while ((e = readdir(d)) && st == SP_OK) {
    sp_buf marker = SP_BUF_INIT;
    struct stat sb;
    if (e->d_name[0] == '.')
      continue;
    sp_buf_appendf(&marker, "%s/%s/.smallpond-job", root, e->d_name);
    if (sp_buf_oom(&marker))
      st = sp_error_oom(err);
    else if (stat(marker.data, &sb) == 0) {
      if (sp_grow((void **)jobs, &cap, *n + 1, sizeof(**jobs)) ||
          !((*jobs)[*n].id = sp_strdup(e->d_name)))
        st = sp_error_oom(err);
      else
        (*jobs)[(*n)++].started = sb.st_mtime;
    }
    sp_buf_release(&marker);
  }
  closedir(d);
  if (*n)
    qsort(*jobs, *n, sizeof(**jobs), by_start);
  return st;
}

static void free_jobs(job_line *jobs, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    sp_free(jobs[i].id);
  sp_free(jobs);
}

sp_status sp_jobs_print(const char *data_root, FILE *out, sp_error **err)
{
  sp_buf root = SP_BUF_INIT, dir = SP_BUF_INIT;
  job_line *jobs = NULL;
  size_t n = 0, i;
  sp_status st;

  if (!out)
    return sp_error_set(err, SP_EINVAL, "sp_jobs_print: out is NULL");
  if ((st = sp_data_root(data_root, &root, err)) != SP_OK ||
      (st = list_jobs(root.data, &jobs, &n, err)) != SP_OK)
    goto out;
  fprintf(out, "%-24s %-8s %-19s %9s %14s  %s\n", "job", "state", "started",
          "ran (s)", "on disk", "output");
  for (i = 0; i < n; i++) {
    sp_buf_reset(&dir);
    sp_buf_appendf(&dir, "%s/%s", root.data, jobs[i].id);
    if (!sp_buf_oom(&dir))
      print_job(dir.data, &jobs[i], out);
  }
  if (n == 0)
    fprintf(out, "(no jobs under %s)\n", root.data);
out:
  free_jobs(jobs, n);
  sp_buf_release(&root);
  sp_buf_release(&dir);
  return st;
}

sp_status sp_jobs_gc(const char *data_root, int64_t older_than_s,
                     int failed_too, FILE *out, sp_error **err)
{
  sp_buf root = SP_BUF_INIT, dir = SP_BUF_INIT;
  job_line *jobs = NULL;
  size_t n = 0, i, removed_jobs = 0;
  int64_t freed = 0;
  time_t now = time(NULL);
  sp_status st;

  if (!out || older_than_s < 0)
    return sp_error_set(err, SP_EINVAL, "sp_jobs_gc: %s",
                        !out ? "out is NULL" : "older_than_s is negative");
  if ((st = sp_data_root(data_root, &root, err)) != SP_OK ||
      (st = list_jobs(root.data, &jobs, &n, err)) != SP_OK)
    goto out;
  for (i = 0; i < n && st == SP_OK; i++) {
    char state[64];
    time_t end;
    int64_t bytes;
    int removed = 0;
    sp_buf_reset(&dir);
    sp_buf_appendf(&dir, "%s/%s", root.data, jobs[i].id);
    if (sp_buf_oom(&dir)) {
      st = sp_error_oom(err);
      break;
    }
    sp_job_state(dir.data, state, sizeof(state), &end);
    /* A failed or stopped job resumes from what it left: kept unless
     * asked; a running one, never (its lock decides, below). */
    if (strcmp(state, "running") == 0 ||
        (strcmp(state, "success") != 0 && !failed_too) ||
        (int64_t)(now - end) < older_than_s)
      continue;
    bytes = sp_disk_bytes(dir.data);
    if ((st = sp_layout_remove(dir.data, &removed, err)) != SP_OK)
      break;
    if (!removed)
      continue; /* a driver took it meanwhile */
    fprintf(out, "removed %s (%s, %.1f MiB)\n", jobs[i].id, state,
            (double)bytes / (1 << 20));
    freed += bytes;
    removed_jobs++;
  }
  if (st == SP_OK)
    fprintf(out, "freed %.1f MiB: %zu of %zu jobs removed\n",
            (double)freed / (1 << 20), removed_jobs, n);
out:
  free_jobs(jobs, n);
  sp_buf_release(&root);
  sp_buf_release(&dir);
  return st;
}
