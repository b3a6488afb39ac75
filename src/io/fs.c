/*
 * fs.c - file system helpers (see fs.h).
 */
#define _GNU_SOURCE /* renameat2 */
#include "io/fs.h"
#include "io/remote.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

sp_status sp_mkdir_p(const char *path, sp_error **err)
{
  char *p, *s;
  sp_status st = SP_OK;
  struct stat sb;

  if (!path || !*path)
    return sp_error_set(err, SP_EINVAL, "empty folder name");
  if (!(p = sp_strdup(path)))
    return sp_error_oom(err);
  for (s = p + 1; ; s++) {
    if (*s != '/' && *s != '\0')
      continue;
    char c = *s;
    *s = '\0';
    if (*p && mkdir(p, 0777) != 0 && errno != EEXIST) {
      st = sp_error_set(err, SP_EIO, "cannot create folder %s: %s", p,
                        strerror(errno));
      break;
    }
    *s = c;
    if (c == '\0')
      break;
  }
  if (st == SP_OK && stat(path, &sb) != 0)
    st = sp_error_set(err, SP_EIO, "cannot create folder %s: %s", path,
                      strerror(errno));
  else if (st == SP_OK && !S_ISDIR(sb.st_mode))
    st = sp_error_set(err, SP_EIO, "%s exists and is not a folder", path);
  sp_free(p);
  return st;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
  (void)sb;
  (void)ftw;
  if (flag == FTW_DP)
    return rmdir(path);
  return unlink(path);
}

sp_status sp_rm_rf(const char *path, sp_error **err)
{
  struct stat sb;

  if (lstat(path, &sb) != 0)
    return errno == ENOENT ? SP_OK
                           : sp_error_set(err, SP_EIO, "cannot remove %s: %s",
                                          path, strerror(errno));
  if (!S_ISDIR(sb.st_mode)) {
    if (unlink(path) != 0)
      return sp_error_set(err, SP_EIO, "cannot remove %s: %s", path,
                          strerror(errno));
    return SP_OK;
  }
  if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
    return sp_error_set(err, SP_EIO, "cannot remove %s: %s", path,
                        strerror(errno));
  return SP_OK;
}

sp_status sp_dir_count(const char *path, size_t limit, size_t *n,
                       sp_error **err)
{
  struct dirent *de;
  struct stat sb;
  DIR *d;

  *n = 0;
  if (stat(path, &sb) != 0)
    return errno == ENOENT ? SP_OK
                           : sp_error_set(err, SP_EIO, "cannot read %s: %s",
                                          path, strerror(errno));
  if (!S_ISDIR(sb.st_mode))
    return sp_error_set(err, SP_EEXIST, "%s exists and is not a folder",
                        path);
  if (!(d = opendir(path)))
    return errno == ENOENT ? SP_OK /* gone since */
                           : sp_error_set(err, SP_EIO, "cannot read %s: %s",
                                          path, strerror(errno));
  while (*n < limit && (de = readdir(d)))
    *n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
  closedir(d);
  return SP_OK;
}

sp_status sp_dir_has_entries(const char *path, int *has, sp_error **err)
{
  size_t n;
  sp_status st = sp_dir_count(path, 1, &n, err);

  *has = n > 0;
  return st;
}

void sp_path_split(const char *path, sp_buf *parent, sp_buf *base)
{
  size_t end = strlen(path), slash;

  while (end > 1 && path[end - 1] == '/')
    end--;
  for (slash = end; slash > 0 && path[slash - 1] != '/'; slash--)
    ;
  sp_buf_append(base, path + slash, end - slash);
  if (slash == 0)
    sp_buf_puts(parent, ".");
  else if (slash == 1)
    sp_buf_puts(parent, "/");
  else
    sp_buf_append(parent, path, slash - 1);
}

sp_status sp_check_creatable(const char *path, sp_error **err)
{
  sp_buf cur = SP_BUF_INIT, parent = SP_BUF_INIT, base = SP_BUF_INIT;
  sp_status st = SP_OK;
  struct stat sb;

  sp_buf_puts(&cur, path);
  for (;;) {
    sp_buf_reset(&parent);
    sp_buf_reset(&base);
    sp_path_split(cur.data, &parent, &base);
    if (sp_buf_oom(&parent) || sp_buf_oom(&base)) {
      st = sp_error_oom(err);
      break;
    }
    if (stat(parent.data, &sb) == 0) {
      if (!S_ISDIR(sb.st_mode))
        st = sp_error_set(err, SP_EIO, "cannot create %s: %s is not a "
                          "folder", path, parent.data);
      else if (access(parent.data, W_OK | X_OK) != 0)
        st = sp_error_set(err, SP_EIO, "cannot create %s: %s is not "
                          "writable", path, parent.data);
      break;
    }
    if (errno != ENOENT || strcmp(parent.data, cur.data) == 0) {
      st = sp_error_set(err, SP_EIO, "cannot create %s: %s: %s", path,
                        parent.data, strerror(errno));
      break;
    }
    sp_buf_reset(&cur);
    sp_buf_puts(&cur, parent.data);
  }
  sp_buf_release(&cur);
  sp_buf_release(&parent);
  sp_buf_release(&base);
  return st;
}

sp_status sp_check_output_dir(const char *path, sp_error **err)
{
  struct stat sb;
  sp_status st;
  int has;

  /* Outputs are published by rename on a file system: never to a URL, nor
   * into a local "s3:" folder by mistake. */
  if (sp_path_is_remote(path))
    return sp_error_set(err, SP_EINVAL, "output folder %s is remote: "
                        "smallpond writes to a file system path only; write "
                        "there, then copy the files", path);
  if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) && stat(path, &sb) != 0)
    return sp_error_set(err, SP_EINVAL, "output folder %s is a symbolic link "
                        "to nothing: %s", path, strerror(errno));
  if ((st = sp_dir_has_entries(path, &has, err)) != SP_OK)
    return st;
  if (has)
    return sp_error_set(err, SP_EEXIST, "output folder %s is not empty", path);
  return sp_path_exists(path) ? SP_OK : sp_check_creatable(path, err);
}

int sp_rename_new(const char *from, const char *to)
{
  struct stat sb;

  if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL)
    return -1;
  if (lstat(to, &sb) == 0) {
    errno = EEXIST;
    return -1;
  }
  return rename(from, to);
}

/* Renames the first n names of `names` from folder a to folder b, each
 * only where b has no such name. Returns how many went. */
static size_t move_names(const char *a, const char *b, char **names, size_t n,
                         sp_buf *from, sp_buf *to)
{
  size_t i;

  for (i = 0; i < n; i++) {
    sp_buf_reset(from);
    sp_buf_reset(to);
    sp_buf_appendf(from, "%s/%s", a, names[i]);
    sp_buf_appendf(to, "%s/%s", b, names[i]);
    if (sp_buf_oom(from) || sp_buf_oom(to) ||
        sp_rename_new(from->data, to->data) != 0)
      return i;
  }
  return n;
}

sp_status sp_move_entries(const char *from_dir, const char *to_dir,
                          sp_error **err)
{
  sp_buf from = SP_BUF_INIT, to = SP_BUF_INIT;
  char **names = NULL;
  size_t n = 0, cap = 0, i, moved, back;
  sp_status st = SP_OK;
  struct dirent *de;
  DIR *d = opendir(from_dir);

  if (!d)
    return sp_error_set(err, SP_EIO, "cannot read %s: %s", from_dir,
                        strerror(errno));
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (sp_grow((void **)&names, &cap, n + 1, sizeof(*names)) ||
        !(names[n] = sp_strdup(de->d_name))) {
      st = sp_error_oom(err);
      goto out;
    }
    n++;
  }
  moved = move_names(from_dir, to_dir, names, n, &from, &to);
  if (moved < n) {
    st = sp_error_set(err, SP_EIO, "cannot move %s to %s: %s", from.data,
                      to.data, sp_buf_oom(&to) ? "out of memory"
                                               : strerror(errno));
    /* All or nothing: what went over comes back. */
    back = move_names(to_dir, from_dir, names, moved, &from, &to);
    if (back < moved)
      sp_error_prefix(err, "%zu entries stay in %s, which could not be "
                      "moved back", moved - back, to_dir);
  }
out:
  closedir(d);
  for (i = 0; i < n; i++)
    sp_free(names[i]);
  sp_free(names);
  sp_buf_release(&from);
  sp_buf_release(&to);
  return st;
}

int sp_path_exists(const char *path)
{
  struct stat sb;

  return lstat(path, &sb) == 0;
}

static sp_status copy_file(const char *src, const char *dst, sp_error **err)
{
  char block[1 << 16];
  int in = -1, out = -1;
  sp_status st = SP_OK;
  ssize_t n;

  if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
    st = sp_error_set(err, SP_EIO, "cannot read %s: %s", src, strerror(errno));
    goto out;
  }
  out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (out < 0) {
    st = sp_error_set(err, SP_EIO, "cannot create %s: %s", dst,
                      strerror(errno));
    goto out;
  }
  while ((n = read(in, block, sizeof(block))) > 0) {
    char *p = block;
    while (n > 0) {
      ssize_t w = write(out, p, (size_t)n);
      if (w < 0) {
        st = sp_error_set(err, SP_EIO, "cannot write %s: %s", dst,
                          strerror(errno));
        goto out;
      }
      p += w;
      n -= w;
    }
  }
  if (n < 0)
    st = sp_error_set(err, SP_EIO, "cannot read %s: %s", src, strerror(errno));
out:
  if (in >= 0)
    close(in);
  if (out >= 0 && close(out) != 0 && st == SP_OK)
    st = sp_error_set(err, SP_EIO, "cannot write %s: %s", dst,
                      strerror(errno));
  if (st != SP_OK && out >= 0)
    unlink(dst);
  return st;
}

sp_status sp_link_or_copy(const char *src, const char *dst, sp_error **err)
{
  if (link(src, dst) == 0)
    return SP_OK;
  if (errno != EXDEV && errno != EPERM && errno != EMLINK)
    return sp_error_set(err, SP_EIO, "cannot link %s to %s: %s", src, dst,
                        strerror(errno));
  return copy_file(src, dst, err);
}

sp_status sp_write_file_atomic(const char *path, const void *data, size_t len,
                               sp_error **err)
{
  sp_buf tmp = SP_BUF_INIT;
  const char *p = data;
  sp_status st = SP_OK;
  int fd;

  sp_buf_appendf(&tmp, "%s.tmp.%d", path, (int)getpid());
  if (sp_buf_oom(&tmp))
    return sp_error_oom(err);
  fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    st = sp_error_set(err, SP_EIO, "cannot create %s: %s", tmp.data,
                      strerror(errno));
    goto out;
  }
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      st = sp_error_set(err, SP_EIO, "cannot write %s: %s", tmp.data,
                        strerror(errno));
      break;
    }
    p += w;
    len -= (size_t)w;
  }
  if (st == SP_OK && fsync(fd) != 0)
    st = sp_error_set(err, SP_EIO, "cannot write %s: %s", tmp.data,
                      strerror(errno));
  if (close(fd) != 0 && st == SP_OK)
    st = sp_error_set(err, SP_EIO, "cannot write %s: %s", tmp.data,
                      strerror(errno));
  if (st == SP_OK && rename(tmp.data, path) != 0)
    st = sp_error_set(err, SP_EIO, "cannot rename %s to %s: %s", tmp.data,
                      path, strerror(errno));
  if (st != SP_OK)
    unlink(tmp.data);
out:
  sp_buf_release(&tmp);
  return st;
}

sp_status sp_read_file(const char *path, char **out, size_t *len,
                       sp_error **err)
{
  sp_buf b = SP_BUF_INIT;
  char block[1 << 14];
  ssize_t n;
  int fd = open(path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return sp_error_set(err, errno == ENOENT ? SP_ENOENT : SP_EIO,
                        "cannot read %s: %s", path, strerror(errno));
  while ((n = read(fd, block, sizeof(block))) > 0)
    sp_buf_append(&b, block, (size_t)n);
  close(fd);
  if (n < 0) {
    sp_buf_release(&b);
    return sp_error_set(err, SP_EIO, "cannot read %s: %s", path,
                        strerror(errno));
  }
  if (len)
    *len = b.len;
  if (!(*out = sp_buf_detach(&b)))
    return sp_error_oom(err);
  return SP_OK;
}

int64_t sp_file_size(const char *path, sp_error **err)
{
  struct stat sb;

  if (stat(path, &sb) != 0) {
    sp_error_set(err, SP_EIO, "cannot stat %s: %s", path, strerror(errno));
    return -1;
  }
  return (int64_t)sb.st_size;
}

sp_status sp_path_check_inside(const char *path, const char *dir,
                               char **real, sp_error **err)
{
  char *p = NULL, *d = NULL;
  sp_status st;
  size_t n;

  if ((st = sp_realpath(path, &p, err)) != SP_OK ||
      (st = sp_realpath(dir, &d, err)) != SP_OK)
    goto out;
  n = strlen(d);
  if (strncmp(p, d, n) != 0 || p[n] != '/')
    st = sp_error_set(err, SP_EINVAL, "%s is not inside %s: it resolves to "
                      "%s", path, dir, p);
out:
  if (st == SP_OK && real) {
    *real = p;
    p = NULL;
  }
  sp_free(p);
  sp_free(d);
  return st;
}

sp_status sp_realpath(const char *path, char **out, sp_error **err)
{
  char *p = realpath(path, NULL);

  if (!p)
    return sp_error_set(err, SP_EIO, "cannot resolve %s: %s", path,
                        strerror(errno));
  /* realpath allocates with malloc; hand out memory from our allocator. */
  *out = sp_strdup(p);
  free(p);
  return *out ? SP_OK : sp_error_oom(err);
}

int64_t sp_disk_bytes(const char *path)
{
  struct dirent *e;
  struct stat sb;
  int64_t total = 0;
  DIR *d;

  if (lstat(path, &sb) != 0)
    return 0;
  total = (int64_t)sb.st_blocks * 512;
  if (!S_ISDIR(sb.st_mode) || !(d = opendir(path)))
    return total;
  while ((e = readdir(d))) {
    sp_buf child = SP_BUF_INIT;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    sp_buf_appendf(&child, "%s/%s", path, e->d_name);
    if (!sp_buf_oom(&child))
      total += sp_disk_bytes(child.data);
    sp_buf_release(&child);
  }
  closedir(d);
  return total;
}
