/*
 * jsonl.c - JSON-lines files (see jsonl.h).
 */
#include "io/jsonl.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "io/fs.h"
#include "util/alloc.h"
#include "util/error.h"

sp_status sp_jsonl_append(int fd, const json_t *obj, const char *path,
                          sp_error **err)
{
  char *text = json_dumps(obj, JSON_COMPACT);
  size_t len;
  ssize_t w;

  if (!text)
    return sp_error_oom(err);
  len = strlen(text);
  text[len] = '\n'; /* json_dumps leaves the NUL; reuse it for the newline */
  w = write(fd, text, len + 1);
  free(text); /* jansson allocates with malloc */
  if (w < 0 || (size_t)w != len + 1)
    return sp_error_set(err, SP_EIO, "cannot append to %s: %s", path,
                        w < 0 ? strerror(errno) : "short write");
  return SP_OK;
}

sp_status sp_jsonl_load(const char *path, sp_jsonl_fn fn, void *arg,
                        size_t *skipped, sp_error **err)
{
  char *text = NULL, *line, *nl;
  sp_status st;
  size_t len;

  *skipped = 0;
  st = sp_read_file(path, &text, &len, NULL);
  if (st == SP_ENOENT)
    return SP_OK;
  if (st != SP_OK)
    return sp_error_set(err, st, "cannot read %s", path);
  for (line = text; (nl = strchr(line, '\n')); line = nl + 1) {
    json_t *obj;
    *nl = '\0';
    if (!*line)
      continue;
    obj = json_loads(line, 0, NULL);
    if (!obj || !json_is_object(obj)) {
      json_decref(obj);
      (*skipped)++;
      continue;
    }
    st = fn(obj, arg, err);
    json_decref(obj);
    if (st != SP_OK)
      break;
  }
  if (st == SP_OK && *line)
    (*skipped)++;
  sp_free(text);
  return st;
}
