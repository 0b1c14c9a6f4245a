-- name: audit_insert
INSERT INTO pghandoff_bot.audit (at, team_id, user_id, command, migration, result, detail, channel)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id;

-- name: audit_finish
UPDATE pghandoff_bot.audit SET result = $2, detail = $3 WHERE id = $1;

-- name: audit_message
UPDATE pghandoff_bot.audit SET channel = $2, message_ts = $3, link = $4 WHERE id = $1;

-- name: audit_list
SELECT id, at, team_id, user_id, command, migration, result, detail, channel, message_ts, link
FROM pghandoff_bot.audit
WHERE $1 = '' OR migration = $1
ORDER BY at DESC, id DESC
LIMIT $2;
