/*
 * fuzz_report.c - what `smallpond report` makes of a job's plan.json and
 * log/tasks.csv (src/api/report.h), on arbitrary bytes: tasks.csv is
 * appended to while a job runs and either file may be cut or edited.
 *
 * The input is "PLAN.JSON\0ROWS": plan.json, and the rows of a tasks.csv
 * written after this version's header into a file that DuckDB reads.
 * Checked: a plan that reads has as many steps as its JSON has nodes, each
 * input before its node; the rows read, or DuckDB says why it cannot (an
 * SQL error, never a crash); every attempt kept holds a key, a kind, an
 * outcome and an end not before its start; the page has a bar per
 * attempt and a node per step (their classes cannot come from escaped
 * text) and no markup from the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/report.h"
#include "duck/duck.h"
#include "fuzz.h"
#include "io/fs.h"
#include "sched/attempts.h"
#include "util/alloc.h"
#include "util/buf.h"

static duckdb_database db;
static duckdb_connection con;
static char dir[64];
static char csv[128];

static void remove_dir(void)
{
  sp_rm_rf(dir, NULL);
}

/* A folder for tasks.csv and a DuckDB, made once. */
static void setup(void)
{
  if (con)
    return;
  snprintf(dir, sizeof(dir), "/tmp/sp-fuzz-report-XXXXXX");
  if (!mkdtemp(dir) || atexit(remove_dir) != 0 ||
      sp_duck_open_connected(&db, &con, NULL) != SP_OK)
    abort();
  snprintf(csv, sizeof(csv), "%s/tasks.csv", dir);
}

static size_t occurs(const char *s, const char *what)
{
  size_t n = 0;

  for (; (s = strstr(s, what)); s += strlen(what))
    n++;
  return n;
}

static void check_plan(const sp_report *r, const char *text)
{
  json_t *plan = json_loads(text, 0, NULL);
  size_t i, j;

  FUZZ_CHECK(plan != NULL);
  FUZZ_CHECK(r->has_plan && r->version);
  FUZZ_CHECK(r->nnodes == json_array_size(json_object_get(plan, "nodes")));
  for (i = 0; i < r->nnodes; i++) {
    FUZZ_CHECK(r->nodes[i].id > 0 && r->nodes[i].kind && r->nodes[i].detail);
    for (j = 0; j < r->nodes[i].ninputs; j++)
      FUZZ_CHECK(r->nodes[i].inputs[j] >= 0 &&
                 (size_t)r->nodes[i].inputs[j] < i);
  }
  json_decref(plan);
}

/* Writes this version's header and then rows to tasks.csv. */
static void write_csv(const char *rows, size_t len)
{
  FILE *f = fopen(csv, "w");

  if (!f)
    abort();
  fputs(SP_ATTEMPTS_HEADER, f);
  if (len && fwrite(rows, 1, len, f) != len)
    abort();
  if (fclose(f) != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *nul = memchr(data, '\0', size);
  size_t plan_len = nul ? (size_t)(nul - data) : size;
  char *plan = fuzz_strndup(data, plan_len);
  const char *rows = nul ? (const char *)nul + 1 : "";
  size_t rows_len = nul ? size - plan_len - 1 : 0;
  sp_buf html = SP_BUF_INIT;
  sp_error *err = NULL;
  sp_report r = {0};
  sp_status st;
  size_t i;

  setup();
  st = sp_report_read_plan(&r, plan, plan_len, "plan.json", &err);
  fuzz_check_error(st, &err);
  if (st == SP_OK) {
    check_plan(&r, plan);
  } else {
    sp_report_release(&r);
    memset(&r, 0, sizeof(r));
  }
  write_csv(rows, rows_len);
  st = sp_report_read_attempts(&r, con, csv, &err);
  fuzz_check_error(st, &err);
  /* The header is right: only DuckDB's reader may give up on the rows
   * (DuckDB 1.4 has internal errors on some garbage), and says so. After
   * an internal error DuckDB refuses every query: a new one is opened. */
  FUZZ_CHECK(st == SP_OK || st == SP_ESQL);
  if (st == SP_ESQL) {
    sp_duck_close(&db, &con);
    if (sp_duck_open_connected(&db, &con, NULL) != SP_OK)
      abort();
  }
  for (i = 0; i < r.nattempts; i++) {
    const sp_report_attempt *a = &r.attempts[i];
    FUZZ_CHECK(a->key && *a->key && a->kind && *a->kind);
    FUZZ_CHECK(a->outcome <= SP_REPORT_LOST && a->end_ms >= a->start_ms);
    FUZZ_CHECK(a->node >= 0 && a->worker >= 0 && a->attempt >= 0);
  }
  if (!(r.job = sp_strndup(plan, plan_len < 40 ? plan_len : 40)))
    abort();
  snprintf(r.state, sizeof(r.state), "running");
  sp_report_html(&r, 0, &html);
  FUZZ_CHECK(!sp_buf_oom(&html));
  FUZZ_CHECK(occurs(html.data, "class=\"attempt ") == r.nattempts);
  FUZZ_CHECK(occurs(html.data, "class=\"node\"") == r.nnodes);
  FUZZ_CHECK(!strstr(html.data, "<script"));
  sp_buf_release(&html);
  sp_report_release(&r);
  free(plan);
  return 0;
}
