-- Per-table synchronisation state of the migration's subscription on the replica.
SELECT n.nspname, c.relname, sr.srsubstate::text
  FROM pg_subscription_rel sr
  JOIN pg_subscription s ON s.oid = sr.srsubid
  JOIN pg_database d ON d.oid = s.subdbid AND d.datname = current_database()
  JOIN pg_class c ON c.oid = sr.srrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE s.subname = $1
 ORDER BY 1, 2
