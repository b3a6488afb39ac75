/*
 * testkit.h - helpers for the integration tests: temporary folders, data
 * made with DuckDB SQL, running the CLI, reading files.
 *
 * DuckDB in the test process is opened only after sp_init has forked the
 * workers, or closed before it: workers must not inherit DuckDB's threads.
 */
#ifndef SP_TESTKIT_H
#define SP_TESTKIT_H

#include <stddef.h>
#include <stdint.h>

#include "duckcheck.h"
#include "smallpond.h"

/* A new empty folder under $TMPDIR (or /tmp); caller frees the string. */
char *tk_tmpdir(void);

/* Removes path and everything below it. */
void tk_rm_rf(const char *path);

/* "<dir>/<name>" in a static rotating buffer (valid for 255 more calls). */
const char *tk_path(const char *dir, const char *name);

/* printf into a static rotating buffer (valid for 255 more calls). */
const char *tk_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes `files` Parquet files into dir with rows (id BIGINT, k BIGINT in
 * [0, keys), name VARCHAR with some NULLs, v DOUBLE), made by DuckDB from a
 * seeded hash of the row number. Opens and closes its own DuckDB. 0 on
 * success. */
int tk_make_table(const char *dir, int64_t rows, int files, int keys);

/* Runs the smallpond CLI with argv (NULL-terminated, without argv[0]);
 * returns its exit code, and its stdout and stderr (caller frees). */
int tk_cli(const char *const *argv, char **out, char **err);

/* Starts the CLI with argv (as tk_cli) without waiting; its output goes to
 * /dev/null. Returns its pid, or -1. */
int tk_cli_start(const char *const *argv);

/* The pid that worker i wrote into its log (executor-<i>[pid]), waiting up
 * to timeout_ms for the log to appear; -1 if it did not. */
int tk_worker_pid(const char *job_dir, int i, int timeout_ms);

/* 1 once worker i's log contains needle, waiting up to timeout_ms. */
int tk_wait_log(const char *job_dir, int i, const char *needle,
                int timeout_ms);

/* 1 once pid is gone (or a zombie of someone else), waiting up to
 * timeout_ms. */
int tk_wait_gone(int pid, int timeout_ms);

void tk_sleep_ms(int ms);

/* The whole file as a string (caller frees), or NULL. */
char *tk_read(const char *path);

/* mkdir -p path. 0 on success. */
int tk_mkdir_p(const char *path);

/* 1 if the file exists (any type). */
int tk_exists(const char *path);

/* The job folder's executor log of worker i, as text (caller frees). */
char *tk_executor_log(const char *job_dir, int i);

/* Fails the current cmocka test unless queries a and b give the same
 * multiset of rows in plain DuckDB. */
void tk_assert_same_rows(const char *a, const char *b);

/* sql's single integer result from plain DuckDB; fails the test on error. */
int64_t tk_duck_i64(const char *sql);

/* Runs sql (any statement) in a fresh in-memory DuckDB; fails the current
 * test if it fails. */
void tk_duck_exec(const char *sql);

/* A session with `workers` workers, 512 MiB per task, extension
 * autoloading off, under root; fails the current test if it cannot
 * start. */
sp_session *tk_session(const char *root, int workers, const char *job_id);

/* tk_session with sp_config.keep_intermediate: a later session of the job
 * reuses its finished tasks. */
sp_session *tk_session_keeping(const char *root, int workers,
                               const char *job_id);

/* What most integration tests share: a folder with tk_make_table's files,
 * and a session of 2 workers (512 MiB per task, extension autoloading
 * off) on a data root inside. */
typedef struct tk_fixture {
  char *dir;          /* the folder; removed by tk_fixture_free */
  char glob[4096];    /* <dir>/part-*.parquet */
  char root[4096];    /* <dir>/root */
  sp_session *s;
} tk_fixture;

/* A fixture with rows rows in `files` files (keys distinct k) and the
 * job job_id; configure (may be NULL) may change the session's settings
 * before sp_init. NULL on failure, after printing why. */
tk_fixture *tk_fixture_new(int64_t rows, int files, int keys,
                           const char *job_id,
                           void (*configure)(sp_config *cfg));

/* Closes the session and removes the folder. Accepts NULL. */
void tk_fixture_free(tk_fixture *f);

/* A cmocka teardown for a group whose state is a tk_fixture. */
int tk_fixture_teardown(void **state);

/* A DataFrame over the fixture's Parquet files; fails the test on
 * error. */
sp_df *tk_input(tk_fixture *f);

/* df split evenly by files into n partitions; fails the test on error. */
sp_df *tk_by_files(sp_df *df, int n);

/* Fails the current test with the error's message (and SQL) unless st is
 * SP_OK. */
void tk_check(sp_status st, sp_error **err);

/* Number of occurrences of needle in hay. */
int tk_count(const char *hay, const char *needle);

#endif
