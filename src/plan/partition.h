/*
 * partition.h - pure partition assignment: which files and row ranges go
 * to which partition. No I/O; row counts must already be known for rows.
 */
#ifndef SP_PLAN_PARTITION_H
#define SP_PLAN_PARTITION_H

#include "plan/dataset.h"

/* Splits in's pieces into n contiguous groups of whole pieces; the first
 * (len % n) groups get one piece more (NumPy array_split). *out receives an
 * array of n datasets (free with sp_datasets_free). A partition that gets no
 * piece receives an empty row range of in's first file, so that it still
 * has the input's schema. in must not be empty. */
sp_status sp_split_by_files(const sp_dataset *in, int n, sp_dataset **out,
                            sp_error **err);

/* Splits the rows of in into n contiguous ranges of near-equal size across
 * piece boundaries: partition k takes ceil(remaining / (n - k)) rows. Every
 * piece's row count must be known. Empty partitions as above. */
sp_status sp_split_by_rows(const sp_dataset *in, int n, sp_dataset **out,
                           sp_error **err);

/* Splits in's pieces into n datasets by partition_of[i] (the partition of
 * piece i, in [0, n)). Empty partitions as above. Fails naming a piece
 * whose partition is out of range. */
sp_status sp_split_by_assignment(const sp_dataset *in, int n,
                                 const int *partition_of, sp_dataset **out,
                                 sp_error **err);

#endif
