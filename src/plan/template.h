/*
 * template.h - smallpond's SQL templates: {0}, {1}, ... name the inputs of a
 * partial_sql; {{ and }} are literal braces. Anything else in braces is an
 * error, so a typo cannot reach DuckDB as text.
 */
#ifndef SP_PLAN_TEMPLATE_H
#define SP_PLAN_TEMPLATE_H

#include <stddef.h>

#include "smallpond.h"
#include "util/buf.h"

/* Appends tmpl to out with {i} replaced by names[i] (the caller passes
 * already-quoted identifiers; names may be NULL when nnames is 0). Fails
 * with SP_EINVAL naming the bad placeholder. With out == NULL it only
 * checks that every {i} is below nnames. */
sp_status sp_template_expand(const char *tmpl, const char *const *names,
                             size_t nnames, sp_buf *out, sp_error **err);

#endif
