/*
 * input.c - datasets as SQL (see input.h).
 */
#include "exec/input.h"

#include <inttypes.h>
#include <stdio.h>

static void append_options(sp_buf *b, const sp_piece *p)
{
  if (!p->user)
    sp_buf_puts(b, ", hive_partitioning = false");
}

void sp_input_select(sp_buf *b, const sp_dataset *d)
{
  size_t i = 0, j;

  while (i < d->len) {
    const sp_piece *p = &d->pieces[i];

    if (i > 0)
      sp_buf_puts(b, "\nUNION ALL\n");
    if (sp_piece_is_range(p)) {
      sp_buf_puts(b, "SELECT * EXCLUDE (file_row_number) FROM read_parquet(");
      sp_buf_append_literal(b, p->path);
      sp_buf_puts(b, ", file_row_number = true");
      append_options(b, p);
      sp_buf_appendf(b, ") WHERE file_row_number >= %" PRId64
                     " AND file_row_number < %" PRId64, p->begin, p->end);
      i++;
      continue;
    }
    /* A run of whole files with the same reading options. */
    for (j = i; j < d->len && !sp_piece_is_range(&d->pieces[j]) &&
                d->pieces[j].user == p->user;
         j++)
      ;
    sp_buf_puts(b, "SELECT * FROM read_parquet([");
    for (size_t k = i; k < j; k++) {
      if (k > i)
        sp_buf_puts(b, ", ");
      sp_buf_append_literal(b, d->pieces[k].path);
    }
    sp_buf_puts(b, "]");
    append_options(b, p);
    sp_buf_puts(b, ")");
    i = j;
  }
}

void sp_input_view_name(sp_buf *b, size_t i)
{
  char name[32];

  snprintf(name, sizeof(name), "__sp_input_%zu", i);
  sp_buf_append_ident(b, name);
}
