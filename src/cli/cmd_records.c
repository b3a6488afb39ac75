/*
 * cmd_records.c - `smallpond gensort` and `smallpond valsort`: the sort
 * benchmark's records, made and checked as smallpond jobs.
 *
 * A record is 100 bytes: a 10-byte binary key and a 90-byte payload, the
 * Parquet columns key BLOB and payload BLOB. Record i is a pure function of
 * (seed, i), so each partition generates its own range of i and the
 * partitions concatenate to the same whole however many there are.
 *
 * valsort reads a folder's files in name order, a task per file, or split
 * by rows into pieces of about CHECK_CHUNK_BYTES when that makes more
 * tasks (so that one big file is checked in parallel pieces, not by one
 * task that sorts all its rows; see read_files). Each task checks each of
 * its file pieces' order (row by row, in file order), counts records and
 * equal neighbours, and sums a hash of every record (mod 2^64: the
 * order-independent checksum); one last task checks each piece's first
 * key against the previous piece's last and adds the rest up.
 */
#include <getopt.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_records.h"

/* Uniform keys: 80 bits of the record's hash. */
#define KEY_UNIFORM \
  "unhex(lpad(hex(h1), 16, '0') || lpad(hex(h2 >> 48), 4, '0'))"

/* Skewed keys (a format: %% is %): a quarter of the records share one
 * key, and the rest have their first 8 bytes shifted right by a uniform
 * 0-63 bits, so that keys crowd towards zero (each leading zero bit is as
 * likely as the next). */
#define KEY_SKEWED \
  "CASE WHEN h2 %% 4 = 0 THEN unhex('7FFFFFFFFFFFFFFF0000') " \
  "ELSE unhex(lpad(hex(h1 >> (h2 >> 58)), 16, '0') || " \
  "lpad(hex((h2 >> 32) & 65535), 4, '0')) END"

/* The payload: the record's number in 32 hex digits, then 58 hex digits of
 * its hash, as gensort's ASCII payload (about 2:1 compressible). */
#define PAYLOAD \
  "encode(lpad(hex(i), 32, '0') || lpad(hex(hash(i, seed, 2)), 16, '0') || " \
  "lpad(hex(hash(i, seed, 3)), 16, '0') || " \
  "lpad(hex(hash(i, seed, 4)), 16, '0') || " \
  "left(lpad(hex(hash(i, seed, 5)), 16, '0'), 10))"

/* Partition p of P holds records [p * N / P, (p + 1) * N / P). The
 * numbers (seed, N, P) are formatted from parsed integers, never pasted
 * text. */
#define GEN_SQL(key) \
  "SELECT " key " AS key, " PAYLOAD " AS payload " \
  "FROM (SELECT i, seed, hash(i, seed) AS h1, hash(i, seed, 1) AS h2 " \
  "FROM range(CAST(CAST({__data_partition__} AS HUGEINT) * %lld // %lld " \
  "AS BIGINT), CAST(CAST({__data_partition__} + 1 AS HUGEINT) * %lld // " \
  "%lld AS BIGINT)) AS r(i), (SELECT CAST(%lld AS BIGINT) AS seed))"

/* Bytes of Parquet per partition that valsort checks. */
#define CHECK_CHUNK_BYTES ((int64_t)64 << 20)

/* One row per file piece of a partition: where it starts, its records,
 * checksum and order. A piece's place in the whole is (part, file,
 * first_row): partitions hold consecutive rows of files in name order. */
static const char piece_sql[] =
  "SELECT {__data_partition__} AS part, filename AS file, "
  "min(file_row_number) AS first_row, count(*) AS records, "
  "(sum(h) % 18446744073709551616)::UBIGINT AS checksum, "
  "count(*) FILTER (WHERE prev > key) AS unordered, "
  "min(file_row_number) FILTER (WHERE prev > key) AS first_unordered, "
  "count(*) FILTER (WHERE prev = key) AS duplicates, "
  "count(*) FILTER (WHERE key IS NULL) AS nulls, "
  "arg_min(key, file_row_number) AS first_key, "
  "arg_max(key, file_row_number) AS last_key "
  "FROM (SELECT filename, file_row_number, key, hash(key, payload) AS h, "
  "lag(key) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev "
  "FROM {0}) GROUP BY filename";

/* The pieces' rows added up, the boundaries between pieces checked. */
static const char total_sql[] =
  "SELECT count(DISTINCT file) AS files, "
  "coalesce(sum(records), 0)::BIGINT AS records, "
  "lpad(lower(hex(coalesce(sum(checksum::HUGEINT) % 18446744073709551616, "
  "0)::UBIGINT)), 16, '0') AS checksum, "
  "(coalesce(sum(unordered), 0) + count(*) FILTER (WHERE prev_last > "
  "first_key))::BIGINT AS unordered, "
  "(coalesce(sum(duplicates), 0) + count(*) FILTER (WHERE prev_last = "
  "first_key))::BIGINT AS duplicates, "
  "coalesce(sum(nulls), 0)::BIGINT AS nulls, "
  "arg_min('row ' || CASE WHEN prev_last > first_key THEN first_row "
  "ELSE first_unordered END || CASE WHEN prev_last > first_key AND "
  "first_row = 0 THEN ' (below the last key of the file before)' "
  "ELSE ' (below the row before it)' END || ' of ' || file, seq) "
  "FILTER (WHERE prev_last > first_key OR unordered > 0) AS first_bad "
  "FROM (SELECT *, lag(last_key) OVER w AS prev_last, "
  "row_number() OVER w AS seq FROM {0} WHERE records > 0 "
  "WINDOW w AS (ORDER BY part, file, first_row))";

/* The input's records and checksum, per file and then in all. */
static const char input_file_sql[] =
  "SELECT count(*) AS records, "
  "(sum(hash(key, payload)) % 18446744073709551616)::UBIGINT AS checksum "
  "FROM {0}";
static const char input_total_sql[] =
  "SELECT coalesce(sum(records), 0)::BIGINT AS records, "
  "lpad(lower(hex(coalesce(sum(checksum::HUGEINT) % 18446744073709551616, "
  "0)::UBIGINT)), 16, '0') AS checksum FROM {0}";

/* In the order of record_options, which the codes index. */
enum { OPT_RECORDS = 256, OPT_PARTITIONS, OPT_SKEW, OPT_SEED, OPT_INPUT };

static const struct option record_options[] = {
  {"records", required_argument, NULL, OPT_RECORDS},
  {"partitions", required_argument, NULL, OPT_PARTITIONS},
  {"skew", no_argument, NULL, OPT_SKEW},
  {"seed", required_argument, NULL, OPT_SEED},
  {"input", required_argument, NULL, OPT_INPUT},
  SP_CLI_SESSION_OPTIONS,
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0}
};

static const char session_help[] =
  "session:\n"
  "  --workers N       worker processes (default: number of CPUs)\n"
  "  --data-root DIR   where job folders go (default: $SP_DATA_ROOT,\n"
  "                    else ~/.smallpond/data)\n"
  "  --job-id ID       the job's folder name (default: a fresh one)\n"
  "  --keep-intermediate  keep the intermediate files after success\n"
  "  --quiet           no progress on stderr\n"
  "  --no-autoload     DuckDB installs and loads no extension by itself\n"
  "                    (default: on, unless $SP_AUTOLOAD_EXTENSIONS is off)\n";

static void gensort_usage(FILE *f)
{
  fputs("usage: smallpond gensort --records N [--partitions P] [--skew]\n"
        "           [--seed S] [SESSION OPTIONS] OUTDIR\n"
        "\n"
        "Writes N sort-benchmark records into OUTDIR (which must not exist\n"
        "or be empty) as Parquet files part-<p>-<n>.parquet, with columns\n"
        "key BLOB (10 bytes) and payload BLOB (90 bytes). Record i depends\n"
        "on (S, i) only: P partitions are generated in parallel and\n"
        "together hold the same records for any P.\n"
        "\n"
        "  --records N       records to make (100 bytes each)\n"
        "  --partitions P    files, generated in parallel (default 1)\n"
        "  --skew            skewed keys: a quarter share one key, the rest\n"
        "                    crowd towards zero (log-uniform)\n"
        "  --seed S          the keys' seed, 0 to 2^31-1 (default 0)\n"
        "\n", f);
  fputs(session_help, f);
}

static void valsort_usage(FILE *f)
{
  fputs("usage: smallpond valsort [--input INDIR] [SESSION OPTIONS] DIR\n"
        "\n"
        "Checks that DIR's *.parquet files, read in name order, hold the\n"
        "records (key, payload) sorted by key; counts them and sums a hash\n"
        "of each (the checksum, independent of order). With --input, the\n"
        "count and checksum must equal INDIR's (the unsorted input).\n"
        "Prints one line: SUCCESS or FAILURE and why. Exit status 0 when\n"
        "sorted (and equal to the input), 1 otherwise.\n"
        "\n", f);
  fputs(session_help, f);
}

int sp_cli_records_parse(int argc, char **argv, struct record_args *a)
{
  const char *cmd = argv[0];
  int gen = strcmp(cmd, "gensort") == 0;
  int c, rc;

  memset(a, 0, sizeof(*a));
  sp_config_init(&a->cfg);
  a->cfg.progress = 1;
  a->partitions = 1;
  /* 0, not 1: glibc's getopt then forgets where it was, which matters
   * when a parser runs twice (tests/fuzz) after stopping inside "-hx". */
  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+h", record_options, NULL)) != -1) {
    if ((c == OPT_INPUT && gen) ||
        (!gen && (c == OPT_RECORDS || c == OPT_PARTITIONS || c == OPT_SKEW ||
                  c == OPT_SEED)))
      return sp_cli_usage_error(cmd, "--%s is not an option of %s",
                                record_options[c - OPT_RECORDS].name, cmd);
    switch (c) {
    case 'h':
      (gen ? gensort_usage : valsort_usage)(stdout);
      return -1;
    case OPT_RECORDS:
      if (sp_cli_parse_int(optarg, 0, (long long)1 << 50, &a->records))
        return sp_cli_usage_error(cmd, "--records: expected 0 to 2^50, got "
                                  "'%s'", optarg);
      a->have_records = 1;
      break;
    case OPT_PARTITIONS:
      if (sp_cli_parse_int(optarg, 1, 100000, &a->partitions))
        return sp_cli_usage_error(cmd, "--partitions: expected 1 to "
                                  "100000, got '%s'", optarg);
      break;
    case OPT_SKEW:
      a->skew = 1;
      break;
    case OPT_SEED:
      if (sp_cli_parse_int(optarg, 0, INT32_MAX, &a->seed))
        return sp_cli_usage_error(cmd, "--seed: expected 0 to 2^31-1, got "
                                  "'%s'", optarg);
      break;
    case OPT_INPUT:
      a->input = optarg;
      break;
    default:
      if ((rc = sp_cli_session_option(cmd, c, optarg, &a->cfg)) == 0)
        return sp_cli_usage_error(cmd, "unknown option '%s'",
                                  argv[optind - 1]);
      if (rc != 1)
        return rc;
    }
  }
  if (optind != argc - 1)
    return sp_cli_usage_error(cmd, optind == argc ? "expected a folder"
                                                  : "expected one folder, "
                                                    "got '%s' too",
                              argv[argc - 1]);
  if (gen && !a->have_records)
    return sp_cli_usage_error(cmd, "--records N is required");
  a->dir = argv[optind];
  if (strlen(a->dir) > 4000 || (a->input && strlen(a->input) > 4000))
    return sp_cli_usage_error(cmd, "folder name too long");
  return SP_EXIT_OK;
}

static sp_status gensort(sp_session *s, const struct record_args *a,
                         sp_error **err)
{
  char sql[4096];
  sp_df *one, *parts, *records;
  long long n = a->records, p = a->partitions, seed = a->seed;

  snprintf(sql, sizeof(sql), a->skew ? GEN_SQL(KEY_SKEWED)
                                     : GEN_SQL(KEY_UNIFORM),
           n, p, n, p, seed);
  /* A one-row source split into P partitions: the partitions are empty,
   * and only give each task its {__data_partition__}. */
  if (sp_partial_sql(s, "SELECT 1 AS one", NULL, 0, NULL, &one, err) ||
      sp_repartition(one, (int)p, NULL, &parts, err) ||
      sp_partial_sql(s, sql, &parts, 1, NULL, &records, err))
    return sp_error_status(*err);
  return sp_write_parquet(records, a->dir, NULL, err);
}

/* dir's Parquet files (the pattern that lists them, dir/<asterisk>.parquet,
 * in pattern): one partition per file, unless pieces asks for more, or
 * the files hold more than CHECK_CHUNK_BYTES each on average: then
 * contiguous row ranges of about CHECK_CHUNK_BYTES, at least pieces. */
static sp_status read_files(sp_session *s, const char *dir,
                            const sp_read_options *opt, int pieces,
                            char *pattern, size_t size, sp_df **out,
                            sp_error **err)
{
  const char *paths[1] = {pattern};
  sp_repartition_options split = {0};
  int64_t bytes = 0, want, nfiles;
  struct stat sb;
  sp_df *files;
  glob_t g;
  size_t i;

  snprintf(pattern, size, "%s%s*.parquet", dir,
           dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/");
  if (sp_read_parquet(s, paths, 1, opt, &files, err))
    return sp_error_status(*err);
  /* The same files sp_read_parquet listed: their count and size. */
  if (glob(pattern, 0, NULL, &g) != 0)
    g.gl_pathc = 0;
  for (i = 0; i < g.gl_pathc; i++)
    if (stat(g.gl_pathv[i], &sb) == 0)
      bytes += sb.st_size;
  nfiles = (int64_t)g.gl_pathc;
  globfree(&g);
  want = pieces ? (bytes + CHECK_CHUNK_BYTES - 1) / CHECK_CHUNK_BYTES : 0;
  if (want < pieces)
    want = pieces;
  /* Whole files read faster than ranges: split only to get more. */
  split.by_rows = want > nfiles;
  if (want < nfiles)
    want = nfiles;
  want = want < 1 ? 1 : want > 100000 ? 100000 : want;
  return sp_repartition(files, (int)want, &split, out, err);
}

/* Runs per_part on each partition of dir's files (read_files), then total
 * on all their rows: the one row of the result in *out. */
static sp_status check_files(sp_session *s, const char *dir,
                             const sp_read_options *opt, int pieces,
                             const char *per_part, const char *total,
                             sp_rows **out, sp_error **err)
{
  char pattern[4096];
  sp_df *files, *each, *all, *sum;

  if (read_files(s, dir, opt, pieces, pattern, sizeof(pattern), &files,
                 err) ||
      sp_partial_sql(s, per_part, &files, 1, NULL, &each, err) ||
      sp_repartition(each, 1, NULL, &all, err) ||
      sp_partial_sql(s, total, &all, 1, NULL, &sum, err))
    return sp_error_status(*err);
  return sp_take_all(sum, out, err);
}

/* The value of column name in rows' first row ("" for NULL). */
static const char *value(const sp_rows *rows, const char *name)
{
  size_t c;

  for (c = 0; c < sp_rows_column_count(rows); c++)
    if (strcmp(sp_rows_column_name(rows, c), name) == 0) {
      const char *v = sp_rows_value(rows, 0, c);
      return v ? v : "";
    }
  return "";
}

/* Prints the verdict line. Returns SP_EXIT_OK when it is SUCCESS. */
static int verdict(const sp_rows *out, const sp_rows *in)
{
  const char *records = value(out, "records");
  const char *checksum = value(out, "checksum");
  const char *unordered = value(out, "unordered");

  /* A NULL compares with nothing: the order checks cannot see it. */
  if (strcmp(value(out, "nulls"), "0") != 0) {
    printf("valsort: FAILURE: %s records have a NULL key\n",
           value(out, "nulls"));
    return SP_EXIT_ERROR;
  }
  if (strcmp(unordered, "0") != 0) {
    printf("valsort: FAILURE: %s records out of order, the first at %s\n",
           unordered, value(out, "first_bad"));
    return SP_EXIT_ERROR;
  }
  if (in && strcmp(records, value(in, "records")) != 0) {
    printf("valsort: FAILURE: %s records in order, but the input has %s\n",
           records, value(in, "records"));
    return SP_EXIT_ERROR;
  }
  if (in && strcmp(checksum, value(in, "checksum")) != 0) {
    printf("valsort: FAILURE: %s records in order, but their checksum %s "
           "is not the input's %s\n", records, checksum,
           value(in, "checksum"));
    return SP_EXIT_ERROR;
  }
  printf("valsort: SUCCESS: %s records in order in %s files, %s duplicate "
         "keys, checksum %s%s\n", records, value(out, "files"),
         value(out, "duplicates"), checksum,
         in ? " (the input's)" : "");
  return SP_EXIT_OK;
}

static sp_status valsort(sp_session *s, const struct record_args *a,
                         int *code, sp_error **err)
{
  sp_read_options numbered = {.filename = 1, .file_row_number = 1};
  sp_rows *out = NULL, *in = NULL;
  int workers = sp_session_workers(s);
  sp_status st;

  /* At least a piece per worker, so that one file is checked by all. */
  st = check_files(s, a->dir, &numbered, workers > 0 ? workers : 1,
                   piece_sql, total_sql, &out, err);
  if (st == SP_OK && a->input)
    st = check_files(s, a->input, NULL, 0, input_file_sql, input_total_sql,
                     &in, err);
  if (st == SP_OK)
    *code = verdict(out, in);
  sp_rows_free(&out);
  sp_rows_free(&in);
  return st;
}

int sp_cmd_records(int argc, char **argv)
{
  const char *cmd = argv[0];
  struct record_args a;
  sp_session *s = NULL;
  sp_error *err = NULL;
  int code;

  code = sp_cli_records_parse(argc, argv, &a);
  if (code != SP_EXIT_OK)
    return code < 0 ? SP_EXIT_OK : code;
  if (sp_init(&a.cfg, &s, &err) != SP_OK) {
    sp_cli_print_error(err, NULL);
    sp_error_free(&err);
    return SP_EXIT_ERROR;
  }
  if (strcmp(cmd, "gensort") == 0 ? gensort(s, &a, &err)
                                  : valsort(s, &a, &code, &err)) {
    sp_cli_print_error(err, sp_session_job_dir(s));
    code = SP_EXIT_ERROR;
  }
  sp_close(&s);
  sp_error_free(&err);
  return code;
}
