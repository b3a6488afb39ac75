/*
 * error.c - sp_error: creation inside the library, public accessors.
 */
#include "util/error.h"

#include <stdarg.h>

#include "util/alloc.h"
#include "util/buf.h"

static sp_error oom_error = {SP_ENOMEM, "out of memory", NULL, NULL};

const char *sp_status_str(sp_status status)
{
  switch (status) {
  case SP_OK: return "success";
  case SP_ENOMEM: return "out of memory";
  case SP_EINVAL: return "invalid argument";
  case SP_ENOENT: return "no such file";
  case SP_EIO: return "file system error";
  case SP_ESQL: return "SQL error";
  case SP_EPLAN: return "plan error";
  case SP_EWORKER: return "worker failure";
  case SP_EEXIST: return "output exists";
  case SP_EINTERNAL: return "internal error";
  }
  return "unknown status";
}

static sp_status error_vset(sp_error **err, sp_status status,
                            const char *task, const char *sql,
                            const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static sp_status error_vset(sp_error **err, sp_status status,
                            const char *task, const char *sql,
                            const char *fmt, va_list ap)
{
  sp_buf msg = SP_BUF_INIT;
  sp_error *e;

  if (!err || *err)
    return status;
  /* SP_ENOMEM with a message (DuckDB's memory limit) still gets its own
   * error; when malloc itself fails, the static one below stands in. */
  sp_buf_vappendf(&msg, fmt, ap);
  e = sp_calloc(1, sizeof(*e));
  if (!e || sp_buf_oom(&msg))
    goto out_oom;
  e->status = status;
  e->message = sp_buf_detach(&msg);
  if (!e->message)
    goto out_oom;
  if (task && !(e->task = sp_strdup(task)))
    goto out_oom;
  if (sql && !(e->sql = sp_strdup(sql)))
    goto out_oom;
  *err = e;
  return status;

out_oom:
  sp_buf_release(&msg);
  sp_error_free(&e);
  *err = &oom_error;
  return status;
}

sp_status sp_error_set(sp_error **err, sp_status status, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  error_vset(err, status, NULL, NULL, fmt, ap);
  va_end(ap);
  return status;
}

sp_status sp_error_set_task(sp_error **err, sp_status status,
                            const char *task, const char *sql,
                            const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  error_vset(err, status, task, sql, fmt, ap);
  va_end(ap);
  return status;
}

sp_status sp_error_oom(sp_error **err)
{
  if (err && !*err)
    *err = &oom_error;
  return SP_ENOMEM;
}

void sp_error_prefix(sp_error **err, const char *fmt, ...)
{
  sp_buf msg = SP_BUF_INIT;
  va_list ap;
  char *m;

  if (!err || !*err || *err == &oom_error)
    return;
  va_start(ap, fmt);
  sp_buf_vappendf(&msg, fmt, ap);
  va_end(ap);
  sp_buf_puts(&msg, ": ");
  sp_buf_puts(&msg, (*err)->message);
  m = sp_buf_detach(&msg);
  if (!m)
    return; /* keep the unprefixed message rather than lose it */
  sp_free((*err)->message);
  (*err)->message = m;
}

sp_status sp_error_status(const sp_error *err)
{
  return err ? err->status : SP_OK;
}

const char *sp_error_message(const sp_error *err)
{
  return err ? err->message : "";
}

const char *sp_error_sql(const sp_error *err) { return err ? err->sql : NULL; }

const char *sp_error_task(const sp_error *err)
{
  return err ? err->task : NULL;
}

void sp_error_free(sp_error **err)
{
  sp_error *e;

  if (!err || !*err)
    return;
  e = *err;
  *err = NULL;
  if (e == &oom_error)
    return;
  sp_free(e->message);
  sp_free(e->sql);
  sp_free(e->task);
  sp_free(e);
}
