/*
 * args.c - what the tool's commands share: in parsing their arguments, the
 * usage error, whole numbers, the session options of every command that
 * runs a job, and the arguments of those that read job folders; and the
 * report of an error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int sp_cli_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "smallpond %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n(see smallpond %s --help)\n", cmd);
  return SP_EXIT_USAGE;
}

int sp_cli_parse_int(const char *s, long long min, long long max,
                     long long *out)
{
  char *end;
  long long v;

  if (!s || !*s)
    return -1;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || *end || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int sp_cli_parse_seconds(const char *s, int64_t *ms)
{
  char *end;
  double v;

  if (!s || !*s)
    return -1;
  errno = 0;
  v = strtod(s, &end);
  /* Written this way round, NaN fails too. */
  if (errno || *end || !(v > 0 && v <= 366.0 * 24 * 3600))
    return -1;
  *ms = (int64_t)(v * 1000 + 0.5) > 0 ? (int64_t)(v * 1000 + 0.5) : 1;
  return 0;
}

int sp_cli_session_option(const char *cmd, int opt, const char *arg,
                          sp_config *cfg)
{
  long long v;
  int64_t ms;

  switch (opt) {
  case SP_CLI_OPT_WORKERS:
    if (sp_cli_parse_int(arg, 1, 4096, &v))
      return sp_cli_usage_error(cmd, "--workers: expected 1 to 4096, got "
                                "'%s'", arg);
    cfg->workers = (int)v;
    return 1;
  case SP_CLI_OPT_DATA_ROOT:
    cfg->data_root = arg;
    return 1;
  case SP_CLI_OPT_JOB_ID:
    cfg->job_id = arg;
    return 1;
  case SP_CLI_OPT_QUIET:
    cfg->progress = 0;
    return 1;
  case SP_CLI_OPT_KEEP_INTERMEDIATE:
    cfg->keep_intermediate = 1;
    return 1;
  case SP_CLI_OPT_HOST_TIMEOUT:
    if (strcmp(arg, "off") == 0) {
      cfg->host_timeout_ms = -1;
      return 1;
    }
    if (sp_cli_parse_seconds(arg, &ms))
      return sp_cli_usage_error(cmd, "--host-timeout: expected seconds "
                                "(more than 0) or off, got '%s'", arg);
    cfg->host_timeout_ms = ms;
    return 1;
  case SP_CLI_OPT_NO_AUTOLOAD:
    cfg->autoload_extensions = -1;
    return 1;
  default:
    return 0;
  }
}

int sp_cli_parse_job_args(int argc, char **argv, sp_cli_job_args *a)
{
  int i, took;

  a->root = NULL;
  a->job = NULL;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(a->usage, stdout);
      return -1;
    }
    if (strcmp(argv[i], "--data-root") == 0 && i + 1 < argc && !a->root) {
      a->root = argv[++i];
      continue;
    }
    if ((took = a->own ? a->own(argc, argv, &i, a->arg) : 0) == 1)
      continue;
    if (took != 0)
      return took;
    if (a->wants_job && !a->job && argv[i][0] != '-') {
      a->job = argv[i];
      continue;
    }
    fputs(a->usage, stderr);
    return SP_EXIT_USAGE;
  }
  if (a->wants_job && !a->job) {
    fputs(a->usage, stderr);
    return SP_EXIT_USAGE;
  }
  return SP_EXIT_OK;
}

void sp_cli_print_error(const sp_error *err, const char *job_dir)
{
  fprintf(stderr, "smallpond: error: %s\n", sp_error_message(err));
  if (sp_error_sql(err))
    fprintf(stderr, "smallpond: SQL of the failing task:\n  %s\n",
            sp_error_sql(err));
  if (job_dir && sp_error_task(err))
    fprintf(stderr, "smallpond: logs are in %s/log\n", job_dir);
}
