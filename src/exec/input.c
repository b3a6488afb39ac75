/*
 * input.c - datasets as SQL (see input.h).
 */
#include "exec/input.h"

#include <inttypes.h>
#include <stdio.h>

/* Hive detection would turn folder names with '=' into columns, and only
 * for the pieces that happen to share a read_parquet: never guess. */
static const char read_options[] = ", hive_partitioning = false";

void sp_input_select(sp_buf *b, const sp_dataset *d)
{
  size_t i = 0, j;

  while (i < d->len) {
    const sp_piece *p = &d->pieces[i];

    if (i > 0) /* by name: files may order their columns differently */
      sp_buf_puts(b, "\nUNION ALL BY NAME\n");
    if (sp_piece_is_range(p)) {
      sp_buf_puts(b, "SELECT * EXCLUDE (file_row_number) FROM read_parquet(");
      sp_buf_append_literal(b, p->path);
      sp_buf_puts(b, ", file_row_number = true");
      sp_buf_puts(b, read_options);
      sp_buf_appendf(b, ") WHERE file_row_number >= %" PRId64
                     " AND file_row_number < %" PRId64, p->begin, p->end);
      i++;
      continue;
    }
    /* A run of whole files: one read_parquet, which matches by name. */
    for (j = i; j < d->len && !sp_piece_is_range(&d->pieces[j]); j++)
      ;
    sp_buf_puts(b, "SELECT * FROM read_parquet([");
    for (size_t k = i; k < j; k++) {
      if (k > i)
        sp_buf_puts(b, ", ");
      sp_buf_append_literal(b, d->pieces[k].path);
    }
    sp_buf_puts(b, "]");
    sp_buf_puts(b, read_options);
    sp_buf_puts(b, ")");
    i = j;
  }
}

void sp_input_view_name(sp_buf *b, size_t i)
{
  char name[32];

  snprintf(name, sizeof(name), "{%zu}", i);
  sp_buf_append_ident(b, name);
}
