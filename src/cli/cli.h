/*
 * cli.h - shared by the tool's subcommands.
 */
#ifndef SP_CLI_CLI_H
#define SP_CLI_CLI_H

#include <stdint.h>

#include "smallpond.h"

#define SP_EXIT_OK 0
#define SP_EXIT_ERROR 1
#define SP_EXIT_USAGE 2

int sp_cmd_run(int argc, char **argv);
int sp_cmd_status(int argc, char **argv);
int sp_cmd_jobs(int argc, char **argv);
int sp_cmd_gc(int argc, char **argv);
int sp_cmd_report(int argc, char **argv);
int sp_cmd_sql(int argc, char **argv);
/* gensort and valsort: argv[0] says which. */
int sp_cmd_records(int argc, char **argv);
void sp_cmd_run_usage(FILE *f);

/* Prints "smallpond: error: ..." with the error's task and SQL. */
void sp_cli_print_error(const sp_error *err, const char *job_dir);

/* How `smallpond run --launcher mpi` starts mpirun. */
typedef struct sp_mpi_launch {
  const char *mpirun;   /* the program: "mpirun", or $SP_MPIRUN */
  int np;               /* ranks: 1 driver + np - 1 workers */
  const char *hostfile; /* NULL: this machine only (oversubscribed) */
  char **extra;         /* --mca KEY VALUE as "--mca", KEY, VALUE, and
                           --mpirun-arg values, in order */
  int nextra;
  int64_t host_timeout_ms; /* the session's (sp_config), to set Open
                              MPI's own detection of a lost host after
                              smallpond's */
  const char *data_root; /* the session's (NULL: the default) and its */
  const char *job_id;    /* job id (NULL: one is made and passed on) */
} sp_mpi_launch;

/* 1 when this process runs under mpirun. */
int sp_cli_under_mpirun(void);

/* Runs mpirun with this program and argv (the "run" command and its
 * options) on l->np ranks, waits for it, and returns the exit code: the
 * driver's (rank 0 tells it through a file, as mpirun's own code does not
 * under --enable-recovery), else 1 unless the job's status says it
 * succeeded, saying so when the driver could not (it was killed). */
int sp_cli_exec_mpirun(const sp_mpi_launch *l, int argc, char **argv);

/* In rank 0 under `smallpond run --launcher mpi`: tells the launcher the
 * exit code it is about to return. Does nothing elsewhere. */
void sp_cli_tell_launcher(int code);

/* Parses a whole decimal integer in [min, max]. Returns 0 or -1. */
int sp_cli_parse_int(const char *s, long long min, long long max,
                     long long *out);

/* Parses a number of seconds above 0 and up to a year ("30", "0.5") into
 * whole milliseconds (at least 1). Returns 0 or -1. */
int sp_cli_parse_seconds(const char *s, int64_t *ms);

/* Prints "smallpond CMD: <message>" and where the help is; returns
 * SP_EXIT_USAGE. */
int sp_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The options of every command that runs a job, as getopt_long entries
 * (SP_CLI_SESSION_OPTIONS, in a table that includes <getopt.h>); their
 * codes are below those of any command's own options. */
enum {
  SP_CLI_OPT_WORKERS = 200, SP_CLI_OPT_DATA_ROOT, SP_CLI_OPT_JOB_ID,
  SP_CLI_OPT_QUIET, SP_CLI_OPT_KEEP_INTERMEDIATE, SP_CLI_OPT_NO_AUTOLOAD,
  SP_CLI_OPT_HOST_TIMEOUT
};
#define SP_CLI_SESSION_OPTIONS                                             \
  {"workers", required_argument, NULL, SP_CLI_OPT_WORKERS},                \
  {"data-root", required_argument, NULL, SP_CLI_OPT_DATA_ROOT},            \
  {"job-id", required_argument, NULL, SP_CLI_OPT_JOB_ID},                  \
  {"quiet", no_argument, NULL, SP_CLI_OPT_QUIET},                          \
  {"keep-intermediate", no_argument, NULL, SP_CLI_OPT_KEEP_INTERMEDIATE},  \
  {"no-autoload", no_argument, NULL, SP_CLI_OPT_NO_AUTOLOAD},              \
  {"host-timeout", required_argument, NULL, SP_CLI_OPT_HOST_TIMEOUT}

/* The arguments of a command that reads a job folder: `[--data-root DIR]`
 * and, when it wants one, a JOB (a job folder or a job id). */
typedef struct sp_cli_job_args {
  const char *usage; /* printed for --help, and on a usage error */
  int wants_job;
  const char *root;  /* out: NULL when not given */
  const char *job;   /* out */
  /* The command's own options, or NULL: at argv[*i], returns 1 when it
   * took the option (advancing *i past a value it took), 0 when it is not
   * one of its own, or SP_EXIT_USAGE after saying what is wrong. */
  int (*own)(int argc, char **argv, int *i, void *arg);
  void *arg;
} sp_cli_job_args;

/* Parses argv (argv[0] the command) into a. Returns 0, -1 after printing
 * the usage for --help, or SP_EXIT_USAGE after printing what is wrong. */
int sp_cli_parse_job_args(int argc, char **argv, sp_cli_job_args *a);

/* Applies session option opt (an SP_CLI_OPT_ code) and its argument to
 * cfg. Returns 1 when done, 0 when opt is not a session option, or
 * SP_EXIT_USAGE after saying what is wrong with arg. */
int sp_cli_session_option(const char *cmd, int opt, const char *arg,
                          sp_config *cfg);

#endif
