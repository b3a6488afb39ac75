/*
 * cmd_report.c - `smallpond report [--data-root DIR] JOB [-o FILE]`: a
 * job's report as one HTML file (sp_job_report).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char report_usage[] =
    "usage: smallpond report [--data-root DIR] JOB [-o FILE]\n"
    "\n"
    "Writes the report of the job JOB (a job folder, or a job id under the\n"
    "data root: --data-root, else $SP_DATA_ROOT, else ~/.smallpond/data) as\n"
    "one self-contained HTML file, which needs no network to show: the plan\n"
    "as a graph; a timeline of every task attempt that ended, per worker,\n"
    "coloured by step, with retried, failed, lost (another attempt won) and\n"
    "speculative attempts marked; a table per step with its tasks,\n"
    "attempts, rows, bytes, p50, p95 and max duration and its slowest task;\n"
    "and the errors of failed attempts. Reads the job's plan.json and\n"
    "log/tasks.csv only, so it works while the job runs, after it failed\n"
    "and after it finished.\n"
    "\n"
    "  -o, --output FILE   where to write (default: report-<job id>.html in\n"
    "                      the current folder); written whole or not at all\n"
    "\n"
    "exit status: 0 written, 1 not a job or unreadable, 2 bad options\n";

/* report-<the last name of job>.html into out. */
static void default_output(const char *job, char *out, size_t len)
{
  size_t n = strlen(job);
  const char *name;

  while (n > 1 && job[n - 1] == '/')
    n--;
  name = job + n;
  while (name > job && name[-1] != '/')
    name--;
  n -= (size_t)(name - job);
  if (n == 0 || (name[0] == '.' && (n == 1 || (n == 2 && name[1] == '.'))) ||
      name[0] == '/')
    snprintf(out, len, "report.html");
  else
    snprintf(out, len, "report-%.*s.html", (int)n, name);
}

/* -o FILE, --output FILE: into *(const char **)arg, once. */
static int output_option(int argc, char **argv, int *i, void *arg)
{
  const char **output = arg;

  if ((strcmp(argv[*i], "-o") != 0 && strcmp(argv[*i], "--output") != 0) ||
      *i + 1 >= argc || *output)
    return 0;
  *output = argv[++*i];
  return 1;
}

int sp_cmd_report(int argc, char **argv)
{
  const char *output = NULL;
  sp_cli_job_args a = {report_usage, 1, NULL, NULL, output_option, &output};
  char fallback[512];
  sp_error *err = NULL;
  int code = sp_cli_parse_job_args(argc, argv, &a);

  if (code)
    return code < 0 ? SP_EXIT_OK : code;
  if (output && !*output) {
    fputs(report_usage, stderr);
    return SP_EXIT_USAGE;
  }
  if (!output) {
    default_output(a.job, fallback, sizeof(fallback));
    output = fallback;
  }
  if (sp_job_report(a.root, a.job, output, &err) != SP_OK) {
    fprintf(stderr, "smallpond: error: %s\n", sp_error_message(err));
    sp_error_free(&err);
    return SP_EXIT_ERROR;
  }
  printf("wrote %s\n", output);
  return SP_EXIT_OK;
}
