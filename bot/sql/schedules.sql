-- name: schedule_seed
-- The config's schedules, unless set or turned off from Slack since.
INSERT INTO pghandoff_bot.schedules (migration, channel, spec, timezone, source, updated_at)
VALUES ($1, $2, $3, $4, 'config', $5)
ON CONFLICT (migration, channel) DO UPDATE
SET spec = excluded.spec, timezone = excluded.timezone, updated_at = excluded.updated_at
WHERE pghandoff_bot.schedules.source = 'config';

-- name: schedule_set
INSERT INTO pghandoff_bot.schedules (migration, channel, spec, timezone, source, updated_by, updated_at)
VALUES ($1, $2, $3, $4, 'slack', $5, $6)
ON CONFLICT (migration, channel) DO UPDATE
SET spec = excluded.spec, timezone = excluded.timezone, source = 'slack',
    updated_by = excluded.updated_by, updated_at = excluded.updated_at;

-- name: schedule_list
SELECT migration, channel, spec, timezone, source, updated_by, updated_at
FROM pghandoff_bot.schedules ORDER BY migration, channel;

-- name: report_claim
-- Inside a transaction holding the run's advisory lock: the first replica inserts the run.
INSERT INTO pghandoff_bot.report_runs (migration, channel, slot, posted_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
RETURNING slot;

-- name: report_prune
DELETE FROM pghandoff_bot.report_runs WHERE slot < $1;
