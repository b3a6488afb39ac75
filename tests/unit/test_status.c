/*
 * test_status.c - unit tests of the report `smallpond status` makes of a
 * job folder's files (src/api/status.h), from their bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/status.h"

/* The report for status, hosts and plan (NULL: no file) with the tasks in
 * keys (comma separated) finished; caller frees. */
static char *report_hosts(const char *status, const char *hosts,
                          const char *plan, const char *keys)
{
  sp_job_files f = {0};
  json_t *done = json_object();
  char *out = NULL, *copy = strdup(keys), *k;
  size_t len = 0;
  FILE *mem = open_memstream(&out, &len);

  assert_non_null(mem);
  for (k = strtok(copy, ","); k; k = strtok(NULL, ","))
    json_object_set_new(done, k, json_true());
  f.job_dir = "/data/job";
  f.status = status;
  f.status_len = status ? strlen(status) : 0;
  f.plan = plan;
  f.plan_len = plan ? strlen(plan) : 0;
  f.hosts = hosts;
  f.hosts_len = hosts ? strlen(hosts) : 0;
  f.done = done;
  sp_job_status_print(&f, mem);
  assert_int_equal(fclose(mem), 0);
  json_decref(done);
  free(copy);
  return out;
}

static char *report(const char *status, const char *plan, const char *keys)
{
  return report_hosts(status, NULL, plan, keys);
}

static const char plan[] =
  "{\"nodes\": [{\"id\": 1, \"kind\": \"read\"}, {\"id\": 2, \"kind\": "
  "\"sql\"}], \"tasks\": [{\"key\": \"a\", \"kind\": \"split_files\", "
  "\"node\": 1}, {\"key\": \"b\", \"kind\": \"sql\", \"node\": 2}, "
  "{\"key\": \"c\", \"kind\": \"sql\", \"node\": 2}]}";

static void test_report(void **state)
{
  char *out;

  (void)state;
  out = report("success 2026-12-02T04:18:08Z\n\n", plan, "b,x");
  assert_string_equal(out, "job /data/job\n"
                      "state: success 2026-12-02T04:18:08Z\n"
                      "steps of the last run's plan:\n"
                      "  #2 sql               1 / 2      tasks done  <-\n"
                      "1 of 2 tasks done; 2 finished tasks in "
                      "state.jsonl\n");
  free(out);
  out = report(NULL, "{", "");
  assert_string_equal(out, "job /data/job\nstate: never ran\nno plan yet; "
                      "0 finished tasks in state.jsonl\n");
  free(out);
}

/* plan.json is whatever was left in the folder: a step without a kind is
 * shown as "?", never printed from a NULL string. */
static void test_step_without_kind(void **state)
{
  char *out;

  (void)state;
  out = report("running", "{\"nodes\": [{\"id\": 1}], \"tasks\": [{\"key\": "
               "\"k\", \"kind\": \"sql\", \"node\": 1}]}", "k");
  assert_null(strstr(out, "(null)"));
  assert_non_null(strstr(out, "\n  #1 ?                 1 / 1      tasks "
                         "done\n"));
  free(out);
}

/* The hosts file's first line follows the state; an empty one, or none,
 * prints nothing. */
static void test_hosts(void **state)
{
  char *out;

  (void)state;
  out = report_hosts("failure 2026-12-02T04:18:08Z: rank 3 on host h2 was "
                     "lost\n", "h1 ranks 1, 2; h2 ranks 3\nmore\n", plan, "");
  assert_non_null(strstr(out, "state: failure 2026-12-02T04:18:08Z: rank 3 "
                         "on host h2 was lost\nhosts: h1 ranks 1, 2; h2 "
                         "ranks 3\nsteps of the last run's plan:\n"));
  assert_null(strstr(out, "more"));
  free(out);
  out = report_hosts("success", "", plan, "");
  assert_null(strstr(out, "hosts:"));
  free(out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_report),
    cmocka_unit_test(test_step_without_kind),
    cmocka_unit_test(test_hosts),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
