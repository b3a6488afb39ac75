/*
 * layout.c - the job folder (see layout.h).
 */
#include "io/layout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/fs.h"
#include "util/alloc.h"
#include "util/error.h"

int sp_layout_valid_job_id(const char *id)
{
  const char *p;

  if (!id || !*id || *id == '.' || strlen(id) > 128)
    return 0;
  for (p = id; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

#define JOB_MARKER ".smallpond-job"
#define JOB_LOCK "lock"

static const char *const subdirs[] = {"data", "staging", "tmp", "log"};

/* A name beside the job folder that no other process uses:
 * <root>/.<job_id>.<what>.<pid>.<nanoseconds>. */
static void side_name(sp_buf *b, const char *root, const char *job_id,
                      const char *what)
{
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  sp_buf_appendf(b, "%s/.%s.%s.%d.%ld%09ld", root, job_id, what,
                 (int)getpid(), (long)ts.tv_sec, (long)ts.tv_nsec);
}

/* 0 once fd's exclusive lock is ours; EWOULDBLOCK while another process
 * holds it, or the errno of a lock that cannot be taken at all (ENOLCK on
 * an NFS mount without its lock service). A few tries over 0.2 s:
 * `smallpond status` holds a shared lock for an instant. */
static int take_lock(int fd)
{
  struct timespec pause = {0, 10 * 1000 * 1000};
  int i;

  for (i = 0; i < 20; i++) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
      return 0;
    if (errno != EWOULDBLOCK)
      return errno;
    nanosleep(&pause, NULL);
  }
  return EWOULDBLOCK;
}

/* Writes this process's pid into the lock file fd. */
static sp_status note_owner(int fd, const char *path, sp_error **err)
{
  char pid[32];

  snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
    return sp_error_set(err, SP_EIO, "cannot write %s/%s: %s", path, JOB_LOCK,
                        strerror(errno));
  return SP_OK;
}

/* Makes the whole job folder under a name of its own (marker, lock taken,
 * subfolders), then renames it into place: another driver sees either no
 * folder or a complete one whose lock is held. Anything that appeared
 * there meanwhile (another driver's folder, or the user's empty one) makes
 * the rename fail, never replaced, and *lost is set. */
static sp_status create_job_dir(sp_layout *l, const char *root,
                                const char *job_id, int *lost,
                                sp_error **err)
{
  sp_buf side = SP_BUF_INIT, path = SP_BUF_INIT;
  sp_status st = SP_OK;
  size_t i;
  int fd = -1;

  *lost = 0;
  side_name(&side, root, job_id, "new");
  if (sp_buf_oom(&side))
    return sp_error_oom(err);
  if (mkdir(side.data, 0777) != 0) {
    st = sp_error_set(err, SP_EIO, "cannot create folder %s: %s", side.data,
                      strerror(errno));
    goto out;
  }
  for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]) && st == SP_OK; i++) {
    sp_buf_reset(&path);
    sp_buf_appendf(&path, "%s/%s", side.data, subdirs[i]);
    st = sp_buf_oom(&path) ? sp_error_oom(err) : sp_mkdir_p(path.data, err);
  }
  sp_buf_reset(&path);
  sp_buf_appendf(&path, "%s/" JOB_MARKER, side.data);
  if (st == SP_OK)
    st = sp_buf_oom(&path) ? sp_error_oom(err)
                           : sp_write_file_atomic(path.data, "", 0, err);
  sp_buf_reset(&path);
  sp_buf_appendf(&path, "%s/" JOB_LOCK, side.data);
  if (st == SP_OK && sp_buf_oom(&path))
    st = sp_error_oom(err);
  if (st == SP_OK &&
      ((fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0 ||
       flock(fd, LOCK_EX | LOCK_NB) != 0))
    st = sp_error_set(err, SP_EIO, "cannot lock %s: %s", path.data,
                      strerror(errno));
  if (st == SP_OK)
    st = note_owner(fd, side.data, err);
  if (st == SP_OK && sp_rename_new(side.data, l->job_dir) != 0) {
    if (errno == ENOTEMPTY || errno == EEXIST)
      *lost = 1;
    else
      st = sp_error_set(err, SP_EIO, "cannot rename %s to %s: %s", side.data,
                        l->job_dir, strerror(errno));
  }
  if (st == SP_OK && !*lost) {
    l->lock_fd = fd;
    l->created = 1;
    fd = -1;
  } else {
    /* Ours alone, never renamed into place. Unlocked first: on NFS an open
     * file that is removed stays as .nfsXXXX, and its folder with it. */
    if (fd >= 0)
      close(fd);
    fd = -1;
    sp_rm_rf(side.data, NULL);
  }
out:
  if (fd >= 0)
    close(fd);
  sp_buf_release(&side);
  sp_buf_release(&path);
  return st;
}

/* 1 if the folder holds nothing but, maybe, a lock file: an empty folder
 * a driver is claiming. */
static int only_a_lock(const char *dir)
{
  struct dirent *de;
  DIR *d = opendir(dir);
  int other = 0;

  if (!d)
    return 0;
  while (!other && (de = readdir(d)))
    other = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
            strcmp(de->d_name, JOB_LOCK) != 0;
  closedir(d);
  return !other;
}

/* Takes the lock of an existing folder: a job folder, or an empty one (or
 * a link to one), which is then made a job folder in place, so that it
 * stays the user's (its owner, mode and ACL; it is never removed). A
 * folder with other entries and no marker is refused, untouched. *again is
 * set when the folder went away or was replaced while we waited for its
 * lock (its creator discarded it): the caller starts over. */
static sp_status lock_job_dir(sp_layout *l, const char *job_id, int *again,
                              sp_error **err)
{
  sp_buf marker = SP_BUF_INIT, lock = SP_BUF_INIT;
  char owner[32] = "";
  struct stat held, named;
  sp_status st = SP_OK;
  ssize_t n;
  size_t i;
  int fd = -1, rc;

  *again = 0;
  sp_layout_file(l, &marker, JOB_MARKER);
  sp_layout_file(l, &lock, JOB_LOCK);
  if (sp_buf_oom(&marker) || sp_buf_oom(&lock)) {
    st = sp_error_oom(err);
    goto out;
  }
  if (!sp_path_exists(marker.data) && !only_a_lock(l->job_dir)) {
    if (!sp_path_exists(l->job_dir))
      *again = 1;
    else
      st = sp_error_set(err, SP_EEXIST, "%s exists and is not a smallpond "
                        "job folder; choose another job id or data root",
                        l->job_dir);
    goto out;
  }
  if ((fd = open(lock.data, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0) {
    if (errno == ENOENT) /* the folder went away since */
      *again = 1;
    else
      st = sp_error_set(err, SP_EIO, "cannot open %s: %s", lock.data,
                        strerror(errno));
    goto out;
  }
  if ((rc = take_lock(fd)) == EWOULDBLOCK) {
    n = pread(fd, owner, sizeof(owner) - 1, 0);
    owner[n > 0 ? n : 0] = '\0';
    owner[strcspn(owner, "\n")] = '\0';
    st = sp_error_set(err, SP_EEXIST, "job %s is in use by another driver "
                      "(pid %s)", job_id, *owner ? owner : "unknown");
    goto out;
  }
  if (rc != 0) {
    st = sp_error_set(err, SP_EIO, "cannot lock %s: %s (a file system "
                      "without locks cannot hold a job folder)", lock.data,
                      strerror(rc));
    goto out;
  }
  /* The lock is ours, but is it still the job folder's lock file? */
  if (fstat(fd, &held) != 0 || stat(lock.data, &named) != 0 ||
      held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
    *again = 1;
    goto out;
  }
  if ((st = note_owner(fd, l->job_dir, err)) != SP_OK)
    goto out;
  /* An empty folder claimed: the marker last, so that another driver sees
   * a job folder only once it is one. A folder left by an older version
   * may lack a subfolder. */
  for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]) && st == SP_OK; i++) {
    sp_buf_reset(&lock);
    sp_layout_file(l, &lock, subdirs[i]);
    st = sp_buf_oom(&lock) ? sp_error_oom(err) : sp_mkdir_p(lock.data, err);
  }
  if (st == SP_OK && !sp_path_exists(marker.data))
    st = sp_write_file_atomic(marker.data, "", 0, err);
  if (st == SP_OK) {
    l->lock_fd = fd;
    fd = -1;
  }
out:
  if (fd >= 0)
    close(fd);
  sp_buf_release(&marker);
  sp_buf_release(&lock);
  return st;
}

sp_status sp_layout_open(const char *data_root, const char *job_id,
                         sp_layout *out, sp_error **err)
{
  sp_buf path = SP_BUF_INIT;
  char *root = NULL;
  sp_status st;
  int tries, retry = 1;

  memset(out, 0, sizeof(*out));
  out->lock_fd = -1;
  if (!sp_layout_valid_job_id(job_id))
    return sp_error_set(err, SP_EINVAL,
                        "invalid job id '%s': use 1 to 128 letters, digits, "
                        "'.', '_' and '-', not starting with '.'",
                        job_id ? job_id : "");
  if (strpbrk(data_root, "*?["))
    return sp_error_set(err, SP_EINVAL, "data root %s has *, ? or [ in its "
                        "path, which DuckDB would read as a pattern; choose "
                        "another", data_root);
  if ((st = sp_mkdir_p(data_root, err)) != SP_OK)
    return st;
  if ((st = sp_realpath(data_root, &root, err)) != SP_OK)
    return st;
  if (strpbrk(root, "*?[")) { /* through a symbolic link */
    st = sp_error_set(err, SP_EINVAL, "data root %s has *, ? or [ in its "
                      "path, which DuckDB would read as a pattern; choose "
                      "another", root);
    goto out;
  }
  sp_buf_appendf(&path, "%s/%s", root, job_id);
  if (!(out->job_dir = sp_buf_detach(&path))) {
    st = sp_error_oom(err);
    goto out;
  }
  /* Each turn either ends or saw another driver create or discard the
   * folder in between; a few turns settle any race. */
  for (tries = 0; tries < 8 && retry && st == SP_OK; tries++) {
    if (!sp_path_exists(out->job_dir) &&
        ((st = create_job_dir(out, root, job_id, &retry, err)) != SP_OK ||
         !retry))
      break;
    st = lock_job_dir(out, job_id, &retry, err);
  }
  if (st == SP_OK && retry)
    st = sp_error_set(err, SP_EEXIST, "job %s: its folder %s keeps being "
                      "created and removed by other drivers", job_id,
                      out->job_dir);
out:
  sp_free(root);
  if (st != SP_OK)
    sp_layout_close(out, 0);
  return st;
}

void sp_layout_close(sp_layout *l, int discard)
{
  sp_buf gone = SP_BUF_INIT, parent = SP_BUF_INIT, base = SP_BUF_INIT;

  /* Renamed away first, while locked, then removed: a driver waiting for
   * the lock finds no folder, never a half-removed one, and creates its
   * own. Unlocked before the removal: on NFS an open file that is removed
   * stays as .nfsXXXX, and its folder with it. */
  if (discard && l->created && l->lock_fd >= 0 && l->job_dir) {
    sp_path_split(l->job_dir, &parent, &base);
    if (!sp_buf_oom(&parent) && !sp_buf_oom(&base))
      side_name(&gone, parent.data, base.data, "gone");
    if (gone.len && !sp_buf_oom(&gone) && rename(l->job_dir, gone.data) == 0) {
      close(l->lock_fd);
      l->lock_fd = -1;
      sp_rm_rf(gone.data, NULL);
    }
  }
  if (l->lock_fd >= 0)
    close(l->lock_fd);
  sp_buf_release(&gone);
  sp_buf_release(&parent);
  sp_buf_release(&base);
  sp_free(l->job_dir);
  memset(l, 0, sizeof(*l));
  l->lock_fd = -1;
}

int sp_layout_driver_pid(const char *job_dir)
{
  sp_buf path = SP_BUF_INIT;
  char owner[32] = "";
  int fd, pid = 0;
  ssize_t n;

  sp_buf_appendf(&path, "%s/" JOB_LOCK, job_dir);
  fd = sp_buf_oom(&path) ? -1 : open(path.data, O_RDONLY | O_CLOEXEC);
  sp_buf_release(&path);
  if (fd < 0)
    return 0;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    n = pread(fd, owner, sizeof(owner) - 1, 0);
    owner[n > 0 ? n : 0] = '\0';
    pid = atoi(owner) > 0 ? atoi(owner) : -1;
  }
  close(fd); /* drops a shared lock taken */
  return pid;
}

sp_status sp_layout_remove(const char *job_dir, int *removed, sp_error **err)
{
  sp_buf path = SP_BUF_INIT;
  sp_status st = SP_OK;
  int fd;

  *removed = 0;
  sp_buf_appendf(&path, "%s/" JOB_LOCK, job_dir);
  if (sp_buf_oom(&path))
    return sp_error_oom(err);
  fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  sp_buf_release(&path);
  if (fd < 0)
    return sp_error_set(err, SP_EIO, "cannot open the lock of %s: %s",
                        job_dir, strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
    st = sp_rm_rf(job_dir, err);
    *removed = st == SP_OK;
  } else if (errno != EWOULDBLOCK) {
    st = sp_error_set(err, SP_EIO, "cannot lock %s: %s", job_dir,
                      strerror(errno));
  }
  close(fd); /* the lock goes with it */
  return st;
}

void sp_layout_file(const sp_layout *l, sp_buf *b, const char *name)
{
  sp_buf_appendf(b, "%s/%s", l->job_dir, name);
}

void sp_layout_task_out(const sp_layout *l, sp_buf *b, const char *key)
{
  sp_buf_appendf(b, "%s/data/%s", l->job_dir, key);
}

void sp_layout_attempt_out(const sp_layout *l, sp_buf *b, const char *key,
                           int attempt)
{
  sp_buf_appendf(b, "%s/staging/%s.%d", l->job_dir, key, attempt);
}

void sp_layout_worker_log(const sp_layout *l, sp_buf *b, int n)
{
  sp_buf_appendf(b, "%s/log/executor-%d.log", l->job_dir, n);
}

void sp_layout_worker_tmp(const sp_layout *l, sp_buf *b, int n)
{
  sp_buf_appendf(b, "%s/tmp/executor-%d", l->job_dir, n);
}
