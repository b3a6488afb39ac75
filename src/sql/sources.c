/*
 * sources.c - where a block's rows come from on each partition (see
 * block.h).
 *
 * Two ways, as research/distributed-sql.md (c.2, c.3) has them:
 *
 *   broadcast      the biggest table's files split into partitions, every
 *                  other table read whole by each: right when no join
 *                  keeps unmatched rows of a table read whole (an outer
 *                  join's preserved side, a semi or anti join's left), and
 *                  cheap when those tables are small;
 *   co-partition   every table that a chain of equalities joins on one
 *                  key hashed on it into the same partitions, so that rows
 *                  that can meet are in one partition; the others read
 *                  whole, where the joins allow it. Correlated subqueries
 *                  join in through their equality on the key, so that a
 *                  row of the outer query meets every row of the subquery
 *                  it could.
 *
 * Keys of different types hash alike: every key is cast to the type
 * DuckDB would compare them in before it is hashed.
 */
#include "sql/block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/hash_layout.h"
#include "sql/tree.h"
#include "util/alloc.h"
#include "util/error.h"

#define KEY_COL "__sp_k" /* the hashed key */

/* What hashing a byte costs, in scans of it (written, read back). */
#define BROADCAST_COST 4

/* ------------------------------------------------------------------ */
/* Reading the tables                                                   */

static const char *add_leaf(sp_block *b, json_t *from, int scope)
{
  const char *tag = b->s->refs->tag, *name = sp_tree_str(from, "table_name");
  sp_leaf *l;
  char *end;
  long k;

  if (strncmp(name, tag, strlen(tag)) != 0)
    return "a table that is not registered is read whole";
  k = strtol(name + strlen(tag), &end, 10);
  if (*end || k < 0 || k >= sp_stages_next(b->s))
    return "a table that is not registered is read whole";
  if (!json_is_null(json_object_get(from, "sample")))
    return "TABLESAMPLE is not split";
  if (json_array_size(json_object_get(from, "column_name_alias")))
    return "a column alias list on a table is not split yet";
  if (sp_grow((void **)&b->leaves, &b->leaves_cap, b->nleaves + 1,
              sizeof(*b->leaves)))
    return "out of memory";
  l = &b->leaves[b->nleaves++];
  memset(l, 0, sizeof(*l));
  l->ref = from;
  l->n = (int)k;
  l->alias = sp_tree_str(from, "alias");
  l->scope = scope;
  return NULL;
}

static const char *read_from(sp_block *b, json_t *from, int scope)
{
  const char *type = sp_tree_str(from, "type"), *why;

  if (strcmp(type, "JOIN") == 0) {
    const char *ref = sp_tree_str(from, "ref_type");
    if (strcmp(ref, "REGULAR") != 0 && strcmp(ref, "CROSS") != 0 &&
        strcmp(ref, "NATURAL") != 0)
      return "an ASOF, POSITIONAL or LATERAL join is not split";
    if ((why = read_from(b, json_object_get(from, "left"), scope)))
      return why;
    return read_from(b, json_object_get(from, "right"), scope);
  }
  if (strcmp(type, "BASE_TABLE") == 0)
    return add_leaf(b, from, scope);
  if (strcmp(type, "TABLE_FUNCTION") == 0)
    return "files named in the query are read whole; register them as a "
           "table to split the scan";
  if (strcmp(type, "EMPTY") == 0)
    return "a query without FROM runs on one task";
  return scope ? "a subquery that refers to the outer query reads a "
                 "subquery or VALUES"
               : "VALUES is not split";
}

/* 1 if node is what sql/blocks.c leaves of an uncorrelated subquery:
 * SELECT * FROM <a stage>. */
static int planned_subquery(const sp_block *b, const json_t *node)
{
  const json_t *items = json_object_get(node, "select_list");
  const json_t *from = json_object_get(node, "from_table");
  const char *tag = b->s->refs->tag;

  return json_array_size(items) == 1 &&
         sp_tree_is(json_array_get(items, 0), "STAR") &&
         strcmp(sp_tree_str(from, "type"), "BASE_TABLE") == 0 &&
         strncmp(sp_tree_str(from, "table_name"), tag, strlen(tag)) == 0 &&
         atoi(sp_tree_str(from, "table_name") + strlen(tag)) >=
             (int)b->s->refs->nused &&
         json_is_null(json_object_get(node, "where_clause"));
}

/* Appends the correlated subqueries in j to b->subs. */
static int find_subquery(const json_t *j, void *arg)
{
  sp_block *b = arg;
  json_t *node;

  if (!sp_tree_is(j, "SUBQUERY"))
    return 0;
  node = json_object_get(json_object_get(j, "subquery"), "node");
  if (planned_subquery(b, node))
    return 1;
  return json_array_append(b->subs, node) ? -1 : 1;
}

static int find_subqueries(sp_block *b, json_t *j)
{
  return sp_tree_visit(j, find_subquery, b);
}

const char *sp_block_read_tables(sp_block *b)
{
  static const char *const parts[] = {
    "select_list", "where_clause", "having", "qualify", "modifiers",
  };
  const char *why;
  const json_t *sub;
  size_t i;

  if ((why = read_from(b, json_object_get(b->source, "from_table"), 0)))
    return why;
  if (!(b->subs = json_array()))
    return "out of memory";
  for (i = 0; i < sizeof(parts) / sizeof(*parts); i++)
    if (find_subqueries(b, json_object_get(b->source, parts[i])))
      return "out of memory";
  json_array_foreach(b->subs, i, sub) {
    if (strcmp(sp_tree_str(sub, "type"), "SELECT_NODE") != 0 ||
        json_array_size(json_object_get(json_object_get(sub, "cte_map"),
                                        "map")))
      return "a subquery that refers to the outer query is not a plain "
             "SELECT";
    if (sp_tree_has_class(sub, "SUBQUERY"))
      return "a subquery that refers to the outer query has subqueries "
             "of its own";
    if ((why = read_from(b, json_object_get(sub, "from_table"),
                         (int)i + 1)))
      return why;
  }
  b->joined = b->nleaves > 1;
  b->table = b->leaves[0].n;
  b->alias = b->joined ? NULL : b->leaves[0].alias;
  return NULL;
}

static long resolve(const sp_block *b, const json_t *e, int scope,
                    const char **column);

/* 1 if the join tree from has an outer join, whose null-extended rows
 * carry no key. */
static int outer_joins(const json_t *from)
{
  const char *type = sp_tree_str(from, "join_type");

  if (strcmp(sp_tree_str(from, "type"), "JOIN") != 0)
    return 0;
  return strcmp(type, "LEFT") == 0 || strcmp(type, "RIGHT") == 0 ||
         strcmp(type, "FULL") == 0 ||
         outer_joins(json_object_get(from, "left")) ||
         outer_joins(json_object_get(from, "right"));
}

int sp_block_on_key(const sp_block *b, const json_t *e)
{
  const char *column = NULL;
  long k;

  if (!b->copartitioned || outer_joins(json_object_get(b->source,
                                                       "from_table")))
    return 0;
  k = resolve(b, e, 0, &column);
  return k >= 0 && b->leaves[k].hashed && b->leaves[k].key &&
         strcmp(b->leaves[k].key, column) == 0;
}

const char *sp_block_column(const sp_block *b, const char *name)
{
  const json_t *cols, *c;
  size_t i, k;

  for (k = 0; name && k < b->nleaves; k++) {
    cols = sp_stages_schema(b->s, b->leaves[k].n);
    json_array_foreach(cols, i, c) {
      const char *col = json_string_value(json_array_get(c, 0));
      if (col && strcasecmp(col, name) == 0)
        return col;
    }
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

typedef struct retarget_arg {
  const char *from, *to;
} retarget_arg;

static int retarget_one(json_t **e, void *arg)
{
  const retarget_arg *r = arg;

  if (strcmp(sp_tree_str(*e, "type"), "BASE_TABLE") != 0 ||
      strcmp(sp_tree_str(*e, "table_name"), r->from) != 0)
    return 0;
  return json_object_set_new(*e, "table_name", json_string(r->to)) ? -1 : 1;
}

int sp_sql_retarget(const sp_stages *s, json_t **tree, int from, int to)
{
  char a[128], b[128];
  retarget_arg r = {a, b};

  snprintf(a, sizeof(a), "%s%d", s->refs->tag, from);
  snprintf(b, sizeof(b), "%s%d", s->refs->tag, to);
  return sp_tree_map(tree, retarget_one, &r);
}

/* Makes leaf l's FROM read placeholder n. */
static int read_placeholder(const sp_block *b, sp_leaf *l, int n)
{
  char name[128];

  snprintf(name, sizeof(name), "%s%d", b->s->refs->tag, n);
  return json_object_set_new(l->ref, "table_name", json_string(name));
}

/* Adds a stage that only moves files (SPLIT into n, or GATHER) of
 * placeholder *in, which becomes the stage's. */
static sp_status move_files(sp_block *b, sp_stage_kind kind, int n, int *in,
                            const char *note, sp_error **err)
{
  sp_stage stage = {.kind = kind, .partitions = n};
  sp_status st = sp_stage_read(&stage, *in)
                     ? sp_error_oom(err)
                     : sp_block_add_stage(b, &stage, NULL, note, in, err);

  sp_stage_release(&stage);
  return st;
}

/* Appends n to b->inputs unless it is there. */
static int add_input(sp_block *b, int n)
{
  size_t k;

  for (k = 0; k < b->ninputs; k++)
    if (b->inputs[k] == n)
      return 0;
  b->inputs[b->ninputs++] = n;
  return 0;
}

/* Every leaf but the hashed ones (and `except`) read whole: gathered
 * into one partition first when they have more. */
static sp_status read_whole(sp_block *b, const sp_leaf *except,
                            sp_error **err)
{
  size_t i, k;
  sp_status st;

  for (i = 0; i < b->nleaves; i++) {
    sp_leaf *l = &b->leaves[i];
    int in = l->n;
    if (l == except || l->hashed)
      continue;
    /* The same table read whole twice: one gather. */
    for (k = 0; k < i; k++)
      if (b->leaves[k].n == l->n && &b->leaves[k] != except &&
          !b->leaves[k].hashed)
        break;
    if (k < i) {
      in = atoi(sp_tree_str(b->leaves[k].ref, "table_name") +
                strlen(b->s->refs->tag));
    } else if (sp_stages_partitions(b->s, in) > 1 &&
               (st = move_files(b, SP_STAGE_GATHER, 1, &in,
                                "read whole by every partition", err))) {
      return st;
    }
    if (read_placeholder(b, l, in) || add_input(b, in))
      return sp_error_oom(err);
  }
  return SP_OK;
}

/* ------------------------------------------------------------------ */
/* Broadcast                                                            */

/* 1 if the join tree from holds the leaf whose FROM node is ref. */
static int holds(const json_t *from, const json_t *ref)
{
  if (from == ref)
    return 1;
  if (strcmp(sp_tree_str(from, "type"), "JOIN") != 0)
    return 0;
  return holds(json_object_get(from, "left"), ref) ||
         holds(json_object_get(from, "right"), ref);
}

/* 1 if the join tree from holds a hashed leaf (or the leaf `split`). */
static int holds_partitioned(const sp_block *b, const json_t *from,
                             const sp_leaf *split)
{
  size_t i;

  for (i = 0; i < b->nleaves; i++)
    if ((b->leaves[i].hashed || &b->leaves[i] == split) &&
        holds(from, b->leaves[i].ref))
      return 1;
  return 0;
}

typedef struct classes classes;
static int meets_on_key(const sp_block *b, classes *c, size_t root,
                        int scope, const json_t *join);

/* NULL if every join of from (in scope) gives the same rows when its
 * partitioned leaves (split, or hashed on class root of c) are split and
 * the others read whole: a join may keep unmatched rows only of a
 * partitioned side (an outer join's preserved side, a semi or anti join's
 * left), and two partitioned sides must meet on the key. */
static const char *joins_allow(const sp_block *b, const json_t *from,
                               const sp_leaf *split, classes *c, size_t root,
                               int scope)
{
  const char *type, *why;
  int left, right, inner;

  if (strcmp(sp_tree_str(from, "type"), "JOIN") != 0)
    return NULL;
  type = sp_tree_str(from, "join_type");
  inner = strcmp(type, "INNER") == 0;
  left = holds_partitioned(b, json_object_get(from, "left"), split);
  right = holds_partitioned(b, json_object_get(from, "right"), split);
  if (left && right && !inner &&
      !(c && meets_on_key(b, c, root, scope, from)))
    return "an outer, semi or anti join of two big tables does not meet "
           "on the key the others are hashed on";
  if (left != right &&
      (strcmp(type, "FULL") == 0 ||
       (right && !inner && strcmp(type, "RIGHT") != 0) ||
       (left && !inner && strcmp(type, "LEFT") != 0 &&
        strcmp(type, "SEMI") != 0 && strcmp(type, "ANTI") != 0)))
    return "a table read whole would lose or repeat rows: it is the kept "
           "side of an outer, semi or anti join";
  if ((why = joins_allow(b, json_object_get(from, "left"), split, c, root,
                         scope)))
    return why;
  return joins_allow(b, json_object_get(from, "right"), split, c, root,
                     scope);
}

/* The broadcast plan: NULL, or why it does not hold. *small: the tables
 * read whole fit under the broadcast size. */
static const char *broadcast_holds(const sp_block *b, const sp_leaf **split,
                                   int *small)
{
  const json_t *from = json_object_get(b->source, "from_table");
  int64_t rest = 0;
  size_t i;

  *split = NULL;
  for (i = 0; i < b->nleaves; i++)
    if (b->leaves[i].scope == 0 &&
        (!*split || sp_stages_bytes(b->s, b->leaves[i].n) >
                        sp_stages_bytes(b->s, (*split)->n)))
      *split = &b->leaves[i];
  for (i = 0; i < b->nleaves; i++)
    if (&b->leaves[i] != *split)
      rest += sp_stages_bytes(b->s, b->leaves[i].n);
  /* Reading the others whole costs each partition a scan of them;
   * hashing costs writing and reading every table once more, several
   * scans' worth: with few partitions, reading whole is cheaper, however
   * big (unless the size was set). */
  *small = rest <= b->broadcast_bytes ||
           (b->s->broadcast_auto &&
            rest * b->partitions <=
                BROADCAST_COST * (rest + sp_stages_bytes(b->s, (*split)->n)));
  return joins_allow(b, from, *split, NULL, 0, 0);
}

/* Splits leaf l's files into partitions (when it has one partition) and
 * reads every other leaf whole. */
static sp_status broadcast(sp_block *b, sp_leaf *l, sp_error **err)
{
  int split = l->n, files = sp_stages_files(b->s, l->n);
  sp_status st;

  if (sp_stages_partitions(b->s, split) == 1 && files > 1 &&
      b->partitions > 1 &&
      (st = move_files(b, SP_STAGE_SPLIT,
                       files < b->partitions ? files : b->partitions, &split,
                       "the table's files split, no rows moved", err)))
    return st;
  if (read_placeholder(b, l, split) || add_input(b, split))
    return sp_error_oom(err);
  b->table = split;
  return read_whole(b, l, err);
}

/* ------------------------------------------------------------------ */
/* Co-partition                                                         */

/* A column of a leaf that an equality names. */
typedef struct slot {
  size_t leaf;
  const char *column; /* the table's spelling */
  size_t parent;      /* union-find */
} slot;

struct classes {
  slot *slots;
  size_t len, cap;
};

static size_t find(classes *c, size_t i)
{
  while (c->slots[i].parent != i)
    i = c->slots[i].parent = c->slots[c->slots[i].parent].parent;
  return i;
}

/* The column of leaf k named name, or NULL. */
static const char *leaf_column(const sp_block *b, size_t k, const char *name)
{
  const json_t *cols = sp_stages_schema(b->s, b->leaves[k].n), *c;
  size_t i;

  json_array_foreach(cols, i, c) {
    const char *col = json_string_value(json_array_get(c, 0));
    if (col && strcasecmp(col, name) == 0)
      return col;
  }
  return NULL;
}

/* The leaf (and its column) e, a COLUMN_REF seen from scope, names: the
 * scope's own tables first, then the block's FROM. -1 if none or
 * ambiguous. */
static long resolve(const sp_block *b, const json_t *e, int scope,
                    const char **column)
{
  const json_t *names = json_object_get(e, "column_names");
  const char *qual = NULL, *name;
  int pass;
  size_t k;

  if (!sp_tree_is(e, "COLUMN_REF") || json_array_size(names) < 1 ||
      json_array_size(names) > 2)
    return -1;
  if (json_array_size(names) == 2)
    qual = json_string_value(json_array_get(names, 0));
  name = json_string_value(json_array_get(names, json_array_size(names) - 1));
  for (pass = 0; pass < 2 && name; pass++) {
    int want = pass == 0 ? scope : 0;
    long found = -1;
    if (pass == 1 && scope == 0)
      break;
    for (k = 0; k < b->nleaves; k++) {
      const char *col;
      if (b->leaves[k].scope != want ||
          (qual && strcasecmp(qual, b->leaves[k].alias) != 0) ||
          !(col = leaf_column(b, k, name)))
        continue;
      if (found >= 0)
        return -1;
      found = (long)k;
      *column = col;
    }
    if (found >= 0)
      return found;
  }
  return -1;
}

/* The slot of leaf k's column, added if new; (size_t)-1 when out of
 * memory. */
static size_t slot_of(classes *c, size_t k, const char *column)
{
  size_t i;

  for (i = 0; i < c->len; i++)
    if (c->slots[i].leaf == k && strcmp(c->slots[i].column, column) == 0)
      return i;
  if (sp_grow((void **)&c->slots, &c->cap, c->len + 1, sizeof(*c->slots)))
    return (size_t)-1;
  c->slots[c->len].leaf = k;
  c->slots[c->len].column = column;
  c->slots[c->len].parent = c->len;
  return c->len++;
}

/* Appends the conjuncts of e (AND) to out, borrowed. */
static int conjuncts(const json_t *e, json_t *out)
{
  const json_t *child;
  size_t i;

  if (!e || json_is_null(e))
    return 0;
  if (sp_tree_is(e, "CONJUNCTION") &&
      strcmp(sp_tree_str(e, "type"), "CONJUNCTION_AND") == 0) {
    json_array_foreach(json_object_get(e, "children"), i, child)
      if (conjuncts(child, out))
        return -1;
    return 0;
  }
  return json_array_append(out, (json_t *)e);
}

/* The conjuncts of the join conditions in from, and of where. */
static int conditions(const json_t *from, const json_t *where, json_t *out)
{
  if (where && conjuncts(where, out))
    return -1;
  if (strcmp(sp_tree_str(from, "type"), "JOIN") != 0)
    return 0;
  if (conjuncts(json_object_get(from, "condition"), out))
    return -1;
  return conditions(json_object_get(from, "left"), NULL, out) ||
                 conditions(json_object_get(from, "right"), NULL, out)
             ? -1
             : 0;
}

/* The two slots an equality of columns joins, or 0. */
static int equality(const sp_block *b, classes *c, const json_t *e,
                    int scope, size_t *x, size_t *y)
{
  const char *cx = NULL, *cy = NULL;
  long lx, ly;

  if (!sp_tree_is(e, "COMPARISON") ||
      strcmp(sp_tree_str(e, "type"), "COMPARE_EQUAL") != 0)
    return 0;
  lx = resolve(b, json_object_get(e, "left"), scope, &cx);
  ly = resolve(b, json_object_get(e, "right"), scope, &cy);
  if (lx < 0 || ly < 0 || lx == ly)
    return 0;
  *x = slot_of(c, (size_t)lx, cx);
  *y = slot_of(c, (size_t)ly, cy);
  return *x != (size_t)-1 && *y != (size_t)-1;
}

/* The conditions of scope k: the block's (0) or a subquery's. */
static const json_t *scope_node(const sp_block *b, int k)
{
  return k == 0 ? b->source : json_array_get(b->subs, (size_t)k - 1);
}

/* Joins the slots of every equality of columns in the block. */
static int find_classes(const sp_block *b, classes *c)
{
  json_t *conds = json_array(), *e;
  size_t k, i, x, y;

  if (!conds)
    return -1;
  for (k = 0; k <= json_array_size(b->subs); k++) {
    const json_t *node = scope_node(b, (int)k);
    json_array_clear(conds);
    if (conditions(json_object_get(node, "from_table"),
                   json_object_get(node, "where_clause"), conds)) {
      json_decref(conds);
      return -1;
    }
    json_array_foreach(conds, i, e)
      if (equality(b, c, e, (int)k, &x, &y))
        c->slots[find(c, x)].parent = find(c, y);
  }
  json_decref(conds);
  return 0;
}

/* The class (a root slot) whose tables hold the most bytes, with two
 * tables at least, at least one of the block's FROM; (size_t)-1 if none. */
static size_t best_class(const sp_block *b, classes *c)
{
  size_t best = (size_t)-1, r, i, j;
  int64_t most = 0;

  for (r = 0; r < c->len; r++) {
    int64_t bytes = 0;
    size_t leaves = 0, outer = 0;
    if (find(c, r) != r)
      continue;
    for (i = 0; i < c->len; i++) {
      if (find(c, i) != r)
        continue;
      for (j = 0; j < i; j++)
        if (find(c, j) == r && c->slots[j].leaf == c->slots[i].leaf)
          break;
      if (j < i)
        continue;
      leaves++;
      outer += b->leaves[c->slots[i].leaf].scope == 0;
      bytes += sp_stages_bytes(b->s, b->leaves[c->slots[i].leaf].n);
    }
    if (leaves >= 2 && outer && bytes > most) {
      most = bytes;
      best = r;
    }
  }
  return best;
}

/* 1 if the join's condition equates the key of a table on its left with
 * the key of one on its right. */
static int meets_on_key(const sp_block *b, classes *c, size_t root,
                        int scope, const json_t *join)
{
  const json_t *left = json_object_get(join, "left");
  json_t *conds = json_array(), *e;
  size_t i, x, y;
  int meets = 0;

  if (!conds || conjuncts(json_object_get(join, "condition"), conds)) {
    json_decref(conds);
    return 0;
  }
  json_array_foreach(conds, i, e)
    if (!meets && equality(b, c, e, scope, &x, &y) && find(c, x) == root &&
        find(c, y) == root)
      meets = holds(left, b->leaves[c->slots[x].leaf].ref) !=
              holds(left, b->leaves[c->slots[y].leaf].ref);
  json_decref(conds);
  return meets;
}

/* NULL if the co-partitioned plan over class root gives the query's rows:
 * the joins allow it, and each correlated subquery with a hashed table
 * equates its key with the outer query's. */
static const char *co_partition_holds(sp_block *b, classes *c, size_t root)
{
  const char *why = NULL;
  json_t *conds = NULL, *e;
  size_t k, i, x, y;

  for (k = 0; k <= json_array_size(b->subs) && !why; k++) {
    const json_t *node = scope_node(b, (int)k);
    int hashed = 0, meets = 0;
    why = joins_allow(b, json_object_get(node, "from_table"), NULL, c, root,
                      (int)k);
    for (i = 0; i < b->nleaves; i++)
      hashed |= b->leaves[i].scope == (int)k && b->leaves[i].hashed;
    if (why || k == 0 || !hashed)
      continue;
    if (!(conds = json_array()) ||
        conjuncts(json_object_get(node, "where_clause"), conds)) {
      why = "out of memory";
      break;
    }
    json_array_foreach(conds, i, e)
      if (equality(b, c, e, (int)k, &x, &y) && find(c, x) == root &&
          find(c, y) == root &&
          (b->leaves[c->slots[x].leaf].scope == 0) !=
              (b->leaves[c->slots[y].leaf].scope == 0))
        meets = 1;
    json_decref(conds);
    conds = NULL;
    if (!meets)
      why = "a subquery that refers to the outer query does not meet it "
            "on the key the tables are hashed on";
  }
  return why;
}

/* The type every key of the class is compared in. */
static sp_status key_type(sp_block *b, classes *c, size_t root, char **type,
                          sp_error **err)
{
  sp_buf sql = SP_BUF_INIT;
  json_t *schema = NULL;
  sp_status st;
  size_t i, n = 0;

  sp_buf_puts(&sql, "SELECT coalesce(");
  for (i = 0; i < c->len; i++) {
    const json_t *cols, *col;
    size_t j;
    if (find(c, i) != root)
      continue;
    cols = sp_stages_schema(b->s, b->leaves[c->slots[i].leaf].n);
    json_array_foreach(cols, j, col)
      if (strcmp(json_string_value(json_array_get(col, 0)),
                 c->slots[i].column) == 0)
        sp_buf_appendf(&sql, "%sCAST(NULL AS %s)", n++ ? ", " : "",
                       json_string_value(json_array_get(col, 1)));
  }
  sp_buf_putc(&sql, ')');
  st = sp_buf_oom(&sql) ? sp_error_oom(err)
                        : sp_sql_bind(b->s->con, sql.data, &schema, err);
  if (st == SP_OK &&
      !(*type = sp_strdup(json_string_value(
            json_array_get(json_array_get(schema, 0), 1)))))
    st = sp_error_oom(err);
  json_decref(schema);
  sp_buf_release(&sql);
  return st;
}

/* The columns of leaf k the block names (all with a *), in the table's
 * order: appended to b as `c, c, ...`; how many. */
static size_t append_needed(const sp_block *b, size_t k, sp_buf *out)
{
  const json_t *cols = sp_stages_schema(b->s, b->leaves[k].n), *c;
  /* A * of the block's own select list reads every column; one in an
   * EXISTS subquery none (elsewhere, the stage would not bind, and the
   * block runs whole). */
  int all = sp_tree_has_class(json_object_get(b->node, "select_list"),
                              "STAR");
  size_t i, n = 0;

  json_array_foreach(cols, i, c) {
    const char *name = json_string_value(json_array_get(c, 0));
    if (!all && !sp_tree_has_column(b->source, name))
      continue;
    sp_buf_puts(out, n++ ? ", " : "");
    sp_buf_append_ident(out, name);
  }
  return n;
}

/* Hashes leaf k on column into b->partitions: the exchange's output is
 * *out (shared by every leaf of the same table and key). */
/* 1 if e reads only leaf k's columns (seen from scope), and nothing that
 * must stay where it is (a subquery, a window). */
typedef struct leaf_walk {
  const sp_block *b;
  size_t k;
  int scope;
} leaf_walk;

static int other_than_leaf(const json_t *e, void *arg)
{
  const leaf_walk *w = arg;
  const char *column;

  if (sp_tree_is(e, "SUBQUERY") || sp_tree_is(e, "WINDOW"))
    return -1;
  if (sp_tree_is(e, "COLUMN_REF"))
    return resolve(w->b, e, w->scope, &column) == (long)w->k ? 1 : -1;
  return 0;
}

static int only_leaf(const sp_block *b, const json_t *e, size_t k, int scope)
{
  leaf_walk w = {b, k, scope};

  return sp_tree_visit(e, other_than_leaf, &w) == 0;
}

/* The conjuncts of leaf k's WHERE that read only leaf k, ANDed (a new
 * reference), to filter its rows before they are hashed; NULL if none,
 * or when an outer join of its FROM would see the rows it removes. */
static json_t *leaf_filter(const sp_block *b, size_t k)
{
  const sp_leaf *l = &b->leaves[k];
  const json_t *node = scope_node(b, l->scope);
  json_t *conds = json_array(), *kept = json_array(), *e, *out = NULL;
  size_t i;

  if (!conds || !kept ||
      outer_joins(json_object_get(node, "from_table")) ||
      conjuncts(json_object_get(node, "where_clause"), conds))
    goto done;
  json_array_foreach(conds, i, e)
    if (sp_tree_has_class(e, "COLUMN_REF") &&
        only_leaf(b, e, k, l->scope) && json_array_append(kept, e))
      goto done;
  if (json_array_size(kept) == 1)
    out = json_deep_copy(json_array_get(kept, 0));
  else if (json_array_size(kept) > 1)
    out = json_pack("{s:s, s:s, s:s, s:O}", "class", "CONJUNCTION", "type",
                    "CONJUNCTION_AND", "alias", "", "children", kept);
done:
  json_decref(conds);
  json_decref(kept);
  return out;
}

/* The hash exchange's query for leaf k: its needed columns and its key
 * (cast) of the rows its own conditions keep. */
static sp_status hash_query(sp_block *b, size_t k, const char *column,
                            const char *type, const json_t *filter,
                            sp_buf *out, size_t *nneeded, sp_error **err)
{
  sp_leaf *l = &b->leaves[k];
  sp_buf sql = SP_BUF_INIT;
  json_t *node = NULL;
  char *printed = NULL;
  sp_status st;

  sp_buf_puts(&sql, "SELECT ");
  *nneeded = append_needed(b, k, &sql);
  sp_buf_appendf(&sql, "%sCAST(", *nneeded ? ", " : "");
  sp_buf_append_ident(&sql, column);
  sp_buf_appendf(&sql, " AS %s) AS \"" KEY_COL "\" FROM ", type);
  sp_stages_append_name(b->s, &sql, l->n);
  if (*l->alias) {
    sp_buf_puts(&sql, " AS ");
    sp_buf_append_ident(&sql, l->alias);
  }
  if (sp_buf_oom(&sql)) {
    st = sp_error_oom(err);
  } else if (!filter) {
    sp_buf_append(out, sql.data, sql.len);
    st = SP_OK;
  } else if ((st = sp_tree_parse_select(b->s->con, sql.data, &node, err)) ==
                 SP_OK &&
             !json_object_set(node, "where_clause", (json_t *)filter) &&
             (st = sp_tree_print(b->s->con, node, &printed, err)) == SP_OK) {
    sp_buf_puts(out, printed);
  }
  json_decref(node);
  sp_free(printed);
  sp_buf_release(&sql);
  return st;
}

/* 1 if leaf k's rows are filtered before they are hashed. */
static int filtered(const sp_block *b, size_t k)
{
  json_t *filter = leaf_filter(b, k);
  int yes = filter != NULL;

  json_decref(filter);
  return yes;
}

static sp_status hash_leaf(sp_block *b, size_t k, const char *column,
                           const char *type, int *out, sp_error **err)
{
  sp_stage stage = {.kind = SP_STAGE_HASH, .partitions = b->partitions};
  sp_buf sql = SP_BUF_INIT, from = SP_BUF_INIT;
  sp_leaf *l = &b->leaves[k];
  json_t *table = NULL, *filter = leaf_filter(b, k);
  sp_status st;
  size_t nneeded = 0;

  st = hash_query(b, k, column, type, filter, &sql, &nneeded, err);
  json_decref(filter);
  if (st != SP_OK)
    goto out;
  if (sp_stage_read(&stage, l->n) ||
      !(stage.keys = sp_calloc(1, sizeof(*stage.keys))) ||
      !(stage.keys[stage.nkeys++] = sp_strdup(KEY_COL)))
    st = sp_error_oom(err);
  if (st == SP_OK && *out < 0)
    st = sp_block_add_stage(b, &stage, &sql,
                            "rows hashed on the key the joins share (the "
                            "table's own conditions applied first)",
                            out, err);
  /* Its FROM: the exchanged rows with the types the table had. */
  if (st == SP_OK) {
    sp_stages_append_typed(b->s, &from, *out, (int)nneeded);
    sp_buf_puts(&from, " AS ");
    sp_buf_append_ident(&from, *l->alias ? l->alias : "__sp_table");
    table = sp_block_parse_from(b, &from, &st, err);
  }
  if (table) {
    json_object_clear(l->ref);
    if (json_object_update(l->ref, table))
      st = sp_error_oom(err);
    l->alias = sp_tree_str(l->ref, "alias"); /* the old one went with it */
  }
out:
  json_decref(table);
  sp_stage_release(&stage);
  sp_buf_release(&sql);
  sp_buf_release(&from);
  return st;
}

/* The type of leaf k's column, or "". */
static const char *column_type(const sp_block *b, size_t k, const char *col)
{
  const json_t *cols = sp_stages_schema(b->s, b->leaves[k].n), *c;
  size_t i;

  json_array_foreach(cols, i, c)
    if (strcmp(json_string_value(json_array_get(c, 0)), col) == 0)
      return json_string_value(json_array_get(c, 1));
  return "";
}

/* The partitions of leaf k when its table is already hashed on column as
 * a co-partition would hash it (a hash layout on that one column, of the
 * key's type, along the default dimension: sp_repartition made it, or
 * files it wrote record it): 0 when it is not. */
static int hashed_already(const sp_block *b, size_t k, const char *column,
                          const char *type)
{
  const sp_leaf *l = &b->leaves[k];
  const sp_node *node;

  if (l->scope != 0 || l->n >= (int)b->s->refs->nused)
    return 0;
  node = b->s->inputs[l->n].node;
  if (!sp_hash_layout_hashed_on(node->hash_layout, column) ||
      node->npartitions < 2 || !sp_stages_plain(b->s, l->n) ||
      strcmp(column_type(b, k, column), type) != 0 || strstr(type, "HUGEINT") ||
      strstr(type, "DECIMAL(38"))
    return 0;
  return node->npartitions;
}

static sp_status co_partition(sp_block *b, classes *c, size_t root,
                              sp_error **err)
{
  char *type = NULL;
  int *outs = NULL;
  sp_status st;
  size_t i, j;

  if ((st = key_type(b, c, root, &type, err)) != SP_OK)
    return st;
  if (!(outs = sp_calloc(c->len, sizeof(*outs)))) {
    st = sp_error_oom(err);
    goto out;
  }
  for (i = 0; i < c->len; i++)
    outs[i] = -1;
  /* A table hashed on its key already is read as it is, no exchange: the
   * others are hashed into as many partitions, alike. */
  for (i = 0; i < c->len && st == SP_OK; i++) {
    sp_leaf *l = &b->leaves[c->slots[i].leaf];
    int parts;
    if (find(c, i) != root || l->hashed == 2 ||
        !(parts = hashed_already(b, c->slots[i].leaf, c->slots[i].column,
                                 type)) ||
        (b->copartitioned && parts != b->partitions))
      continue;
    b->partitions = parts;
    b->copartitioned = 1;
    l->hashed = 2;
    l->key = c->slots[i].column;
    if (add_input(b, l->n))
      st = sp_error_oom(err);
  }
  /* One exchange per table and key, shared by the leaves that read it;
   * a leaf with two columns in the class is hashed on the first. */
  for (i = 0; i < c->len && st == SP_OK; i++) {
    sp_leaf *l = &b->leaves[c->slots[i].leaf];
    if (find(c, i) != root || l->hashed == 2)
      continue;
    /* Two leaves of one table share its exchange unless either filters
     * its rows first. */
    for (j = 0; j < i && !filtered(b, c->slots[i].leaf); j++)
      if (outs[j] >= 0 && b->leaves[c->slots[j].leaf].n == l->n &&
          strcmp(c->slots[j].column, c->slots[i].column) == 0 &&
          !filtered(b, c->slots[j].leaf))
        outs[i] = outs[j];
    st = hash_leaf(b, c->slots[i].leaf, c->slots[i].column, type, &outs[i],
                   err);
    l->hashed = 2;
    l->key = c->slots[i].column;
    if (st == SP_OK && add_input(b, outs[i]))
      st = sp_error_oom(err);
  }
  if (st == SP_OK)
    st = read_whole(b, NULL, err);
  if (st == SP_OK) {
    b->table = b->inputs[0];
    b->copartitioned = 1;
  }
out:
  sp_free(type);
  sp_free(outs);
  return st;
}

/* ------------------------------------------------------------------ */

sp_status sp_block_sources(sp_block *b, const char **why, sp_error **err)
{
  const sp_leaf *split = NULL;
  classes c = {0};
  const char *broadcast_why, *co_why = NULL;
  size_t root = (size_t)-1, i;
  sp_status st = SP_OK;
  int small = 0;

  *why = NULL;
  if (!(b->inputs = sp_calloc(b->nleaves, sizeof(*b->inputs))))
    return sp_error_oom(err);
  b->staged = b->staged || b->nleaves > 1;
  broadcast_why = broadcast_holds(b, &split, &small);
  if (!broadcast_why && small && !b->wants_key)
    return broadcast(b, (sp_leaf *)split, err);
  /* Big tables read whole, or joins that forbid it: hash on a key. */
  if (find_classes(b, &c)) {
    st = sp_error_oom(err);
    goto out;
  }
  if ((root = best_class(b, &c)) == (size_t)-1)
    co_why = "the tables share no key to hash them on";
  for (i = 0; root != (size_t)-1 && i < c.len; i++)
    if (find(&c, i) == root)
      b->leaves[c.slots[i].leaf].hashed = 1;
  if (!co_why)
    co_why = co_partition_holds(b, &c, root);
  if (!co_why) {
    st = co_partition(b, &c, root, err);
    goto out;
  }
  for (i = 0; i < b->nleaves; i++)
    b->leaves[i].hashed = 0;
  /* Correct either way: the big tables read whole, at a cost. */
  if (!broadcast_why) {
    st = broadcast(b, (sp_leaf *)split, err);
    goto out;
  }
  *why = broadcast_why;
out:
  sp_free(c.slots);
  return st;
}
