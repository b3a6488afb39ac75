/*
 * template.h - smallpond's SQL templates: {0}, {1}, ... name the inputs of a
 * partial_sql; {__data_partition__} is the task's partition index,
 * {<dimension>} its index along a named dimension of its partitioning,
 * {rand_seed} a random number in [0, 2^31) fixed per task, {batch_index} the
 * batch within the partition (0: a task reads its partition as one batch);
 * {{ and }} are literal braces. Anything else in braces is an error, so a
 * typo cannot reach DuckDB as text.
 */
#ifndef SP_PLAN_TEMPLATE_H
#define SP_PLAN_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "smallpond.h"
#include "util/buf.h"

/* The values of the named placeholders for one task. */
typedef struct sp_template_vars {
  int partition;      /* {__data_partition__}, unless a dimension has
                         that name */
  uint32_t rand_seed; /* {rand_seed} */
  int batch_index;    /* {batch_index} */
  const char *const *dim_names; /* {<name>}: the index along dimension */
  const int *dim_index;         /* dim_names[k] is dim_index[k] (may be
                                   NULL when only checking) */
  size_t ndims;
} sp_template_vars;

/* Appends tmpl to out with {i} replaced by names[i] (the caller passes
 * already-quoted identifiers; names may be NULL when nnames is 0) and the
 * named placeholders by vars. Fails with SP_EINVAL naming the bad
 * placeholder. With out == NULL it only checks the template: every {i}
 * below nnames, every name known (vars may then be NULL: no dimensions). */
sp_status sp_template_expand(const char *tmpl, const char *const *names,
                             size_t nnames, const sp_template_vars *vars,
                             sp_buf *out, sp_error **err);

/* Appends the template outer (over one input) with every {0} replaced by
 * the template inner in parentheses: a template of the query that reads
 * inner's result directly, over inner's inputs. Literal braces and named
 * placeholders of outer are kept as template text. */
sp_status sp_template_substitute(const char *outer, const char *inner,
                                 sp_buf *out, sp_error **err);

/* Appends text as a literal part of a template: { and } doubled, so that
 * the text is never read as a placeholder. */
void sp_template_append_text(sp_buf *out, const char *text);

#endif
