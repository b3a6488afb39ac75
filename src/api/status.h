/*
 * status.h - the report of sp_job_print_status from the contents of a job
 * folder's files, apart from reading them (status.c), so that what it
 * makes of their bytes can be tested without a folder
 * (tests/fuzz/fuzz_status.c).
 */
#ifndef SP_API_STATUS_H
#define SP_API_STATUS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* A job folder as sp_job_print_status finds it. */
typedef struct sp_job_files {
  const char *job_dir;
  int driver;         /* sp_layout_driver_pid: 0 when no driver runs */
  const char *status; /* the status file's first bytes, or NULL */
  size_t status_len;
  const char *plan;   /* plan.json, or NULL */
  size_t plan_len;
  const json_t *done; /* an object with the key of every task that
                         state.jsonl says finished */
} sp_job_files;

/* Prints the job's state, from its driver and the status file (its first
 * SP_STATUS_MAX bytes, up to a NUL, without its last newlines), then one
 * line per step of the plan: its worker tasks done of their total. */
void sp_job_status_print(const sp_job_files *f, FILE *out);

#define SP_STATUS_MAX 2047

#endif
