/*
 * fuzz_desc.c - task descriptors (src/plan/desc.h) on arbitrary bytes, as
 * a worker receives them: a frame of JSON (util/frame.h), decoded by
 * sp_task_desc_from_json, then turned into the text of its SQL.
 *
 * Checked: a decoded descriptor encodes (as the driver sends it), goes
 * through a frame again and decodes to the same fields, and encoding is
 * then a fixed point; each input's SELECT and the query template expanded
 * over the inputs' view names follow their contracts (duck/input.h,
 * plan/template.h), without DuckDB.
 */
#include <stdlib.h>
#include <string.h>

#include "duck/input.h"
#include "exec/task.h"
#include "fuzz.h"
#include "plan/desc.h"
#include "plan/template.h"
#include "util/alloc.h"

static int same_string(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

static void check_same(const sp_task_desc *a, const sp_task_desc *b)
{
  size_t i;

  FUZZ_CHECK(a->kind == b->kind);
  FUZZ_CHECK(strcmp(a->key, b->key) == 0);
  FUZZ_CHECK(a->attempt == b->attempt && a->partition == b->partition);
  FUZZ_CHECK(a->nslots == b->nslots && a->threads == b->threads);
  FUZZ_CHECK(strcmp(a->out, b->out) == 0);
  FUZZ_CHECK(strcmp(a->tmp_dir, b->tmp_dir) == 0);
  FUZZ_CHECK(a->memory_limit == b->memory_limit);
  /* The seed travels as 63 bits, of which a worker uses 31. */
  FUZZ_CHECK((a->seed & 0x7fffffffffffffffULL) == b->seed);
  FUZZ_CHECK(a->ninputs == b->ninputs);
  for (i = 0; i < a->ninputs; i++)
    fuzz_check_same_dataset(&a->inputs[i], &b->inputs[i]);
  FUZZ_CHECK(same_string(a->sql, b->sql));
  FUZZ_CHECK(same_string(a->partition_key, b->partition_key));
  FUZZ_CHECK(!a->range == !b->range);
  FUZZ_CHECK(strcmp(a->parquet.compression, b->parquet.compression) == 0);
  FUZZ_CHECK(a->parquet.compression_level == b->parquet.compression_level);
  FUZZ_CHECK(a->parquet.row_group_size == b->parquet.row_group_size);
  FUZZ_CHECK(!a->parquet.no_dictionary == !b->parquet.no_dictionary);
  FUZZ_CHECK(same_string(a->batch_fn, b->batch_fn));
  FUZZ_CHECK(!a->batch_fn || (a->batch_size == b->batch_size &&
                              a->batch_mode == b->batch_mode));
  FUZZ_CHECK(a->ndims == b->ndims);
  for (i = 0; i < a->ndims; i++) {
    FUZZ_CHECK(strcmp(a->dim_names[i], b->dim_names[i]) == 0);
    FUZZ_CHECK(a->dim_index[i] == b->dim_index[i]);
  }
}

/* What a worker builds from d before DuckDB sees anything: each input's
 * SELECT, the query over the inputs' views (task_sql.c) and the COPY
 * options. */
static void use(const sp_task_desc *d)
{
  sp_template_vars vars = {0};
  sp_buf query = SP_BUF_INIT, names_text = SP_BUF_INIT;
  const char **names = NULL;
  sp_error *err = NULL;
  sp_status st, check;
  size_t i, *at = NULL;

  for (i = 0; i < d->ninputs; i++)
    fuzz_use_dataset(&d->inputs[i]);
  sp_exec_parquet_options(d, d->kind == SP_TASK_SHUFFLE, NULL, &query);
  FUZZ_CHECK(!sp_buf_oom(&query));
  if (!d->sql)
    goto out;
  if (d->ninputs && (!(names = sp_calloc(d->ninputs, sizeof(*names))) ||
                     !(at = sp_calloc(d->ninputs, sizeof(*at)))))
    abort();
  for (i = 0; i < d->ninputs; i++) {
    at[i] = names_text.len;
    sp_input_view_name(&names_text, i);
    sp_buf_putc(&names_text, '\0');
  }
  for (i = 0; i < d->ninputs; i++)
    names[i] = names_text.data + at[i];
  vars.partition = d->partition;
  vars.rand_seed = (uint32_t)(d->seed & 0x7fffffff);
  vars.dim_names = d->dim_names;
  vars.dim_index = d->dim_index;
  vars.ndims = d->ndims;
  sp_buf_reset(&query);
  st = sp_template_expand(d->sql, names, d->ninputs, &vars, &query, &err);
  fuzz_check_error(st, &err);
  check = sp_template_expand(d->sql, NULL, d->ninputs, &vars, NULL, &err);
  fuzz_check_error(check, &err);
  FUZZ_CHECK(st == check);
out:
  sp_free(names);
  sp_free(at);
  sp_buf_release(&names_text);
  sp_buf_release(&query);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  json_t *j = fuzz_recv_json(data, size), *sent = NULL, *again = NULL, *j2;
  sp_task_desc d, d2;
  sp_error *err = NULL;
  char *text = NULL;
  sp_status st;

  if (!j)
    return 0;
  st = sp_task_desc_from_json(j, &d, &err);
  fuzz_check_error(st, &err);
  if (st != SP_OK)
    goto out;
  FUZZ_CHECK(d.kind >= SP_TASK_SOURCE && d.kind <= SP_TASK_BATCH);
  FUZZ_CHECK(d.kind != SP_TASK_BATCH || d.batch_fn);
  /* The driver's side: encode, and send as one frame of compact JSON. */
  FUZZ_CHECK((sent = sp_task_desc_to_json(&d)) != NULL);
  FUZZ_CHECK((text = json_dumps(sent, JSON_COMPACT)) != NULL);
  FUZZ_CHECK((again = fuzz_recv_json((const uint8_t *)text,
                                     strlen(text))) != NULL);
  st = sp_task_desc_from_json(again, &d2, &err);
  fuzz_check_error(st, &err);
  FUZZ_CHECK(st == SP_OK);
  check_same(&d, &d2);
  FUZZ_CHECK((j2 = sp_task_desc_to_json(&d2)) != NULL);
  FUZZ_CHECK(json_equal(sent, j2));
  json_decref(j2);
  sp_task_desc_release(&d2);
  use(&d);
  sp_task_desc_release(&d);
out:
  free(text); /* from jansson */
  json_decref(again);
  json_decref(sent);
  json_decref(j);
  return 0;
}
