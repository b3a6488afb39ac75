/*
 * parse.c - queries as DuckDB's parse trees (see parse.h).
 */
#include "sql/parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "duck/duck.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* DuckDB's parse trees hold unsigned 64-bit numbers (a HUGEINT constant's
 * lower half, an unset query_location), which jansson cannot: such a
 * number travels through jansson as a string with this prefix (U+0001
 * then "sp-int:"), as JSON spells it. */
#define BIG_ESCAPED "\\u0001sp-int:"

/* 1 if the integer digits[0..n) (no sign) do not fit in an int64_t. */
static int too_big(const char *digits, size_t n)
{
  return n > 19 || (n == 19 && strncmp(digits, "9223372036854775807", 19) > 0);
}

/* json_loads, with every integer too big for jansson quoted as BIG<n>. */
static json_t *load_tree(const char *text)
{
  sp_buf b = SP_BUF_INIT;
  const char *p = text;
  json_t *j;
  int in_string = 0;

  while (*p) {
    size_t n;
    if (in_string) {
      n = strcspn(p, "\\\"");
      sp_buf_append(&b, p, n);
      p += n;
      if (*p == '\\' && p[1]) {
        sp_buf_append(&b, p, 2);
        p += 2;
      } else if (*p == '"') {
        sp_buf_putc(&b, *p++);
        in_string = 0;
      }
      continue;
    }
    if (*p == '"') {
      in_string = 1;
      sp_buf_putc(&b, *p++);
      continue;
    }
    n = strspn(p, "0123456789");
    if (n && (p == text || !isalnum((unsigned char)p[-1])) &&
        !strchr(".eE", p[n]) && too_big(p, n)) {
      sp_buf_appendf(&b, "\"" BIG_ESCAPED "%.*s\"", (int)n, p);
      p += n;
    } else {
      sp_buf_append(&b, p, n ? n : 1);
      p += n ? n : 1;
    }
  }
  j = sp_buf_oom(&b) ? NULL : json_loads(b.data, 0, NULL);
  sp_buf_release(&b);
  return j;
}

/* json_dumps of j, with the numbers load_tree quoted unquoted again
 * (caller frees with sp_free). */
static char *dump_tree(const json_t *j)
{
  char *text = json_dumps(j, JSON_COMPACT), *p, *q;
  sp_buf b = SP_BUF_INIT;

  if (!text)
    return NULL;
  for (p = text; (q = strstr(p, "\"" BIG_ESCAPED)); p = q) {
    sp_buf_append(&b, p, (size_t)(q - p));
    q += strlen("\"" BIG_ESCAPED);
    p = q;
    q += strspn(q, "0123456789");
    sp_buf_append(&b, p, (size_t)(q - p));
    if (*q == '"')
      q++;
  }
  sp_buf_puts(&b, p);
  free(text); /* from jansson */
  return sp_buf_detach(&b);
}

/* The first word of text, past blanks, comments and opening parentheses,
 * upper-cased into word (empty when there is none). */
static void first_word(const char *text, char *word, size_t len)
{
  const char *p = text;
  size_t n = 0;

  for (;;) {
    while (isspace((unsigned char)*p) || *p == '(')
      p++;
    if (p[0] == '-' && p[1] == '-')
      p += strcspn(p, "\n");
    else if (p[0] == '/' && p[1] == '*' && strstr(p + 2, "*/"))
      p = strstr(p + 2, "*/") + 2;
    else
      break;
  }
  while (n + 1 < len && isalpha((unsigned char)p[n])) {
    word[n] = (char)toupper((unsigned char)p[n]);
    n++;
  }
  word[n] = '\0';
}

/* Says where byte offset pos of text is: line and column, and the line
 * with a caret under the column. */
static void append_position(sp_buf *b, const char *text, long pos)
{
  const char *start = text, *p;
  long line = 1, col;
  size_t len = strlen(text);

  if (pos < 0 || (size_t)pos > len)
    return;
  for (p = text; p < text + pos; p++)
    if (*p == '\n') {
      line++;
      start = p + 1;
    }
  col = (long)(text + pos - start);
  sp_buf_appendf(b, " (line %ld, column %ld):\n  %.*s\n  %*s^", line, col + 1,
                 (int)strcspn(start, "\n"), start, (int)col, "");
}

/* The error of a failed json_serialize_sql, o. */
static sp_status parse_error(const json_t *o, const char *text,
                             sp_error **err)
{
  const char *type = json_string_value(json_object_get(o, "error_type"));
  const char *msg = json_string_value(json_object_get(o, "error_message"));
  const char *pos = json_string_value(json_object_get(o, "position"));
  sp_buf b = SP_BUF_INIT;
  char word[32];
  sp_status st;

  if (type && strcmp(type, "parser") == 0) {
    sp_buf_appendf(&b, "%s", msg ? msg : "syntax error");
    if (pos)
      append_position(&b, text, strtol(pos, NULL, 10));
    st = sp_buf_oom(&b) ? sp_error_oom(err)
                        : sp_error_set(err, SP_ESQL, "%s", b.data);
    sp_buf_release(&b);
    return st;
  }
  first_word(text, word, sizeof(word));
  if (strcmp(word, "EXPLAIN") == 0)
    return sp_error_set(err, SP_EINVAL, "EXPLAIN is not a query: "
                        "smallpond sql --explain (sp_explain) prints the "
                        "plan");
  return sp_error_set(err, SP_EINVAL, "only a query runs here (SELECT, "
                      "WITH, FROM, VALUES): %s%s%s", *word ? "got a " : "",
                      word, *word ? " statement" : msg ? msg : "");
}

sp_status sp_sql_parse(duckdb_connection con, const char *text,
                       json_t **stmt, sp_error **err)
{
  char *out = NULL;
  json_t *o = NULL, *stmts;
  sp_status st;
  int64_t n;

  *stmt = NULL;
  if (!text || !*text)
    return sp_error_set(err, SP_EINVAL, "an empty query");
  /* Count first: one statement among several that is not a query would
   * otherwise be reported as the only one. */
  if ((n = sp_duck_count_statements(con, text, err)) < 0)
    return SP_ESQL;
  if (n != 1)
    return sp_error_set(err, SP_EINVAL, "one query at a time: got %lld "
                        "statements", (long long)n);
  /* The whole tree: what skip_null or skip_empty leave out, the printer
   * wants back. */
  st = sp_duck_query_text(con, "SELECT json_serialize_sql($1::VARCHAR)",
                          text, &out, err);
  if (st != SP_OK)
    return st;
  if (!out || !(o = load_tree(out))) {
    st = sp_error_set(err, SP_EINTERNAL, "DuckDB's parse tree is not JSON");
    goto out;
  }
  if (json_is_true(json_object_get(o, "error"))) {
    st = parse_error(o, text, err);
    goto out;
  }
  stmts = json_object_get(o, "statements");
  if (json_array_size(stmts) != 1 ||
      !json_is_object(json_object_get(json_array_get(stmts, 0), "node"))) {
    st = sp_error_set(err, SP_EINVAL, "one query at a time");
    goto out;
  }
  *stmt = json_incref(json_array_get(stmts, 0));
out:
  json_decref(o);
  sp_free(out);
  return st;
}

sp_status sp_sql_print(duckdb_connection con, const json_t *stmt, char **text,
                       sp_error **err)
{
  json_t *wrap = json_pack("{s:b, s:[O]}", "error", 0, "statements",
                           (json_t *)stmt);
  char *dumped = wrap ? dump_tree(wrap) : NULL;
  sp_status st;

  *text = NULL;
  if (!dumped) {
    json_decref(wrap);
    return sp_error_oom(err);
  }
  st = sp_duck_query_text(con, "SELECT json_deserialize_sql($1::JSON)",
                          dumped, text, err);
  if (st == SP_OK && !*text)
    st = sp_error_set(err, SP_EINTERNAL, "DuckDB printed no SQL");
  sp_free(dumped);
  json_decref(wrap);
  return st;
}
