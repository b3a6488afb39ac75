/*
 * error.h - building sp_error objects inside the library.
 *
 * Every setter follows the public contract of smallpond.h: it does nothing
 * when err is NULL or *err already holds an error, and it returns the status
 * it was given so a caller can write `return sp_error_set(err, ...);`.
 * When the error itself cannot be allocated, *err becomes a static
 * out-of-memory error that sp_error_free() knows not to free.
 */
#ifndef SP_UTIL_ERROR_H
#define SP_UTIL_ERROR_H

#include "smallpond.h"

struct sp_error {
  sp_status status;
  char *message; /* never NULL */
  char *sql;     /* the failing task's SQL, or NULL */
  char *task;    /* the failing task's key, or NULL */
};

sp_status sp_error_set(sp_error **err, sp_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like sp_error_set, also recording the failing task's key and SQL (either
 * may be NULL). */
sp_status sp_error_set_task(sp_error **err, sp_status status,
                            const char *task, const char *sql,
                            const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sets the out-of-memory error. */
sp_status sp_error_oom(sp_error **err);

/* Prepends "<context>: " to the message of an error already in *err. */
void sp_error_prefix(sp_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
