-- The user-defined types the columns of the relations $1 use, arrays followed to their
-- element types, with what it takes to make each on the proxy: enums can be copied there;
-- for the others the result names the extension that provides the type, if any.
WITH RECURSIVE used(oid) AS (
    SELECT a.atttypid
      FROM pg_attribute a
     WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
    UNION
    SELECT t.typelem
      FROM used u
      JOIN pg_type t ON t.oid = u.oid
     WHERE t.typcategory = 'A' AND t.typelem <> 0
)
SELECT n.nspname AS schema,
       t.typname AS name,
       t.typtype::text AS kind,
       format_type(t.oid, NULL) AS qualified,
       (SELECT e.extname::text
          FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
         WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
           AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e') AS extension,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
  FROM used u
  JOIN pg_type t ON t.oid = u.oid
  JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND t.typcategory <> 'A'
 ORDER BY 1, 2
