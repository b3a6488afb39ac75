/*
 * abi.h - the public option structs as older headers declared them.
 *
 * Fields of sp_config and the sp_*_options structs are only ever
 * appended. A program built against an older smallpond.h passes smaller
 * structs; every session knows the header version its program was built
 * with (sp_init and sp_config_init are macros that pass it), and the
 * library reads only the bytes that header declared, taking the fields
 * added since as zeros: their defaults.
 */
#ifndef SP_UTIL_ABI_H
#define SP_UTIL_ABI_H

#include <stddef.h>

#include "smallpond.h"

typedef enum sp_abi_struct {
  SP_ABI_CONFIG,
  SP_ABI_READ_OPTIONS,
  SP_ABI_NODE_OPTIONS,
  SP_ABI_REPARTITION_OPTIONS,
  SP_ABI_SQL_OPTIONS,
  SP_ABI_NSTRUCTS
} sp_abi_struct;

/* Fails with SP_EINVAL, saying why, unless a program built against the
 * header of version `header` (SP_VERSION_NUMBER) can use this library:
 * the same major version (the SONAME's), not newer than the library, not
 * older than the first version it keeps layouts for. */
sp_status sp_abi_check(int header, sp_error **err);

/* Copies the struct `which` a program built against `header` passed (opt;
 * NULL: none) into *local, this library's struct of `size` bytes, with
 * zeros for what that header did not have. Returns local, or NULL for a
 * NULL opt (local is then all zeros), so `opt = sp_abi_copy(...)` keeps a
 * NULL meaning "the defaults". header must have passed sp_abi_check. */
const void *sp_abi_copy(int header, sp_abi_struct which, const void *opt,
                        void *local, size_t size);

/* The size of struct `which` in the header of version `header`, or 0 when
 * this library keeps no layout of it. */
size_t sp_abi_size(int header, sp_abi_struct which);

#endif
