/*
 * reader.c - reader specs (see reader.h).
 */
#include "plan/reader.h"

#include <ctype.h>
#include <string.h>

#include "util/error.h"

static const char *const formats[] = {"parquet", "csv", "json"};

/* The keys a spec may have, and the formats (a bit each) that take them. */
typedef enum key_kind {
  KEY_FORMAT, KEY_COLUMNS, KEY_FLAG, KEY_TEXT, KEY_SCHEMA
} key_kind;
#define ALL 7u
#define PARQUET (1u << SP_READ_PARQUET)
#define CSV (1u << SP_READ_CSV)
#define JSON (1u << SP_READ_JSON)

static const struct spec_key {
  const char *name;
  key_kind kind;
  unsigned formats;
} keys[] = {
  {"format", KEY_FORMAT, ALL},
  {"columns", KEY_COLUMNS, ALL},
  {"union_by_name", KEY_FLAG, PARQUET},
  {"filename", KEY_FLAG, PARQUET},
  {"file_row_number", KEY_FLAG, PARQUET},
  {"header", KEY_FLAG, CSV},
  {"delimiter", KEY_TEXT, CSV},
  {"detect", KEY_FLAG, CSV | JSON},
  {"schema", KEY_SCHEMA, PARQUET},
};

/* The format named name, or -1. */
static int format_of(const char *name)
{
  size_t i;

  for (i = 0; name && i < sizeof(formats) / sizeof(formats[0]); i++)
    if (strcmp(name, formats[i]) == 0)
      return (int)i;
  return -1;
}

/* 1 if s is a non-empty string. */
static int is_name(const json_t *s)
{
  return json_is_string(s) && json_string_length(s) > 0;
}

/* 1 if t can be pasted into SQL as a type, as sp_duck_type_sql spells
 * one: words, digits, spaces and '.', double-quoted names ("" for a
 * quote), and ( ) [ ] that balance, with ',' only inside them. Pasted into
 * CAST(NULL AS <t>), it can then never close that CAST: no string,
 * comment, FROM or second statement can hide in it, and DuckDB takes only
 * constants as type modifiers. */
static int is_type(const json_t *type)
{
  const char *t = json_string_value(type);
  char open[64];
  size_t depth = 0;

  if (!t || !*t)
    return 0;
  for (; *t; t++) {
    if (*t == '"') {
      for (t++; *t && !(t[0] == '"' && t[1] != '"'); t += t[0] == '"' ? 2 : 1)
        ;
      if (!*t)
        return 0;
    } else if (*t == '(' || *t == '[') {
      if (depth == sizeof(open))
        return 0;
      open[depth++] = *t;
    } else if (*t == ')' || *t == ']') {
      if (depth == 0 || open[--depth] != (*t == ')' ? '(' : '['))
        return 0;
    } else if (*t == ',' ? depth == 0
                          : !isalnum((unsigned char)*t) && !strchr(" _.", *t)) {
      return 0;
    }
  }
  return depth == 0;
}

/* Checks "schema": [name, type] pairs of types SQL may hold as they are. */
static sp_status check_schema(const json_t *schema, sp_error **err)
{
  size_t i;
  json_t *c;

  if (!json_is_array(schema) || json_array_size(schema) == 0)
    return sp_error_set(err, SP_EINVAL, "reader: schema is not a non-empty "
                        "array");
  json_array_foreach(schema, i, c)
    if (!json_is_array(c) || json_array_size(c) != 2 ||
        !is_name(json_array_get(c, 0)) || !is_type(json_array_get(c, 1)))
      return sp_error_set(err, SP_EINVAL, "reader: schema column %zu is not "
                          "a [name, type] pair", i);
  return SP_OK;
}

/* Checks "columns": names (Parquet) or [name, type] pairs. */
static sp_status check_columns(const json_t *cols, sp_reader_format format,
                               sp_error **err)
{
  size_t i;
  json_t *c;

  if (!json_is_array(cols))
    return sp_error_set(err, SP_EINVAL, "reader: columns is not an array");
  if (format != SP_READ_PARQUET && json_array_size(cols) == 0)
    return sp_error_set(err, SP_EINVAL, "reader: %s needs columns",
                        formats[format]);
  json_array_foreach(cols, i, c) {
    int ok = format == SP_READ_PARQUET
                 ? is_name(c)
                 : json_is_array(c) && json_array_size(c) == 2 &&
                       is_name(json_array_get(c, 0)) &&
                       is_name(json_array_get(c, 1));
    if (!ok)
      return sp_error_set(err, SP_EINVAL, "reader: column %zu is not %s", i,
                          format == SP_READ_PARQUET ? "a name"
                                                    : "a [name, type] pair");
  }
  return SP_OK;
}

sp_status sp_reader_check(const json_t *spec, sp_error **err)
{
  int f = format_of(json_string_value(json_object_get(spec, "format")));
  const char *key;
  sp_status st;
  json_t *v;
  size_t i;

  if (!json_is_object(spec) || f < 0)
    return sp_error_set(err, SP_EINVAL, "reader: not an object with a "
                        "format: parquet, csv or json");
  if (f != SP_READ_PARQUET && !json_object_get(spec, "columns"))
    return sp_error_set(err, SP_EINVAL, "reader: %s needs columns",
                        formats[f]);
  json_object_foreach((json_t *)spec, key, v) {
    const struct spec_key *k = NULL;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && !k; i++)
      if (strcmp(key, keys[i].name) == 0)
        k = &keys[i];
    if (!k)
      return sp_error_set(err, SP_EINVAL, "reader: unknown key '%s'", key);
    if (!(k->formats & (1u << f)))
      return sp_error_set(err, SP_EINVAL, "reader: %s does not apply to %s",
                          key, formats[f]);
    if (k->kind == KEY_COLUMNS &&
        (st = check_columns(v, (sp_reader_format)f, err)) != SP_OK)
      return st;
    if (k->kind == KEY_SCHEMA && (st = check_schema(v, err)) != SP_OK)
      return st;
    if (k->kind == KEY_FLAG && !json_is_boolean(v))
      return sp_error_set(err, SP_EINVAL, "reader: %s is not true or false",
                          key);
    if (k->kind == KEY_TEXT && !is_name(v))
      return sp_error_set(err, SP_EINVAL, "reader: %s is not a non-empty "
                          "string", key);
  }
  /* Detected per file, the dialect is DuckDB's to find. */
  if (json_is_true(json_object_get(spec, "detect")) &&
      (json_object_get(spec, "delimiter") || json_object_get(spec, "header")))
    return sp_error_set(err, SP_EINVAL, "reader: detect excludes delimiter "
                        "and header");
  return SP_OK;
}

sp_status sp_reader_parse(const char *text, sp_reader_format *format,
                          json_t **spec, sp_error **err)
{
  sp_status st;

  *format = SP_READ_PARQUET;
  *spec = NULL;
  if (!text)
    return SP_OK;
  if (!(*spec = json_loads(text, 0, NULL)))
    return sp_error_set(err, SP_EINVAL, "reader: not JSON: %s", text);
  if ((st = sp_reader_check(*spec, err)) != SP_OK) {
    json_decref(*spec);
    *spec = NULL;
    return st;
  }
  *format = (sp_reader_format)format_of(
      json_string_value(json_object_get(*spec, "format")));
  return SP_OK;
}

int sp_reader_is_parquet(const char *text)
{
  sp_reader_format format;
  json_t *spec;

  if (sp_reader_parse(text, &format, &spec, NULL) != SP_OK)
    return 0;
  json_decref(spec);
  return format == SP_READ_PARQUET;
}
