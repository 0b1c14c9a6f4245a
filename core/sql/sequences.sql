-- Every sequence of the user's schemas (identity sequences included, extension-owned ones
-- left out), with what moving it forward needs to know. Values are read separately, from
-- the sequences themselves, in one statement.
SELECT c.oid::int8 AS oid,
       n.nspname AS schema,
       c.relname AS name,
       format_type(s.seqtypid, NULL) AS type,
       s.seqincrement AS increment,
       s.seqmin AS min,
       s.seqmax AS max,
       s.seqcycle AS cycle,
       has_sequence_privilege(c.oid, 'SELECT') AS readable,
       has_sequence_privilege(c.oid, 'UPDATE') AS writable
  FROM pg_sequence s
  JOIN pg_class c ON c.oid = s.seqrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname !~ '^pg_(toast|temp_)'
   AND c.relpersistence = 'p'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 2, 3
