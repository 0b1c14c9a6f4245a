-- name: schema
-- The bot's state, shared by every replica: created on start, only ever added to.
CREATE SCHEMA IF NOT EXISTS pghandoff_bot;

-- Every command: who, what, which migration, when, the result, the Slack message.
CREATE TABLE IF NOT EXISTS pghandoff_bot.audit (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    team_id    text NOT NULL,
    user_id    text NOT NULL,
    command    text NOT NULL,
    migration  text NOT NULL DEFAULT '',
    result     text NOT NULL, -- running, ok, failed, denied, refused, pending, cancelled, expired
    detail     text NOT NULL DEFAULT '',
    channel    text NOT NULL DEFAULT '',
    message_ts text NOT NULL DEFAULT '',
    link       text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_migration_at ON pghandoff_bot.audit (migration, at DESC);

-- Destructive commands waiting for their button. The state moves from pending exactly once.
CREATE TABLE IF NOT EXISTS pghandoff_bot.approvals (
    id            text PRIMARY KEY,
    migration     text NOT NULL,
    command       text NOT NULL,
    args          jsonb NOT NULL,
    requester     text NOT NULL,
    team_id       text NOT NULL,
    channel       text NOT NULL,
    message_ts    text NOT NULL DEFAULT '',
    second_person boolean NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'pending', -- pending, approved, cancelled, expired
    decided_by    text NOT NULL DEFAULT '',
    decided_at    timestamptz,
    audit_id      bigint NOT NULL
);

-- Report schedules, one per migration and channel. An empty spec is a schedule turned off
-- from Slack, kept so that a restart does not bring back the config's.
CREATE TABLE IF NOT EXISTS pghandoff_bot.schedules (
    migration  text NOT NULL,
    channel    text NOT NULL,
    spec       text NOT NULL,
    timezone   text NOT NULL,
    source     text NOT NULL, -- config or slack
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (migration, channel)
);

-- One row per report posted: two replicas firing the same schedule post it once.
CREATE TABLE IF NOT EXISTS pghandoff_bot.report_runs (
    migration text NOT NULL,
    channel   text NOT NULL,
    slot      timestamptz NOT NULL,
    posted_at timestamptz NOT NULL,
    PRIMARY KEY (migration, channel, slot)
);

-- Alert incidents: at most one open per migration and kind.
CREATE TABLE IF NOT EXISTS pghandoff_bot.incidents (
    id         bigserial PRIMARY KEY,
    migration  text NOT NULL,
    kind       text NOT NULL,
    detail     text NOT NULL,
    channel    text NOT NULL,
    message_ts text NOT NULL DEFAULT '',
    opened_at  timestamptz NOT NULL,
    cleared_at timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS incidents_open ON pghandoff_bot.incidents (migration, kind) WHERE cleared_at IS NULL;

-- ChatOps locks: a person reserves a migration; others' mutating commands are refused.
CREATE TABLE IF NOT EXISTS pghandoff_bot.locks (
    migration  text PRIMARY KEY,
    holder     text NOT NULL,
    team_id    text NOT NULL,
    reason     text NOT NULL,
    since      timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Lag over time, for the trend and the ETA of reports.
CREATE TABLE IF NOT EXISTS pghandoff_bot.lag_samples (
    migration   text NOT NULL,
    at          timestamptz NOT NULL,
    lag_bytes   bigint,
    lag_seconds double precision,
    state       text NOT NULL,
    PRIMARY KEY (migration, at)
);

-- Every cutover the bot ran that held writes, switched or rolled back: /metrics reports the
-- last one's pause on every replica, and after a restart.
CREATE TABLE IF NOT EXISTS pghandoff_bot.cutovers (
    id        bigserial PRIMARY KEY,
    migration text NOT NULL,
    at        timestamptz NOT NULL,
    pause_ms  double precision NOT NULL,
    switched  boolean NOT NULL,
    audit_id  bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS cutovers_migration_at ON pghandoff_bot.cutovers (migration, at DESC);
