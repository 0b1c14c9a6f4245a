package core

import (
	"context"
	"fmt"
)

// walLevelRemedy is how to turn on logical decoding where people host PostgreSQL.
const walLevelRemedy = "set wal_level = logical on the primary and restart it. " +
	"Amazon RDS and Aurora: set rds.logical_replication = 1 in the DB (cluster) parameter group and reboot the instance (it takes a while to apply). " +
	"Google Cloud SQL: set the cloudsql.logical_decoding flag to on. " +
	"Neon: enable logical replication in the project settings. " +
	"Self-hosted: ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL. " +
	"Heroku Postgres does not offer logical replication at all"

// minPrimaryMajor: publish_via_partition_root and the slot's WAL safety columns need 13.
const minPrimaryMajor = 13

func checkWalLevel(ctx context.Context, primary *server) error {
	var level string
	if err := primary.conn.QueryRow(ctx, "SELECT current_setting('wal_level')").Scan(&level); err != nil {
		return fmt.Errorf("primary: read wal_level: %w", err)
	}
	if level != "logical" {
		return refused(remedy(walLevelRemedy), "the primary's wal_level is %s, and logical replication needs logical", level)
	}
	return nil
}

func checkPrimaryVersion(primary *server) error {
	if primary.major() < minPrimaryMajor {
		return refused(remedy("upgrade the primary to PostgreSQL 13 or newer first"),
			"the primary runs PostgreSQL %s; pghandoff needs %d or newer", primary.versionString(), minPrimaryMajor)
	}
	return nil
}
