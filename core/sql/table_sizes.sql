-- Each published table's size on the primary (its partitions' for a partitioned table: the
-- heap and TOAST the copy reads) and its estimated row count. $1: the tables' quoted names;
-- a table dropped since is left out.
SELECT t.name, sum(pg_table_size(p.relid))::int8, sum(greatest(c.reltuples, 0))::int8
  FROM unnest($1::text[]) AS t(name)
 CROSS JOIN LATERAL (SELECT to_regclass(t.name) AS relid UNION SELECT relid FROM pg_partition_tree(to_regclass(t.name))) AS p
  JOIN pg_class c ON c.oid = p.relid
 GROUP BY t.name
