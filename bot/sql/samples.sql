-- name: sample_insert
INSERT INTO pghandoff_bot.lag_samples (migration, at, lag_bytes, lag_seconds, state)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING;

-- name: sample_recent
SELECT at, lag_bytes, lag_seconds, state FROM (
    SELECT * FROM pghandoff_bot.lag_samples WHERE migration = $1 ORDER BY at DESC LIMIT $2
) s ORDER BY at;

-- name: sample_prune
DELETE FROM pghandoff_bot.lag_samples WHERE at < $1;
