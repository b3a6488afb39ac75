/*
 * glob.c - input file listing (see glob.h).
 */
#include "io/glob.h"

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/fs.h"
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

sp_status sp_list_files(const char *const *patterns, size_t npatterns,
                        sp_file_list *out, sp_error **err)
{
  sp_status st = SP_OK;
  size_t i, j, k;

  if (npatterns == 0)
    return sp_error_set(err, SP_EINVAL, "no input path given");
  for (i = 0; i < npatterns && st == SP_OK; i++) {
    glob_t g;
    int rc;

    if (!patterns[i] || !*patterns[i]) {
      st = sp_error_set(err, SP_EINVAL, "empty input path");
      break;
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
  qsort(out->items, out->len, sizeof(*out->items), file_info_cmp);
  for (i = 0, k = 0; i < out->len; i++) {
    if (k > 0 && strcmp(out->items[k - 1].path, out->items[i].path) == 0) {
      sp_free(out->items[i].path);
      continue;
    }
    out->items[k++] = out->items[i];
  }
  out->len = k;
  return SP_OK;
}

void sp_file_list_release(sp_file_list *list)
{
  size_t i;

  for (i = 0; i < list->len; i++)
    sp_free(list->items[i].path);
  sp_free(list->items);
  memset(list, 0, sizeof(*list));
}
