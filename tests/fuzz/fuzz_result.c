/*
 * fuzz_result.c - task results (src/plan/desc.h) on arbitrary bytes, as
 * the driver receives them from a worker: a frame of JSON, decoded by
 * sp_task_result_from_json. State.jsonl lines are results too, with a few
 * more keys.
 *
 * Checked: a decoded result encodes, goes through a frame again and
 * decodes to the same fields, and encoding is then a fixed point; its
 * outputs' SELECTs and row totals follow their contracts.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "plan/desc.h"

static int same_string(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

static void check_same(const sp_task_result *a, const sp_task_result *b)
{
  int i;

  FUZZ_CHECK(strcmp(a->key, b->key) == 0);
  FUZZ_CHECK(a->attempt == b->attempt && a->status == b->status);
  FUZZ_CHECK(a->rows == b->rows && a->elapsed_us == b->elapsed_us);
  FUZZ_CHECK(same_string(a->error, b->error));
  FUZZ_CHECK(same_string(a->error_sql, b->error_sql));
  FUZZ_CHECK(a->noutputs == b->noutputs);
  for (i = 0; i < a->noutputs; i++)
    fuzz_check_same_dataset(&a->outputs[i], &b->outputs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  json_t *j = fuzz_recv_json(data, size), *sent = NULL, *again = NULL, *j2;
  sp_task_result r, r2;
  sp_error *err = NULL;
  char *text = NULL;
  sp_status st;
  int i;

  if (!j)
    return 0;
  st = sp_task_result_from_json(j, &r, &err);
  fuzz_check_error(st, &err);
  if (st != SP_OK)
    goto out;
  FUZZ_CHECK(r.key && r.noutputs >= 0);
  FUZZ_CHECK((sent = sp_task_result_to_json(&r)) != NULL);
  FUZZ_CHECK((text = json_dumps(sent, JSON_COMPACT)) != NULL);
  FUZZ_CHECK((again = fuzz_recv_json((const uint8_t *)text,
                                     strlen(text))) != NULL);
  st = sp_task_result_from_json(again, &r2, &err);
  fuzz_check_error(st, &err);
  FUZZ_CHECK(st == SP_OK);
  check_same(&r, &r2);
  FUZZ_CHECK((j2 = sp_task_result_to_json(&r2)) != NULL);
  FUZZ_CHECK(json_equal(sent, j2));
  json_decref(j2);
  sp_task_result_release(&r2);
  for (i = 0; i < r.noutputs; i++)
    fuzz_use_dataset(&r.outputs[i]);
  sp_task_result_release(&r);
out:
  free(text); /* from jansson */
  json_decref(again);
  json_decref(sent);
  json_decref(j);
  return 0;
}
