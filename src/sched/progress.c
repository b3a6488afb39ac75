/*
 * progress.c - progress on stderr (see progress.h).
 */
#include "sched/progress.h"

#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/clock.h"
#include "util/error.h"

void sp_progress_init(sp_progress *p, FILE *out)
{
  memset(p, 0, sizeof(*p));
  p->out = out;
  p->tty = out && isatty(fileno(out));
}

static int stage_node(const sp_task *t)
{
  return t->node ? t->node->id : 0;
}

static sp_stage *find(sp_progress *p, const sp_task *t)
{
  size_t i;

  for (i = 0; i < p->n; i++)
    if (p->stages[i].node == stage_node(t))
      return &p->stages[i];
  return NULL;
}

sp_status sp_progress_expect(sp_progress *p, const sp_task *t,
                             sp_error **err)
{
  sp_stage *s;
  size_t i;

  if (!p->out || !sp_task_kind_runs_in_worker(t->kind))
    return SP_OK;
  if (!(s = find(p, t))) {
    if (sp_grow((void **)&p->stages, &p->cap, p->n + 1, sizeof(*p->stages)))
      return sp_error_oom(err);
    /* Keep node order: stages run roughly in it. */
    for (i = p->n; i > 0 && p->stages[i - 1].node > stage_node(t); i--)
      p->stages[i] = p->stages[i - 1];
    s = &p->stages[i];
    memset(s, 0, sizeof(*s));
    s->node = stage_node(t);
    s->kind = t->node ? sp_node_kind_name(t->node->kind)
                      : sp_task_kind_name(t->kind);
    p->n++;
  }
  s->total++;
  return SP_OK;
}

/* "1.2 M" for n. */
static void human(char *buf, size_t len, double n, const char *unit)
{
  const char *scale[] = {"", " k", " M", " G", " T"};
  int i = 0;

  while (n >= 1000 && i < 4) {
    n /= 1000;
    i++;
  }
  snprintf(buf, len, i ? "%.1f%s%s" : "%.0f%s%s", n, scale[i], unit);
}

static void describe(const sp_stage *s, int64_t now, char *buf, size_t len)
{
  char rows[32], bytes[32];
  double secs = (now - s->start_ms) / 1000.0;

  human(rows, sizeof(rows), (double)s->rows, " rows");
  human(bytes, sizeof(bytes), (double)s->bytes, "B");
  snprintf(buf, len, "#%d %s: %zu/%zu tasks, %s, %s, %.1f s", s->node,
           s->kind, s->done, s->total, rows, bytes, secs);
}

void sp_progress_started(sp_progress *p, const sp_task *t)
{
  sp_stage *s;

  if (p->out && (s = find(p, t)) && s->start_ms == 0)
    s->start_ms = sp_clock_ms();
}

void sp_progress_done(sp_progress *p, const sp_task *t, int64_t rows,
                      int64_t bytes)
{
  sp_stage *s;
  int64_t now = sp_clock_ms();
  char line[256];

  if (!p->out || !(s = find(p, t)))
    return;
  s->done++;
  s->rows += rows > 0 ? rows : 0;
  s->bytes += bytes > 0 ? bytes : 0;
  describe(s, now, line, sizeof(line));
  if (s->done == s->total) {
    fprintf(p->out, "%s%s\n", p->tty ? "\r\033[K" : "", line);
  } else if (p->tty && now - p->last_draw_ms >= 100) {
    double secs = (now - s->start_ms) / 1000.0;
    fprintf(p->out, "\r\033[K%s, ETA %.0f s", line,
            secs / (double)s->done * (double)(s->total - s->done));
  }
  if (s->done == s->total || now - p->last_draw_ms >= 100)
    p->last_draw_ms = now;
  fflush(p->out);
}

void sp_progress_release(sp_progress *p)
{
  if (p->out && p->tty)
    fputs("\r\033[K", p->out);
  sp_free(p->stages);
  memset(p, 0, sizeof(*p));
}
