/*
 * abi.c - the public structs' layouts by header version (see abi.h).
 */
#include "util/abi.h"

#include <string.h>

#include "util/error.h"

#define VERSION(major, minor, patch) \
  ((major) * 1000000 + (minor) * 1000 + (patch))

/* One row per version whose structs differ from the one before, oldest
 * first; the last is this header's. When a field is appended to one of
 * them: raise SP_VERSION_MINOR, turn the sizeof() of that struct in the
 * rows above into offsetof(<struct>, <new field>) (where the old struct
 * ended), and add a row for the new version. (tests/unit/test_abi.c
 * checks that the last row is the header's version.) */
static const struct layout {
  int version;
  size_t size[SP_ABI_NSTRUCTS];
} layouts[] = {
  {VERSION(0, 1, 0),
   {sizeof(sp_config), sizeof(sp_read_options), sizeof(sp_node_options),
    sizeof(sp_repartition_options), sizeof(sp_sql_options)}},
};
#define NLAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

/* Versions share a layout row until the next row's version. */
static const struct layout *layout_of(int header)
{
  const struct layout *l = NULL;
  size_t i;

  for (i = 0; i < NLAYOUTS && layouts[i].version <= header; i++)
    l = &layouts[i];
  return l;
}

sp_status sp_abi_check(int header, sp_error **err)
{
  int major = header / 1000000, minor = header / 1000 % 1000;

  if (header > SP_VERSION_NUMBER)
    return sp_error_set(err, SP_EINVAL, "this program was built against "
                        "smallpond.h %d.%d.%d, newer than the library "
                        "(%s): install that version of libsmallpond",
                        major, minor, header % 1000, SP_VERSION_STRING);
  if (major != SP_VERSION_MAJOR || !layout_of(header))
    return sp_error_set(err, SP_EINVAL, "this program was built against "
                        "smallpond.h %d.%d.%d, which the library (%s) "
                        "cannot serve: rebuild the program against it",
                        major, minor, header % 1000, SP_VERSION_STRING);
  return SP_OK;
}

size_t sp_abi_size(int header, sp_abi_struct which)
{
  const struct layout *l = layout_of(header);

  return l && which < SP_ABI_NSTRUCTS ? l->size[which] : 0;
}

const void *sp_abi_copy(int header, sp_abi_struct which, const void *opt,
                        void *local, size_t size)
{
  size_t theirs = sp_abi_size(header, which);

  memset(local, 0, size);
  if (!opt)
    return NULL;
  memcpy(local, opt, theirs < size ? theirs : size);
  return local;
}
