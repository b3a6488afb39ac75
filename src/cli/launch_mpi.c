/*
 * launch_mpi.c - `smallpond run --launcher mpi`: start this same command
 * under mpirun, so rank 0 drives and the other ranks serve tasks. The
 * options are Open MPI's (Debian's mpirun); for another launcher, start
 * `smallpond run` under it directly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int sp_cli_under_mpirun(void)
{
  return (getenv("OMPI_COMM_WORLD_SIZE") && *getenv("OMPI_COMM_WORLD_SIZE")) ||
         (getenv("PMI_SIZE") && *getenv("PMI_SIZE")) ||
         (getenv("PMIX_RANK") && *getenv("PMIX_RANK"));
}

int sp_cli_exec_mpirun(const sp_mpi_launch *l, int argc, char **argv)
{
  char self[4096], np[16];
  const char **args;
  ssize_t n;
  int k = 0, i;

  n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    fprintf(stderr, "smallpond: cannot find this program's path: %s\n",
            strerror(errno));
    return SP_EXIT_ERROR;
  }
  self[n] = '\0';
  if (!(args = calloc((size_t)argc + (size_t)l->nextra + 16, sizeof(*args)))) {
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
  for (i = 0; i < l->nextra; i++)
    args[k++] = l->extra[i];
  args[k++] = self;
  for (i = 0; i < argc; i++) /* "run" and its options, as given */
    args[k++] = argv[i];
  args[k] = NULL;
  fflush(NULL);
  execvp(l->mpirun, (char *const *)args);
  fprintf(stderr, "smallpond: cannot start %s: %s (Open MPI's mpirun comes "
          "with Debian's openmpi-bin)\n", l->mpirun, strerror(errno));
  free(args);
  return SP_EXIT_ERROR;
}
