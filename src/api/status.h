/*
 * status.h - the report of sp_job_print_status from the contents of a job
 * folder's files, apart from reading them (status.c), so that what it
 * makes of their bytes can be tested without a folder
 * (tests/fuzz/fuzz_status.c); and what the commands that take a job share:
 * finding its folder and its state.
 */
#ifndef SP_API_STATUS_H
#define SP_API_STATUS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "smallpond.h"
#include "util/buf.h"

/* A job folder as sp_job_print_status finds it. */
typedef struct sp_job_files {
  const char *job_dir;
  int driver;         /* sp_layout_driver_pid: 0 when no driver runs */
  const char *status; /* the status file's first bytes, or NULL */
  size_t status_len;
  const char *plan;   /* plan.json, or NULL */
  size_t plan_len;
  const char *hosts;  /* the file hosts (workers per host), or NULL */
  size_t hosts_len;
  const json_t *done; /* an object with the key of every task that
                         state.jsonl says finished */
} sp_job_files;

/* Prints the job's state, from its driver and the status file (its first
 * SP_STATUS_MAX bytes, up to a NUL, without its last newlines), its
 * workers per host (the hosts file's first line), then one line per step
 * of the plan: its worker tasks done of their total. */
void sp_job_status_print(const sp_job_files *f, FILE *out);

#define SP_STATUS_MAX 2047

/* Appends to dir the folder of job: a job folder's path (with a '/', or
 * an existing folder), or a job id under data_root (NULL: sp_data_root's
 * choice). Fails with SP_ENOENT, naming job, when that is not a job folder
 * (no .smallpond-job in it). The rule of every command taking a JOB. */
sp_status sp_job_dir_of(const char *data_root, const char *job, sp_buf *dir,
                        sp_error **err);

/* The job in dir: its state into state (running while a driver holds its
 * lock; success or failure from its status file; stopped when that says
 * running and no driver does; new), and when it ended (its status file's
 * last change; now while it runs). */
void sp_job_state(const char *dir, char *state, size_t len, time_t *end);

#endif
