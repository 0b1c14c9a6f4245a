-- The tables a migration can replicate: ordinary and partitioned tables (partitions travel
-- through their root), outside the system schemas and not owned by an extension, with what
-- preflight and setup need to know about each.
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relkind = 'p' AS partitioned,
       c.relpersistence::text AS persistence,
       -- A usable replica identity on the table and, when it is partitioned, on every
       -- partition: UPDATE and DELETE fail on a published table without one.
       (SELECT coalesce(bool_and(CASE l.relreplident
                   WHEN 'f' THEN true
                   WHEN 'd' THEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = l.oid AND i.indisprimary)
                   WHEN 'i' THEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = l.oid AND i.indisreplident)
                   ELSE false END), true)
          FROM pg_class l
         WHERE l.relkind IN ('r', 'p')
           AND (l.oid = c.oid OR (c.relkind = 'p' AND l.oid IN (SELECT relid FROM pg_partition_tree(c.oid))))
       ) AS has_identity,
       EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''
       ) AS has_generated,
       c.relrowsecurity AND NOT (pg_has_role(c.relowner, 'USAGE') AND NOT c.relforcerowsecurity)
         AND NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS rls_hides_rows,
       greatest(c.reltuples, 0)::bigint AS estimated_rows
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname !~ '^pg_toast'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 2
