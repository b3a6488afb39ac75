/*
 * layout.c - the job folder (see layout.h).
 */
#include "io/layout.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "io/fs.h"
#include "util/alloc.h"
#include "util/error.h"

int sp_layout_valid_job_id(const char *id)
{
  const char *p;

  if (!id || !*id || *id == '.' || strlen(id) > 128)
    return 0;
  for (p = id; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

#define JOB_MARKER ".smallpond-job"

/* Creates the job folder and its marker file, or accepts an existing
 * folder that is empty or carries the marker. A crash between the two
 * leaves an empty folder, which is accepted again. */
static sp_status claim_job_dir(sp_layout *l, sp_error **err)
{
  sp_buf marker = SP_BUF_INIT;
  sp_status st = SP_OK;
  int has = 0;

  sp_layout_file(l, &marker, JOB_MARKER);
  if (sp_buf_oom(&marker))
    return sp_error_oom(err);
  if (mkdir(l->job_dir, 0777) == 0)
    l->created = 1;
  else if (errno != EEXIST)
    st = sp_error_set(err, SP_EIO, "cannot create folder %s: %s", l->job_dir,
                      strerror(errno));
  else if ((st = sp_dir_has_entries(l->job_dir, &has, err)) == SP_OK && has &&
           !sp_path_exists(marker.data))
    st = sp_error_set(err, SP_EEXIST, "%s exists and is not a smallpond job "
                      "folder; choose another job id or data root",
                      l->job_dir);
  if (st == SP_OK && !has)
    st = sp_write_file_atomic(marker.data, "", 0, err);
  sp_buf_release(&marker);
  return st;
}

sp_status sp_layout_create(const char *data_root, const char *job_id,
                           sp_layout *out, sp_error **err)
{
  static const char *const subdirs[] = {"data", "staging", "tmp", "log"};
  sp_buf path = SP_BUF_INIT;
  char *root = NULL;
  sp_status st;
  size_t i;

  memset(out, 0, sizeof(*out));
  if (!sp_layout_valid_job_id(job_id))
    return sp_error_set(err, SP_EINVAL,
                        "invalid job id '%s': use 1 to 128 letters, digits, "
                        "'.', '_' and '-', not starting with '.'",
                        job_id ? job_id : "");
  if (strpbrk(data_root, "*?["))
    return sp_error_set(err, SP_EINVAL, "data root %s has *, ? or [ in its "
                        "path, which DuckDB would read as a pattern; choose "
                        "another", data_root);
  if ((st = sp_mkdir_p(data_root, err)) != SP_OK)
    return st;
  if ((st = sp_realpath(data_root, &root, err)) != SP_OK)
    return st;
  if (strpbrk(root, "*?[")) { /* through a symbolic link */
    st = sp_error_set(err, SP_EINVAL, "data root %s has *, ? or [ in its "
                      "path, which DuckDB would read as a pattern; choose "
                      "another", root);
    sp_free(root);
    return st;
  }
  sp_buf_appendf(&path, "%s/%s", root, job_id);
  sp_free(root);
  if (sp_buf_oom(&path))
    return sp_error_oom(err);
  out->job_dir = sp_buf_detach(&path);
  if (!out->job_dir)
    return sp_error_oom(err);
  if ((st = claim_job_dir(out, err)) != SP_OK) {
    sp_layout_release(out);
    return st;
  }
  for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
    sp_layout_file(out, &path, subdirs[i]);
    st = sp_buf_oom(&path) ? sp_error_oom(err) : sp_mkdir_p(path.data, err);
    sp_buf_release(&path);
    if (st != SP_OK) {
      sp_layout_release(out);
      return st;
    }
  }
  return SP_OK;
}

void sp_layout_release(sp_layout *l)
{
  sp_free(l->job_dir);
  l->job_dir = NULL;
}

void sp_layout_file(const sp_layout *l, sp_buf *b, const char *name)
{
  sp_buf_appendf(b, "%s/%s", l->job_dir, name);
}

void sp_layout_task_out(const sp_layout *l, sp_buf *b, const char *key)
{
  sp_buf_appendf(b, "%s/data/%s", l->job_dir, key);
}

void sp_layout_attempt_out(const sp_layout *l, sp_buf *b, const char *key,
                           int attempt)
{
  sp_buf_appendf(b, "%s/staging/%s.%d", l->job_dir, key, attempt);
}

void sp_layout_worker_log(const sp_layout *l, sp_buf *b, int n)
{
  sp_buf_appendf(b, "%s/log/executor-%d.log", l->job_dir, n);
}

void sp_layout_worker_tmp(const sp_layout *l, sp_buf *b, int n)
{
  sp_buf_appendf(b, "%s/tmp/executor-%d", l->job_dir, n);
}
