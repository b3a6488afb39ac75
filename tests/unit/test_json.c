/*
 * test_json.c - unit tests of the JSON forms of datasets (src/plan/
 * dataset.h), of task descriptors and results (src/plan/desc.h) and of
 * hash layouts (src/plan/hash_layout.h): round trips keep every field,
 * malformed objects are rejected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "plan/dataset.h"
#include "plan/desc.h"
#include "plan/hash_layout.h"
#include "plan/graph.h"
#include "util/alloc.h"

static void assert_dataset_equal(const sp_dataset *a, const sp_dataset *b)
{
  size_t i;

  assert_int_equal(a->len, b->len);
  for (i = 0; i < a->len; i++) {
    assert_string_equal(a->pieces[i].path, b->pieces[i].path);
    assert_int_equal(a->pieces[i].rows, b->pieces[i].rows);
    assert_int_equal(a->pieces[i].begin, b->pieces[i].begin);
    assert_int_equal(a->pieces[i].end, b->pieces[i].end);
    assert_int_equal(a->pieces[i].user, b->pieces[i].user);
    assert_int_equal(a->pieces[i].fingerprint.bytes,
                     b->pieces[i].fingerprint.bytes);
    assert_true(a->pieces[i].fingerprint.footer ==
                b->pieces[i].fingerprint.footer);
    if (a->pieces[i].reader)
      assert_string_equal(a->pieces[i].reader, b->pieces[i].reader);
    else
      assert_null(b->pieces[i].reader);
  }
}

/* A dataset with one piece of every shape. */
static void make_dataset(sp_dataset *d, int variant)
{
  sp_piece pieces[] = {
    {.path = "/abs/whole.parquet", .rows = 1234, .end = -1, .user = 1},
    {.path = "/abs/unknown rows.parquet", .rows = -1, .end = -1,
     .fingerprint = {4096, UINT64_C(0xfedcba9876543210)}},
    {.path = "rel/range.parquet", .rows = 50, .begin = 100, .end = 150,
     .fingerprint = {1, 1}},
    {.path = "/abs/empty-range.parquet", .rows = 0, .end = 0, .user = 1},
    {.path = "/abs/\"quoted\" 'it''s' \xc3\xa9.parquet",
     .rows = INT64_C(5000000000), .begin = INT64_C(4000000000),
     .end = INT64_C(9000000000), .user = 1},
    {.path = "/abs/union.parquet", .rows = -1, .end = -1, .user = 1,
     .reader = "{\"format\":\"parquet\",\"schema\":[[\"a\","
               "\"DECIMAL(18, 3)\"],[\"b\",\"STRUCT(\\\"x )\\\" INTEGER[3], "
               "y MAP(VARCHAR, DOUBLE[]))\"]],\"union_by_name\":true}"},
    {.path = "/abs/data.csv", .rows = -1, .end = -1, .user = 1,
     .reader = "{\"columns\":[[\"a\",\"BIGINT\"]],\"format\":\"csv\"}"},
  };
  size_t i;

  memset(d, 0, sizeof(*d));
  for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
    if ((int)i < variant)
      continue; /* different datasets for different views */
    assert_int_equal(sp_dataset_add(d, &pieces[i], NULL), SP_OK);
  }
}

static json_t *parse(const char *text)
{
  json_error_t jerr;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);

  if (!j)
    fail_msg("bad test JSON: %s: %s", jerr.text, text);
  return j;
}

/* ---- datasets ---------------------------------------------------------- */

static void test_dataset_roundtrip(void **state)
{
  sp_dataset in, out;
  sp_error *err = NULL;
  json_t *j;
  char *text;

  (void)state;
  make_dataset(&in, 0);
  j = sp_dataset_to_json(&in);
  assert_non_null(j);
  assert_true(json_is_array(j));
  assert_int_equal(json_array_size(j), in.len);
  assert_int_equal(sp_dataset_from_json(j, &out, &err), SP_OK);
  assert_null(err);
  assert_dataset_equal(&in, &out);
  sp_dataset_release(&out);

  /* Also through text, as it travels between processes. */
  text = json_dumps(j, JSON_COMPACT);
  assert_non_null(text);
  json_decref(j);
  j = parse(text);
  free(text);
  assert_int_equal(sp_dataset_from_json(j, &out, &err), SP_OK);
  assert_dataset_equal(&in, &out);
  sp_dataset_release(&out);
  json_decref(j);
  sp_dataset_release(&in);
}

static void test_dataset_defaults_omitted(void **state)
{
  sp_dataset in = {0};
  sp_piece whole = {.path = "/a.parquet", .rows = 3, .end = -1};
  json_t *j, *o;

  (void)state;
  assert_int_equal(sp_dataset_add(&in, &whole, NULL), SP_OK);
  j = sp_dataset_to_json(&in);
  assert_non_null(j);
  o = json_array_get(j, 0);
  assert_string_equal(json_string_value(json_object_get(o, "path")),
                      "/a.parquet");
  assert_int_equal(json_integer_value(json_object_get(o, "rows")), 3);
  assert_null(json_object_get(o, "begin"));
  assert_null(json_object_get(o, "end"));
  assert_null(json_object_get(o, "user"));
  json_decref(j);
  sp_dataset_release(&in);
}

static void test_dataset_empty_roundtrip(void **state)
{
  sp_dataset in = {0}, out;
  json_t *j;

  (void)state;
  j = sp_dataset_to_json(&in);
  assert_non_null(j);
  assert_int_equal(json_array_size(j), 0);
  assert_int_equal(sp_dataset_from_json(j, &out, NULL), SP_OK);
  assert_int_equal(out.len, 0);
  sp_dataset_release(&out);
  json_decref(j);
}

static void test_dataset_malformed(void **state)
{
  static const char *const bad[] = {
    "{}",                                        /* not an array */
    "\"x\"",
    "[1]",                                       /* piece not an object */
    "[{\"rows\": 1}]",                           /* no path */
    "[{\"path\": 5}]",                           /* path not a string */
    "[{\"path\": \"/a\", \"rows\": \"many\"}]",  /* rows not an integer */
    "[{\"path\": \"/a\", \"begin\": 1.5}]",
    "[{\"path\": \"/a\", \"user\": 1}]",         /* user not a boolean */
    /* A bad piece after good ones: the good ones must not leak. */
    "[{\"path\": \"/a\"}, {\"path\": \"/b\"}, {\"path\": null}]",
    "[{\"path\": \"\"}]",                       /* empty path */
    "[{\"path\": \"/a\", \"rows\": -2}]",
    "[{\"path\": \"/a\", \"begin\": 5, \"end\": 4}]",
    "[{\"path\": \"/a\", \"begin\": -1, \"end\": 4}]",
    "[{\"path\": \"/a\", \"begin\": 3}]",       /* begin, no end */
    "[{\"path\": \"/a\", \"size\": 3}]",        /* unknown key */
    "[{\"path\": \"/a\", \"bytes\": 3}]",       /* no footer */
    "[{\"path\": \"/a\", \"bytes\": 3, \"footer\": \"12\"}]",
    "[{\"path\": \"/a\", \"bytes\": 3, \"footer\": \"0123456789ABCDEF\"}]",
    /* Readers: each one a shape that once reached SQL rendering. */
    "[{\"path\": \"/a\", \"reader\": {}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"orc\"}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"csv\"}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"csv\", "
    "\"columns\": [\"a\"]}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"json\", "
    "\"columns\": [[\"a\"]]}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"csv\", "
    "\"columns\": [[\"a\", 5]]}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"columns\": [[\"a\", \"INT\"]]}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"columns\": \"a\"}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"filename\": 1}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"header\": true}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"csv\", "
    "\"columns\": [[\"a\", \"INT\"]], \"delimiter\": \"\"}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"csv\", "
    "\"columns\": [[\"a\", \"INT\"]], \"sql\": \"x\"}}]",
    /* Schema types are pasted into CAST(NULL AS <type>): none may close
     * it (a reviewer read another file through this one). */
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"schema\": [[\"a\", \"BIGINT) AS \\\"x\\\", \\\"secret\\\" FROM "
    "\\\"/tmp/s.csv\\\" UNION ALL BY NAME SELECT CAST(NULL AS BIGINT\"]]}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"schema\": [[\"a\", \"INTEGER[\"]]}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"schema\": [[\"a\", \"MAP(VARCHAR, INT))(\"]]}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"schema\": [[\"a\", \"INT, b\"]]}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"schema\": [[\"a\", \"VARCHAR(')\"]]}}]",
    "[{\"path\": \"/a\", \"reader\": {\"format\": \"parquet\", "
    "\"schema\": [[\"a\", \"INT -- x\"]]}}]",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    json_t *j = parse(bad[i]);
    sp_dataset out;
    sp_error *err = NULL;
    sp_status st = sp_dataset_from_json(j, &out, &err);
    if (st == SP_OK)
      fail_msg("accepted malformed dataset %s", bad[i]);
    assert_non_null(err);
    assert_int_equal(out.len, 0);
    sp_error_free(&err);
    json_decref(j);
  }
}

/* ---- task descriptors --------------------------------------------------- */

static void assert_desc_equal(const sp_task_desc *a, const sp_task_desc *b)
{
  size_t i;

  assert_int_equal(a->kind, b->kind);
  assert_string_equal(a->key, b->key);
  assert_int_equal(a->attempt, b->attempt);
  assert_int_equal(a->partition, b->partition);
  assert_int_equal(a->nslots, b->nslots);
  assert_string_equal(a->out, b->out);
  assert_string_equal(a->tmp_dir, b->tmp_dir);
  assert_int_equal(a->threads, b->threads);
  assert_int_equal(a->memory_limit, b->memory_limit);
  assert_true(a->seed == b->seed);
  assert_int_equal(a->ninputs, b->ninputs);
  for (i = 0; i < a->ninputs; i++)
    assert_dataset_equal(&a->inputs[i], &b->inputs[i]);
  if (a->sql)
    assert_string_equal(a->sql, b->sql);
  else
    assert_null(b->sql);
  if (a->partition_key)
    assert_string_equal(a->partition_key, b->partition_key);
  else
    assert_null(b->partition_key);
  if (a->hash_layout)
    assert_string_equal(a->hash_layout, b->hash_layout);
  else
    assert_null(b->hash_layout);
}

/* Encodes d, dumps and parses the text, decodes, and compares with d. */
static void desc_roundtrip(const sp_task_desc *d)
{
  sp_task_desc back;
  sp_error *err = NULL;
  json_t *j = sp_task_desc_to_json(d), *j2;
  char *text;

  assert_non_null(j);
  text = json_dumps(j, JSON_COMPACT);
  assert_non_null(text);
  json_decref(j);
  j2 = parse(text);
  free(text);
  assert_int_equal(sp_task_desc_from_json(j2, &back, &err), SP_OK);
  assert_null(err);
  assert_desc_equal(d, &back);
  sp_task_desc_release(&back);
  json_decref(j2); /* only now: back borrowed its strings */
}

static void test_desc_roundtrip_sql(void **state)
{
  sp_dataset inputs[3];
  sp_task_desc d;
  int i;

  (void)state;
  for (i = 0; i < 3; i++)
    make_dataset(&inputs[i], i);
  memset(&d, 0, sizeof(d));
  d.kind = SP_TASK_SQL;
  d.key = "0123456789abcdef";
  d.attempt = 3;
  d.partition = 17;
  d.nslots = 1;
  d.out = "/data/job/staging/0123456789abcdef.3";
  d.tmp_dir = "/data/job/tmp";
  d.threads = 8;
  d.memory_limit = INT64_C(12884901888); /* 12 GiB: beyond 32 bits */
  d.seed = UINT64_C(0x123456789abcdef0);
  d.inputs = inputs;
  d.ninputs = 3;
  d.sql = "SELECT '{{it''s}}', \"a\" FROM {0} JOIN {1} USING (k), {2}";
  desc_roundtrip(&d);
  d.hash_layout = "{\"by\":[\"k\"],\"dimension\":\"d\",\"partitions\":17}";
  desc_roundtrip(&d);
  for (i = 0; i < 3; i++)
    sp_dataset_release(&inputs[i]);
}

static void test_desc_roundtrip_every_kind(void **state)
{
  sp_dataset input;
  sp_task_desc d;
  int k;

  (void)state;
  make_dataset(&input, 1);
  for (k = SP_TASK_SOURCE; k <= SP_TASK_COUNT; k++) {
    memset(&d, 0, sizeof(d));
    d.kind = (sp_task_kind)k;
    d.key = "ffffffffffffffff";
    d.attempt = k;
    d.partition = 0;
    d.nslots = k == SP_TASK_SHUFFLE ? 64 : 1;
    d.out = "/o";
    d.tmp_dir = "/t";
    d.threads = 1;
    d.memory_limit = 1;
    d.seed = (uint64_t)k;
    d.inputs = &input;
    d.ninputs = 1;
    if (k == SP_TASK_SHUFFLE)
      d.partition_key = "hash(\"k1\", \"weird \"\"col\"\"\") % 64";
    desc_roundtrip(&d);
    /* The kind names round trip too. */
    assert_int_equal(sp_task_kind_from_name(sp_task_kind_name(d.kind)), k);
  }
  assert_int_equal(sp_task_kind_from_name("no such kind"), -1);
  sp_dataset_release(&input);
}

/* ---- hash layouts ------------------------------------------------------ */

/* A layout made here reads back; what files could hold instead is
 * refused, in a descriptor too. */
static void test_hash_layout(void **state)
{
  static const char *const by[] = {"K", "weird \"col\""};
  static const char *const bad[] = {
      NULL, "", "[]", "{}", "not json",
      "{\"by\":[\"k\"],\"dimension\":\"d\",\"partitions\":1}",
      "{\"by\":[\"k\"],\"dimension\":\"d\",\"partitions\":1000001}",
      "{\"by\":[],\"dimension\":\"d\",\"partitions\":4}",
      "{\"by\":[\"\"],\"dimension\":\"d\",\"partitions\":4}",
      "{\"by\":[7],\"dimension\":\"d\",\"partitions\":4}",
      "{\"by\":\"k\",\"dimension\":\"d\",\"partitions\":4}",
      "{\"by\":[\"k\"],\"dimension\":\"\",\"partitions\":4}",
      "{\"by\":[\"k\"],\"partitions\":4}",
      "{\"by\":[\"k\"],\"dimension\":\"d\",\"partitions\":\"4\"}",
      "{\"by\":[\"k\"],\"dimension\":\"d\",\"partitions\":4,\"x\":1}",
  };
  char *text = sp_hash_layout_new("d", by, 1, 8), *dim = NULL;
  char *two = sp_hash_layout_new("d", by, 2, 8);
  json_t *j;
  sp_task_desc d, back;
  sp_error *err = NULL;
  int parts = 0;
  size_t i;

  (void)state;
  assert_non_null(text);
  assert_true(sp_hash_layout_check(text, NULL, 0));
  assert_true(sp_hash_layout_check(text, "d", 8));
  assert_false(sp_hash_layout_check(text, "e", 8));
  assert_false(sp_hash_layout_check(text, "d", 7));
  assert_int_equal(sp_hash_layout_read(text, &dim, &parts), 0);
  assert_string_equal(dim, "d");
  assert_int_equal(parts, 8);
  assert_true(sp_hash_layout_hashed_on(text, "k")); /* names: any case */
  assert_false(sp_hash_layout_hashed_on(text, "kk"));
  /* Two columns: hashed on neither alone. */
  assert_true(sp_hash_layout_check(two, "d", 8));
  assert_false(sp_hash_layout_hashed_on(two, "k"));
  assert_false(sp_hash_layout_hashed_on(NULL, "k"));
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_false(sp_hash_layout_check(bad[i], NULL, 0));
    assert_false(sp_hash_layout_hashed_on(bad[i], "k"));
  }
  /* A descriptor with a layout that is not one is refused. */
  memset(&d, 0, sizeof(d));
  d.kind = SP_TASK_SQL;
  d.key = d.out = d.tmp_dir = d.sql = "x";
  d.threads = 1;
  d.hash_layout = bad[5];
  assert_non_null(j = sp_task_desc_to_json(&d));
  assert_int_equal(sp_task_desc_from_json(j, &back, &err), SP_EINTERNAL);
  assert_non_null(strstr(sp_error_message(err), "layout"));
  sp_error_free(&err);
  json_decref(j);
  sp_free(text);
  sp_free(two);
  sp_free(dim);
}

static void test_desc_no_inputs(void **state)
{
  sp_task_desc d;

  (void)state;
  memset(&d, 0, sizeof(d));
  d.kind = SP_TASK_SQL;
  d.key = "00000000000000aa";
  d.nslots = 1;
  d.out = "/o";
  d.tmp_dir = "/t";
  d.sql = "SELECT * FROM range(3)";
  desc_roundtrip(&d);
}

static void test_desc_seed_low_63_bits(void **state)
{
  static const uint64_t seeds[] = {0, 1, UINT64_C(0x7fffffffffffffff),
                                   UINT64_C(0x8000000000000000),
                                   UINT64_C(0xffffffffffffffff),
                                   UINT64_C(0xdeadbeefcafebabe)};
  sp_task_desc d, back;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
    json_t *j;
    memset(&d, 0, sizeof(d));
    d.kind = SP_TASK_SQL;
    d.key = "k";
    d.out = "/o";
    d.tmp_dir = "/t";
    d.sql = "SELECT random()";
    d.seed = seeds[i];
    j = sp_task_desc_to_json(&d);
    assert_non_null(j);
    assert_int_equal(sp_task_desc_from_json(j, &back, NULL), SP_OK);
    assert_true(back.seed == (seeds[i] & UINT64_C(0x7fffffffffffffff)));
    sp_task_desc_release(&back);
    json_decref(j);
  }
}

static void test_desc_malformed(void **state)
{
#define DESC_GOOD_PREFIX                                                      \
  "\"key\": \"k\", \"attempt\": 1, \"partition\": 0, \"slots\": 1, "          \
  "\"out\": \"/o\", \"tmp_dir\": \"/t\", \"threads\": 1, "                    \
  "\"memory_limit\": 1, \"seed\": 1, "
  static const char *const bad[] = {
    "[]",
    /* missing keys */
    "{" DESC_GOOD_PREFIX "\"inputs\": []}",
    "{\"kind\": \"sql\", " DESC_GOOD_PREFIX "\"sql\": \"SELECT 1\"}",
    "{\"kind\": \"sql\", \"inputs\": []}",
    /* a shuffle without its partition key */
    "{\"kind\": \"shuffle\", " DESC_GOOD_PREFIX "\"inputs\": []}",
    /* wrong types */
    "{\"kind\": 4, " DESC_GOOD_PREFIX "\"inputs\": []}",
    "{\"kind\": \"sql\", " DESC_GOOD_PREFIX "\"inputs\": {}}",
    "{\"kind\": \"sql\", " DESC_GOOD_PREFIX "\"inputs\": [], \"sql\": 5}",
    "{\"kind\": \"shuffle\", " DESC_GOOD_PREFIX
    "\"inputs\": [], \"partition_key\": 7}",
    "{\"kind\": \"sql\", " DESC_GOOD_PREFIX
    "\"inputs\": [[{\"path\": 1}]]}",
    "{\"kind\": \"sql\", " DESC_GOOD_PREFIX
    "\"inputs\": [[{\"path\": \"/a\"}], [{\"rows\": 2}]]}",
    /* unknown task kind */
    "{\"kind\": \"hash\", " DESC_GOOD_PREFIX
    "\"inputs\": [], \"partition_key\": \"1\"}",
    /* values out of range: each would reach the worker's SQL or its
     * allocations */
    "{\"kind\": \"sql\", " DESC_GOOD_PREFIX "\"inputs\": [], "
    "\"parquet\": {\"compression\": \"lz4, FORMAT csv\", "
    "\"level\": 0, \"row_group_size\": 0, \"no_dictionary\": false}}",
    "{\"kind\": \"sql\", " DESC_GOOD_PREFIX "\"inputs\": [], "
    "\"parquet\": {\"compression\": \"zstd\", \"level\": 23, "
    "\"row_group_size\": 0, \"no_dictionary\": false}}",
    "{\"kind\": \"sql\", " DESC_GOOD_PREFIX "\"inputs\": [], "
    "\"parquet\": {\"compression\": \"\", \"level\": 0, "
    "\"row_group_size\": -1, \"no_dictionary\": false}}",
    "{\"kind\": \"sql\", \"key\": \"k\", \"attempt\": 1, \"partition\": 0, "
    "\"slots\": -1, \"out\": \"/o\", \"tmp_dir\": \"/t\", \"threads\": 1, "
    "\"memory_limit\": 1, \"seed\": 1, \"inputs\": []}",
    "{\"kind\": \"sql\", \"key\": \"k\", \"attempt\": 1, \"partition\": 0, "
    "\"slots\": 1, \"out\": \"/o\", \"tmp_dir\": \"/t\", \"threads\": -2, "
    "\"memory_limit\": 1, \"seed\": 1, \"inputs\": []}",
    "{\"kind\": \"sql\", \"key\": \"k\", \"attempt\": 1, \"partition\": 0, "
    "\"slots\": 1, \"out\": \"/o\", \"tmp_dir\": \"/t\", \"threads\": 1, "
    "\"memory_limit\": -1, \"seed\": 1, \"inputs\": []}",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    json_t *j = parse(bad[i]);
    sp_task_desc d;
    sp_error *err = NULL;
    sp_status st = sp_task_desc_from_json(j, &d, &err);
    if (st == SP_OK) {
      sp_task_desc_release(&d);
      fail_msg("accepted malformed descriptor %s", bad[i]);
    }
    assert_non_null(err);
    assert_int_equal(sp_error_status(err), st);
    sp_error_free(&err);
    json_decref(j);
  }
  /* The same prefix with good keys is accepted: the cases above fail for
   * the reason given, not because of the prefix. */
  {
    json_t *j = parse("{\"kind\": \"shuffle\", " DESC_GOOD_PREFIX
                      "\"inputs\": [[{\"path\": \"/a\"}]], "
                      "\"partition_key\": \"hash(a) % 4\"}");
    sp_task_desc d;
    assert_int_equal(sp_task_desc_from_json(j, &d, NULL), SP_OK);
    assert_int_equal(d.kind, SP_TASK_SHUFFLE);
    assert_string_equal(d.partition_key, "hash(a) % 4");
    assert_null(d.sql);
    sp_task_desc_release(&d);
    json_decref(j);
  }
#undef DESC_GOOD_PREFIX
}

/* ---- task results ------------------------------------------------------ */

static void assert_result_equal(const sp_task_result *a,
                                const sp_task_result *b)
{
  int i;

  assert_string_equal(a->key, b->key);
  assert_int_equal(a->attempt, b->attempt);
  assert_int_equal(a->status, b->status);
  assert_int_equal(a->noutputs, b->noutputs);
  for (i = 0; i < a->noutputs; i++)
    assert_dataset_equal(&a->outputs[i], &b->outputs[i]);
  assert_int_equal(a->rows, b->rows);
  assert_int_equal(a->elapsed_us, b->elapsed_us);
  if (a->error)
    assert_string_equal(a->error, b->error);
  else
    assert_null(b->error);
  if (a->error_sql)
    assert_string_equal(a->error_sql, b->error_sql);
  else
    assert_null(b->error_sql);
}

static void result_roundtrip(const sp_task_result *r)
{
  sp_task_result back;
  sp_error *err = NULL;
  json_t *j = sp_task_result_to_json(r), *j2;
  char *text;

  assert_non_null(j);
  text = json_dumps(j, JSON_COMPACT);
  assert_non_null(text);
  json_decref(j);
  j2 = parse(text);
  free(text);
  assert_int_equal(sp_task_result_from_json(j2, &back, &err), SP_OK);
  assert_null(err);
  /* The result owns its strings: they outlive the JSON. */
  json_decref(j2);
  assert_result_equal(r, &back);
  sp_task_result_release(&back);
}

static void test_result_roundtrip_success(void **state)
{
  sp_dataset outs[4];
  sp_task_result r;
  int i;

  (void)state;
  for (i = 0; i < 4; i++)
    make_dataset(&outs[i], i);
  memset(&r, 0, sizeof(r));
  r.key = "0123456789abcdef";
  r.attempt = 2;
  r.status = SP_OK;
  r.outputs = outs;
  r.noutputs = 4;
  r.rows = INT64_C(10000000000);
  r.elapsed_us = 123456789;
  result_roundtrip(&r);
  for (i = 0; i < 4; i++)
    sp_dataset_release(&outs[i]);
}

static void test_result_roundtrip_failure(void **state)
{
  static const sp_status failures[] = {SP_ESQL, SP_EIO, SP_ENOMEM,
                                       SP_EWORKER, SP_EINTERNAL};
  sp_task_result r;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
    memset(&r, 0, sizeof(r));
    r.key = "fedcba9876543210";
    r.attempt = 1;
    r.status = failures[i];
    r.rows = -1;
    r.elapsed_us = 5;
    r.error = "Binder Error: Referenced column \"x\" not found\n"
              "LINE 1: SELECT x FROM 'it''s'";
    r.error_sql = i % 2 ? NULL : "SELECT x FROM \"v0\"";
    result_roundtrip(&r);
  }
  /* A failure without any message. */
  memset(&r, 0, sizeof(r));
  r.key = "k";
  r.status = SP_EWORKER;
  result_roundtrip(&r);
}

static void test_result_malformed(void **state)
{
  static const char *const bad[] = {
    "[]",
    "{\"attempt\": 1, \"status\": 0, \"outputs\": [], \"rows\": 0, "
    "\"elapsed_us\": 0}",
    "{\"key\": \"k\", \"attempt\": 1, \"status\": 0, \"rows\": 0, "
    "\"elapsed_us\": 0}",
    "{\"key\": 7, \"attempt\": 1, \"status\": 0, \"outputs\": [], "
    "\"rows\": 0, \"elapsed_us\": 0}",
    "{\"key\": \"k\", \"attempt\": 1, \"status\": \"ok\", \"outputs\": [], "
    "\"rows\": 0, \"elapsed_us\": 0}",
    "{\"key\": \"k\", \"attempt\": 1, \"status\": 0, \"outputs\": {}, "
    "\"rows\": 0, \"elapsed_us\": 0}",
    "{\"key\": \"k\", \"attempt\": 1, \"status\": 0, \"outputs\": [], "
    "\"rows\": 0, \"elapsed_us\": 0, \"error\": 3}",
    "{\"key\": \"k\", \"attempt\": 1, \"status\": 0, "
    "\"outputs\": [[{\"path\": \"/a\"}], [{\"path\": \"/b\", "
    "\"rows\": true}]], \"rows\": 0, \"elapsed_us\": 0}",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    json_t *j = parse(bad[i]);
    sp_task_result r;
    sp_error *err = NULL;
    sp_status st = sp_task_result_from_json(j, &r, &err);
    if (st == SP_OK) {
      sp_task_result_release(&r);
      fail_msg("accepted malformed result %s", bad[i]);
    }
    assert_non_null(err);
    assert_int_equal(sp_error_status(err), st);
    sp_error_free(&err);
    json_decref(j);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_dataset_roundtrip),
    cmocka_unit_test(test_dataset_defaults_omitted),
    cmocka_unit_test(test_dataset_empty_roundtrip),
    cmocka_unit_test(test_dataset_malformed),
    cmocka_unit_test(test_desc_roundtrip_sql),
    cmocka_unit_test(test_desc_roundtrip_every_kind),
    cmocka_unit_test(test_desc_no_inputs),
    cmocka_unit_test(test_desc_seed_low_63_bits),
    cmocka_unit_test(test_desc_malformed),
    cmocka_unit_test(test_result_roundtrip_success),
    cmocka_unit_test(test_result_roundtrip_failure),
    cmocka_unit_test(test_result_malformed),
    cmocka_unit_test(test_hash_layout),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
