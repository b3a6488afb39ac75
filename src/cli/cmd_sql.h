/*
 * cmd_sql.h - the options of `smallpond sql`, parsed: what sp_cmd_sql
 * runs, and what tests/fuzz/fuzz_cli.c checks the parser against.
 */
#ifndef SP_CLI_CMD_SQL_H
#define SP_CLI_CMD_SQL_H

#include "cli.h"

#define MAX_TABLES 256

struct sql_args {
  sp_config cfg;
  const char *table_name[MAX_TABLES]; /* "NAME=PATH" */
  const char *table_path[MAX_TABLES]; /* PATH, inside table_name[i] */
  int ntables;
  const char *file;      /* -f FILE, "-" for standard input */
  const char *query;     /* the operand */
  const char *out_dir;   /* --write-parquet */
  long long take;        /* --take N; -1: every row */
  int explain;
  sp_sql_options sql;    /* --partitions, --plan */
};

/* Parses the options of `smallpond sql` into *a (strings borrowed from
 * argv). Returns SP_EXIT_OK, SP_EXIT_USAGE after printing why, or -1
 * after --help. */
int sp_cli_sql_parse(int argc, char **argv, struct sql_args *a);

#endif
