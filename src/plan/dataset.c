/*
 * dataset.c - datasets and their JSON form (see dataset.h).
 */
#include "plan/dataset.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/reader.h"
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

  /* Counts come from messages and state.jsonl: a sum past 64 bits is as
   * unknown as a missing count, and never a signed overflow. */
  for (i = 0; i < d->len; i++) {
    if (d->pieces[i].rows < 0 || d->pieces[i].rows > INT64_MAX - total)
      return -1;
    total += d->pieces[i].rows;
  }
  return total;
}

/* One piece as JSON, its defaults left out; NULL when out of memory. */
static json_t *piece_to_json(const sp_piece *p)
{
  json_t *o = json_pack("{s:s, s:I}", "path", p->path, "rows",
                        (json_int_t)p->rows);
  char footer[17];

  if (!o)
    return NULL;
  snprintf(footer, sizeof(footer), "%016" PRIx64, p->fingerprint.footer);
  if ((sp_piece_is_range(p) &&
       (json_object_set_new(o, "begin", json_integer(p->begin)) ||
        json_object_set_new(o, "end", json_integer(p->end)))) ||
      (p->user && json_object_set_new(o, "user", json_true())) ||
      (p->reader &&
       json_object_set_new(o, "reader", json_loads(p->reader, 0, NULL))) ||
      (p->fingerprint.bytes > 0 &&
       (json_object_set_new(o, "bytes", json_integer(p->fingerprint.bytes)) ||
        json_object_set_new(o, "footer", json_string(footer))))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *sp_dataset_to_json(const sp_dataset *d)
{
  json_t *arr = json_array();
  size_t i;

  for (i = 0; arr && i < d->len; i++)
    if (json_array_append_new(arr, piece_to_json(&d->pieces[i]))) {
      json_decref(arr);
      return NULL;
    }
  return arr;
}

/* Reads "<16 hex digits>" into *out; 0 if s is not that. */
static int parse_footer(const char *s, uint64_t *out)
{
  size_t i;

  *out = 0;
  for (i = 0; s[i]; i++) {
    int c = s[i];
    int v = c >= '0' && c <= '9' ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0 || i >= 16)
      return 0;
    *out = *out << 4 | (uint64_t)v;
  }
  return i == 16;
}

/* Decodes and checks piece i, o, into *p (strings borrowed from o, but
 * the reader: a new string to free with free()). */
static sp_status piece_from_json(const json_t *o, size_t i, sp_piece *p,
                                 sp_error **err)
{
  json_int_t rows = -1, begin = 0, end = -1, bytes = 0;
  const char *path = NULL, *footer = NULL, *why = NULL;
  json_t *reader = NULL;
  json_error_t jerr;
  int user = 0;

  if (json_unpack_ex((json_t *)o, &jerr, JSON_STRICT,
                     "{s:s, s?I, s?I, s?I, s?b, s?o, s?I, s?s}", "path",
                     &path, "rows", &rows, "begin", &begin, "end", &end,
                     "user", &user, "reader", &reader, "bytes", &bytes,
                     "footer", &footer))
    return sp_error_set(err, SP_EINVAL, "dataset: piece %zu: %s", i,
                        jerr.text);
  if (!*path)
    why = "an empty path";
  else if (rows < -1)
    why = "rows below -1";
  else if (end != -1 && (begin < 0 || end < begin))
    why = "a row range that is not 0 <= begin <= end";
  else if (end == -1 && begin != 0)
    why = "a begin without an end";
  else if (bytes < 0 || (bytes > 0) != (footer != NULL))
    why = "bytes and footer not given together";
  else if (footer && !parse_footer(footer, &p->fingerprint.footer))
    why = "a footer that is not 16 hex digits";
  if (why)
    return sp_error_set(err, SP_EINVAL, "dataset: piece %zu has %s", i, why);
  if (reader && sp_reader_check(reader, err) != SP_OK) {
    sp_error_prefix(err, "dataset: piece %zu", i);
    return SP_EINVAL;
  }
  p->path = (char *)path;
  p->rows = rows;
  p->begin = begin;
  p->end = end;
  p->user = user;
  p->fingerprint.bytes = bytes;
  p->reader = NULL;
  if (reader &&
      !(p->reader = json_dumps(reader, JSON_COMPACT | JSON_SORT_KEYS)))
    return sp_error_oom(err);
  return SP_OK;
}

sp_status sp_dataset_from_json(const json_t *j, sp_dataset *out,
                               sp_error **err)
{
  sp_status st = SP_OK;
  size_t i;
  json_t *o;

  memset(out, 0, sizeof(*out));
  if (!json_is_array(j))
    return sp_error_set(err, SP_EINVAL, "dataset: not a JSON array");
  json_array_foreach(j, i, o) {
    sp_piece p = {0};
    if ((st = piece_from_json(o, i, &p, err)) == SP_OK)
      st = sp_dataset_add(out, &p, err);
    free(p.reader); /* from jansson; the dataset keeps its own copy */
    if (st != SP_OK) {
      sp_dataset_release(out);
      return st;
    }
  }
  return SP_OK;
}
