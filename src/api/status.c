/*
 * status.c - sp_job_print_status: a job's state and per-step progress,
 * from its folder's files alone (status, plan.json, state.jsonl and the
 * driver's lock), so it works while the job runs, after it finished, and
 * after its driver died. sp_job_print_status reads the files and
 * sp_job_status_print (status.h) makes the report of their bytes.
 */
#include "api/status.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
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
  char *plan = NULL;
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
  f.done = done;
  sp_job_status_print(&f, out);
out:
  sp_free(plan);
  json_decref(done);
  return st;
}
