/*
 * events.c - a run's events (see events.h).
 */
#include "sched/events.h"

#include <string.h>

#include "plan/node.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"

#define TICK_MS 200

void sp_events_init(sp_events *e, sp_event_fn fn, void *arg,
                    const char *job_id)
{
  memset(e, 0, sizeof(*e));
  e->fn = fn;
  e->arg = arg;
  e->job_id = job_id;
  e->last_ms = sp_clock_ms();
}

static int stage_node(const sp_task *t)
{
  return t->node ? t->node->id : 0;
}

static sp_stage_count *find(sp_events *e, const sp_task *t)
{
  size_t i;

  for (i = 0; i < e->n; i++)
    if (e->stages[i].node == stage_node(t))
      return &e->stages[i];
  return NULL;
}

sp_status sp_events_expect(sp_events *e, const sp_task *t, sp_error **err)
{
  sp_stage_count *s;
  sp_buf name = SP_BUF_INIT;
  size_t i;

  if (!e->fn || !sp_task_kind_runs_in_worker(t->kind))
    return SP_OK;
  if (!(s = find(e, t))) {
    if (t->node)
      sp_node_title(t->node, &name);
    else
      sp_buf_puts(&name, sp_task_kind_name(t->kind));
    if (sp_buf_oom(&name) ||
        sp_grow((void **)&e->stages, &e->cap, e->n + 1, sizeof(*e->stages))) {
      sp_buf_release(&name);
      return sp_error_oom(err);
    }
    /* In node order, as stages roughly run. */
    for (i = e->n; i > 0 && e->stages[i - 1].node > stage_node(t); i--)
      e->stages[i] = e->stages[i - 1];
    s = &e->stages[i];
    memset(s, 0, sizeof(*s));
    s->node = stage_node(t);
    s->name = sp_buf_detach(&name);
    e->n++;
  }
  s->total++;
  e->tasks++;
  return SP_OK;
}

static void send(sp_events *e, sp_event *ev)
{
  ev->job_id = e->job_id;
  ev->time_ms = sp_wall_ms();
  ev->run_tasks = e->tasks;
  ev->run_done = e->done;
  e->last_ms = sp_clock_ms();
  e->fn(ev, e->arg);
}

void sp_events_run(sp_events *e, sp_event_kind kind, sp_status st)
{
  sp_event ev = {0};

  if (!e->fn)
    return;
  ev.kind = kind;
  ev.status = st;
  send(e, &ev);
}

static void send_stage(sp_events *e, sp_event *ev, sp_event_kind kind,
                       const sp_stage_count *s)
{
  ev->kind = kind;
  ev->stage = s->node;
  ev->stage_name = s->name;
  ev->stage_tasks = s->total;
  ev->stage_done = s->done;
  ev->stage_running = s->running;
  ev->stage_rows = s->rows;
  ev->stage_bytes = s->bytes;
  ev->stage_start_ms = s->start_ms;
  send(e, ev);
}

void sp_events_attempt(sp_events *e, sp_event_kind kind, const sp_task *t,
                       const sp_worker *w, int64_t rows, int64_t bytes,
                       const char *why)
{
  sp_stage_count *s;
  sp_event ev = {0};
  int starts = kind == SP_EVENT_TASK_STARTED ||
               kind == SP_EVENT_TASK_SPECULATED;

  if (!e->fn || !(s = find(e, t)))
    return;
  if (starts) {
    s->running++;
    if (s->start_ms == 0) {
      s->start_ms = sp_wall_ms();
      send_stage(e, &ev, SP_EVENT_STAGE_STARTED, s);
    }
  } else {
    s->running -= s->running > 0;
    ev.duration_ms = sp_clock_ms() - w->started_mono;
    ev.error = why;
  }
  if (kind == SP_EVENT_TASK_FINISHED) {
    s->done++;
    e->done++;
    s->rows += rows > 0 ? rows : 0;
    s->bytes += bytes > 0 ? bytes : 0;
  }
  ev.task_key = t->key;
  ev.partition = t->partition;
  ev.attempt = w->attempt;
  ev.worker = w->index;
  ev.rows = kind == SP_EVENT_TASK_FINISHED ? rows : -1;
  ev.bytes = kind == SP_EVENT_TASK_FINISHED ? bytes : -1;
  send_stage(e, &ev, kind, s);
  if (kind == SP_EVENT_TASK_FINISHED && s->done == s->total) {
    memset(&ev, 0, sizeof(ev));
    send_stage(e, &ev, SP_EVENT_STAGE_FINISHED, s);
  }
}

int64_t sp_events_tick_due(const sp_events *e)
{
  int64_t left;

  if (!e->fn)
    return -1;
  left = e->last_ms + TICK_MS - sp_clock_ms();
  return left > 0 ? left : 0;
}

void sp_events_tick(sp_events *e)
{
  sp_event ev = {0};

  if (sp_events_tick_due(e) != 0)
    return;
  ev.kind = SP_EVENT_TICK;
  send(e, &ev);
}

void sp_events_release(sp_events *e)
{
  size_t i;

  for (i = 0; i < e->n; i++)
    sp_free(e->stages[i].name);
  sp_free(e->stages);
  memset(e, 0, sizeof(*e));
}
