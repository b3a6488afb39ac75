/*
 * rows.c - the rows sp_take returns: accessors and printing.
 */
#include <string.h>

#include "duck/rows.h"
#include "util/alloc.h"

size_t sp_rows_count(const sp_rows *rows) { return rows ? rows->nrows : 0; }

size_t sp_rows_column_count(const sp_rows *rows)
{
  return rows ? rows->ncols : 0;
}

const char *sp_rows_column_name(const sp_rows *rows, size_t col)
{
  return rows && col < rows->ncols ? rows->names[col] : NULL;
}

const char *sp_rows_column_type(const sp_rows *rows, size_t col)
{
  return rows && col < rows->ncols ? rows->types[col] : NULL;
}

const char *sp_rows_value(const sp_rows *rows, size_t row, size_t col)
{
  if (!rows || row >= rows->nrows || col >= rows->ncols)
    return NULL;
  return rows->values[row * rows->ncols + col];
}

static void print_cell(FILE *f, const char *s, size_t width, int last)
{
  size_t n = strlen(s);

  fputs(s, f);
  if (!last)
    for (; n < width + 2; n++)
      fputc(' ', f);
}

void sp_rows_print(const sp_rows *rows, FILE *f)
{
  size_t *width, r, c;

  if (!rows || !rows->ncols)
    return;
  if (!(width = sp_calloc(rows->ncols, sizeof(*width))))
    return;
  for (c = 0; c < rows->ncols; c++) {
    width[c] = strlen(rows->names[c]);
    for (r = 0; r < rows->nrows; r++) {
      const char *v = sp_rows_value(rows, r, c);
      size_t n = strlen(v ? v : "NULL");
      if (n > width[c])
        width[c] = n;
    }
  }
  for (c = 0; c < rows->ncols; c++)
    print_cell(f, rows->names[c], width[c], c + 1 == rows->ncols);
  fputc('\n', f);
  for (r = 0; r < rows->nrows; r++) {
    for (c = 0; c < rows->ncols; c++) {
      const char *v = sp_rows_value(rows, r, c);
      print_cell(f, v ? v : "NULL", width[c], c + 1 == rows->ncols);
    }
    fputc('\n', f);
  }
  fprintf(f, "(%zu row%s)\n", rows->nrows, rows->nrows == 1 ? "" : "s");
  sp_free(width);
}

void sp_rows_free(sp_rows **rows)
{
  sp_rows *r;
  size_t i;

  if (!rows || !*rows)
    return;
  r = *rows;
  *rows = NULL;
  for (i = 0; i < r->nrows * r->ncols; i++)
    sp_free(r->values[i]);
  for (i = 0; i < r->ncols; i++) {
    sp_free(r->names ? r->names[i] : NULL);
    sp_free(r->types ? r->types[i] : NULL);
  }
  sp_free(r->values);
  sp_free(r->names);
  sp_free(r->types);
  sp_free(r);
}
