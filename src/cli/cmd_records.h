/*
 * cmd_records.h - the options of `smallpond gensort` and `smallpond
 * valsort`, parsed: what sp_cmd_records runs, and what
 * tests/fuzz/fuzz_cli.c checks the parser against.
 */
#ifndef SP_CLI_CMD_RECORDS_H
#define SP_CLI_CMD_RECORDS_H

#include "cli.h"

struct record_args {
  sp_config cfg;
  long long records, partitions, seed;
  int skew, have_records;
  const char *input; /* valsort --input */
  const char *dir;   /* the one operand */
};

/* Parses both commands' options (argv[0] says which: "gensort" or
 * "valsort"); those a command does not take are refused. Returns
 * SP_EXIT_OK, SP_EXIT_USAGE after printing why, or -1 after --help. */
int sp_cli_records_parse(int argc, char **argv, struct record_args *a);

#endif
