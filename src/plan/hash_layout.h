/*
 * hash_layout.h - a hash layout: the rows of partition p of a DataFrame are
 * those whose hash(by...) % partitions is p, along its one dimension. A
 * hash repartition makes one; sp_write_parquet records it in each file's
 * Parquet metadata (key SP_HASH_LAYOUT_KEY), so that a later read of the files,
 * and the SQL planner's joins, know the data is hashed already. Spelled
 * as compact JSON: {"dimension": "...", "by": ["k", ...],
 * "partitions": n}. Every layout read from a file is checked here.
 */
#ifndef SP_PLAN_HASH_LAYOUT_H
#define SP_PLAN_HASH_LAYOUT_H

#include <stddef.h>

/* The metadata key: ':' cannot be in a dimension's name, so it is apart
 * from the SMALLPOND:<dimension> keys of the partition indexes. */
#define SP_HASH_LAYOUT_KEY "SMALLPOND::hash"

/* The layout text of a hash on by[0..nby) into partitions along
 * dimension: for the caller to free with sp_free; NULL when out of
 * memory. */
char *sp_hash_layout_new(const char *dimension, const char *const *by,
                         size_t nby, int partitions);

/* 1 when text is a well-formed layout along dimension (NULL: any) into
 * partitions (0: any): a dimension name, 1 to 64 non-empty column names,
 * and 2 to SP_HASH_LAYOUT_MAX_PARTITIONS partitions. */
#define SP_HASH_LAYOUT_MAX_PARTITIONS 1000000
int sp_hash_layout_check(const char *text, const char *dimension,
                         int partitions);

/* The dimension and partition count of a layout text that passed
 * sp_hash_layout_check: *dimension a copy for the caller to sp_free. 0, or -1
 * when out of memory. */
int sp_hash_layout_read(const char *text, char **dimension, int *partitions);

/* 1 when the layout text hashes on exactly the one column, compared
 * without regard to case (DuckDB's column names). */
int sp_hash_layout_hashed_on(const char *text, const char *column);

#endif
