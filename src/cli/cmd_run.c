/*
 * cmd_run.c - `smallpond run`: a linear DataFrame chain from options.
 *
 * Options are read in order: a source (--read-parquet), then steps
 * (--repartition with its modifiers --hash-by / --by-rows, --sql), then one
 * consumer (--write-parquet, --count, --take). Everything is checked before
 * the session starts, so a usage error creates nothing.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_run.h"

/* Sources, then steps, then consumers: the order sp_cli_run_parse relies
 * on. */
enum {
  OPT_THREADS = 256, OPT_MEMORY, OPT_MAX_ATTEMPTS, OPT_EXPLAIN,
  OPT_NO_SPECULATION, OPT_TASK_TIMEOUT,
  OPT_LAUNCHER, OPT_NP, OPT_HOSTFILE, OPT_MPIRUN_ARG, OPT_MCA,
  OPT_COMPRESSION, OPT_COMPRESSION_LEVEL, OPT_ROW_GROUP_SIZE,
  OPT_NO_DICTIONARY, OPT_HIVE,
  OPT_READ_PARQUET, OPT_READ_CSV, OPT_READ_JSON, OPT_FROM_SQL, OPT_SCHEMA,
  OPT_DELIMITER, OPT_HEADER, OPT_RECURSIVE,
  OPT_REPARTITION, OPT_HASH_BY, OPT_BY_ROWS, OPT_BY, OPT_RANGE_BY,
  OPT_DIMENSION, OPT_SORT_BY, OPT_PARTITIONS,
  OPT_NESTED, OPT_SQL, OPT_MAP,
  OPT_FILTER, OPT_FLAT_MAP, OPT_PARTIAL_SORT, OPT_LIMIT, OPT_RANDOM_SHUFFLE,
  OPT_WRITE_PARQUET, OPT_COUNT, OPT_TAKE, OPT_TAKE_ALL
};

static const struct option run_options[] = {
  SP_CLI_SESSION_OPTIONS,
  {"task-threads", required_argument, NULL, OPT_THREADS},
  {"task-memory", required_argument, NULL, OPT_MEMORY},
  {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
  {"explain", no_argument, NULL, OPT_EXPLAIN},
  {"no-speculation", no_argument, NULL, OPT_NO_SPECULATION},
  {"task-timeout", required_argument, NULL, OPT_TASK_TIMEOUT},
  {"launcher", required_argument, NULL, OPT_LAUNCHER},
  {"np", required_argument, NULL, OPT_NP},
  {"hostfile", required_argument, NULL, OPT_HOSTFILE},
  {"mpirun-arg", required_argument, NULL, OPT_MPIRUN_ARG},
  {"mca", required_argument, NULL, OPT_MCA},
  {"read-parquet", required_argument, NULL, OPT_READ_PARQUET},
  {"read-csv", required_argument, NULL, OPT_READ_CSV},
  {"read-json", required_argument, NULL, OPT_READ_JSON},
  {"schema", required_argument, NULL, OPT_SCHEMA},
  {"delimiter", required_argument, NULL, OPT_DELIMITER},
  {"header", no_argument, NULL, OPT_HEADER},
  {"recursive", no_argument, NULL, OPT_RECURSIVE},
  {"from-sql", required_argument, NULL, OPT_FROM_SQL},
  {"repartition", required_argument, NULL, OPT_REPARTITION},
  {"hash-by", required_argument, NULL, OPT_HASH_BY},
  {"by-rows", no_argument, NULL, OPT_BY_ROWS},
  {"by", required_argument, NULL, OPT_BY},
  {"range-by", required_argument, NULL, OPT_RANGE_BY},
  {"sort-by", required_argument, NULL, OPT_SORT_BY},
  {"partitions", required_argument, NULL, OPT_PARTITIONS},
  {"dimension", required_argument, NULL, OPT_DIMENSION},
  {"nested", no_argument, NULL, OPT_NESTED},
  {"sql", required_argument, NULL, OPT_SQL},
  {"map", required_argument, NULL, OPT_MAP},
  {"filter", required_argument, NULL, OPT_FILTER},
  {"flat-map", required_argument, NULL, OPT_FLAT_MAP},
  {"partial-sort", required_argument, NULL, OPT_PARTIAL_SORT},
  {"limit", required_argument, NULL, OPT_LIMIT},
  {"random-shuffle", no_argument, NULL, OPT_RANDOM_SHUFFLE},
  {"write-parquet", required_argument, NULL, OPT_WRITE_PARQUET},
  {"compression", required_argument, NULL, OPT_COMPRESSION},
  {"compression-level", required_argument, NULL, OPT_COMPRESSION_LEVEL},
  {"row-group-size", required_argument, NULL, OPT_ROW_GROUP_SIZE},
  {"no-dictionary", no_argument, NULL, OPT_NO_DICTIONARY},
  {"hive", no_argument, NULL, OPT_HIVE},
  {"count", no_argument, NULL, OPT_COUNT},
  {"take", required_argument, NULL, OPT_TAKE},
  {"take-all", no_argument, NULL, OPT_TAKE_ALL},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0}
};

void sp_cmd_run_usage(FILE *f)
{
  fputs(
"usage: smallpond run [--workers N | --launcher mpi --np N] [--data-root DIR]\n"
"           [--job-id ID]\n"
"           SOURCE [STEP]... CONSUMER\n"
"\n"
"  SOURCE:   --read-parquet GLOB... | --from-sql QUERY |\n"
"            --read-csv GLOB... --schema 'COL TYPE, ...' [--delimiter C]\n"
"              [--header] | --read-json GLOB... --schema 'COL TYPE, ...'\n"
"  CONSUMER: --write-parquet DIR | --count | --take N | --take-all\n"

"\n"
"Builds a DataFrame from a source, applies the steps in the order given,\n"
"one task per partition, and consumes the result.\n"
"\n"
"source (one kind):\n"
"  --read-parquet GLOB   Parquet files: a path or a glob (*, ?, [...]);\n"
"                        repeat for more; together they form 1 partition\n"
"  --read-csv GLOB       CSV files, read with --schema 'a BIGINT, b VARCHAR'\n"
"                        (required), --delimiter C (default ,) and\n"
"                        --header (the first line is a header)\n"
"  --read-json GLOB      newline-delimited JSON, read with --schema\n"
"  --recursive           a ** in a GLOB matches any number of folders,\n"
"                        e.g. 'logs/**/*.parquet'\n"
"  --from-sql QUERY      the result of a query that reads no input, e.g.\n"
"                        'SELECT * FROM range(1000)'; 1 partition\n"
"\n"
"steps:\n"
"  --repartition N       split into N partitions; alone: evenly by files\n"
"    --hash-by COLS      ...by hash of these columns (comma separated):\n"
"                        rows with equal keys land in one partition\n"
"    --by EXPR           ...by the value of EXPR, which must be in 0..N-1\n"
"    --by-rows           ...evenly by rows (Parquet row ranges)\n"
"    --range-by ORDER    ...by ranges of a sort order, e.g. 'a, b DESC':\n"
"                        partition i sorts before partition i+1 (split\n"
"                        points from a sample)\n"
"    --dimension NAME    name the partitions' dimension (default\n"
"                        __data_partition__): {NAME} in SQL is the index\n"
"    --nested            split each existing partition into N instead,\n"
"                        along a new --dimension\n"
"  --random-shuffle      move rows to random partitions, in random order\n"
"  --sql QUERY           run QUERY on every partition; {0} is the previous\n"
"                        step's partition; write {{ }} for literal braces\n"
"  --map EXPRS           SELECT EXPRS per partition, e.g. 'a, b * 2 AS c'\n"
"  --filter PREDICATE    keep the rows where PREDICATE holds\n"
"  --flat-map EXPRS      like --map, with unnest() making several rows\n"
"  --partial-sort ORDER  sort each partition, e.g. 'a, b DESC'\n"
"  --sort-by ORDER       sort the whole: --range-by, then each partition\n"
"                        sorted; ORDER is column names, each with ASC or\n"
"                        DESC and NULLS FIRST or LAST if needed\n"
"    --partitions N      ...into N partitions (default: as many as before)\n"
"  --limit N             at most N rows in all, in one partition\n"
"\n"
"consumer (exactly one, after the steps):\n"
"  --write-parquet DIR   write the result as Parquet files into DIR, which\n"
"                        must not exist or be empty; on failure DIR is\n"
"                        left as it was\n"
"  --count               print the number of rows\n"
"  --take N              print the first N rows as a table\n"
"  --take-all            print every row as a table\n"
"\n"
"output files (with --write-parquet):\n"
"  --compression C       zstd (default), snappy, gzip, lz4, brotli or\n"
"                        uncompressed\n"
"  --compression-level N zstd level, 1 to 22 (default 3)\n"
"  --row-group-size N    rows per row group (default 122880)\n"
"  --no-dictionary       no dictionary encoding\n"
"  --hive                one DIMENSION=INDEX/ folder per partition\n"
"\n", f);
  fputs(
"session:\n"
"  --workers N           worker processes (default: number of CPUs)\n"
"  --data-root DIR       where job folders go (default: $SP_DATA_ROOT,\n"
"                        else ~/.smallpond/data)\n"
"  --job-id ID           the job's folder name; rerunning a job that failed\n"
"                        or was stopped with the same id reuses every task\n"
"                        that already finished (default: time and a random\n"
"                        suffix)\n"
"  --keep-intermediate   keep the job's intermediate files after it\n"
"                        succeeds, for a rerun to reuse (default: removed)\n"
"  --task-threads N      DuckDB threads per task (default: CPUs / workers)\n"
"  --task-memory MIB     DuckDB memory limit per task in MiB\n"
"                        (default: 80% of memory / workers)\n"
"  --max-attempts N      attempts per task when a worker dies, a file\n"
"                        system error or DuckDB runs out of memory\n"
"                        (default 4; SQL errors fail at once)\n"
"  --quiet               no progress on stderr (default: on a terminal, a\n"
"                        line per running stage, redrawn; else timestamped\n"
"                        lines as stages start and end)\n"
"  --no-autoload         DuckDB installs and loads no extension by itself,\n"
"                        so s3://, gs:// and https:// paths fail, naming\n"
"                        the extension they need (default: on, unless\n"
"                        $SP_AUTOLOAD_EXTENSIONS is off)\n"
"  --no-speculation      never duplicate a straggling task (default: a task\n"
"                        far slower than its stage's others gets a second\n"
"                        attempt on an idle worker; the first result wins)\n"
"  --task-timeout SEC    stop an attempt that runs longer than SEC seconds\n"
"                        and retry it like a failed one (default: no limit)\n"
"  --explain             print the plan (steps, partitions, tasks) and\n"
"                        stop; nothing runs\n"
"  -h, --help            print this help\n"
"\n"
"cluster (MPI):\n"
"  --launcher L          local (default: worker processes on this machine)\n"
"                        or mpi: start this command under mpirun; rank 0\n"
"                        drives, the other ranks run tasks\n"
"  --np N                ranks to start (with --launcher mpi): N - 1 workers\n"
"  --hostfile FILE       mpirun's host file: run across those machines (the\n"
"                        data root must be on a file system all share);\n"
"                        without it, on this machine only\n"
"  --mca KEY VALUE       an Open MPI parameter for mpirun (repeat for more),\n"
"                        e.g. --mca btl_tcp_if_include eth0; OMPI_MCA_KEY\n"
"                        in the environment works too\n"
"  --mpirun-arg ARG      pass ARG on to mpirun (repeat for more)\n"
"  --host-timeout SEC    a rank not heard from for SEC seconds is lost: the\n"
"                        job ends, naming it and its host, unless its work\n"
"                        was done elsewhere (default 30; off: wait as long\n"
"                        as Open MPI does, minutes)\n"
"  mpirun is $SP_MPIRUN if set; `mpirun -np N smallpond run ...` works too\n"
"\n"
"exit status: 0 success, 1 the job failed, 2 bad options\n"
"\n"
"example:\n"
"  smallpond run --read-parquet 'prices/*.parquet' \\\n"
"      --repartition 3 --hash-by ticker \\\n"
"      --sql 'SELECT ticker, min(price), max(price) FROM {0}\n"
"             GROUP BY ticker' \\\n"
"      --write-parquet out/\n", f);
}

#define usage_error(...) sp_cli_usage_error("run", __VA_ARGS__)

/* Splits "a, b,c" into trimmed names inside s->hash_text. */
static int split_columns(struct step *s, const char *arg)
{
  char *p;

  if (!(s->hash_text = strdup(arg)))
    return -1;
  for (p = s->hash_text; p;) {
    char *comma = strchr(p, ','), *end;
    if (comma)
      *comma = '\0';
    while (isspace((unsigned char)*p))
      p++;
    end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1]))
      *--end = '\0';
    if (!*p || s->nhash_by == sizeof(s->hash_by) / sizeof(s->hash_by[0]))
      return -1;
    s->hash_by[s->nhash_by++] = p;
    p = comma ? comma + 1 : NULL;
  }
  return 0;
}

/* The long name of option c, without its dashes. */
static const char *step_option(int c)
{
  const struct option *o;

  for (o = run_options; o->name; o++)
    if (o->val == c)
      return o->name;
  return "?";
}

/* Fills a step from its option. Returns SP_EXIT_OK or SP_EXIT_USAGE. */
static int parse_step(int c, const char *arg, struct step *s)
{
  static const struct { int opt; enum step_kind kind; } text_steps[] = {
    {OPT_SQL, STEP_SQL}, {OPT_MAP, STEP_MAP}, {OPT_FILTER, STEP_FILTER},
    {OPT_FLAT_MAP, STEP_FLAT_MAP}, {OPT_PARTIAL_SORT, STEP_PARTIAL_SORT},
    {OPT_SORT_BY, STEP_SORT},
  };
  size_t i;

  for (i = 0; i < sizeof(text_steps) / sizeof(text_steps[0]); i++)
    if (text_steps[i].opt == c) {
      if (!*arg)
        return usage_error("--%s: empty SQL", step_option(c));
      s->kind = text_steps[i].kind;
      s->text = arg;
      return SP_EXIT_OK;
    }
  switch (c) {
  case OPT_RANDOM_SHUFFLE:
    s->kind = STEP_RANDOM_SHUFFLE;
    return SP_EXIT_OK;
  case OPT_LIMIT:
    s->kind = STEP_LIMIT;
    if (sp_cli_parse_int(arg, 0, INT64_MAX, &s->n))
      return usage_error("--limit: expected a number of rows, got '%s'", arg);
    return SP_EXIT_OK;
  default:
    s->kind = STEP_REPARTITION;
    if (sp_cli_parse_int(arg, 1, 1000000, &s->n))
      return usage_error("--repartition: expected a number of partitions "
                         "from 1 to 1000000, got '%s'", arg);
    return SP_EXIT_OK;
  }
}

/* Records a source option; sources of one kind may repeat, for more
 * globs. */
static int parse_source(int c, const char *arg, struct run_args *a)
{
  static const struct { int opt; enum source source; } kinds[] = {
    {OPT_READ_PARQUET, SOURCE_PARQUET}, {OPT_READ_CSV, SOURCE_CSV},
    {OPT_READ_JSON, SOURCE_JSON}, {OPT_FROM_SQL, SOURCE_SQL},
  };
  enum source kind = SOURCE_NONE;
  size_t i;

  for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
    if (kinds[i].opt == c)
      kind = kinds[i].source;
  if (a->nsteps)
    return usage_error("--%s: sources come before the steps",
                       step_option(c));
  if ((a->source != SOURCE_NONE && a->source != kind) ||
      (kind == SOURCE_SQL && a->from_sql))
    return usage_error("--%s: give one kind of source (files of one "
                       "format, or one --from-sql)", step_option(c));
  if (!*arg)
    return usage_error("--%s: empty", step_option(c));
  a->source = kind;
  if (kind == SOURCE_SQL)
    a->from_sql = arg;
  else if (a->nreads == MAX_ITEMS)
    return usage_error("too many sources");
  else
    a->reads[a->nreads++] = arg;
  return SP_EXIT_OK;
}

/* Splits "a BIGINT, b DECIMAL(10, 2)" into names and types, in place: at
 * commas outside parentheses, then at the first blank of each item. */
static int split_schema(struct run_args *a, const char *arg)
{
  char *p, *item, *name, *type, *end;
  int depth = 0, last = 0;

  if (!(a->schema_text = strdup(arg)))
    return -1;
  for (item = p = a->schema_text; !last; p++) {
    if (*p == '(')
      depth++;
    else if (*p == ')' && --depth < 0)
      return -1;
    if (*p && (*p != ',' || depth > 0))
      continue;
    last = !*p;
    *p = '\0'; /* the item is now a string of its own */
    for (end = p; end > item && isspace((unsigned char)end[-1]);)
      *--end = '\0';
    for (name = item; isspace((unsigned char)*name); name++)
      ;
    for (type = name; *type && !isspace((unsigned char)*type); type++)
      ;
    if (type == name || !*type || a->ncolumns == MAX_ITEMS)
      return -1;
    *type++ = '\0';
    while (isspace((unsigned char)*type))
      type++;
    a->columns[a->ncolumns] = name;
    a->types[a->ncolumns++] = type;
    item = p + 1;
  }
  return depth == 0 ? 0 : -1;
}

void sp_cli_run_free(struct run_args *a)
{
  size_t i;

  free(a->schema_text);
  for (i = 0; i < a->nsteps; i++)
    free(a->steps[i].hash_text);
}

int sp_cli_run_parse(int argc, char **argv, struct run_args *a)
{
  struct step *last;
  long long v;
  int c, code;

  memset(a, 0, sizeof(*a));
  sp_config_init(&a->cfg);
  a->cfg.progress = 1; /* --quiet turns it off */
  /* 0, not 1: glibc's getopt then forgets where it was, which matters
   * when a parser runs twice (tests/fuzz) after stopping inside "-hx". */
  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+h", run_options, NULL)) != -1) {
    last = a->nsteps ? &a->steps[a->nsteps - 1] : NULL;
    if (a->consumer != CONSUME_NONE && c >= OPT_READ_PARQUET)
      return usage_error("--%s: the consumer (--write-parquet, --count, "
                         "--take or --take-all) must come last, once",
                         step_option(c));
    switch (c) {
    case 'h':
      sp_cmd_run_usage(stdout);
      return -1;
    case OPT_THREADS:
      if (sp_cli_parse_int(optarg, 1, 1024, &v))
        return usage_error("--task-threads: expected 1 to 1024, got '%s'",
                           optarg);
      a->cfg.task_threads = (int)v;
      break;
    case OPT_EXPLAIN:
      a->explain = 1;
      break;
    case OPT_NO_SPECULATION:
      a->cfg.speculation = -1;
      break;
    case OPT_TASK_TIMEOUT:
      if (sp_cli_parse_seconds(optarg, &a->cfg.task_timeout_ms))
        return usage_error("--task-timeout: expected seconds above 0, up to "
                           "a year, got '%s'", optarg);
      break;
    case OPT_LAUNCHER:
      if (strcmp(optarg, "local") != 0 && strcmp(optarg, "mpi") != 0)
        return usage_error("--launcher: expected local or mpi, got '%s'",
                           optarg);
      a->mpi = strcmp(optarg, "mpi") == 0;
      break;
    case OPT_NP:
      if (sp_cli_parse_int(optarg, 2, 65536, &v))
        return usage_error("--np: expected 2 to 65536 ranks (1 driver and "
                           "the workers), got '%s'", optarg);
      a->launch.np = (int)v;
      break;
    case OPT_HOSTFILE:
      a->launch.hostfile = optarg;
      break;
    case OPT_MPIRUN_ARG:
      if (a->launch.nextra == MAX_ITEMS)
        return usage_error("too many --mpirun-arg");
      a->extra[a->launch.nextra++] = optarg;
      break;
    case OPT_MCA: /* KEY VALUE: the value is the next word */
      if (optind >= argc || !*optarg)
        return usage_error("--mca needs a KEY and a VALUE, e.g. --mca "
                           "btl_tcp_if_include eth0");
      if (a->launch.nextra + 3 > MAX_ITEMS)
        return usage_error("too many --mca");
      a->extra[a->launch.nextra++] = "--mca";
      a->extra[a->launch.nextra++] = optarg;
      a->extra[a->launch.nextra++] = argv[optind++];
      break;
    case OPT_MAX_ATTEMPTS:
      if (sp_cli_parse_int(optarg, 1, 1000, &v))
        return usage_error("--max-attempts: expected 1 to 1000, got '%s'",
                           optarg);
      a->cfg.max_attempts = (int)v;
      break;
    case OPT_MEMORY:
      if (sp_cli_parse_int(optarg, 16, (long long)1 << 30, &v))
        return usage_error("--task-memory: expected MiB, at least 16, got "
                           "'%s'", optarg);
      a->cfg.task_memory = (int64_t)v << 20;
      break;
    case OPT_READ_PARQUET:
    case OPT_READ_CSV:
    case OPT_READ_JSON:
    case OPT_FROM_SQL:
      if ((code = parse_source(c, optarg, a)) != SP_EXIT_OK)
        return code;
      break;
    case OPT_SCHEMA:
      if (a->schema_text || split_schema(a, optarg))
        return usage_error("--schema: expected one list of 'COLUMN TYPE' "
                           "separated by commas, got '%s'", optarg);
      break;
    case OPT_DELIMITER:
      if (!*optarg)
        return usage_error("--delimiter: empty");
      a->delimiter = optarg;
      break;
    case OPT_HEADER:
      a->header = 1;
      break;
    case OPT_RECURSIVE:
      a->recursive = 1;
      break;
    case OPT_REPARTITION:
    case OPT_SQL:
    case OPT_MAP:
    case OPT_FILTER:
    case OPT_FLAT_MAP:
    case OPT_PARTIAL_SORT:
    case OPT_SORT_BY:
    case OPT_LIMIT:
    case OPT_RANDOM_SHUFFLE:
      if (a->source == SOURCE_NONE)
        return usage_error("--%s: give the source (--read-parquet, "
                           "--read-csv, --read-json or --from-sql) first",
                           step_option(c));
      if (a->nsteps == MAX_ITEMS)
        return usage_error("too many steps");
      last = &a->steps[a->nsteps++];
      if ((code = parse_step(c, optarg, last)) != SP_EXIT_OK)
        return code;
      break;
    case OPT_PARTITIONS:
      if (!last || last->kind != STEP_SORT || last->n)
        return usage_error("--partitions applies to a --sort-by: give that "
                           "first, and --partitions once");
      if (sp_cli_parse_int(optarg, 1, 1000000, &last->n))
        return usage_error("--partitions: expected a number of partitions "
                           "from 1 to 1000000, got '%s'", optarg);
      break;
    case OPT_HASH_BY:
    case OPT_BY_ROWS:
    case OPT_BY:
    case OPT_RANGE_BY:
    case OPT_DIMENSION:
    case OPT_NESTED:
      if (!last || last->kind != STEP_REPARTITION)
        return usage_error("--%s applies to a --repartition: give that "
                           "first", step_option(c));
      if (c == OPT_DIMENSION || c == OPT_NESTED) {
        if (c == OPT_NESTED)
          last->nested = 1;
        else if (last->dimension || !*optarg)
          return usage_error("--dimension: expected one name");
        else
          last->dimension = optarg;
        break;
      }
      if (c == OPT_BY_ROWS)
        last->by_rows = 1;
      else if (c == OPT_BY && !last->by && *optarg)
        last->by = optarg;
      else if (c == OPT_BY)
        return usage_error("--by: expected one expression");
      else if (c == OPT_RANGE_BY && !last->range_by && *optarg)
        last->range_by = optarg;
      else if (c == OPT_RANGE_BY)
        return usage_error("--range-by: expected one sort order");
      else if (last->nhash_by || split_columns(last, optarg))
        return usage_error("--hash-by: expected one list of column names, "
                           "got '%s'", optarg);
      if ((last->by_rows != 0) + (last->nhash_by > 0) + (last->by != NULL) +
              (last->range_by != NULL) > 1)
        return usage_error("--hash-by, --by, --by-rows and --range-by "
                           "exclude each other");
      break;
    case OPT_COMPRESSION:
      a->out.compression = optarg;
      a->out_options = 1;
      break;
    case OPT_COMPRESSION_LEVEL:
      if (sp_cli_parse_int(optarg, 1, 22, &v))
        return usage_error("--compression-level: expected 1 to 22, got '%s'",
                           optarg);
      a->out.compression_level = (int)v;
      a->out_options = 1;
      break;
    case OPT_ROW_GROUP_SIZE:
      if (sp_cli_parse_int(optarg, 1, INT64_MAX, &v))
        return usage_error("--row-group-size: expected a number of rows, got "
                           "'%s'", optarg);
      a->out.row_group_size = v;
      a->out_options = 1;
      break;
    case OPT_NO_DICTIONARY:
      a->out.no_dictionary = 1;
      a->out_options = 1;
      break;
    case OPT_HIVE:
      a->out.hive = 1;
      a->out_options = 1;
      break;
    case OPT_WRITE_PARQUET:
      if (!*optarg)
        return usage_error("--write-parquet: empty folder name");
      a->consumer = CONSUME_WRITE;
      a->out_dir = optarg;
      break;
    case OPT_COUNT:
      a->consumer = CONSUME_COUNT;
      break;
    case OPT_TAKE_ALL:
      a->consumer = CONSUME_TAKE_ALL;
      break;
    case OPT_TAKE:
      if (sp_cli_parse_int(optarg, 0, INT64_MAX, &a->take))
        return usage_error("--take: expected a number of rows, got '%s'",
                           optarg);
      a->consumer = CONSUME_TAKE;
      break;
    default:
      if ((code = sp_cli_session_option("run", c, optarg, &a->cfg)) == 0)
        return usage_error("unknown or incomplete option '%s'",
                           argv[optind - 1]);
      if (code != 1)
        return code;
    }
  }
  if (optind < argc)
    return usage_error("unexpected argument '%s'", argv[optind]);
  if (a->source == SOURCE_NONE)
    return usage_error("no source: give --read-parquet, --read-csv, "
                       "--read-json or --from-sql");
  if ((a->source == SOURCE_CSV || a->source == SOURCE_JSON) !=
      (a->ncolumns > 0))
    return usage_error("--schema goes with --read-csv and --read-json, and "
                       "they need it");
  if (a->source != SOURCE_CSV && (a->delimiter || a->header))
    return usage_error("--delimiter and --header go with --read-csv");
  if (a->source == SOURCE_SQL && a->recursive)
    return usage_error("--recursive goes with --read-parquet, --read-csv "
                       "and --read-json");
  if (a->consumer == CONSUME_NONE && !a->explain)
    return usage_error("no consumer: give --write-parquet DIR, --count, "
                       "--take N or --take-all (or --explain)");
  if (a->out_options && a->consumer != CONSUME_WRITE)
    return usage_error("--compression, --compression-level, "
                       "--row-group-size, --no-dictionary and --hive go with "
                       "--write-parquet");
  if (a->mpi && !a->launch.np && !sp_cli_under_mpirun())
    return usage_error("--launcher mpi needs --np N: the ranks to start "
                       "(1 driver and N - 1 workers)");
  if (a->mpi && a->cfg.workers)
    return usage_error("--workers goes with --launcher local: under MPI "
                       "the workers are the ranks other than 0 (--np)");
  if (!a->mpi && (a->launch.np || a->launch.hostfile || a->launch.nextra))
    return usage_error("--np, --hostfile, --mca and --mpirun-arg go with "
                       "--launcher mpi");
  if (a->mpi && !sp_has_mpi()) {
    fputs("smallpond: --launcher mpi: this smallpond was built without MPI "
          "(SP_WITH_MPI=OFF); rebuild with it for cluster mode, or use "
          "--launcher local\n", stderr);
    return SP_EXIT_ERROR;
  }
  return SP_EXIT_OK;
}

/* Applies one step to *df. */
static sp_status apply_step(sp_session *s, const struct step *step,
                            sp_df **df, sp_error **err)
{
  sp_repartition_options opt;

  switch (step->kind) {
  case STEP_SQL: return sp_partial_sql(s, step->text, df, 1, NULL, df, err);
  case STEP_MAP: return sp_map(*df, step->text, NULL, df, err);
  case STEP_FILTER: return sp_filter(*df, step->text, NULL, df, err);
  case STEP_FLAT_MAP: return sp_flat_map(*df, step->text, NULL, df, err);
  case STEP_PARTIAL_SORT:
    return sp_partial_sort(*df, step->text, NULL, df, err);
  case STEP_LIMIT: return sp_limit(*df, step->n, NULL, df, err);
  case STEP_SORT: return sp_sort(*df, step->text, (int)step->n, NULL, df, err);
  case STEP_RANDOM_SHUFFLE: return sp_random_shuffle(*df, NULL, df, err);
  case STEP_REPARTITION: break;
  }
  memset(&opt, 0, sizeof(opt));
  opt.hash_by = step->hash_by;
  opt.nhash_by = step->nhash_by;
  opt.by_rows = step->by_rows;
  opt.by = step->by;
  opt.range_by = step->range_by;
  opt.dimension = step->dimension;
  opt.nested = step->nested;
  return sp_repartition(*df, (int)step->n, &opt, df, err);
}

/* Builds the chain and consumes it. */
static sp_status run_pipeline(sp_session *s, const struct run_args *a,
                              sp_error **err)
{
  sp_df *df = NULL;
  sp_status st;
  size_t i;

  sp_read_options opt;

  memset(&opt, 0, sizeof(opt));
  opt.columns = a->columns;
  opt.ncolumns = a->ncolumns;
  opt.types = a->types;
  opt.delimiter = a->delimiter;
  opt.header = a->header;
  opt.recursive = a->recursive;
  switch (a->source) {
  case SOURCE_CSV: st = sp_read_csv(s, a->reads, a->nreads, &opt, &df, err);
                   break;
  case SOURCE_JSON: st = sp_read_json(s, a->reads, a->nreads, &opt, &df, err);
                    break;
  case SOURCE_SQL: st = sp_from_sql(s, a->from_sql, NULL, &df, err); break;
  default: st = sp_read_parquet(s, a->reads, a->nreads, &opt, &df, err);
  }
  for (i = 0; i < a->nsteps && st == SP_OK; i++)
    st = apply_step(s, &a->steps[i], &df, err);
  if (st != SP_OK)
    return st;
  if (a->explain)
    return sp_explain(df, stdout, err);
  if (a->consumer == CONSUME_WRITE) {
    if ((st = sp_write_parquet(df, a->out_dir, &a->out, err)) == SP_OK)
      fprintf(stderr, "smallpond: wrote %d partition%s to %s\n",
              sp_df_num_partitions(df),
              sp_df_num_partitions(df) == 1 ? "" : "s", a->out_dir);
  } else if (a->consumer == CONSUME_COUNT) {
    int64_t n = 0;
    if ((st = sp_count(df, &n, err)) == SP_OK)
      printf("%lld\n", (long long)n);
  } else {
    sp_rows *rows = NULL;
    st = a->consumer == CONSUME_TAKE ? sp_take(df, a->take, &rows, err)
                                     : sp_take_all(df, &rows, err);
    if (st == SP_OK)
      sp_rows_print(rows, stdout);
    sp_rows_free(&rows);
  }
  return st;
}

int sp_cmd_run(int argc, char **argv)
{
  struct run_args *a = calloc(1, sizeof(*a));
  sp_session *s = NULL;
  sp_error *err = NULL;
  int code;

  if (!a) {
    fputs("smallpond: out of memory\n", stderr);
    return SP_EXIT_ERROR;
  }
  code = sp_cli_run_parse(argc, argv, a);
  if (code != SP_EXIT_OK) {
    sp_cli_run_free(a);
    free(a);
    return code < 0 ? SP_EXIT_OK : code;
  }
  if (a->mpi && !sp_cli_under_mpirun()) {
    a->launch.extra = a->extra;
    a->launch.host_timeout_ms = a->cfg.host_timeout_ms;
    a->launch.data_root = a->cfg.data_root;
    a->launch.job_id = a->cfg.job_id;
    a->launch.mpirun = getenv("SP_MPIRUN") && *getenv("SP_MPIRUN")
                           ? getenv("SP_MPIRUN") : "mpirun";
    code = sp_cli_exec_mpirun(&a->launch, argc, argv);
    sp_cli_run_free(a);
    free(a);
    return code;
  }
  if (sp_init(&a->cfg, &s, &err) != SP_OK ||
      run_pipeline(s, a, &err) != SP_OK) {
    sp_cli_print_error(err, sp_session_job_dir(s));
    code = SP_EXIT_ERROR;
  }
  sp_close(&s);
  sp_error_free(&err);
  sp_cli_run_free(a);
  free(a);
  sp_cli_tell_launcher(code);
  return code;
}
