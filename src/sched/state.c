/*
 * state.c - lines of state.jsonl (see state.h).
 */
#include "sched/state.h"

#include <string.h>

#include "io/fs.h"
#include "io/jsonl.h"
#include "io/parquet.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

static sp_status remember_line(json_t *line, void *arg, sp_error **err)
{
  json_t *finished = arg;
  const char *key = json_string_value(json_object_get(line, "key"));

  if (key && json_object_set(finished, key, line))
    return sp_error_oom(err);
  return SP_OK;
}

sp_status sp_state_load(const char *path, json_t **finished, size_t *skipped,
                        sp_error **err)
{
  sp_status st;

  *skipped = 0;
  if (!(*finished = json_object()))
    return sp_error_oom(err);
  st = sp_jsonl_load(path, remember_line, *finished, skipped, err);
  if (st != SP_OK) {
    json_decref(*finished);
    *finished = NULL;
  }
  return st;
}

json_t *sp_state_line(const sp_task *t, const sp_task_result *r, int worker,
                      const char *job_dir)
{
  json_t *line = sp_task_result_to_json(r), *outs, *ds, *piece;
  size_t n = strlen(job_dir), i, j;

  if (!line ||
      json_object_set_new(line, "kind",
                          json_string(sp_task_kind_name(t->kind))) ||
      json_object_set_new(line, "partition", json_integer(t->partition)) ||
      json_object_set_new(line, "worker", json_integer(worker)) ||
      (t->node &&
       json_object_set_new(line, "node", json_integer(t->node->id))))
    goto out_oom;
  outs = json_object_get(line, "outputs");
  json_array_foreach(outs, i, ds) {
    json_array_foreach(ds, j, piece) {
      const char *path = json_string_value(json_object_get(piece, "path"));
      if (path && strncmp(path, job_dir, n) == 0 && path[n] == '/' &&
          json_object_set_new(piece, "path", json_string(path + n + 1)))
        goto out_oom;
    }
  }
  return line;

out_oom:
  json_decref(line);
  return NULL;
}

/* Why path, relative to the job folder, may not name a file task t wrote,
 * or NULL when it may: it is under data/, stays there (no "." or ".."
 * and no empty component), and is the task's own data/<key>.parquet or
 * inside data/<key>/ (a row split hands on any job file). */
static const char *path_problem(const char *path, const sp_task *t)
{
  size_t klen = strlen(t->key);
  const char *c = path, *own = path + strlen("data/");

  if (strncmp(path, "data/", 5) != 0)
    return path[0] == '/' ? "it is outside the job folder"
                          : "it is not under data/";
  while (c) {
    size_t len = strcspn(c, "/");
    if (len == 0 || (len == 1 && c[0] == '.') ||
        (len == 2 && c[0] == '.' && c[1] == '.'))
      return "it has an empty, . or .. component";
    c = c[len] ? c + len + 1 : NULL;
  }
  if (t->kind == SP_TASK_SPLIT_ROWS)
    return NULL;
  if (strncmp(own, t->key, klen) != 0 ||
      (strcmp(own + klen, ".parquet") != 0 && own[klen] != '/'))
    return "it is another task's file";
  return NULL;
}

/* The file last checked, and its fingerprint: ranges of one file follow
 * each other. */
typedef struct checked_file {
  sp_buf path;
  sp_fingerprint print;
} checked_file;

/* Makes piece p's path absolute after checking it and its file, whose
 * fingerprint must be the one p records. */
static sp_status check_piece(sp_piece *p, const sp_task *t,
                             const char *job_dir, checked_file *last,
                             sp_error **err)
{
  const char *why = p->user ? "it is an input file outside the job folder"
                            : path_problem(p->path, t);
  sp_buf abs = SP_BUF_INIT, data = SP_BUF_INIT;
  sp_fingerprint now;
  sp_status st = SP_OK;
  char *real = NULL;

  if (!why && p->fingerprint.bytes <= 0)
    why = "it has no recorded size and footer";
  if (!why && p->reader)
    why = "it names a reader, and smallpond reads its own files with none";
  if (why)
    return sp_error_set(err, SP_EINVAL, "file %s: %s", p->path, why);
  sp_buf_appendf(&abs, "%s/%s", job_dir, p->path);
  sp_buf_appendf(&data, "%s/data", job_dir);
  if (sp_buf_oom(&abs) || sp_buf_oom(&data)) {
    st = sp_error_oom(err);
    goto out;
  }
  if (last->path.data && strcmp(last->path.data, abs.data) == 0) {
    now = last->print;
  } else {
    sp_buf_reset(&last->path);
    /* A link anywhere on the way could lead out of the job: resolved. */
    if ((st = sp_path_check_inside(abs.data, data.data, &real, err)) ||
        (st = sp_parquet_fingerprint(real, &now, err)))
      goto out;
    sp_buf_puts(&last->path, abs.data);
    last->print = now;
  }
  if (now.bytes != p->fingerprint.bytes ||
      now.footer != p->fingerprint.footer) {
    st = sp_error_set(err, SP_EIO, "file %s has changed since it was "
                      "written (%lld bytes then, %lld now)", abs.data,
                      (long long)p->fingerprint.bytes, (long long)now.bytes);
    goto out;
  }
  sp_free(p->path);
  if (!(p->path = sp_buf_detach(&abs)))
    st = sp_error_oom(err);
out:
  sp_free(real);
  sp_buf_release(&abs);
  sp_buf_release(&data);
  return st;
}

sp_status sp_state_reuse(const json_t *line, const sp_task *t,
                         const char *job_dir, sp_dataset **outputs,
                         int64_t *rows, sp_error **err)
{
  json_t *outs = json_object_get(line, "outputs"),
         *n_rows = json_object_get(line, "rows");
  size_t n = json_array_size(outs), i, j;
  checked_file last = {SP_BUF_INIT, {0, 0}};
  sp_dataset *ds = NULL;
  sp_status st = SP_OK;

  *outputs = NULL;
  if (!json_is_array(outs) || n != (size_t)t->nslots)
    return sp_error_set(err, SP_EINVAL, "outputs is not an array of %d "
                        "datasets", t->nslots);
  if (!json_is_integer(n_rows) || json_integer_value(n_rows) < -1)
    return sp_error_set(err, SP_EINVAL, "rows is not a count");
  if (n && !(ds = sp_calloc(n, sizeof(*ds))))
    return sp_error_oom(err);
  for (i = 0; i < n && st == SP_OK; i++) {
    st = sp_dataset_from_json(json_array_get(outs, i), &ds[i], err);
    for (j = 0; st == SP_OK && j < ds[i].len; j++)
      st = check_piece(&ds[i].pieces[j], t, job_dir, &last, err);
  }
  sp_buf_release(&last.path);
  if (st != SP_OK) {
    sp_datasets_free(ds, n);
    return st;
  }
  *outputs = ds;
  *rows = (int64_t)json_integer_value(n_rows);
  return SP_OK;
}
