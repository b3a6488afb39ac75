-- The differential corpus of tests/integration/test_sql.c: each query runs
-- through sp_sql and through one plain DuckDB on the same files, and the
-- results must agree (names, types, rows as multisets; in order where the
-- query says "ordered" and orders totally). Our own queries: shaped like
-- the TPC-H and H2O ones, and the traps of research/distributed-sql.md.
--
-- Tables: region nation supplier customer part partsupp orders lineitem
-- (bench/tpch.h), g (H2O groupby-shaped: id1..id6, v1..v3), t and u
-- (traps: NULL keys; u has one NULL k), drift (k, s: files whose columns
-- differ in order and type).
--
-- Format: "-- name: NAME" starts a query; "-- flags: ordered" says its
-- order must be DuckDB's; "-- expect: KIND..." names the stages its plan
-- must have (hash, gather, split, sql), and that no part of it may run
-- whole on one task.

-- name: tpch_pricing_summary
-- flags: ordered
-- expect: hash gather
SELECT l_returnflag, l_linestatus, sum(l_quantity) AS qty,
       sum(l_extendedprice) AS base, sum(l_extendedprice * (1 - l_discount)) AS net,
       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS gross,
       avg(l_quantity) AS avg_qty, avg(l_discount) AS avg_disc, count(*) AS lines
FROM lineitem WHERE l_shipdate <= DATE '1998-08-01' - INTERVAL 45 DAY
GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus;

-- name: tpch_cheapest_supplier
-- flags: ordered
-- expect: gather
SELECT s_acctbal, s_name, n_name, p_partkey, p_mfgr
FROM part, supplier, partsupp, nation, region
WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey AND p_size = 17
  AND p_type LIKE '%BRASS' AND s_nationkey = n_nationkey
  AND n_regionkey = r_regionkey AND r_name = 'ASIA'
  AND ps_supplycost = (SELECT min(ps_supplycost) FROM partsupp, supplier, nation, region
                       WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey
                         AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
                         AND r_name = 'ASIA')
ORDER BY s_acctbal DESC, n_name, s_name, p_partkey LIMIT 50;

-- name: tpch_shipping_priority
-- flags: ordered
-- expect: hash gather
SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
FROM customer JOIN orders ON c_custkey = o_custkey JOIN lineitem ON l_orderkey = o_orderkey
WHERE c_mktsegment = 'MACHINERY' AND o_orderdate < DATE '1995-04-01' AND l_shipdate > DATE '1995-04-01'
GROUP BY l_orderkey, o_orderdate, o_shippriority
ORDER BY revenue DESC, o_orderdate, l_orderkey LIMIT 10;

-- name: tpch_order_priority
-- flags: ordered
-- expect: hash gather
SELECT o_orderpriority, count(*) AS orders
FROM orders WHERE o_orderdate >= DATE '1994-07-01' AND o_orderdate < DATE '1994-10-01'
  AND EXISTS (SELECT 1 FROM lineitem WHERE l_orderkey = o_orderkey AND l_commitdate < l_receiptdate)
GROUP BY o_orderpriority ORDER BY o_orderpriority;

-- name: tpch_local_supplier_volume
-- flags: ordered
-- expect: hash gather
SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
FROM customer, orders, lineitem, supplier, nation, region
WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey
  AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
  AND r_name = 'EUROPE' AND o_orderdate >= DATE '1995-01-01' AND o_orderdate < DATE '1996-01-01'
GROUP BY n_name ORDER BY revenue DESC, n_name;

-- name: tpch_forecast_revenue
-- expect: gather
SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem
WHERE l_shipdate >= DATE '1996-01-01' AND l_shipdate < DATE '1997-01-01'
  AND l_discount BETWEEN 0.03 AND 0.05 AND l_quantity < 25;

-- name: tpch_volume_shipping
-- flags: ordered
-- expect: hash gather
SELECT supp_nation, cust_nation, yr, sum(volume) AS revenue FROM (
  SELECT n1.n_name AS supp_nation, n2.n_name AS cust_nation, year(l_shipdate) AS yr,
         l_extendedprice * (1 - l_discount) AS volume
  FROM supplier, lineitem, orders, customer, nation n1, nation n2
  WHERE s_suppkey = l_suppkey AND o_orderkey = l_orderkey AND c_custkey = o_custkey
    AND s_nationkey = n1.n_nationkey AND c_nationkey = n2.n_nationkey
    AND ((n1.n_name = 'NATION C' AND n2.n_name = 'NATION H') OR (n1.n_name = 'NATION H' AND n2.n_name = 'NATION C'))
    AND l_shipdate BETWEEN DATE '1995-01-01' AND DATE '1996-12-31') shipping
GROUP BY supp_nation, cust_nation, yr ORDER BY supp_nation, cust_nation, yr;

-- name: tpch_market_share
-- flags: ordered
-- expect: hash gather
SELECT yr, sum(CASE WHEN nation = 'NATION B' THEN volume ELSE 0 END) / sum(volume) AS share FROM (
  SELECT year(o_orderdate) AS yr, l_extendedprice * (1 - l_discount) AS volume, n2.n_name AS nation
  FROM part, supplier, lineitem, orders, customer, nation n1, nation n2, region
  WHERE p_partkey = l_partkey AND s_suppkey = l_suppkey AND l_orderkey = o_orderkey
    AND o_custkey = c_custkey AND c_nationkey = n1.n_nationkey AND n1.n_regionkey = r_regionkey
    AND r_name = 'AMERICA' AND s_nationkey = n2.n_nationkey
    AND o_orderdate BETWEEN DATE '1995-01-01' AND DATE '1996-12-31' AND p_type LIKE 'ECONOMY%') v
GROUP BY yr ORDER BY yr;

-- name: tpch_product_type_profit
-- flags: ordered
-- expect: hash gather
SELECT nation, yr, sum(amount) AS profit FROM (
  SELECT n_name AS nation, year(o_orderdate) AS yr,
         l_extendedprice * (1 - l_discount) - ps_supplycost * l_quantity AS amount
  FROM part, supplier, lineitem, partsupp, orders, nation
  WHERE s_suppkey = l_suppkey AND ps_suppkey = l_suppkey AND ps_partkey = l_partkey
    AND p_partkey = l_partkey AND o_orderkey = l_orderkey AND s_nationkey = n_nationkey
    AND p_name LIKE '%green%') profit
GROUP BY nation, yr ORDER BY nation, yr DESC;

-- name: tpch_returned_items
-- flags: ordered
-- expect: hash gather
SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name
FROM customer, orders, lineitem, nation
WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey
  AND o_orderdate >= DATE '1994-01-01' AND o_orderdate < DATE '1994-04-01'
  AND l_returnflag = 'R' AND c_nationkey = n_nationkey
GROUP BY c_custkey, c_name, c_acctbal, n_name ORDER BY revenue DESC, c_custkey LIMIT 20;

-- name: tpch_important_stock
-- flags: ordered
-- expect: hash gather
SELECT ps_partkey, sum(ps_supplycost * ps_availqty) AS value
FROM partsupp, supplier, nation WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = 'NATION D'
GROUP BY ps_partkey
HAVING sum(ps_supplycost * ps_availqty) > (
  SELECT sum(ps_supplycost * ps_availqty) * 0.001 FROM partsupp, supplier, nation
  WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = 'NATION D')
ORDER BY value DESC, ps_partkey;

-- name: tpch_shipping_modes
-- flags: ordered
-- expect: hash gather
SELECT l_shipmode,
       sum(CASE WHEN o_orderpriority IN ('1-URGENT', '2-HIGH') THEN 1 ELSE 0 END) AS high,
       sum(CASE WHEN o_orderpriority NOT IN ('1-URGENT', '2-HIGH') THEN 1 ELSE 0 END) AS low
FROM orders, lineitem
WHERE o_orderkey = l_orderkey AND l_shipmode IN ('RAIL', 'FOB') AND l_commitdate < l_receiptdate
  AND l_shipdate < l_commitdate AND l_receiptdate >= DATE '1996-01-01' AND l_receiptdate < DATE '1997-01-01'
GROUP BY l_shipmode ORDER BY l_shipmode;

-- name: tpch_customer_distribution
-- flags: ordered
-- expect: hash gather
SELECT c_count, count(*) AS custdist FROM (
  SELECT c_custkey, count(o_orderkey) AS c_count
  FROM customer LEFT OUTER JOIN orders ON c_custkey = o_custkey AND o_comment NOT LIKE '%special%requests%'
  GROUP BY c_custkey) c_orders
GROUP BY c_count ORDER BY custdist DESC, c_count DESC;

-- name: tpch_promotion_effect
-- expect: gather
SELECT 100.00 * sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END)
       / sum(l_extendedprice * (1 - l_discount)) AS promo_revenue
FROM lineitem, part WHERE l_partkey = p_partkey AND l_shipdate >= DATE '1995-08-01' AND l_shipdate < DATE '1995-09-01';

-- name: tpch_top_supplier
-- flags: ordered
-- expect: hash gather
WITH revenue AS (
  SELECT l_suppkey AS supplier_no, sum(l_extendedprice * (1 - l_discount)) AS total_revenue
  FROM lineitem WHERE l_shipdate >= DATE '1996-04-01' AND l_shipdate < DATE '1996-07-01'
  GROUP BY l_suppkey)
SELECT s_suppkey, s_name, s_phone, total_revenue
FROM supplier, revenue
WHERE s_suppkey = supplier_no AND total_revenue = (SELECT max(total_revenue) FROM revenue)
ORDER BY s_suppkey;

-- name: tpch_parts_supplier_relationship
-- flags: ordered
SELECT p_brand, p_type, p_size, count(DISTINCT ps_suppkey) AS supplier_cnt
FROM partsupp, part
WHERE p_partkey = ps_partkey AND p_brand <> 'Brand#23' AND p_type NOT LIKE 'MEDIUM PLATED%'
  AND p_size IN (3, 9, 14, 19, 23, 36, 45, 49)
  AND ps_suppkey NOT IN (SELECT s_suppkey FROM supplier WHERE s_comment LIKE '%complaints%')
GROUP BY p_brand, p_type, p_size ORDER BY supplier_cnt DESC, p_brand, p_type, p_size;

-- name: tpch_small_quantity_order
-- expect: gather
SELECT sum(l_extendedprice) / 7.0 AS avg_yearly
FROM lineitem, part
WHERE p_partkey = l_partkey AND p_brand = 'Brand#33' AND p_container = 'MED BOX'
  AND l_quantity < (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey);

-- name: tpch_large_volume_customer
-- flags: ordered
-- expect: hash gather
SELECT c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, sum(l_quantity) AS qty
FROM customer, orders, lineitem
WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey HAVING sum(l_quantity) > 250)
  AND c_custkey = o_custkey AND o_orderkey = l_orderkey
GROUP BY c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice
ORDER BY o_totalprice DESC, o_orderdate, o_orderkey LIMIT 100;

-- name: tpch_discounted_revenue
-- expect: gather
SELECT sum(l_extendedprice * (1 - l_discount)) AS revenue
FROM lineitem, part
WHERE p_partkey = l_partkey AND (
     (p_brand = 'Brand#12' AND p_container IN ('SM CASE', 'SM BOX', 'SM PACK') AND l_quantity BETWEEN 1 AND 11 AND p_size BETWEEN 1 AND 5)
  OR (p_brand = 'Brand#23' AND p_container IN ('MED BAG', 'MED BOX', 'MED PKG') AND l_quantity BETWEEN 10 AND 20 AND p_size BETWEEN 1 AND 10)
  OR (p_brand = 'Brand#34' AND p_container IN ('LG CASE', 'LG BOX', 'LG PACK') AND l_quantity BETWEEN 20 AND 30 AND p_size BETWEEN 1 AND 15))
  AND l_shipmode IN ('AIR', 'REG AIR') AND l_shipinstruct = 'DELIVER IN PERSON';

-- name: tpch_potential_part_promotion
-- flags: ordered
-- expect: gather
SELECT s_name, s_address FROM supplier, nation
WHERE s_suppkey IN (
    SELECT ps_suppkey FROM partsupp
    WHERE ps_partkey IN (SELECT p_partkey FROM part WHERE p_name LIKE 'forest%')
      AND ps_availqty > (SELECT 0.5 * sum(l_quantity) FROM lineitem
                         WHERE l_partkey = ps_partkey AND l_suppkey = ps_suppkey
                           AND l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'))
  AND s_nationkey = n_nationkey AND n_name = 'NATION E'
ORDER BY s_name;

-- name: tpch_suppliers_kept_waiting
-- flags: ordered
-- expect: hash gather
SELECT s_name, count(*) AS numwait
FROM supplier, lineitem l1, orders, nation
WHERE s_suppkey = l1.l_suppkey AND o_orderkey = l1.l_orderkey AND o_orderstatus = 'F'
  AND l1.l_receiptdate > l1.l_commitdate
  AND EXISTS (SELECT * FROM lineitem l2 WHERE l2.l_orderkey = l1.l_orderkey AND l2.l_suppkey <> l1.l_suppkey)
  AND NOT EXISTS (SELECT * FROM lineitem l3 WHERE l3.l_orderkey = l1.l_orderkey AND l3.l_suppkey <> l1.l_suppkey
                    AND l3.l_receiptdate > l3.l_commitdate)
  AND s_nationkey = n_nationkey AND n_name = 'NATION K'
GROUP BY s_name ORDER BY numwait DESC, s_name LIMIT 100;

-- name: tpch_global_sales_opportunity
-- flags: ordered
-- expect: hash gather
SELECT cntrycode, count(*) AS numcust, sum(c_acctbal) AS totacctbal FROM (
  SELECT substring(c_phone, 1, 2) AS cntrycode, c_acctbal FROM customer
  WHERE substring(c_phone, 1, 2) IN ('13', '31', '23', '29', '30', '18', '17')
    AND c_acctbal > (SELECT avg(c_acctbal) FROM customer WHERE c_acctbal > 0.00
                     AND substring(c_phone, 1, 2) IN ('13', '31', '23', '29', '30', '18', '17'))
    AND NOT EXISTS (SELECT * FROM orders WHERE o_custkey = c_custkey)) custsale
GROUP BY cntrycode ORDER BY cntrycode;

-- name: scan_filter_project
-- expect: sql
SELECT l_orderkey, l_linenumber, l_extendedprice * (1 - l_discount) AS net
FROM lineitem WHERE l_quantity > 45 AND l_shipmode = 'AIR';

-- name: count_star
-- expect: gather
SELECT count(*) AS n FROM lineitem;

-- name: global_aggregates
-- expect: hash gather
SELECT count(*), sum(l_quantity), min(l_shipdate), max(l_shipdate), avg(l_extendedprice),
       stddev_samp(l_extendedprice), var_pop(l_discount), bool_and(l_quantity > 0), bool_or(l_tax > 0.07),
       bit_or(l_linenumber), bit_and(l_linenumber | 8), count(DISTINCT l_suppkey)
FROM lineitem;

-- name: group_by_decomposable
-- expect: hash
SELECT l_suppkey, count(*), sum(l_quantity), min(l_extendedprice), max(l_extendedprice),
       avg(l_discount), stddev_pop(l_quantity), corr(l_quantity, l_extendedprice),
       sum(l_quantity) FILTER (WHERE l_returnflag = 'R') AS returned
FROM lineitem GROUP BY l_suppkey;

-- name: group_by_holistic
-- expect: hash
SELECT l_returnflag, l_shipmode, median(l_quantity) AS med, quantile_cont(l_extendedprice, 0.9) AS p90,
       mode(l_linenumber) AS common, approx_count_distinct(l_partkey) AS parts
FROM lineitem GROUP BY l_returnflag, l_shipmode;

-- name: group_by_string_agg_ordered
-- expect: hash
SELECT o_custkey, string_agg(o_orderkey::VARCHAR, ',' ORDER BY o_orderkey) AS keys
FROM orders GROUP BY o_custkey;

-- name: count_distinct_grouped
-- expect: hash
SELECT o_orderpriority, count(DISTINCT o_custkey) AS customers, count(DISTINCT o_clerk) AS clerks
FROM orders GROUP BY o_orderpriority;

-- name: sum_bigint_beyond_2_53
-- expect: hash
SELECT l_shipmode, sum(l_orderkey * 100000000000007) AS big, sum(l_linenumber::BIGINT) AS small
FROM lineitem GROUP BY l_shipmode;

-- name: global_sum_hugeint
-- expect: gather
SELECT sum(o_orderkey * 100000000000037) AS total FROM orders;

-- name: grouping_sets
SELECT l_returnflag, l_linestatus, count(*) AS n, sum(l_quantity) AS q
FROM lineitem GROUP BY GROUPING SETS ((l_returnflag, l_linestatus), (l_returnflag), ());

-- name: rollup
SELECT year(o_orderdate) AS y, o_orderpriority, count(*) AS n
FROM orders GROUP BY ROLLUP (year(o_orderdate), o_orderpriority);

-- name: having_filter
-- expect: hash
SELECT o_custkey, count(*) AS n FROM orders GROUP BY o_custkey HAVING count(*) > 14;

-- name: inner_join_two
-- expect: sql
SELECT o_orderkey, c_name, o_totalprice FROM orders JOIN customer ON o_custkey = c_custkey
WHERE c_nationkey = 7;

-- name: left_join_preserved_big
-- expect: hash
SELECT c_custkey, o_orderkey FROM customer LEFT JOIN orders ON c_custkey = o_custkey AND o_orderpriority = '1-URGENT';

-- name: right_join
-- expect: hash
SELECT n_name, s_suppkey FROM supplier RIGHT JOIN nation ON s_nationkey = n_nationkey AND s_acctbal > 9000;

-- name: full_join
-- expect: hash
SELECT t.id, u.k FROM t FULL OUTER JOIN u ON t.k = u.k;

-- name: semi_join
-- expect: hash
SELECT c_custkey FROM customer SEMI JOIN orders ON c_custkey = o_custkey;

-- name: anti_join
-- expect: hash
SELECT c_custkey FROM customer ANTI JOIN orders ON c_custkey = o_custkey;

-- name: join_three_tables
-- expect: hash
SELECT n_name, count(*) AS n, sum(o_totalprice) AS total
FROM orders JOIN customer ON o_custkey = c_custkey JOIN nation ON c_nationkey = n_nationkey
GROUP BY n_name;

-- name: join_keys_of_different_types
-- expect: gather
SELECT count(*) AS n FROM lineitem JOIN part ON l_partkey = p_size::BIGINT * 0 + p_partkey::DECIMAL(18,0);

-- name: trap_not_in_with_nulls
-- expect: gather
SELECT count(*) AS n FROM t WHERE k NOT IN (SELECT k FROM u);

-- name: trap_not_in_without_nulls
-- expect: gather
SELECT count(*) AS n FROM t WHERE k NOT IN (SELECT k FROM u WHERE k IS NOT NULL);

-- name: trap_not_exists
-- expect: gather
SELECT count(*) AS n FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.k = t.k);

-- name: trap_outer_join_preserved_side_small
-- expect: hash
SELECT u.k, t.id FROM u LEFT JOIN t ON u.k = t.k;

-- name: trap_avg_of_averages
-- expect: hash
SELECT g, avg(x) AS a FROM t GROUP BY g;

-- name: trap_window_on_non_shuffle_key
-- expect: hash
SELECT id, g, k, row_number() OVER (PARTITION BY g ORDER BY id) AS rn,
       sum(x) OVER (PARTITION BY g ORDER BY id) AS running
FROM t;

-- name: trap_ties_order_limit
-- flags: ordered
-- expect: gather
SELECT x FROM t ORDER BY x DESC LIMIT 7;

-- name: order_by_full
-- flags: ordered
-- expect: range
SELECT o_orderkey, o_totalprice FROM orders ORDER BY o_totalprice DESC, o_orderkey;

-- name: order_by_limit_offset
-- flags: ordered
-- expect: gather
SELECT l_orderkey, l_linenumber FROM lineitem ORDER BY l_orderkey DESC, l_linenumber LIMIT 20 OFFSET 5;

-- name: limit_without_order
-- expect: gather
SELECT count(*) AS n FROM (SELECT * FROM lineitem LIMIT 100);

-- name: distinct_rows
-- expect: hash
SELECT DISTINCT l_shipmode, l_returnflag FROM lineitem;

-- name: union_distinct
-- expect: hash
SELECT c_nationkey AS k FROM customer UNION SELECT s_nationkey FROM supplier;

-- name: union_all
-- expect: sql
SELECT o_custkey AS k FROM orders WHERE o_orderpriority = '1-URGENT' UNION ALL SELECT c_custkey FROM customer WHERE c_acctbal < 0;

-- name: intersect
-- expect: hash
SELECT o_custkey FROM orders WHERE year(o_orderdate) = 1995 INTERSECT SELECT o_custkey FROM orders WHERE year(o_orderdate) = 1996;

-- name: except
-- expect: hash
SELECT c_custkey FROM customer EXCEPT SELECT o_custkey FROM orders;

-- name: window_partitioned
-- expect: hash
SELECT o_custkey, o_orderkey, rank() OVER (PARTITION BY o_custkey ORDER BY o_totalprice DESC, o_orderkey) AS r,
       lag(o_orderdate) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS prev
FROM orders;

-- name: window_qualify_top_n
-- expect: hash
SELECT o_custkey, o_orderkey, o_totalprice FROM orders
QUALIFY row_number() OVER (PARTITION BY o_custkey ORDER BY o_totalprice DESC, o_orderkey) <= 2;

-- name: window_without_partition
SELECT o_orderkey, sum(o_totalprice) OVER (ORDER BY o_orderkey ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving
FROM orders;

-- name: cte_used_twice
-- expect: hash gather
WITH big AS (SELECT o_custkey, sum(o_totalprice) AS spent FROM orders GROUP BY o_custkey)
SELECT a.o_custkey, a.spent FROM big a WHERE a.spent > (SELECT avg(spent) FROM big);

-- name: scalar_subquery_uncorrelated
-- expect: gather
SELECT o_orderkey FROM orders WHERE o_totalprice > (SELECT max(o_totalprice) * 0.95 FROM orders);

-- name: correlated_scalar
-- expect: sql
SELECT c_custkey, (SELECT max(o_totalprice) FROM orders WHERE o_custkey = c_custkey) AS biggest FROM customer;

-- name: in_subquery
-- expect: gather
SELECT p_partkey FROM part WHERE p_partkey IN (SELECT l_partkey FROM lineitem WHERE l_quantity = 50);

-- name: recursive_cte
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 20)
SELECT n, (SELECT count(*) FROM nation WHERE n_nationkey < n) AS c FROM r;

-- name: h2o_sum_by_id1
-- expect: hash
SELECT id1, sum(v1) AS v1 FROM g GROUP BY id1;

-- name: h2o_sum_by_id1_id2
-- expect: hash
SELECT id1, id2, sum(v1) AS v1 FROM g GROUP BY id1, id2;

-- name: h2o_sum_mean_by_id3
-- expect: hash
SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM g GROUP BY id3;

-- name: h2o_median_sd_by_id4_id5
-- expect: hash
SELECT id4, id5, median(v3) AS median_v3, stddev(v3) AS sd_v3 FROM g GROUP BY id4, id5;

-- name: h2o_range_by_id3
-- expect: hash
SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM g GROUP BY id3;

-- name: h2o_top2_by_id6
-- expect: hash
SELECT id6, v3 FROM (SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS rn FROM g WHERE v3 IS NOT NULL) s WHERE rn <= 2;

-- name: h2o_corr_by_id2_id4
-- expect: hash
SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM g GROUP BY id2, id4;

-- name: h2o_sum_count_by_all
-- expect: hash
SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS n FROM g GROUP BY id1, id2, id3, id4, id5, id6;

-- name: files_named_inline_and_now
SELECT count(*) AS n, current_date - current_date AS zero FROM read_parquet('@DATA@/lineitem/*.parquet');

-- name: values_and_from_first
FROM (VALUES (1, 'a'), (2, 'b')) v(i, s) SELECT i * 2 AS d, s ORDER BY d;

-- Shapes of one table, each split (docs/sql.md).

-- name: group_by_position_alias_and_all
-- expect: hash
SELECT k % 10 AS d, g, count(*) AS n, sum(x) AS sx FROM t GROUP BY d, 2;

-- name: group_by_all_null_keys
-- expect: hash
SELECT k, g, count(x), count_if(x > 60), min(s), max(s) FROM t GROUP BY ALL;

-- name: group_by_computed_key_holistic
-- expect: hash
SELECT k % 13 AS m, median(x) AS med, count(DISTINCT s) AS ds FROM t GROUP BY k % 13;

-- name: variance_family_small_groups
-- expect: hash
SELECT id % 4001 AS grp, var_pop(x), var_samp(x), variance(x), stddev(x), stddev_pop(x),
       stddev_samp(x), avg(x), count(x) FROM t GROUP BY grp;

-- name: variance_global_with_filter
-- expect: gather
SELECT var_samp(x) FILTER (WHERE g = 3) AS v3, stddev_pop(x) FILTER (WHERE k IS NULL) AS sk,
       avg(id) FILTER (WHERE s = 's4') AS a4, count(*) FILTER (WHERE x IS NULL) AS nulls FROM t;

-- name: global_aggregate_of_no_rows
-- expect: gather
SELECT count(*), count(x), sum(x), avg(x), min(s), var_pop(x), bool_or(x > 1) FROM t WHERE id < 0;

-- name: decimal_sum_and_avg_stay_exact
-- expect: hash
SELECT l_returnflag, sum(l_extendedprice) AS s, avg(l_extendedprice) AS a, sum(l_quantity * l_discount) AS qd,
       min(l_shipdate) AS first, max(l_commitdate) AS last, product(l_linenumber::DOUBLE / 4) AS p
FROM lineitem GROUP BY l_returnflag;

-- name: avg_of_dates_keeps_its_type
-- expect: hash
SELECT o_orderpriority, avg(o_orderdate) AS mid FROM orders GROUP BY o_orderpriority;

-- name: having_on_an_aggregate_not_selected
-- expect: hash
SELECT g, sum(x) AS sx FROM t GROUP BY g HAVING avg(x) > 62 AND count(*) > 10;

-- name: order_by_aggregate_not_selected_limit
-- flags: ordered
-- expect: hash gather
SELECT o_custkey FROM orders GROUP BY o_custkey ORDER BY sum(o_totalprice) DESC, o_custkey LIMIT 12;

-- name: order_by_expression_not_selected
-- flags: ordered
-- expect: gather
SELECT id, s FROM t WHERE g = 2 ORDER BY x * -1 NULLS FIRST, id LIMIT 30 OFFSET 3;

-- name: order_by_alias_over_column
-- flags: ordered
-- expect: range
SELECT id AS x, k FROM t WHERE k < 5 ORDER BY x DESC, k;

-- name: distinct_ordered_limit
-- flags: ordered
-- expect: hash gather
SELECT DISTINCT g, s FROM t ORDER BY s DESC, g LIMIT 9;

-- name: bit_and_bool_aggregates_grouped
-- expect: hash
SELECT g, bit_and(id), bit_or(id), bit_xor(id), bool_and(x > 1), bool_or(x > 120) FROM t GROUP BY g;

-- name: qualified_columns_and_lateral_alias
-- expect: hash
SELECT t.g AS grp, sum(t.x) AS total, total / count(*) AS mean FROM t AS t GROUP BY t.g;

-- name: offset_without_limit
-- flags: ordered
-- expect: gather
SELECT id FROM t WHERE k = 3 ORDER BY id OFFSET 50;

-- Blocks: CTEs and subqueries planned on their own (sql/blocks.h).

-- name: scalar_subquery_in_having
-- expect: hash gather
SELECT g, sum(x) AS sx FROM t GROUP BY g HAVING sum(x) > (SELECT avg(x) * 2800 FROM t);

-- name: scalar_subquery_in_select_list
-- expect: gather
SELECT id, x - (SELECT avg(x) FROM t) AS dx FROM t WHERE id % 500 = 0;

-- name: from_subquery_with_column_aliases
-- expect: hash
SELECT a, count(*) AS n, max(b) AS top FROM (SELECT g, k FROM t WHERE x > 10) s(a, b) GROUP BY a;

-- name: cte_chain_read_twice
-- expect: hash gather
WITH a AS (SELECT g, k, x FROM t WHERE k IS NOT NULL),
     b AS (SELECT g, sum(x) AS sx FROM a GROUP BY g)
SELECT b.g, sx, (SELECT count(*) FROM a) AS n FROM b;

-- name: in_subquery_of_an_aggregate_with_nulls
-- expect: gather
SELECT count(*) AS n, sum(x) AS sx FROM t WHERE k NOT IN (SELECT max(k) FROM u GROUP BY k % 7);

-- name: window_computed_key_and_order_limit
-- flags: ordered
-- expect: hash gather
SELECT id, k % 5 AS m, dense_rank() OVER (PARTITION BY k % 5, g ORDER BY x DESC NULLS LAST, id) AS r
FROM t WHERE id % 7 = 1 ORDER BY r, id LIMIT 40;

-- name: window_over_join_on_the_key
-- expect: hash
SELECT c_custkey, o_orderkey, sum(o_totalprice) OVER (PARTITION BY c_custkey ORDER BY o_orderkey) AS running
FROM customer JOIN orders ON c_custkey = o_custkey WHERE c_acctbal > 5000;

-- name: set_operations_nested_ordered
-- flags: ordered
-- expect: hash gather
(SELECT k, s FROM t WHERE g < 3 EXCEPT ALL SELECT k, s FROM t WHERE g = 1)
UNION ALL (SELECT k, 'u' FROM u INTERSECT SELECT k, 'u' FROM t)
ORDER BY 1 DESC NULLS LAST, 2 LIMIT 25;

-- name: union_all_of_aggregates
-- expect: hash
SELECT g AS key, count(*) AS n FROM t GROUP BY g
UNION ALL SELECT id1::VARCHAR AS key2, sum(v1) FROM g GROUP BY id1;


-- name: parquet_files_named_inline_joined
-- expect: hash
SELECT l_returnflag, count(*) AS n, sum(o.o_totalprice) AS total
FROM read_parquet('@DATA@/lineitem/*.parquet') AS l JOIN '@DATA@/orders/*.parquet' AS o
  ON l.l_orderkey = o.o_orderkey
GROUP BY l_returnflag;

-- name: global_count_distinct_with_others
-- expect: hash gather
SELECT count(DISTINCT o_custkey) AS customers, sum(DISTINCT o_custkey) AS keys,
       avg(DISTINCT o_custkey) AS mean_key, count(*) AS orders, max(o_totalprice) AS top,
       count(DISTINCT o_custkey) FILTER (WHERE o_orderstatus = 'F') AS finished
FROM orders WHERE o_orderdate >= DATE '1995-01-01';

-- Found by a differential tester: each was a wrong answer.

-- name: set_operation_side_with_repeated_names
SELECT a, b FROM (SELECT k AS a, g AS a FROM t WHERE id < 300 UNION SELECT -1, -1) s(a, b);

-- name: files_whose_columns_differ_in_order_and_type
-- expect: sql
SELECT k * 10 AS x, k / 2 AS h, s FROM drift;

-- name: files_that_differ_grouped
-- expect: hash
SELECT k % 3 AS m, count(*) AS n, sum(k) AS sk, max(s) AS ms FROM drift GROUP BY m;

-- name: names_like_the_planners_own
-- flags: ordered
SELECT g AS __sp_o0, count(*) AS __sp_c1 FROM t GROUP BY g ORDER BY 1 DESC LIMIT 3;

