/*
 * launch_mpi.c - `smallpond run --launcher mpi`: start this same command
 * under mpirun, so rank 0 drives and the other ranks serve tasks. The
 * options are Open MPI's (Debian's mpirun); for another launcher, start
 * `smallpond run` under it directly.
 */
#include <errno.h>
#include <limits.h>
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

/* 1 when the user's own arguments set Open MPI parameter key, or
 * include option (NULL: none). */
static int user_sets(const sp_mpi_launch *l, const char *key,
                     const char *option)
{
  int i;

  for (i = 0; i < l->nextra; i++)
    if ((option && strcmp(l->extra[i], option) == 0) ||
        (i + 1 < l->nextra &&
         (strcmp(l->extra[i], "--mca") == 0 ||
          strcmp(l->extra[i], "-mca") == 0) &&
         strcmp(l->extra[i + 1], key) == 0))
      return 1;
  return 0;
}

/* How long mpirun may take to end after the driver did: it ends in a
 * second, unless it waits for the daemon of a lost host, which takes Open
 * MPI many minutes, or for ranks of a driver that was killed, which under
 * --enable-recovery is forever. Then SIGTERM, and SIGKILL
 * MPIRUN_KILL_MS later: on SIGTERM it waits for that daemon too. */
#define MPIRUN_GRACE_MS 5000
#define MPIRUN_KILL_MS 3000

/* The environment variable naming the file where rank 0 leaves its exit
 * code (sp_cli_tell_launcher). */
#define LAUNCH_EXIT_VAR "SP_LAUNCH_EXIT"

void sp_cli_tell_launcher(int code)
{
  const char *path = getenv(LAUNCH_EXIT_VAR);
  FILE *f;

  if (!path || !*path || !sp_cli_under_mpirun() || !(f = fopen(path, "w")))
    return;
  fprintf(f, "%d\n", code);
  fclose(f);
}

/* The exit code rank 0 left in path, or -1 when it left none (it was
 * killed, or ran on a machine that does not see this one's path). */
static int driver_exit(const char *path)
{
  char text[16] = "";
  long long code;
  FILE *f = fopen(path, "r");

  if (!f)
    return -1;
  if (!fgets(text, sizeof(text), f))
    text[0] = '\0';
  fclose(f);
  text[strcspn(text, "\n")] = '\0';
  return sp_cli_parse_int(text, 0, 255, &code) == 0 ? (int)code : -1;
}

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

/* What the launcher has seen of one launch. */
typedef struct launch {
  const sp_mpi_launch *l;
  const char *job_id;
  char exit_path[PATH_MAX]; /* rank 0's exit code goes there */
  int driver_seen;          /* the job's driver was seen running */
} launch;

/* 1 when the driver has ended: it left its exit code, or this launch's
 * driver was seen running and no longer holds the job. (A status left
 * final or stopped by an earlier run does not count.) */
static int driver_ended(launch *x)
{
  char state[32];

  if (driver_exit(x->exit_path) >= 0)
    return 1;
  job_state(x->l, x->job_id, state, sizeof(state));
  if (strcmp(state, "running") == 0)
    x->driver_seen = 1;
  return x->driver_seen && strcmp(state, "running") != 0;
}

/* The signal (SIGTERM, SIGHUP) that asked the launcher to end, to pass on
 * to mpirun: a signal handler has nowhere else to put it. */
static volatile sig_atomic_t asked_to_end;

static void note_end(int sig) { asked_to_end = sig; }

/* Waits for mpirun (pid) into *status; stops it (SIGTERM, then SIGKILL
 * MPIRUN_KILL_MS later) when the launcher is asked to end, or when it is
 * still there MPIRUN_GRACE_MS after the driver ended. Returns 1 when it
 * did. */
static int wait_mpirun(launch *x, pid_t pid, int *status)
{
  struct timespec nap = {0, 200 * 1000 * 1000};
  int waited = 0, ended_ms = -1, stop_ms = -1, signalled = 0;
  pid_t got;

  while ((got = waitpid(pid, status, WNOHANG)) == 0 ||
         (got < 0 && errno == EINTR)) {
    nanosleep(&nap, NULL);
    waited += 200;
    if (stop_ms < 0 && asked_to_end) {
      fprintf(stderr, "smallpond: %s: ending job %s (mpirun)\n",
              strsignal(asked_to_end), x->job_id);
      stop_ms = waited;
    }
    if (ended_ms < 0 && driver_ended(x))
      ended_ms = waited;
    if (stop_ms < 0 && ended_ms >= 0 &&
        waited - ended_ms >= MPIRUN_GRACE_MS) {
      fprintf(stderr, "smallpond: the driver of job %s ended %d s ago but "
              "mpirun is still waiting (for a lost host's daemon, or ranks "
              "the driver could not stop): stopping it\n", x->job_id,
              MPIRUN_GRACE_MS / 1000);
      stop_ms = waited;
    }
    if (stop_ms >= 0 && signalled < 2 &&
        waited - stop_ms >= signalled * MPIRUN_KILL_MS) {
      kill(pid, signalled ? SIGKILL : SIGTERM);
      signalled++;
    }
  }
  return signalled > 0;
}

/* The exit code of `smallpond run` once mpirun ended with code: the
 * driver's own, else what the job's folder says. */
static int outcome(launch *x, int code)
{
  char state[32];
  int driver = driver_exit(x->exit_path);

  if (driver >= 0)
    return driver;
  job_state(x->l, x->job_id, state, sizeof(state));
  if (strcmp(state, "stopped") == 0 || strcmp(state, "running") == 0) {
    fprintf(stderr, "smallpond: the driver (rank 0) of job %s ended before "
            "the job did (mpirun's messages above may say why: it or a rank "
            "was killed); rerun with --job-id %s to resume\n", x->job_id,
            x->job_id);
    return SP_EXIT_ERROR;
  }
  /* A driver on a machine that does not see exit_path. */
  if (strcmp(state, "success") == 0 || !state[0])
    return code ? SP_EXIT_ERROR : SP_EXIT_OK;
  return SP_EXIT_ERROR;
}

int sp_cli_exec_mpirun(const sp_mpi_launch *l, int argc, char **argv)
{
  char self[4096], np[16], idle[24], made_id[48], dir[PATH_MAX - 8];
  const char **args, *job_id = l->job_id, *tmp = getenv("TMPDIR");
  launch x = {l, NULL, "", 0};
  ssize_t n;
  pid_t pid;
  int k = 0, i, status, code;

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
  if (l->host_timeout_ms >= 0 &&
      !user_sets(l, "oob_tcp_keepalive_time", NULL)) {
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
  /* A rank that dies would make mpirun end the whole job at once, the
   * driver with it, leaving the job's status "running" and no error of
   * smallpond's: with recovery on, the job goes on and the driver finds
   * the rank lost at the host timeout, names it and ends the job. */
  if (l->host_timeout_ms >= 0 &&
      !user_sets(l, "orte_enable_recovery", "--enable-recovery"))
    args[k++] = "--enable-recovery";
  args[k++] = "-x";
  args[k++] = LAUNCH_EXIT_VAR;
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
  x.job_id = job_id;
  snprintf(dir, sizeof(dir), "%s/smallpond-launch-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    fprintf(stderr, "smallpond: cannot make a folder in %s: %s\n",
            tmp && *tmp ? tmp : "/tmp", strerror(errno));
    free(args);
    return SP_EXIT_ERROR;
  }
  snprintf(x.exit_path, sizeof(x.exit_path), "%s/exit", dir);
  fflush(NULL);
  if ((pid = fork()) == 0) {
    setenv(LAUNCH_EXIT_VAR, x.exit_path, 1);
    execvp(l->mpirun, (char *const *)args);
    fprintf(stderr, "smallpond: cannot start %s: %s (Open MPI's mpirun "
            "comes with Debian's openmpi-bin)\n", l->mpirun,
            strerror(errno));
    _exit(127);
  }
  free(args);
  if (pid < 0) {
    fprintf(stderr, "smallpond: cannot start mpirun: %s\n", strerror(errno));
    code = SP_EXIT_ERROR;
    goto out;
  }
  /* Ctrl-C reaches mpirun too, which ends the job: stay to say so. A
   * SIGTERM or SIGHUP for this process alone is passed on. */
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, note_end);
  signal(SIGHUP, note_end);
  if (wait_mpirun(&x, pid, &status)) /* stopped here after the driver */
    code = outcome(&x, 0);
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    code = SP_EXIT_ERROR;
  else
    code = outcome(&x, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
out:
  (void)unlink(x.exit_path);
  (void)rmdir(dir);
  return code;
}
