-- name: incident_open
-- Opens an incident unless one of this kind is open: only the first check posts the alert.
INSERT INTO pghandoff_bot.incidents (migration, kind, detail, channel, opened_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (migration, kind) WHERE cleared_at IS NULL DO NOTHING
RETURNING id;

-- name: incident_message
UPDATE pghandoff_bot.incidents SET message_ts = $2 WHERE id = $1;

-- name: incident_open_list
SELECT id, kind, detail, channel, message_ts, opened_at
FROM pghandoff_bot.incidents WHERE migration = $1 AND cleared_at IS NULL;

-- name: incident_clear
UPDATE pghandoff_bot.incidents SET cleared_at = $2
WHERE id = $1 AND cleared_at IS NULL
RETURNING id;
