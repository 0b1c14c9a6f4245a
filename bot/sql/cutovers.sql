-- name: cutover_insert
INSERT INTO pghandoff_bot.cutovers (migration, at, pause_ms, switched, audit_id)
VALUES ($1, $2, $3, $4, $5);

-- name: cutover_last
SELECT DISTINCT ON (migration) migration, at, pause_ms, switched
FROM pghandoff_bot.cutovers
ORDER BY migration, at DESC, id DESC;
