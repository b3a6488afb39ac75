/*
 * test_batches.c - C functions over Arrow record batches: sp_map_batches,
 * sp_map_rows and sp_filter_batches, registered in sp_config. Each result
 * is compared with the same computation written in SQL and run directly
 * in DuckDB.
 *
 * The functions run in the worker processes, so they report what they saw
 * through their output rows, never through the test's memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smallpond.h"
#include "testkit.h"

#define ROWS 20000
#define FILES 4

/* ---- building Arrow results: int64 columns, some of them nullable ---- */

typedef struct column_data {
  const void *buffers[2]; /* validity (or NULL), values */
} column_data;

static void release_column(struct ArrowArray *a)
{
  column_data *c = a->private_data;

  free((void *)c->buffers[0]);
  free((void *)c->buffers[1]);
  free(c);
  a->release = NULL;
}

static void release_struct(struct ArrowArray *a)
{
  int64_t i;

  for (i = 0; i < a->n_children; i++) {
    if (a->children[i]->release)
      a->children[i]->release(a->children[i]);
    free(a->children[i]);
  }
  free(a->children);
  free(a->buffers);
  a->release = NULL;
}

static void release_schema(struct ArrowSchema *s)
{
  int64_t i;

  for (i = 0; i < s->n_children; i++)
    free(s->children[i]);
  free(s->children);
  s->release = NULL;
}

/* Fills out_schema and out with ncols int64 columns named names[c], of n
 * rows each: values[c] (taken over, malloc'd) and, if valid[c] is set,
 * its validity bitmap (taken over too). */
static void make_int64_batch(int ncols, const char *const *names,
                             int64_t **values, uint8_t **valid, int64_t n,
                             struct ArrowSchema *out_schema,
                             struct ArrowArray *out)
{
  int c;

  memset(out_schema, 0, sizeof(*out_schema));
  memset(out, 0, sizeof(*out));
  out_schema->format = "+s";
  out_schema->name = "";
  out_schema->n_children = ncols;
  out_schema->children = calloc((size_t)ncols, sizeof(*out_schema->children));
  out_schema->release = release_schema;
  out->length = n;
  out->n_buffers = 1;
  out->buffers = calloc(1, sizeof(*out->buffers));
  out->n_children = ncols;
  out->children = calloc((size_t)ncols, sizeof(*out->children));
  out->release = release_struct;
  for (c = 0; c < ncols; c++) {
    struct ArrowSchema *cs = calloc(1, sizeof(*cs));
    struct ArrowArray *ca = calloc(1, sizeof(*ca));
    column_data *d = calloc(1, sizeof(*d));
    int64_t nulls = 0, i;
    cs->format = "l";
    cs->name = names[c];
    cs->flags = ARROW_FLAG_NULLABLE;
    cs->release = release_schema; /* never called on a child here */
    d->buffers[0] = valid[c];
    d->buffers[1] = values[c];
    for (i = 0; valid[c] && i < n; i++)
      nulls += !(valid[c][i / 8] >> (i % 8) & 1);
    ca->length = n;
    ca->null_count = nulls;
    ca->n_buffers = 2;
    ca->buffers = d->buffers;
    ca->release = release_column;
    ca->private_data = d;
    out_schema->children[c] = cs;
    out->children[c] = ca;
  }
}

/* The index of the column named name in schema, or -1. */
static int column(const struct ArrowSchema *schema, const char *name)
{
  int64_t i;

  for (i = 0; i < schema->n_children; i++)
    if (strcmp(schema->children[i]->name, name) == 0)
      return (int)i;
  return -1;
}

static int is_valid(const struct ArrowArray *a, int64_t i)
{
  const uint8_t *bits = a->buffers[0];
  int64_t j = a->offset + i;

  return a->null_count == 0 || !bits || (bits[j / 8] >> (j % 8) & 1);
}

static int64_t int64_at(const struct ArrowArray *a, int64_t i)
{
  return ((const int64_t *)a->buffers[1])[a->offset + i];
}

/* ---- the functions ---- */

/* One row per batch: its number of rows and the first row's id. */
static int describe_batch(const struct ArrowSchema *schema,
                          const struct ArrowArray *batch,
                          struct ArrowSchema *out_schema,
                          struct ArrowArray *out, void *arg)
{
  static const char *const names[] = {"rows", "first_id"};
  int64_t *vals[2] = {malloc(8), malloc(8)};
  uint8_t *valid[2] = {NULL, malloc(1)};
  int id = column(schema, "id");

  (void)arg;
  if (id < 0 || strcmp(schema->children[id]->format, "l") != 0)
    return 7;
  vals[0][0] = batch->length;
  vals[1][0] = batch->length ? int64_at(batch->children[id], 0) : 0;
  valid[1][0] = batch->length ? 1 : 0;
  make_int64_batch(2, names, vals, valid, 1, out_schema, out);
  return 0;
}

/* Row by row: id, and the length of name (NULL for NULL), read from the
 * string column's offsets. */
static int name_lengths(const struct ArrowSchema *schema,
                        const struct ArrowArray *batch,
                        struct ArrowSchema *out_schema,
                        struct ArrowArray *out, void *arg)
{
  static const char *const names[] = {"id", "name_len"};
  int id = column(schema, "id"), name = column(schema, "name");
  int64_t n = batch->length, i;
  int64_t *vals[2] = {malloc(8 * (size_t)(n + 1)),
                      malloc(8 * (size_t)(n + 1))};
  uint8_t *valid[2] = {NULL, calloc((size_t)n / 8 + 1, 1)};
  const struct ArrowArray *s;
  const int32_t *offsets;

  (void)arg;
  if (id < 0 || name < 0 || strcmp(schema->children[name]->format, "u"))
    return 8;
  s = batch->children[name];
  offsets = s->buffers[1];
  for (i = 0; i < n; i++) {
    vals[0][i] = int64_at(batch->children[id], i);
    vals[1][i] = offsets[s->offset + i + 1] - offsets[s->offset + i];
    if (is_valid(s, i))
      valid[1][i / 8] |= (uint8_t)(1u << (i % 8));
  }
  make_int64_batch(2, names, vals, valid, n, out_schema, out);
  return 0;
}

/* Keeps the rows whose id is a multiple of 3 and whose name is set. */
static int every_third_named(const struct ArrowSchema *schema,
                             const struct ArrowArray *batch,
                             unsigned char *keep, void *arg)
{
  int id = column(schema, "id"), name = column(schema, "name");
  int64_t i;

  (void)arg;
  if (id < 0 || name < 0)
    return 9;
  for (i = 0; i < batch->length; i++)
    keep[i] = int64_at(batch->children[id], i) % 3 == 0 &&
              is_valid(batch->children[name], i);
  return 0;
}

/* Fails on purpose. */
static int broken(const struct ArrowSchema *schema,
                  const struct ArrowArray *batch,
                  struct ArrowSchema *out_schema, struct ArrowArray *out,
                  void *arg)
{
  (void)schema, (void)batch, (void)out_schema, (void)out, (void)arg;
  return 42;
}

static const sp_batch_function functions[] = {
  {"describe_batch", describe_batch, NULL, NULL},
  {"name_lengths", name_lengths, NULL, NULL},
  {"every_third_named", NULL, every_third_named, NULL},
  {"broken", broken, NULL, NULL},
};

/* ---- the tests ---- */

/* The session registers the functions above. */
static void register_functions(sp_config *cfg)
{
  cfg->batch_functions = functions;
  cfg->nbatch_functions = sizeof(functions) / sizeof(functions[0]);
}

typedef tk_fixture fixture;

static int setup(void **state)
{
  *state = tk_fixture_new(ROWS, FILES, 500, "batches",
                          register_functions);
  return *state ? 0 : -1;
}

static const char *write_out(fixture *f, sp_df *df, const char *name)
{
  const char *dir = tk_path(f->dir, name);
  sp_error *err = NULL;

  tk_check(sp_write_parquet(df, dir, NULL, &err), &err);
  return tk_fmt("read_parquet('%s/*.parquet')", dir);
}

static const char *in_sql(const fixture *f)
{
  return tk_fmt("read_parquet('%s')", f->glob);
}

/* 1000 rows in batches of 350 are seen as 350, 350 and 300 rows, in
 * order (smallpond's test), here checked against DuckDB's own grouping. */
static void test_map_batches_sizes(void **state)
{
  fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = NULL;
  const char *out;

  tk_check(sp_from_sql(f->s, "SELECT i AS id FROM range(1000) t(i)", NULL,
                       &df, &err), &err);
  tk_check(sp_map_batches(df, "describe_batch", 350, NULL, &df, &err), &err);
  out = write_out(f, df, "sizes");
  tk_assert_same_rows("SELECT count(*) AS rows, min(i) AS first_id FROM "
                      "range(1000) t(i) GROUP BY i // 350",
                      tk_fmt("SELECT * FROM %s", out));
  assert_int_equal(tk_duck_i64(tk_fmt("SELECT count(*) FROM %s", out)), 3);
}

/* A row map over 4 partitions of 5000 rows (more than one DuckDB chunk
 * per batch and per result) gives DuckDB's length(name) for every row;
 * NULL names stay NULL. */
static void test_map_rows(void **state)
{
  fixture *f = *state;
  sp_repartition_options rows = {.by_rows = 1};
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_repartition(tk_input(f), 4, &rows, &df, &err), &err);
  tk_check(sp_map_rows(df, "name_lengths", 0, NULL, &df, &err), &err);
  assert_int_equal(sp_df_num_partitions(df), 4);
  tk_assert_same_rows(tk_fmt("SELECT id, length(name) FROM %s", in_sql(f)),
                      tk_fmt("SELECT id, name_len FROM %s",
                             write_out(f, df, "rows")));
  assert_true(tk_duck_i64(tk_fmt("SELECT count(*) FROM %s WHERE name IS "
                                 "NULL", in_sql(f))) > 0);
}

/* A filter keeps exactly the rows DuckDB's WHERE keeps, with all their
 * columns, also with batches smaller than a partition. */
static void test_filter_batches(void **state)
{
  fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = NULL;

  tk_check(sp_repartition(tk_input(f), 3, NULL, &df, &err), &err);
  tk_check(sp_filter_batches(df, "every_third_named", 777, NULL, &df, &err),
           &err);
  tk_assert_same_rows(tk_fmt("SELECT * FROM %s WHERE id %% 3 = 0 AND name "
                             "IS NOT NULL", in_sql(f)),
                      tk_fmt("SELECT * FROM %s",
                             write_out(f, df, "filtered")));
}

/* Empty partitions call the function once with an empty batch, so the
 * result keeps its columns and every partition reloads. */
static void test_empty_partitions(void **state)
{
  fixture *f = *state;
  sp_repartition_options opt = {.by = "CASE WHEN id < 100 THEN 0 ELSE 2 END"};
  sp_error *err = NULL;
  sp_df *df = NULL;
  int64_t n = -1;

  tk_check(sp_repartition(tk_input(f), 4, &opt, &df, &err), &err);
  tk_check(sp_map_rows(df, "name_lengths", 0, NULL, &df, &err), &err);
  tk_check(sp_count(df, &n, &err), &err);
  assert_int_equal(n, ROWS);
  tk_check(sp_map_batches(df, "describe_batch", 0, NULL, &df, &err), &err);
  /* One row per batch: 1 for each of the 4 partitions (two are empty). */
  tk_assert_same_rows(
      tk_fmt("SELECT count(*) AS rows FROM %s WHERE id < 100 UNION ALL "
             "SELECT count(*) FROM %s WHERE id >= 100 UNION ALL "
             "SELECT 0 UNION ALL SELECT 0", in_sql(f), in_sql(f)),
      tk_fmt("SELECT rows FROM %s", write_out(f, df, "empties")));
}

/* Bad functions: an unregistered name or the wrong kind fails at once; a
 * function that fails, or a row map that changes the row count, fails the
 * job naming the function, and writes nothing. */
static void test_errors(void **state)
{
  fixture *f = *state;
  sp_error *err = NULL;
  sp_df *df = NULL;

  assert_int_equal(sp_map_batches(tk_input(f), "nosuch", 0, NULL, &df, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "'nosuch'"));
  sp_error_free(&err);
  assert_int_equal(sp_filter_batches(tk_input(f), "name_lengths", 0, NULL, &df,
                                     &err), SP_EINVAL);
  sp_error_free(&err);
  assert_int_equal(sp_map_batches(tk_input(f), "describe_batch", -1, NULL, &df,
                                  &err), SP_EINVAL);
  sp_error_free(&err);

  tk_check(sp_map_batches(tk_input(f), "broken", 0, NULL, &df, &err), &err);
  assert_int_not_equal(sp_write_parquet(df, tk_path(f->dir, "never"), NULL,
                                        &err), SP_OK);
  assert_non_null(strstr(sp_error_message(err), "'broken' returned 42"));
  assert_false(tk_exists(tk_path(f->dir, "never")));
  sp_error_free(&err);

  tk_check(sp_map_rows(tk_input(f), "describe_batch", 0, NULL, &df, &err),
           &err);
  assert_int_not_equal(sp_write_parquet(df, tk_path(f->dir, "never"), NULL,
                                        &err), SP_OK);
  assert_non_null(strstr(sp_error_message(err), "map_rows function "
                                                "'describe_batch' returned 1 "
                                                "rows"));
  assert_false(tk_exists(tk_path(f->dir, "never")));
  sp_error_free(&err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_map_batches_sizes),
    cmocka_unit_test(test_map_rows),
    cmocka_unit_test(test_filter_batches),
    cmocka_unit_test(test_empty_partitions),
    cmocka_unit_test(test_errors),
  };

  return cmocka_run_group_tests(tests, setup, tk_fixture_teardown);
}
