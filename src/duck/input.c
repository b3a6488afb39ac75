/*
 * input.c - datasets as SQL (see input.h).
 */
#include "duck/input.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "plan/reader.h"
#include "util/error.h"

/* A piece's reader, parsed and checked (plan/reader.h). */
typedef struct reader {
  sp_reader_format format;
  json_t *spec; /* NULL: Parquet with defaults */
} reader;

static sp_status reader_parse(const char *text, reader *r, sp_error **err)
{
  return sp_reader_parse(text, &r->format, &r->spec, err);
}

static int spec_flag(const reader *r, const char *key)
{
  return json_is_true(json_object_get(r->spec, key));
}

/* <option> = {'a': 'BIGINT', ...} from [["a", "BIGINT"], ...]. */
static void append_typed(sp_buf *b, const char *option, const json_t *columns)
{
  size_t i;
  json_t *c;

  sp_buf_appendf(b, ", %s = {", option);
  json_array_foreach(columns, i, c) {
    if (i)
      sp_buf_puts(b, ", ");
    sp_buf_append_literal(b, json_string_value(json_array_get(c, 0)));
    sp_buf_puts(b, ": ");
    sp_buf_append_literal(b, json_string_value(json_array_get(c, 1)));
  }
  sp_buf_puts(b, "}");
}

static void append_reader_call_ex(sp_buf *b, const reader *r,
                                  const sp_piece *pieces, size_t n,
                                  int row_numbers, int by_name);

/* read_xxx([files...], options) for n pieces' files. */
static void append_reader_call(sp_buf *b, const reader *r,
                               const sp_piece *pieces, size_t n,
                               int row_numbers)
{
  append_reader_call_ex(b, r, pieces, n, row_numbers, 0);
}

static void append_reader_call_ex(sp_buf *b, const reader *r,
                                  const sp_piece *pieces, size_t n,
                                  int row_numbers, int by_name)
{
  static const char *const functions[] = {"read_parquet", "read_csv",
                                          "read_json"};
  const char *delim;
  size_t i;

  sp_buf_appendf(b, "%s([", functions[r->format]);
  for (i = 0; i < n; i++) {
    if (i)
      sp_buf_puts(b, ", ");
    sp_buf_append_literal(b, pieces[i].path);
  }
  sp_buf_puts(b, "]");
  switch (r->format) {
  case SP_READ_PARQUET:
    /* Hive detection would turn folder names with '=' into columns, and
     * only for the pieces that share a call: never guess. */
    sp_buf_puts(b, ", hive_partitioning = false");
    if (by_name || spec_flag(r, "union_by_name"))
      sp_buf_puts(b, ", union_by_name = true");
    if (spec_flag(r, "filename"))
      sp_buf_puts(b, ", filename = true");
    if (row_numbers || spec_flag(r, "file_row_number"))
      sp_buf_puts(b, ", file_row_number = true");
    break;
  case SP_READ_CSV:
    if (spec_flag(r, "detect")) {
      /* Types by name; the dialect found per file, as DuckDB does. */
      append_typed(b, "types", json_object_get(r->spec, "columns"));
      sp_buf_puts(b, ", hive_partitioning = false");
      break;
    }
    append_typed(b, "columns", json_object_get(r->spec, "columns"));
    delim = json_string_value(json_object_get(r->spec, "delimiter"));
    sp_buf_puts(b, ", delim = ");
    sp_buf_append_literal(b, delim ? delim : ",");
    /* Without auto-detection DuckDB also drops the quote and escape
     * characters; standard CSV doubles quotes inside quoted fields. */
    sp_buf_appendf(b, ", header = %s, quote = '\"', escape = '\"', "
                   "auto_detect = false",
                   spec_flag(r, "header") ? "true" : "false");
    break;
  case SP_READ_JSON:
    append_typed(b, "columns", json_object_get(r->spec, "columns"));
    sp_buf_puts(b, spec_flag(r, "detect")
                       ? ", hive_partitioning = false"
                       : ", format = 'newline_delimited'");
    break;
  }
  sp_buf_puts(b, ")");
}

/* The select list: the reader's projection, else every column but the
 * file_row_number a range read added for itself. With a schema the
 * projection is the block's (append_block), and each piece gives all its
 * columns. */
static void append_projection(sp_buf *b, const reader *r, int drop_row_number)
{
  const json_t *cols = json_object_get(r->spec, "columns");
  size_t i;
  json_t *c;

  /* Detected, a file's columns come in its own order: by name. */
  if (r->format == SP_READ_CSV && spec_flag(r, "detect")) {
    json_array_foreach(cols, i, c) {
      if (i)
        sp_buf_puts(b, ", ");
      sp_buf_append_ident(b, json_string_value(json_array_get(c, 0)));
    }
    return;
  }
  if (r->format != SP_READ_PARQUET || !json_array_size(cols) ||
      json_object_get(r->spec, "schema")) {
    sp_buf_puts(b, drop_row_number ? "* EXCLUDE (file_row_number)" : "*");
    return;
  }
  json_array_foreach(cols, i, c) {
    if (i)
      sp_buf_puts(b, ", ");
    sp_buf_append_ident(b, json_string_value(c));
  }
  if (spec_flag(r, "filename"))
    sp_buf_puts(b, ", filename");
  if (spec_flag(r, "file_row_number"))
    sp_buf_puts(b, ", file_row_number");
}

/* One piece's row range. Only Parquet has row ranges, except the empty
 * range that stands for "this file's columns, no rows". */
static sp_status append_range(sp_buf *b, const sp_piece *p, const reader *r,
                              sp_error **err)
{
  int keep = spec_flag(r, "file_row_number");

  if (r->format != SP_READ_PARQUET && p->end > p->begin)
    return sp_error_set(err, SP_EINVAL, "%s: row ranges need Parquet files",
                        p->path);
  sp_buf_puts(b, "SELECT ");
  append_projection(b, r, r->format == SP_READ_PARQUET && !keep);
  sp_buf_puts(b, " FROM ");
  append_reader_call(b, r, p, 1, r->format == SP_READ_PARQUET);
  if (r->format != SP_READ_PARQUET)
    sp_buf_puts(b, " WHERE false"); /* LIMIT would apply to the union */
  else
    sp_buf_appendf(b, " WHERE file_row_number >= %" PRId64
                   " AND file_row_number < %" PRId64, p->begin, p->end);
  return SP_OK;
}

static int same_reader(const sp_piece *a, const sp_piece *b)
{
  return a->reader == b->reader ||
         (a->reader && b->reader && strcmp(a->reader, b->reader) == 0);
}

/* Appends pieces[0..n), all read alike by r, each run of whole files in
 * one call (which matches columns by name) and each range on its own,
 * joined by name: files may order their columns differently. */
static sp_status append_pieces(sp_buf *b, const sp_piece *pieces, size_t n,
                               const reader *r, sp_error **err)
{
  sp_status st = SP_OK;
  size_t i = 0, j;

  while (i < n && st == SP_OK) {
    if (i > 0)
      sp_buf_puts(b, "\nUNION ALL BY NAME\n");
    if (sp_piece_is_range(&pieces[i])) {
      st = append_range(b, &pieces[i], r, err);
      i++;
      continue;
    }
    for (j = i; j < n && !sp_piece_is_range(&pieces[j]); j++)
      ;
    sp_buf_puts(b, "SELECT ");
    append_projection(b, r, 0);
    sp_buf_puts(b, " FROM ");
    /* Files smallpond wrote may come from different steps (a union):
     * unify their columns by name and type, not by the first file. */
    append_reader_call_ex(b, r, &pieces[i], j - i, 0,
                          j - i > 1 && !pieces[i].user);
    i = j;
  }
  return st;
}

/* Appends pieces[0..n), all read alike by r. With a schema, a relation of
 * no rows and the schema's columns comes first: united with it by name,
 * every partition has every column, NULL where its files lack one, and
 * the schema's types; the projection then picks from them. */
static sp_status append_block(sp_buf *b, const sp_piece *pieces, size_t n,
                              const reader *r, sp_error **err)
{
  const json_t *schema = json_object_get(r->spec, "schema"), *c;
  const json_t *cols = json_object_get(r->spec, "columns");
  sp_status st;
  size_t i;

  if (!schema)
    return append_pieces(b, pieces, n, r, err);
  sp_buf_puts(b, "SELECT ");
  if (!json_array_size(cols))
    sp_buf_puts(b, "*");
  json_array_foreach(cols, i, c) {
    sp_buf_puts(b, i ? ", " : "");
    sp_buf_append_ident(b, json_string_value(c));
  }
  if (json_array_size(cols) && spec_flag(r, "filename"))
    sp_buf_puts(b, ", filename");
  if (json_array_size(cols) && spec_flag(r, "file_row_number"))
    sp_buf_puts(b, ", file_row_number");
  sp_buf_puts(b, " FROM (SELECT ");
  json_array_foreach(schema, i, c) {
    sp_buf_puts(b, i ? ", " : "");
    /* The type passed sp_reader_check: only a type's characters. */
    sp_buf_appendf(b, "CAST(NULL AS %s) AS ",
                   json_string_value(json_array_get(c, 1)));
    sp_buf_append_ident(b, json_string_value(json_array_get(c, 0)));
  }
  sp_buf_puts(b, " WHERE false\nUNION ALL BY NAME\n");
  st = append_pieces(b, pieces, n, r, err);
  sp_buf_puts(b, ")");
  return st;
}

sp_status sp_input_select(sp_buf *b, const sp_dataset *d, sp_error **err)
{
  sp_status st = SP_OK;
  size_t i = 0, j;

  if (d->len == 0)
    return sp_error_set(err, SP_EINTERNAL, "a dataset without files");
  while (i < d->len && st == SP_OK) {
    reader r;

    if ((st = reader_parse(d->pieces[i].reader, &r, err)) != SP_OK)
      break;
    for (j = i; j < d->len && same_reader(&d->pieces[i], &d->pieces[j]); j++)
      ;
    if (i > 0)
      sp_buf_puts(b, "\nUNION ALL BY NAME\n");
    st = append_block(b, &d->pieces[i], j - i, &r, err);
    json_decref(r.spec);
    i = j;
  }
  return st ? st : sp_buf_oom(b) ? sp_error_oom(err) : SP_OK;
}

sp_status sp_input_select_shaped(sp_buf *b, const sp_dataset *d,
                                 const char *shape, sp_error **err)
{
  sp_status st;

  if (!shape)
    return sp_input_select(b, d, err);
  sp_buf_puts(b, "WITH " SP_INPUT_RAW " AS (\n");
  if ((st = sp_input_select(b, d, err)) != SP_OK)
    return st;
  sp_buf_appendf(b, "\n)\n%s", shape);
  return sp_buf_oom(b) ? sp_error_oom(err) : SP_OK;
}

void sp_input_view_name(sp_buf *b, size_t i)
{
  char name[32];

  snprintf(name, sizeof(name), "{%zu}", i);
  sp_buf_append_ident(b, name);
}
