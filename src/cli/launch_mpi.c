/*
 * launch_mpi.c - `smallpond run --launcher mpi`: start this same command
 * under mpirun, so rank 0 drives and the other ranks serve tasks. The
 * options are Open MPI's (Debian's mpirun); for another launcher, start
 * `smallpond run` under it directly.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int sp_cli_under_mpirun(void)
{
  return (getenv("OMPI_COMM_WORLD_SIZE") && *getenv("OMPI_COMM_WORLD_SIZE")) ||
         (getenv("PMI_SIZE") && *getenv("PMI_SIZE")) ||
         (getenv("PMIX_RANK") && *getenv("PMIX_RANK"));
}

/* 1 when the user's own arguments set Open MPI parameter key. */
static int user_sets(const sp_mpi_launch *l, const char *key)
{
  int i;

  for (i = 0; i + 1 < l->nextra; i++)
    if ((strcmp(l->extra[i], "--mca") == 0 ||
         strcmp(l->extra[i], "-mca") == 0) &&
        strcmp(l->extra[i + 1], key) == 0)
      return 1;
  return 0;
}

/* How long mpirun may take to end after the job did (its status is
 * final and no driver holds it): it ends in a second, unless it waits for
 * the daemon of a lost host, which takes Open MPI many minutes. */
#define MPIRUN_GRACE_MS 15000

/* The job's state into state (sp_job_state_of); "" when it has no job
 * folder (yet, or it never got as far as making one). */
static void job_state(const sp_mpi_launch *l, const char *job_id,
                      char *state, size_t len)
{
  sp_error *err = NULL;

  if (sp_job_state_of(l->data_root, job_id, state, len, &err) != SP_OK)
    state[0] = '\0';
  sp_error_free(&err);
}

/* 1 when the job's status is final: it succeeded or failed, and no
 * driver runs it. */
static int job_ended(const sp_mpi_launch *l, const char *job_id)
{
  char state[32];

  job_state(l, job_id, state, sizeof(state));
  return strcmp(state, "success") == 0 || strcmp(state, "failure") == 0;
}

/* Waits for mpirun (pid) into *status; once the job has ended, stops an
 * mpirun still there MPIRUN_GRACE_MS later (SIGTERM, then SIGKILL).
 * Returns 1 when it did. */
static int wait_mpirun(const sp_mpi_launch *l, const char *job_id,
                       pid_t pid, int *status)
{
  struct timespec nap = {0, 200 * 1000 * 1000};
  int waited = 0, ended_ms = -1, signalled = 0;
  pid_t got;

  while ((got = waitpid(pid, status, WNOHANG)) == 0 ||
         (got < 0 && errno == EINTR)) {
    nanosleep(&nap, NULL);
    waited += 200;
    if (ended_ms < 0 && waited % 1000 == 0 && job_ended(l, job_id))
      ended_ms = waited;
    if (ended_ms >= 0 && waited - ended_ms >= MPIRUN_GRACE_MS &&
        signalled < 2 && (waited - ended_ms) % 5000 == 0) {
      if (!signalled)
        fprintf(stderr, "smallpond: job %s ended %d s ago but mpirun is "
                "still waiting (for a lost host's daemon?): stopping it\n",
                job_id, MPIRUN_GRACE_MS / 1000);
      kill(pid, signalled ? SIGKILL : SIGTERM);
      signalled++;
    }
  }
  return signalled > 0;
}

/* What the job's folder says once mpirun ended with code: the exit code
 * of `smallpond run`. */
static int outcome(const sp_mpi_launch *l, const char *job_id, int code)
{
  char state[32];

  job_state(l, job_id, state, sizeof(state));
  if (!state[0] || strcmp(state, "success") == 0)
    return code ? SP_EXIT_ERROR : SP_EXIT_OK;
  if (strcmp(state, "stopped") == 0 || strcmp(state, "running") == 0)
    fprintf(stderr, "smallpond: the driver (rank 0) of job %s ended before "
            "the job did (mpirun's messages above say why: a rank died, or "
            "was killed); rerun with --job-id %s to resume\n", job_id,
            job_id);
  return SP_EXIT_ERROR;
}

int sp_cli_exec_mpirun(const sp_mpi_launch *l, int argc, char **argv)
{
  char self[4096], np[16], idle[24], made_id[48];
  const char **args, *job_id = l->job_id;
  ssize_t n;
  pid_t pid;
  int k = 0, i, status;

  n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    fprintf(stderr, "smallpond: cannot find this program's path: %s\n",
            strerror(errno));
    return SP_EXIT_ERROR;
  }
  self[n] = '\0';
  if (!(args = calloc((size_t)argc + (size_t)l->nextra + 32, sizeof(*args)))) {
    fputs("smallpond: out of memory\n", stderr);
    return SP_EXIT_ERROR;
  }
  snprintf(np, sizeof(np), "%d", l->np);
  args[k++] = l->mpirun;
  args[k++] = "-np";
  args[k++] = np;
  /* Each rank runs a multi-threaded DuckDB: do not pin it to one core. */
  args[k++] = "--bind-to";
  args[k++] = "none";
  if (l->hostfile) {
    args[k++] = "--hostfile";
    args[k++] = l->hostfile;
  } else {
    args[k++] = "--oversubscribe"; /* one machine: as many ranks as asked */
  }
  if (geteuid() == 0)
    args[k++] = "--allow-run-as-root";
  /* Open MPI's own check of its daemons (TCP keepalive, 8 minutes by
   * default) ends the job some 25 s after smallpond's, so that mpirun
   * itself does not wait for a lost host for minutes once the driver
   * has ended. */
  if (l->host_timeout_ms >= 0 && !user_sets(l, "oob_tcp_keepalive_time")) {
    int64_t timeout = l->host_timeout_ms ? l->host_timeout_ms
                                         : SP_HOST_TIMEOUT_MS;
    snprintf(idle, sizeof(idle), "%lld", (long long)(timeout / 1000 + 10));
    args[k++] = "--mca";
    args[k++] = "oob_tcp_keepalive_time";
    args[k++] = idle;
    args[k++] = "--mca";
    args[k++] = "oob_tcp_keepalive_intvl";
    args[k++] = "5";
    args[k++] = "--mca";
    args[k++] = "oob_tcp_keepalive_probes";
    args[k++] = "3";
  }
  for (i = 0; i < l->nextra; i++)
    args[k++] = l->extra[i];
  args[k++] = self;
  for (i = 0; i < argc; i++) /* "run" and its options, as given */
    args[k++] = argv[i];
  /* The job is named here, to look at its folder when mpirun ends. */
  if (!job_id) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(made_id, sizeof(made_id), "%Y%m%d-%H%M%S", &tm);
    snprintf(made_id + strlen(made_id), sizeof(made_id) - strlen(made_id),
             "-%06x", (unsigned)(getpid() ^ (now * 2654435761u)) & 0xffffff);
    args[k++] = "--job-id";
    args[k++] = job_id = made_id;
  }
  args[k] = NULL;
  fflush(NULL);
  if ((pid = fork()) == 0) {
    execvp(l->mpirun, (char *const *)args);
    fprintf(stderr, "smallpond: cannot start %s: %s (Open MPI's mpirun "
            "comes with Debian's openmpi-bin)\n", l->mpirun,
            strerror(errno));
    _exit(127);
  }
  free(args);
  if (pid < 0) {
    fprintf(stderr, "smallpond: cannot start mpirun: %s\n", strerror(errno));
    return SP_EXIT_ERROR;
  }
  /* Ctrl-C reaches mpirun too, which ends the job: stay to say so. */
  signal(SIGINT, SIG_IGN);
  /* mpirun stopped here after the job ended: the job's status decides. */
  if (wait_mpirun(l, job_id, pid, &status))
    return outcome(l, job_id, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return SP_EXIT_ERROR;
  return outcome(l, job_id,
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128);
}
