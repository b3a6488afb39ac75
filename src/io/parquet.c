/*
 * parquet.c - Parquet file fingerprints (see parquet.h).
 */
#include "io/parquet.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"

/* A file is: "PAR1", the data, the footer, its length (4 bytes, little
 * endian), "PAR1". */
#define MAGIC "PAR1"
#define TAIL 8

/* Footers of files smallpond writes are kilobytes; a length past this is
 * damage, not a file worth reading whole. */
#define MAX_FOOTER (256 << 20)

sp_status sp_parquet_fingerprint(const char *path, sp_fingerprint *out,
                                 sp_error **err)
{
  unsigned char tail[TAIL], *footer = NULL;
  const char *why = NULL;
  sp_status st = SP_OK;
  struct stat sb;
  uint32_t len;
  int fd;

  memset(out, 0, sizeof(*out));
  if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
      fstat(fd, &sb) != 0) {
    st = sp_error_set(err, SP_EIO, "cannot read %s: %s", path,
                      strerror(errno));
    goto out;
  }
  if (!S_ISREG(sb.st_mode) || sb.st_size < 4 + TAIL)
    why = "too short for a Parquet file";
  else if (pread(fd, tail, TAIL, sb.st_size - TAIL) != TAIL)
    why = strerror(errno);
  else if (memcmp(tail + 4, MAGIC, 4) != 0)
    why = "it does not end with PAR1";
  if (why)
    goto out_bad;
  len = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
        (uint32_t)tail[3] << 24;
  if (len > MAX_FOOTER || (int64_t)len > sb.st_size - 4 - TAIL) {
    why = "its footer length is past the file";
    goto out_bad;
  }
  if (!(footer = sp_malloc(len ? len : 1))) {
    st = sp_error_oom(err);
    goto out;
  }
  if (pread(fd, footer, len, sb.st_size - TAIL - len) != (ssize_t)len) {
    why = "cannot read its footer";
    goto out_bad;
  }
  out->bytes = (int64_t)sb.st_size;
  out->footer = sp_hash_mix(sp_hash_bytes(SP_HASH_INIT, footer, len) ^ len);
  goto out;

out_bad:
  st = sp_error_set(err, SP_EIO, "%s is not a whole Parquet file: %s", path,
                    why);
out:
  sp_free(footer);
  if (fd >= 0)
    close(fd);
  return st;
}
