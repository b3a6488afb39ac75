/*
 * test_plan.c - unit tests of the logical plan (src/plan/node.h) and the
 * planner (src/plan/graph.h): partition counts, compatibility checks,
 * broadcast, the tasks of each repartition kind, and deterministic task
 * keys. File lists are made by hand; no file is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "io/glob.h"
#include "plan/graph.h"
#include "plan/node.h"

#define MAX_FILES 16

/* A hand-made sp_file_list with fake absolute paths. */
typedef struct fake_files {
  char paths[MAX_FILES][64];
  sp_file_info items[MAX_FILES];
  sp_file_list list;
} fake_files;

/* n files /in/part-<i>.parquet; mtime_bump changes file `bumped`'s mtime. */
static void fake_files_init(fake_files *f, size_t n, size_t bumped,
                            int64_t mtime_bump)
{
  size_t i;

  assert_true(n <= MAX_FILES);
  memset(f, 0, sizeof(*f));
  for (i = 0; i < n; i++) {
    snprintf(f->paths[i], sizeof(f->paths[i]), "/in/part-%02zu.parquet", i);
    f->items[i].path = f->paths[i];
    f->items[i].size = 1000 + (int64_t)i;
    f->items[i].mtime_ns = INT64_C(1700000000000000000) + (int64_t)i * 1000 +
                           (i == bumped ? mtime_bump : 0);
  }
  f->list.items = f->items;
  f->list.len = n;
  f->list.cap = n;
}

static sp_node *add_read(sp_plan *plan, size_t nfiles)
{
  fake_files f;
  sp_node *n = NULL;

  fake_files_init(&f, nfiles, 0, 0);
  assert_int_equal(sp_plan_add_read(plan, &f.list, NULL, &n, NULL), SP_OK);
  assert_non_null(n);
  return n;
}

/* sp_plan_add_repartition with the split spec spelled out. */
static sp_status repart(sp_plan *plan, sp_node *in, int n, sp_split_kind kind,
                        const char *const *cols, size_t ncols, sp_node **out,
                        sp_error **err)
{
  sp_split_spec spec = {.kind = kind, .hash_by = cols, .nhash_by = ncols,
                        .by = kind == SP_SPLIT_BY ? "k % 2" : NULL};

  return sp_plan_add_repartition(plan, in, n, &spec, NULL, out, err);
}

static sp_node *add_repart(sp_plan *plan, sp_node *in, int n,
                           sp_split_kind split)
{
  static const char *const cols[] = {"k"};
  sp_node *out = NULL;

  assert_int_equal(repart(plan, in, n, split,
                                           split == SP_SPLIT_HASH ? cols : NULL,
                                           split == SP_SPLIT_HASH ? 1 : 0,
                                           &out, NULL),
                   SP_OK);
  assert_non_null(out);
  return out;
}

static size_t count_kind(const sp_graph *g, sp_task_kind kind)
{
  size_t i, n = 0;

  for (i = 0; i < g->len; i++)
    n += g->tasks[i]->kind == kind;
  return n;
}

static sp_task *only_task(const sp_graph *g, sp_task_kind kind)
{
  size_t i;

  assert_int_equal(count_kind(g, kind), 1);
  for (i = 0; i < g->len; i++)
    if (g->tasks[i]->kind == kind)
      return g->tasks[i];
  return NULL;
}

static void assert_input_equal(const sp_task_input *a, const sp_task_input *b)
{
  size_t i;

  assert_int_equal(a->len, b->len);
  for (i = 0; i < a->len; i++) {
    assert_ptr_equal(a->refs[i].task, b->refs[i].task);
    assert_int_equal(a->refs[i].slot, b->refs[i].slot);
  }
}

/* Every task's index, and every reference pointing at a task of the graph
 * that comes earlier, with a slot it has. */
static void check_graph_consistent(const sp_graph *g)
{
  size_t i, v, r;

  for (i = 0; i < g->len; i++) {
    const sp_task *t = g->tasks[i];
    assert_int_equal(t->index, i);
    for (v = 0; v < t->ninputs; v++)
      for (r = 0; r < t->inputs[v].len; r++) {
        const sp_task_ref *ref = &t->inputs[v].refs[r];
        assert_true(ref->task->index < i);
        assert_ptr_equal(g->tasks[ref->task->index], ref->task);
        assert_true(ref->slot >= 0 && ref->slot < ref->task->nslots);
      }
  }
}

static void test_partition_counts(void **state)
{
  sp_plan plan = {0};
  sp_node *read, *files, *rows, *hash, *sql, *sql1, *none;

  (void)state;
  read = add_read(&plan, 3);
  assert_int_equal(read->kind, SP_NODE_READ);
  assert_int_equal(read->npartitions, 1);
  assert_int_equal(read->files.len, 3);
  assert_int_equal(read->files.pieces[0].user, 1);
  assert_int_equal(read->files.pieces[0].rows, -1);
  assert_string_equal(read->files.pieces[2].path, "/in/part-02.parquet");
  files = add_repart(&plan, read, 3, SP_SPLIT_FILES);
  rows = add_repart(&plan, read, 5, SP_SPLIT_ROWS);
  hash = add_repart(&plan, files, 7, SP_SPLIT_HASH);
  assert_int_equal(files->npartitions, 3);
  assert_int_equal(rows->npartitions, 5);
  assert_int_equal(hash->npartitions, 7);
  assert_int_equal(hash->nhash_by, 1);
  assert_string_equal(hash->hash_by[0], "k");
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT * FROM {0}", &hash, 1,
                                   NULL, &sql, NULL),
                   SP_OK);
  assert_int_equal(sql->npartitions, 7);
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT count(*) FROM {0}", &read,
                                   1, NULL, &sql1, NULL),
                   SP_OK);
  assert_int_equal(sql1->npartitions, 1);
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT 1", NULL, 0, NULL, &none,
                                   NULL),
                   SP_OK);
  assert_int_equal(none->npartitions, 1);
  assert_int_equal(none->ninputs, 0);
  /* Ids are 1, 2, ... and index the plan. */
  assert_int_equal(plan.len, 7);
  for (size_t i = 0; i < plan.len; i++)
    assert_int_equal(plan.nodes[i]->id, (int)i + 1);
  sp_plan_release(&plan);
}

static void test_sql_mismatched_partitions(void **state)
{
  sp_plan plan = {0};
  sp_node *read, *three, *four, *in[3], *out = NULL;
  sp_error *err = NULL;

  (void)state;
  read = add_read(&plan, 4);
  three = add_repart(&plan, read, 3, SP_SPLIT_FILES);
  four = add_repart(&plan, read, 4, SP_SPLIT_ROWS);
  in[0] = three;
  in[1] = read; /* broadcast: does not count */
  in[2] = four;
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT * FROM {0}, {1}, {2}", in,
                                   3, NULL, &out, &err),
                   SP_EPLAN);
  assert_non_null(err);
  assert_int_equal(sp_error_status(err), SP_EPLAN);
  assert_non_null(strstr(sp_error_message(err), "3 partitions"));
  assert_non_null(strstr(sp_error_message(err), "4 partitions"));
  assert_non_null(strstr(sp_error_message(err), "{0}"));
  assert_non_null(strstr(sp_error_message(err), "{2}"));
  sp_error_free(&err);
  assert_int_equal(plan.len, 3); /* nothing added */
  /* Equal counts with a broadcast input are fine. */
  in[2] = add_repart(&plan, read, 3, SP_SPLIT_HASH);
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT * FROM {0}, {1}, {2}", in,
                                   3, NULL, &out, &err),
                   SP_OK);
  assert_null(err);
  assert_int_equal(out->npartitions, 3);
  assert_int_equal(out->ninputs, 3);
  sp_plan_release(&plan);
}

static void test_sql_template_checked_at_plan_time(void **state)
{
  sp_plan plan = {0};
  sp_node *read, *out = NULL;
  sp_error *err = NULL;

  (void)state;
  read = add_read(&plan, 1);
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT * FROM {0} JOIN {1}", &read,
                                   1, NULL, &out, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "{1}"));
  sp_error_free(&err);
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT * FROM {0}", NULL, 0, NULL,
                                   &out, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "{0}"));
  sp_error_free(&err);
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT {x} FROM {0}", &read, 1,
                                   NULL, &out, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "{x}"));
  sp_error_free(&err);
  assert_int_equal(sp_plan_add_sql(&plan, "", &read, 1, NULL, &out, &err),
                   SP_EINVAL);
  sp_error_free(&err);
  assert_int_equal(plan.len, 1);
  sp_plan_release(&plan);
}

static void test_repartition_invalid(void **state)
{
  static const char *const empty_col[] = {"k", ""};
  sp_plan plan = {0};
  sp_node *read, *out = NULL;
  sp_error *err = NULL;

  (void)state;
  read = add_read(&plan, 2);
  assert_int_equal(repart(&plan, read, 4, SP_SPLIT_HASH,
                                           NULL, 0, &out, &err),
                   SP_EINVAL);
  assert_int_equal(sp_error_status(err), SP_EINVAL);
  sp_error_free(&err);
  assert_int_equal(repart(&plan, read, 0, SP_SPLIT_FILES,
                                           NULL, 0, &out, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "0"));
  sp_error_free(&err);
  assert_int_equal(repart(&plan, read, -3, SP_SPLIT_ROWS,
                                           NULL, 0, &out, &err),
                   SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "-3"));
  sp_error_free(&err);
  assert_int_equal(repart(&plan, read, 2, SP_SPLIT_HASH,
                                           empty_col, 2, &out, &err),
                   SP_EINVAL);
  sp_error_free(&err);
  assert_int_equal(plan.len, 1); /* nothing added */
  sp_plan_release(&plan);
}

static void test_graph_memoizes(void **state)
{
  sp_plan plan = {0};
  sp_graph g = {0};
  const sp_task_input *p1 = NULL, *p2 = NULL, *p3 = NULL;
  sp_node *read, *rep, *sql;
  size_t ntasks;

  (void)state;
  read = add_read(&plan, 3);
  rep = add_repart(&plan, read, 3, SP_SPLIT_FILES);
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT * FROM {0}", &rep, 1, NULL,
                                   &sql, NULL),
                   SP_OK);
  assert_int_equal(sp_graph_plan(&g, sql, &p1, NULL), SP_OK);
  ntasks = g.len;
  /* source + split + 3 sql */
  assert_int_equal(ntasks, 5);
  assert_int_equal(sp_graph_plan(&g, sql, &p2, NULL), SP_OK);
  assert_ptr_equal(p1, p2);
  assert_int_equal(g.len, ntasks);
  /* Planning an input afterwards reuses its tasks too. */
  assert_int_equal(sp_graph_plan(&g, rep, &p3, NULL), SP_OK);
  assert_int_equal(g.len, ntasks);
  assert_ptr_equal(p1[0].refs[0].task->inputs[0].refs[0].task,
                   p3[0].refs[0].task);
  check_graph_consistent(&g);
  sp_graph_release(&g);
  sp_plan_release(&plan);
}

static void test_graph_broadcast(void **state)
{
  sp_plan plan = {0};
  sp_graph g = {0};
  const sp_task_input *parts, *wide_parts, *one_parts;
  sp_node *read, *wide, *one, *in[2], *sql;
  int i;

  (void)state;
  read = add_read(&plan, 6);
  wide = add_repart(&plan, read, 4, SP_SPLIT_FILES);
  one = add_read(&plan, 1);
  in[0] = wide;
  in[1] = one;
  assert_int_equal(sp_plan_add_sql(&plan, "SELECT * FROM {0} JOIN {1} USING "
                                   "(k)", in, 2, NULL, &sql, NULL),
                   SP_OK);
  assert_int_equal(sql->npartitions, 4);
  assert_int_equal(sp_graph_plan(&g, sql, &parts, NULL), SP_OK);
  assert_int_equal(sp_graph_plan(&g, wide, &wide_parts, NULL), SP_OK);
  assert_int_equal(sp_graph_plan(&g, one, &one_parts, NULL), SP_OK);
  assert_int_equal(count_kind(&g, SP_TASK_SQL), 4);
  for (i = 0; i < 4; i++) {
    const sp_task *t;
    assert_int_equal(parts[i].len, 1);
    t = parts[i].refs[0].task;
    assert_int_equal(parts[i].refs[0].slot, 0);
    assert_int_equal(t->kind, SP_TASK_SQL);
    assert_ptr_equal(t->node, sql);
    assert_int_equal(t->partition, i);
    assert_int_equal(t->nslots, 1);
    assert_int_equal(t->ninputs, 2);
    /* View 0 is partition i of the wide input, view 1 the whole of the
     * one-partition input for every task. */
    assert_input_equal(&t->inputs[0], &wide_parts[i]);
    assert_input_equal(&t->inputs[1], &one_parts[0]);
    assert_int_equal(t->inputs[1].refs[0].task->kind, SP_TASK_SOURCE);
    assert_ptr_equal(t->inputs[1].refs[0].task->node, one);
  }
  check_graph_consistent(&g);
  sp_graph_release(&g);
  sp_plan_release(&plan);
}

/* Checks the tasks of a hash repartition of a read_parquet of nfiles files
 * into npart partitions, planned with `workers` workers. */
static void check_hash_over_read(size_t nfiles, int workers, int npart)
{
  sp_plan plan = {0};
  sp_graph g = {0};
  const sp_task_input *parts;
  sp_node *read, *hash;
  sp_task *source, *split = NULL, *producers[MAX_FILES];
  int nprod = 2 * (workers > 0 ? workers : 1), i, j;
  size_t k;

  if ((size_t)nprod > nfiles)
    nprod = (int)nfiles;
  read = add_read(&plan, nfiles);
  hash = add_repart(&plan, read, npart, SP_SPLIT_HASH);
  g.workers = workers;
  assert_int_equal(sp_graph_plan(&g, hash, &parts, NULL), SP_OK);
  check_graph_consistent(&g);
  source = only_task(&g, SP_TASK_SOURCE);
  assert_int_equal(source->nslots, 1);
  if (nprod > 1) {
    split = only_task(&g, SP_TASK_SPLIT_FILES);
    assert_int_equal(split->nslots, nprod);
    assert_int_equal(split->ninputs, 1);
    assert_int_equal(split->inputs[0].len, 1);
    assert_ptr_equal(split->inputs[0].refs[0].task, source);
  } else {
    assert_int_equal(count_kind(&g, SP_TASK_SPLIT_FILES), 0);
  }
  assert_int_equal(count_kind(&g, SP_TASK_SHUFFLE), (size_t)nprod);
  assert_int_equal(g.len, 1 + (split ? 1 : 0) + (size_t)nprod);
  for (k = 0, j = 0; k < g.len; k++) {
    sp_task *t = g.tasks[k];
    if (t->kind != SP_TASK_SHUFFLE)
      continue;
    assert_int_equal(t->partition, j);
    assert_int_equal(t->nslots, npart);
    assert_ptr_equal(t->node, hash);
    assert_int_equal(t->ninputs, 1);
    assert_int_equal(t->inputs[0].len, 1);
    /* Producer j reads slot j of the split, or the source when alone. */
    assert_ptr_equal(t->inputs[0].refs[0].task, split ? split : source);
    assert_int_equal(t->inputs[0].refs[0].slot, split ? j : 0);
    producers[j++] = t;
  }
  /* Partition i is slot i of every producer, in producer order. */
  for (i = 0; i < npart; i++) {
    assert_int_equal(parts[i].len, (size_t)nprod);
    for (j = 0; j < nprod; j++) {
      assert_ptr_equal(parts[i].refs[j].task, producers[j]);
      assert_int_equal(parts[i].refs[j].slot, i);
    }
  }
  sp_graph_release(&g);
  sp_plan_release(&plan);
}

static void test_graph_hash_repartition(void **state)
{
  static const int workers[] = {0, 1, 2, 3, 10};
  static const size_t files[] = {1, 2, 5, 12};
  size_t w, f;

  (void)state;
  /* The case of the design: 5 files, 2 workers -> 4 producers. */
  check_hash_over_read(5, 2, 3);
  for (w = 0; w < sizeof(workers) / sizeof(workers[0]); w++)
    for (f = 0; f < sizeof(files) / sizeof(files[0]); f++)
      check_hash_over_read(files[f], workers[w], 1 + (int)(w + f) % 4);
}

static void test_graph_hash_over_partitioned_input(void **state)
{
  sp_plan plan = {0};
  sp_graph g = {0};
  const sp_task_input *parts, *in_parts;
  sp_node *read, *files, *hash;
  size_t k;
  int i, j;

  (void)state;
  read = add_read(&plan, 6);
  files = add_repart(&plan, read, 3, SP_SPLIT_FILES);
  hash = add_repart(&plan, files, 5, SP_SPLIT_HASH);
  g.workers = 8;
  assert_int_equal(sp_graph_plan(&g, hash, &parts, NULL), SP_OK);
  assert_int_equal(sp_graph_plan(&g, files, &in_parts, NULL), SP_OK);
  check_graph_consistent(&g);
  /* One producer per input partition; no extra split. */
  assert_int_equal(count_kind(&g, SP_TASK_SHUFFLE), 3);
  assert_int_equal(count_kind(&g, SP_TASK_SPLIT_FILES), 1);
  for (k = 0, j = 0; k < g.len; k++) {
    sp_task *t = g.tasks[k];
    if (t->kind != SP_TASK_SHUFFLE)
      continue;
    assert_int_equal(t->nslots, 5);
    assert_input_equal(&t->inputs[0], &in_parts[j]);
    for (i = 0; i < 5; i++) {
      assert_ptr_equal(parts[i].refs[j].task, t);
      assert_int_equal(parts[i].refs[j].slot, i);
    }
    j++;
  }
  sp_graph_release(&g);
  sp_plan_release(&plan);
}

static void test_graph_split_repartitions(void **state)
{
  static const sp_split_kind kinds[] = {SP_SPLIT_FILES, SP_SPLIT_ROWS};
  size_t s;

  (void)state;
  for (s = 0; s < 2; s++) {
    sp_task_kind want = kinds[s] == SP_SPLIT_FILES ? SP_TASK_SPLIT_FILES
                                                   : SP_TASK_SPLIT_ROWS;
    sp_plan plan = {0};
    sp_graph g = {0};
    const sp_task_input *parts;
    sp_node *read, *rep, *rep2;
    sp_task *split, *source;
    int i;

    read = add_read(&plan, 5);
    rep = add_repart(&plan, read, 3, kinds[s]);
    g.workers = 2;
    assert_int_equal(sp_graph_plan(&g, rep, &parts, NULL), SP_OK);
    assert_int_equal(g.len, 2);
    source = only_task(&g, SP_TASK_SOURCE);
    split = only_task(&g, want);
    assert_int_equal(split->nslots, 3);
    assert_int_equal(split->ninputs, 1);
    assert_int_equal(split->inputs[0].len, 1);
    assert_ptr_equal(split->inputs[0].refs[0].task, source);
    assert_int_equal(sp_task_kind_runs_in_worker(split->kind),
                     kinds[s] == SP_SPLIT_ROWS);
    for (i = 0; i < 3; i++) {
      assert_int_equal(parts[i].len, 1);
      assert_ptr_equal(parts[i].refs[0].task, split);
      assert_int_equal(parts[i].refs[0].slot, i);
    }
    /* Repartitioning a partitioned node reads all of its partitions. */
    rep2 = add_repart(&plan, rep, 2, kinds[s]);
    assert_int_equal(sp_graph_plan(&g, rep2, &parts, NULL), SP_OK);
    assert_int_equal(count_kind(&g, want), 2);
    split = g.tasks[g.len - 1];
    assert_int_equal(split->kind, want);
    assert_int_equal(split->inputs[0].len, 3);
    for (i = 0; i < 3; i++) {
      assert_ptr_equal(split->inputs[0].refs[i].task, g.tasks[1]);
      assert_int_equal(split->inputs[0].refs[i].slot, i);
    }
    check_graph_consistent(&g);
    sp_graph_release(&g);
    sp_plan_release(&plan);
  }
}

static void test_graph_count_task(void **state)
{
  sp_plan plan = {0};
  sp_graph g = {0};
  const sp_task_input *parts;
  sp_node *read, *rep;
  sp_task *count = NULL;

  (void)state;
  read = add_read(&plan, 4);
  rep = add_repart(&plan, read, 2, SP_SPLIT_ROWS);
  assert_int_equal(sp_graph_plan(&g, rep, &parts, NULL), SP_OK);
  assert_int_equal(sp_graph_add_count(&g, &parts[1], &count, NULL), SP_OK);
  assert_non_null(count);
  assert_int_equal(count->kind, SP_TASK_COUNT);
  assert_null(count->node);
  assert_int_equal(count->ninputs, 1);
  assert_input_equal(&count->inputs[0], &parts[1]);
  assert_ptr_equal(g.tasks[g.len - 1], count);
  check_graph_consistent(&g);
  sp_graph_release(&g);
  sp_plan_release(&plan);
}

/* ---- task keys --------------------------------------------------------- */

/* What build_pipeline varies. */
typedef struct pipeline_opts {
  size_t bumped;      /* which file's mtime changes */
  int64_t mtime_bump; /* by how much (0: unchanged) */
  int npart;
  const char *sql;
} pipeline_opts;

static const pipeline_opts base_opts = {0, 0, 4, "SELECT k, sum(v) FROM {0} "
                                                 "GROUP BY k"};

/* read(6 files) -> hash(npart) -> sql, plus rows(3) -> count; plans all. */
static void build_pipeline(const pipeline_opts *o, sp_plan *plan, sp_graph *g)
{
  static const char *const cols[] = {"k"};
  fake_files f;
  const sp_task_input *parts;
  sp_node *read, *hash, *sql, *rows;
  sp_task *count;

  memset(plan, 0, sizeof(*plan));
  memset(g, 0, sizeof(*g));
  g->workers = 2;
  fake_files_init(&f, 6, o->bumped, o->mtime_bump);
  assert_int_equal(sp_plan_add_read(plan, &f.list, NULL, &read, NULL),
                   SP_OK);
  assert_int_equal(repart(plan, read, o->npart,
                                           SP_SPLIT_HASH, cols, 1, &hash,
                                           NULL),
                   SP_OK);
  assert_int_equal(sp_plan_add_sql(plan, o->sql, &hash, 1, NULL, &sql, NULL),
                   SP_OK);
  rows = add_repart(plan, read, 3, SP_SPLIT_ROWS);
  assert_int_equal(sp_graph_plan(g, sql, &parts, NULL), SP_OK);
  assert_int_equal(sp_graph_plan(g, rows, &parts, NULL), SP_OK);
  assert_int_equal(sp_graph_add_count(g, &parts[2], &count, NULL), SP_OK);
  check_graph_consistent(g);
}

static int is_key(const char *s)
{
  size_t i;

  for (i = 0; s[i]; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return i == SP_TASK_KEY_LEN;
}

/* 1 if some task of g has key. */
static int has_key(const sp_graph *g, const char *key)
{
  size_t i;

  for (i = 0; i < g->len; i++)
    if (strcmp(g->tasks[i]->key, key) == 0)
      return 1;
  return 0;
}

static void test_keys_format_and_determinism(void **state)
{
  sp_plan p1, p2;
  sp_graph g1, g2;
  size_t i, j;

  (void)state;
  build_pipeline(&base_opts, &p1, &g1);
  build_pipeline(&base_opts, &p2, &g2);
  assert_int_equal(g1.len, g2.len);
  for (i = 0; i < g1.len; i++) {
    if (!is_key(g1.tasks[i]->key))
      fail_msg("bad task key '%s'", g1.tasks[i]->key);
    assert_int_equal(g1.tasks[i]->kind, g2.tasks[i]->kind);
    assert_string_equal(g1.tasks[i]->key, g2.tasks[i]->key);
  }
  /* Distinct within one graph. */
  for (i = 0; i < g1.len; i++)
    for (j = i + 1; j < g1.len; j++)
      if (strcmp(g1.tasks[i]->key, g1.tasks[j]->key) == 0)
        fail_msg("tasks %zu and %zu share key %s", i, j, g1.tasks[i]->key);
  /* Node definitions are deterministic too. */
  for (i = 0; i < p1.len; i++)
    assert_true(p1.nodes[i]->def_hash == p2.nodes[i]->def_hash);
  sp_graph_release(&g1);
  sp_graph_release(&g2);
  sp_plan_release(&p1);
  sp_plan_release(&p2);
}

/* Builds the base pipeline and a variant; checks that exactly the tasks
 * downstream of the change get new keys. `changed` says which kinds must
 * change: the rest must keep their keys. */
static void check_key_change(const pipeline_opts *variant,
                             int (*changed)(const sp_task *t))
{
  sp_plan p1, p2;
  sp_graph g1, g2;
  size_t i, nchanged = 0;

  build_pipeline(&base_opts, &p1, &g1);
  build_pipeline(variant, &p2, &g2);
  for (i = 0; i < g2.len; i++) {
    const sp_task *t = g2.tasks[i];
    if (changed(t)) {
      if (has_key(&g1, t->key))
        fail_msg("task %zu (%s) kept its key %s", i,
                 sp_task_kind_name(t->kind), t->key);
      nchanged++;
    } else if (!has_key(&g1, t->key)) {
      fail_msg("task %zu (%s) changed its key %s", i,
               sp_task_kind_name(t->kind), t->key);
    }
  }
  assert_true(nchanged > 0);
  sp_graph_release(&g1);
  sp_graph_release(&g2);
  sp_plan_release(&p1);
  sp_plan_release(&p2);
}

static int changed_all(const sp_task *t)
{
  (void)t;
  return 1;
}

static int changed_sql(const sp_task *t) { return t->kind == SP_TASK_SQL; }

/* The hash repartition's tasks and what reads them; not the source nor the
 * rows branch. */
static int changed_hash_down(const sp_task *t)
{
  return t->kind == SP_TASK_SQL || t->kind == SP_TASK_SHUFFLE ||
         (t->kind == SP_TASK_SPLIT_FILES && t->node->split == SP_SPLIT_HASH);
}

static void test_keys_change_with_sql(void **state)
{
  pipeline_opts o = base_opts;

  (void)state;
  o.sql = "SELECT k, sum(v) FROM {0} GROUP BY ALL";
  check_key_change(&o, changed_sql);
}

static void test_keys_change_with_mtime(void **state)
{
  pipeline_opts o = base_opts;
  size_t f;

  (void)state;
  for (f = 0; f < 6; f += 5) {
    o.bumped = f;
    o.mtime_bump = 1; /* one nanosecond is enough */
    check_key_change(&o, changed_all);
  }
}

static void test_keys_change_with_partition_count(void **state)
{
  pipeline_opts o = base_opts;

  (void)state;
  o.npart = 5;
  check_key_change(&o, changed_hash_down);
}

static void test_graph_to_json(void **state)
{
  sp_plan plan;
  sp_graph g;
  json_t *j, *nodes, *tasks;
  size_t i;

  (void)state;
  build_pipeline(&base_opts, &plan, &g);
  j = sp_graph_to_json(&g, &plan);
  assert_non_null(j);
  assert_true(json_is_object(j));
  nodes = json_object_get(j, "nodes");
  tasks = json_object_get(j, "tasks");
  assert_true(json_is_array(nodes));
  assert_true(json_is_array(tasks));
  assert_int_equal(json_array_size(nodes), plan.len);
  assert_int_equal(json_array_size(tasks), g.len);
  for (i = 0; i < plan.len; i++) {
    json_t *n = json_array_get(nodes, i);
    assert_int_equal(json_integer_value(json_object_get(n, "id")),
                     plan.nodes[i]->id);
    assert_string_equal(json_string_value(json_object_get(n, "kind")),
                        sp_node_kind_name(plan.nodes[i]->kind));
    assert_int_equal(json_integer_value(json_object_get(n, "partitions")),
                     plan.nodes[i]->npartitions);
  }
  for (i = 0; i < g.len; i++) {
    json_t *t = json_array_get(tasks, i);
    assert_string_equal(json_string_value(json_object_get(t, "key")),
                        g.tasks[i]->key);
    assert_string_equal(json_string_value(json_object_get(t, "kind")),
                        sp_task_kind_name(g.tasks[i]->kind));
    assert_int_equal(json_array_size(json_object_get(t, "inputs")),
                     g.tasks[i]->ninputs);
  }
  json_decref(j);
  sp_graph_release(&g);
  sp_plan_release(&plan);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_partition_counts),
    cmocka_unit_test(test_sql_mismatched_partitions),
    cmocka_unit_test(test_sql_template_checked_at_plan_time),
    cmocka_unit_test(test_repartition_invalid),
    cmocka_unit_test(test_graph_memoizes),
    cmocka_unit_test(test_graph_broadcast),
    cmocka_unit_test(test_graph_hash_repartition),
    cmocka_unit_test(test_graph_hash_over_partitioned_input),
    cmocka_unit_test(test_graph_split_repartitions),
    cmocka_unit_test(test_graph_count_task),
    cmocka_unit_test(test_keys_format_and_determinism),
    cmocka_unit_test(test_keys_change_with_sql),
    cmocka_unit_test(test_keys_change_with_mtime),
    cmocka_unit_test(test_keys_change_with_partition_count),
    cmocka_unit_test(test_graph_to_json),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
