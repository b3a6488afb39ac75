/*
 * cmd_status.c - `smallpond status JOB_DIR`: a job's state and progress,
 * read from its folder (see sp_job_print_status).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int sp_cmd_status(int argc, char **argv)
{
  sp_error *err = NULL;

  if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                    strcmp(argv[1], "-h") == 0)) {
    puts("usage: smallpond status JOB_DIR\n"
         "\n"
         "Prints the state of the job in JOB_DIR (<data root>/<job id>):\n"
         "running, success or failure, or stopped when its driver died;\n"
         "and each step's finished tasks out of its total. Reads the\n"
         "folder only, so it works while the job runs and after.");
    return SP_EXIT_OK;
  }
  if (argc != 2) {
    fputs("usage: smallpond status JOB_DIR\n", stderr);
    return SP_EXIT_USAGE;
  }
  if (sp_job_print_status(argv[1], stdout, &err) != SP_OK) {
    fprintf(stderr, "smallpond: error: %s\n", sp_error_message(err));
    sp_error_free(&err);
    return SP_EXIT_ERROR;
  }
  return SP_EXIT_OK;
}
