/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz share: the entry
 * point libFuzzer calls, a check that aborts (so that libFuzzer keeps the
 * input as a crash), and the input cut into NUL-terminated strings.
 */
#ifndef SP_FUZZ_FUZZ_H
#define SP_FUZZ_FUZZ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/dataset.h"
#include "smallpond.h"

/* libFuzzer calls this with every input; a harness returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts, naming the check and where it is, unless cond holds. Unlike
 * assert(), NDEBUG never turns it off. */
#define FUZZ_CHECK(cond)                                                  \
  ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

/* Prints the failed check on the harness's original stderr and aborts. */
_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/* A NUL-terminated copy of size bytes of data, in its own allocation so
 * that ASan sees a read past its end (free with free()). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* Splits data at NUL bytes into up to max strings, each in its own
 * allocation, into out (free with fuzz_free_strings). Returns how many. */
size_t fuzz_split(const uint8_t *data, size_t size, char **out, size_t max);
void fuzz_free_strings(char **s, size_t n);

/* Checks that err holds an error with status st when st is not SP_OK, and
 * nothing otherwise; then frees it. */
void fuzz_check_error(sp_status st, sp_error **err);

/* Points stdout and stderr at /dev/null (unless SP_FUZZ_VERBOSE is set),
 * for code that prints usage text; fuzz_fail still reaches the terminal,
 * as do libFuzzer's and the sanitizers' reports, which keep their own. */
void fuzz_quiet(void);

/* Parses size bytes of data as the JSON of a message, the way a worker
 * or the driver receives one: framed (util/frame.h) and read back from a
 * file descriptor, then json_loadb as the MPI transport does. Returns
 * NULL when it is not JSON. */
json_t *fuzz_recv_json(const uint8_t *data, size_t size);

/* Checks that b holds the pieces of a, as decoding what a encodes to
 * gives: a whole file (end < 0) is encoded without its begin and end, so
 * they are compared only for row ranges. */
void fuzz_check_same_dataset(const sp_dataset *a, const sp_dataset *b);

/* Encodes d, decodes the JSON again, and checks both agree; then encodes
 * that and checks the JSON is the same (a fixed point). */
void fuzz_check_dataset_round_trip(const sp_dataset *d);

/* What a worker makes of a decoded dataset, and the driver of its rows:
 * the SELECT of its pieces (duck/input.h) and their total. */
void fuzz_use_dataset(const sp_dataset *d);

#endif
