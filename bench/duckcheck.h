/*
 * duckcheck.h - checking results against plain DuckDB: run a query
 * directly and compare row multisets. Used by the tests, the demo and the
 * benchmarks; not part of the library.
 */
#ifndef SP_BENCH_DUCKCHECK_H
#define SP_BENCH_DUCKCHECK_H

#include <duckdb.h>
#include <stddef.h>
#include <stdint.h>

/* An in-memory DuckDB with extension auto-loading off. 0 on success. */
int dc_open(duckdb_database *db, duckdb_connection *con);
void dc_close(duckdb_database *db, duckdb_connection *con);

/* Runs sql; on failure prints DuckDB's message to stderr and returns -1. */
int dc_exec(duckdb_connection con, const char *sql);

/* The first column of the first row as an integer (cast in SQL), or
 * INT64_MIN on failure. */
int64_t dc_i64(duckdb_connection con, const char *sql);

/* 1 if queries a and b return the same multiset of rows (by position, all
 * columns), 0 if not (a description goes to why), -1 on a query error. */
int dc_same_rows(duckdb_connection con, const char *a, const char *b,
                 char *why, size_t why_len);

/* The same, with DOUBLE and FLOAT columns (by the types of a) compared to
 * 9 significant digits: sums of doubles differ in their last digits with
 * the order of addition. */
int dc_same_rows_rounded(duckdb_connection con, const char *a,
                         const char *b, char *why, size_t why_len);

#endif
