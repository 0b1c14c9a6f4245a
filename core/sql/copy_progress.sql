-- The COPY each table synchronisation worker runs on the replica (PostgreSQL 14 and later):
-- rows and bytes received, and for how long its transaction has run.
SELECT n.nspname, c.relname, p.tuples_processed, p.bytes_processed,
       extract(epoch FROM clock_timestamp() - a.xact_start)::float8
  FROM pg_stat_progress_copy p
  JOIN pg_class c ON c.oid = p.relid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stat_activity a ON a.pid = p.pid
 WHERE p.datname = current_database()
