/*
 * cmd_run.h - the options of `smallpond run`, parsed: what sp_cmd_run
 * builds its DataFrame chain from, and what tests/fuzz/fuzz_cli.c checks
 * the parser against.
 */
#ifndef SP_CLI_CMD_RUN_H
#define SP_CLI_CMD_RUN_H

#include <stddef.h>

#include "cli.h"

#define MAX_ITEMS 256

enum step_kind {
  STEP_REPARTITION, STEP_SQL, STEP_MAP, STEP_FILTER, STEP_FLAT_MAP,
  STEP_PARTIAL_SORT, STEP_LIMIT, STEP_RANDOM_SHUFFLE, STEP_SORT
};

struct step {
  enum step_kind kind;
  long long n;               /* REPARTITION, SORT: partitions (SORT: 0 =
                                as many as before); LIMIT: rows */
  const char *hash_by[64];   /* REPARTITION: columns, into hash_text */
  size_t nhash_by;
  char *hash_text;
  int by_rows;
  const char *by;            /* REPARTITION: partition expression */
  const char *range_by;      /* REPARTITION: a sort order */
  const char *dimension;     /* REPARTITION: its dimension's name */
  int nested;
  const char *text;          /* SQL, MAP, FILTER, FLAT_MAP, PARTIAL_SORT,
                                SORT */
};

enum consumer {
  CONSUME_NONE, CONSUME_WRITE, CONSUME_COUNT, CONSUME_TAKE, CONSUME_TAKE_ALL
};

enum source { SOURCE_NONE, SOURCE_PARQUET, SOURCE_CSV, SOURCE_JSON,
              SOURCE_SQL };

struct run_args {
  sp_config cfg;
  enum source source;
  const char *reads[MAX_ITEMS];  /* the globs of a file source */
  size_t nreads;
  const char *from_sql;
  char *schema_text;             /* --schema, split in place */
  const char *columns[MAX_ITEMS], *types[MAX_ITEMS];
  size_t ncolumns;
  const char *delimiter;
  int header;
  int recursive;
  struct step steps[MAX_ITEMS];
  size_t nsteps;
  enum consumer consumer;
  const char *out_dir;
  int explain;                   /* print the plan instead of running */
  sp_node_options out;           /* --write-parquet's Parquet settings */
  int out_options;               /* 1 if any was given */
  long long take;
  int mpi;                       /* --launcher mpi */
  sp_mpi_launch launch;
  char *extra[MAX_ITEMS];        /* --mpirun-arg */
};

/* Fills *a from argv (argv[0] is "run"), checking everything that can be
 * checked before a session starts. Returns SP_EXIT_OK, or SP_EXIT_USAGE
 * after printing why; -1 when --help was printed. Release *a with
 * sp_cli_run_free whatever it returns. */
int sp_cli_run_parse(int argc, char **argv, struct run_args *a);
void sp_cli_run_free(struct run_args *a);

#endif
