/*
 * cli.h - shared by the tool's subcommands.
 */
#ifndef SP_CLI_CLI_H
#define SP_CLI_CLI_H

#include "smallpond.h"

#define SP_EXIT_OK 0
#define SP_EXIT_ERROR 1
#define SP_EXIT_USAGE 2

int sp_cmd_run(int argc, char **argv);
int sp_cmd_status(int argc, char **argv);
void sp_cmd_run_usage(FILE *f);

/* Prints "smallpond: error: ..." with the error's task and SQL. */
void sp_cli_print_error(const sp_error *err, const char *job_dir);

/* Parses a whole decimal integer in [min, max]. Returns 0 or -1. */
int sp_cli_parse_int(const char *s, long long min, long long max,
                     long long *out);

#endif
