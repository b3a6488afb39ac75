/*
 * worker.c - the executor's main loop (see worker.h).
 */
#include "exec/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "duck/duck.h"
#include "exec/task.h"
#include "io/fs.h"
#include "io/layout.h"
#include "plan/desc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/frame.h"
#include "util/log.h"

/* Runs one descriptor and sends its result. Returns SP_OK unless the
 * conversation with the driver broke. */
static sp_status serve_one(const sp_channel *ch, duckdb_database db,
                           sp_exec_settings *cur, const sp_exec_env *env,
                           json_t *msg, sp_arena *arena, sp_log *log,
                           sp_error **err)
{
  sp_task_result r = {0};
  sp_task_desc d;
  json_t *out;
  sp_status st;

  if ((st = sp_task_desc_from_json(msg, &d, err)) != SP_OK)
    return st;
  SP_LOG(log, SP_LOG_INFO, "task %s attempt %d %s partition %d: start", d.key,
         d.attempt, sp_task_kind_name(d.kind), d.partition);
  sp_exec_task(db, cur, env, &d, arena, &r);
  if (r.status == SP_OK)
    SP_LOG(log, SP_LOG_INFO, "task %s attempt %d: done, %lld rows in %.1f ms",
           d.key, d.attempt, (long long)r.rows, r.elapsed_us / 1000.0);
  else
    SP_LOG(log, SP_LOG_ERROR, "task %s attempt %d: failed: %s", d.key,
           d.attempt, r.error ? r.error : sp_status_str(r.status));
  out = sp_task_result_to_json(&r);
  st = out ? ch->send(ch->ctx, out, err) : sp_error_oom(err);
  json_decref(out);
  sp_task_result_release(&r);
  sp_task_desc_release(&d);
  return st;
}

/* Runs the program's setup function on a connection of its own. */
static sp_status run_setup(duckdb_database db, const sp_worker_opts *opts,
                           sp_error **err)
{
  duckdb_connection con = NULL;
  int rc;

  if (!opts->setup)
    return SP_OK;
  if (duckdb_connect(db, &con) == DuckDBError)
    return sp_error_set(err, SP_ESQL, "cannot connect to DuckDB");
  rc = opts->setup((void *)con, opts->setup_arg);
  duckdb_disconnect(&con);
  if (rc != 0)
    return sp_error_set(err, SP_EWORKER, "the duckdb_setup function "
                        "returned %d", rc);
  return SP_OK;
}

/* Checks that the driver's token file reads the same here. */
static sp_status check_token(const sp_worker_opts *opts, sp_error **err)
{
  char buf[128];
  ssize_t n = -1;
  int fd;

  if (!opts->token_path)
    return SP_OK;
  if ((fd = open(opts->token_path, O_RDONLY | O_CLOEXEC)) >= 0) {
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
  }
  if (n < 0)
    return sp_error_set(err, SP_EIO, "cannot read %s: %s", opts->token_path,
                        strerror(errno));
  buf[n] = '\0';
  if (strcmp(buf, opts->token) != 0)
    return sp_error_set(err, SP_EIO, "%s holds another job's token",
                        opts->token_path);
  return SP_OK;
}

/* The machine's identity into buf: $SP_HOST_ID, else the kernel's boot id
 * (new at each boot, the same in every container and namespace of one
 * machine), else "" (the driver then goes by the host's name). */
static void machine_id(char *buf, size_t len)
{
  const char *given = getenv("SP_HOST_ID");
  FILE *f;

  buf[0] = '\0';
  if (given && *given) {
    snprintf(buf, len, "%s", given);
    return;
  }
  if (!(f = fopen("/proc/sys/kernel/random/boot_id", "r")))
    return;
  if (!fgets(buf, (int)len, f))
    buf[0] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  fclose(f);
}

/* Tells the driver whether this worker could start, and where it runs. */
static sp_status send_ready(const sp_channel *ch, const sp_worker_opts *opts,
                            const sp_error *failure, int unshared,
                            sp_error **err)
{
  char host[256] = "", machine[256];
  json_t *msg;
  sp_status st;

  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

  if (opts->host)
    snprintf(host, sizeof(host), "%s", opts->host);
  else
    gethostname(host, sizeof(host) - 1);
  machine_id(machine, sizeof(machine));
  msg = failure ? json_pack("{s:b, s:s, s:s, s:b}", "ready", 0, "error",
                            sp_error_message(failure), "host", host,
                            "unshared", unshared)
                : json_pack("{s:b, s:s, s:s, s:b, s:i, s:i, s:I}", "ready",
                            1, "host", host, "machine", machine,
                            "heartbeats", opts->heartbeats, "pid",
                            (int)getpid(), "cpus",
                            cpus > 0 ? (int)cpus : 1, "memory",
                            (json_int_t)(pages > 0 && page > 0
                                             ? (int64_t)pages * page : 0));
  st = msg ? ch->send(ch->ctx, msg, err) : sp_error_oom(err);

  json_decref(msg);
  return st;
}

int sp_worker_serve(const sp_channel *ch, const sp_worker_opts *opts)
{
  sp_layout layout = {.job_dir = (char *)opts->job_dir, .lock_fd = -1};
  sp_buf log_path = SP_BUF_INIT, tmp = SP_BUF_INIT;
  duckdb_database db = NULL;
  sp_arena arena = SP_ARENA_INIT;
  sp_error *err = NULL;
  sp_exec_settings settings = {opts->threads > 0 ? opts->threads : 1,
                               opts->memory, NULL};
  sp_exec_env env = opts->env;
  sp_log log = {0};
  sp_status st;
  char who[32];
  int served = 0, unshared = 0, started = 0;

  snprintf(who, sizeof(who), "executor-%d", opts->index);
  sp_layout_worker_log(&layout, &log_path, opts->index);
  sp_layout_worker_tmp(&layout, &tmp, opts->index);
  if (sp_buf_oom(&log_path) || sp_buf_oom(&tmp)) {
    st = SP_ENOMEM;
    goto out;
  }
  sp_log_open(&log, log_path.data, who); /* without a log, work silently */
  if ((st = check_token(opts, &err)) != SP_OK)
    unshared = 1;
  else if ((st = sp_mkdir_p(tmp.data, &err)) == SP_OK &&
           (st = sp_duck_open(opts->threads, opts->memory, tmp.data, &db,
                              &err)) == SP_OK)
    st = run_setup(db, opts, &err);
  if (st != SP_OK) {
    SP_LOG(&log, SP_LOG_ERROR, "cannot start: %s", sp_error_message(err));
    send_ready(ch, opts, err, unshared, NULL);
    goto out;
  }
  if ((st = send_ready(ch, opts, NULL, 0, &err)) != SP_OK)
    goto out;
  started = 1;
  env.own_functions = opts->setup != NULL;
  SP_LOG(&log, SP_LOG_INFO, "ready (DuckDB %s)", sp_duck_version());
  for (;;) {
    json_t *msg = NULL;
    st = ch->recv(ch->ctx, &msg, &err);
    if (st == SP_ENOENT) {
      st = SP_OK; /* the driver closed the stream: we are done */
      break;
    }
    if (st == SP_OK)
      st = serve_one(ch, db, &settings, &env, msg, &arena, &log, &err);
    json_decref(msg);
    sp_arena_reset(&arena);
    if (st != SP_OK) {
      SP_LOG(&log, SP_LOG_ERROR, "stopping: %s", sp_error_message(err));
      break;
    }
    served++;
  }
  SP_LOG(&log, SP_LOG_INFO, "exit after %d tasks", served);
out:
  if (settings.con)
    duckdb_disconnect(&settings.con);
  if (db)
    duckdb_close(&db);
  sp_buf_release(&log_path);
  sp_buf_release(&tmp);
  sp_error_free(&err);
  sp_arena_reset(&arena);
  sp_log_close(&log);
  return st == SP_OK ? 0 : started ? 1 : 2;
}

sp_status sp_channel_fd_send(void *ctx, const json_t *msg, sp_error **err)
{
  return sp_frame_send_json(*(int *)ctx, msg, err);
}

sp_status sp_channel_fd_recv(void *ctx, json_t **msg, sp_error **err)
{
  return sp_frame_recv_json(*(int *)ctx, msg, err);
}
