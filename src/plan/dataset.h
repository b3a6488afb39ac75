/*
 * dataset.h - a list of Parquet files and row ranges.
 */
#ifndef SP_PLAN_DATASET_H
#define SP_PLAN_DATASET_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "io/parquet.h"
#include "smallpond.h"

typedef struct sp_piece {
  char *path;    /* absolute, or a URL (io/remote.h) */
  int64_t rows;  /* rows in the piece, -1 when unknown */
  int64_t begin; /* first row of a range; 0 for a whole file */
  int64_t end;   /* end of a range (exclusive), -1 for the whole file */
  int user;      /* a user's input file (not checked on resume); else a
                    file smallpond wrote */
  char *reader;  /* how to read the file, as compact JSON (see
                    plan/reader.h); NULL: Parquet with defaults */
  sp_fingerprint fingerprint; /* a file smallpond wrote, as written, for
                                 checking it before reuse; zero: unknown */
} sp_piece;

typedef struct sp_dataset {
  sp_piece *pieces;
  size_t len, cap;
} sp_dataset;

/* Appends a copy of p (its path and reader are copied). */
sp_status sp_dataset_add(sp_dataset *d, const sp_piece *p, sp_error **err);
/* Appends copies of every piece of src. */
sp_status sp_dataset_extend(sp_dataset *d, const sp_dataset *src,
                            sp_error **err);
void sp_dataset_release(sp_dataset *d);
/* Releases an array of n datasets and the array itself. */
void sp_datasets_free(sp_dataset *ds, size_t n);

/* Total rows, or -1 when any piece's count is unknown or the total does
 * not fit in an int64_t. */
int64_t sp_dataset_rows(const sp_dataset *d);

static inline int sp_piece_is_range(const sp_piece *p) { return p->end >= 0; }

/* JSON: [{"path": ..., "rows": n, "begin": b, "end": e, "user": true,
 * "reader": {...}, "bytes": n, "footer": "<16 hex digits>"}, ...], with
 * begin/end/user/reader/bytes/footer omitted at their defaults. */
json_t *sp_dataset_to_json(const sp_dataset *d);

/* Decodes and checks j into *out (zeroed here; release it): every piece
 * an object with a non-empty path, counts in range (-1 <= rows, 0 <=
 * begin <= end for a range), a valid reader (plan/reader.h). Fails with
 * SP_EINVAL naming the piece and what is wrong. */
sp_status sp_dataset_from_json(const json_t *j, sp_dataset *out,
                               sp_error **err);

#endif
