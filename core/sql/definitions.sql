-- The indexes and constraints (key, unique, exclusion, foreign key, check) of the migrated
-- tables and their partitions, each by its definition, for verify to compare both sides.
-- $1: the tables' quoted names; a table missing on this server is left out.
WITH rel AS (
    SELECT p.relid
      FROM unnest($1::text[]) AS t(name)
     CROSS JOIN LATERAL (SELECT to_regclass(t.name) AS relid UNION SELECT relid FROM pg_partition_tree(to_regclass(t.name))) AS p
     WHERE p.relid IS NOT NULL
)
SELECT 'index' AS kind, n.nspname, c.relname, ic.relname,
       pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' (INVALID)' END
  FROM rel
  JOIN pg_index i ON i.indrelid = rel.relid
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class c ON c.oid = rel.relid
  JOIN pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'constraint', n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid)
  FROM rel
  JOIN pg_constraint k ON k.conrelid = rel.relid AND k.contype IN ('p', 'u', 'x', 'f', 'c')
  JOIN pg_class c ON c.oid = rel.relid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 ORDER BY 1, 2, 3, 4
