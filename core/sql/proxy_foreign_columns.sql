-- The columns of the proxy's foreign tables of server $1 (outside the helper schema $2), as
-- proxy create and schema sync made them, in their order. Run with an empty search_path,
-- like the primary's columns they are compared with. A foreign table without columns comes
-- with one row of NULL column.
SELECT n.nspname::text AS schema,
       c.relname::text AS name,
       a.attname::text AS column_name,
       format_type(a.atttypid, a.atttypmod) AS type,
       coalesce(a.attnotnull, false) AS not_null,
       coalesce(a.attgenerated::text, '') AS generated,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr
  FROM pg_foreign_table ft
  JOIN pg_foreign_server s ON s.oid = ft.ftserver
  JOIN pg_class c ON c.oid = ft.ftrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE s.srvname = $1
   AND n.nspname <> $2
 ORDER BY 1, 2, a.attnum
