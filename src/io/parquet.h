/*
 * parquet.h - what the driver checks of a Parquet file without DuckDB.
 */
#ifndef SP_IO_PARQUET_H
#define SP_IO_PARQUET_H

#include <stdint.h>

#include "smallpond.h"

/* A Parquet file's fingerprint: its size and a hash of its footer (the
 * file metadata: schema, row groups with their offsets, sizes and
 * statistics). Cheap to take (two reads at the end of the file) and it
 * changes when the file is cut short, extended or rewritten. */
typedef struct sp_fingerprint {
  int64_t bytes;   /* the file's size; 0: not taken */
  uint64_t footer; /* hash of the footer and its length */
} sp_fingerprint;

/* Takes path's fingerprint into *out. Fails with SP_EIO naming the file
 * when it cannot be read or does not end like a Parquet file. */
sp_status sp_parquet_fingerprint(const char *path, sp_fingerprint *out,
                                 sp_error **err);

#endif
