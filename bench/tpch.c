/*
 * tpch.c - TPC-H-shaped tables from a seed (see tpch.h).
 *
 * Every value is a function of the row's key and the seed through DuckDB's
 * hash(): H(k, n) below is hash(k, seed, n), a column's own stream. The
 * words lists are ours.
 */
#include "tpch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "duckcheck.h"

const char *const tpch_tables[8] = {"region",   "nation", "supplier",
                                    "customer", "part",   "partsupp",
                                    "orders",   "lineitem"};

/* The key column of each table, to spread its rows over files. */
static const char *const keys[8] = {"r_regionkey", "n_nationkey",
                                    "s_suppkey",   "c_custkey",
                                    "p_partkey",   "ps_partkey",
                                    "o_orderkey",  "l_orderkey"};

#define H(k, n) "hash(" k ", getvariable('seed'), " #n ")"
#define PICK(list, k, n) \
  "(" list ")[(1 + " H(k, n) " % len(" list "))::BIGINT]"

/* Macros of the generator, created first: the seed and the sizes as
 * constants, and the shared formulas (a part's price and its suppliers). */
static const char macros[] =
  "CREATE MACRO supp_of(p, j) AS ((p * 3 + j * (getvariable('nsupp') // 4 "
  "+ 1)) % getvariable('nsupp')) + 1;"
  "CREATE MACRO price_of(p) AS "
  "((90000 + (p // 10) % 20001 + 100 * (p % 1000)) / 100)::DECIMAL(15,2);";

static const char region_sql[] =
  "SELECT i AS r_regionkey, (['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', "
  "'MIDDLE EAST'])[i + 1] AS r_name, 'the region of ' || i AS r_comment "
  "FROM range(5) t(i)";

static const char nation_sql[] =
  "SELECT i AS n_nationkey, 'NATION ' || chr((65 + i)::INTEGER) AS n_name, "
  "i % 5 AS n_regionkey, 'a nation, number ' || i AS n_comment "
  "FROM range(25) t(i)";

static const char supplier_sql[] =
  "SELECT i AS s_suppkey, 'Supplier#' || lpad(i::VARCHAR, 9, '0') AS s_name, "
  "hex(" H("i", 1) ") AS s_address, (" H("i", 2) " % 25)::BIGINT AS "
  "s_nationkey, (10 + " H("i", 2) " % 25) || '-' || lpad((" H("i", 3)
  " % 1000)::VARCHAR, 3, '0') AS s_phone, "
  "(((" H("i", 4) " % 1099999)::BIGINT - 99999) / 100)::DECIMAL(15,2) AS "
  "s_acctbal, CASE WHEN " H("i", 5) " % 100 = 0 THEN 'customer "
  "complaints about it' ELSE 'a steady supplier ' || (" H("i", 5)
  " % 997) END AS s_comment FROM range(1, getvariable('nsupp') + 1) t(i)";

static const char customer_sql[] =
  "SELECT i AS c_custkey, 'Customer#' || lpad(i::VARCHAR, 9, '0') AS c_name, "
  "hex(" H("i", 1) ") AS c_address, (" H("i", 2) " % 25)::BIGINT AS "
  "c_nationkey, (10 + " H("i", 2) " % 25) || '-' || lpad((" H("i", 3)
  " % 1000)::VARCHAR, 3, '0') AS c_phone, "
  "(((" H("i", 4) " % 1099999)::BIGINT - 99999) / 100)::DECIMAL(15,2) AS "
  "c_acctbal, " PICK("['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', "
  "'MACHINERY']", "i", 5) " AS c_mktsegment, 'customer note ' || (" H("i", 6)
  " % 10007) AS c_comment FROM range(1, getvariable('ncust') + 1) t(i)";

static const char part_sql[] =
  "SELECT i AS p_partkey, " PICK("['almond', 'blue', 'coral', 'dark', "
  "'forest', 'green', 'ivory', 'lemon', 'navy', 'plum', 'rose', 'tan']", "i",
  1) " || ' ' || " PICK("['bolt', 'cog', 'gear', 'hinge', 'nut', 'pin', "
  "'spring', 'valve']", "i", 2) " AS p_name, 'Manufacturer#' || (1 + "
  H("i", 3) " % 5) AS p_mfgr, 'Brand#' || (1 + " H("i", 3) " % 5) || "
  "(1 + " H("i", 4) " % 5) AS p_brand, " PICK("['STANDARD', 'SMALL', "
  "'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO']", "i", 5) " || ' ' || "
  PICK("['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED']", "i", 6)
  " || ' ' || " PICK("['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER']", "i", 7)
  " AS p_type, (1 + " H("i", 8) " % 50)::INTEGER AS p_size, "
  PICK("['SM', 'MED', 'LG', 'JUMBO', 'WRAP']", "i", 9) " || ' ' || "
  PICK("['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM']", "i", 10)
  " AS p_container, price_of(i) AS p_retailprice, 'part note ' || (" H("i", 11)
  " % 1009) AS p_comment FROM range(1, getvariable('npart') + 1) t(i)";

static const char partsupp_sql[] =
  "SELECT p AS ps_partkey, supp_of(p, j) AS ps_suppkey, (1 + " H("p * 4 + j",
  1) " % 9999)::INTEGER AS ps_availqty, ((100 + " H("p * 4 + j", 2)
  " % 99901) / 100)::DECIMAL(15,2) AS ps_supplycost, 'partsupp note ' || ("
  H("p * 4 + j", 3) " % 1013) AS ps_comment "
  "FROM range(1, getvariable('npart') + 1) a(p), range(4) b(j)";

/* Orders without their total and status, which come from their lines. */
static const char orders_base_sql[] =
  "SELECT i AS o_orderkey, CASE WHEN c % 3 <> 0 THEN c WHEN c < "
  "getvariable('ncust') THEN "
  "c + 1 ELSE c - 1 END AS o_custkey, DATE '1992-01-01' + (" H("i", 2)
  " % 2406)::INTEGER AS o_orderdate, " PICK("['1-URGENT', '2-HIGH', "
  "'3-MEDIUM', '4-NOT SPECIFIED', '5-LOW']", "i", 3) " AS o_orderpriority, "
  "'Clerk#' || lpad((1 + " H("i", 4) " % 1000)::VARCHAR, 9, '0') AS "
  "o_clerk, 0 AS o_shippriority, CASE WHEN " H("i", 5) " % 50 = 0 THEN "
  "'has special requests' ELSE 'order note ' || (" H("i", 5) " % 1019) END "
  "AS o_comment FROM (SELECT i, (1 + " H("i", 1) " % getvariable('ncust'))"
  "::BIGINT AS c FROM range(1, getvariable('norders') + 1) t(i))";

static const char lineitem_sql[] =
  "SELECT o_orderkey AS l_orderkey, pk AS l_partkey, supp_of(pk, "
  "(" H("o_orderkey * 8 + l", 3) " % 4)::BIGINT) AS l_suppkey, l AS "
  "l_linenumber, q AS l_quantity, (q * price_of(pk))::DECIMAL(15,2) AS "
  "l_extendedprice, ((" H("o_orderkey * 8 + l", 4) " % 11) / 100)"
  "::DECIMAL(15,2) AS l_discount, ((" H("o_orderkey * 8 + l", 5) " % 9) / "
  "100)::DECIMAL(15,2) AS l_tax, CASE WHEN ship + rcv <= DATE '1995-06-17' THEN CASE WHEN "
  H("o_orderkey * 8 + l", 6) " % 2 = 0 THEN 'R' ELSE 'A' END ELSE 'N' END "
  "AS l_returnflag, CASE WHEN ship > DATE '1995-06-17' THEN 'O' ELSE 'F' END "
  "AS l_linestatus, ship AS l_shipdate, o_orderdate + (30 + "
  H("o_orderkey * 8 + l", 7) " % 61)::INTEGER AS l_commitdate, ship + rcv "
  "AS l_receiptdate, " PICK("['DELIVER IN PERSON', 'COLLECT COD', 'NONE', "
  "'TAKE BACK RETURN']", "o_orderkey * 8 + l", 8) " AS l_shipinstruct, "
  PICK("['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB']",
  "o_orderkey * 8 + l", 9) " AS l_shipmode, 'line note ' || ("
  H("o_orderkey * 8 + l", 10) " % 1021) AS l_comment "
  "FROM (SELECT o_orderkey, o_orderdate, l, (1 + " H("o_orderkey * 8 + l", 1)
  " % getvariable('npart'))::BIGINT AS pk, (1 + " H("o_orderkey * 8 + l", 2) " % 50)"
  "::DECIMAL(15,2) AS q, o_orderdate + (1 + " H("o_orderkey * 8 + l", 11)
  " % 121)::INTEGER AS ship, (1 + " H("o_orderkey * 8 + l", 12) " % 30)"
  "::INTEGER AS rcv FROM orders_base, range(1, 8) t(l) WHERE l <= 1 + "
  H("o_orderkey", 9) " % 7)";

static const char orders_sql[] =
  "SELECT o.o_orderkey, o.o_custkey, CASE WHEN bool_and(l_linestatus = 'F') "
  "THEN 'F' WHEN bool_and(l_linestatus = 'O') THEN 'O' ELSE 'P' END AS "
  "o_orderstatus, sum(l_extendedprice * (1 + l_tax) * (1 - l_discount))"
  "::DECIMAL(15,2) AS o_totalprice, o.o_orderdate, o.o_orderpriority, "
  "o.o_clerk, o.o_shippriority, o.o_comment FROM orders_base o JOIN "
  "lineitem ON l_orderkey = o.o_orderkey GROUP BY ALL";

/* 'text' with its quotes doubled, into out (len bytes). */
static void literal(const char *text, char *out, size_t len)
{
  size_t n = 0;

  out[n++] = '\'';
  for (; *text && n + 3 < len; text++) {
    if (*text == '\'')
      out[n++] = '\'';
    out[n++] = *text;
  }
  out[n++] = '\'';
  out[n] = '\0';
}

int tpch_write(duckdb_connection con, const char *dir, double sf, int files,
               int64_t seed)
{
  static const char *const make[] = {
    "CREATE TABLE region AS ",      region_sql,
    "CREATE TABLE nation AS ",      nation_sql,
    "CREATE TABLE supplier AS ",    supplier_sql,
    "CREATE TABLE customer AS ",    customer_sql,
    "CREATE TABLE part AS ",        part_sql,
    "CREATE TABLE partsupp AS ",    partsupp_sql,
    "CREATE TABLE orders_base AS ", orders_base_sql,
    "CREATE TABLE lineitem AS ",    lineitem_sql,
    "CREATE TABLE orders AS ",      orders_sql,
  };
  long long supp = (long long)(10000 * sf), cust = (long long)(150000 * sf);
  long long part = (long long)(200000 * sf), ord = (long long)(1500000 * sf);
  char path[4096], lit[8300], sql[16384];
  size_t i;
  int t, k, n, rc;

  /* Four suppliers for every part, and customers without orders. */
  snprintf(sql, sizeof(sql), "SET VARIABLE seed = %lld; SET VARIABLE nsupp "
           "= %lld; SET VARIABLE ncust = %lld; SET VARIABLE npart = %lld; "
           "SET VARIABLE norders = %lld", (long long)seed,
           supp < 4 ? 4 : supp, cust < 3 ? 3 : cust, part < 1 ? 1 : part,
           ord < 1 ? 1 : ord);
  rc = dc_exec(con, sql) || dc_exec(con, macros);
  for (i = 0; i < sizeof(make) / sizeof(make[0]) && !rc; i += 2) {
    snprintf(sql, sizeof(sql), "%s%s", make[i], make[i + 1]);
    rc = dc_exec(con, sql);
  }
  for (t = 0; t < 8 && rc == 0; t++) {
    snprintf(path, sizeof(path), "%s/%s", dir, tpch_tables[t]);
    if (mkdir(path, 0777) != 0)
      return -1;
    n = t < 2 ? 1 : files;
    for (k = 0; k < n && rc == 0; k++) {
      snprintf(path, sizeof(path), "%s/%s/part-%d.parquet", dir,
               tpch_tables[t], k);
      literal(path, lit, sizeof(lit));
      snprintf(sql, sizeof(sql), "COPY (SELECT * FROM %s WHERE hash(%s) %% "
               "%d = %d ORDER BY %s) TO %s (FORMAT parquet)", tpch_tables[t],
               keys[t], n, k, keys[t], lit);
      rc = dc_exec(con, sql);
    }
  }
  return rc ? -1 : 0;
}
