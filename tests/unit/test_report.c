/*
 * test_report.c - unit tests of what `smallpond report` reads of a job
 * (plan.json, log/tasks.csv) and the page it draws (src/api/report.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/report.h"
#include "duck/duck.h"
#include "sched/attempts.h"
#include "util/alloc.h"
#include "util/buf.h"

static const char plan[] =
    "{\"version\": \"0.1.0\", \"nodes\": ["
    "{\"id\": 1, \"kind\": \"read\", \"partitions\": 1, \"inputs\": [], "
    "\"files\": 3},"
    "{\"id\": 2, \"kind\": \"repartition\", \"partitions\": 4, \"inputs\": "
    "[1], \"split\": \"hash\", \"partition_key\": \"hash(k) % 4\"},"
    "{\"id\": 3, \"kind\": \"sql\", \"partitions\": 4, \"inputs\": [2, 1], "
    "\"sql\": \"SELECT '<b>' & 1 FROM {0}\"}],"
    "\"tasks\": [{\"key\": \"a\", \"kind\": \"split_files\", \"node\": 1},"
    "{\"key\": \"b\", \"kind\": \"shuffle\", \"node\": 2},"
    "{\"key\": \"c\", \"kind\": \"sql\", \"node\": 3},"
    "{\"key\": \"d\", \"kind\": \"sql\", \"node\": 3},"
    "{\"key\": \"e\", \"kind\": \"count\"}]}";

/* sp_report_read_plan of text: its status, with the error's message in
 * msg (when not NULL). */
static sp_status read_plan(sp_report *r, const char *text, char *msg,
                           size_t len)
{
  sp_error *err = NULL;
  sp_status st;

  memset(r, 0, sizeof(*r));
  st = sp_report_read_plan(r, text, strlen(text), "job/plan.json", &err);
  if (msg)
    snprintf(msg, len, "%s", err ? sp_error_message(err) : "");
  sp_error_free(&err);
  return st;
}

static void test_plan(void **state)
{
  sp_report r;

  (void)state;
  assert_int_equal(read_plan(&r, plan, NULL, 0), SP_OK);
  assert_int_equal(r.nnodes, 3);
  assert_string_equal(r.version, "0.1.0");
  assert_string_equal(r.nodes[0].detail, "3 files");
  assert_string_equal(r.nodes[1].detail, "into 4 by hash: hash(k) % 4");
  assert_int_equal(r.nodes[2].ninputs, 2);
  assert_int_equal(r.nodes[2].inputs[0], 1);
  assert_int_equal(r.nodes[2].inputs[1], 0);
  /* split_files runs in the driver; a count is no step's. */
  assert_int_equal(r.nodes[0].tasks, 0);
  assert_int_equal(r.nodes[1].tasks, 1);
  assert_int_equal(r.nodes[2].tasks, 2);
  sp_report_release(&r);
}

static void test_plan_bad(void **state)
{
  char msg[512];
  sp_report r;

  (void)state;
  /* Older: no version, or a node without the fields of this version. */
  assert_int_equal(read_plan(&r, "{\"nodes\": [], \"tasks\": []}", msg,
                             sizeof(msg)), SP_EINVAL);
  assert_non_null(strstr(msg, "job/plan.json was written by an older "
                               "smallpond"));
  sp_report_release(&r);
  assert_int_equal(read_plan(&r, "{\"version\": \"0.0.1\", \"nodes\": "
                             "[{\"id\": 1, \"type\": \"sql\"}], "
                             "\"tasks\": []}", msg, sizeof(msg)), SP_EINVAL);
  assert_non_null(strstr(msg, "written by smallpond 0.0.1"));
  assert_non_null(strstr(msg, "node #1 lacks"));
  sp_report_release(&r);
  /* Inputs must come before: no cycle can be drawn. */
  assert_int_equal(read_plan(&r, "{\"version\": \"0.1.0\", \"nodes\": "
                             "[{\"id\": 1, \"kind\": \"sql\", \"partitions\":"
                             " 1, \"inputs\": [1]}], \"tasks\": []}", msg,
                             sizeof(msg)), SP_EINVAL);
  assert_non_null(strstr(msg, "not a node before it"));
  sp_report_release(&r);
  assert_int_equal(read_plan(&r, "{\"version\": \"0.1.0\", \"nodes\": [], "
                             "\"tasks\": [{\"key\": \"a\", \"kind\": \"sql\","
                             " \"node\": 9}]}", msg, sizeof(msg)), SP_EINVAL);
  sp_report_release(&r);
  assert_int_equal(read_plan(&r, "{\"version\": ", msg, sizeof(msg)),
                   SP_EINVAL);
  assert_non_null(strstr(msg, "is not JSON"));
  sp_report_release(&r);
}

static const char rows[] =
    "a1,3,sql,0,1,0,2026-12-02T14:00:00.000Z,2026-12-02T14:00:01.000Z,1,"
    "10,100,5,50,ok,\n"
    /* a retry, then its duplicate: another attempt while it ran */
    "b1,3,sql,1,2,0,2026-12-02T14:00:00.000Z,2026-12-02T14:00:00.100Z,0.1,"
    "-1,100,-1,-1,retry,\"no <space> & \"\"quotes\"\"\"\n"
    "b1,3,sql,1,2,1,2026-12-02T14:00:00.100Z,2026-12-02T14:00:05.000Z,4.9,"
    "-1,100,-1,-1,lost,superseded\n"
    "b1,3,sql,1,1,2,2026-12-02T14:00:02.000Z,2026-12-02T14:00:03.000Z,1,"
    "-1,100,7,70,ok,\n"
    /* not rows: garbage, a bad status, an end before its start, a cut
     * line */
    "garbage\n"
    "c1,3,sql,0,1,0,2026-12-02T14:00:00.000Z,2026-12-02T14:00:01.000Z,1,"
    "1,1,1,1,maybe,\n"
    "c2,3,sql,0,1,0,2026-12-02T14:00:09.000Z,2026-12-02T14:00:01.000Z,1,"
    "1,1,1,1,ok,\n"
    "c3,-4,sql,0,1,0,2026-12-02T14:00:00.000Z,2026-12-02T14:00:01.000Z,1,"
    "1,1,1,1,ok,\n"
    "c4,3,sql,0,1,0,2026-12-02T14:0";

/* Writes text to a new file; returns its path (static). */
static const char *write_csv(const char *header, const char *text)
{
  static char path[64];
  FILE *f;
  int fd;

  snprintf(path, sizeof(path), "/tmp/sp-test-report-XXXXXX");
  fd = mkstemp(path);
  assert_true(fd >= 0);
  f = fdopen(fd, "w");
  assert_non_null(f);
  fputs(header, f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
  return path;
}

static sp_status read_csv(sp_report *r, const char *header, const char *text)
{
  duckdb_database db = NULL;
  duckdb_connection con = NULL;
  sp_error *err = NULL;
  const char *path = write_csv(header, text);
  sp_status st;

  assert_int_equal(sp_duck_open_connected(&db, &con, &err), SP_OK);
  st = sp_report_read_attempts(r, con, path, &err);
  sp_error_free(&err);
  sp_duck_close(&db, &con);
  unlink(path);
  return st;
}

static void test_attempts(void **state)
{
  sp_report r = {0};

  (void)state;
  assert_int_equal(read_csv(&r, SP_ATTEMPTS_HEADER, rows), SP_OK);
  assert_int_equal(r.nattempts, 4);
  assert_int_equal(r.skipped, 5);
  assert_string_equal(r.attempts[0].key, "a1");
  assert_int_equal(r.attempts[0].end_ms - r.attempts[0].start_ms, 1000);
  assert_int_equal(r.attempts[0].rows_in, 10);
  assert_int_equal(r.attempts[1].outcome, SP_REPORT_RETRY);
  assert_string_equal(r.attempts[1].error, "no <space> & \"quotes\"");
  assert_int_equal(r.attempts[2].outcome, SP_REPORT_LOST);
  assert_int_equal(r.attempts[1].speculative, 0);
  assert_int_equal(r.attempts[2].speculative, 0);
  assert_int_equal(r.attempts[3].speculative, 1);
  assert_int_equal(r.attempts[3].worker, 1);
  sp_report_release(&r);
  /* Another version's columns: refused, not misread. */
  assert_int_equal(read_csv(&r, "key,node,status\n", "a,1,ok\n"), SP_EINVAL);
  sp_report_release(&r);
  /* Only a header: no rows yet. */
  assert_int_equal(read_csv(&r, SP_ATTEMPTS_HEADER, ""), SP_OK);
  assert_int_equal(r.nattempts + r.skipped, 0);
  sp_report_release(&r);
}

static size_t occurs(const char *s, const char *what)
{
  size_t n = 0;

  for (; (s = strstr(s, what)); s += strlen(what))
    n++;
  return n;
}

static void test_html(void **state)
{
  sp_buf html = SP_BUF_INIT;
  sp_report r;

  (void)state;
  assert_int_equal(read_plan(&r, plan, NULL, 0), SP_OK);
  assert_int_equal(read_csv(&r, SP_ATTEMPTS_HEADER, rows), SP_OK);
  r.job = sp_strdup("/data/<job> & \"x\"");
  snprintf(r.state, sizeof(r.state), "running");
  sp_report_html(&r, 0, &html);
  assert_false(sp_buf_oom(&html));
  assert_int_equal(occurs(html.data, "class=\"attempt "), 4);
  assert_int_equal(occurs(html.data, "class=\"attempt retry\""), 1);
  assert_int_equal(occurs(html.data, "class=\"attempt lost\""), 1);
  assert_int_equal(occurs(html.data, "class=\"attempt ok speculative\""), 1);
  assert_int_equal(occurs(html.data, "class=\"node\""), 3);
  assert_int_equal(occurs(html.data, "<path class=\"edge\""), 3);
  /* Text from the files is escaped, everywhere. */
  assert_null(strstr(html.data, "<job>"));
  assert_null(strstr(html.data, "<space>"));
  assert_null(strstr(html.data, "'<b>'"));
  assert_non_null(strstr(html.data, "/data/&lt;job&gt; &amp; &quot;x&quot;"));
  assert_non_null(strstr(html.data, "no &lt;space&gt; &amp; &quot;quotes"));
  assert_null(strstr(html.data, "://"));
  assert_non_null(strstr(html.data, "5 rows of log/tasks.csv could not"));
  assert_non_null(strstr(html.data, "attempts still running are not shown"));
  /* Step 3: two tasks done of two, p50 1 s (nearest rank), max 1 s. */
  assert_non_null(strstr(html.data, "#3 sql</td><td>2 / 2</td><td>4</td>"
                                    "<td>1</td><td>0</td><td>1</td>"
                                    "<td>1</td>"));
  sp_buf_release(&html);
  sp_report_release(&r);
}

static void test_html_empty(void **state)
{
  sp_buf html = SP_BUF_INIT;
  sp_report r = {0};

  (void)state;
  r.job = sp_strdup("j");
  snprintf(r.state, sizeof(r.state), "new");
  sp_report_html(&r, 0, &html);
  assert_false(sp_buf_oom(&html));
  assert_non_null(strstr(html.data, "No plan.json"));
  assert_non_null(strstr(html.data, "No attempt has ended yet"));
  assert_null(strstr(html.data, "class=\"attempt"));
  sp_buf_release(&html);
  sp_report_release(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plan),     cmocka_unit_test(test_plan_bad),
      cmocka_unit_test(test_attempts), cmocka_unit_test(test_html),
      cmocka_unit_test(test_html_empty),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
