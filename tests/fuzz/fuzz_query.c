/*
 * fuzz_query.c - a user's SQL query through the SQL front end (src/sql):
 * DuckDB parses it (sp_sql_parse), the planner finds and rewrites its
 * tables (sp_sql_resolve, with two registered names), and DuckDB prints
 * the tree back (sp_sql_print), through the number quoting that carries
 * DuckDB's unsigned 64-bit numbers through jansson.
 *
 * Checked: a query that parses and resolves prints back, and what it
 * prints parses again as one query; errors come with a message.
 */
#include <string.h>

#include "duck/duck.h"
#include "fuzz.h"
#include "sql/parse.h"
#include "sql/tables.h"
#include "util/alloc.h"

static duckdb_database db;
static duckdb_connection con;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const sp_sql_table tables[] = {{"orders", NULL}, {"t", NULL}};
  char *text = fuzz_strndup(data, size), *printed = NULL;
  json_t *stmt = NULL, *again = NULL;
  sp_sql_refs refs;
  sp_error *err = NULL;
  sp_status st;

  if (!con && sp_duck_open_connected(&db, &con, NULL) != SP_OK)
    abort();
  st = sp_sql_parse(con, text, &stmt, &err);
  fuzz_check_error(st, &err);
  /* Paths are checked against the file system: most fail, as they should.
   * What resolves is what the planner prints: it must print, and parse
   * again as one query. */
  if (st == SP_OK) {
    st = sp_sql_resolve(stmt, tables, 2, &refs, &err);
    fuzz_check_error(st, &err);
  }
  if (st == SP_OK) {
    st = sp_sql_print(con, stmt, &printed, &err);
    fuzz_check_error(st, &err);
    FUZZ_CHECK(st == SP_OK);
    st = sp_sql_parse(con, printed, &again, &err);
    fuzz_check_error(st, &err);
    FUZZ_CHECK(st == SP_OK);
    sp_free(printed);
    sp_sql_refs_release(&refs);
  }
  json_decref(again);
  json_decref(stmt);
  free(text);
  return 0;
}
