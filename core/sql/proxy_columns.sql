-- The columns of the relations $1, with what their foreign-table copies need: the type and
-- collation as the proxy must name them (run with an empty search_path, so every user object
-- comes out schema-qualified), the default expression, and the sequences behind serial,
-- identity and other nextval defaults.
SELECT a.attrelid::int8 AS relid,
       a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       a.attidentity::text AS identity,
       a.attgenerated::text AS generated,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN a.attcollation::regcollation::text END AS collation,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       -- An identity column's sequence depends on the column itself.
       (SELECT json_build_object('schema', sn.nspname, 'name', s.relname,
                                 'call', format('nextval(%L::regclass)', s.oid::regclass::text))
          FROM pg_depend dp
          JOIN pg_class s ON s.oid = dp.objid AND s.relkind = 'S'
          JOIN pg_namespace sn ON sn.oid = s.relnamespace
         WHERE dp.classid = 'pg_class'::regclass AND dp.refclassid = 'pg_class'::regclass
           AND dp.refobjid = a.attrelid AND dp.refobjsubid = a.attnum AND dp.deptype = 'i'
         LIMIT 1) AS identity_sequence,
       -- A default expression depends on every sequence it names with nextval('...'::regclass).
       coalesce((SELECT json_agg(json_build_object('schema', sn.nspname, 'name', s.relname,
                                 'call', format('nextval(%L::regclass)', s.oid::regclass::text)) ORDER BY sn.nspname, s.relname)
          FROM pg_depend dp
          JOIN pg_class s ON s.oid = dp.refobjid AND s.relkind = 'S'
          JOIN pg_namespace sn ON sn.oid = s.relnamespace
         WHERE dp.classid = 'pg_attrdef'::regclass AND dp.objid = d.oid AND dp.refclassid = 'pg_class'::regclass),
         '[]') AS default_sequences
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = ANY ($1::oid[])
   AND a.attnum > 0
   AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum
