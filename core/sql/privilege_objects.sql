-- The objects of a migration whose privileges travel with it: its schemas ($1) and, in them,
-- tables, views, sequences, columns with privileges of their own, functions, procedures,
-- aggregates and types, plus the database itself. Extension members are left out (the
-- extension brings its own), and so is the sentinel table ($2), which pghandoff makes on
-- each side. Names are SQL-ready and schema-qualified (run with search_path = ''), so that
-- they match across servers and go straight into GRANT statements. acltype is the kind
-- acldefault() knows; linked marks sequences that belong to a column (their owner follows
-- the table's). One pass over each catalog: thousands of tables must not cost a query each.
-- This is the WITH clause only: privileges_catalog.go appends what it reads of the objects.
WITH scope AS (
    SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY ($1::text[])
), members AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
), objects AS (
    SELECT 'database'::text AS kind, d.oid, format('%I', d.datname) AS name, ''::text AS sub, 'd'::"char" AS acltype,
           d.datdba AS owner, d.datacl AS acl, false AS linked, ''::text AS schema
      FROM pg_database d WHERE d.datname = current_database()
    UNION ALL
    SELECT 'schema', n.oid, format('%I', n.nspname), '', 'n', n.nspowner, n.nspacl, false, n.nspname
      FROM pg_namespace n JOIN scope s ON s.oid = n.oid
    UNION ALL
    SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                          WHEN 'f' THEN 'foreign table' ELSE 'table' END,
           c.oid, format('%I.%I', s.nspname, c.relname), '', CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char",
           c.relowner, c.relacl,
           c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
               AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')),
           s.nspname
      FROM pg_class c JOIN scope s ON s.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.oid IS DISTINCT FROM to_regclass($2)
       AND NOT EXISTS (SELECT 1 FROM members e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
    UNION ALL
    SELECT 'column', c.oid, format('%I.%I', s.nspname, c.relname), format('%I', a.attname), 'c', c.relowner, a.attacl, false, s.nspname
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN scope s ON s.oid = c.relnamespace
     WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND NOT EXISTS (SELECT 1 FROM members e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
           p.oid, format('%I.%I(%s)', s.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), '', 'f',
           p.proowner, p.proacl, false, s.nspname
      FROM pg_proc p JOIN scope s ON s.oid = p.pronamespace
     WHERE NOT EXISTS (SELECT 1 FROM members e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, t.oid, format('%I.%I', s.nspname, t.typname), '', 'T',
           t.typowner, t.typacl, false, s.nspname
      FROM pg_type t JOIN scope s ON s.oid = t.typnamespace
     WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r')
       AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
       AND NOT EXISTS (SELECT 1 FROM pg_type a WHERE a.typarray = t.oid)
       AND NOT EXISTS (SELECT 1 FROM members e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
)
