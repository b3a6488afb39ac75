/*
 * remote.c - remote paths (see remote.h).
 */
#include "io/remote.h"

#include <stddef.h>
#include <string.h>

/* DuckDB 1.4's EXTENSION_FILE_PREFIXES, and whether the store lists. */
static const struct {
  const char *prefix, *extension;
  int lists;
} schemes[] = {
  {"s3://", "httpfs", 1},    {"s3a://", "httpfs", 1},  {"s3n://", "httpfs", 1},
  {"r2://", "httpfs", 1},    {"gs://", "httpfs", 1},   {"gcs://", "httpfs", 1},
  {"hf://", "httpfs", 1},    {"http://", "httpfs", 0}, {"https://", "httpfs", 0},
  {"az://", "azure", 1},     {"azure://", "azure", 1}, {"abfss://", "azure", 1},
};

static int scheme_of(const char *path)
{
  size_t i;

  for (i = 0; path && i < sizeof(schemes) / sizeof(schemes[0]); i++)
    if (strncmp(path, schemes[i].prefix, strlen(schemes[i].prefix)) == 0)
      return (int)i;
  return -1;
}

int sp_path_is_remote(const char *path) { return scheme_of(path) >= 0; }

const char *sp_remote_extension(const char *path)
{
  int i = scheme_of(path);

  return i >= 0 ? schemes[i].extension : NULL;
}

int sp_remote_lists(const char *path)
{
  int i = scheme_of(path);

  return i >= 0 && schemes[i].lists;
}
