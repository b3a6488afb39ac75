/*
 * progress.c - the progress display (see progress.h).
 */
#include "api/progress.h"

#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"

#define REDRAW_MS 150     /* redraw on an event this long after the last (ticks come every 200 ms) */
#define PLAIN_EVERY_MS 10000 /* off a terminal, a running stage's line */

typedef struct shown_stage {
  sp_event last;         /* its latest counts; stage_name is name */
  char *name;
  int finished;
  int64_t plain_ms;      /* off a terminal: when its last line went out */
} shown_stage;

struct sp_progress {
  FILE *out;
  int tty;
  shown_stage *stages;
  size_t n, cap;
  int lines;             /* live lines drawn below the permanent ones */
  int64_t drawn_ms;
};

sp_progress *sp_progress_new(FILE *out)
{
  sp_progress *p = sp_calloc(1, sizeof(*p));

  if (!p)
    return NULL;
  p->out = out;
  p->tty = isatty(fileno(out));
  return p;
}

/* "1.2 M" for n. */
static void human(char *buf, size_t len, double n, const char *unit)
{
  static const char *const scale[] = {"", " k", " M", " G", " T"};
  int i = 0;

  while (n >= 1000 && i < 4) {
    n /= 1000;
    i++;
  }
  snprintf(buf, len, i ? "%.1f%s%s" : "%.0f%s%s", n, scale[i], unit);
}

/* The line of stage s as of now_ms (wall clock). */
static void describe(const shown_stage *s, int64_t now_ms, char *buf,
                     size_t len)
{
  const sp_event *e = &s->last;
  char rows[32], bytes[32], eta[48] = "";
  double secs = (double)(now_ms - e->stage_start_ms) / 1000.0;
  int n;

  human(rows, sizeof(rows), (double)e->stage_rows, " rows");
  human(bytes, sizeof(bytes), (double)e->stage_bytes, "B");
  if (!s->finished && e->stage_done > 0)
    snprintf(eta, sizeof(eta), ", ETA %.0f s",
             secs / (double)e->stage_done *
                 (double)(e->stage_tasks - e->stage_done));
  n = snprintf(buf, len, "#%d %s: %lld/%lld tasks", e->stage, s->name,
               (long long)e->stage_done, (long long)e->stage_tasks);
  if (n < 0 || (size_t)n >= len)
    return;
  if (!s->finished && e->stage_running > 0)
    n += snprintf(buf + n, len - (size_t)n, " (%lld running)",
                  (long long)e->stage_running);
  if ((size_t)n < len)
    snprintf(buf + n, len - (size_t)n, ", %s, %s, %.1f s%s", rows, bytes,
             secs, eta);
}

static int width(const sp_progress *p)
{
  struct winsize ws;

  if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
    return ws.ws_col;
  return 80;
}

/* Off a terminal, every line starts with the time. */
static void stamp(const sp_progress *p, int64_t ms)
{
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  char when[32];

  if (p->tty || !localtime_r(&t, &tm) ||
      !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S ", &tm))
    return;
  fputs(when, p->out);
}

/* Erases the live lines, so that what is printed next stays. */
static void erase(sp_progress *p)
{
  if (p->tty && p->lines > 0)
    fprintf(p->out, "\033[%dA\033[J", p->lines);
  p->lines = 0;
}

/* Draws a line per running stage below what stays. */
static void draw(sp_progress *p, int64_t now_ms)
{
  char line[512];
  int cols = width(p);
  size_t i;

  erase(p);
  for (i = 0; i < p->n; i++) {
    const shown_stage *s = &p->stages[i];
    if (s->finished || s->last.stage_start_ms == 0)
      continue;
    describe(s, now_ms, line, sizeof(line));
    /* A line that wrapped would throw off the count to erase. */
    fprintf(p->out, "%.*s\n", cols - 1, line);
    p->lines++;
  }
  p->drawn_ms = now_ms;
}

/* A line that stays: above the live lines, or with the time. */
static void say(sp_progress *p, int64_t now_ms, const char *line)
{
  erase(p);
  stamp(p, now_ms);
  fprintf(p->out, "%s\n", line);
}

static shown_stage *stage_of(sp_progress *p, const sp_event *ev)
{
  size_t i;

  for (i = 0; i < p->n; i++)
    if (p->stages[i].last.stage == ev->stage)
      return &p->stages[i];
  if (sp_grow((void **)&p->stages, &p->cap, p->n + 1, sizeof(*p->stages)))
    return NULL;
  memset(&p->stages[p->n], 0, sizeof(*p->stages));
  if (!(p->stages[p->n].name = sp_strdup(ev->stage_name ? ev->stage_name
                                                        : "")))
    return NULL;
  return &p->stages[p->n++];
}

static void forget_stages(sp_progress *p)
{
  size_t i;

  for (i = 0; i < p->n; i++)
    sp_free(p->stages[i].name);
  p->n = 0;
}

void sp_progress_event(const sp_event *ev, void *arg)
{
  sp_progress *p = arg;
  shown_stage *s = NULL;
  char line[640];
  size_t i;

  /* Stage and task events name their stage; run events and ticks do
   * not. */
  if (ev->stage_name) {
    if (!(s = stage_of(p, ev)))
      return; /* out of memory: show less, never fail the job */
    s->last = *ev;
    s->last.stage_name = NULL;
  }
  switch (ev->kind) {
  case SP_EVENT_STAGE_STARTED:
    if (!p->tty) {
      snprintf(line, sizeof(line), "#%d %s: started, %lld tasks", ev->stage,
               s->name, (long long)ev->stage_tasks);
      say(p, ev->time_ms, line);
      s->plain_ms = ev->time_ms;
    }
    break;
  case SP_EVENT_STAGE_FINISHED:
    s->finished = 1;
    describe(s, ev->time_ms, line, sizeof(line));
    say(p, ev->time_ms, line);
    break;
  case SP_EVENT_TASK_RETRIED:
  case SP_EVENT_TASK_FAILED:
    snprintf(line, sizeof(line), "#%d %s: task %s, attempt %d on worker %d "
             "%s: %s", ev->stage, s->name, ev->task_key, ev->attempt,
             ev->worker, ev->kind == SP_EVENT_TASK_RETRIED
                             ? "failed, retrying"
                             : "failed",
             ev->error ? ev->error : "unknown error");
    say(p, ev->time_ms, line);
    break;
  case SP_EVENT_RUN_FINISHED:
    erase(p);
    forget_stages(p);
    break;
  default:
    break;
  }
  if (p->tty) {
    if (ev->kind != SP_EVENT_RUN_FINISHED &&
        (ev->kind == SP_EVENT_STAGE_STARTED ||
         ev->kind == SP_EVENT_STAGE_FINISHED ||
         ev->time_ms - p->drawn_ms >= REDRAW_MS))
      draw(p, ev->time_ms);
  } else {
    for (i = 0; i < p->n; i++) {
      s = &p->stages[i];
      if (s->finished || ev->time_ms - s->plain_ms < PLAIN_EVERY_MS)
        continue;
      describe(s, ev->time_ms, line, sizeof(line));
      say(p, ev->time_ms, line);
      s->plain_ms = ev->time_ms;
    }
  }
  fflush(p->out);
}

void sp_progress_free(sp_progress *p)
{
  if (!p)
    return;
  erase(p);
  fflush(p->out);
  forget_stages(p);
  sp_free(p->stages);
  sp_free(p);
}
