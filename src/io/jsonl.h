/*
 * jsonl.h - append-only JSON-lines files (the state log).
 */
#ifndef SP_IO_JSONL_H
#define SP_IO_JSONL_H

#include <jansson.h>

#include "smallpond.h"

/* Appends obj as one line with a single write(2) on fd (opened O_APPEND), so
 * a crash leaves at most one partial last line. */
sp_status sp_jsonl_append(int fd, const json_t *obj, const char *path,
                          sp_error **err);

/* What sp_jsonl_load calls with each line. */
typedef sp_status (*sp_jsonl_fn)(json_t *line, void *arg, sp_error **err);

/* Calls fn for every complete, parsable line of path, in order. A missing
 * file is an empty log. A last line without '\n' (cut by a crash) and lines
 * that do not parse are skipped and counted in *skipped. fn returns 0 to go
 * on, non-zero to stop with that status. */
sp_status sp_jsonl_load(const char *path, sp_jsonl_fn fn, void *arg,
                        size_t *skipped, sp_error **err);

#endif
