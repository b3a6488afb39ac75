/*
 * log.c - leveled logging (see log.h).
 */
#include "util/log.h"

#include <stdarg.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int sp_log_open(sp_log *log, const char *path, const char *who)
{
  log->file = fopen(path, "a");
  log->level = SP_LOG_INFO;
  log->who = who;
  if (!log->file)
    return -1;
  setvbuf(log->file, NULL, _IOLBF, 0);
  return 0;
}

void sp_log_close(sp_log *log)
{
  if (log->file)
    fclose(log->file);
  log->file = NULL;
}

void sp_log_write(sp_log *log, sp_log_level level, const char *fmt, ...)
{
  static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  struct timeval tv;
  struct tm tm;
  char when[32];
  va_list ap;

  if (!log->file)
    return;
  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(log->file, "%s.%03dZ %s[%d] %s ", when, (int)(tv.tv_usec / 1000),
          log->who, (int)getpid(), names[level]);
  va_start(ap, fmt);
  vfprintf(log->file, fmt, ap);
  va_end(ap);
  fputc('\n', log->file);
}
