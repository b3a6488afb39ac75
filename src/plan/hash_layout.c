/*
 * hash_layout.c - hash layouts (see hash_layout.h).
 */
#include "plan/hash_layout.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"

#define MAX_COLUMNS 64

char *sp_hash_layout_new(const char *dimension, const char *const *by,
                         size_t nby, int partitions)
{
  json_t *o = json_pack("{s:s, s:[], s:i}", "dimension", dimension, "by",
                        "partitions", partitions);
  json_t *cols = json_object_get(o, "by");
  char *dumped, *text = NULL;
  size_t i;

  for (i = 0; o && i < nby; i++)
    if (json_array_append_new(cols, json_string(by[i]))) {
      json_decref(o);
      return NULL;
    }
  if (!o || !(dumped = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS))) {
    json_decref(o);
    return NULL;
  }
  text = sp_strdup(dumped);
  free(dumped); /* jansson's */
  json_decref(o);
  return text;
}

/* The layout in text, checked; NULL when it is not one. */
static json_t *parse(const char *text)
{
  json_t *o = text ? json_loads(text, 0, NULL) : NULL, *c;
  const char *dim = NULL;
  json_t *by = NULL;
  json_int_t n = 0;
  size_t i;

  if (!o || json_unpack(o, "{s:s, s:o, s:I !}", "dimension", &dim, "by", &by,
                        "partitions", &n) ||
      !*dim || !json_is_array(by) || json_array_size(by) == 0 ||
      json_array_size(by) > MAX_COLUMNS || n < 2 ||
      n > SP_HASH_LAYOUT_MAX_PARTITIONS)
    goto bad;
  json_array_foreach(by, i, c)
    if (!json_string_length(c))
      goto bad;
  return o;
bad:
  json_decref(o);
  return NULL;
}

int sp_hash_layout_check(const char *text, const char *dimension,
                         int partitions)
{
  json_t *o = parse(text);
  int ok = o &&
           (!dimension ||
            strcmp(json_string_value(json_object_get(o, "dimension")),
                   dimension) == 0) &&
           (!partitions ||
            json_integer_value(json_object_get(o, "partitions")) ==
                partitions);

  json_decref(o);
  return ok;
}

int sp_hash_layout_read(const char *text, char **dimension, int *partitions)
{
  json_t *o = parse(text);
  int r = -1;

  *dimension = NULL;
  *partitions = 0;
  if (o && (*dimension = sp_strdup(json_string_value(
                json_object_get(o, "dimension"))))) {
    *partitions = (int)json_integer_value(json_object_get(o, "partitions"));
    r = 0;
  }
  json_decref(o);
  return r;
}

int sp_hash_layout_hashed_on(const char *text, const char *column)
{
  json_t *o = parse(text), *by = json_object_get(o, "by");
  int on = json_array_size(by) == 1 &&
           strcasecmp(json_string_value(json_array_get(by, 0)), column) == 0;

  json_decref(o);
  return on;
}
