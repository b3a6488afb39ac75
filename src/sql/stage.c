/*
 * stage.c - the stages of a query, bound one by one, then added to the
 * plan (see stage.h).
 */
#include "sql/stage.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "duck/duck.h"
#include "plan/template.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"

sp_status sp_sql_bind(duckdb_connection con, const char *text,
                      json_t **schema, sp_error **err)
{
  duckdb_prepared_statement prep = NULL;
  sp_buf type = SP_BUF_INIT;
  sp_status st = SP_OK;
  idx_t i, n;

  if (!(*schema = json_array()))
    return sp_error_oom(err);
  if (duckdb_prepare(con, text, &prep) == DuckDBError) {
    st = sp_error_set(err, SP_ESQL, "%s", duckdb_prepare_error(prep));
    goto out;
  }
  n = duckdb_prepared_statement_column_count(prep);
  for (i = 0; i < n && st == SP_OK; i++) {
    duckdb_logical_type t =
        duckdb_prepared_statement_column_logical_type(prep, i);
    const char *name = duckdb_prepared_statement_column_name(prep, i);
    sp_buf_reset(&type);
    if (sp_duck_type_sql(t, &type) != 0)
      st = sp_error_set(err, SP_EINVAL, "result column %s has a type SQL "
                        "cannot spell", name ? name : "?");
    else if (!name || sp_buf_oom(&type) ||
             json_array_append_new(*schema,
                                   json_pack("[s, s]", name, type.data)))
      st = sp_error_oom(err);
    duckdb_free((void *)name);
    duckdb_destroy_logical_type(&t);
  }
out:
  duckdb_destroy_prepare(&prep);
  sp_buf_release(&type);
  if (st != SP_OK) {
    json_decref(*schema);
    *schema = NULL;
  }
  return st;
}

int sp_stages_next(const sp_stages *s)
{
  return (int)(s->refs->nused + s->len);
}

static const sp_stage *stage_of(const sp_stages *s, int n)
{
  return n >= (int)s->refs->nused ? &s->list[n - (int)s->refs->nused] : NULL;
}

int sp_stages_partitions(const sp_stages *s, int n)
{
  const sp_stage *st = stage_of(s, n);

  return st ? st->partitions : s->inputs[n].node->npartitions;
}

static int64_t bytes_of(const sp_stages *s, int n)
{
  const sp_stage *st = stage_of(s, n);

  return st ? st->bytes : s->inputs[n].bytes;
}

int64_t sp_stages_bytes(sp_stages *s, int n)
{
  sp_stage *st = (sp_stage *)stage_of(s, n);

  /* A decision made on a guess: the query may be planned again once the
   * stage has run. */
  if (st && !st->measured)
    st->guessed = 1;
  return bytes_of(s, n);
}

int sp_stages_plain(const sp_stages *s, int n)
{
  const sp_stage *st = stage_of(s, n);
  const sp_node *node;

  if (st)
    return st->kind != SP_STAGE_SQL || !st->ninputs ||
           sp_stages_plain(s, st->inputs[0]);
  node = s->inputs[n].node;
  return node->npartitions == 1 ||
         (node->ndims == 1 &&
          strcmp(node->dims[0].name, SP_DEFAULT_DIMENSION) == 0);
}

int sp_stages_files(const sp_stages *s, int n)
{
  const sp_stage *st = stage_of(s, n);

  return st ? 1 : (int)s->inputs[n].files->len;
}

const json_t *sp_stages_schema(const sp_stages *s, int n)
{
  const sp_stage *st = stage_of(s, n);

  return st ? st->schema : s->table_schemas[n];
}

void sp_stages_append_name(const sp_stages *s, sp_buf *b, int n)
{
  char name[64];

  snprintf(name, sizeof(name), "%s%d", s->refs->tag, n);
  sp_buf_append_ident(b, name);
}

void sp_stages_append_typed(const sp_stages *s, sp_buf *b, int n,
                            int ncols)
{
  const json_t *schema = sp_stages_schema(s, n), *c;
  size_t i;

  sp_buf_puts(b, "(SELECT ");
  json_array_foreach(schema, i, c) {
    const char *name = json_string_value(json_array_get(c, 0));
    if (ncols >= 0 && i >= (size_t)ncols)
      break;
    sp_buf_puts(b, i ? ", CAST(" : "CAST(");
    sp_buf_append_ident(b, name);
    /* A type as DuckDB spelled it: the binder's own text. */
    sp_buf_appendf(b, " AS %s) AS ",
                   json_string_value(json_array_get(c, 1)));
    sp_buf_append_ident(b, name);
  }
  sp_buf_puts(b, " FROM ");
  sp_stages_append_name(s, b, n);
  sp_buf_putc(b, ')');
}

int sp_stage_read(sp_stage *stage, int n)
{
  int *more = sp_realloc(stage->inputs,
                         (stage->ninputs + 1) * sizeof(*stage->inputs));

  if (!more)
    return -1;
  stage->inputs = more;
  stage->inputs[stage->ninputs++] = n;
  return 0;
}

void sp_stage_release(sp_stage *st)
{
  size_t i;

  sp_free(st->inputs);
  sp_free(st->by);
  sp_free(st->sql);
  for (i = 0; i < st->nkeys; i++)
    sp_free(st->keys[i]);
  sp_free(st->keys);
  sp_free(st->note);
  json_decref(st->schema);
  memset(st, 0, sizeof(*st));
}

/* CREATE (create) or DROP the typed empty view of placeholder n. */
static sp_status stage_view(sp_stages *s, int n, int create, sp_error **err)
{
  const json_t *schema = sp_stages_schema(s, n), *c;
  sp_buf sql = SP_BUF_INIT;
  sp_status st;
  size_t i;

  sp_buf_puts(&sql, create ? "CREATE TEMP VIEW " : "DROP VIEW IF EXISTS ");
  sp_stages_append_name(s, &sql, n);
  if (create) {
    sp_buf_puts(&sql, " AS SELECT ");
    json_array_foreach(schema, i, c) {
      sp_buf_appendf(&sql, "%sCAST(NULL AS %s) AS ", i ? ", " : "",
                     json_string_value(json_array_get(c, 1)));
      sp_buf_append_ident(&sql, json_string_value(json_array_get(c, 0)));
    }
    sp_buf_puts(&sql, " LIMIT 0");
  }
  st = sp_buf_oom(&sql) ? sp_error_oom(err)
                        : sp_duck_exec(s->con, sql.data, err);
  sp_buf_release(&sql);
  return st;
}

/* Calls fn(n, arg) for each placeholder sql names, in order. */
static void each_placeholder(const char *sql, const char *tag,
                             void (*fn)(int n, void *arg), void *arg)
{
  size_t taglen = strlen(tag);
  const char *p;

  for (p = strstr(sql, tag); p; p = strstr(p + 1, tag)) {
    int n = 0, digits = 0;
    while (isdigit((unsigned char)p[taglen + digits]) && n < 100000)
      n = n * 10 + (p[taglen + digits++] - '0');
    if (digits)
      fn(n, arg);
  }
}

typedef struct {
  sp_stage *stage;
  int count, oom;
} reads_arg;

static void read_one(int n, void *arg)
{
  reads_arg *r = arg;
  size_t i;

  for (i = 0; i < r->stage->ninputs; i++)
    if (r->stage->inputs[i] == n)
      return;
  r->count++;
  if (r->stage->kind == SP_STAGE_SQL && sp_stage_read(r->stage, n))
    r->oom = 1;
}

static void append_template(const sp_stages *s, sp_buf *b,
                            const char *printed, const int *inputs,
                            size_t ninputs);

/* The stage's key: a hash of what it computes, with placeholders as the
 * plan nodes spell them ({0}, a table's typed read) and its inputs' keys (a
 * table's node's), so that the same stage has the same key in every plan
 * of the query. */
static sp_status set_key(const sp_stages *s, sp_stage *stage, sp_error **err)
{
  uint64_t h = sp_hash_i64(SP_HASH_INIT, stage->kind);
  sp_buf text = SP_BUF_INIT;
  size_t i;

  if (stage->sql)
    append_template(s, &text, stage->sql, stage->inputs, stage->ninputs);
  if (sp_buf_oom(&text)) {
    sp_buf_release(&text);
    return sp_error_oom(err);
  }
  h = sp_hash_str(h, text.data ? text.data : "");
  h = sp_hash_str(h, stage->by ? stage->by : "");
  h = sp_hash_i64(h, stage->partitions);
  for (i = 0; i < stage->nkeys; i++)
    h = sp_hash_str(h, stage->keys[i]);
  for (i = 0; i < stage->ninputs; i++) {
    const sp_stage *in = stage_of(s, stage->inputs[i]);
    h = sp_hash_i64(h, (int64_t)(in ? in->key
                                     : s->inputs[stage->inputs[i]]
                                           .node->def_hash));
  }
  stage->key = h;
  sp_buf_release(&text);
  return SP_OK;
}

sp_status sp_stages_add(sp_stages *s, sp_stage *stage, int *placeholder,
                        sp_error **err)
{
  sp_status st = SP_OK;
  size_t i;

  /* A query reads every placeholder it names; a combine only its one. */
  if (stage->sql) {
    reads_arg r = {stage, 0, 0};
    each_placeholder(stage->sql, s->refs->tag, read_one, &r);
    if (r.oom)
      st = sp_error_oom(err);
    else if (r.count && stage->kind != SP_STAGE_SQL)
      st = sp_error_set(err, SP_EINTERNAL, "a combine reads more than its "
                        "input");
    if (st != SP_OK)
      goto fail;
  }

  if (!stage->ninputs && stage->kind != SP_STAGE_SQL)
    st = sp_error_set(err, SP_EINTERNAL, "an exchange without input");
  for (i = 0; i < stage->ninputs && st == SP_OK; i++)
    if (stage->inputs[i] < 0 || stage->inputs[i] >= sp_stages_next(s))
      st = sp_error_set(err, SP_EINTERNAL, "a stage reads placeholder %d",
                        stage->inputs[i]);
  if (st != SP_OK)
    goto fail;
  if ((st = set_key(s, stage, err)) != SP_OK)
    goto fail;
  for (i = 0; i < s->nsizes && !stage->measured; i++)
    if (s->sizes[i].key == stage->key) {
      stage->bytes = s->sizes[i].bytes;
      stage->measured = 1;
    }
  for (i = 0; i < stage->ninputs && !stage->measured; i++)
    stage->bytes += bytes_of(s, stage->inputs[i]);
  switch (stage->kind) {
  case SP_STAGE_HASH:
    if (!stage->sql) {
      if (!(stage->schema =
                json_deep_copy(sp_stages_schema(s, stage->inputs[0]))))
        st = sp_error_oom(err);
      break;
    }
    /* fall through */
  case SP_STAGE_SQL:
    st = sp_sql_bind(s->con, stage->sql, &stage->schema, err);

    if (stage->kind == SP_STAGE_SQL)
      stage->partitions =
          stage->ninputs ? sp_stages_partitions(s, stage->inputs[0]) : 1;
    break;
  case SP_STAGE_RANGE:
    if (stage->ninputs != 2 || !stage->by) {
      st = sp_error_set(err, SP_EINTERNAL, "a range stage without its "
                        "split points or key");
      break;
    }
    if (!(stage->schema =
              json_deep_copy(sp_stages_schema(s, stage->inputs[0]))))
      st = sp_error_oom(err);
    break;
  case SP_STAGE_GATHER:
    stage->partitions = 1;
    if (stage->sql) {
      st = sp_sql_bind(s->con, stage->sql, &stage->schema, err);
      break;
    }
    /* fall through */
  case SP_STAGE_SPLIT:
    if (!(stage->schema =
              json_deep_copy(sp_stages_schema(s, stage->inputs[0]))))
      st = sp_error_oom(err);
    break;
  }
  if (st != SP_OK)
    goto fail;
  if (sp_grow((void **)&s->list, &s->cap, s->len + 1, sizeof(*s->list))) {
    st = sp_error_oom(err);
    goto fail;
  }
  s->list[s->len++] = *stage;
  memset(stage, 0, sizeof(*stage));
  *placeholder = sp_stages_next(s) - 1;
  if ((st = stage_view(s, *placeholder, 1, err)) != SP_OK) {
    sp_stage_release(&s->list[--s->len]);
    return st;
  }
  return SP_OK;
fail:
  sp_stage_release(stage);
  return st;
}

void sp_stages_clear(sp_stages *s)
{
  while (s->len > 0) {
    stage_view(s, sp_stages_next(s) - 1, 0, NULL);
    sp_stage_release(&s->list[--s->len]);
  }
}

/* Appends name quoted as an identifier, its braces doubled for a
 * template. */
static void append_ident_in_template(sp_buf *b, const char *name)
{
  sp_buf quoted = SP_BUF_INIT;

  sp_buf_append_ident(&quoted, name);
  if (sp_buf_oom(&quoted))
    b->oom = 1;
  else
    sp_template_append_text(b, quoted.data);
  sp_buf_release(&quoted);
}

/* The table whose files placeholder n reads as they are (a table, or its
 * files split or gathered), or -1. */
static int files_of(const sp_stages *s, int n)
{
  const sp_stage *st = stage_of(s, n);

  if (!st)
    return n;
  if ((st->kind == SP_STAGE_SPLIT || st->kind == SP_STAGE_GATHER) &&
      !st->sql)
    return files_of(s, st->inputs[0]);
  return -1;
}

/* Appends printed, a query over placeholders, as a template: braces
 * doubled, each placeholder (quoted or not) of inputs[i] as {i}. A table
 * is read with its columns by name and cast to the types the driver bound
 * over all of its files (DuckDB's: the first file's): a partition of some
 * of them may start with a file whose columns are in another order, or of
 * other types. */
static void append_template(const sp_stages *s, sp_buf *b,
                            const char *printed, const int *inputs,
                            size_t ninputs)
{
  const char *tag = s->refs->tag, *p = printed;
  size_t taglen = strlen(tag), i;

  while (*p) {
    int quoted = p[0] == '"' && strncmp(p + 1, tag, taglen) == 0;
    const char *at = p + quoted;
    if (strncmp(at, tag, taglen) == 0 &&
        isdigit((unsigned char)at[taglen])) {
      const char *end = at + taglen;
      int n = 0;
      while (isdigit((unsigned char)*end) && n < 100000)
        n = n * 10 + (*end++ - '0');
      for (i = 0; i < ninputs && inputs[i] != n; i++)
        ;
      if ((!quoted || *end == '"') && i < ninputs) {
        int table = files_of(s, n);
        if (table >= 0) {
          const json_t *c;
          size_t k;
          sp_buf_puts(b, "(SELECT ");
          json_array_foreach(s->table_schemas[table], k, c) {
            const char *name = json_string_value(json_array_get(c, 0));
            sp_buf_puts(b, k ? ", CAST(" : "CAST(");
            append_ident_in_template(b, name);
            sp_buf_appendf(b, " AS %s) AS ",
                           json_string_value(json_array_get(c, 1)));
            append_ident_in_template(b, name);
          }
          sp_buf_appendf(b, " FROM {%zu})", i);
        } else {
          sp_buf_appendf(b, "{%zu}", i);
        }
        p = end + quoted;
        continue;
      }
    }
    if (*p == '{' || *p == '}')
      sp_buf_putc(b, *p);
    sp_buf_putc(b, *p++);
  }
}

sp_status sp_stages_emit(const sp_stages *s, sp_plan *plan, sp_node **out,
                         sp_node **stage_nodes, sp_error **err)
{
  size_t ntables = s->refs->nused, k, i;
  sp_node **nodes = sp_calloc(ntables + s->len, sizeof(*nodes));
  sp_buf tmpl = SP_BUF_INIT;
  sp_status st = SP_OK;

  if (!nodes)
    return sp_error_oom(err);
  for (k = 0; k < ntables; k++)
    nodes[k] = s->inputs[k].node;
  for (k = 0; k < s->len && st == SP_OK; k++) {
    const sp_stage *stage = &s->list[k];
    sp_node_options opt = {.task_threads = stage->threads};
    sp_split_spec spec = {.kind = SP_SPLIT_FILES};
    sp_node **in = sp_calloc(stage->ninputs + 1, sizeof(*in));
    if (!in) {
      st = sp_error_oom(err);
      break;
    }
    for (i = 0; i < stage->ninputs; i++)
      in[i] = nodes[stage->inputs[i]];
    sp_buf_reset(&tmpl);
    if (stage->sql)
      append_template(s, &tmpl, stage->sql, stage->inputs, stage->ninputs);
    if (sp_buf_oom(&tmpl)) {
      sp_free(in);
      st = sp_error_oom(err);
      break;
    }
    switch (stage->kind) {
    case SP_STAGE_SQL:
      st = sp_plan_add_sql(plan, tmpl.data, in, stage->ninputs, &opt,
                           &nodes[ntables + k], err);
      break;
    case SP_STAGE_HASH:
      spec.kind = SP_SPLIT_HASH;
      spec.hash_by = (const char *const *)stage->keys;
      spec.nhash_by = stage->nkeys;
      spec.combine = stage->sql ? tmpl.data : NULL;
      st = sp_plan_add_repartition(plan, in[0], stage->partitions, &spec,
                                   &opt, &nodes[ntables + k], err);
      break;
    case SP_STAGE_RANGE:
      spec.kind = SP_SPLIT_RANGE;
      spec.by = stage->by;
      spec.bounds = in[1];
      st = sp_plan_add_repartition(plan, in[0], stage->partitions, &spec,
                                   &opt, &nodes[ntables + k], err);
      break;
    case SP_STAGE_GATHER:
      if (stage->sql) {
        /* Partials on each producer, all into one partition. */
        const char *first =
            json_string_value(json_array_get(json_array_get(stage->schema, 0),
                                             0));
        spec.kind = SP_SPLIT_HASH;
        spec.hash_by = &first;
        spec.nhash_by = 1;
        spec.combine = tmpl.data;
        st = sp_plan_add_repartition(plan, in[0], 1, &spec, &opt,
                                     &nodes[ntables + k], err);
        break;
      }
      /* fall through */
    case SP_STAGE_SPLIT:
      if (in[0]->npartitions == stage->partitions)
        nodes[ntables + k] = in[0];
      else
        st = sp_plan_add_repartition(plan, in[0], stage->partitions, &spec,
                                     &opt, &nodes[ntables + k], err);
      break;
    }
    sp_free(in);
  }
  if (st == SP_OK)
    *out = nodes[ntables + s->len - 1];
  for (k = 0; st == SP_OK && stage_nodes && k < s->len; k++)
    stage_nodes[k] = nodes[ntables + k];
  sp_buf_release(&tmpl);
  sp_free(nodes);
  return st;
}

static const char *kind_name(sp_stage_kind k)
{
  switch (k) {
  case SP_STAGE_SQL:    return "sql";
  case SP_STAGE_HASH:   return "hash";
  case SP_STAGE_GATHER: return "gather";
  case SP_STAGE_SPLIT:  return "split";
  case SP_STAGE_RANGE:  return "range";
  }
  return "?";
}

/* Appends the name a placeholder has in explain. */
static void explain_input(const sp_stages *s, sp_buf *b, int n)
{
  int parts = sp_stages_partitions(s, n);

  if (n < (int)s->refs->nused)
    sp_buf_appendf(b, "%s", s->inputs[n].name);
  else
    sp_buf_appendf(b, "stage %d", n - (int)s->refs->nused + 1);
  sp_buf_appendf(b, " (%d partition%s)", parts, parts == 1 ? "" : "s");
}

/* Appends sql, each placeholder as {its table's name} or {stage N}. */
static void explain_sql(const sp_stages *s, sp_buf *b, const char *label,
                        const char *sql)
{
  const char *tag = s->refs->tag;
  size_t taglen = strlen(tag);

  sp_buf_appendf(b, "  %s:\n    ", label);
  while (*sql) {
    int quoted = sql[0] == '"' && strncmp(sql + 1, tag, taglen) == 0;
    const char *at = sql + quoted;
    if (strncmp(at, tag, taglen) == 0 && isdigit((unsigned char)at[taglen])) {
      char *end;
      long n = strtol(at + taglen, &end, 10);
      if (n >= 0 && n < sp_stages_next(s) && (!quoted || *end == '"')) {
        if (n < (long)s->refs->nused)
          sp_buf_appendf(b, "{%s}", s->inputs[n].name);
        else
          sp_buf_appendf(b, "{stage %ld}", n - (long)s->refs->nused + 1);
        sql = end + quoted;
        continue;
      }
    }
    sp_buf_putc(b, *sql);
    if (*sql++ == '\n')
      sp_buf_puts(b, "    ");
  }
  sp_buf_putc(b, '\n');
}

void sp_stages_explain(const sp_stages *s, sp_buf *b)
{
  size_t k, i;

  for (k = 0; k < s->len; k++) {
    const sp_stage *st = &s->list[k];
    int tasks = st->kind == SP_STAGE_SQL ? st->partitions : 0;
    sp_buf_appendf(b, "stage %zu: %s", k + 1, kind_name(st->kind));
    if (st->kind == SP_STAGE_HASH) {
      sp_buf_puts(b, " on (");
      for (i = 0; i < st->nkeys; i++)
        sp_buf_appendf(b, "%s%s", i ? ", " : "", st->keys[i]);
      sp_buf_putc(b, ')');
    }
    sp_buf_appendf(b, ", %d partition%s", st->partitions,
                   st->partitions == 1 ? "" : "s");
    if (tasks)
      sp_buf_appendf(b, ", %d task%s", tasks, tasks == 1 ? "" : "s");
    sp_buf_puts(b, "\n  reads: ");
    if (!st->ninputs)
      sp_buf_puts(b, "no table (only what the query names inline)");
    for (i = 0; i < st->ninputs; i++) {
      if (i)
        sp_buf_puts(b, ", ");
      explain_input(s, b, st->inputs[i]);
    }
    sp_buf_putc(b, '\n');
    if (st->note)
      sp_buf_appendf(b, "  %s\n", st->note);
    if (st->measured)
      sp_buf_appendf(b, "  size: %lld bytes, measured (it ran first)\n",
                     (long long)st->bytes);
    else if (st->guessed)
      sp_buf_appendf(b, "  size: %lld bytes at most, guessed (what it "
                     "reads); the plan above it is made for that\n",
                     (long long)st->bytes);
    if (st->sql)
      explain_sql(s, b, st->kind != SP_STAGE_SQL ? "each producer first"
                                               : "sql",
                  st->sql);
  }
}
