/*
 * partition_keys.h - which partition each file of a partitioned output
 * belongs to (for sp_read_options.partitioned_by), and the hash layout
 * the files record. Runs in the driver, on a short-lived DuckDB of its
 * own.
 */
#ifndef SP_DUCK_PARTITION_KEYS_H
#define SP_DUCK_PARTITION_KEYS_H

#include <duckdb.h>
#include <stddef.h>
#include <stdint.h>

#include "smallpond.h"

/* Sets keys[i] to the index of paths[i] along `dimension`: from a hive
 * folder "<dimension>=<i>" in its path, else from its Parquet key-value
 * metadata "SMALLPOND:<dimension>". Fails naming a file that has neither,
 * or whose index is not in [0, npartitions). */
sp_status sp_read_partition_keys(const char *const *paths, size_t n,
                                 const char *dimension, int npartitions,
                                 int *keys, sp_error **err);

/* The hash layout (plan/hash_layout.h) that every one of paths[0..n)
 * records in its Parquet metadata, the same in all: *layout, for the
 * caller to free with sp_free; NULL when any file lacks it or they
 * differ. con: a driver-side connection to read with, or NULL for a
 * short-lived DuckDB of its own. Fails only when out of memory or DuckDB
 * does not open. */
sp_status sp_read_hash_layout(duckdb_connection con, const char *const *paths,
                              size_t n, char **layout, sp_error **err);

#endif
