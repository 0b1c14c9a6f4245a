-- The migration's slot on the primary and how far its subscriber is behind. The apply
-- position the subscriber reports (pg_stat_replication.replay_lsn) is the truest lag; the
-- slot's confirmed_flush_lsn moves only with the subscriber's flush feedback and stands in
-- when no walsender is running.
SELECT s.active,
       coalesce(s.wal_status, '') AS wal_status,
       s.safe_wal_size,
       pg_current_wal_lsn()::text AS current_lsn,
       coalesce(s.confirmed_flush_lsn::text, '') AS confirmed_flush_lsn,
       pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(r.replay_lsn, s.confirmed_flush_lsn))::bigint AS lag_bytes,
       extract(epoch FROM r.replay_lag)::float8 AS lag_seconds
  FROM pg_replication_slots s
  LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
 WHERE s.slot_name = $1
