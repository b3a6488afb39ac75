/*
 * tpch.h - data shaped like TPC-H's (the same eight tables, keys, column
 * names and types, and sizes scaled the same way), made by DuckDB SQL of
 * our own from a seed: not dbgen's data, which the queries of the tests and
 * bench/sql.sh do not need, since they compare smallpond with DuckDB on
 * the same files.
 *
 * Sizes at scale factor sf: region 5, nation 25, supplier 10,000 sf,
 * customer 150,000 sf, part 200,000 sf, partsupp 4 per part, orders
 * 1,500,000 sf (a third of the customers have none), lineitem 1 to 7 per
 * order (about 6,000,000 sf). Values are pure functions of (seed, key).
 */
#ifndef SP_BENCH_TPCH_H
#define SP_BENCH_TPCH_H

#include <duckdb.h>
#include <stdint.h>

/* The tables, in the order tpch_write makes them. */
extern const char *const tpch_tables[8];

/* Writes each table as files Parquet files dir/<table>/part-<k>.parquet
 * (rows spread by a hash of the row's key; the small region and nation
 * tables in one file each), with DuckDB on con. dir must exist. 0, or -1
 * after printing DuckDB's message. */
int tpch_write(duckdb_connection con, const char *dir, double sf, int files,
               int64_t seed);

#endif
