-- name: approval_insert
INSERT INTO pghandoff_bot.approvals (id, migration, command, args, requester, team_id, channel,
    second_person, created_at, expires_at, audit_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: approval_message
UPDATE pghandoff_bot.approvals SET message_ts = $2 WHERE id = $1;

-- name: approval_get
SELECT id, migration, command, args, requester, team_id, channel, message_ts, second_person,
       created_at, expires_at, state, decided_by, decided_at, audit_id
FROM pghandoff_bot.approvals WHERE id = $1;

-- name: approval_decide
-- Moves a pending, unexpired approval to its decision, once: a replayed click finds nothing.
UPDATE pghandoff_bot.approvals SET state = $2, decided_by = $3, decided_at = $4
WHERE id = $1 AND state = 'pending' AND expires_at > $4
RETURNING id;

-- name: approval_expire
UPDATE pghandoff_bot.approvals SET state = 'expired', decided_at = $2
WHERE id = $1 AND state = 'pending' AND expires_at <= $2
RETURNING id;

-- name: approval_overdue
SELECT id FROM pghandoff_bot.approvals WHERE state = 'pending' AND expires_at <= $1;
