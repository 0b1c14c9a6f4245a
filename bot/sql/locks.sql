-- name: lock_take
-- Takes the lock when free, expired, or already the taker's (which extends it).
INSERT INTO pghandoff_bot.locks (migration, holder, team_id, reason, since, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (migration) DO UPDATE
SET holder = excluded.holder, team_id = excluded.team_id, reason = excluded.reason,
    since = CASE WHEN pghandoff_bot.locks.holder = excluded.holder AND pghandoff_bot.locks.expires_at > excluded.since
                 THEN pghandoff_bot.locks.since ELSE excluded.since END,
    expires_at = excluded.expires_at
WHERE pghandoff_bot.locks.holder = excluded.holder OR pghandoff_bot.locks.expires_at <= excluded.since
RETURNING migration;

-- name: lock_get
SELECT migration, holder, team_id, reason, since, expires_at
FROM pghandoff_bot.locks WHERE migration = $1 AND expires_at > $2;

-- name: lock_release
-- Releases the lock; $2 = '' forces it whoever holds it.
DELETE FROM pghandoff_bot.locks WHERE migration = $1 AND ($2 = '' OR holder = $2)
RETURNING holder;
