-- A fingerprint of the catalog rows that the comparison of definitions (schema_snapshot.sql)
-- reads: how many there are and which transactions last wrote them. Every DDL writes some of
-- them, so an unchanged fingerprint means unchanged definitions. It is a plain scan of the
-- catalogs, without the deparsing (format_type, pg_get_expr, pg_get_indexdef) that makes the
-- comparison cost about 0.6 ms a table, and 2 s on a new connection to 1,000 tables. System
-- schemas and temporary objects are left out: the application's temporary tables are not a
-- change of schema. A freeze by vacuum changes it too, which costs one comparison.
WITH ns AS (
    SELECT oid, xmin FROM pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_)'
), rels AS (
    SELECT c.oid, c.xmin FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
), written AS (
    SELECT xmin FROM ns
    UNION ALL SELECT xmin FROM rels
    UNION ALL SELECT a.xmin FROM pg_attribute a JOIN rels r ON r.oid = a.attrelid
    UNION ALL SELECT d.xmin FROM pg_attrdef d JOIN rels r ON r.oid = d.adrelid
    UNION ALL SELECT i.xmin FROM pg_index i JOIN rels r ON r.oid = i.indrelid
    UNION ALL SELECT k.xmin FROM pg_constraint k JOIN ns ON ns.oid = k.connamespace
    UNION ALL SELECT t.xmin FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    UNION ALL SELECT xmin FROM pg_enum
    UNION ALL SELECT xmin FROM pg_inherits
    UNION ALL SELECT xmin FROM pg_sequence
    UNION ALL SELECT xmin FROM pg_depend WHERE deptype IN ('a', 'i', 'e')
)
SELECT count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text FROM written
