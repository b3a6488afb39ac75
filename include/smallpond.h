/*
 * smallpond.h - the public API of smallpond, a distributed data processing
 * framework on DuckDB.
 *
 * This header is the whole API: anything not declared here is private and
 * may change without notice. Every public name starts with sp_ or SP_.
 *
 * Model. A session (sp_session) owns a job: a job id, a folder under the data
 * root where intermediate Parquet files, the state log and the logs live, and
 * a pool of worker processes. DataFrames (sp_df) are lazy, partitioned
 * descriptions of data built from sources and transformations; nothing runs
 * until a consumer (sp_write_parquet, sp_count, sp_take, sp_take_all) asks
 * for a result.
 * Then the plan is split into one task per partition, the tasks run in
 * DuckDB inside the workers, and data moves between stages as Parquet files.
 *
 * Errors. Every fallible function returns an sp_status. When it is not
 * SP_OK and the caller passed a non-NULL `err`, *err receives an error
 * object with a message naming what went wrong; the caller frees it with
 * sp_error_free(). If *err already holds an error it is kept and the new one
 * dropped, so a sequence of calls can share one `err` and report the first
 * failure. On success *err is left untouched. The library never exits the
 * process and never prints unless asked to (sp_rows_print).
 *
 * Threads. A session and everything made from it belong to one thread at a
 * time. Different sessions are independent.
 *
 * Processes. sp_init() forks the session's worker processes: they are
 * copies of the program at that moment, so C functions it has are theirs
 * too. Call sp_init before the program starts threads of its own (fork
 * copies only the calling thread). A worker keeps only stdin, stdout,
 * stderr and its connection to the driver; it exits when the session
 * closes and is killed if the driver dies.
 */
#ifndef SMALLPOND_H
#define SMALLPOND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The Arrow C data and stream interfaces, as the Arrow specification
 * defines them (guarded, so any other copy of them is compatible). */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4
struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};
struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};
#endif
#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);
  void (*release)(struct ArrowArrayStream *);
  void *private_data;
};
#endif

#if defined(SP_BUILDING_LIBRARY) && defined(__GNUC__)
#define SP_API __attribute__((visibility("default")))
#else
#define SP_API
#endif

/* The version: these three lines are its one place (CMake reads them). */
#define SP_VERSION_MAJOR 0
#define SP_VERSION_MINOR 1
#define SP_VERSION_PATCH 0
#define SP_VERSION_TEXT_(x) #x
#define SP_VERSION_TEXT(x) SP_VERSION_TEXT_(x)
#define SP_VERSION_STRING                                                     \
  SP_VERSION_TEXT(SP_VERSION_MAJOR)                                           \
  "." SP_VERSION_TEXT(SP_VERSION_MINOR) "." SP_VERSION_TEXT(SP_VERSION_PATCH)
/* major * 1000000 + minor * 1000 + patch, comparable with sp_version_number. */
#define SP_VERSION_NUMBER                                                     \
  (SP_VERSION_MAJOR * 1000000 + SP_VERSION_MINOR * 1000 + SP_VERSION_PATCH)

/* The library's version as a number; equals SP_VERSION_NUMBER when the
 * header and the library match. */
SP_API int sp_version_number(void);

/* The library's version as text, e.g. "0.1.0". Static; do not free. */
SP_API const char *sp_version(void);

/* The version of the DuckDB library smallpond runs on, e.g. "v1.4.4".
 * Static; do not free. */
SP_API const char *sp_duckdb_version(void);

/* 1 when this library was built with MPI (cluster mode under mpirun); 0
 * for a build without it (-DSP_WITH_MPI=OFF), which runs local mode
 * only. */
SP_API int sp_has_mpi(void);

/* ------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------ */

/* Status codes. Append-only: a code's value never changes. */
typedef enum sp_status {
  SP_OK = 0,         /* success */
  SP_ENOMEM = 1,     /* out of memory */
  SP_EINVAL = 2,     /* invalid argument: bad option, bad SQL template */
  SP_ENOENT = 3,     /* an input path or glob matched no file */
  SP_EIO = 4,        /* file system error */
  SP_ESQL = 5,       /* DuckDB rejected a query */
  SP_EPLAN = 6,      /* the plan cannot be built (incompatible inputs) */
  SP_EWORKER = 7,    /* a worker process failed or broke the protocol */
  SP_EEXIST = 8,     /* the output path exists and is not empty */
  SP_EINTERNAL = 9   /* a bug in smallpond */
} sp_status;

/* An error: a status, a message, and where known the failing task and SQL. */
typedef struct sp_error sp_error;

/* A short fixed description of a status, e.g. "out of memory".
 * Static; do not free. */
SP_API const char *sp_status_str(sp_status status);

/* The error's status code. */
SP_API sp_status sp_error_status(const sp_error *err);

/* The full message, naming what is wrong. Borrowed: valid until the error is
 * freed. Never NULL. */
SP_API const char *sp_error_message(const sp_error *err);

/* The SQL text of the failing task, or NULL when the error has none.
 * Borrowed: valid until the error is freed. */
SP_API const char *sp_error_sql(const sp_error *err);

/* The key of the failing task, or NULL when the error came from no task.
 * Borrowed: valid until the error is freed. */
SP_API const char *sp_error_task(const sp_error *err);

/* Frees *err and sets it to NULL. Accepts NULL and a pointer to NULL. */
SP_API void sp_error_free(sp_error **err);

/* ------------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------------ */

/* A session: one job, its data root folder and its worker processes. */
typedef struct sp_session sp_session;

/* A function each worker calls once, right after opening its DuckDB
 * database and before any task: `connection` is a duckdb_connection (a
 * void * here so that this header needs no duckdb.h). Register scalar,
 * table or aggregate functions on it with DuckDB's C API
 * (duckdb_register_scalar_function, ...): they are then available to the
 * SQL of every task. Return 0 on success; anything else makes sp_init fail,
 * and so does not returning within 120 s. It runs in the worker processes,
 * so it may use what the program set up before sp_init, but what it
 * changes stays in the worker. Task keys do not cover the functions' code:
 * after changing it, rerun with a new job id, or finished tasks are
 * reused. */
typedef int (*sp_duckdb_setup_fn)(void *connection, void *arg);

/* A C function over a batch of rows, for sp_map_batches and sp_map_rows.
 * batch is a struct array (one child per column, offset 0, at least 0
 * rows) described by schema; both are borrowed for the call. The function
 * fills *out_schema and *out with its result, a struct array of any
 * columns (the same columns for every batch), and gives up ownership of
 * both: smallpond calls their release callbacks. Return 0, or non-zero to
 * fail the task. It runs in the worker processes (see sp_duckdb_setup_fn
 * for what that means). */
typedef int (*sp_batch_map_fn)(const struct ArrowSchema *schema,
                               const struct ArrowArray *batch,
                               struct ArrowSchema *out_schema,
                               struct ArrowArray *out, void *arg);

/* A C function that chooses rows of a batch, for sp_filter_batches: it
 * sets keep[i] to non-zero to keep row i (keep has batch->length entries,
 * all 0 on entry). Return 0, or non-zero to fail the task. */
typedef int (*sp_batch_filter_fn)(const struct ArrowSchema *schema,
                                  const struct ArrowArray *batch,
                                  unsigned char *keep, void *arg);

/* A batch function registered by name in sp_config.batch_functions: steps
 * refer to it by name, and the name stands for it in task keys (finished
 * results are reused by name; change the name when the code changes). Set
 * map, filter or both; arg is passed to them. */
typedef struct sp_batch_function {
  const char *name;
  sp_batch_map_fn map;
  sp_batch_filter_fn filter;
  void *arg;
} sp_batch_function;

/* What happened in a running job, for sp_config.on_event. A job runs its
 * tasks in runs, one per consumer call (sp_write_parquet, sp_count, ...);
 * a stage is one step's tasks in a run (its node in sp_explain). */
typedef enum sp_event_kind {
  SP_EVENT_RUN_STARTED = 1,  /* a consumer's tasks are about to run */
  SP_EVENT_RUN_FINISHED,     /* they ran, or the run failed (status) */
  SP_EVENT_STAGE_STARTED,    /* the first attempt of a stage's task went
                                out */
  SP_EVENT_STAGE_FINISHED,   /* the stage's last task finished (attempts
                                that lost to another may end later, as
                                TASK_DROPPED) */
  SP_EVENT_TASK_STARTED,     /* an attempt went out to a worker */
  SP_EVENT_TASK_SPECULATED,  /* a duplicate attempt of a straggler went
                                out (instead of TASK_STARTED) */
  SP_EVENT_TASK_FINISHED,    /* an attempt succeeded: the task is done */
  SP_EVENT_TASK_RETRIED,     /* an attempt failed; the task gets another */
  SP_EVENT_TASK_FAILED,      /* an attempt failed for good: the run fails */
  SP_EVENT_TASK_DROPPED,     /* an attempt was stopped or its result
                                dropped: another attempt finished first */
  SP_EVENT_TICK              /* nothing new; sent at least every 250 ms
                                while tasks run, so that a display can
                                redraw its clocks */
} sp_event_kind;

/* One event. Every pointer is borrowed for the call only. The stage
 * fields are set for stage and task events (stage_name NULL otherwise),
 * the task fields for task events; the counts are those just after the
 * event. */
typedef struct sp_event {
  sp_event_kind kind;
  const char *job_id;
  int64_t time_ms;          /* wall clock, ms since the epoch */
  /* The run: its tasks still to do when it started (those an earlier run
   * finished are reused, not counted), and how many of them are done. */
  int64_t run_tasks, run_done;
  sp_status status;         /* RUN_FINISHED: SP_OK or why it failed */
  /* The stage: its node id (0 for the count of sp_count, which is no
   * step's), a short name of its step
   * ("read_parquet lake/part-0.parquet", "repartition 8 hash(ticker)",
   * "sql SELECT ..."), its tasks in this run, finished and running, the
   * rows and bytes its finished tasks wrote, and when its first attempt
   * went out (time_ms - stage_start_ms is its elapsed time). */
  int stage;
  const char *stage_name;
  int64_t stage_tasks, stage_done, stage_running;
  int64_t stage_rows, stage_bytes;
  int64_t stage_start_ms;
  /* The task: its key, partition and the attempt (0, 1, ...), the
   * executor it ran on (local worker or MPI rank, from 1), what the
   * attempt wrote (TASK_FINISHED; -1 when unknown), how long it ran
   * (every task event but TASK_STARTED/TASK_SPECULATED) and why it
   * failed (TASK_RETRIED, TASK_FAILED, TASK_DROPPED). */
  const char *task_key;
  int partition, attempt, worker;
  int64_t rows, bytes, duration_ms;
  const char *error;
} sp_event;

/* Receives the events of a session's jobs, in the driver, in order, on the
 * thread that called the consumer. It must return quickly (tasks wait
 * meanwhile) and must not call smallpond functions on the session. */
typedef void (*sp_event_fn)(const sp_event *event, void *arg);

/* Session settings. Always fill with sp_config_init() first, then change
 * fields: new fields are only ever appended and get defaults there. */
typedef struct sp_config {
  /* Worker processes. 0 (default): the number of online CPUs. Under
   * mpirun the workers are the ranks other than 0, and this is ignored. */
  int workers;
  /* Folder that holds every job's folder. NULL (default): $SP_DATA_ROOT, or
   * else ~/.smallpond/data. Borrowed during sp_init only. */
  const char *data_root;
  /* The job's name under the data root. Rerunning with the same job id and
   * data root reuses every task that already finished. NULL (default): a
   * fresh id from the time and a random number. 1 to 128 letters, digits,
   * '.', '_' and '-', not starting with '.'. Borrowed during sp_init only. */
  const char *job_id;
  /* DuckDB threads per task. 0 (default): max(1, CPUs / workers); under
   * mpirun, a host's CPUs divided by the worker ranks on it, the smallest
   * over hosts. */
  int task_threads;
  /* DuckDB memory limit per task, in bytes. 0 (default): 80% of the
   * machine's memory divided by the number of workers (under mpirun: per
   * host, as for task_threads). */
  int64_t task_memory;
  /* Called in each worker on its database; see sp_duckdb_setup_fn. NULL
   * (default): none. duckdb_setup_arg is passed to it as is. */
  sp_duckdb_setup_fn duckdb_setup;
  void *duckdb_setup_arg;
  /* The functions sp_map_batches, sp_map_rows and sp_filter_batches may
   * name. Registered here, before the workers start, so that every worker
   * has them; the array is copied by sp_init (the functions' args are
   * not). */
  const sp_batch_function *batch_functions;
  size_t nbatch_functions;
  /* Attempts a task gets before the job fails. A failure that may pass on
   * a second try is retried: a worker that died, a file system error, or
   * DuckDB running out of memory (the next attempt gets twice the memory
   * limit, up to the largest host's memory). Errors in the SQL or data fail
   * at once. 0 (default): 4. */
  int max_attempts;
  /* Non-zero: show progress on stderr while a job runs, as the smallpond
   * tool does. On a terminal, a line per stage in progress (its step,
   * tasks done, running and in all, rows and bytes written, elapsed time,
   * ETA), redrawn 4 times a second, and a summary line per stage when it
   * ends; otherwise a timestamped line when a stage starts or ends, when
   * an attempt fails, and every 10 s while a stage runs. It is built on
   * the same events as on_event. 0 (default): silent. */
  int progress;
  /* Speculative execution. 0 (default): on: once three quarters of a
   * stage's tasks have finished, an attempt running longer than twice the
   * stage's p95, four times its p50 and a second gets a duplicate on an
   * idle worker; the first to finish wins, the other is stopped (a local
   * worker is killed and replaced; an MPI rank cannot be, so its result is
   * dropped when it comes, and the run waits for it: under MPI speculation
   * frees later stages, not the end of the last) and its files removed.
   * -1: off. */
  int speculation;
  /* An attempt that runs longer than this many milliseconds is stopped and
   * counts as failed: it is retried while the task has attempts left (see
   * max_attempts), for a task that hangs on a stuck file system or a
   * stopped worker. A local worker is killed and replaced; an MPI rank
   * cannot be, so it gets no more tasks and what it sends later is
   * ignored. A step may set its own (sp_node_options.task_timeout_ms).
   * 0 (default): no limit. */
  int64_t task_timeout_ms;
  /* Called with each event of the jobs' runs (see sp_event_fn), with
   * on_event_arg. NULL (default): none. */
  sp_event_fn on_event;
  void *on_event_arg;
  /* 0 (default): when the session closes and every run of it succeeded,
   * the job's intermediate data is removed: the files its tasks wrote
   * (what sp_write_parquet published stays: it is linked or copied out),
   * so a rerun of the job computes its tasks again. The logs, plan.json
   * and state.jsonl stay, for smallpond status and report.
   * Non-zero: keep it all, for a later session of the same job to reuse
   * finished tasks. A job that failed or was stopped always keeps it, to
   * resume. */
  int keep_intermediate;
  /* DuckDB extension autoloading, in the driver's and every worker's
   * DuckDB: when a query needs one of DuckDB's known extensions (httpfs
   * for s3://, gs:// and https:// paths, azure for az://), DuckDB installs
   * it (from the network, into ~/.duckdb/extensions) and loads it. 1: on.
   * -1: off: DuckDB uses its built-in extensions only (parquet, json,
   * icu), so a remote path fails with SP_EIO naming the extension it needs
   * and how to install it. 0 (default): off when $SP_AUTOLOAD_EXTENSIONS
   * is "off" or "0", on when it is unset, "on" or "1". One setting per
   * process: it applies to the DuckDB databases opened after sp_init, so
   * two sessions open at once share the later one's. */
  int autoload_extensions;
  /* Under mpirun: a worker rank not heard from for this many milliseconds
   * is lost (its host is down or cut off, or it died while mpirun kept
   * the job: smallpond's launcher passes --enable-recovery). Each rank
   * sends a heartbeat six times per timeout (at most every 2 s) from a
   * thread of its own, so a rank busy in a long task is not taken for
   * lost. An attempt a lost rank ran is dropped when another attempt
   * covers its task; otherwise the run fails naming the rank and its
   * host (rerun to resume). A network hiccup shorter than this is
   * ridden out. 0 (default): 30,000; -1: off (wait as long as MPI
   * does). */
  int64_t host_timeout_ms;
} sp_config;

/* The host timeout by default (sp_config.host_timeout_ms). */
#define SP_HOST_TIMEOUT_MS 30000

/* Compatibility. sp_config and the option structs (sp_read_options,
 * sp_node_options, sp_repartition_options, sp_sql_options) only ever grow
 * by appended fields, whose zero is their default. A program built
 * against an older header keeps working with a newer library of the same
 * major version: sp_config_init and sp_init are macros that pass the
 * header's SP_VERSION_NUMBER, and the session reads every struct its
 * program passes as that header declared it. Call them as functions.
 * Bindings that cannot use C macros call sp_config_init_abi and
 * sp_init_abi with the version of the header they were written for. */

/* Fills *cfg with the defaults described in sp_config, as the header of
 * version header_version declared it. */
SP_API void sp_config_init_abi(sp_config *cfg, int header_version);
#define sp_config_init(cfg) sp_config_init_abi((cfg), SP_VERSION_NUMBER)

/* CONSTRUCTOR. Starts a session: creates or reopens the job folder
 * <data_root>/<job_id>/, locks it, forks the worker processes and waits
 * until each has opened its DuckDB database (and run cfg->duckdb_setup).
 * cfg may be NULL for all defaults. Fails with SP_EEXIST when another
 * driver runs the job, or when the folder exists and is not a job folder
 * (it is then left untouched); with SP_EWORKER when a worker cannot start.
 * On success *out owns the session; close it with sp_close().
 *
 * Under mpirun (Open MPI or an MPICH-style launcher: its environment says
 * so) the same program runs on every rank. On rank 0 sp_init is the
 * driver's, as above, with the other ranks as workers; it initializes MPI
 * unless the program did, and fails with SP_EIO, naming the rank and
 * host, when a rank cannot read a file the driver wrote into the job
 * folder (the data root must be on a file system all ranks share). On
 * every other rank sp_init does not return: the rank serves tasks until
 * rank 0 closes its session, then finalizes MPI (also when the program
 * initialized it) and ends the process with exit status 0; a rank that
 * cannot start tells rank 0, which fails sp_init; one that breaks off
 * mid-job aborts the MPI job (rerun to resume). So code before sp_init
 * runs on every rank, code after it on rank 0 only. A program runs one
 * session per mpirun.
 *
 * Fails with SP_EINVAL when the program was built against a header this
 * library cannot serve (a newer one, or another major version). */
SP_API sp_status sp_init_abi(const sp_config *cfg, sp_session **out,
                             sp_error **err, int header_version);
#define sp_init(cfg, out, err)                                              \
  sp_init_abi((cfg), (out), (err), SP_VERSION_NUMBER)

/* The session's job id. Borrowed: valid until sp_close. */
SP_API const char *sp_session_job_id(const sp_session *s);

/* The session's job folder, <data_root>/<job_id>. Borrowed: valid until
 * sp_close. */
SP_API const char *sp_session_job_dir(const sp_session *s);

/* The number of executors tasks run on: the local worker processes, or
 * under mpirun the ranks other than 0. A fair first choice for a number of
 * partitions. 0 when s is NULL. */
SP_API int sp_session_workers(const sp_session *s);

/* DESTRUCTOR. Stops the workers, frees the session and every DataFrame made
 * from it, and sets *s to NULL. Accepts NULL and a pointer to NULL. The job
 * folder stays for inspection and resume, except one this session created
 * and never ran anything in, which is removed; when every run of the
 * session succeeded, its intermediate data goes (see
 * sp_config.keep_intermediate). */
SP_API void sp_close(sp_session **s);

/* ------------------------------------------------------------------------
 * DataFrames
 *
 * A DataFrame is owned by its session and stays valid until sp_close; there
 * is no function to free one. Building one only records the plan: errors
 * about data (bad SQL, missing columns) appear when a consumer runs it.
 * ------------------------------------------------------------------------ */

/* A lazy, partitioned table. */
typedef struct sp_df sp_df;

/* How a source reads its files. Fill with zeros (or pass NULL) for the
 * defaults; initialize with designated initializers, as fields are only
 * ever appended. Strings are copied. */
typedef struct sp_read_options {
  /* Parquet: read only these columns (in this order), united by name
   * across the files as with union_by_name: a file that lacks one reads
   * it as NULL, and a column that no file has fails when the source is
   * built. CSV and JSON: the files' columns, required, each with its
   * DuckDB type in types. */
  const char *const *columns;
  size_t ncolumns;
  const char *const *types; /* CSV and JSON only: "BIGINT", "VARCHAR", ... */
  /* Parquet: files may have different columns, matched by name. Every
   * partition reads the same columns, those of all the files (found from
   * their footers when the source is built), each with the type the files
   * unite to; a file that lacks one reads it as NULL. */
  int union_by_name;
  /* Parquet: add a column "filename" (the file's path) and/or
   * "file_row_number" (the row's index in its file). */
  int filename;
  int file_row_number;
  /* CSV: the field separator (default ","), and whether the first line of
   * each file is a header to skip. */
  const char *delimiter;
  int header;
  /* A "**" component in a path matches any number of folders, zero
   * included: "logs", "**" and "*.parquet" joined by '/' names every
   * Parquet file below logs (one "**" per path). */
  int recursive;
  /* Parquet: the files are a partitioned output (of sp_write_parquet, for
   * one): the DataFrame has npartitions partitions along the dimension
   * partitioned_by, and each file goes to the partition named by a
   * "<partitioned_by>=<i>" folder in its path, or else by its Parquet
   * key-value metadata "SMALLPOND:<partitioned_by>". A file with neither,
   * or with i outside [0, npartitions), fails naming it; partitions without
   * files are empty. Copied. */
  const char *partitioned_by;
  int npartitions;
  /* CSV and JSON: DuckDB detects each file's dialect as it reads it
   * (delimiter, quoting, header; JSON's layout), as its read_csv and
   * read_json do, instead of the delimiter and header given here. The
   * columns and types are then optional: without them, the types are those
   * DuckDB finds over all the files when the source is built, so that every
   * partition reads the same columns; with them, they are forced on the
   * columns of those names. */
  int detect;
} sp_read_options;

/* Settings of one step: the node it adds to the plan. Every operation that
 * runs tasks takes one (NULL, or all zeros: the defaults). Initialize with
 * designated initializers, e.g. {.compression = "snappy"}, as fields are
 * only ever appended. Strings are copied. */
typedef struct sp_node_options {
  /* DuckDB threads and memory limit (bytes) of each of the step's tasks.
   * 0: the session's task_threads / task_memory. */
  int task_threads;
  int64_t task_memory;
  /* The Parquet files the step writes. compression: "zstd" (default; a
   * repartition's files, read once by the next step: "uncompressed"),
   * "snappy", "gzip", "lz4", "brotli" or "uncompressed"; compression_level:
   * zstd's level, 1 to 22 (0: 3); row_group_size: the target rows per
   * row group (0: DuckDB's 122,880; DuckDB rounds to its 2048-row vectors,
   * so groups may be somewhat larger); no_dictionary: non-zero writes no
   * dictionary pages
   * (dictionaries are on by default, as in DuckDB). Every file a task
   * writes also carries its partition's index along each dimension in the
   * Parquet key-value metadata, as "SMALLPOND:<dimension>" = "<index>".
   * A HUGEINT or UHUGEINT column (an integer sum, say), which DuckDB
   * would write as DOUBLE and round past 2^53, is written exactly as
   * DECIMAL(38,0), also inside lists and structs: later steps and readers
   * of the output get DECIMAL(38,0) back, and a value of more than 38
   * digits fails the task instead of losing digits. */
  const char *compression;
  int compression_level;
  int64_t row_group_size;
  int no_dictionary;
  /* sp_write_parquet only: put each partition's files into hive-style
   * folders, <dimension>=<index>/ (nested: one level per dimension), so
   * that DuckDB's hive_partitioning reads the indexes back as columns. */
  int hive;
  /* The step's task timeout in milliseconds (see sp_config.task_timeout_ms;
   * a step fused with another gets the longer of the two). 0: the
   * session's. */
  int64_t task_timeout_ms;
} sp_node_options;

/* SOURCE. A DataFrame over Parquet files: each of the npaths entries is a
 * file path or a glob pattern (*, ?, [...]). The files are listed now, in
 * sorted order, and form one partition. Fails with SP_ENOENT naming the
 * pattern when a pattern matches no file. opt may be NULL. The strings are
 * copied. */
SP_API sp_status sp_read_parquet(sp_session *s, const char *const *paths,
                                 size_t npaths, const sp_read_options *opt,
                                 sp_df **out, sp_error **err);

/* SOURCE. Like sp_read_parquet, for CSV files with the schema in
 * opt->columns and opt->types, and opt->delimiter and opt->header; or with
 * opt->detect, as DuckDB's read_csv finds them. Later steps read the CSV
 * files directly. A CSV source can be
 * split by files or hashed, not split by rows. */
SP_API sp_status sp_read_csv(sp_session *s, const char *const *paths,
                             size_t npaths, const sp_read_options *opt,
                             sp_df **out, sp_error **err);

/* SOURCE. Like sp_read_csv, for newline-delimited JSON: one object a line,
 * with the schema in opt->columns and opt->types; or with opt->detect, any
 * JSON DuckDB's read_json takes, its schema as DuckDB finds it. */
SP_API sp_status sp_read_json(sp_session *s, const char *const *paths,
                              size_t npaths, const sp_read_options *opt,
                              sp_df **out, sp_error **err);

/* A function that puts each of npaths input files into one of npartitions
 * partitions: it sets partition_of[i] in [0, npartitions) for paths[i] (in
 * the input's order) and returns 0, or non-zero to fail the job. It runs in
 * the driver, once per run that needs it. */
typedef int (*sp_assign_fn)(const char *const *paths, size_t npaths,
                            int npartitions, int *partition_of, void *arg);

/* How sp_repartition splits rows. Fill with zeros (or pass NULL) for the
 * default: an even split of the input files. At most one of hash_by, by and
 * by_rows may be set. New fields are only ever appended: initialize with
 * designated initializers, e.g. {.hash_by = cols, .nhash_by = 1}. */
typedef struct sp_repartition_options {
  /* Route each row to hash(columns) % npartitions, so that equal keys meet in
   * one partition. nhash_by names in hash_by; copied. */
  const char *const *hash_by;
  size_t nhash_by;
  /* Non-zero: split evenly by rows (contiguous Parquet row ranges, near-equal
   * counts across file boundaries) instead of by files. */
  int by_rows;
  /* A SQL expression over the input's columns whose value is the row's
   * partition, e.g. "item % 10"; it is cast to BIGINT (a fraction rounds).
   * A value outside [0, npartitions), or NULL, fails the job with
   * "partition key K is out of range 0-(npartitions-1)". Copied. */
  const char *by;
  /* Whole files to partitions by a C function (moves no data). assign_name
   * names it in task keys: finished results are reused by name, so change
   * the name when the function changes. Required with assign; copied. */
  sp_assign_fn assign;
  void *assign_arg;
  const char *assign_name;
  /* The dimension the new partitions are numbered along: it names the
   * placeholder {<dimension>} in SQL, the key-value metadata and hive
   * folders. NULL: "__data_partition__". Inputs of one SQL step or union
   * are matched along their dimensions by name; copied. */
  const char *dimension;
  /* Non-zero: split each of df's partitions into npartitions, keeping df's
   * dimensions and adding `dimension` (required, and new) after them; the
   * result has df's count x npartitions partitions. */
  int nested;
  /* The step's settings; NULL for the defaults. */
  const sp_node_options *node;
  /* A sort order over columns, e.g. "a, b DESC NULLS FIRST" (each item a
   * column name, plain or double-quoted, then optionally ASC or DESC and
   * NULLS FIRST or LAST; NULLs sort last by default): split by ranges of
   * that order, so that every row of partition i sorts before every row
   * of partition i + 1. Split points come from a sample of each input
   * partition (about 20 x npartitions rows, weighted by the partition's
   * size), and ties are broken at random, so that one key held by many
   * rows spreads over several partitions. Not with nested. Copied. */
  const char *range_by;
} sp_repartition_options;

/* TRANSFORMATION. Splits df into npartitions partitions (1 or more) along
 * one dimension. With hash_by or by, producer tasks rewrite the rows into
 * per-partition Parquet files; otherwise only file lists or row ranges are
 * split. Every partition exists, even when empty. opt may be NULL. */
SP_API sp_status sp_repartition(sp_df *df, int npartitions,
                                const sp_repartition_options *opt,
                                sp_df **out, sp_error **err);

/* TRANSFORMATION. Runs one SQL query (a statement that returns rows) on
 * every partition of the inputs. Placeholders are replaced everywhere in
 * the text, inside string literals and comments too (write '{{"a": 1}}'
 * for the JSON literal '{"a": 1}'): {0}, {1}, ... in query stand for the
 * partition of inputs[0], inputs[1], ...; {__data_partition__} for the
 * partition's index (along that dimension, if the partitioning has one
 * of that name), {<dimension>} for the index along any other dimension,
 * {rand_seed} for a random number in [0, 2^31) fixed per task (the same
 * when the job runs again), {batch_index} for 0 (a partition is read as
 * one batch); write {{ and }} for literal braces. The result is
 * partitioned like the input with the most dimensions; every other input
 * must be one partition (given whole to every partition) or partitioned
 * along some of those dimensions with the same sizes (it is then matched by
 * index); anything else fails naming both inputs. ninputs may be 0 (e.g.
 * "SELECT * FROM range(3)"). The query is copied. opt may be NULL. */
SP_API sp_status sp_partial_sql(sp_session *s, const char *query,
                                sp_df *const *inputs, size_t ninputs,
                                const sp_node_options *opt, sp_df **out,
                                sp_error **err);

/* TRANSFORMATION. A random permutation of df's rows: each row goes to a
 * random one of df's partitions, then each partition is put in random
 * order. The randomness is seeded by the task keys, so a rerun gives the
 * same permutation when tasks run on one DuckDB thread (task_threads 1,
 * the default when there are as many workers as CPUs); with more threads
 * DuckDB's random() is not reproducible. */
SP_API sp_status sp_random_shuffle(sp_df *df, const sp_node_options *opt,
                                   sp_df **out, sp_error **err);

/* TRANSFORMATIONS written in SQL, run on each partition of df. The text is
 * SQL over df's columns, copied; braces in it are literal (no {0} here).
 *   sp_map:          SELECT <exprs> FROM df, e.g. "a, b * 2 AS c"
 *   sp_filter:       SELECT * FROM df WHERE <predicate>
 *   sp_flat_map:     like sp_map, for expressions that unnest lists into
 *                    several rows, e.g. "unnest(string_split(s, ' ')) AS w"
 *   sp_partial_sort: SELECT * FROM df ORDER BY <order>, e.g. "a, b DESC";
 *                    each partition is sorted, not the whole */
SP_API sp_status sp_map(sp_df *df, const char *exprs,
                        const sp_node_options *opt, sp_df **out,
                        sp_error **err);
SP_API sp_status sp_filter(sp_df *df, const char *predicate,
                           const sp_node_options *opt, sp_df **out,
                           sp_error **err);
SP_API sp_status sp_flat_map(sp_df *df, const char *exprs,
                             const sp_node_options *opt, sp_df **out,
                             sp_error **err);
SP_API sp_status sp_partial_sort(sp_df *df, const char *order,
                                 const sp_node_options *opt, sp_df **out,
                                 sp_error **err);

/* TRANSFORMATION. Sorts df by order (the syntax of
 * sp_repartition_options.range_by): a range repartition into npartitions
 * (0: as many as df has), then each partition sorted. Partition i holds
 * the i-th range, so reading the partitions in order (sp_take,
 * sp_write_parquet's file names) gives the whole in order; rows with
 * equal keys come in no particular order. opt (may be NULL) applies to
 * both steps. */
SP_API sp_status sp_sort(sp_df *df, const char *order, int npartitions,
                         const sp_node_options *opt, sp_df **out,
                         sp_error **err);

/* TRANSFORMATIONS in C over Arrow record batches. Each partition of df is
 * read in order, in batches of batch_size rows (0: 122,880; the last batch
 * of a partition may be smaller), and each batch goes to the batch
 * function registered under fn_name (see sp_batch_function); a partition
 * without rows gets one call with an empty batch, so that the result
 * still has its columns.
 *   sp_map_batches:    the partition's rows are the function's results, in
 *                      order (any number of rows and columns)
 *   sp_map_rows:       the same, but each result must have as many rows as
 *                      its batch: a row-by-row map
 *   sp_filter_batches: the rows the filter function keeps, columns as
 *                      they are
 * A function that fails, returns a malformed or differently shaped result
 * fails the task, naming the function. fn_name is copied; opt may be
 * NULL. */
SP_API sp_status sp_map_batches(sp_df *df, const char *fn_name,
                                int64_t batch_size,
                                const sp_node_options *opt, sp_df **out,
                                sp_error **err);
SP_API sp_status sp_map_rows(sp_df *df, const char *fn_name,
                             int64_t batch_size, const sp_node_options *opt,
                             sp_df **out, sp_error **err);
SP_API sp_status sp_filter_batches(sp_df *df, const char *fn_name,
                                   int64_t batch_size,
                                   const sp_node_options *opt, sp_df **out,
                                   sp_error **err);

/* TRANSFORMATION. At most n rows of df in one partition: each partition is
 * limited to n, then their union is limited to n again. */
SP_API sp_status sp_limit(sp_df *df, int64_t n, const sp_node_options *opt,
                          sp_df **out, sp_error **err);

/* SOURCE. A one-partition DataFrame from in-memory Arrow data: the stream
 * is read now, to its end, written once as a Parquet file in the job folder
 * (inputs/, named by a hash of its content, so a rerun with the same data
 * reuses later steps' results), and released, also on failure. Any type
 * DuckDB reads from Arrow is kept, lists and structs included (a stream
 * without any batch: flat types only). */
SP_API sp_status sp_from_arrow(sp_session *s, struct ArrowArrayStream *stream,
                               sp_df **out, sp_error **err);

/* SOURCE. A one-partition DataFrame from a query that reads no DataFrame,
 * e.g. "SELECT * FROM range(1000)"; its task writes the result to Parquet.
 * The query is copied; braces in it are literal. */
SP_API sp_status sp_from_sql(sp_session *s, const char *query,
                             const sp_node_options *opt, sp_df **out,
                             sp_error **err);

/* TRANSFORMATION. The rows of n DataFrames with the same partitioning
 * (dimensions and sizes): partition i holds partition i of each, in
 * order. Moves no data. Columns are matched by name, in any order, as
 * DuckDB's UNION ALL BY NAME matches them: a column that only some inputs
 * have is NULL in the rows of the others, and its type is the one the
 * inputs' types unite to. So a column misspelled in one input becomes two
 * half-empty columns: give the inputs the same columns when that is what
 * you mean. */
SP_API sp_status sp_union(sp_df *const *dfs, size_t n, sp_df **out,
                          sp_error **err);

/* The number of partitions of df. */
SP_API int sp_df_num_partitions(const sp_df *df);

/* ------------------------------------------------------------------------
 * SQL: one ordinary query over files and registered DataFrames.
 * ------------------------------------------------------------------------ */

/* Whether sp_sql splits a query into distributed stages. */
typedef enum sp_sql_mode {
  SP_SQL_AUTO = 0,    /* split what the planner knows how to; the rest
                         runs on one task, and sp_explain says why */
  SP_SQL_SINGLE = 1,  /* the whole query on one task */
  SP_SQL_SPLIT = 2    /* split, or fail with SP_EPLAN saying why not */
} sp_sql_mode;

/* How sp_sql plans. Fill with zeros (or pass NULL) for the defaults; fields
 * are only ever appended. */
typedef struct sp_sql_options {
  sp_sql_mode mode;
  /* The partitions of each exchange (hash on group keys, ...); 0: one per
   * worker, fewer for small inputs (one per partition_bytes of input
   * files), and in SP_SQL_AUTO inputs under partition_bytes run on one
   * task, without the stages' fixed costs. */
  int partitions;
  /* A join reads every table but its biggest whole in each partition
   * (broadcast) when they hold at most this many bytes together (their
   * files, or a guess for what a stage computes), and hashes the tables on
   * their join key otherwise; 0: SP_SQL_BROADCAST_BYTES, and bigger tables
   * are read whole too when that costs less than hashing them (few
   * partitions: each reads them once; hashing writes and reads every
   * table again). */
  int64_t broadcast_bytes;
  /* The input bytes a partition is meant to hold; 0:
   * SP_SQL_PARTITION_BYTES. By default there is one partition per that
   * many bytes of input files (at most one per worker), and an ORDER BY
   * of rows that come from fewer bytes than this is sorted on one task
   * rather than range-partitioned (a sample, split points and a shuffle:
   * three rounds of tasks). */
  int64_t partition_bytes;
  /* 0: when a guessed size decides the plan (a stage's output is guessed
   * as what it reads: a join's sides, a sort's rows), sp_sql runs the
   * stages that compute them first and plans the query again with their
   * real sizes (once); their tasks are done when the query runs. 1:
   * plan on the guesses, running nothing but the tables the query reads
   * (--explain). sp_explain shows each stage's size, and whether it was
   * measured or guessed. */
  int plan_only;
} sp_sql_options;

/* The input bytes per partition by default
 * (sp_sql_options.partition_bytes). */
#define SP_SQL_PARTITION_BYTES (64 * 1024 * 1024)

/* The broadcast size by default (sp_sql_options.broadcast_bytes). */
#define SP_SQL_BROADCAST_BYTES (64 * 1024 * 1024)

/* Names df name for the queries of sp_sql, as a table: FROM name. Names
 * match without regard to case, as in DuckDB; registering a name again
 * replaces it. name is copied; df stays the session's. */
SP_API sp_status sp_register_table(sp_session *s, const char *name, sp_df *df,
                                   sp_error **err);

/* A DataFrame of the rows of query, one ordinary SQL query as DuckDB takes
 * it (SELECT, WITH, FROM, VALUES; joins, GROUP BY, windows, subqueries,
 * ...), over registered tables (sp_register_table) and files named in it:
 * FROM 'lake/orders.parquet' (a path or glob pattern DuckDB reads by its
 * extension), read_parquet(...), read_csv(...), read_json(...). It has
 * DuckDB's column names and types, and its rows are DuckDB's for the same
 * query on the same files; sp_take and sp_to_arrow give them with those
 * types (a written file holds a HUGEINT as DECIMAL(38,0): see
 * sp_node_options). Write, collect or process the result further like any
 * DataFrame; sp_explain prints its stages.
 *
 * The query is cut into stages joined by exchanges (hash, gather, range),
 * each stage one DuckDB query per partition: scans, GROUP BY, DISTINCT,
 * joins (broadcast or hashed on the key), correlated and uncorrelated
 * subqueries, CTEs, windows with PARTITION BY, set operations, ORDER BY
 * and LIMIT (docs/sql.md has the table). A part it cannot split runs whole
 * on one task over its inputs, with the threads of a host, and sp_explain
 * says which and why.
 *
 * The query is parsed and bound before anything of it runs: a syntax error
 * fails with DuckDB's message and its line and column (SP_ESQL); an
 * unknown table names it and the registered ones (SP_EINVAL); an unknown
 * column, with DuckDB's message (SP_ESQL); a pattern that matches no file
 * names it (SP_ENOENT). Only a query runs: COPY, EXPORT, ATTACH, INSTALL,
 * LOAD, CREATE, INSERT, SET, PRAGMA and several statements are refused
 * (SP_EINVAL), so a query cannot write files or change settings on the
 * workers. To bind the query, the registered DataFrames it reads are
 * computed first (reused by later steps, as by any consumer). opt may be
 * NULL. */
SP_API sp_status sp_sql(sp_session *s, const char *query,
                        const sp_sql_options *opt, sp_df **out,
                        sp_error **err);

/* Makes the next consumer compute df again, and every step computed from
 * it (already built or built later), instead of reusing their results:
 * from earlier in this session, or from state.jsonl of an earlier run
 * with the same job id. Their tasks get keys never used before, so a rerun
 * of the program computes them again too. Python smallpond's
 * DataFrame.recompute(). */
SP_API sp_status sp_recompute(sp_df *df, sp_error **err);

/* ------------------------------------------------------------------------
 * Consumers: these run the plan.
 * ------------------------------------------------------------------------ */

/* CONSUMER. Writes df as Parquet files into the folder dir, named
 * part-<partition>-<n>.parquet so that lexical order is partition order
 * (with opt->hive, inside <dimension>=<index>/ folders). The files are
 * those df's last step wrote when it is a SQL step and opt sets no Parquet
 * setting; otherwise a step copies each partition, fused into df's last
 * SQL step when that has not run yet. opt may be NULL.
 * A partition without rows gets no file, but at least one file is written
 * so that the result keeps its columns. Nothing appears in dir until
 * every file is complete: a new dir is written beside and renamed into
 * place; an existing empty dir (or a symbolic link to one) stays the same
 * folder, with its mode, owner and ACL, and the files are written into a
 * hidden folder inside it and then moved up. If the job or the publishing
 * fails, dir is left as it was. Fails before running anything with
 * SP_EEXIST if dir exists and is not an empty folder, and with SP_EINVAL
 * if it is a link to nothing. The files are hard links to the job's own
 * files where the file system allows (copies otherwise): they share their
 * blocks with the job folder until it is removed. */
SP_API sp_status sp_write_parquet(sp_df *df, const char *dir,
                                  const sp_node_options *opt, sp_error **err);

/* The same as sp_write_parquet, except that nothing runs yet: *out is a
 * DataFrame that writes df into dir when it is computed with sp_compute,
 * together with others. The checks on dir happen now. */
SP_API sp_status sp_write_parquet_lazy(sp_df *df, const char *dir,
                                       const sp_node_options *opt,
                                       sp_df **out, sp_error **err);

/* CONSUMER. Runs the tasks of n DataFrames of one session in one go, so
 * they share the workers, then writes out those made by
 * sp_write_parquet_lazy (each once, each all or nothing, one after the
 * other: if one fails, those before it stay written). Two of them writing
 * into one folder are refused before anything runs. Other DataFrames are
 * just computed: later consumers of them find their tasks done. */
SP_API sp_status sp_compute(sp_df *const *dfs, size_t n, sp_error **err);

/* CONSUMER. Sets *out to the number of rows of df. */
SP_API sp_status sp_count(sp_df *df, int64_t *out, sp_error **err);

/* Rows returned by sp_take: every value rendered as text. */
typedef struct sp_rows sp_rows;

/* CONSUMER. Up to n rows of df, taken in partition order; only a limit is
 * computed per partition, not everything. On success *out owns the rows; free
 * them with sp_rows_free(). */
SP_API sp_status sp_take(sp_df *df, int64_t n, sp_rows **out,
                         sp_error **err);

/* CONSUMER. Every row of df, in partition order. Meant for small results:
 * the rows are held in memory as text. Free with sp_rows_free(). */
SP_API sp_status sp_take_all(sp_df *df, sp_rows **out, sp_error **err);

/* CONSUMER. Every row of df as an Arrow stream (the Arrow C stream
 * interface), in partition order, with DuckDB's Arrow types. On success
 * the caller owns *out: read it with out->get_schema and out->get_next
 * (an array whose release is NULL marks the end) and call
 * out->release(out) when done, also before sp_close. The rows are read
 * into memory in the calling process. */
SP_API sp_status sp_to_arrow(sp_df *df, struct ArrowArrayStream *out,
                             sp_error **err);

/* Prints df's plan to out without running it: each step (node) it needs,
 * bottom up, with its partitioning and its tasks by kind, fused steps
 * marked, and the totals. Plans df as a consumer would, so later consumers
 * reuse what it planned. */
SP_API sp_status sp_explain(sp_df *df, FILE *out, sp_error **err);

/* Prints the state of the job in job_dir (<data_root>/<job_id>), its
 * workers per host and the progress of each step of its last plan, from
 * the folder's files alone:
 * it works while the job runs in another process, after it finished, and
 * after its driver died (said as such). Fails with SP_ENOENT when job_dir
 * is not a job folder. */
SP_API sp_status sp_job_print_status(const char *job_dir, FILE *out,
                                     sp_error **err);

/* sp_job_print_status of job: a job folder's path, or a job id under
 * data_root (NULL: $SP_DATA_ROOT, else ~/.smallpond/data, as sp_init
 * chooses). Fails with SP_ENOENT naming job when it is neither. */
SP_API sp_status sp_job_print_status_of(const char *data_root,
                                        const char *job, FILE *out,
                                        sp_error **err);

/* Writes the report of job (a job folder's path, or a job id under
 * data_root, NULL as above) to html_path as one self-contained HTML page
 * (inline CSS and SVG; no script, nothing fetched): the plan as a graph,
 * a timeline of every task attempt that ended, per worker, coloured by
 * step, with retried, failed, lost and speculative attempts marked, a
 * table per step (tasks, attempts, rows, bytes, duration percentiles,
 * the slowest task) and the errors of failed attempts. Reads the job's
 * plan.json and log/tasks.csv only, so it works while the job runs (its
 * attempts still out are not shown), after it failed and after it
 * finished. A row of tasks.csv that cannot be read is left out and
 * counted on the page. The page is written beside html_path and renamed
 * into place: a failure leaves nothing half-written. Fails with SP_ENOENT
 * naming job when it is not a job folder, SP_EINVAL naming the file and
 * the version that wrote it when plan.json or tasks.csv is not of this
 * version's format, SP_EIO when html_path cannot be written. */
SP_API sp_status sp_job_report(const char *data_root, const char *job,
                               const char *html_path, sp_error **err);

/* The state of job (a folder or a job id under data_root, as for
 * sp_job_print_status_of) into state (len bytes, at least 16): "running"
 * (a driver holds it), "success", "failure", "stopped" (its status says
 * running but its driver is gone) or "new". Fails with SP_ENOENT when job
 * is not a job. */
SP_API sp_status sp_job_state_of(const char *data_root, const char *job,
                                 char *state, size_t len, sp_error **err);

/* Prints one line per job under data_root (NULL as above), oldest first:
 * its id, state (running, success, failure, stopped: its driver died, or
 * new), when it started, how long it ran (to its last status change, or
 * until now while it runs), its size on disk and the folder its output was
 * last published into ("-" for none). Reads the folders only.
 * Fails with SP_ENOENT when data_root is not a folder. */
SP_API sp_status sp_jobs_print(const char *data_root, FILE *out,
                               sp_error **err);

/* Removes the folders of the jobs under data_root (NULL as above) that
 * ended at least older_than_s seconds ago: those that succeeded, and with
 * failed_too those that failed, stopped or never ran (by default kept, as
 * a rerun resumes from them). Never a running job's: each folder's lock
 * is taken for its removal. Prints a line per job removed and what was
 * freed to out. */
SP_API sp_status sp_jobs_gc(const char *data_root, int64_t older_than_s,
                            int failed_too, FILE *out, sp_error **err);

/* Number of rows and columns. */
SP_API size_t sp_rows_count(const sp_rows *rows);
SP_API size_t sp_rows_column_count(const sp_rows *rows);

/* A column's name and DuckDB type name (e.g. "VARCHAR"). Borrowed: valid
 * until sp_rows_free. */
SP_API const char *sp_rows_column_name(const sp_rows *rows, size_t col);
SP_API const char *sp_rows_column_type(const sp_rows *rows, size_t col);

/* The value at (row, col) as text, or NULL for SQL NULL. Borrowed: valid
 * until sp_rows_free. */
SP_API const char *sp_rows_value(const sp_rows *rows, size_t row, size_t col);

/* Prints the rows as an aligned table with a header line to f. */
SP_API void sp_rows_print(const sp_rows *rows, FILE *f);

/* DESTRUCTOR. Frees *rows and sets it to NULL. Accepts NULL. */
SP_API void sp_rows_free(sp_rows **rows);

#ifdef __cplusplus
}
#endif

#endif /* SMALLPOND_H */
