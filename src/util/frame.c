/*
 * frame.c - length-prefixed messages (see frame.h).
 */
#include "util/frame.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"

static sp_status send_all(int fd, const void *data, size_t len,
                          sp_error **err)
{
  const char *p = data;

  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sp_error_set(err, SP_EWORKER, "cannot send message: %s",
                          strerror(errno));
    p += n;
    len -= (size_t)n;
  }
  return SP_OK;
}

/* Reads exactly len bytes. *got counts what arrived before end of stream. */
static sp_status recv_all(int fd, void *data, size_t len, size_t *got,
                          sp_error **err)
{
  char *p = data;

  *got = 0;
  while (*got < len) {
    ssize_t n = read(fd, p + *got, len - *got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sp_error_set(err, SP_EWORKER, "cannot receive message: %s",
                          strerror(errno));
    if (n == 0)
      return SP_ENOENT;
    *got += (size_t)n;
  }
  return SP_OK;
}

sp_status sp_frame_send_json(int fd, const json_t *obj, sp_error **err)
{
  char *text = json_dumps(obj, JSON_COMPACT);
  unsigned char hdr[4];
  size_t len;
  sp_status st;

  if (!text)
    return sp_error_oom(err);
  len = strlen(text);
  if (len > SP_FRAME_MAX) {
    free(text);
    return sp_error_set(err, SP_EINTERNAL, "message of %zu bytes is too "
                        "large", len);
  }
  hdr[0] = (unsigned char)(len >> 24);
  hdr[1] = (unsigned char)(len >> 16);
  hdr[2] = (unsigned char)(len >> 8);
  hdr[3] = (unsigned char)len;
  st = send_all(fd, hdr, sizeof(hdr), err);
  if (st == SP_OK)
    st = send_all(fd, text, len, err);
  free(text); /* from jansson, which allocates with malloc */
  return st;
}

sp_status sp_frame_recv_json(int fd, json_t **out, sp_error **err)
{
  unsigned char hdr[4];
  json_error_t jerr;
  size_t len, got;
  char *text;
  sp_status st;

  *out = NULL;
  st = recv_all(fd, hdr, sizeof(hdr), &got, err);
  if (st == SP_ENOENT && got == 0)
    return SP_ENOENT;
  if (st != SP_OK)
    return st == SP_ENOENT ? sp_error_set(err, SP_EWORKER, "message cut "
                                          "short") : st;
  len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
        (size_t)hdr[3];
  if (len > SP_FRAME_MAX)
    return sp_error_set(err, SP_EWORKER, "message of %zu bytes is too large",
                        len);
  if (!(text = sp_malloc(len + 1)))
    return sp_error_oom(err);
  st = recv_all(fd, text, len, &got, err);
  if (st != SP_OK) {
    sp_free(text);
    return st == SP_ENOENT ? sp_error_set(err, SP_EWORKER, "message cut "
                                          "short") : st;
  }
  text[len] = '\0';
  *out = json_loadb(text, len, 0, &jerr);
  sp_free(text);
  if (!*out)
    return sp_error_set(err, SP_EWORKER, "malformed message: %s", jerr.text);
  return SP_OK;
}
