/*
 * progress.h - the progress display of sp_config.progress and the
 * smallpond tool, built on sp_event alone (what any program's on_event
 * gets). On a terminal: a line per stage in progress, redrawn, and a
 * summary line per stage when it ends; elsewhere: timestamped lines.
 */
#ifndef SP_API_PROGRESS_H
#define SP_API_PROGRESS_H

#include <stdio.h>

#include "smallpond.h"

typedef struct sp_progress sp_progress;

/* A display writing to out (redrawing when out is a terminal), or NULL
 * when out of memory. */
sp_progress *sp_progress_new(FILE *out);

/* An sp_event_fn: arg is an sp_progress. */
void sp_progress_event(const sp_event *ev, void *arg);

/* Clears the redrawn lines, if any, and frees p. Accepts NULL. */
void sp_progress_free(sp_progress *p);

#endif
