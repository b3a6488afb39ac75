/*
 * partition.c - partition assignment (see partition.h).
 */
#include "plan/partition.h"

#include "util/alloc.h"
#include "util/error.h"

/* Gives every empty partition an empty range of the first input file. */
static sp_status fill_empty(const sp_dataset *in, int n, sp_dataset *out,
                            sp_error **err)
{
  sp_piece schema = in->pieces[0];
  sp_status st;
  int k;

  schema.rows = 0;
  schema.begin = 0;
  schema.end = 0;

  for (k = 0; k < n; k++)
    if (out[k].len == 0 && (st = sp_dataset_add(&out[k], &schema, err)))
      return st;
  return SP_OK;
}

/* Ends a split: on success every empty partition gets its schema piece;
 * on failure (st) everything is freed. Returns the final status. */
static sp_status split_finish(const sp_dataset *in, int n, sp_dataset **out,
                              sp_status st, sp_error **err)
{
  if (st == SP_OK)
    st = fill_empty(in, n, *out, err);
  if (st != SP_OK) {
    sp_datasets_free(*out, (size_t)n);
    *out = NULL;
  }
  return st;
}

static sp_status split_start(const sp_dataset *in, int n, sp_dataset **out,
                             sp_error **err)
{
  *out = NULL;
  if (n < 1)
    return sp_error_set(err, SP_EINVAL, "number of partitions must be >= 1, "
                        "got %d", n);
  if (in->len == 0)
    return sp_error_set(err, SP_EINTERNAL, "cannot split an empty dataset");
  if (!(*out = sp_calloc((size_t)n, sizeof(**out))))
    return sp_error_oom(err);
  return SP_OK;
}

sp_status sp_split_by_files(const sp_dataset *in, int n, sp_dataset **out,
                            sp_error **err)
{
  size_t base, extra, next = 0;
  sp_status st;
  int k;

  if ((st = split_start(in, n, out, err)) != SP_OK)
    return st;
  base = in->len / (size_t)n;
  extra = in->len % (size_t)n;
  for (k = 0; k < n && st == SP_OK; k++) {
    size_t count = base + ((size_t)k < extra), i;
    for (i = 0; i < count && st == SP_OK; i++, next++)
      st = sp_dataset_add(&(*out)[k], &in->pieces[next], err);
  }
  return split_finish(in, n, out, st, err);
}

sp_status sp_split_by_assignment(const sp_dataset *in, int n,
                                 const int *partition_of, sp_dataset **out,
                                 sp_error **err)
{
  sp_status st;
  size_t i;

  if ((st = split_start(in, n, out, err)) != SP_OK)
    return st;
  for (i = 0; i < in->len && st == SP_OK; i++) {
    if (partition_of[i] < 0 || partition_of[i] >= n)
      st = sp_error_set(err, SP_EINVAL, "partition %d for %s is out of "
                        "range 0-%d", partition_of[i], in->pieces[i].path,
                        n - 1);
    else
      st = sp_dataset_add(&(*out)[partition_of[i]], &in->pieces[i], err);
  }
  return split_finish(in, n, out, st, err);
}

sp_status sp_split_by_rows(const sp_dataset *in, int n, sp_dataset **out,
                           sp_error **err)
{
  int64_t remaining = sp_dataset_rows(in), offset = 0;
  size_t i = 0;
  sp_status st;
  int k;

  if (remaining < 0)
    return sp_error_set(err, SP_EINTERNAL, "split by rows: unknown row count");
  if ((st = split_start(in, n, out, err)) != SP_OK)
    return st;
  /* offset: rows of pieces[i] already handed out, relative to its start. */
  for (k = 0; k < n; k++) {
    int64_t want = (remaining + (n - k) - 1) / (n - k);
    remaining -= want;
    while (want > 0) {
      const sp_piece *p = &in->pieces[i];
      int64_t avail = p->rows - offset, take = want < avail ? want : avail;
      int64_t first = p->begin + offset;
      sp_piece r = *p;

      r.rows = take;
      r.begin = first;
      r.end = first + take;
      if (take == p->rows && !sp_piece_is_range(p)) {
        r.begin = 0;
        r.end = -1; /* a whole file stays whole: cheaper to read */
      }
      if (take > 0 && (st = sp_dataset_add(&(*out)[k], &r, err)))
        goto done;
      want -= take;
      offset += take;
      if (offset == p->rows) {
        i++;
        offset = 0;
      }
    }
  }
done:
  return split_finish(in, n, out, st, err);
}
