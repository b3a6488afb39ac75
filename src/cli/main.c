/*
 * main.c - the smallpond tool: subcommand dispatch, --help, --version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
  fputs("usage: smallpond [--version] [--help] <command> [<options>]\n"
        "\n"
        "Distributed data processing on DuckDB: partitions data, runs one\n"
        "task per partition in worker processes, and passes data between\n"
        "stages as Parquet files under the data root.\n"
        "\n"
        "commands:\n"
        "  run      run a DataFrame pipeline given as options\n"
        "           (smallpond run --help lists them)\n"
        "  sql      run one SQL query over files and named tables\n"
        "           (smallpond sql --help)\n"
        "  status   a job's state and progress: smallpond status JOB\n"
        "  jobs     the jobs under the data root\n"
        "  gc       remove what old jobs left\n"
        "  report   a job's report as one HTML file: its plan, a timeline\n"
        "           of its task attempts, a table per step\n"
        "  gensort  make sort-benchmark records (100 bytes, 10-byte keys)\n"
        "  valsort  check that records are sorted and complete\n"
        "\n"
        "options:\n"
        "  --version   print smallpond's and DuckDB's versions\n"
        "  --help      print this help\n", f);
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return SP_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    printf("smallpond %s (DuckDB %s)\n", sp_version(), sp_duckdb_version());
    return SP_EXIT_OK;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return SP_EXIT_OK;
  }
  if (strcmp(argv[1], "run") == 0)
    return sp_cmd_run(argc - 1, argv + 1);
  if (strcmp(argv[1], "sql") == 0)
    return sp_cmd_sql(argc - 1, argv + 1);
  if (strcmp(argv[1], "status") == 0)
    return sp_cmd_status(argc - 1, argv + 1);
  if (strcmp(argv[1], "jobs") == 0)
    return sp_cmd_jobs(argc - 1, argv + 1);
  if (strcmp(argv[1], "gc") == 0)
    return sp_cmd_gc(argc - 1, argv + 1);
  if (strcmp(argv[1], "report") == 0)
    return sp_cmd_report(argc - 1, argv + 1);
  if (strcmp(argv[1], "gensort") == 0 || strcmp(argv[1], "valsort") == 0)
    return sp_cmd_records(argc - 1, argv + 1);
  fprintf(stderr, "smallpond: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return SP_EXIT_USAGE;
}
