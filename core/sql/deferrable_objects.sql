-- The indexes and constraints of the migration's tables on the primary, partitions included,
-- for setup to tell what replication needs before the copy from what can wait (deferred.go).
-- $1: the published tables' quoted names (roots of partitioned tables).
WITH rel AS (
    -- pg_partition_tree lists a partitioned table's tree, and nothing for a plain table.
    SELECT t.name AS root, p.relid
      FROM unnest($1::text[]) AS t(name)
     CROSS JOIN LATERAL (SELECT to_regclass(t.name) AS relid UNION SELECT relid FROM pg_partition_tree(to_regclass(t.name))) AS p
     WHERE p.relid IS NOT NULL
)
-- Every index: the primary key and the replica identity are replication's.
SELECT 'i' AS kind, tn.nspname AS table_schema, tc.relname AS table_name, ic.relname AS name,
       rel.root, i.indisprimary OR i.indisreplident AS identity,
       NULL::text AS ref_root, NULL::text AS index_schema, NULL::text AS index_name, true AS validated, false AS partitioned
  FROM rel
  JOIN pg_index i ON i.indrelid = rel.relid
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class tc ON tc.oid = i.indrelid
  JOIN pg_namespace tn ON tn.oid = tc.relnamespace
UNION ALL
-- Every key, unique, exclusion and foreign key constraint, with the index it owns (p, u, x)
-- or needs on the referenced table (f), and for a foreign key that table's root when it is
-- published.
SELECT k.contype::text, tn.nspname, tc.relname, k.conname,
       rel.root, false,
       ref.root, ins.nspname, ic.relname, k.convalidated, tc.relkind = 'p'
  FROM rel
  JOIN pg_constraint k ON k.conrelid = rel.relid AND k.contype IN ('p', 'u', 'x', 'f')
  JOIN pg_class tc ON tc.oid = k.conrelid
  JOIN pg_namespace tn ON tn.oid = tc.relnamespace
  LEFT JOIN rel AS ref ON ref.relid = k.confrelid
  LEFT JOIN pg_class ic ON ic.oid = k.conindid
  LEFT JOIN pg_namespace ins ON ins.oid = ic.relnamespace
