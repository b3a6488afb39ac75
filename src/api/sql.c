/*
 * sql.c - sp_sql and sp_register_table: one ordinary query over files and
 * registered DataFrames, planned by the SQL front end (src/sql).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "api/api.h"
#include "duck/duck.h"
#include "duck/files.h"
#include "duck/partition_keys.h"
#include "io/remote.h"
#include "plan/hash_layout.h"
#include "sql/parse.h"
#include "sql/plan.h"
#include "util/alloc.h"
#include "util/error.h"

sp_status sp_register_table(sp_session *s, const char *name, sp_df *df,
                            sp_error **err)
{
  char *copy;
  size_t i;

  if (!s || !name || !df)
    return sp_error_set(err, SP_EINVAL, "sp_register_table: %s is NULL",
                        !s ? "s" : !name ? "name" : "df");
  if (!*name)
    return sp_error_set(err, SP_EINVAL, "sp_register_table: an empty name");
  if (df->session != s)
    return sp_error_set(err, SP_EINVAL, "sp_register_table: %s belongs to "
                        "another session", name);
  /* Names match as DuckDB's do: without regard to case. */
  for (i = 0; i < s->ntables; i++)
    if (strcasecmp(s->tables[i].name, name) == 0) {
      s->tables[i].arg = df;
      return SP_OK;
    }
  if (sp_grow((void **)&s->tables, &s->tables_cap, s->ntables + 1,
              sizeof(*s->tables)) ||
      !(copy = sp_strdup(name)))
    return sp_error_oom(err);
  s->tables[s->ntables].name = copy;
  s->tables[s->ntables].arg = df;
  s->ntables++;
  return SP_OK;
}

/* The DuckDB threads of a task that runs alone on a host: the most CPUs
 * any host offers. */
static int host_threads(const sp_session *s)
{
  const sp_workers *ws = &s->job.workers;
  int i, most = 1;

  for (i = 0; i < ws->nhosts; i++)
    if (ws->hosts[i].cpus > most)
      most = ws->hosts[i].cpus;
  return most;
}

/* The bytes of the local files of a dataset. */
static int64_t files_bytes(const sp_dataset *files)
{
  int64_t bytes = 0;
  struct stat sb;
  size_t i;

  for (i = 0; i < files->len; i++)
    if (!sp_path_is_remote(files->pieces[i].path) &&
        stat(files->pieces[i].path, &sb) == 0)
      bytes += sb.st_size;
  return bytes;
}

/* The bytes of a table's files: the local ones as files_bytes says, the
 * remote ones as DuckDB does (never stat'ed). */
static sp_status input_bytes(duckdb_connection con, const sp_dataset *files,
                             int64_t *bytes, sp_error **err)
{
  const char **remote;
  int64_t more = 0;
  sp_status st;
  size_t i, n = 0;

  *bytes = files_bytes(files);
  for (i = 0; i < files->len; i++)
    n += sp_path_is_remote(files->pieces[i].path) != 0;
  if (n == 0)
    return SP_OK;
  if (!(remote = sp_calloc(n, sizeof(*remote))))
    return sp_error_oom(err);
  for (i = 0, n = 0; i < files->len; i++)
    if (sp_path_is_remote(files->pieces[i].path))
      remote[n++] = files->pieces[i].path;
  if ((st = sp_duck_remote_bytes(con, remote, n, &more, err)) == SP_OK)
    *bytes = more > INT64_MAX - *bytes ? INT64_MAX : *bytes + more;
  sp_free(remote);
  return st;
}

/* The partitions of an exchange by default: one per worker, fewer when
 * the inputs are small (one per partition_bytes of their files),
 * as many as the most partitioned table at least. */
static int default_partitions(const sp_session *s, const sp_sql_input *in,
                              size_t n, int64_t partition_bytes)
{
  int64_t bytes = 0, parts;
  size_t k;

  for (k = 0; k < n; k++)
    bytes += in[k].bytes;
  parts = bytes / partition_bytes + (bytes % partition_bytes != 0);
  if (parts > s->job.workers.n)
    parts = s->job.workers.n;
  /* Tables the user partitioned keep as many. */
  for (k = 0; k < n; k++)
    if (in[k].node && in[k].node->npartitions > parts)
      parts = in[k].node->npartitions;
  return parts < 1 ? 1 : (int)parts;
}

/* Reads the files pattern names in format. CSV and JSON files are read as
 * DuckDB reads them (each file's dialect detected, the types found over
 * all of them). Parquet files a hash repartition wrote (along the default
 * dimension) keep their partitions and say they are hashed
 * (plan/hash_layout.h), so that a join on the key needs no exchange. */
static sp_status read_files(sp_session *s, duckdb_connection con,
                            const char *pattern, const char *format,
                            sp_df **df, sp_error **err)
{
  sp_read_options opt = {0};
  const char **paths = NULL;
  char *layout = NULL;
  sp_status st;
  size_t i, n;

  if (strcmp(format, "parquet") != 0) {
    opt.detect = 1;
    return strcmp(format, "csv") == 0
               ? sp_df_read(s, "read_csv", "csv", &pattern, 1, &opt, df, err)
               : sp_df_read(s, "read_json", "json", &pattern, 1, &opt, df,
                            err);
  }
  if ((st = sp_df_read(s, "read_parquet", "parquet", &pattern, 1, NULL, df,
                       err)) != SP_OK)
    return st;
  n = (*df)->node->files.len;
  if (!(paths = sp_calloc(n ? n : 1, sizeof(*paths))))
    return sp_error_oom(err);
  for (i = 0; i < n; i++)
    paths[i] = (*df)->node->files.pieces[i].path;
  /* On the query's own connection: no DuckDB opened per table. */
  st = sp_read_hash_layout(con, paths, n, &layout, err);
  sp_free(paths);
  if (st == SP_OK && layout &&
      sp_hash_layout_read(layout, (char **)&opt.partitioned_by,
                          &opt.npartitions) == 0 &&
      strcmp(opt.partitioned_by, SP_DEFAULT_DIMENSION) == 0)
    st = sp_df_read(s, "read_parquet", "parquet", &pattern, 1, &opt, df,
                    err);
  sp_free((char *)opt.partitioned_by);
  sp_free(layout);
  return st;
}

/* How many times a query is planned again with the real sizes of stages
 * that ran. A plan made on measured sizes may guess at stages of its own,
 * but each round costs a planning (15 ms for a TPC-H query) and a run:
 * top_supplier took 0.17 s with two rounds, 0.13 s with one. */
#define MAX_REPLANS 1

/* Runs the stages whose guessed sizes decided planned (in one run), and
 * appends their real sizes (the bytes of their files) to *sizes. */
static sp_status measure(sp_session *s, const sp_sql_planned *planned,
                         sp_sql_size **sizes, size_t *nsizes, sp_error **err)
{
  size_t i, cap = *nsizes, n = planned->nguesses;
  sp_df **stages = sp_calloc(n, sizeof(*stages));
  sp_status st = SP_OK;

  if (!stages || sp_grow((void **)sizes, &cap, *nsizes + n, sizeof(**sizes)))
    st = sp_error_oom(err);
  for (i = 0; i < n && st == SP_OK; i++)
    st = sp_df_new(s, planned->guesses[i].node, &stages[i], err);
  if (st == SP_OK)
    st = sp_compute(stages, n, err);
  /* Computed, their files are listed without running anything again. */
  for (i = 0; i < n && st == SP_OK; i++) {
    sp_dataset files = {0};
    if ((st = sp_df_files(stages[i], &files, err)) == SP_OK) {
      (*sizes)[*nsizes].key = planned->guesses[i].key;
      (*sizes)[(*nsizes)++].bytes = files_bytes(&files);
    }
    sp_dataset_release(&files);
  }
  sp_free(stages);
  return st;
}

sp_status sp_sql(sp_session *s, const char *query, const sp_sql_options *opt,
                 sp_df **out, sp_error **err)
{
  duckdb_database db = NULL;
  duckdb_connection con = NULL;
  sp_sql_input *inputs = NULL;
  sp_sql_planned planned = {0};
  sp_sql_setup setup = {0};
  sp_sql_refs refs = {0};
  json_t *stmt = NULL;
  sp_sql_size *sizes = NULL;
  size_t nsizes = 0;
  sp_status st;
  size_t k;
  sp_sql_options mine;
  int round;

  if (!s || !query || !out)
    return sp_error_set(err, SP_EINVAL, "sp_sql: %s is NULL",
                        !s ? "s" : !query ? "query" : "out");
  opt = SP_API_OPTIONS(s, SP_ABI_SQL_OPTIONS, opt, mine);
  if (opt && (opt->mode < SP_SQL_AUTO || opt->mode > SP_SQL_SPLIT ||
              opt->partitions < 0 || opt->broadcast_bytes < 0 ||
              opt->partition_bytes < 0))
    return sp_error_set(err, SP_EINVAL, "sp_sql: %s",
                        opt->partitions < 0 ? "partitions is negative"
                        : opt->broadcast_bytes < 0
                            ? "broadcast_bytes is negative"
                        : opt->partition_bytes < 0
                            ? "partition_bytes is negative"
                            : "mode is none of SP_SQL_*");
  *out = NULL;
  if ((st = sp_duck_open_connected(&db, &con, err)) != SP_OK)
    return st;
  if ((st = sp_sql_parse(con, query, &stmt, err)) != SP_OK ||
      (st = sp_sql_resolve(stmt, s->tables, s->ntables, &refs, err)) != SP_OK)
    goto out;
  if (refs.nused && !(inputs = sp_calloc(refs.nused, sizeof(*inputs)))) {
    st = sp_error_oom(err);
    goto out;
  }
  /* The tables are computed first: the planner binds the query against
   * their real columns. */
  for (k = 0; k < refs.nused && st == SP_OK; k++) {
    sp_df *df = NULL;
    sp_dataset *files = sp_calloc(1, sizeof(*files));
    if (refs.used[k] == SP_SQL_FILES) {
      /* Files named in the query: read as a table would be. */
      const char *pattern = refs.patterns[k];
      st = read_files(s, con, pattern, refs.formats[k], &df, err);
      inputs[k].name = pattern;
    } else {
      df = s->tables[refs.used[k]].arg;
      inputs[k].name = s->tables[refs.used[k]].name;
    }
    if (st == SP_OK) {
      inputs[k].node = df->node;
      inputs[k].files = files;
      st = files ? sp_df_files(df, files, err) : sp_error_oom(err);
    } else {
      sp_free(files);
    }
    if (st == SP_OK)
      st = input_bytes(con, files, &inputs[k].bytes, err);
  }
  if (st == SP_OK)
    st = sp_session_functions(s, &setup.functions, err);
  setup.mode = opt ? opt->mode : SP_SQL_AUTO;
  setup.threads = host_threads(s);
  setup.broadcast_bytes = opt && opt->broadcast_bytes ? opt->broadcast_bytes
                                                      : SP_SQL_BROADCAST_BYTES;
  setup.broadcast_auto = !(opt && opt->broadcast_bytes);
  setup.partition_bytes = opt && opt->partition_bytes
                              ? opt->partition_bytes
                              : SP_SQL_PARTITION_BYTES;
  setup.partitions = opt && opt->partitions
                         ? opt->partitions
                         : default_partitions(s, inputs, refs.nused,
                                              setup.partition_bytes);
  if (st != SP_OK)
    goto out;
  /* Small inputs: one partition by default, and then one task does it
   * all, without the stages' fixed costs. */
  setup.small = setup.mode == SP_SQL_AUTO && !(opt && opt->partitions) &&
                setup.partitions == 1;
  /* Tables the user partitioned are split as they are. */
  for (k = 0; k < refs.nused && setup.small; k++)
    setup.small = inputs[k].node && inputs[k].node->npartitions == 1;
  /* Planned on guessed sizes, the stages they decided for run first, and
   * the query is planned again with their real sizes (the same stages
   * come back with the same task keys, done). */
  for (round = 0; st == SP_OK; round++) {
    st = sp_sql_plan(con, &s->plan, query, stmt, &refs, inputs, &setup,
                     &planned, err);
    if (st != SP_OK || !planned.nguesses || round == MAX_REPLANS ||
        (opt && opt->plan_only))
      break;
    st = measure(s, &planned, &sizes, &nsizes, err);
    setup.sizes = sizes;
    setup.nsizes = nsizes;
    sp_sql_planned_release(&planned);
  }
  if (st == SP_OK && (st = sp_df_new(s, planned.node, out, err)) == SP_OK) {
    (*out)->sql_schema = planned.schema;
    (*out)->sql_explain = planned.explain;
    planned.schema = NULL;
    planned.explain = NULL;
  }
out:
  for (k = 0; inputs && k < refs.nused; k++)
    if (inputs[k].files) {
      sp_dataset_release((sp_dataset *)inputs[k].files);
      sp_free((sp_dataset *)inputs[k].files);
    }
  sp_free(inputs);
  sp_free(sizes);
  sp_sql_planned_release(&planned);
  sp_sql_refs_release(&refs);
  json_decref(stmt);
  sp_duck_close(&db, &con);
  if (st != SP_OK)
    sp_error_prefix(err, "sql");
  return st;
}
