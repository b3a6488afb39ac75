/*
 * glob.h - listing the input files of a source.
 */
#ifndef SP_IO_GLOB_H
#define SP_IO_GLOB_H

#include <stddef.h>
#include <stdint.h>

#include "smallpond.h"

typedef struct sp_file_info {
  char *path;       /* absolute, or a URL (io/remote.h) */
  int64_t size;     /* bytes */
  int64_t mtime_ns; /* last modification, for task keys */
} sp_file_info;

typedef struct sp_file_list {
  sp_file_info *items;
  size_t len, cap;
} sp_file_list;

/* Expands each entry of patterns (a path, or a glob with * ? [...]) into
 * regular files, and returns them sorted and without duplicates in *out
 * (which must be zeroed). With recursive, a "**" path component matches
 * any number of folders, zero included (one "**" per pattern; hidden files
 * and folders are skipped, as by *). An entry that matches nothing fails
 * with SP_ENOENT naming it; a folder, or a file whose path has * ? or [
 * (DuckDB would expand it again), fails with SP_EINVAL. Local paths only:
 * a remote one (io/remote.h) fails with SP_EINTERNAL, as DuckDB lists
 * those (duck/files.h). */
sp_status sp_list_files(const char *const *patterns, size_t npatterns,
                        int recursive, sp_file_list *out, sp_error **err);

/* Sorts list by path and drops repeated paths. */
void sp_file_list_sort(sp_file_list *list);

void sp_file_list_release(sp_file_list *list);

#endif
