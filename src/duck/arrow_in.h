/*
 * arrow_in.h - an Arrow C stream written to a Parquet file (for
 * sp_from_arrow). Runs in the driver, on a short-lived DuckDB of its own.
 */
#ifndef SP_DUCK_ARROW_IN_H
#define SP_DUCK_ARROW_IN_H

#include <stdint.h>

#include "smallpond.h"

/* Consumes and releases stream, writing its rows to the Parquet file path;
 * *rows receives their number. A stream without batches may not have
 * columns of nested types (lists, structs, maps): that fails naming the
 * column. */
sp_status sp_arrow_stream_to_parquet(struct ArrowArrayStream *stream,
                                     const char *path, int64_t *rows,
                                     sp_error **err);

#endif
