/*
 * fuzz_dataset.c - a dataset's JSON (src/plan/dataset.h) on arbitrary
 * bytes: the file lists inside task descriptors, results and state.jsonl.
 *
 * Checked: a decoded dataset encodes and decodes to the same pieces, and
 * encoding is then a fixed point; the worker's SELECT over it and the
 * driver's row total follow their contracts.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  json_t *j = fuzz_recv_json(data, size);
  sp_error *err = NULL;
  sp_dataset d;
  sp_status st;

  if (!j)
    return 0;
  st = sp_dataset_from_json(j, &d, &err);
  fuzz_check_error(st, &err);
  if (st == SP_OK) {
    fuzz_check_dataset_round_trip(&d);
    fuzz_use_dataset(&d);
    sp_dataset_release(&d);
  } else {
    FUZZ_CHECK(d.len == 0 && d.pieces == NULL);
  }
  json_decref(j);
  return 0;
}
