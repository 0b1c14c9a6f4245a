-- The column types of the published tables that PostgreSQL cannot send in binary: a type
-- without binary send or receive functions, or an array or domain over one. A binary initial
-- copy fails on the first such column. $1: the tables' quoted names.
SELECT DISTINCT format_type(ty.oid, NULL)
  FROM unnest($1::text[]) AS t(name)
  JOIN pg_attribute a ON a.attrelid = to_regclass(t.name) AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type ty ON ty.oid = a.atttypid
  LEFT JOIN pg_type inner_type ON inner_type.oid = coalesce(nullif(ty.typelem, 0), nullif(ty.typbasetype, 0))
 WHERE ty.typsend = 0 OR ty.typreceive = 0 OR inner_type.typsend = 0 OR inner_type.typreceive = 0
 ORDER BY 1
