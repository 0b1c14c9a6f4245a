-- The definitions status, schema diff, schema sync and ddl compare between servers: every
-- table and partition, enum type and sequence of the migration's schemas, one row each, in
-- one pass over the catalog. Run with an empty search_path, so that every type, expression
-- and name comes out schema-qualified and the same on every server.
--   $1 the schemas (empty: every schema but the system ones)
--   $2 a schema to leave out: pghandoff's helper schema
--   $3 true: whole definitions; false: a digest of each table's definition (status compares
--      digests, and reads whole definitions only of the tables whose digests differ)
--   $4, $5 the schemas and names of the only tables to read (empty: every table)
-- Columns are listed by name, not position: a column added on two servers in another order
-- is the same definition.
WITH schemas AS (
    SELECT n.oid, n.nspname
      FROM pg_namespace n
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname !~ '^pg_(toast|temp_)'
       AND n.nspname <> $2
       AND (cardinality($1::text[]) = 0 OR n.nspname = ANY ($1::text[]))
), tables AS (
    SELECT c.oid, s.nspname, c.relname, c.relkind, c.relispartition, c.relpartbound
      FROM pg_class c
      JOIN schemas s ON s.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p')
       AND c.relpersistence = 'p'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
       AND (cardinality($4::text[]) = 0
            OR (s.nspname, c.relname) IN (SELECT * FROM unnest($4::text[], $5::text[])))
), defs AS (
    SELECT t.nspname, t.relname, json_build_object(
        'parent', (SELECT json_build_object('schema', pn.nspname, 'name', p.relname)
                     FROM pg_inherits i
                     JOIN pg_class p ON p.oid = i.inhparent
                     JOIN pg_namespace pn ON pn.oid = p.relnamespace
                    WHERE i.inhrelid = t.oid AND t.relispartition),
        'bound', pg_get_expr(t.relpartbound, t.oid),
        'partitioned', t.relkind = 'p',
        'columns', coalesce((
            SELECT json_agg(json_build_object(
                       'name', a.attname,
                       'type', format_type(a.atttypid, a.atttypmod),
                       'not_null', a.attnotnull,
                       'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                       'expression', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                       -- PostgreSQL 17 shows a partitioned table's identity on its
                       -- partitions too: the partitioned table's says it for all.
                       'identity', CASE WHEN t.relispartition THEN '' ELSE a.attidentity::text END,
                       'generated', a.attgenerated::text,
                       'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation
                                         THEN a.attcollation::regcollation::text END,
                       'sequence', CASE WHEN a.attidentity <> '' AND NOT t.relispartition
                                        THEN pg_get_serial_sequence(format('%I.%I', t.nspname, t.relname), a.attname) END)
                   ORDER BY a.attname)
              FROM pg_attribute a
              JOIN pg_type ty ON ty.oid = a.atttypid
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
        -- Indexes that back a constraint are the constraint's: listed there, not here.
        'indexes', coalesce((
            SELECT json_agg(json_build_object(
                       'name', ic.relname,
                       'def', pg_get_indexdef(i.indexrelid),
                       'unique', i.indisunique,
                       'valid', i.indisvalid,
                       'attached', EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid))
                   ORDER BY ic.relname)
              FROM pg_index i
              JOIN pg_class ic ON ic.oid = i.indexrelid
             WHERE i.indrelid = t.oid
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                                WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid
                                  AND k.contype IN ('p', 'u', 'x'))), '[]'),
        -- NOT NULL is a column's (PostgreSQL 18 lists it as a constraint too); constraint
        -- triggers are triggers.
        'constraints', coalesce((
            SELECT json_agg(json_build_object(
                       'name', k.conname,
                       'type', k.contype::text,
                       'def', pg_get_constraintdef(k.oid),
                       'inherited', NOT k.conislocal OR k.conparentid <> 0)
                   ORDER BY k.conname)
              FROM pg_constraint k
             WHERE k.conrelid = t.oid AND k.contype IN ('p', 'u', 'f', 'c', 'x')), '[]')
    )::text AS def
      FROM tables t
)
SELECT 'table' AS kind, nspname::text AS schema, relname::text AS name,
       -- 64 bits of digest: enough to tell a changed definition, a quarter of the bytes.
       CASE WHEN $3 THEN def ELSE left(encode(sha256(convert_to(def, 'UTF8')), 'hex'), 16) END AS def
  FROM defs
UNION ALL
SELECT 'enum', s.nspname::text, t.typname::text,
       json_build_object('labels', ARRAY(SELECT e.enumlabel::text FROM pg_enum e
                                          WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder))::text
  FROM pg_type t
  JOIN schemas s ON s.oid = t.typnamespace
 WHERE t.typtype = 'e'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
SELECT 'sequence', s.nspname::text, c.relname::text,
       json_build_object(
           'type', format_type(q.seqtypid, NULL),
           'start', q.seqstart, 'increment', q.seqincrement, 'min', q.seqmin, 'max', q.seqmax,
           'cache', q.seqcache, 'cycle', q.seqcycle,
           -- the column that owns it: serial ('a'), identity ('i')
           'owner', (SELECT json_build_object('schema', on_.nspname, 'table', oc.relname,
                                              'column', a.attname, 'identity', d.deptype = 'i')
                       FROM pg_depend d
                       JOIN pg_class oc ON oc.oid = d.refobjid
                       JOIN pg_namespace on_ ON on_.oid = oc.relnamespace
                       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                      LIMIT 1))::text
  FROM pg_class c
  JOIN pg_sequence q ON q.seqrelid = c.oid
  JOIN schemas s ON s.oid = c.relnamespace
 WHERE c.relkind = 'S'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
