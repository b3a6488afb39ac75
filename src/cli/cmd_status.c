/*
 * cmd_status.c - `smallpond status [--data-root DIR] JOB`: a job's state
 * and progress (sp_job_print_status_of), and `smallpond jobs [--data-root
 * DIR]`: every job under the data root (sp_jobs_print). Both read the job
 * folders only.
 */
#include <stdio.h>
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
    "how long it ran, and its size on disk.\n";

/* Reads [--data-root DIR] and, when want_job, one JOB. 0, or an exit
 * code; -1 after --help. */
static int parse(int argc, char **argv, const char *usage, int want_job,
                 const char **root, const char **job)
{
  int i;

  *root = NULL;
  *job = NULL;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return -1;
    }
    if (strcmp(argv[i], "--data-root") == 0 && i + 1 < argc && !*root) {
      *root = argv[++i];
    } else if (want_job && !*job && argv[i][0] != '-') {
      *job = argv[i];
    } else {
      fputs(usage, stderr);
      return SP_EXIT_USAGE;
    }
  }
  if (want_job && !*job) {
    fputs(usage, stderr);
    return SP_EXIT_USAGE;
  }
  return SP_EXIT_OK;
}

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
  const char *root, *job;
  sp_error *err = NULL;
  int code = parse(argc, argv, status_usage, 1, &root, &job);

  if (code)
    return code < 0 ? SP_EXIT_OK : code;
  return report(sp_job_print_status_of(root, job, stdout, &err), &err);
}

int sp_cmd_jobs(int argc, char **argv)
{
  const char *root, *job;
  sp_error *err = NULL;
  int code = parse(argc, argv, jobs_usage, 0, &root, &job);

  if (code)
    return code < 0 ? SP_EXIT_OK : code;
  return report(sp_jobs_print(root, stdout, &err), &err);
}
