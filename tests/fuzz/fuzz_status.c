/*
 * fuzz_status.c - what `smallpond status` and sp_job_print_status make of
 * a job folder's files (src/api/status.h), on arbitrary bytes: the status
 * file and plan.json are whatever a crash, a full disk or another program
 * left there.
 *
 * The input is "STATUS\0PLAN.JSON\0KEY\nKEY...": the status file, plan.json
 * (absent without the first NUL) and the keys of the tasks state.jsonl
 * lists as finished (reading state.jsonl itself is the state.jsonl
 * harness's part; README.md). Checked: the report names the folder and
 * the state the driver and the status file give, lists the plan's steps
 * when plan.json parses and says there is none otherwise, and ends with
 * its totals: tasks done of the plan's, and
 * as many finished tasks as there are keys. No "(null)" is printed for a
 * field the plan lacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/status.h"
#include "fuzz.h"
#include "util/buf.h"

#define JOB_DIR "/data/job"

/* The object of the keys in text, one a line. */
static json_t *keys(const char *text)
{
  json_t *done = json_object();
  const char *p = text;

  if (!done)
    abort();
  while (p && *p) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    char *key = fuzz_strndup((const uint8_t *)p, n);
    json_object_set_new(done, key, json_true());
    free(key);
    p = nl ? nl + 1 : NULL;
  }
  return done;
}

/* The report's first lines: the folder, and the state from the driver and
 * the status file (its first SP_STATUS_MAX bytes, without the last
 * newlines). */
static void head(const sp_job_files *f, sp_buf *b)
{
  size_t n = f->status_len < SP_STATUS_MAX ? f->status_len : SP_STATUS_MAX;

  while (n > 0 && f->status[n - 1] == '\n')
    n--;
  sp_buf_puts(b, "job " JOB_DIR "\nstate: ");
  if (f->driver > 0)
    sp_buf_appendf(b, "running (driver pid %d)\n", f->driver);
  else if (f->driver < 0)
    sp_buf_puts(b, "running (its driver's pid is unknown)\n");
  else if (n >= 7 && strncmp(f->status, "running", 7) == 0)
    sp_buf_appendf(b, "stopped: its driver is gone (killed or crashed); "
                   "rerun it with the same job id to resume (status file: "
                   "%.*s)\n", (int)n, f->status);
  else if (n)
    sp_buf_appendf(b, "%.*s\n", (int)n, f->status);
  else
    sp_buf_puts(b, "never ran\n");
}

/* Checks the report's last line: "X of Y tasks done; Z finished tasks in
 * state.jsonl" or "no plan yet; Z finished ...". */
static void check_totals(const char *out, size_t len, int plan,
                         size_t finished)
{
  const char *last = out + len - 1;
  unsigned long long x, y, z;
  char tail[64];

  FUZZ_CHECK(len > 0 && out[len - 1] == '\n');
  while (last > out && last[-1] != '\n')
    last--;
  if (plan) {
    FUZZ_CHECK(sscanf(last, "%llu of %llu tasks done; %llu finished %63[^\n]",
                      &x, &y, &z, tail) == 4);
    FUZZ_CHECK(x <= y);
  } else {
    FUZZ_CHECK(sscanf(last, "no plan yet; %llu finished %63[^\n]", &z,
                      tail) == 2);
  }
  FUZZ_CHECK(strcmp(tail, "tasks in state.jsonl") == 0);
  FUZZ_CHECK(z == finished);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *parts[3] = {NULL, NULL, NULL}, *out = NULL;
  sp_buf want = SP_BUF_INIT;
  sp_job_files f = {0};
  json_t *plan;
  size_t n, len = 0;
  FILE *mem;

  n = fuzz_split(data, size, parts, 3);
  f.job_dir = JOB_DIR;
  f.driver = size % 3 == 0 ? 4242 : 0;
  f.status = parts[0];
  f.status_len = strlen(parts[0]);
  if (n > 1) {
    f.plan = parts[1];
    f.plan_len = strlen(parts[1]);
  }
  f.done = keys(n > 2 ? parts[2] : NULL);
  if (!(mem = open_memstream(&out, &len)))
    abort();
  sp_job_status_print(&f, mem);
  FUZZ_CHECK(fclose(mem) == 0);
  head(&f, &want);
  FUZZ_CHECK(!sp_buf_oom(&want));
  FUZZ_CHECK(len > want.len && memcmp(out, want.data, want.len) == 0);
  plan = f.plan ? json_loadb(f.plan, f.plan_len, 0, NULL) : NULL;
  if (plan)
    FUZZ_CHECK(strncmp(out + want.len, "steps of the last run's plan:\n",
                       30) == 0);
  else
    FUZZ_CHECK(strncmp(out + want.len, "no plan yet; ", 13) == 0);
  check_totals(out, len, plan != NULL, json_object_size(f.done));
  /* Escapes aside, "(null)" comes only from the input. */
  if (!memchr(data, '\\', size))
    FUZZ_CHECK(!strstr(out, "(null)") || strstr(f.status, "(null)") ||
               (f.plan && strstr(f.plan, "(null)")));
  sp_buf_release(&want);
  json_decref(plan);
  json_decref((json_t *)f.done);
  free(out);
  fuzz_free_strings(parts, n);
  return 0;
}
