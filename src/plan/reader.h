/*
 * reader.h - how a piece's file is read: its reader spec, compact JSON
 * carried in sp_piece.reader, in task descriptors and in state.jsonl.
 *
 *   NULL                                Parquet, DuckDB's defaults
 *   {"format": "parquet", "columns": ["a", "b"], "union_by_name": true,
 *    "filename": true, "file_row_number": true,
 *    "schema": [["a", "BIGINT"], ["b", "VARCHAR"]]}   all keys optional
 *
 * A Parquet "schema" is what every partition reads, whichever of the
 * files it got: the files' columns united by name (duck/union_schema.h),
 * those a file lacks read as NULL. Its types are pasted into SQL, so only
 * the characters a type is spelled with are accepted.
 *   {"format": "csv", "columns": [["a", "BIGINT"], ...],
 *    "delimiter": ",", "header": false}
 *   {"format": "json", "columns": [["a", "BIGINT"], ...]}  (one object a
 *                                                           line)
 * With "detect": true (CSV and JSON, without delimiter and header), DuckDB
 * detects each file's dialect as it reads it (delimiter, quoting, header;
 * JSON's layout), as its own read of many files does, and "columns" are
 * the types it must give the columns of those names, in that order.
 *
 * A spec comes back from files and messages, so it is checked whole before
 * anything reads it: duck/input.c then renders it to SQL without doubt.
 */
#ifndef SP_PLAN_READER_H
#define SP_PLAN_READER_H

#include <jansson.h>

#include "smallpond.h"

typedef enum sp_reader_format {
  SP_READ_PARQUET,
  SP_READ_CSV,
  SP_READ_JSON
} sp_reader_format;

/* Checks spec: an object with a known "format"; only the keys that format
 * takes, each of its type (flags true or false, a non-empty delimiter);
 * Parquet's "columns" non-empty names, CSV's and JSON's (required) pairs
 * of a non-empty name and type. Fails with SP_EINVAL saying what is
 * wrong. */
sp_status sp_reader_check(const json_t *spec, sp_error **err);

/* Parses and checks text (NULL: Parquet with defaults): *format, and
 * *spec a new reference (NULL for NULL text) for the caller to release. */
sp_status sp_reader_parse(const char *text, sp_reader_format *format,
                          json_t **spec, sp_error **err);

/* 1 if a piece with this reader is a Parquet file (row ranges possible);
 * 0 for other formats and for a reader that does not check. */
int sp_reader_is_parquet(const char *text);

#endif
