/*
 * fuzz_cli.c - the command line of the smallpond tool (src/cli): the
 * options of `run`, `gensort`, `valsort` and `sql`, parsed by
 * sp_cli_run_parse, sp_cli_records_parse and sp_cli_sql_parse, which start
 * nothing.
 *
 * The input is argv, its strings separated by NUL bytes; the first names
 * the command. Checked: parsing the same argv twice gives the same result
 * (getopt keeps state between calls); what a successful parse fills holds
 * what the options promise (counts and numbers in range, one source and
 * one consumer, modifiers that exclude each other); and the lists it
 * splits, --schema and --hash-by, written back as text parse to the same
 * lists.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_records.h"
#include "cli/cmd_run.h"
#include "cli/cmd_sql.h"
#include "fuzz.h"
#include "util/buf.h"

/* More than any list of the parsers holds (MAX_ITEMS). */
#define MAX_ARGS 600

static int same_string(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

static int trimmed(const char *s)
{
  size_t n = strlen(s);

  return n > 0 && !isspace((unsigned char)s[0]) &&
         !isspace((unsigned char)s[n - 1]);
}

/* Parses argv (fresh copies of the n strings, so that nothing the parser
 * keeps outlives them unseen by ASan). */
static int parse_run(char **args, size_t n, struct run_args *a, char **copy)
{
  size_t i;

  for (i = 0; i < n; i++)
    copy[i] = fuzz_strndup((const uint8_t *)args[i], strlen(args[i]));
  copy[n] = NULL;
  return sp_cli_run_parse((int)n, copy, a);
}

static void check_same_run(const struct run_args *a, const struct run_args *b)
{
  size_t i, k;

  FUZZ_CHECK(a->source == b->source && a->nreads == b->nreads);
  for (i = 0; i < a->nreads; i++)
    FUZZ_CHECK(strcmp(a->reads[i], b->reads[i]) == 0);
  FUZZ_CHECK(same_string(a->from_sql, b->from_sql));
  FUZZ_CHECK(a->ncolumns == b->ncolumns);
  for (i = 0; i < a->ncolumns; i++)
    FUZZ_CHECK(strcmp(a->columns[i], b->columns[i]) == 0 &&
               strcmp(a->types[i], b->types[i]) == 0);
  FUZZ_CHECK(a->nsteps == b->nsteps);
  for (i = 0; i < a->nsteps; i++) {
    const struct step *s = &a->steps[i], *t = &b->steps[i];
    FUZZ_CHECK(s->kind == t->kind && s->n == t->n);
    FUZZ_CHECK(s->nhash_by == t->nhash_by && s->by_rows == t->by_rows);
    for (k = 0; k < s->nhash_by; k++)
      FUZZ_CHECK(strcmp(s->hash_by[k], t->hash_by[k]) == 0);
    FUZZ_CHECK(same_string(s->by, t->by));
    FUZZ_CHECK(same_string(s->range_by, t->range_by));
    FUZZ_CHECK(same_string(s->dimension, t->dimension));
    FUZZ_CHECK(s->nested == t->nested && same_string(s->text, t->text));
  }
  FUZZ_CHECK(a->consumer == b->consumer && a->take == b->take);
  FUZZ_CHECK(same_string(a->out_dir, b->out_dir));
  FUZZ_CHECK(a->explain == b->explain && a->mpi == b->mpi);
  FUZZ_CHECK(a->cfg.workers == b->cfg.workers);
  FUZZ_CHECK(a->cfg.task_threads == b->cfg.task_threads);
  FUZZ_CHECK(a->cfg.task_memory == b->cfg.task_memory);
  FUZZ_CHECK(a->cfg.max_attempts == b->cfg.max_attempts);
  FUZZ_CHECK(a->launch.np == b->launch.np);
  FUZZ_CHECK(a->launch.nextra == b->launch.nextra);
}

/* --schema written back as "name type, ..." parses to the same lists. */
static void check_schema(const struct run_args *a)
{
  struct run_args b;
  sp_buf text = SP_BUF_INIT;
  char *args[6] = {"run", "--read-json", "x", "--schema", NULL, "--count"};
  char *copy[7];
  size_t i;

  for (i = 0; i < a->ncolumns; i++)
    sp_buf_appendf(&text, "%s%s %s", i ? ", " : "", a->columns[i],
                   a->types[i]);
  args[4] = text.data;
  FUZZ_CHECK(parse_run(args, 6, &b, copy) == SP_EXIT_OK);
  FUZZ_CHECK(b.ncolumns == a->ncolumns);
  for (i = 0; i < a->ncolumns; i++)
    FUZZ_CHECK(strcmp(a->columns[i], b.columns[i]) == 0 &&
               strcmp(a->types[i], b.types[i]) == 0);
  sp_cli_run_free(&b);
  fuzz_free_strings(copy, 6);
  sp_buf_release(&text);
}

/* --hash-by written back with commas parses to the same names. */
static void check_hash_by(const struct step *s)
{
  struct run_args b;
  sp_buf text = SP_BUF_INIT;
  char *args[8] = {"run", "--from-sql", "x", "--repartition", "2",
                   "--hash-by", NULL, "--count"};
  char *copy[9];
  size_t i;

  for (i = 0; i < s->nhash_by; i++)
    sp_buf_appendf(&text, "%s%s", i ? "," : "", s->hash_by[i]);
  args[6] = text.data;
  FUZZ_CHECK(parse_run(args, 8, &b, copy) == SP_EXIT_OK);
  FUZZ_CHECK(b.nsteps == 1 && b.steps[0].nhash_by == s->nhash_by);
  for (i = 0; i < s->nhash_by; i++)
    FUZZ_CHECK(strcmp(s->hash_by[i], b.steps[0].hash_by[i]) == 0);
  sp_cli_run_free(&b);
  fuzz_free_strings(copy, 8);
  sp_buf_release(&text);
}

/* What a successful parse of run's options promises. */
static void check_run(const struct run_args *a)
{
  int file_source = a->source == SOURCE_CSV || a->source == SOURCE_JSON;
  size_t i, k;

  FUZZ_CHECK(a->source != SOURCE_NONE);
  FUZZ_CHECK((a->source == SOURCE_SQL) == (a->from_sql != NULL));
  FUZZ_CHECK(a->source == SOURCE_SQL ? a->nreads == 0
                                     : a->nreads >= 1 &&
                                           a->nreads <= MAX_ITEMS);
  FUZZ_CHECK(a->consumer != CONSUME_NONE || a->explain);
  FUZZ_CHECK(!a->out_options || a->consumer == CONSUME_WRITE);
  FUZZ_CHECK((a->consumer == CONSUME_WRITE) == (a->out_dir != NULL));
  FUZZ_CHECK(file_source == (a->ncolumns > 0));
  FUZZ_CHECK(a->nsteps <= MAX_ITEMS && a->ncolumns <= MAX_ITEMS);
  FUZZ_CHECK(a->mpi ? a->cfg.workers == 0
                    : !a->launch.np && !a->launch.hostfile &&
                          !a->launch.nextra);
  FUZZ_CHECK(a->cfg.workers >= 0 && a->cfg.workers <= 4096);
  for (i = 0; i < a->ncolumns; i++) {
    const char *c;
    for (c = a->columns[i]; *c; c++)
      FUZZ_CHECK(!isspace((unsigned char)*c));
    FUZZ_CHECK(*a->columns[i] && trimmed(a->types[i]));
  }
  if (a->ncolumns)
    check_schema(a);
  for (i = 0; i < a->nsteps; i++) {
    const struct step *s = &a->steps[i];
    switch (s->kind) {
    case STEP_REPARTITION:
      FUZZ_CHECK(s->n >= 1 && s->n <= 1000000);
      FUZZ_CHECK((s->by_rows != 0) + (s->nhash_by > 0) + (s->by != NULL) +
                 (s->range_by != NULL) <= 1);
      for (k = 0; k < s->nhash_by; k++)
        FUZZ_CHECK(trimmed(s->hash_by[k]) && !strchr(s->hash_by[k], ','));
      if (s->nhash_by)
        check_hash_by(s);
      break;
    case STEP_SORT:
      FUZZ_CHECK(s->n >= 0 && s->n <= 1000000 && *s->text);
      break;
    case STEP_LIMIT:
      FUZZ_CHECK(s->n >= 0);
      break;
    case STEP_RANDOM_SHUFFLE:
      break;
    default:
      FUZZ_CHECK(s->text && *s->text);
    }
  }
}

static void fuzz_run(char **args, size_t n)
{
  struct run_args *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
  char **copy_a = calloc(n + 1, sizeof(*copy_a));
  char **copy_b = calloc(n + 1, sizeof(*copy_b));
  int code, again;

  if (!a || !b || !copy_a || !copy_b)
    abort();
  code = parse_run(args, n, a, copy_a);
  FUZZ_CHECK(code == SP_EXIT_OK || code == SP_EXIT_USAGE || code == -1);
  again = parse_run(args, n, b, copy_b);
  FUZZ_CHECK(again == code);
  if (code == SP_EXIT_OK) {
    check_same_run(a, b);
    check_run(a);
  }
  sp_cli_run_free(b);
  sp_cli_run_free(a);
  fuzz_free_strings(copy_b, n);
  fuzz_free_strings(copy_a, n);
  free(copy_b);
  free(copy_a);
  free(b);
  free(a);
}

static int parse_records(char **args, size_t n, struct record_args *a,
                         char **copy)
{
  size_t i;

  for (i = 0; i < n; i++)
    copy[i] = fuzz_strndup((const uint8_t *)args[i], strlen(args[i]));
  copy[n] = NULL;
  return sp_cli_records_parse((int)n, copy, a);
}

static void fuzz_records(char **args, size_t n)
{
  int gen = strcmp(args[0], "gensort") == 0, code, again;
  char **copy_a = calloc(n + 1, sizeof(*copy_a));
  char **copy_b = calloc(n + 1, sizeof(*copy_b));
  struct record_args a, b;

  if (!copy_a || !copy_b)
    abort();
  code = parse_records(args, n, &a, copy_a);
  FUZZ_CHECK(code == SP_EXIT_OK || code == SP_EXIT_USAGE || code == -1);
  again = parse_records(args, n, &b, copy_b);
  FUZZ_CHECK(again == code);
  if (code == SP_EXIT_OK) {
    FUZZ_CHECK(a.records == b.records && a.partitions == b.partitions &&
               a.seed == b.seed && a.skew == b.skew);
    FUZZ_CHECK(same_string(a.dir, b.dir) && same_string(a.input, b.input));
    FUZZ_CHECK(a.dir && strlen(a.dir) <= 4000);
    FUZZ_CHECK(!a.input || strlen(a.input) <= 4000);
    FUZZ_CHECK(a.partitions >= 1 && a.partitions <= 100000);
    FUZZ_CHECK(a.seed >= 0 && a.seed <= INT32_MAX);
    FUZZ_CHECK(a.records >= 0 && a.records <= (long long)1 << 50);
    FUZZ_CHECK(gen ? a.have_records && !a.input
                   : !a.have_records && !a.skew && !a.seed);
  }
  fuzz_free_strings(copy_b, n);
  fuzz_free_strings(copy_a, n);
  free(copy_b);
  free(copy_a);
}

/* `smallpond sql`: two parses agree, and a successful one holds what the
 * options promise: NAME=PATH tables with both parts, one way to give the
 * query, one way to use the result. */
static void fuzz_sql(char **args, size_t n)
{
  char *copy1[MAX_ARGS + 1], *copy2[MAX_ARGS + 1];
  struct sql_args a, b;
  int r1, r2, i;
  size_t k;

  for (k = 0; k < n; k++) {
    copy1[k] = fuzz_strndup((const uint8_t *)args[k], strlen(args[k]));
    copy2[k] = fuzz_strndup((const uint8_t *)args[k], strlen(args[k]));
  }
  copy1[n] = copy2[n] = NULL;
  r1 = sp_cli_sql_parse((int)n, copy1, &a);
  r2 = sp_cli_sql_parse((int)n, copy2, &b);
  FUZZ_CHECK(r1 == r2);
  if (r1 == SP_EXIT_OK) {
    FUZZ_CHECK(a.ntables == b.ntables && a.take == b.take &&
               a.explain == b.explain);
    FUZZ_CHECK(same_string(a.query, b.query) &&
               same_string(a.file, b.file) &&
               same_string(a.out_dir, b.out_dir));
    FUZZ_CHECK(a.ntables >= 0 && a.ntables <= MAX_TABLES);
    for (i = 0; i < a.ntables; i++) {
      FUZZ_CHECK(strcmp(a.table_name[i], b.table_name[i]) == 0);
      FUZZ_CHECK(a.table_path[i] > a.table_name[i] &&
                 a.table_path[i][-1] == '=' && *a.table_path[i]);
    }
    FUZZ_CHECK(!(a.query && a.file));
    FUZZ_CHECK((a.out_dir != NULL) + (a.take >= 0) + a.explain <= 1);
    FUZZ_CHECK(a.take >= -1);
  }
  for (k = 0; k < n; k++) {
    free(copy1[k]);
    free(copy2[k]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *args[MAX_ARGS];
  size_t n;

  fuzz_quiet(); /* --help and usage errors print */
  n = fuzz_split(data, size, args, MAX_ARGS);
  if (strcmp(args[0], "run") == 0)
    fuzz_run(args, n);
  else if (strcmp(args[0], "gensort") == 0 ||
           strcmp(args[0], "valsort") == 0)
    fuzz_records(args, n);
  else if (strcmp(args[0], "sql") == 0)
    fuzz_sql(args, n);
  fuzz_free_strings(args, n);
  return 0;
}
