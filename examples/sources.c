/*
 * sources.c - every way into a DataFrame: a query (from_sql), Parquet
 * files with a projection, CSV with a schema, and JSON lines.
 *
 *   sources WORK_DIR     (WORK_DIR must exist; input files are made there)
 */
#include <stdio.h>

#include "smallpond.h"

static const char *const cols[] = {"id", "city", "temp"};
static const char *const types[] = {"BIGINT", "VARCHAR", "DOUBLE"};

/* Writes a small CSV (';', with a header) and the same rows as JSON lines. */
static int write_text_files(const char *dir)
{
  static const char *const cities[] = {"Oslo", "Lima", "Pune"};
  char path[4096];
  FILE *csv, *json;
  int i;

  snprintf(path, sizeof(path), "%s/readings.csv", dir);
  csv = fopen(path, "w");
  snprintf(path, sizeof(path), "%s/readings.json", dir);
  json = fopen(path, "w");
  if (!csv || !json)
    return -1;
  fputs("id;city;temp\n", csv);
  for (i = 0; i < 30; i++) {
    fprintf(csv, "%d;%s;%.1f\n", i, cities[i % 3], 10.0 + i / 2.0);
    fprintf(json, "{\"id\": %d, \"city\": \"%s\", \"temp\": %.1f}\n", i,
            cities[i % 3], 10.0 + i / 2.0);
  }
  return fclose(csv) | fclose(json);
}

static sp_status show(const char *title, sp_df *df, sp_error **err)
{
  sp_rows *rows = NULL;
  sp_status st = sp_take(df, 3, &rows, err);

  if (st == SP_OK) {
    printf("-- %s\n", title);
    sp_rows_print(rows, stdout);
  }
  sp_rows_free(&rows);
  return st;
}

int main(int argc, char **argv)
{
  sp_read_options csv = {.columns = cols, .ncolumns = 3, .types = types,
                         .delimiter = ";", .header = 1};
  sp_read_options json = {.columns = cols, .ncolumns = 3, .types = types};
  sp_read_options two_columns = {.columns = cols + 1, .ncolumns = 2,
                                 .filename = 1};
  char csv_path[4096], json_path[4096], parquet_dir[2048], parquet[4096];
  const char *p;
  sp_session *sp = NULL;
  sp_error *err = NULL;
  sp_df *df = NULL;
  int code = 1;

  if (argc != 2 || write_text_files(argv[1]) != 0) {
    fputs("usage: sources WORK_DIR (an existing, writable folder)\n", stderr);
    return 2;
  }
  snprintf(csv_path, sizeof(csv_path), "%s/readings.csv", argv[1]);
  snprintf(json_path, sizeof(json_path), "%s/readings.json", argv[1]);
  snprintf(parquet_dir, sizeof(parquet_dir), "%s/generated", argv[1]);
  snprintf(parquet, sizeof(parquet), "%s/*.parquet", parquet_dir);
  if (sp_init(NULL, &sp, &err) != SP_OK)
    goto out;
  /* A query that reads nothing, written out as Parquet files. */
  if (sp_from_sql(sp, "SELECT i AS id, 'city' || (i % 5) AS city, "
                      "i / 10.0 AS temp FROM range(1000) t(i)", NULL, &df,
                  &err) != SP_OK ||
      show("from_sql", df, &err) != SP_OK ||
      sp_write_parquet(df, parquet_dir, NULL, &err) != SP_OK)
    goto out;
  p = parquet;
  if (sp_read_parquet(sp, &p, 1, &two_columns, &df, &err) != SP_OK ||
      show("read_parquet: two columns and the file name", df, &err))
    goto out;
  p = csv_path;
  if (sp_read_csv(sp, &p, 1, &csv, &df, &err) != SP_OK ||
      show("read_csv", df, &err) != SP_OK)
    goto out;
  p = json_path;
  if (sp_read_json(sp, &p, 1, &json, &df, &err) != SP_OK ||
      show("read_json", df, &err) != SP_OK)
    goto out;
  code = 0;
out:
  if (code)
    fprintf(stderr, "sources: %s\n", sp_error_message(err));
  sp_error_free(&err);
  sp_close(&sp);
  return code;
}
