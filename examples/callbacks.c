/*
 * callbacks.c - C functions over Arrow record batches: a row-by-row map
 * (Celsius to Fahrenheit) and a filter, registered by name in sp_config
 * before the workers start, then used as steps like any other.
 *
 *   callbacks
 *
 * Batches follow the Arrow C data interface (struct ArrowSchema and
 * struct ArrowArray, declared in smallpond.h): a batch is a struct array
 * with one child array per column. A function that returns a batch
 * allocates it and sets release callbacks that free it; smallpond calls
 * them when it has stored the rows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smallpond.h"

/* The column named name in a batch, or NULL. */
static const struct ArrowArray *column(const struct ArrowSchema *schema,
                                       const struct ArrowArray *batch,
                                       const char *name, const char *format)
{
  int64_t i;

  for (i = 0; i < schema->n_children; i++)
    if (strcmp(schema->children[i]->name, name) == 0 &&
        strcmp(schema->children[i]->format, format) == 0)
      return batch->children[i];
  return NULL;
}

/* ---- a two-column result batch: id BIGINT, fahrenheit DOUBLE ---- */

/* The schema and the array are released separately, so each owns its
 * memory. */
typedef struct result_schema {
  struct ArrowSchema fields[2], *field_ptrs[2];
} result_schema;

typedef struct result {
  struct ArrowArray columns[2], *column_ptrs[2];
  const void *buffers[2][2];  /* per column: validity (none), values */
  const void *struct_buffer[1];
  int64_t *ids;
  double *fahrenheit;
} result;

static void release_child_schema(struct ArrowSchema *s)
{
  s->release = NULL; /* owned by the parent */
}

static void release_child_array(struct ArrowArray *a)
{
  a->release = NULL; /* owned by the parent */
}

static void release_schema(struct ArrowSchema *s)
{
  free(s->private_data);
  s->release = NULL;
}

static void release_array(struct ArrowArray *a)
{
  result *r = a->private_data;

  free(r->ids);
  free(r->fahrenheit);
  free(r);
  a->release = NULL;
}

/* to_fahrenheit: id, celsius * 9 / 5 + 32 for every row of the batch. */
static int to_fahrenheit(const struct ArrowSchema *schema,
                         const struct ArrowArray *batch,
                         struct ArrowSchema *out_schema,
                         struct ArrowArray *out, void *arg)
{
  const struct ArrowArray *id = column(schema, batch, "id", "l");
  const struct ArrowArray *c = column(schema, batch, "celsius", "g");
  static const char *const names[2] = {"id", "fahrenheit"};
  static const char *const formats[2] = {"l", "g"};
  int64_t n = batch->length, i;
  result_schema *rs;
  result *r;
  int k;

  (void)arg;
  if (!id || !c || c->null_count != 0)
    return 1;
  rs = calloc(1, sizeof(*rs));
  r = calloc(1, sizeof(*r));
  if (r) {
    r->ids = malloc(sizeof(*r->ids) * (size_t)(n ? n : 1));
    r->fahrenheit = malloc(sizeof(*r->fahrenheit) * (size_t)(n ? n : 1));
  }
  if (!rs || !r || !r->ids || !r->fahrenheit) {
    if (r) {
      free(r->ids);
      free(r->fahrenheit);
    }
    free(r);
    free(rs);
    return 1;
  }
  for (i = 0; i < n; i++) {
    r->ids[i] = ((const int64_t *)id->buffers[1])[id->offset + i];
    r->fahrenheit[i] =
        ((const double *)c->buffers[1])[c->offset + i] * 9 / 5 + 32;
  }
  for (k = 0; k < 2; k++) {
    rs->fields[k] = (struct ArrowSchema){.format = formats[k],
                                         .name = names[k],
                                         .release = release_child_schema};
    rs->field_ptrs[k] = &rs->fields[k];
    r->buffers[k][0] = NULL;
    r->buffers[k][1] = k ? (const void *)r->fahrenheit : (const void *)r->ids;
    r->columns[k] = (struct ArrowArray){.length = n, .n_buffers = 2,
                                        .buffers = r->buffers[k],
                                        .release = release_child_array};
    r->column_ptrs[k] = &r->columns[k];
  }
  *out_schema = (struct ArrowSchema){.format = "+s", .name = "",
                                     .n_children = 2,
                                     .children = rs->field_ptrs,
                                     .release = release_schema,
                                     .private_data = rs};
  *out = (struct ArrowArray){.length = n, .n_buffers = 1,
                             .buffers = r->struct_buffer, .n_children = 2,
                             .children = r->column_ptrs,
                             .release = release_array, .private_data = r};
  return 0;
}

/* hot: keeps the rows above a threshold, given as the function's arg. */
static int hot(const struct ArrowSchema *schema,
               const struct ArrowArray *batch, unsigned char *keep,
               void *arg)
{
  const struct ArrowArray *f = column(schema, batch, "fahrenheit", "g");
  double threshold = *(const double *)arg;
  int64_t i;

  if (!f)
    return 1;
  for (i = 0; i < batch->length; i++)
    keep[i] = ((const double *)f->buffers[1])[f->offset + i] > threshold;
  return 0;
}

int main(void)
{
  static const double threshold = 200.0;
  const sp_batch_function functions[] = {
    {.name = "to_fahrenheit", .map = to_fahrenheit},
    {.name = "hot", .filter = hot, .arg = (void *)&threshold},
  };
  sp_repartition_options by_rows = {.by_rows = 1};
  sp_session *sp = NULL;
  sp_error *err = NULL;
  sp_rows *rows = NULL;
  sp_df *df = NULL;
  sp_config cfg;
  int code = 1;

  sp_config_init(&cfg);
  cfg.batch_functions = functions;
  cfg.nbatch_functions = 2;
  /* 100,000 readings: i * 37 % 1000 visits every residue, so exactly 66
   * in each 1000 are above 93.3 degrees Celsius, i.e. 200 Fahrenheit. */
  if (sp_init(&cfg, &sp, &err) != SP_OK ||
      sp_from_sql(sp, "SELECT i AS id, (i * 37 % 1000) / 10.0 AS celsius "
                  "FROM range(100000) t(i)", NULL, &df, &err) != SP_OK ||
      sp_repartition(df, 4, &by_rows, &df, &err) != SP_OK ||
      sp_map_rows(df, "to_fahrenheit", 10000, NULL, &df, &err) != SP_OK ||
      sp_filter_batches(df, "hot", 0, NULL, &df, &err) != SP_OK ||
      sp_partial_sql(sp, "SELECT count(*) AS n, max(fahrenheit) AS top "
                     "FROM {0}", &df, 1, NULL, &df, &err) != SP_OK ||
      sp_repartition(df, 1, NULL, &df, &err) != SP_OK ||
      sp_partial_sql(sp, "SELECT sum(n)::BIGINT AS n, max(top) AS top "
                     "FROM {0}", &df, 1, NULL, &df, &err) != SP_OK ||
      sp_take_all(df, &rows, &err) != SP_OK)
    goto out;
  printf("hot readings: %s\n", sp_rows_value(rows, 0, 0));
  printf("hottest: %s F\n", sp_rows_value(rows, 0, 1));
  code = 0;
out:
  if (code)
    fprintf(stderr, "callbacks: %s\n", sp_error_message(err));
  sp_rows_free(&rows);
  sp_error_free(&err);
  sp_close(&sp);
  return code;
}
