/*
 * fs.h - file system helpers.
 *
 * Every function that can fail takes an sp_error ** and names the path at
 * fault in its message.
 */
#ifndef SP_IO_FS_H
#define SP_IO_FS_H

#include <stddef.h>
#include <stdint.h>

#include "smallpond.h"
#include "util/buf.h"

/* Creates path and any missing parents (mode 0777 before umask). */
sp_status sp_mkdir_p(const char *path, sp_error **err);

/* Removes path and everything below it; a missing path is not an error. */
sp_status sp_rm_rf(const char *path, sp_error **err);

/* Sets *has to 1 if path is a folder with entries, 0 if it is an empty
 * folder or does not exist. Fails if path is something else or cannot be
 * read. */
sp_status sp_dir_has_entries(const char *path, int *has, sp_error **err);

/* Sets *n to the number of entries of folder path, counting up to limit;
 * 0 when path does not exist. Fails as sp_dir_has_entries does. */
sp_status sp_dir_count(const char *path, size_t limit, size_t *n,
                       sp_error **err);

/* Splits path into its parent folder and last component, ignoring trailing
 * slashes: "a/b/" -> "a", "b"; "b" -> ".", "b". Both are appended. */
void sp_path_split(const char *path, sp_buf *parent, sp_buf *base);

/* Checks that path could be created: its nearest existing ancestor is a
 * folder this process may write into. */
sp_status sp_check_creatable(const char *path, sp_error **err);

/* Checks that path can take a job's output: it is an empty folder (or a
 * symbolic link to one), or it does not exist and could be created. Fails
 * naming path: SP_EEXIST when it has entries or is not a folder, SP_EINVAL
 * when it is a link to nothing or remote (io/remote.h). */
sp_status sp_check_output_dir(const char *path, sp_error **err);

/* rename(2) that never replaces anything at to: -1 with errno EEXIST when
 * to exists (also an empty folder, which rename(2) would replace). Where
 * the file system cannot promise that (NFS), a check just before. 0 or -1
 * with errno, as rename(2). */
int sp_rename_new(const char *from, const char *to);

/* Renames every entry of folder from_dir into folder to_dir (same file
 * system), all or nothing: on failure what was moved is moved back. */
sp_status sp_move_entries(const char *from_dir, const char *to_dir,
                          sp_error **err);

/* 1 if path exists (any type), else 0. */
int sp_path_exists(const char *path);

/* Makes dst a hard link to src, or a copy when they are on different file
 * systems. dst must not exist. */
sp_status sp_link_or_copy(const char *src, const char *dst, sp_error **err);

/* Writes len bytes to path atomically: into path.tmp.<pid>, fsync, then
 * rename over path. */
sp_status sp_write_file_atomic(const char *path, const void *data, size_t len,
                               sp_error **err);

/* Reads the whole file into a NUL-terminated string (*out, caller frees with
 * sp_free). */
sp_status sp_read_file(const char *path, char **out, size_t *len,
                       sp_error **err);

/* The bytes path takes on disk, a folder with all below it, links not
 * followed (as du counts them); 0 when it does not exist. */
int64_t sp_disk_bytes(const char *path);

/* Size of a regular file in bytes, or -1 (with err). */
int64_t sp_file_size(const char *path, sp_error **err);

/* Checks that path, with every symbolic link in it resolved, names an
 * existing file inside the folder dir (resolved as well). Fails with
 * SP_EINVAL naming path when it resolves elsewhere, SP_EIO when it cannot
 * be resolved. On success *real (may be NULL) gets the resolved path, for
 * the caller to free with sp_free. */
sp_status sp_path_check_inside(const char *path, const char *dir,
                               char **real, sp_error **err);

/* An absolute, normalized form of path (which must exist); caller frees
 * with sp_free. */
sp_status sp_realpath(const char *path, char **out, sp_error **err);

#endif
