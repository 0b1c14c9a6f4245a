-- The tables a migration can replicate: ordinary and partitioned tables (partitions travel
-- through their root), outside the system schemas and not owned by an extension, with what
-- preflight and setup need to know about each. Written to stay one pass over the catalog:
-- thousands of tables must not cost a scan each.
WITH identity AS (
    -- Whether each table has a usable replica identity: UPDATE and DELETE fail on a
    -- published table without one.
    SELECT l.oid,
           CASE l.relreplident
               WHEN 'f' THEN true
               WHEN 'd' THEN coalesce(i.has_pk, false)
               WHEN 'i' THEN coalesce(i.has_ri, false)
               ELSE false
           END AS usable
      FROM pg_class l
      LEFT JOIN (SELECT indrelid, bool_or(indisprimary) AS has_pk, bool_or(indisreplident) AS has_ri
                   FROM pg_index GROUP BY indrelid) i ON i.indrelid = l.oid
     WHERE l.relkind IN ('r', 'p')
)
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relkind = 'p' AS partitioned,
       c.relpersistence::text AS persistence,
       -- A partitioned table needs an identity on every partition too.
       ident.usable AND (c.relkind <> 'p' OR NOT EXISTS (
           SELECT 1 FROM pg_partition_tree(c.oid) p JOIN identity pi ON pi.oid = p.relid WHERE NOT pi.usable
       )) AS has_identity,
       c.oid IN (SELECT attrelid FROM pg_attribute WHERE attgenerated <> '' AND attnum > 0 AND NOT attisdropped) AS has_generated,
       c.relrowsecurity AND NOT (pg_has_role(c.relowner, 'USAGE') AND NOT c.relforcerowsecurity)
         AND NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS rls_hides_rows,
       greatest(c.reltuples, 0)::bigint AS estimated_rows
  FROM pg_class c
  JOIN identity ident ON ident.oid = c.oid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname !~ '^pg_toast'
   AND c.oid NOT IN (SELECT objid FROM pg_depend WHERE classid = 'pg_class'::regclass AND deptype = 'e')
 ORDER BY 1, 2
