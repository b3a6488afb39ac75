/*
 * report_html.c - a job (report.h) drawn as one HTML page that needs
 * nothing else: inline CSS and SVG, no script, no link, nothing fetched,
 * so it can be mailed, archived or opened offline.
 *
 * DESIGN. Every text that comes from the job's files (keys, SQL, errors,
 * paths) goes through put_text, the one escaping; numbers are printed by
 * the page. Each step has a colour, its node id's, used alike in the
 * graph, the timeline and the tables. The elements a test counts carry a
 * class: "node" per step of the graph, "attempt" per timeline bar (with
 * data-key and data-attempt), nothing else uses those classes.
 */
#include "api/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"

/* Tableau 10: told apart by most eyes, also in print. */
static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

static const char *colour_of(int node)
{
  return node > 0 ? palette[(node - 1) % 10] : "#8c8c8c";
}

/* Appends n bytes of s as HTML text, safe in an element and in a quoted
 * attribute: the one escaping of the page. Control characters become
 * spaces. */
static void put_text_n(sp_buf *b, const char *s, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '&': sp_buf_puts(b, "&amp;"); break;
    case '<': sp_buf_puts(b, "&lt;"); break;
    case '>': sp_buf_puts(b, "&gt;"); break;
    case '"': sp_buf_puts(b, "&quot;"); break;
    case '\'': sp_buf_puts(b, "&#39;"); break;
    default: sp_buf_putc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
    }
  }
}

/* The first max bytes of s (all with max 0) as HTML text; a cut is made
 * between UTF-8 characters and marked with an ellipsis. */
static void put_text_max(sp_buf *b, const char *s, size_t max)
{
  size_t n = strlen(s);

  if (!max || n <= max) {
    put_text_n(b, s, n);
    return;
  }
  while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
    max--;
  put_text_n(b, s, max);
  sp_buf_puts(b, "\xe2\x80\xa6");
}

static void put_text(sp_buf *b, const char *s)
{
  put_text_max(b, s, 0);
}

/* "1.2 M" for n, a count of rows, or with unit "B" "1.2 MB" of bytes;
 * "?" for n < 0 (unknown). */
static void put_count(sp_buf *b, int64_t n, const char *unit)
{
  static const char *const scale[] = {"", " k", " M", " G", " T", " P"};
  double v = (double)n;
  int i = 0;

  if (n < 0) {
    sp_buf_puts(b, "?");
    return;
  }
  while (v >= 1000 && i < 5) {
    v /= 1000;
    i++;
  }
  if (i)
    sp_buf_appendf(b, "%.1f%s%s", v, scale[i], unit);
  else
    sp_buf_appendf(b, "%.0f%s%s", v, *unit ? " " : "", unit);
}

static void put_duration(sp_buf *b, int64_t ms)
{
  if (ms < 1000)
    sp_buf_appendf(b, "%lld ms", (long long)ms);
  else if (ms < 60000)
    sp_buf_appendf(b, "%.2f s", (double)ms / 1000);
  else if (ms < 3600000)
    sp_buf_appendf(b, "%lld min %02lld s", (long long)(ms / 60000),
                   (long long)(ms / 1000 % 60));
  else
    sp_buf_appendf(b, "%lld h %02lld min", (long long)(ms / 3600000),
                   (long long)(ms / 60000 % 60));
}

static void put_time(sp_buf *b, int64_t ms)
{
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  char when[40];

  if (!gmtime_r(&s, &tm) ||
      !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
    snprintf(when, sizeof(when), "%lld ms", (long long)ms);
  sp_buf_puts(b, when);
}

static const char *const outcome_names[] = {"ok", "retry", "failed", "lost"};

/* A step as the tables show it: the plan's node, or the tasks of a node
 * id that tasks.csv names and plan.json does not (an earlier run's). */
typedef struct stage {
  int node;
  const char *kind;
  const sp_report_node *plan;      /* NULL when not in plan.json */
  size_t attempts, by_outcome[4], speculative, done;
  int64_t rows_in, rows_out, bytes_out; /* sums; -1 once one is unknown */
  int64_t *ms;                     /* the ok attempts' durations */
  size_t nms;
  const sp_report_attempt *slowest;
} stage;

typedef struct stages {
  stage *items;
  size_t n;
} stages;

static stage *stage_of(stages *s, int node)
{
  size_t i;

  for (i = 0; i < s->n; i++)
    if (s->items[i].node == node)
      return &s->items[i];
  return NULL;
}

static void add_sum(int64_t *sum, int64_t n)
{
  if (*sum >= 0 && n >= 0 && n <= INT64_MAX - *sum)
    *sum += n;
  else
    *sum = -1;
}

static int by_ms(const void *x, const void *y)
{
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

  return (a > b) - (a < b);
}

static int by_key(const void *x, const void *y)
{
  return strcmp((*(const sp_report_attempt *const *)x)->key,
                (*(const sp_report_attempt *const *)y)->key);
}

/* The tasks of each stage that have an ok attempt, counted once each. */
static int count_done(const sp_report *r, stages *s)
{
  const sp_report_attempt **ok = sp_calloc(r->nattempts + 1, sizeof(*ok));
  size_t i, n = 0;

  if (!ok)
    return -1;
  for (i = 0; i < r->nattempts; i++)
    if (r->attempts[i].outcome == SP_REPORT_OK)
      ok[n++] = &r->attempts[i];
  qsort(ok, n, sizeof(*ok), by_key);
  for (i = 0; i < n; i++)
    if (i == 0 || strcmp(ok[i]->key, ok[i - 1]->key) != 0)
      stage_of(s, ok[i]->node)->done++;
  sp_free(ok);
  return 0;
}

/* The stages of r: the plan's nodes in order, then node ids only
 * tasks.csv names. Returns 0, or -1 when out of memory. */
static int make_stages(const sp_report *r, stages *s)
{
  size_t i;

  s->n = 0;
  if (!(s->items = sp_calloc(r->nnodes + r->nattempts + 1, sizeof(*s->items))))
    return -1;
  for (i = 0; i < r->nnodes; i++) {
    stage *g = &s->items[s->n++];
    g->node = r->nodes[i].id;
    g->kind = r->nodes[i].kind;
    g->plan = &r->nodes[i];
  }
  /* Each stage's attempts counted first, to size its durations. */
  for (i = 0; i < r->nattempts; i++) {
    const sp_report_attempt *a = &r->attempts[i];
    stage *g = stage_of(s, a->node);
    if (!g) {
      g = &s->items[s->n++];
      g->node = a->node;
      g->kind = a->kind;
    }
    g->attempts++;
  }
  for (i = 0; i < s->n; i++)
    if (!(s->items[i].ms = sp_calloc(s->items[i].attempts + 1,
                                     sizeof(int64_t))))
      return -1;
  for (i = 0; i < r->nattempts; i++) {
    const sp_report_attempt *a = &r->attempts[i];
    stage *g = stage_of(s, a->node);
    g->by_outcome[a->outcome]++;
    g->speculative += a->speculative != 0;
    if (a->outcome != SP_REPORT_OK)
      continue;
    add_sum(&g->rows_in, a->rows_in);
    add_sum(&g->rows_out, a->rows_out);
    add_sum(&g->bytes_out, a->bytes_out);
    g->ms[g->nms++] = a->end_ms - a->start_ms;
    if (!g->slowest ||
        a->end_ms - a->start_ms > g->slowest->end_ms - g->slowest->start_ms)
      g->slowest = a;
  }
  for (i = 0; i < s->n; i++)
    qsort(s->items[i].ms, s->items[i].nms, sizeof(int64_t), by_ms);
  return count_done(r, s);
}

static void free_stages(stages *s)
{
  size_t i;

  for (i = 0; s->items && i < s->n; i++)
    sp_free(s->items[i].ms);
  sp_free(s->items);
}

/* The p-th percentile (nearest rank) of the n > 0 sorted values. */
static int64_t percentile(const int64_t *v, size_t n, double p)
{
  double exact = p * (double)n;
  size_t rank = (size_t)exact;

  if ((double)rank < exact)
    rank++;
  return v[rank > 0 ? rank - 1 : 0];
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}"
    ".meta{color:#555}.warn{color:#a40000}"
    ".scroll{overflow-x:auto;border:1px solid #ddd;padding:8px}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{border-bottom:1px solid #e4e4e4;padding:3px 8px;text-align:right;"
    "white-space:nowrap}"
    "th{background:#f4f4f4}td.l,th.l{text-align:left}"
    "td.err{white-space:normal;max-width:60em;text-align:left;"
    "font-family:monospace}"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:5px;"
    "border-radius:2px}"
    "svg text{font:12px system-ui,sans-serif;fill:#222}"
    "svg .sub{fill:#555;font-size:11px}"
    ".node rect.box{fill:#fff;stroke-width:2}"
    ".edge{fill:none;stroke:#888;stroke-width:1.3}"
    ".bar{stroke:#fff;stroke-width:.6}"
    ".retry .bar{stroke:#c00;stroke-width:1.5}"
    ".failed .bar{stroke:#c00;stroke-width:3}"
    ".lost .bar{fill-opacity:.35;stroke:#333;stroke-width:1;"
    "stroke-dasharray:3 2}"
    ".spec{fill:#000}.grid{stroke:#e4e4e4}.legend svg{vertical-align:middle}"
    ".legend span{margin-right:14px}";

/* SVG definitions: the hatching of failed attempts and the edges' arrow. */
static const char svg_defs[] =
    "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" "
    "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
    "<rect width=\"2.5\" height=\"6\" fill=\"#000\" fill-opacity=\".45\"/>"
    "</pattern><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" "
    "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
    "<path d=\"M0 0L10 5L0 10z\" fill=\"#888\"/></marker></defs>";

/* The job's id: the last name of its folder's path. */
static void put_job_id(sp_buf *b, const char *dir)
{
  size_t n = strlen(dir);
  const char *name;

  while (n > 1 && dir[n - 1] == '/')
    n--;
  for (name = dir + n; name > dir && name[-1] != '/'; name--)
    ;
  put_text_n(b, name, (size_t)(dir + n - name));
}

static void put_head(const sp_report *r, int64_t now_ms, sp_buf *b)
{
  int64_t first = 0, last = 0;
  size_t i, ended[4] = {0}, spec = 0;

  for (i = 0; i < r->nattempts; i++) {
    const sp_report_attempt *a = &r->attempts[i];
    if (i == 0 || a->start_ms < first)
      first = a->start_ms;
    if (a->end_ms > last)
      last = a->end_ms;
    ended[a->outcome]++;
    spec += a->speculative != 0;
  }
  sp_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                 "<meta charset=\"utf-8\"><title>smallpond job ");
  put_text(b, r->job);
  sp_buf_appendf(b, "</title><style>%s</style></head><body>\n"
                 "<svg width=\"0\" height=\"0\" style=\"position:absolute\">"
                 "%s</svg>\n<h1>Job ", css, svg_defs);
  put_job_id(b, r->job);
  sp_buf_puts(b, "</h1>\n<p class=\"meta\">folder ");
  put_text(b, r->job);
  sp_buf_puts(b, " &middot; state: <b>");
  put_text(b, r->state);
  sp_buf_puts(b, "</b>");
  if (r->nattempts) {
    sp_buf_puts(b, " &middot; first attempt ");
    put_time(b, first);
    sp_buf_puts(b, ", last ended ");
    put_time(b, last);
    sp_buf_puts(b, " (");
    put_duration(b, last - first);
    sp_buf_puts(b, ")");
  }
  sp_buf_appendf(b, "<br>%zu attempts ended: %zu ok, %zu retried, "
                 "%zu failed, %zu lost; %zu speculative", r->nattempts,
                 ended[SP_REPORT_OK], ended[SP_REPORT_RETRY],
                 ended[SP_REPORT_FAILED], ended[SP_REPORT_LOST], spec);
  if (strcmp(r->state, "running") == 0)
    sp_buf_puts(b, "; attempts still running are not shown");
  sp_buf_puts(b, "<br>plan.json ");
  if (r->version) {
    sp_buf_puts(b, "written by smallpond ");
    put_text(b, r->version);
  } else {
    sp_buf_puts(b, "not written yet");
  }
  sp_buf_appendf(b, "; page made by smallpond %s at ", SP_VERSION_STRING);
  put_time(b, now_ms);
  sp_buf_puts(b, "</p>\n");
  if (r->skipped)
    sp_buf_appendf(b, "<p class=\"warn\">%zu rows of log/tasks.csv could not "
                   "be read and are left out (a cut last line while the job "
                   "runs, or an edited file).</p>\n", r->skipped);
}

/* Node geometry of the graph. */
enum { NODE_W = 210, NODE_H = 58, GAP_X = 50, GAP_Y = 18, PAD = 16 };

static void put_graph(const sp_report *r, const stages *s, sp_buf *b)
{
  int *depth = sp_calloc(r->nnodes + 1, sizeof(int));
  int *row = sp_calloc(r->nnodes + 1, sizeof(int));
  int *rows_at = sp_calloc(r->nnodes + 1, sizeof(int));
  int layers = 0, most = 0;
  size_t i, j;

  sp_buf_puts(b, "<h2>Plan</h2>\n");
  if (!r->has_plan) {
    sp_buf_puts(b, "<p>No plan.json: the job has not planned yet.</p>\n");
    goto out;
  }
  if (!depth || !row || !rows_at) {
    b->oom = 1;
    goto out;
  }
  /* Layers by depth: a node one right of its deepest input. */
  for (i = 0; i < r->nnodes; i++) {
    for (j = 0; j < r->nodes[i].ninputs; j++)
      if (depth[r->nodes[i].inputs[j]] + 1 > depth[i])
        depth[i] = depth[r->nodes[i].inputs[j]] + 1;
    row[i] = rows_at[depth[i]]++;
    if (depth[i] + 1 > layers)
      layers = depth[i] + 1;
    if (row[i] + 1 > most)
      most = row[i] + 1;
  }
  sp_buf_appendf(b, "<div class=\"scroll\"><svg class=\"graph\" width=\"%d\" "
                 "height=\"%d\">", 2 * PAD + layers * (NODE_W + GAP_X) -
                 GAP_X, 2 * PAD + most * (NODE_H + GAP_Y) - GAP_Y);
  for (i = 0; i < r->nnodes; i++)
    for (j = 0; j < r->nodes[i].ninputs; j++) {
      int from = r->nodes[i].inputs[j];
      int x1 = PAD + depth[from] * (NODE_W + GAP_X) + NODE_W;
      int y1 = PAD + row[from] * (NODE_H + GAP_Y) + NODE_H / 2;
      int x2 = PAD + depth[i] * (NODE_W + GAP_X);
      int y2 = PAD + row[i] * (NODE_H + GAP_Y) + NODE_H / 2;
      sp_buf_appendf(b, "<path class=\"edge\" d=\"M%d %dC%d %d %d %d %d %d\" "
                     "marker-end=\"url(#arrow)\"/>", x1, y1, x1 + GAP_X / 2,
                     y1, x2 - GAP_X / 2, y2, x2, y2);
    }
  for (i = 0; i < r->nnodes; i++) {
    const sp_report_node *n = &r->nodes[i];
    const stage *g = &s->items[i];
    int x = PAD + depth[i] * (NODE_W + GAP_X);
    int y = PAD + row[i] * (NODE_H + GAP_Y);
    sp_buf_appendf(b, "\n<g class=\"node\" data-node=\"%d\"><title>#%d ",
                   n->id, n->id);
    put_text(b, n->kind);
    sp_buf_puts(b, ": ");
    put_text(b, n->detail);
    sp_buf_appendf(b, "</title><rect class=\"box\" x=\"%d\" y=\"%d\" "
                   "width=\"%d\" height=\"%d\" rx=\"5\" stroke=\"%s\"/>"
                   "<rect x=\"%d\" y=\"%d\" width=\"7\" height=\"%d\" "
                   "fill=\"%s\"/><text x=\"%d\" y=\"%d\"><tspan "
                   "font-weight=\"bold\">#%d ", x, y, NODE_W, NODE_H,
                   colour_of(n->id), x, y, NODE_H, colour_of(n->id), x + 14,
                   y + 17, n->id);
    put_text(b, n->kind);
    sp_buf_appendf(b, "</tspan> &middot; %d partition%s</text>"
                   "<text class=\"sub\" x=\"%d\" y=\"%d\">", n->partitions,
                   n->partitions == 1 ? "" : "s", x + 14, y + 33);
    put_text_max(b, n->detail, 30);
    sp_buf_appendf(b, "</text><text class=\"sub\" x=\"%d\" y=\"%d\">%zu "
                   "of %zu tasks done, %zu attempts</text></g>", x + 14,
                   y + 49, g->done, n->tasks, g->attempts);
  }
  sp_buf_puts(b, "\n</svg></div>\n");
out:
  sp_free(depth);
  sp_free(row);
  sp_free(rows_at);
}

/* A step of about 8 between the times of a span of ms: 1, 2 or 5 times a
 * power of ten. */
static int64_t tick_step(int64_t span)
{
  int64_t step = 1;

  while (span / step > 8) {
    if (span / (step * 2) <= 8)
      return step * 2;
    if (span / (step * 5) <= 8)
      return step * 5;
    step *= 10;
  }
  return step;
}

static int by_int(const void *x, const void *y)
{
  int a = *(const int *)x, b = *(const int *)y;

  return (a > b) - (a < b);
}

/* The timeline's geometry. */
enum { LANE_H = 22, BAR_H = 16, LABEL_W = 80, PLOT_W = 1000, AXIS_H = 24 };

static void put_attempt(const sp_report_attempt *a,
                        int64_t t0, double scale, int lane, sp_buf *b)
{
  double x = LABEL_W + (double)(a->start_ms - t0) * scale;
  double w = (double)(a->end_ms - a->start_ms) * scale;
  int y = AXIS_H + lane * LANE_H + (LANE_H - BAR_H) / 2;

  if (w < 1.5)
    w = 1.5; /* an attempt of no time is still seen */
  sp_buf_appendf(b, "\n<g class=\"attempt %s%s\" data-key=\"",
                 outcome_names[a->outcome],
                 a->speculative ? " speculative" : "");
  put_text(b, a->key);
  sp_buf_appendf(b, "\" data-attempt=\"%d\"><title>#%d ", a->attempt,
                 a->node);
  put_text(b, a->kind);
  sp_buf_appendf(b, " partition %d, task ", a->partition);
  put_text(b, a->key);
  sp_buf_appendf(b, ", attempt %d on worker %d: %s%s, ", a->attempt,
                 a->worker, outcome_names[a->outcome],
                 a->speculative ? " (speculative)" : "");
  put_duration(b, a->end_ms - a->start_ms);
  sp_buf_puts(b, "; rows in ");
  put_count(b, a->rows_in, "");
  sp_buf_puts(b, ", out ");
  put_count(b, a->rows_out, "");
  sp_buf_puts(b, ", bytes out ");
  put_count(b, a->bytes_out, "B");
  if (a->error) {
    sp_buf_puts(b, "; ");
    put_text_max(b, a->error, 400);
  }
  sp_buf_appendf(b, "</title><rect class=\"bar\" x=\"%.1f\" y=\"%d\" "
                 "width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", x, y, w, BAR_H,
                 colour_of(a->node));
  if (a->outcome == SP_REPORT_RETRY || a->outcome == SP_REPORT_FAILED)
    sp_buf_appendf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
                   "height=\"%d\" fill=\"url(#hatch)\"/>", x, y, w, BAR_H);
  if (a->speculative)
    sp_buf_appendf(b, "<path class=\"spec\" d=\"M%.1f %dl8 0l-4 6z\"/>", x,
                   y - 3);
  sp_buf_puts(b, "</g>");
}

static void put_timeline(const sp_report *r, sp_buf *b)
{
  int *workers = sp_calloc(r->nattempts + 1, sizeof(int));
  int64_t t0 = 0, t1 = 0, span, step, t;
  size_t i, nworkers = 0;
  double scale;
  int height;

  sp_buf_puts(b, "<h2>Timeline</h2>\n");
  if (!r->nattempts) {
    sp_buf_puts(b, "<p>No attempt has ended yet (log/tasks.csv has no "
                   "rows).</p>\n");
    goto out;
  }
  if (!workers) {
    b->oom = 1;
    goto out;
  }
  for (i = 0; i < r->nattempts; i++) {
    if (i == 0 || r->attempts[i].start_ms < t0)
      t0 = r->attempts[i].start_ms;
    if (i == 0 || r->attempts[i].end_ms > t1)
      t1 = r->attempts[i].end_ms;
    workers[i] = r->attempts[i].worker;
  }
  qsort(workers, r->nattempts, sizeof(int), by_int);
  for (i = 0; i < r->nattempts; i++)
    if (i == 0 || workers[i] != workers[nworkers - 1])
      workers[nworkers++] = workers[i];
  span = t1 - t0 > 0 ? t1 - t0 : 1;
  step = tick_step(span);
  scale = (double)PLOT_W / (double)span;
  height = AXIS_H + (int)nworkers * LANE_H + 4;
  sp_buf_puts(b, "<p class=\"legend\">");
  for (i = 0; i < 5; i++) {
    static const char *const what[] = {
        "ok", "failed, tried again", "failed, the task failed",
        "lost: another attempt won", "speculative duplicate"};
    static const char *const cls[] = {"ok", "retry", "failed", "lost", "ok"};
    sp_buf_appendf(b, "<span><svg width=\"30\" height=\"18\"><g class=\"%s\">"
                   "<rect class=\"bar\" x=\"2\" y=\"2\" width=\"26\" "
                   "height=\"14\" fill=\"%s\"/>%s%s</g></svg> %s</span>",
                   cls[i], palette[0],
                   i == 1 || i == 2 ? "<rect x=\"2\" y=\"2\" width=\"26\" "
                                      "height=\"14\" fill=\"url(#hatch)\"/>"
                                    : "",
                   i == 4 ? "<path class=\"spec\" d=\"M2 0l8 0l-4 6z\"/>" : "",
                   what[i]);
  }
  sp_buf_appendf(b, "</p>\n<div class=\"scroll\"><svg class=\"timeline\" "
                 "width=\"%d\" height=\"%d\">", LABEL_W + PLOT_W + 20,
                 height);
  for (t = 0; t <= span; t += step) {
    double x = LABEL_W + (double)t * scale;
    sp_buf_appendf(b, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" "
                   "x2=\"%.1f\" y2=\"%d\"/><text class=\"sub\" x=\"%.1f\" "
                   "y=\"14\">", x, AXIS_H - 4, x, height, x + 2);
    if (step >= 1000)
      sp_buf_appendf(b, "%lld s", (long long)(t / 1000));
    else
      sp_buf_appendf(b, "%.3g s", (double)t / 1000);
    sp_buf_puts(b, "</text>");
    if (t > INT64_MAX - step)
      break;
  }
  for (i = 0; i < nworkers; i++) {
    int y = AXIS_H + (int)i * LANE_H + LANE_H / 2 + 4;
    if (workers[i] == 0)
      sp_buf_appendf(b, "<text x=\"4\" y=\"%d\">driver</text>", y);
    else
      sp_buf_appendf(b, "<text x=\"4\" y=\"%d\">worker %d</text>", y,
                     workers[i]);
  }
  for (i = 0; i < r->nattempts; i++) {
    int *at = bsearch(&r->attempts[i].worker, workers, nworkers, sizeof(int),
                      by_int);
    put_attempt(&r->attempts[i], t0, scale, at ? (int)(at - workers) : 0, b);
  }
  sp_buf_puts(b, "\n</svg></div>\n");
out:
  sp_free(workers);
}

static void put_stage_row(const stage *g, sp_buf *b)
{
  sp_buf_appendf(b, "<tr><td class=\"l\"><span class=\"sw\" "
                 "style=\"background:%s\"></span>#%d ", colour_of(g->node),
                 g->node);
  put_text(b, g->kind);
  if (!g->plan)
    sp_buf_puts(b, g->node ? " (not in plan.json)" : " (no step)");
  sp_buf_appendf(b, "</td><td>%zu", g->done);
  if (g->plan)
    sp_buf_appendf(b, " / %zu", g->plan->tasks);
  sp_buf_appendf(b, "</td><td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</td>"
                 "<td>%zu</td><td>", g->attempts,
                 g->by_outcome[SP_REPORT_RETRY],
                 g->by_outcome[SP_REPORT_FAILED],
                 g->by_outcome[SP_REPORT_LOST], g->speculative);
  put_count(b, g->nms ? g->rows_in : -1, "");
  sp_buf_puts(b, "</td><td>");
  put_count(b, g->nms ? g->rows_out : -1, "");
  sp_buf_puts(b, "</td><td>");
  put_count(b, g->nms ? g->bytes_out : -1, "B");
  sp_buf_puts(b, "</td>");
  if (!g->nms) {
    sp_buf_puts(b, "<td></td><td></td><td></td><td></td><td></td></tr>\n");
    return;
  }
  sp_buf_puts(b, "<td>");
  put_duration(b, percentile(g->ms, g->nms, 0.5));
  sp_buf_puts(b, "</td><td>");
  put_duration(b, percentile(g->ms, g->nms, 0.95));
  sp_buf_puts(b, "</td><td>");
  put_duration(b, g->ms[g->nms - 1]);
  sp_buf_appendf(b, "</td><td>%.1f</td><td class=\"l\">", 
                 (double)g->ms[g->nms - 1] /
                     (double)(percentile(g->ms, g->nms, 0.5) > 0
                                  ? percentile(g->ms, g->nms, 0.5)
                                  : 1));
  put_text(b, g->slowest->key);
  sp_buf_appendf(b, " (partition %d) on worker %d</td></tr>\n",
                 g->slowest->partition, g->slowest->worker);
}

static void put_stages(const stages *s, sp_buf *b)
{
  size_t i;

  sp_buf_puts(b, "<h2>Steps</h2>\n<div class=\"scroll\"><table><tr>"
                 "<th class=\"l\">step</th><th>tasks done</th>"
                 "<th>attempts</th><th>retried</th><th>failed</th>"
                 "<th>lost</th><th>speculative</th><th>rows in</th>"
                 "<th>rows out</th><th>bytes out</th><th>p50</th><th>p95</th>"
                 "<th>max</th><th>max / p50</th><th class=\"l\">slowest task"
                 "</th></tr>\n");
  for (i = 0; i < s->n; i++)
    put_stage_row(&s->items[i], b);
  sp_buf_puts(b, "</table></div>\n<p class=\"meta\">Durations and sums are "
                 "of each step's successful attempts; rows in and out are "
                 "\"?\" when a task does not know them.</p>\n");
}

/* The errors of failed attempts, the first 200. */
static void put_errors(const sp_report *r, sp_buf *b)
{
  size_t i, shown = 0, failed = 0;

  for (i = 0; i < r->nattempts; i++)
    failed += r->attempts[i].outcome == SP_REPORT_RETRY ||
              r->attempts[i].outcome == SP_REPORT_FAILED;
  if (!failed)
    return;
  sp_buf_appendf(b, "<h2>Failed attempts (%zu)</h2>\n<div class=\"scroll\">"
                 "<table><tr><th class=\"l\">step</th><th class=\"l\">task"
                 "</th><th>attempt</th><th>worker</th><th class=\"l\">"
                 "outcome</th><th class=\"l\">error</th></tr>\n", failed);
  for (i = 0; i < r->nattempts && shown < 200; i++) {
    const sp_report_attempt *a = &r->attempts[i];
    if (a->outcome != SP_REPORT_RETRY && a->outcome != SP_REPORT_FAILED)
      continue;
    shown++;
    sp_buf_appendf(b, "<tr><td class=\"l\">#%d ", a->node);
    put_text(b, a->kind);
    sp_buf_puts(b, "</td><td class=\"l\">");
    put_text(b, a->key);
    sp_buf_appendf(b, " (partition %d)</td><td>%d</td><td>%d</td>"
                   "<td class=\"l\">%s</td><td class=\"err\">", a->partition,
                   a->attempt, a->worker, outcome_names[a->outcome]);
    put_text_max(b, a->error ? a->error : "", 2000);
    sp_buf_puts(b, "</td></tr>\n");
  }
  sp_buf_puts(b, "</table></div>\n");
  if (shown < failed)
    sp_buf_appendf(b, "<p class=\"meta\">and %zu more in log/tasks.csv</p>\n",
                   failed - shown);
}

void sp_report_html(const sp_report *r, int64_t now_ms, sp_buf *out)
{
  stages s = {0};

  if (make_stages(r, &s) != 0) {
    out->oom = 1;
    goto out;
  }
  put_head(r, now_ms, out);
  put_graph(r, &s, out);
  put_timeline(r, out);
  put_stages(&s, out);
  put_errors(r, out);
  sp_buf_puts(out, "</body></html>\n");
out:
  free_stages(&s);
}
