/*
 * input.h - a dataset as SQL: the text of a SELECT over its files and row
 * ranges, built only with quoting helpers.
 */
#ifndef SP_DUCK_INPUT_H
#define SP_DUCK_INPUT_H

#include "plan/dataset.h"
#include "util/buf.h"

/* Appends to b a SELECT of every row of d, in piece order. Whole files that
 * follow each other and are read alike share one reader call; a Parquet
 * row range reads its file with file_row_number and filters on it; pieces
 * are combined by column name. Hive partitioning is off, so folder names
 * never turn into columns. Fails on an empty dataset, an unknown reader,
 * or a row range of a CSV or JSON file. A piece's reader (sp_piece.reader)
 * is described in plan/reader.h. */
sp_status sp_input_select(sp_buf *b, const sp_dataset *d, sp_error **err);

/* The name sp_input_select_shaped gives the rows of the dataset. */
#define SP_INPUT_RAW "__sp_raw"

/* Appends to b the rows of d as shape gives them: a SELECT over
 * SP_INPUT_RAW (the rows as sp_input_select reads them), or NULL for
 * those rows as they are. */
sp_status sp_input_select_shaped(sp_buf *b, const sp_dataset *d,
                                 const char *shape, sp_error **err);

/* The name of input view i, quoted: "{<i>}", so that DuckDB's messages
 * show the placeholder the user wrote. */
void sp_input_view_name(sp_buf *b, size_t i);

#endif
