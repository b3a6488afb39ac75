/*
 * dataset.c - datasets and their JSON form (see dataset.h).
 */
#include "plan/dataset.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

sp_status sp_dataset_add(sp_dataset *d, const sp_piece *p, sp_error **err)
{
  sp_piece *n;

  if (sp_grow((void **)&d->pieces, &d->cap, d->len + 1, sizeof(*d->pieces)))
    return sp_error_oom(err);
  n = &d->pieces[d->len];
  *n = *p;
  n->reader = NULL;
  if (!(n->path = sp_strdup(p->path)))
    return sp_error_oom(err);
  if (p->reader && !(n->reader = sp_strdup(p->reader))) {
    sp_free(n->path);
    return sp_error_oom(err);
  }
  d->len++;
  return SP_OK;
}

sp_status sp_dataset_extend(sp_dataset *d, const sp_dataset *src,
                            sp_error **err)
{
  size_t i;
  sp_status st;

  for (i = 0; i < src->len; i++)
    if ((st = sp_dataset_add(d, &src->pieces[i], err)) != SP_OK)
      return st;
  return SP_OK;
}

void sp_dataset_release(sp_dataset *d)
{
  size_t i;

  for (i = 0; i < d->len; i++) {
    sp_free(d->pieces[i].path);
    sp_free(d->pieces[i].reader);
  }
  sp_free(d->pieces);
  memset(d, 0, sizeof(*d));
}

void sp_datasets_free(sp_dataset *ds, size_t n)
{
  size_t i;

  if (!ds)
    return;
  for (i = 0; i < n; i++)
    sp_dataset_release(&ds[i]);
  sp_free(ds);
}

int64_t sp_dataset_rows(const sp_dataset *d)
{
  int64_t total = 0;
  size_t i;

  for (i = 0; i < d->len; i++) {
    if (d->pieces[i].rows < 0)
      return -1;
    total += d->pieces[i].rows;
  }
  return total;
}

json_t *sp_dataset_to_json(const sp_dataset *d)
{
  json_t *arr = json_array();
  size_t i;

  if (!arr)
    return NULL;
  for (i = 0; i < d->len; i++) {
    const sp_piece *p = &d->pieces[i];
    json_t *o = json_pack("{s:s, s:I}", "path", p->path, "rows",
                          (json_int_t)p->rows);
    if (!o)
      goto out_fail;
    if (sp_piece_is_range(p) &&
        (json_object_set_new(o, "begin", json_integer(p->begin)) ||
         json_object_set_new(o, "end", json_integer(p->end)))) {
      json_decref(o);
      goto out_fail;
    }
    if (p->user && json_object_set_new(o, "user", json_true())) {
      json_decref(o);
      goto out_fail;
    }
    if (p->reader &&
        json_object_set_new(o, "reader", json_loads(p->reader, 0, NULL))) {
      json_decref(o);
      goto out_fail;
    }
    if (json_array_append_new(arr, o))
      goto out_fail;
  }
  return arr;

out_fail:
  json_decref(arr);
  return NULL;
}

sp_status sp_dataset_from_json(const json_t *j, sp_dataset *out,
                               sp_error **err)
{
  size_t i;
  json_t *o;
  sp_status st;

  memset(out, 0, sizeof(*out));
  if (!json_is_array(j))
    return sp_error_set(err, SP_EINTERNAL, "dataset: expected a JSON array");
  json_array_foreach(j, i, o) {
    sp_piece p = {NULL, -1, 0, -1, 0, NULL};
    json_int_t rows = -1, begin = 0, end = -1;
    int user = 0;
    const char *path = NULL;
    json_t *reader = NULL;

    if (json_unpack(o, "{s:s, s?I, s?I, s?I, s?b, s?o}", "path", &path,
                    "rows", &rows, "begin", &begin, "end", &end, "user", &user,
                    "reader", &reader) ||
        (reader && !json_is_object(reader))) {
      sp_dataset_release(out);
      return sp_error_set(err, SP_EINTERNAL, "dataset: malformed piece %zu",
                          i);
    }
    if (reader &&
        !(p.reader = json_dumps(reader, JSON_COMPACT | JSON_SORT_KEYS))) {
      sp_dataset_release(out);
      return sp_error_oom(err);
    }
    p.path = (char *)path;
    p.rows = rows;
    p.begin = begin;
    p.end = end;
    p.user = user;
    st = sp_dataset_add(out, &p, err);
    free(p.reader); /* from jansson; the dataset keeps its own copy */
    if (st != SP_OK) {
      sp_dataset_release(out);
      return st;
    }
  }
  return SP_OK;
}
