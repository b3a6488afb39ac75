/*
 * state.h - the lines of state.jsonl: one per finished task, written when
 * its result is committed, and read back by a later run that reuses it.
 *
 * A line is a task result (plan/desc.h) plus the task's kind, partition,
 * worker and node. Its file paths are relative to the job folder, so a
 * data root that moved is still reused. Nothing in a line is trusted when
 * it is read back: a file may be reused only when it is a file of the job
 * (under data/, owned by the task's key, never a link) and still has the
 * size and footer it had when written.
 */
#ifndef SP_SCHED_STATE_H
#define SP_SCHED_STATE_H

#include <jansson.h>
#include <stdint.h>

#include "plan/desc.h"
#include "plan/graph.h"

/* Reads the lines of state.jsonl at path (io/jsonl.h: a cut last line or
 * one that does not parse is skipped, and counted in *skipped) into
 * *finished, a new object from each line's "key" to the line; a later
 * line of a key replaces an earlier one. Nothing in a line is checked
 * here: sp_state_reuse does that for the task that needs it. */
sp_status sp_state_load(const char *path, json_t **finished, size_t *skipped,
                        sp_error **err);

/* The line for task t's committed result r, run on worker `worker`; paths
 * under job_dir become relative to it. NULL when out of memory. */
json_t *sp_state_line(const sp_task *t, const sp_task_result *r, int worker,
                      const char *job_dir);

/* Checks line, read back from state.jsonl under task t's key, for reuse:
 * t->nslots output datasets, every piece a file of the job that t (or,
 * for a row split, any task) wrote, each file's fingerprint as recorded.
 * On success *outputs gets t->nslots datasets with absolute paths (release
 * with sp_datasets_free) and *rows the rows. Fails saying why the line
 * cannot be reused: SP_EINVAL for the line, SP_EIO for its files. */
sp_status sp_state_reuse(const json_t *line, const sp_task *t,
                         const char *job_dir, sp_dataset **outputs,
                         int64_t *rows, sp_error **err);

#endif
