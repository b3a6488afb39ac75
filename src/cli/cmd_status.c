/*
 * cmd_status.c - the job folders under the data root: `smallpond status
 * [--data-root DIR] JOB`, a job's state and progress
 * (sp_job_print_status_of); `smallpond jobs`, every job (sp_jobs_print);
 * `smallpond gc`, removing what old jobs left (sp_jobs_gc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char status_usage[] =
    "usage: smallpond status [--data-root DIR] JOB\n"
    "\n"
    "Prints the state of the job JOB: a job folder (<data root>/<job id>),\n"
    "or a job id under the data root (--data-root, else $SP_DATA_ROOT, else\n"
    "~/.smallpond/data): running, success or failure, or stopped when its\n"
    "driver died; and each step's finished tasks out of its total. Reads\n"
    "the folder only, so it works while the job runs and after.\n";

static const char jobs_usage[] =
    "usage: smallpond jobs [--data-root DIR]\n"
    "\n"
    "Lists the jobs under the data root (--data-root, else $SP_DATA_ROOT,\n"
    "else ~/.smallpond/data), oldest first: each job's id, state (running,\n"
    "success, failure, stopped: its driver died, or new), when it started,\n"
    "how long it ran, its size on disk, and the folder its output was\n"
    "written into (the last one, when it wrote several).\n";

static const char gc_usage[] =
    "usage: smallpond gc [--data-root DIR] [--older-than DURATION]\n"
    "                    [--failed]\n"
    "\n"
    "Removes the folders of the jobs under the data root (--data-root, else\n"
    "$SP_DATA_ROOT, else ~/.smallpond/data) that succeeded and ended at\n"
    "least DURATION ago (a number and s, m, h or d; default 7d), printing\n"
    "each and what was freed. Failed and stopped jobs are kept, as a rerun\n"
    "resumes from them, unless --failed is given. A running job is never\n"
    "touched: its lock is taken for the removal.\n";

static int report(sp_status st, sp_error **err)
{
  if (st == SP_OK)
    return SP_EXIT_OK;
  fprintf(stderr, "smallpond: error: %s\n", sp_error_message(*err));
  sp_error_free(err);
  return SP_EXIT_ERROR;
}

int sp_cmd_status(int argc, char **argv)
{
  sp_cli_job_args a = {status_usage, 1, NULL, NULL, NULL, NULL};
  sp_error *err = NULL;
  int code = sp_cli_parse_job_args(argc, argv, &a);

  if (code)
    return code < 0 ? SP_EXIT_OK : code;
  return report(sp_job_print_status_of(a.root, a.job, stdout, &err), &err);
}

/* "30s", "15m", "12h", "7d": *seconds; 0, or -1 when it is not one. */
static int parse_duration(const char *text, long long *seconds)
{
  char *end = NULL;
  long long n = strtoll(text, &end, 10);
  long long unit = !end || end == text || end[0] == '\0' || end[1] != '\0'
                       ? 0
                   : *end == 's' ? 1
                   : *end == 'm' ? 60
                   : *end == 'h' ? 3600
                   : *end == 'd' ? 86400
                                 : 0;

  if (!unit || n < 0 || n > (long long)1e12 / unit)
    return -1;
  *seconds = n * unit;
  return 0;
}

/* gc's own options. */
typedef struct gc_options {
  long long older_than;
  int failed;
} gc_options;

static int gc_option(int argc, char **argv, int *i, void *arg)
{
  gc_options *o = arg;

  if (strcmp(argv[*i], "--failed") == 0) {
    o->failed = 1;
    return 1;
  }
  if (strcmp(argv[*i], "--older-than") != 0 || *i + 1 >= argc)
    return 0;
  if (parse_duration(argv[++*i], &o->older_than) != 0)
    return sp_cli_usage_error("gc", "--older-than: expected a number and s, "
                              "m, h or d (7d), got '%s'", argv[*i]);
  return 1;
}

int sp_cmd_gc(int argc, char **argv)
{
  gc_options o = {7 * 86400, 0};
  sp_cli_job_args a = {gc_usage, 0, NULL, NULL, gc_option, &o};
  sp_error *err = NULL;
  int code = sp_cli_parse_job_args(argc, argv, &a);

  if (code)
    return code < 0 ? SP_EXIT_OK : code;
  return report(sp_jobs_gc(a.root, o.older_than, o.failed, stdout, &err),
                &err);
}

int sp_cmd_jobs(int argc, char **argv)
{
  sp_cli_job_args a = {jobs_usage, 0, NULL, NULL, NULL, NULL};
  sp_error *err = NULL;
  int code = sp_cli_parse_job_args(argc, argv, &a);

  if (code)
    return code < 0 ? SP_EXIT_OK : code;
  return report(sp_jobs_print(a.root, stdout, &err), &err);
}
