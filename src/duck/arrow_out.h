/*
 * arrow_out.h - finished outputs as an Arrow C stream (for sp_to_arrow).
 *
 * Runs in the driver, on a DuckDB instance the stream owns until it is
 * released.
 */
#ifndef SP_DUCK_ARROW_OUT_H
#define SP_DUCK_ARROW_OUT_H

#include "plan/dataset.h"
#include "smallpond.h"

/* Fills *out with a stream over every row of d, in order, as shape gives
 * them (sp_input_select_shaped; NULL: as they are). */
sp_status sp_arrow_stream_open(const sp_dataset *d, const char *shape,
                               struct ArrowArrayStream *out, sp_error **err);

#endif
