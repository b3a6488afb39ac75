/*
 * tables.c - the tables of a query, resolved (see tables.h).
 */
#include "sql/tables.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "duck/files.h"
#include "io/remote.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* Table functions that read files named by their first argument. */
static const char *const readers[] = {
  "read_parquet", "parquet_scan", "read_csv", "read_csv_auto", "read_json",
  "read_json_auto", "read_ndjson", "read_ndjson_auto", "read_json_objects",
  "read_ndjson_objects", "read_text", "read_blob"};

/* What a walk of the tree carries: the CTE names in scope and the
 * registered tables. */
typedef struct walk {
  const sp_sql_table *tables;
  size_t ntables;
  const char **ctes; /* a stack: names of enclosing WITH clauses */
  size_t nctes, ctes_cap;
  sp_sql_refs *refs;
} walk;

static const char *str(const json_t *o, const char *key)
{
  return json_string_value(json_object_get(o, key));
}

static int str_is(const char *a, const char *b)
{
  return a && b && strcmp(a, b) == 0;
}

/* 1 if o's key is a non-empty string (the parse tree spells "none" ""). */
static int has(const json_t *o, const char *key)
{
  const char *s = str(o, key);

  return s && *s;
}

/* 1 if o is a table reference of kind type (expressions have a class). */
static int is_table(const json_t *o, const char *type)
{
  const char *t = str(o, "type");

  return !json_object_get(o, "class") && t && strcmp(t, type) == 0;
}

/* 1 if a table name is a file path or pattern rather than a name: it has a
 * '/' or a pattern character, or ends in a data file's extension. */
static int looks_like_path(const char *name)
{
  static const char *const exts[] = {".parquet", ".csv", ".tsv", ".json",
                                     ".jsonl", ".ndjson", ".gz", ".zst"};
  size_t n = strlen(name), i;

  if (strpbrk(name, "/*?["))
    return 1;
  for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
    size_t e = strlen(exts[i]);
    if (n > e && strcasecmp(name + n - e, exts[i]) == 0)
      return 1;
  }
  return 0;
}

/* *abs: path made absolute against the working folder, after checking that
 * the pattern matches a file (caller frees with sp_free). A remote path
 * stays as it is, checked by DuckDB. */
static sp_status absolute_pattern(const char *path, char **abs,
                                  sp_error **err)
{
  sp_file_list files = {0};
  sp_buf b = SP_BUF_INIT;
  char cwd[4096];
  sp_status st;

  *abs = NULL;
  if (sp_path_is_remote(path))
    sp_buf_puts(&b, path);
  else if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
    return sp_error_set(err, SP_EIO, "cannot find the working folder for "
                        "%s", path);
  else if (path[0] == '/')
    sp_buf_puts(&b, path);
  else
    sp_buf_appendf(&b, "%s/%s", cwd, path[0] == '.' && path[1] == '/'
                                         ? path + 2 : path);
  if (sp_buf_oom(&b))
    return sp_error_oom(err);
  st = sp_duck_list_files(NULL, (const char *const *)&b.data, 1,
                          strstr(b.data, "**") != NULL, &files, err);
  if (st != SP_OK)
    sp_error_prefix(err, "table '%s'", path);
  sp_file_list_release(&files);
  if (st == SP_OK && !(*abs = sp_buf_detach(&b)))
    st = sp_error_oom(err);
  sp_buf_release(&b);
  return st;
}

/* Makes a VARCHAR constant c, a path argument, absolute; other constants
 * and expressions stay (DuckDB checks them when it reads). */
static sp_status fix_path_constant(json_t *c, sp_error **err)
{
  json_t *value = json_object_get(c, "value");
  const char *path = str(value, "value");
  const char *type = str(json_object_get(value, "type"), "id");
  char *abs;
  sp_status st;

  if (!path || !type || strcmp(type, "VARCHAR") != 0)
    return SP_OK;
  if ((st = absolute_pattern(path, &abs, err)) != SP_OK)
    return st;
  st = json_object_set_new(value, "value", json_string(abs))
           ? sp_error_oom(err)
           : SP_OK;
  sp_free(abs);
  return st;
}

/* The path argument of a reader table function: a constant or a list of
 * constants. */
static sp_status fix_reader(json_t *fn, sp_error **err)
{
  json_t *first = json_array_get(json_object_get(fn, "children"), 0), *c;
  const char *name = str(fn, "function_name");
  sp_status st = SP_OK;
  size_t i;

  for (i = 0; name && i < sizeof(readers) / sizeof(readers[0]); i++)
    if (strcmp(name, readers[i]) == 0)
      break;
  if (!name || i == sizeof(readers) / sizeof(readers[0]) || !first)
    return SP_OK;
  if (strcmp(str(first, "class") ? str(first, "class") : "", "CONSTANT") == 0)
    return fix_path_constant(first, err);
  if (str(first, "function_name") &&
      strcmp(str(first, "function_name"), "list_value") == 0)
    json_array_foreach(json_object_get(first, "children"), i, c)
      if (st == SP_OK &&
          strcmp(str(c, "class") ? str(c, "class") : "", "CONSTANT") == 0)
        st = fix_path_constant(c, err);
  return st;
}

static int in_cte_scope(const walk *w, const char *name)
{
  size_t i;

  for (i = 0; i < w->nctes; i++)
    if (strcasecmp(w->ctes[i], name) == 0)
      return 1;
  return 0;
}

/* The error for an unknown table name, listing the registered ones. */
static sp_status unknown_table(const walk *w, const char *name,
                               sp_error **err)
{
  sp_buf b = SP_BUF_INIT;
  sp_status st;
  size_t i;

  for (i = 0; i < w->ntables; i++)
    sp_buf_appendf(&b, "%s%s", i ? ", " : "", w->tables[i].name);
  if (sp_buf_oom(&b))
    return sp_error_oom(err);
  st = sp_error_set(err, SP_EINVAL, "unknown table %s: %s%s", name,
                    w->ntables ? "the registered tables are " : "no table "
                    "is registered (sp_register_table, smallpond sql "
                    "--table NAME=PATH)", w->ntables ? b.data : "");
  sp_buf_release(&b);
  return st;
}

/* The placeholder for entry k (registered table used[k], or pattern read
 * as format) of refs, adding it: *k its place. */
static sp_status add_use(sp_sql_refs *r, size_t table, const char *pattern,
                         const char *format, size_t *k, sp_error **err)
{
  size_t cap = r->nused, pcap = r->nused, fcap = r->nused;
  char *copy = NULL;

  for (*k = 0; *k < r->nused; (*k)++)
    if (pattern ? r->patterns[*k] && strcmp(r->patterns[*k], pattern) == 0 &&
                      strcmp(r->formats[*k], format) == 0
                : r->used[*k] == table)
      return SP_OK;
  if ((pattern && !(copy = sp_strdup(pattern))) ||
      sp_grow((void **)&r->used, &cap, r->nused + 1, sizeof(*r->used)) ||
      sp_grow((void **)&r->patterns, &pcap, r->nused + 1,
              sizeof(*r->patterns)) ||
      sp_grow((void **)&r->formats, &fcap, r->nused + 1,
              sizeof(*r->formats))) {
    sp_free(copy);
    return sp_error_oom(err);
  }
  r->used[r->nused] = pattern ? SP_SQL_FILES : table;
  r->patterns[r->nused] = copy;
  r->formats[r->nused] = pattern ? format : NULL;
  *k = r->nused++;
  return SP_OK;
}

/* The format DuckDB reads a path pattern in by its extension ("parquet",
 * "csv" or "json"), or NULL for any other. */
static const char *pattern_format(const char *path)
{
  static const struct {
    const char *ext, *format;
  } exts[] = {{".parquet", "parquet"}, {".csv", "csv"},   {".tsv", "csv"},
              {".csv.gz", "csv"},      {".tsv.gz", "csv"}, {".json", "json"},
              {".jsonl", "json"},      {".ndjson", "json"}, {".json.gz", "json"},
              {".jsonl.gz", "json"},   {".ndjson.gz", "json"}};
  size_t n = strlen(path), i, len;

  for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
    len = strlen(exts[i].ext);
    if (n > len && strcasecmp(path + n - len, exts[i].ext) == 0)
      return exts[i].format;
  }
  return NULL;
}

/* The format a table function reads its files in, when it is one whose
 * one argument alone reads them as DuckDB would a table ("parquet", "csv"
 * or "json"), or NULL. */
static const char *function_format(const char *name)
{
  static const char *const csv[] = {"read_csv", "read_csv_auto"};
  static const char *const json[] = {"read_json", "read_json_auto"};
  size_t i;

  if (strcmp(name, "read_parquet") == 0 || strcmp(name, "parquet_scan") == 0)
    return "parquet";
  for (i = 0; i < 2; i++) {
    if (strcmp(name, csv[i]) == 0)
      return "csv";
    if (strcmp(name, json[i]) == 0)
      return "json";
  }
  return NULL;
}

/* Makes the table reference o read placeholder k as alias (when it has
 * none of its own). */
static sp_status read_placeholder(const sp_sql_refs *r, json_t *o, size_t k,
                                  const char *alias, sp_error **err)
{
  char place[64];

  snprintf(place, sizeof(place), "%s%zu", r->tag, k);
  if (!has(o, "alias") && json_object_set_new(o, "alias", json_string(alias)))
    return sp_error_oom(err);
  return json_object_set_new(o, "table_name", json_string(place))
             ? sp_error_oom(err)
             : SP_OK;
}

/* The name DuckDB gives the files of path: the file's name without its
 * extension. */
static char *file_alias(const char *path)
{
  const char *base = strrchr(path, '/');
  char *alias = sp_strdup(base ? base + 1 : path), *dot;

  if (alias && (dot = strchr(alias, '.')) && dot != alias)
    *dot = '\0';
  return alias;
}

/* Resolves the BASE_TABLE o: a CTE stays; a registered table becomes a
 * placeholder; a path becomes absolute. */
static sp_status resolve_base(walk *w, json_t *o, sp_error **err)
{
  const char *name = str(o, "table_name");
  sp_sql_refs *r = w->refs;
  char *abs = NULL;
  sp_status st;
  size_t i, k;

  if (!name)
    return sp_error_set(err, SP_EINVAL, "a table without a name");
  if (!has(o, "schema_name") && !has(o, "catalog_name") &&
      in_cte_scope(w, name))
    return SP_OK;
  for (i = 0; i < w->ntables; i++)
    if (strcasecmp(w->tables[i].name, name) == 0)
      break;
  if (i < w->ntables && !has(o, "schema_name") && !has(o, "catalog_name")) {
    /* Columns qualified by the table's name still find it. */
    if ((st = add_use(r, i, NULL, NULL, &k, err)) != SP_OK)
      return st;
    return read_placeholder(r, o, k, name, err);
  }
  if (has(o, "schema_name") || has(o, "catalog_name") ||
      !looks_like_path(name))
    return unknown_table(w, name, err);
  if ((st = absolute_pattern(name, &abs, err)) != SP_OK)
    return st;
  if (pattern_format(abs)) {
    char *alias = file_alias(name);
    st = !alias ? sp_error_oom(err)
                : add_use(r, 0, abs, pattern_format(abs), &k, err);
    if (st == SP_OK)
      st = read_placeholder(r, o, k, alias, err);
    sp_free(alias);
  } else if (json_object_set_new(o, "table_name", json_string(abs))) {
    st = sp_error_oom(err);
  }
  sp_free(abs);
  return st;
}

/* Pushes the names of o's WITH clause, if any; *pushed gets how many. */
static sp_status push_ctes(walk *w, const json_t *o, size_t *pushed,
                           sp_error **err)
{
  json_t *map = json_object_get(json_object_get(o, "cte_map"), "map"), *e;
  size_t i;

  *pushed = 0;
  json_array_foreach(map, i, e) {
    const char *name = str(e, "key");
    if (!name)
      continue;
    if (sp_grow((void **)&w->ctes, &w->ctes_cap, w->nctes + 1,
                sizeof(*w->ctes)))
      return sp_error_oom(err);
    w->ctes[w->nctes++] = name;
    (*pushed)++;
  }
  return SP_OK;
}

/* read_parquet('<one pattern>'), read_csv(...) or read_json(...) (its path
 * made absolute), with nothing else: becomes a placeholder of its files,
 * read as a table. */
static sp_status inline_files(walk *w, json_t *o, int *done, sp_error **err)
{
  const json_t *fn = json_object_get(o, "function");
  const json_t *args = json_object_get(fn, "children");
  const json_t *first = json_array_get(args, 0);
  const char *name = str(fn, "function_name"), *path, *format;
  char *alias;
  json_t *table;
  sp_status st;
  size_t k;

  *done = 0;
  if (!name || !(format = function_format(name)) ||
      json_array_size(args) != 1 || !str_is(str(first, "class"),
                                               "CONSTANT") ||
      has(first, "alias") ||
      !(path = str(json_object_get(first, "value"), "value")) ||
      (strcmp(format, "parquet") == 0 &&
       !str_is(pattern_format(path), "parquet")) ||
      json_array_size(json_object_get(o, "column_name_alias")) ||
      !json_is_null(json_object_get(o, "sample")))
    return SP_OK;
  if ((st = add_use(w->refs, 0, path, format, &k, err)) != SP_OK)
    return st;
  /* DuckDB's alias for it: the function's name, which o holds. */
  if (!(alias = sp_strdup(name)))
    return sp_error_oom(err);
  table = json_pack("{s:s, s:O, s:n, s:O, s:s, s:s, s:[], s:s, s:n}",
                    "type", "BASE_TABLE", "alias", json_object_get(o, "alias"),
                    "sample", "query_location",
                    json_object_get(o, "query_location"), "schema_name", "",
                    "table_name", "", "column_name_alias", "catalog_name", "",
                    "at_clause");
  if (!table) {
    sp_free(alias);
    return sp_error_oom(err);
  }
  json_object_clear(o);
  if (json_object_update(o, table))
    st = sp_error_oom(err);
  else
    st = read_placeholder(w->refs, o, k, alias, err);
  json_decref(table);
  sp_free(alias);
  *done = 1;
  return st;
}

static sp_status walk_tree(walk *w, json_t *o, sp_error **err)
{
  const char *key;
  size_t pushed = 0, i;
  sp_status st = SP_OK;
  int done;
  json_t *v;

  if (json_is_array(o)) {
    json_array_foreach(o, i, v)
      if ((st = walk_tree(w, v, err)) != SP_OK)
        return st;
    return SP_OK;
  }
  if (!json_is_object(o))
    return SP_OK;
  if (is_table(o, "BASE_TABLE"))
    return resolve_base(w, o, err);
  if (is_table(o, "TABLE_FUNCTION") &&
      (st = fix_reader(json_object_get(o, "function"), err)) != SP_OK)
    return st;
  if (is_table(o, "TABLE_FUNCTION") &&
      ((st = inline_files(w, o, &done, err)) != SP_OK || done))
    return st;
  if ((st = push_ctes(w, o, &pushed, err)) != SP_OK)
    return st;
  json_object_foreach(o, key, v)
    if ((st = walk_tree(w, v, err)) != SP_OK)
      break;
  w->nctes -= pushed;
  return st;
}

sp_status sp_sql_resolve(json_t *stmt, const sp_sql_table *tables,
                         size_t ntables, sp_sql_refs *refs, sp_error **err)
{
  walk w = {tables, ntables, NULL, 0, 0, refs};
  sp_buf tag = SP_BUF_INIT;
  unsigned char rnd[6];
  FILE *f = fopen("/dev/urandom", "rb");
  sp_status st;
  size_t i;

  memset(refs, 0, sizeof(*refs));
  /* A prefix no query spells: the placeholders are found again in the
   * printed SQL by text. */
  if (!f || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd)) {
    if (f)
      fclose(f);
    return sp_error_set(err, SP_EIO, "cannot read /dev/urandom");
  }
  fclose(f);
  sp_buf_puts(&tag, "__sp_table_");
  for (i = 0; i < sizeof(rnd); i++)
    sp_buf_appendf(&tag, "%02x", rnd[i]);
  sp_buf_putc(&tag, '_');
  if (!(refs->tag = sp_buf_detach(&tag)))
    return sp_error_oom(err);
  st = walk_tree(&w, json_object_get(stmt, "node"), err);
  sp_free(w.ctes);
  if (st != SP_OK)
    sp_sql_refs_release(refs);
  return st;
}

void sp_sql_refs_release(sp_sql_refs *refs)
{
  size_t k;

  for (k = 0; refs->patterns && k < refs->nused; k++)
    sp_free(refs->patterns[k]);
  sp_free(refs->patterns);
  sp_free(refs->formats);
  sp_free(refs->used);
  sp_free(refs->tag);
  memset(refs, 0, sizeof(*refs));
}
