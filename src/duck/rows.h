/*
 * rows.h - reading finished outputs back as text rows (for sp_take).
 *
 * This runs in the driver, on a short-lived DuckDB instance of its own.
 */
#ifndef SP_DUCK_ROWS_H
#define SP_DUCK_ROWS_H

#include "plan/dataset.h"
#include "smallpond.h"

struct sp_rows {
  size_t nrows, ncols;
  char **names;  /* ncols */
  char **types;  /* ncols, DuckDB type names */
  char **values; /* nrows * ncols, row-major; NULL for SQL NULL */
};

/* Reads up to limit rows of the concatenation of d, in order, as shape
 * gives them (sp_input_select_shaped; NULL: as they are), with every value
 * cast to VARCHAR. *out is freed with sp_rows_free(). */
sp_status sp_rows_read(const sp_dataset *d, int64_t limit, const char *shape,
                       sp_rows **out, sp_error **err);

#endif
