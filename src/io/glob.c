/*
 * glob.c - input file listing (see glob.h).
 */
#include "io/glob.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/fs.h"
#include "io/remote.h"
#include "util/alloc.h"
#include "util/error.h"

static int file_info_cmp(const void *a, const void *b)
{
  return strcmp(((const sp_file_info *)a)->path,
                ((const sp_file_info *)b)->path);
}

static sp_status add_file(sp_file_list *out, const char *pattern,
                          const char *path, sp_error **err)
{
  sp_file_info *fi;
  struct stat sb;
  char *abs = NULL;
  sp_status st;

  if (stat(path, &sb) != 0)
    return sp_error_set(err, errno == ENOENT ? SP_ENOENT : SP_EIO,
                        "cannot read input %s: %s", path, strerror(errno));
  if (S_ISDIR(sb.st_mode))
    return sp_error_set(err, SP_EINVAL, "input %s (from %s) is a folder; "
                        "name its files, e.g. %s/*.parquet", path, pattern,
                        path);
  if ((st = sp_realpath(path, &abs, err)) != SP_OK)
    return st;
  if (strpbrk(abs, "*?[")) {
    st = sp_error_set(err, SP_EINVAL, "input %s has *, ? or [ in its path, "
                      "which DuckDB would read as a pattern again; rename "
                      "it", abs);
    sp_free(abs);
    return st;
  }
  if (sp_grow((void **)&out->items, &out->cap, out->len + 1,
              sizeof(*out->items))) {
    sp_free(abs);
    return sp_error_oom(err);
  }
  fi = &out->items[out->len++];
  fi->path = abs;
  fi->size = (int64_t)sb.st_size;
  fi->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
  return SP_OK;
}

/* 1 if the path rel (relative to the "**" folder) ends in components
 * that match rest: "**" stands for the components before them. */
static int matches_below(const char *rel, const char *rest)
{
  const char *p = rel;

  for (;;) {
    if (fnmatch(rest, p, FNM_PATHNAME | FNM_PERIOD) == 0)
      return 1;
    if (!(p = strchr(p, '/')))
      return 0;
    p++;
  }
}

/* Adds the files below dir (rel: its path below the "**" folder) that
 * match rest; *found counts them. Unreadable folders are skipped. */
static sp_status walk(const char *dir, const char *rel, const char *rest,
                      const char *pattern, sp_file_list *out, size_t *found,
                      sp_error **err)
{
  sp_buf path = SP_BUF_INIT, sub = SP_BUF_INIT;
  sp_status st = SP_OK;
  struct dirent *de;
  struct stat sb;
  DIR *dh = opendir(dir);

  if (!dh)
    return SP_OK;
  while (st == SP_OK && (de = readdir(dh))) {
    if (de->d_name[0] == '.')
      continue;
    sp_buf_reset(&path);
    sp_buf_reset(&sub);
    sp_buf_appendf(&path, "%s/%s", dir, de->d_name);
    sp_buf_appendf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
    if (sp_buf_oom(&path) || sp_buf_oom(&sub)) {
      st = sp_error_oom(err);
    } else if (lstat(path.data, &sb) != 0) {
      continue; /* gone meanwhile */
    } else if (S_ISDIR(sb.st_mode)) {
      st = walk(path.data, sub.data, rest, pattern, out, found, err);
    } else if (matches_below(sub.data, rest)) {
      st = add_file(out, pattern, path.data, err);
      ++*found;
    }
  }
  closedir(dh);
  sp_buf_release(&path);
  sp_buf_release(&sub);
  return st;
}

/* Lists pattern's files when it has a "**" component: the folders before
 * it are globbed, then walked. Sets *done to 0 when it has none. */
static sp_status list_recursive(const char *pattern, sp_file_list *out,
                                int *done, sp_error **err)
{
  const char *star = strstr(pattern, "**");
  sp_buf base = SP_BUF_INIT;
  sp_status st = SP_OK;
  size_t found = 0, i;
  glob_t g;
  int rc;

  *done = star && (star == pattern || star[-1] == '/') &&
          (star[2] == '/' || star[2] == '\0');
  if (!*done)
    return SP_OK;
  if (star == pattern)
    sp_buf_puts(&base, ".");
  else
    sp_buf_append(&base, pattern, (size_t)(star - pattern - 1));
  if (sp_buf_oom(&base))
    return sp_error_oom(err);
  memset(&g, 0, sizeof(g));
  rc = glob(base.len ? base.data : "/", 0, NULL, &g); /* files: no walk */
  if (rc == GLOB_NOSPACE)
    st = sp_error_oom(err);
  for (i = 0; rc == 0 && i < g.gl_pathc && st == SP_OK; i++)
    st = walk(g.gl_pathv[i], "", star[2] ? star + 3 : "*", pattern, out,
              &found, err);
  globfree(&g);
  sp_buf_release(&base);
  if (st == SP_OK && found == 0)
    st = sp_error_set(err, SP_ENOENT, "no file matches %s", pattern);
  return st;
}

sp_status sp_list_files(const char *const *patterns, size_t npatterns,
                        int recursive, sp_file_list *out, sp_error **err)
{
  sp_status st = SP_OK;
  size_t i, j;

  if (npatterns == 0)
    return sp_error_set(err, SP_EINVAL, "no input path given");
  for (i = 0; i < npatterns && st == SP_OK; i++) {
    glob_t g;
    int rc;

    if (!patterns[i] || !*patterns[i]) {
      st = sp_error_set(err, SP_EINVAL, "empty input path");
      break;
    }
    if (sp_path_is_remote(patterns[i])) {
      st = sp_error_set(err, SP_EINTERNAL, "%s is remote: DuckDB lists it",
                        patterns[i]);
      break;
    }
    if (recursive) {
      int done = 0;
      if ((st = list_recursive(patterns[i], out, &done, err)) != SP_OK ||
          done)
        continue;
    }
    memset(&g, 0, sizeof(g));
    /* Unreadable folders on the way count as no match, not an error. */
    rc = glob(patterns[i], 0, NULL, &g);
    if (rc == GLOB_NOMATCH) {
      st = sp_error_set(err, SP_ENOENT, "no file matches %s", patterns[i]);
    } else if (rc == GLOB_NOSPACE) {
      st = sp_error_oom(err);
    } else if (rc != 0) {
      st = sp_error_set(err, SP_EIO, "cannot list %s", patterns[i]);
    } else {
      for (j = 0; j < g.gl_pathc && st == SP_OK; j++)
        st = add_file(out, patterns[i], g.gl_pathv[j], err);
    }
    globfree(&g);
  }
  if (st != SP_OK) {
    sp_file_list_release(out);
    return st;
  }
  sp_file_list_sort(out);
  return SP_OK;
}

void sp_file_list_sort(sp_file_list *list)
{
  size_t i, k;

  if (list->len == 0)
    return;
  qsort(list->items, list->len, sizeof(*list->items), file_info_cmp);
  for (i = 0, k = 0; i < list->len; i++) {
    if (k > 0 && strcmp(list->items[k - 1].path, list->items[i].path) == 0) {
      sp_free(list->items[i].path);
      continue;
    }
    list->items[k++] = list->items[i];
  }
  list->len = k;
}

void sp_file_list_release(sp_file_list *list)
{
  size_t i;

  for (i = 0; i < list->len; i++)
    sp_free(list->items[i].path);
  sp_free(list->items);
  memset(list, 0, sizeof(*list));
}
