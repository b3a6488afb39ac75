/*
 * layout.h - the job folder under the data root (DESIGN.md section 6):
 *
 *   <data_root>/<job_id>/
 *     .smallpond-job  marks the folder as a job's
 *     lock          held by the driver running the job (its pid)
 *     plan.json     the task graph, written before tasks run
 *     state.jsonl   one line per finished task
 *     status        running | success | failure, with the time
 *     outputs       the folders results were published into, one a line
 *     log/          driver.log, executor-<n>.log
 *     staging/<key>.<attempt>.parquet   the file of a running attempt, or
 *     staging/<key>.<attempt>/   its folder when it writes several
 *     data/<key>.parquet, data/<key>/   committed task outputs, immutable
 *     inputs/       data handed over in memory (from_arrow), as Parquet
 *     tmp/          DuckDB spill space
 */
#ifndef SP_IO_LAYOUT_H
#define SP_IO_LAYOUT_H

#include "smallpond.h"
#include "util/buf.h"

typedef struct sp_layout {
  char *job_dir; /* absolute */
  int created;   /* this driver created the job folder (renamed it into
                    place): only such a folder is ever discarded */
  int lock_fd;   /* the held lock file; -1 in a worker's copy */
} sp_layout;

/* Opens the job folder <data_root>/<job_id> for a driver and takes its
 * lock, so that two drivers never run one job at once; fills *out. A new
 * job folder is made complete under another name and renamed into place,
 * so another driver never sees a half-made one; an existing job folder is
 * reused, and an existing empty folder (or a link to one) is made a job
 * folder in place, staying the user's. Fails with SP_EEXIST when another
 * driver holds the lock (naming its pid) or when the folder has entries
 * but is not a job folder (no marker file .smallpond-job), and with
 * SP_EIO when the file system cannot lock (NFS without its lock service).
 * On NFS, locks hold between hosts only when the mount has them. */
sp_status sp_layout_open(const char *data_root, const char *job_id,
                         sp_layout *out, sp_error **err);

/* Releases the lock and frees l. With discard, a folder this driver
 * created (not one that existed, even empty) is removed first: renamed
 * away, unlocked, deleted. Bad input found before anything ran leaves
 * nothing behind. */
void sp_layout_close(sp_layout *l, int discard);

/* The pid of the driver holding the lock of the job in job_dir (-1 if it
 * holds it but its pid is unknown), or 0 when none does. */
int sp_layout_driver_pid(const char *job_dir);

/* Removes the job folder job_dir unless a driver runs it: its lock is
 * taken (exclusive, not waiting) for the removal, so no driver can start
 * on it meanwhile. *removed is 0 when a driver held the lock. Fails with
 * SP_EIO naming what could not be removed. */
sp_status sp_layout_remove(const char *job_dir, int *removed, sp_error **err);

/* Each appends the absolute path to b (check sp_buf_oom). */
void sp_layout_file(const sp_layout *l, sp_buf *b, const char *name);

/* Where an attempt writes, without an extension: staging/<key>.<attempt>.
 * A task that writes one file writes <that>.parquet, one that writes
 * several makes the folder <that>/. Committing renames either to the
 * same name under sp_layout_task_out, data/<key>: one file and no folder
 * saves a task two metadata operations (a mkdir and an inode). */
void sp_layout_attempt_out(const sp_layout *l, sp_buf *b, const char *key,
                           int attempt);
void sp_layout_task_out(const sp_layout *l, sp_buf *b, const char *key);

/* Worker n's log file and DuckDB spill folder. */
void sp_layout_worker_log(const sp_layout *l, sp_buf *b, int n);
void sp_layout_worker_tmp(const sp_layout *l, sp_buf *b, int n);

/* 1 if id is a valid job id: 1 to 128 of [A-Za-z0-9._-], not starting
 * with '.'. */
int sp_layout_valid_job_id(const char *id);

#endif
