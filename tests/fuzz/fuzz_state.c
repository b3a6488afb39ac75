/*
 * fuzz_state.c - state.jsonl through resume (src/sched/state.h): what a
 * rerun reads back from a job folder and must not trust.
 *
 * The input is a job's state.jsonl. It is loaded as the driver loads it
 * (the last line of a key wins), and every line is then checked for reuse
 * as the task its key and kind name, in a job folder holding two Parquet
 * files of that task (their ends, which is all a fingerprint reads).
 * Checked: a line reused gives the task's number of datasets, and every
 * piece of them is a file of the job under data/, owned by the task
 * unless it is a row split, that still has the fingerprint the line
 * records; a line refused says why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "io/fs.h"
#include "io/parquet.h"
#include "sched/state.h"

/* The task the seeds' lines are about; its files exist in the job. */
#define KEY "0123456789abcdef"

static char job_dir[64];
static char state_path[128];

/* Writes path as the end of a Parquet file: "PAR1", footer, its length
 * and "PAR1". */
static void write_parquet_tail(const char *path, const char *footer)
{
  FILE *f = fopen(path, "wb");
  unsigned char len[4];
  size_t n = strlen(footer);

  if (!f)
    abort();
  len[0] = (unsigned char)n;
  len[1] = (unsigned char)(n >> 8);
  len[2] = len[3] = 0;
  if (fputs("PAR1", f) < 0 || fputs(footer, f) < 0 ||
      fwrite(len, 1, 4, f) != 4 || fputs("PAR1", f) < 0 || fclose(f) != 0)
    abort();
}

static void remove_job(void)
{
  sp_rm_rf(job_dir, NULL);
}

/* A job folder with data/KEY.parquet and data/KEY/part-0.parquet, made
 * once and removed at exit. */
static void make_job(void)
{
  char path[256];

  if (job_dir[0])
    return;
  snprintf(job_dir, sizeof(job_dir), "/tmp/sp-fuzz-state-XXXXXX");
  if (!mkdtemp(job_dir) || atexit(remove_job) != 0)
    abort();
  snprintf(path, sizeof(path), "%s/data/" KEY, job_dir);
  if (sp_mkdir_p(path, NULL) != SP_OK)
    abort();
  snprintf(path, sizeof(path), "%s/data/" KEY ".parquet", job_dir);
  write_parquet_tail(path, "the footer of one file");
  snprintf(path, sizeof(path), "%s/data/" KEY "/part-0.parquet", job_dir);
  write_parquet_tail(path, "the footer of a shuffle's file");
  snprintf(state_path, sizeof(state_path), "%s/state.jsonl", job_dir);
}

/* The task line claims to be: its key and kind, as many output slots as
 * the line has (a few at most). */
static void task_of(const json_t *line, const char *key, sp_task *t)
{
  const char *name = json_string_value(json_object_get(line, "kind"));
  int kind = name ? sp_task_kind_from_name(name) : -1;
  size_t n = json_array_size(json_object_get(line, "outputs"));

  memset(t, 0, sizeof(*t));
  snprintf(t->key, sizeof(t->key), "%s", key);
  t->kind = kind >= 0 && sp_task_kind_runs_in_worker((sp_task_kind)kind)
                ? (sp_task_kind)kind
                : SP_TASK_SQL;
  t->nslots = n <= 8 ? (int)n : 1;
}

/* What a reused line promises of its outputs. */
static void check_reused(const sp_task *t, sp_dataset *ds)
{
  char own[128];
  size_t n = strlen(job_dir), j;
  int k;

  snprintf(own, sizeof(own), "%s/data/%s", job_dir, t->key);
  for (k = 0; k < t->nslots; k++)
    for (j = 0; j < ds[k].len; j++) {
      const sp_piece *p = &ds[k].pieces[j];
      sp_fingerprint now;
      FUZZ_CHECK(!p->user);
      FUZZ_CHECK(strncmp(p->path, job_dir, n) == 0);
      FUZZ_CHECK(strncmp(p->path + n, "/data/", 6) == 0);
      FUZZ_CHECK(!strstr(p->path, "/../") && !strstr(p->path, "/./"));
      FUZZ_CHECK(t->kind == SP_TASK_SPLIT_ROWS ||
                 strncmp(p->path, own, strlen(own)) == 0);
      FUZZ_CHECK(sp_parquet_fingerprint(p->path, &now, NULL) == SP_OK);
      FUZZ_CHECK(now.bytes == p->fingerprint.bytes &&
                 now.footer == p->fingerprint.footer);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  json_t *finished = NULL, *line;
  const char *key;
  sp_error *err = NULL;
  size_t skipped;
  sp_status st;
  FILE *f;

  make_job();
  if (!(f = fopen(state_path, "wb")) ||
      (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
    abort();
  st = sp_state_load(state_path, &finished, &skipped, &err);
  fuzz_check_error(st, &err);
  FUZZ_CHECK(st == SP_OK && finished);
  json_object_foreach(finished, key, line) {
    sp_dataset *outputs = NULL;
    int64_t rows = -2;
    sp_task t;
    task_of(line, key, &t);
    st = sp_state_reuse(line, &t, job_dir, &outputs, &rows, &err);
    fuzz_check_error(st, &err);
    if (st != SP_OK) {
      FUZZ_CHECK(outputs == NULL);
      continue;
    }
    FUZZ_CHECK(rows >= -1);
    FUZZ_CHECK(t.nslots == 0 || outputs != NULL);
    check_reused(&t, outputs);
    for (int k = 0; k < t.nslots; k++)
      if (outputs[k].len)
        fuzz_use_dataset(&outputs[k]);
    sp_datasets_free(outputs, (size_t)t.nslots);
  }
  json_decref(finished);
  return 0;
}
