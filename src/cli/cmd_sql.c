/*
 * cmd_sql.c - `smallpond sql`: one ordinary SQL query over files and named
 * tables, run by sp_sql; the result printed as a table, a number of rows
 * of it, or written as Parquet.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd_sql.h"

enum {
  OPT_TABLE = 256, OPT_FILE, OPT_WRITE_PARQUET, OPT_TAKE, OPT_EXPLAIN,
  OPT_PARTITIONS, OPT_PLAN, OPT_BROADCAST, OPT_PARTITION_MIB
};

static const struct option sql_options[] = {
  SP_CLI_SESSION_OPTIONS,
  {"table", required_argument, NULL, OPT_TABLE},
  {"file", required_argument, NULL, OPT_FILE},
  {"write-parquet", required_argument, NULL, OPT_WRITE_PARQUET},
  {"take", required_argument, NULL, OPT_TAKE},
  {"explain", no_argument, NULL, OPT_EXPLAIN},
  {"partitions", required_argument, NULL, OPT_PARTITIONS},
  {"plan", required_argument, NULL, OPT_PLAN},
  {"broadcast-mib", required_argument, NULL, OPT_BROADCAST},
  {"partition-mib", required_argument, NULL, OPT_PARTITION_MIB},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0}
};

static void usage(FILE *f)
{
  fputs(
"usage: smallpond sql [session options] [--table NAME=PATH]...\n"
"                     [--write-parquet DIR | --take N | --explain]\n"
"                     ('QUERY' | -f FILE | -f -)\n"
"\n"
"Runs one SQL query as DuckDB takes it (SELECT, WITH, FROM, VALUES) over\n"
"files and named tables, and prints its rows as a table.\n"
"\n"
"  QUERY                 the query; with neither QUERY nor -f, it is read\n"
"                        from standard input when that is not a terminal\n"
"  -f, --file FILE       read the query from FILE (- for standard input)\n"
"  --table NAME=PATH     name Parquet files (PATH: a file, a folder's\n"
"                        *.parquet, or a pattern; .csv and .json files\n"
"                        are read with DuckDB's detection) as table NAME\n"
"  --write-parquet DIR   write the rows as Parquet files into DIR (which\n"
"                        must not exist or be an empty folder)\n"
"  --take N              print only the first N rows\n"
"  --explain             print the query's stages and what the plan runs;\n"
"                        nothing runs but the tables the query reads\n"
"  --partitions N        partitions of each exchange (default: one per\n"
"                        worker, fewer for inputs under 64 MiB each)\n"
"  --broadcast-mib N     join tables under N MiB together are read whole\n"
"                        by each partition of the biggest; bigger ones\n"
"                        are hashed on the join key (default: 64)\n"
"  --partition-mib N     the input a partition is meant to hold: sets the\n"
"                        default partitions, and an ORDER BY of rows from\n"
"                        less than that sorts on one task (default: 64)\n"
"  --plan MODE           auto: split what the planner can, the rest on\n"
"                        one task (default); single: the whole query on\n"
"                        one task; split: fail if the query cannot be split\n"
"\n"
"Files may also be named in the query: FROM 'lake/orders.parquet',\n"
"FROM read_parquet('lake/orders/part-*.parquet'), read_csv(...), ...\n"
"Only a query runs: COPY, ATTACH, INSTALL, LOAD, CREATE, INSERT, SET,\n"
"PRAGMA and several statements are refused before anything runs.\n"
"\n"
"session:\n"
"  --workers N           worker processes (default: number of CPUs)\n"
"  --data-root DIR       where job folders go (default: $SP_DATA_ROOT,\n"
"                        else ~/.smallpond/data)\n"
"  --job-id ID           the job's folder name (default: time and a\n"
"                        random suffix)\n"
"  --keep-intermediate   keep the job's intermediate files after it\n"
"                        succeeds (default: removed)\n"
"  --quiet               no progress on stderr\n"
"  --no-autoload         DuckDB installs and loads no extension by itself,\n"
"                        so s3://, gs:// and https:// paths fail, naming\n"
"                        the extension they need (default: on, unless\n"
"                        $SP_AUTOLOAD_EXTENSIONS is off)\n"
"  -h, --help            print this help\n"
"\n"
"exit status: 0 success, 1 the query failed, 2 bad options\n"
"\n"
"example:\n"
"  smallpond sql --table prices='prices/*.parquet' \\\n"
"      'SELECT ticker, max(price) FROM prices GROUP BY ticker ORDER BY 1'\n",
        f);
}

#define usage_error(...) sp_cli_usage_error("sql", __VA_ARGS__)

int sp_cli_sql_parse(int argc, char **argv, struct sql_args *a)
{
  long long v;
  int c, code;

  memset(a, 0, sizeof(*a));
  sp_config_init(&a->cfg);
  a->cfg.progress = 1;
  a->take = -1;
  optind = 0; /* a fresh getopt, also after an earlier parse */
  while ((c = getopt_long(argc, argv, "+hf:", sql_options, NULL)) != -1) {
    if ((code = sp_cli_session_option("sql", c, optarg, &a->cfg)) == 1)
      continue;
    if (code != 0)
      return code;
    switch (c) {
    case OPT_TABLE: {
      const char *eq = strchr(optarg, '=');
      if (!eq || eq == optarg || !eq[1])
        return usage_error("--table: expected NAME=PATH, got '%s'", optarg);
      if (a->ntables == MAX_TABLES)
        return usage_error("--table: at most %d tables", MAX_TABLES);
      a->table_name[a->ntables] = optarg;
      a->table_path[a->ntables++] = eq + 1;
      break;
    }
    case 'f':
    case OPT_FILE:
      a->file = optarg;
      break;
    case OPT_WRITE_PARQUET:
      a->out_dir = optarg;
      break;
    case OPT_TAKE:
      if (sp_cli_parse_int(optarg, 0, (long long)1 << 53, &v))
        return usage_error("--take: expected a number of rows, got '%s'",
                           optarg);
      a->take = v;
      break;
    case OPT_EXPLAIN:
      a->explain = 1;
      a->sql.plan_only = 1; /* nothing runs but the tables */
      break;
    case OPT_PARTITIONS:
      if (sp_cli_parse_int(optarg, 1, 1 << 20, &v))
        return usage_error("--partitions: expected a number from 1 to "
                           "%d, got '%s'", 1 << 20, optarg);
      a->sql.partitions = (int)v;
      break;
    case OPT_BROADCAST:
      if (sp_cli_parse_int(optarg, 0, (long long)1 << 30, &v))
        return usage_error("--broadcast-mib: expected a number of MiB, got "
                           "'%s'", optarg);
      /* 0 reads nothing whole: every join hashed. */
      a->sql.broadcast_bytes = v ? v * 1024 * 1024 : 1;
      break;
    case OPT_PARTITION_MIB:
      if (sp_cli_parse_int(optarg, 1, (long long)1 << 30, &v))
        return usage_error("--partition-mib: expected a number of MiB from "
                           "1, got '%s'", optarg);
      a->sql.partition_bytes = v * 1024 * 1024;
      break;
    case OPT_PLAN:
      if (strcmp(optarg, "auto") == 0)
        a->sql.mode = SP_SQL_AUTO;
      else if (strcmp(optarg, "single") == 0)
        a->sql.mode = SP_SQL_SINGLE;
      else if (strcmp(optarg, "split") == 0)
        a->sql.mode = SP_SQL_SPLIT;
      else
        return usage_error("--plan: expected auto, single or split, got "
                           "'%s'", optarg);
      break;
    case 'h':
      usage(stdout);
      return -1;
    default:
      return usage_error("unknown or incomplete option '%s'",
                         argv[optind - 1]);
    }
  }
  if (optind < argc)
    a->query = argv[optind++];
  if (optind < argc)
    return usage_error("one query: quote it ('SELECT ...'), got '%s' too",
                       argv[optind]);
  if (a->query && a->file)
    return usage_error("a query and -f %s: give one", a->file);
  if (!a->query && !a->file && isatty(STDIN_FILENO))
    return usage_error("no query: give one, or -f FILE");
  if ((a->out_dir != NULL) + (a->take >= 0) + a->explain > 1)
    return usage_error("--write-parquet, --take and --explain exclude each "
                       "other");
  return SP_EXIT_OK;
}

/* Reads the whole of f into a string (caller frees). */
static char *read_all(FILE *f)
{
  size_t len = 0, cap = 4096, n;
  char *text = malloc(cap), *more;

  while (text && (n = fread(text + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      if (!(more = realloc(text, cap * 2))) {
        free(text);
        return NULL;
      }
      text = more;
      cap *= 2;
    }
  }
  if (text)
    text[len] = '\0';
  return text;
}

/* The query: the operand, or the text of -f FILE or standard input. */
static int load_query(const struct sql_args *a, char **text)
{
  FILE *f;

  if (a->query) {
    *text = strdup(a->query);
    return *text ? SP_EXIT_OK : SP_EXIT_ERROR;
  }
  if (!a->file || strcmp(a->file, "-") == 0) {
    *text = read_all(stdin);
  } else if (!(f = fopen(a->file, "r"))) {
    fprintf(stderr, "smallpond sql: cannot read %s: %s\n", a->file,
            strerror(errno));
    return SP_EXIT_USAGE;
  } else {
    *text = read_all(f);
    fclose(f);
  }
  if (!*text) {
    fprintf(stderr, "smallpond sql: out of memory reading the query\n");
    return SP_EXIT_ERROR;
  }
  return SP_EXIT_OK;
}

/* 1 if path names Parquet files (by extension, or a folder). */
static int parquet_path(const char *path)
{
  size_t n = strlen(path);

  return (n > 8 && strcasecmp(path + n - 8, ".parquet") == 0) ||
         (n > 0 && path[n - 1] == '/');
}

/* 1 if path ends in one of the extensions exts[0..n). */
static int has_extension(const char *path, const char *const *exts, size_t n)
{
  size_t len = strlen(path), i, e;

  for (i = 0; i < n; i++)
    if (len > (e = strlen(exts[i])) && strcasecmp(path + len - e, exts[i]) == 0)
      return 1;
  return 0;
}

static const char *const csv_extensions[] = {".csv", ".tsv", ".csv.gz",
                                             ".tsv.gz"};
static const char *const json_extensions[] = {".json", ".jsonl", ".ndjson",
                                              ".json.gz", ".jsonl.gz",
                                              ".ndjson.gz"};

/* Registers --table NAME=PATH: Parquet, CSV and JSON as source DataFrames
 * (splittable by files; CSV and JSON read as DuckDB reads them, each
 * file's dialect detected), anything else through DuckDB's own reader for
 * its extension. */
static sp_status register_table(sp_session *s, const char *name_eq,
                                const char *path, sp_error **err)
{
  char name[256], *query;
  const char *glob = path;
  size_t n = (size_t)(strchr(name_eq, '=') - name_eq), qlen;
  sp_df *df = NULL;
  sp_status st;
  char *folder = NULL;

  if (n >= sizeof(name))
    n = sizeof(name) - 1;
  memcpy(name, name_eq, n);
  name[n] = '\0';
  if (parquet_path(path)) {
    if (path[strlen(path) - 1] == '/') {
      if (!(folder = malloc(strlen(path) + 16)))
        return SP_ENOMEM;
      sprintf(folder, "%s*.parquet", path);
      glob = folder;
    }
    st = sp_read_parquet(s, &glob, 1, NULL, &df, err);
    free(folder);
  } else if (has_extension(path, csv_extensions, 4)) {
    sp_read_options detect = {.detect = 1};
    st = sp_read_csv(s, &path, 1, &detect, &df, err);
  } else if (has_extension(path, json_extensions, 6)) {
    sp_read_options detect = {.detect = 1};
    st = sp_read_json(s, &path, 1, &detect, &df, err);
  } else {
    /* FROM '<path>': DuckDB reads it by its extension. The path is a SQL
     * string literal: quotes doubled. */
    qlen = strlen(path) * 2 + 32;
    if (!(query = malloc(qlen)))
      return SP_ENOMEM;
    strcpy(query, "SELECT * FROM '");
    for (n = strlen(query); *path; path++) {
      if (*path == '\'')
        query[n++] = '\'';
      query[n++] = *path;
    }
    query[n++] = '\'';
    query[n] = '\0';
    st = sp_sql(s, query, NULL, &df, err);
    free(query);
  }
  return st == SP_OK ? sp_register_table(s, name, df, err) : st;
}

static sp_status run_query(sp_session *s, const struct sql_args *a,
                           const char *query, sp_error **err)
{
  sp_rows *rows = NULL;
  sp_status st = SP_OK;
  sp_df *df = NULL;
  int i;

  for (i = 0; i < a->ntables && st == SP_OK; i++)
    st = register_table(s, a->table_name[i], a->table_path[i], err);
  if (st == SP_OK)
    st = sp_sql(s, query, &a->sql, &df, err);
  if (st != SP_OK)
    return st;
  if (a->explain)
    return sp_explain(df, stdout, err);
  if (a->out_dir) {
    if ((st = sp_write_parquet(df, a->out_dir, NULL, err)) == SP_OK)
      fprintf(stderr, "smallpond: wrote the result to %s\n", a->out_dir);
    return st;
  }
  st = a->take >= 0 ? sp_take(df, a->take, &rows, err)
                    : sp_take_all(df, &rows, err);
  if (st == SP_OK)
    sp_rows_print(rows, stdout);
  sp_rows_free(&rows);
  return st;
}

int sp_cmd_sql(int argc, char **argv)
{
  struct sql_args a;
  sp_session *s = NULL;
  sp_error *err = NULL;
  char *query = NULL;
  int code = sp_cli_sql_parse(argc, argv, &a);

  if (code != SP_EXIT_OK)
    return code < 0 ? SP_EXIT_OK : code;
  if ((code = load_query(&a, &query)) != SP_EXIT_OK)
    return code;
  if (sp_init(&a.cfg, &s, &err) != SP_OK ||
      run_query(s, &a, query, &err) != SP_OK) {
    sp_cli_print_error(err, sp_session_job_dir(s));
    code = SP_EXIT_ERROR;
  }
  sp_close(&s);
  sp_error_free(&err);
  free(query);
  return code;
}
