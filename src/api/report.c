/*
 * report.c - sp_job_report: a job folder's report as one HTML file, read
 * (report_read.c), drawn (report_html.c) and written beside its path,
 * then renamed into place, so a failure leaves no half-written page.
 */
#include "api/report.h"

#include "api/status.h"
#include "io/fs.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"

sp_status sp_job_report(const char *data_root, const char *job,
                        const char *html_path, sp_error **err)
{
  sp_buf dir = SP_BUF_INIT, html = SP_BUF_INIT;
  sp_report r = {0};
  sp_status st;

  if (!job || !html_path)
    return sp_error_set(err, SP_EINVAL, "sp_job_report: %s is NULL",
                        !job ? "job" : "html_path");
  if ((st = sp_job_dir_of(data_root, job, &dir, err)) != SP_OK ||
      (st = sp_report_load(&r, dir.data, err)) != SP_OK)
    goto out;
  sp_report_html(&r, sp_wall_ms(), &html);
  if (sp_buf_oom(&html))
    st = sp_error_oom(err);
  else
    st = sp_write_file_atomic(html_path, html.data, html.len, err);
out:
  sp_report_release(&r);
  sp_buf_release(&html);
  sp_buf_release(&dir);
  return st;
}
