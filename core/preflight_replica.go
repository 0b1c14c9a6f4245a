package core

import (
	"context"
	"fmt"
	"strings"
)

// replicaChecks run against the replica, in order; some compare it with the primary.
var replicaChecks = []func(context.Context, *preflight) error{
	checkReplicaVersion, checkSubscriptionRole, checkReplicaWorkers, checkInitialCopy, checkExtensions, checkReplicaTables, checkRoles,
	checkIndexBuilds, checkTransfer,
}

func checkReplicaVersion(_ context.Context, p *preflight) error {
	if p.primary != nil && p.replica.major() < p.primary.major() {
		p.add("replica version", CheckWarn, fmt.Sprintf("PostgreSQL %s is older than the primary's %s: the schema may not load",
			p.replica.versionString(), p.primary.versionString()), remedy("migrate to a replica at least as new as the primary"))
		return nil
	}
	p.pass("replica version", "PostgreSQL "+p.replica.versionString())
	return nil
}

func checkSubscriptionRole(ctx context.Context, p *preflight) error {
	query := `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`
	if p.replica.major() >= 16 {
		query = `SELECT rolsuper OR pg_has_role(current_user, 'pg_create_subscription', 'MEMBER') FROM pg_roles WHERE rolname = current_user`
	}
	var ok bool
	if err := p.replica.conn.QueryRow(ctx, query).Scan(&ok); err != nil {
		return fmt.Errorf("replica: read role attributes: %w", err)
	}
	if ok {
		p.pass("subscription privilege", p.opts.Replica.User()+" may create subscriptions")
	} else {
		p.add("subscription privilege", CheckFail, p.opts.Replica.User()+" may not create subscriptions",
			remedy("use a superuser on the replica, or on PostgreSQL 16+ GRANT pg_create_subscription (and CREATE on the database)"))
	}
	return nil
}

func checkReplicaWorkers(ctx context.Context, p *preflight) error {
	var workers, slots int
	err := p.replica.conn.QueryRow(ctx, `SELECT current_setting('max_logical_replication_workers')::int,
		current_setting('max_replication_slots')::int`).Scan(&workers, &slots)
	if err != nil {
		return fmt.Errorf("replica: read worker settings: %w", err)
	}
	switch {
	case workers < 1 || slots < 1:
		p.add("replica workers", CheckFail, fmt.Sprintf("max_logical_replication_workers %d, max_replication_slots %d", workers, slots),
			remedy("both must be at least 1 on the replica (replication origins use slots' settings); restart after changing them"))
	default:
		p.pass("replica workers", fmt.Sprintf("max_logical_replication_workers %d", workers))
	}
	return nil
}

func checkExtensions(ctx context.Context, p *preflight) error {
	if p.primary == nil {
		return nil
	}
	used, missing, err := missingExtensions(ctx, p.primary, p.replica)
	if err != nil {
		return err
	}
	ok := "none used"
	if len(used) > 0 {
		ok = "all available on the replica: " + strings.Join(used, ", ")
	}
	p.passOrFail("extensions", missing, CheckFail, ok, "used on the primary, not available on the replica",
		remedy("install them on the replica or ask its provider to allow them"))
	return nil
}

func checkReplicaTables(ctx context.Context, p *preflight) error {
	if p.primary == nil {
		return nil
	}
	rst, err := readReplicaState(ctx, p.replica, p.opts.Migration)
	if err != nil {
		return err
	}
	if rst.sentinel {
		p.pass("replica tables", "schema already imported by an earlier setup")
		return nil
	}
	found, err := existingTables(ctx, p.replica, catalogNames(p.tables.publish))
	if err != nil {
		return err
	}
	p.passOrFail("replica tables", names(found), CheckFail, "none of the tables exists yet on the replica",
		"already on the replica (the schema import would stop)", remedy("set up into an empty database, or drop them on the replica"))
	return nil
}
