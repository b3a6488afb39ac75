/*
 * desc.c - task descriptors and results as JSON (see desc.h).
 */
#include "plan/desc.h"

#include <stdio.h>
#include <string.h>

#include "plan/hash_layout.h"
#include "util/alloc.h"
#include "util/error.h"

int sp_task_kind_from_name(const char *s)
{
  int k;

  for (k = SP_TASK_SOURCE; k <= SP_TASK_BATCH; k++)
    if (strcmp(s, sp_task_kind_name((sp_task_kind)k)) == 0)
      return k;
  return -1;
}

/* [dataset, ...] for n datasets, or NULL when out of memory. */
static json_t *datasets_to_json(const sp_dataset *ds, size_t n)
{
  json_t *arr = json_array();
  size_t i;

  if (!arr)
    return NULL;
  for (i = 0; i < n; i++) {
    json_t *d = sp_dataset_to_json(&ds[i]);
    if (!d || json_array_append_new(arr, d)) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static sp_status datasets_from_json(const json_t *j, sp_dataset **out,
                                    size_t *n, sp_error **err)
{
  size_t i, len = json_array_size(j);
  sp_status st;

  *out = NULL;
  *n = 0;
  if (!json_is_array(j))
    return sp_error_set(err, SP_EINTERNAL, "expected an array of datasets");
  if (len && !(*out = sp_calloc(len, sizeof(**out))))
    return sp_error_oom(err);
  for (i = 0; i < len; i++) {
    if ((st = sp_dataset_from_json(json_array_get(j, i), &(*out)[i], err))) {
      sp_datasets_free(*out, i);
      *out = NULL;
      return st;
    }
  }
  *n = len;
  return SP_OK;
}

static json_t *parquet_to_json(const sp_parquet_settings *pq)
{
  return json_pack("{s:s, s:i, s:I, s:b}", "compression", pq->compression,
                   "level", pq->compression_level, "row_group_size",
                   (json_int_t)pq->row_group_size, "no_dictionary",
                   pq->no_dictionary);
}

static json_t *dims_to_json(const sp_task_desc *d)
{
  json_t *arr = json_array();
  size_t i;

  for (i = 0; arr && i < d->ndims; i++)
    if (json_array_append_new(arr, json_pack("[s, i]", d->dim_names[i],
                                             d->dim_index[i]))) {
      json_decref(arr);
      return NULL;
    }
  return arr;
}

json_t *sp_task_desc_to_json(const sp_task_desc *d)
{
  json_t *o, *inputs = datasets_to_json(d->inputs, d->ninputs);

  if (!inputs)
    return NULL;
  /* "o" steals the reference, also when json_pack fails. */
  o = json_pack("{s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:i, s:I, s:I, s:o}",
                "kind", sp_task_kind_name(d->kind), "key", d->key, "attempt",
                d->attempt, "partition", d->partition, "slots", d->nslots,
                "out", d->out, "tmp_dir", d->tmp_dir, "threads",
                d->threads, "memory_limit", (json_int_t)d->memory_limit,
                "seed", (json_int_t)(d->seed & 0x7fffffffffffffffULL),
                "inputs", inputs);
  if (o &&
      ((d->sql && json_object_set_new(o, "sql", json_string(d->sql))) ||
       (d->partition_key &&
        json_object_set_new(o, "partition_key",
                            json_string(d->partition_key))) ||
       (d->range && json_object_set_new(o, "range", json_true())) ||
       json_object_set_new(o, "parquet", parquet_to_json(&d->parquet)) ||
       (d->batch_fn &&
        json_object_set_new(o, "batch",
                            json_pack("{s:s, s:I, s:i}", "fn", d->batch_fn,
                                      "size", (json_int_t)d->batch_size, "mode",
                                      d->batch_mode))) ||
       (d->ndims && json_object_set_new(o, "dims", dims_to_json(d))) ||
       (d->hash_layout &&
        json_object_set_new(o, "hash_layout", json_string(d->hash_layout))))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static sp_status parquet_from_json(const json_t *j, sp_parquet_settings *pq,
                                   sp_error **err)
{
  const char *codec = NULL;
  json_int_t rows = 0;

  memset(pq, 0, sizeof(*pq));
  if (!j) /* the defaults */
    return SP_OK;
  /* The codec goes into the worker's COPY options: a known name only. */
  if (json_unpack((json_t *)j, "{s:s, s:i, s:I, s:b}", "compression", &codec,
                  "level", &pq->compression_level, "row_group_size", &rows,
                  "no_dictionary", &pq->no_dictionary) ||
      (*codec && !sp_parquet_codec_known(codec)) ||
      pq->compression_level < 0 || pq->compression_level > 22 || rows < 0)
    return sp_error_set(err, SP_EINTERNAL, "malformed Parquet settings");
  snprintf(pq->compression, sizeof(pq->compression), "%s", codec);
  pq->row_group_size = rows;
  return SP_OK;
}

static sp_status dims_from_json(const json_t *j, sp_task_desc *d,
                                sp_error **err)
{
  size_t n = json_array_size(j), i;

  if (!n)
    return SP_OK;
  d->dim_names = sp_calloc(n, sizeof(*d->dim_names));
  d->dim_index = sp_calloc(n, sizeof(*d->dim_index));
  if (!d->dim_names || !d->dim_index)
    return sp_error_oom(err);
  for (i = 0; i < n; i++)
    if (json_unpack(json_array_get(j, i), "[s, i]", &d->dim_names[i],
                    &d->dim_index[i]))
      return sp_error_set(err, SP_EINTERNAL, "malformed dimension");
  d->ndims = n;
  return SP_OK;
}

sp_status sp_task_desc_from_json(json_t *j, sp_task_desc *d, sp_error **err)
{
  const char *kind = NULL;
  json_t *inputs = NULL, *parquet = NULL, *dims = NULL, *batch = NULL;
  json_int_t mem = 0, seed = 0;
  sp_status st;
  int k;

  memset(d, 0, sizeof(*d));
  if (json_unpack(j, "{s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:i, s:I, s:I, "
                  "s:o, s?s, s?s, s?b, s?o, s?o, s?o, s?s}",
                  "kind", &kind, "key", &d->key, "attempt", &d->attempt,
                  "partition", &d->partition, "slots", &d->nslots, "out",
                  &d->out, "tmp_dir", &d->tmp_dir, "threads", &d->threads,
                  "memory_limit", &mem, "seed", &seed, "inputs", &inputs,
                  "sql", &d->sql, "partition_key", &d->partition_key,
                  "range", &d->range, "parquet", &parquet, "dims", &dims,
                  "batch", &batch, "hash_layout", &d->hash_layout))
    return sp_error_set(err, SP_EINTERNAL, "malformed task descriptor");
  if (d->hash_layout && !sp_hash_layout_check(d->hash_layout, NULL, 0))
    return sp_error_set(err, SP_EINTERNAL, "task descriptor: malformed "
                        "layout");
  if ((k = sp_task_kind_from_name(kind)) < 0)
    return sp_error_set(err, SP_EINTERNAL, "unknown task kind '%s'", kind);
  if (d->attempt < 0 || d->partition < 0 || d->nslots < 0 ||
      d->threads < 0 || mem < 0)
    return sp_error_set(err, SP_EINTERNAL, "task descriptor: attempt, "
                        "partition, slots, threads or memory_limit out of "
                        "range");
  if (k == SP_TASK_SHUFFLE &&
      (!d->partition_key || (d->range && json_array_size(inputs) != 2)))
    return sp_error_set(err, SP_EINTERNAL, "shuffle task without a "
                        "partition key, or range shuffle without bounds");
  d->kind = (sp_task_kind)k;
  if (batch) {
    json_int_t size = 0;
    if (json_unpack(batch, "{s:s, s:I, s:i}", "fn", &d->batch_fn, "size",
                    &size, "mode", &d->batch_mode) || size < 1)
      return sp_error_set(err, SP_EINTERNAL, "malformed batch step");
    d->batch_size = size;
  } else if (k == SP_TASK_BATCH) {
    return sp_error_set(err, SP_EINTERNAL, "batch task without a function");
  }
  d->memory_limit = mem;
  d->seed = (uint64_t)seed;
  if ((st = parquet_from_json(parquet, &d->parquet, err)) != SP_OK ||
      (st = dims_from_json(dims, d, err)) != SP_OK ||
      (st = datasets_from_json(inputs, &d->inputs, &d->ninputs, err))) {
    sp_task_desc_release(d);
    return st;
  }
  return SP_OK;
}

void sp_task_desc_release(sp_task_desc *d)
{
  sp_free(d->dim_names);
  sp_free(d->dim_index);
  sp_datasets_free(d->inputs, d->ninputs);
  memset(d, 0, sizeof(*d));
}

json_t *sp_task_result_to_json(const sp_task_result *r)
{
  json_t *outs = datasets_to_json(r->outputs, (size_t)r->noutputs), *o;

  if (!outs)
    return NULL;
  o = json_pack("{s:s, s:i, s:i, s:o, s:I, s:I}", "key", r->key, "attempt",
                r->attempt, "status", (int)r->status, "outputs", outs, "rows",
                (json_int_t)r->rows, "elapsed_us", (json_int_t)r->elapsed_us);
  if (!o)
    return NULL;
  if ((r->error && json_object_set_new(o, "error", json_string(r->error))) ||
      (r->error_sql &&
       json_object_set_new(o, "error_sql", json_string(r->error_sql)))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

sp_status sp_task_result_from_json(json_t *j, sp_task_result *r,
                                   sp_error **err)
{
  const char *key = NULL, *error = NULL, *error_sql = NULL;
  json_int_t rows = -1, elapsed = 0;
  json_t *outs = NULL;
  size_t n = 0;
  int status = 0;
  sp_status st;

  memset(r, 0, sizeof(*r));
  if (json_unpack(j, "{s:s, s:i, s:i, s:o, s:I, s:I, s?s, s?s}", "key", &key,
                  "attempt", &r->attempt, "status", &status, "outputs", &outs,
                  "rows", &rows, "elapsed_us", &elapsed, "error", &error,
                  "error_sql", &error_sql))
    return sp_error_set(err, SP_EINTERNAL, "malformed task result");
  r->status = (sp_status)status;
  r->rows = rows;
  r->elapsed_us = elapsed;
  if ((st = datasets_from_json(outs, &r->outputs, &n, err)) != SP_OK)
    return st;
  r->noutputs = (int)n;
  if (!(r->key = sp_strdup(key)) || (error && !(r->error = sp_strdup(error))) ||
      (error_sql && !(r->error_sql = sp_strdup(error_sql)))) {
    sp_task_result_release(r);
    return sp_error_oom(err);
  }
  return SP_OK;
}

void sp_task_result_release(sp_task_result *r)
{
  sp_datasets_free(r->outputs, (size_t)r->noutputs);
  sp_free(r->key);
  sp_free(r->error);
  sp_free(r->error_sql);
  memset(r, 0, sizeof(*r));
}
