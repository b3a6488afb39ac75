/*
 * log.h - leveled logging to a file.
 *
 * Each process has its own sp_log: the driver's lives in the job object
 * (log/driver.log), each worker's in its worker context
 * (log/executor-<n>.log). The level is tested before the arguments are
 * formatted.
 */
#ifndef SP_UTIL_LOG_H
#define SP_UTIL_LOG_H

#include <stdio.h>

typedef enum sp_log_level {
  SP_LOG_DEBUG,
  SP_LOG_INFO,
  SP_LOG_WARN,
  SP_LOG_ERROR
} sp_log_level;

typedef struct sp_log {
  FILE *file;      /* NULL: logging off */
  sp_log_level level;
  const char *who; /* "driver", "executor-1", ... */
} sp_log;

/* Opens (appends to) path. Returns 0 or -1 with errno set. */
int sp_log_open(sp_log *log, const char *path, const char *who);
void sp_log_close(sp_log *log);

void sp_log_write(sp_log *log, sp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define SP_LOG(log, lvl, ...)                                                 \
  do {                                                                        \
    if ((log)->file && (lvl) >= (log)->level)                                 \
      sp_log_write((log), (lvl), __VA_ARGS__);                                \
  } while (0)

#endif
