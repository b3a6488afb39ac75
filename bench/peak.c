/*
 * peak.c - sp-peak OUT CMD [ARG]...: runs CMD, waits for it, and writes to
 * OUT the peak resident memory, in KiB, of the largest process among CMD
 * and the children it waited for (getrusage RUSAGE_CHILDREN: smallpond's
 * workers are its children). Exits with CMD's status.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  struct rusage ru;
  FILE *out;
  pid_t pid;
  int status;

  if (argc < 3) {
    fputs("usage: sp-peak OUT CMD [ARG]...\n", stderr);
    return 2;
  }
  if ((pid = fork()) < 0) {
    perror("sp-peak: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror("sp-peak: exec");
    _exit(127);
  }
  if (waitpid(pid, &status, 0) < 0 || getrusage(RUSAGE_CHILDREN, &ru) != 0) {
    perror("sp-peak: wait");
    return 2;
  }
  if (!(out = fopen(argv[1], "w"))) {
    perror(argv[1]);
    return 2;
  }
  fprintf(out, "%ld\n", ru.ru_maxrss);
  fclose(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
