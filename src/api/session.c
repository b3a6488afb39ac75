/*
 * session.c - sessions and versions.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/progress.h"
#include "duck/duck.h"
#include "sql/aggregate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

int sp_version_number(void) { return SP_VERSION_NUMBER; }

const char *sp_version(void) { return SP_VERSION_STRING; }

const char *sp_duckdb_version(void) { return sp_duck_version(); }

int sp_has_mpi(void) { return sp_mpi_available(); }

void sp_config_init_abi(sp_config *cfg, int header_version)
{
  size_t size = sp_abi_size(header_version, SP_ABI_CONFIG);

  /* Every default is a zero; an unknown header gets none here and fails
   * in sp_init_abi. */
  if (cfg)
    memset(cfg, 0, size < sizeof(*cfg) ? size : sizeof(*cfg));
}

static int online_cpus(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);

  return n > 0 ? (int)n : 1;
}

static int64_t physical_memory(void)
{
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

  return pages > 0 && size > 0 ? (int64_t)pages * size : (int64_t)4 << 30;
}

/* "20261123-221040-3fa9c1": sortable by start time, unique by chance. */
static void make_job_id(char *buf, size_t len)
{
  unsigned char rnd[3] = {0, 0, 0};
  time_t now = time(NULL);
  struct tm tm;
  char when[32];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
    unsigned v = (unsigned)getpid() ^ (unsigned)now;
    rnd[0] = (unsigned char)v;
    rnd[1] = (unsigned char)(v >> 8);
    rnd[2] = (unsigned char)(v >> 16);
  }
  if (fd >= 0)
    close(fd);
  gmtime_r(&now, &tm);
  strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
  snprintf(buf, len, "%s-%02x%02x%02x", when, rnd[0], rnd[1], rnd[2]);
}

static void free_batch_functions(sp_session *s)
{
  size_t i;

  for (i = 0; i < s->nfns; i++)
    sp_free((char *)s->fns[i].name);
  sp_free(s->fns);
  s->fns = NULL;
  s->nfns = 0;
}

/* Copies the registry, checking names: each set, unique, with a function. */
static sp_status copy_batch_functions(sp_session *s, const sp_config *cfg,
                                      sp_error **err)
{
  const sp_batch_function *f = cfg->batch_functions;
  size_t i, j;

  if (cfg->nbatch_functions && !f)
    return sp_error_set(err, SP_EINVAL, "sp_init: nbatch_functions is %zu "
                        "but batch_functions is NULL", cfg->nbatch_functions);
  for (i = 0; i < cfg->nbatch_functions; i++) {
    if (!f[i].name || !*f[i].name || (!f[i].map && !f[i].filter))
      return sp_error_set(err, SP_EINVAL, "sp_init: batch function %zu needs "
                          "a name and a map or filter function", i);
    for (j = 0; j < i; j++)
      if (strcmp(f[i].name, f[j].name) == 0)
        return sp_error_set(err, SP_EINVAL, "sp_init: two batch functions "
                            "are named '%s'", f[i].name);
  }
  if (cfg->nbatch_functions &&
      !(s->fns = sp_calloc(cfg->nbatch_functions, sizeof(*s->fns))))
    return sp_error_oom(err);
  for (i = 0; i < cfg->nbatch_functions; i++) {
    s->fns[i] = f[i];
    if (!(s->fns[i].name = sp_strdup(f[i].name)))
      return sp_error_oom(err);
    s->nfns++;
  }
  return SP_OK;
}

sp_status sp_session_own(sp_session *s, void *p, sp_error **err)
{
  if (sp_grow((void **)&s->owned, &s->owned_cap, s->nowned + 1,
              sizeof(*s->owned))) {
    sp_free(p);
    return sp_error_oom(err);
  }
  s->owned[s->nowned++] = p;
  return SP_OK;
}

/* SP_FAULT_INJECTION=<fraction>: tests make that fraction of task
 * attempts fail, to see the job finish anyway. */
static sp_status fault_rate(double *rate, sp_error **err)
{
  const char *env = getenv("SP_FAULT_INJECTION");
  char *end;

  *rate = 0;
  if (!env || !*env)
    return SP_OK;
  *rate = strtod(env, &end);
  if (*end || !(*rate >= 0 && *rate < 1))
    return sp_error_set(err, SP_EINVAL, "SP_FAULT_INJECTION must be a "
                        "fraction in [0, 1), got '%s'", env);
  return SP_OK;
}

/* SP_FAULT_SLOW=<partition>:<ms>: tests make the first attempt of every
 * task of that partition sleep ms first, to see speculation take over. */
static sp_status slow_partition(int *partition, int *ms, sp_error **err)
{
  const char *env = getenv("SP_FAULT_SLOW");
  char *end, *end2;
  long p, t;

  *partition = 0;
  *ms = 0;
  if (!env || !*env)
    return SP_OK;
  p = strtol(env, &end, 10);
  t = *end == ':' ? strtol(end + 1, &end2, 10) : -1;
  if (*end != ':' || *end2 || p < 0 || p > INT_MAX || t <= 0 || t > INT_MAX)
    return sp_error_set(err, SP_EINVAL, "SP_FAULT_SLOW must be "
                        "<partition>:<milliseconds>, got '%s'", env);
  *partition = (int)p;
  *ms = (int)t;
  return SP_OK;
}

/* Extension autoloading on (1) or off (0): the config's choice, else
 * SP_AUTOLOAD_EXTENSIONS, else on. */
static sp_status autoload_setting(const sp_config *cfg, int *on,
                                  sp_error **err)
{
  static const char *const yes[] = {"1", "on", "true"};
  static const char *const no[] = {"0", "off", "false"};
  const char *env = getenv("SP_AUTOLOAD_EXTENSIONS");
  size_t i;

  *on = 1;
  if (cfg->autoload_extensions == 1 || cfg->autoload_extensions == -1) {
    *on = cfg->autoload_extensions == 1;
    return SP_OK;
  }
  if (cfg->autoload_extensions != 0)
    return sp_error_set(err, SP_EINVAL, "sp_init: autoload_extensions must "
                        "be 1, -1 or 0, got %d", cfg->autoload_extensions);
  if (!env || !*env)
    return SP_OK;
  for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    if (strcasecmp(env, yes[i]) == 0)
      return SP_OK;
    if (strcasecmp(env, no[i]) == 0) {
      *on = 0;
      return SP_OK;
    }
  }
  return sp_error_set(err, SP_EINVAL, "SP_AUTOLOAD_EXTENSIONS must be on, "
                      "off, 1 or 0, got '%s'", env);
}

/* On an MPI rank other than 0: serve as a worker, then end the process.
 * Exiting here is the rank's whole life ending, as a forked local worker
 * ends; no caller could do anything useful with a return. */
static void serve_rank(const sp_config *cfg, int owned)
{
  sp_worker_opts base;

  memset(&base, 0, sizeof(base));
  base.setup = cfg->duckdb_setup;
  base.setup_arg = cfg->duckdb_setup_arg;
  base.env.fns = cfg->batch_functions;
  base.env.nfns = cfg->nbatch_functions;
  fflush(NULL);
  exit(sp_mpi_serve(&base, owned));
}

sp_status sp_data_root(const char *given, sp_buf *root, sp_error **err)
{
  if (given && !*given)
    return sp_error_set(err, SP_EINVAL, "empty data root");
  if (given)
    sp_buf_puts(root, given);
  else if (getenv("SP_DATA_ROOT") && *getenv("SP_DATA_ROOT"))
    sp_buf_puts(root, getenv("SP_DATA_ROOT"));
  else if (getenv("HOME"))
    sp_buf_appendf(root, "%s/.smallpond/data", getenv("HOME"));
  else
    return sp_error_set(err, SP_EINVAL, "no data root: set data_root, "
                        "SP_DATA_ROOT or HOME");
  return sp_buf_oom(root) ? sp_error_oom(err) : SP_OK;
}

/* Where the list of DuckDB's aggregates is kept: a file in the data root
 * named by DuckDB's version (its characters outside [A-Za-z0-9.-] as
 * '_'). NULL when out of memory. */
static char *functions_cache(const char *root)
{
  const char *v = sp_duck_version();
  sp_buf b = SP_BUF_INIT;

  sp_buf_puts(&b, root);
  sp_buf_puts(&b, "/.duckdb-functions-");
  for (; *v; v++)
    sp_buf_putc(&b, (isalnum((unsigned char)*v) || *v == '.' || *v == '-')
                        ? *v
                        : '_');
  sp_buf_puts(&b, ".json");
  return sp_buf_detach(&b);
}

/* The session's sp_event_fn: the progress display, then the user's. */
static void session_event(const sp_event *ev, void *arg)
{
  sp_session *s = arg;

  if (s->progress)
    sp_progress_event(ev, s->progress);
  if (s->on_event)
    s->on_event(ev, s->on_event_arg);
}

sp_status sp_init_abi(const sp_config *cfg, sp_session **out, sp_error **err,
                      int header_version)
{
  sp_config mine;
  sp_job_config jc;
  sp_buf root = SP_BUF_INIT;
  sp_session *s;
  char job_id[64];
  sp_status st;
  int cpus = online_cpus(), autoload;

  if (!out)
    return sp_error_set(err, SP_EINVAL, "sp_init: out is NULL");
  *out = NULL;
  if ((st = sp_abi_check(header_version, err)) != SP_OK) {
    sp_error_prefix(err, "sp_init");
    return st;
  }
  sp_abi_copy(header_version, SP_ABI_CONFIG, cfg, &mine, sizeof(mine));
  cfg = &mine;
  if (cfg->workers < 0 || cfg->task_threads < 0 || cfg->task_memory < 0 ||
      cfg->max_attempts < 0 || cfg->task_timeout_ms < 0)
    return sp_error_set(err, SP_EINVAL, "sp_init: workers, task_threads, "
                        "task_memory, max_attempts and task_timeout_ms must "
                        "not be negative");
  if (cfg->host_timeout_ms < -1)
    return sp_error_set(err, SP_EINVAL, "sp_init: host_timeout_ms must be "
                        "-1 (off), 0 (the default) or positive, got %lld",
                        (long long)cfg->host_timeout_ms);
  memset(&jc, 0, sizeof(jc));
  if ((st = fault_rate(&jc.fault_rate, err)) != SP_OK ||
      (st = slow_partition(&jc.slow_partition, &jc.slow_ms, err)) != SP_OK ||
      (st = autoload_setting(cfg, &autoload, err)) != SP_OK)
    return st;
  /* Before the workers fork and every rank serves: each inherits it. */
  sp_duck_set_autoload(autoload);
  if ((st = sp_data_root(cfg->data_root, &root, err)) != SP_OK) {
    sp_error_prefix(err, "sp_init");
    return st;
  }
  if (cfg->job_id)
    snprintf(job_id, sizeof(job_id), "%s", cfg->job_id);
  else
    make_job_id(job_id, sizeof(job_id));
  jc.duckdb_setup = cfg->duckdb_setup;
  jc.duckdb_setup_arg = cfg->duckdb_setup_arg;
  jc.max_attempts = cfg->max_attempts ? cfg->max_attempts : 4;
  jc.speculation = cfg->speculation;
  jc.task_timeout_ms = cfg->task_timeout_ms;
  jc.keep_intermediate = cfg->keep_intermediate;
  jc.host_timeout_ms = cfg->host_timeout_ms == 0 ? SP_HOST_TIMEOUT_MS
                       : cfg->host_timeout_ms < 0 ? 0
                                                  : cfg->host_timeout_ms;
  jc.data_root = root.data;
  jc.job_id = cfg->job_id ? cfg->job_id : job_id;
  if (!(s = sp_calloc(1, sizeof(*s)))) {
    sp_buf_release(&root);
    return sp_error_oom(err);
  }
  s->abi = header_version;
  if ((st = copy_batch_functions(s, cfg, err)) != SP_OK) {
    sp_buf_release(&root);
    free_batch_functions(s);
    sp_free(s);
    return st;
  }
  s->on_event = cfg->on_event;
  s->on_event_arg = cfg->on_event_arg;
  if (s->on_event || cfg->progress) {
    jc.on_event = session_event;
    jc.on_event_arg = s;
  }
  /* Bad settings fail the same way on every rank, before MPI starts. */
  if (sp_mpi_launched()) {
    int rank, size;
    if ((st = sp_mpi_start(&rank, &size, &jc.mpi_owned, err)) != SP_OK) {
      sp_buf_release(&root);
      free_batch_functions(s);
      sp_free(s);
      return st;
    }
    if (rank != 0) {
      sp_buf_release(&root);
      free_batch_functions(s);
      sp_free(s);
      serve_rank(cfg, jc.mpi_owned);
    }
    jc.mpi = 1;
    jc.workers = size - 1;
  } else {
    jc.workers = cfg->workers ? cfg->workers : cpus;
  }
  jc.task_threads = cfg->task_threads ? cfg->task_threads
                    : jc.mpi            ? 0 /* per host, once known */
                    : cpus / jc.workers > 0 ? cpus / jc.workers
                                            : 1;
  jc.task_memory = cfg->task_memory ? cfg->task_memory
                   : jc.mpi        ? 0
                                   : physical_memory() / 10 * 8 / jc.workers;
  jc.batch_functions = s->fns;
  jc.nbatch_functions = s->nfns;
  s->graph.workers = jc.workers;
  s->graph.engine = sp_duck_version();
  st = !(s->functions_cache = functions_cache(root.data)) ||
               (cfg->progress && !(s->progress = sp_progress_new(stderr)))
           ? sp_error_oom(err)
           : sp_job_open(&s->job, &jc, err);
  sp_buf_release(&root);
  if (st != SP_OK) {
    sp_progress_free(s->progress);
    sp_free(s->functions_cache);
    free_batch_functions(s);
    sp_free(s);
    return st;
  }
  *out = s;
  return SP_OK;
}

sp_status sp_session_functions(sp_session *s, const json_t **out,
                               sp_error **err)
{
  sp_status st = SP_OK;

  if (!s->functions)
    st = sp_agg_catalog(s->functions_cache, &s->functions, err);
  *out = s->functions;
  return st;
}

const char *sp_session_job_id(const sp_session *s)
{
  return s ? s->job.job_id : NULL;
}

const char *sp_session_job_dir(const sp_session *s)
{
  return s ? s->job.layout.job_dir : NULL;
}

int sp_session_workers(const sp_session *s) { return s ? s->job.workers.n : 0; }

void sp_close(sp_session **sp)
{
  sp_session *s;
  size_t i;

  if (!sp || !*sp)
    return;
  s = *sp;
  *sp = NULL;
  sp_job_close(&s->job);
  sp_graph_release(&s->graph);
  sp_plan_release(&s->plan);
  for (i = 0; i < s->ndfs; i++) {
    sp_free(s->dfs[i]->publish_dir);
    json_decref(s->dfs[i]->sql_schema);
    sp_free(s->dfs[i]->sql_explain);
    sp_free(s->dfs[i]);
  }
  sp_free(s->dfs);
  for (i = 0; i < s->ntables; i++)
    sp_free((char *)s->tables[i].name);
  sp_free(s->tables);
  for (i = 0; i < s->nowned; i++)
    sp_free(s->owned[i]);
  sp_free(s->owned);
  free_batch_functions(s);
  sp_free(s->functions_cache);
  json_decref(s->functions);
  sp_progress_free(s->progress);
  sp_free(s);
}

sp_status sp_df_new(sp_session *s, sp_node *node, sp_df **out,
                    sp_error **err)
{
  sp_df *df;

  if (sp_grow((void **)&s->dfs, &s->dfs_cap, s->ndfs + 1, sizeof(*s->dfs)))
    return sp_error_oom(err);
  if (!(df = sp_calloc(1, sizeof(*df))))
    return sp_error_oom(err);
  df->session = s;
  df->node = node;
  s->dfs[s->ndfs++] = df;
  *out = df;
  return SP_OK;
}
