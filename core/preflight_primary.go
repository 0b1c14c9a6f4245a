package core

import (
	"context"
	"errors"
	"fmt"
)

// primaryChecks run against the primary, in order.
var primaryChecks = []func(context.Context, *preflight) error{
	checkPrimaryVersionStep, checkWalLevelStep, checkSlots, checkWalSenders, checkReplicationRole,
	checkOwnership, checkReadable, checkIdentities, checkSkippedTables, checkLargeObjects,
	checkGeneratedColumns, checkRowSecurity, checkSlotWALLimit, checkPgDumpStep, checkNameFree,
}

func checkPrimaryVersionStep(_ context.Context, p *preflight) error {
	if err := checkPrimaryVersion(p.primary); err != nil {
		p.add("primary version", CheckFail, err.Error(), Hint(err))
	} else {
		p.pass("primary version", "PostgreSQL "+p.primary.versionString())
	}
	return nil
}

func checkWalLevelStep(ctx context.Context, p *preflight) error {
	err := checkWalLevel(ctx, p.primary)
	switch {
	case errors.Is(err, ErrRefused):
		p.add("wal_level", CheckFail, err.Error(), Hint(err))
	case err != nil:
		return err
	default:
		p.pass("wal_level", "logical")
	}
	return nil
}

// A migration needs one slot and one WAL sender for its subscription, and as many again for
// the table synchronisation workers of the initial copy (two by default).
const slotsWanted = 3

func checkSlots(ctx context.Context, p *preflight) error {
	var max, used int
	err := p.primary.conn.QueryRow(ctx, `SELECT current_setting('max_replication_slots')::int,
		(SELECT count(*) FROM pg_replication_slots)::int`).Scan(&max, &used)
	if err != nil {
		return fmt.Errorf("primary: read replication slots: %w", err)
	}
	p.freeCheck("replication slots", max-used, max, "max_replication_slots")
	return nil
}

func checkWalSenders(ctx context.Context, p *preflight) error {
	var max, used int
	err := p.primary.conn.QueryRow(ctx, `SELECT current_setting('max_wal_senders')::int,
		(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender')::int`).Scan(&max, &used)
	if err != nil {
		return fmt.Errorf("primary: read WAL senders: %w", err)
	}
	p.freeCheck("WAL senders", max-used, max, "max_wal_senders")
	return nil
}

func (p *preflight) freeCheck(name string, free, max int, setting string) {
	detail := fmt.Sprintf("%d of %d free", free, max)
	remedy := remedyf("raise %s on the primary (it needs a restart) or free some", setting)
	switch {
	case free < 1:
		p.add(name, CheckFail, detail, remedy)
	case free < slotsWanted:
		p.add(name, CheckWarn, detail+fmt.Sprintf("; %d let the initial copy run tables in parallel", slotsWanted), remedy)
	default:
		p.pass(name, detail)
	}
}

func checkReplicationRole(ctx context.Context, p *preflight) error {
	var ok bool
	err := p.primary.conn.QueryRow(ctx, `SELECT rolsuper OR rolreplication
		OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication') AND pg_has_role(current_user, 'rds_replication', 'MEMBER'))
		FROM pg_roles WHERE rolname = current_user`).Scan(&ok)
	if err != nil {
		return fmt.Errorf("primary: read role attributes: %w", err)
	}
	if ok {
		p.pass("replication privilege", p.opts.Primary.User()+" may replicate")
	} else {
		p.add("replication privilege", CheckFail, p.opts.Primary.User()+" has neither REPLICATION nor superuser nor rds_replication",
			remedyf("ALTER ROLE %s REPLICATION (on RDS/Aurora: GRANT rds_replication TO %[1]s)", ident(p.opts.Primary.User())))
	}
	return nil
}

// checkOwnership: CREATE PUBLICATION ... FOR TABLE, and REPLICA IDENTITY, need the owner.
func checkOwnership(ctx context.Context, p *preflight) error {
	bad, err := p.tablesWhere(ctx, `NOT pg_has_role((SELECT relowner FROM pg_class WHERE oid = t::regclass), 'USAGE')`)
	if err != nil {
		return err
	}
	p.passOrFail("table ownership", bad, CheckFail, "the primary's user owns every table to publish",
		"tables the primary's user does not own (publishing them needs the owner)",
		remedy("connect as the tables' owner, or GRANT the owning role to the migration user"))
	return nil
}

func checkReadable(ctx context.Context, p *preflight) error {
	bad, err := p.tablesWhere(ctx, `NOT has_table_privilege(t::regclass, 'SELECT')`)
	if err != nil {
		return err
	}
	p.passOrFail("read access", bad, CheckFail, "every table to publish is readable",
		"tables the primary's user cannot read (the initial copy would fail)", remedy("GRANT SELECT on them to the migration user"))
	return nil
}

// tablesWhere lists the tables to publish for which cond (over t, the quoted name) holds.
func (p *preflight) tablesWhere(ctx context.Context, cond string) ([]string, error) {
	bad, err := tablesMatching(ctx, p.primary, catalogNames(p.tables.publish), cond)
	return names(bad), err
}

func checkIdentities(_ context.Context, p *preflight) error {
	status, fix := CheckFail, remedy("add a primary key, exclude them with ", OptExcludeTables, ", or opt in to ", OptReplicaIdentityFull)
	if p.opts.ReplicaIdentityFull {
		status, fix = CheckWarn, remedyf("setup will set REPLICA IDENTITY FULL on them: UPDATE and DELETE then log whole old rows")
	}
	p.passOrFail("replica identity", names(p.tables.noIdentity), status, "every table to publish has a primary key or replica identity",
		"tables without a primary key or replica identity (UPDATE and DELETE on them would fail once published)", fix)
	return nil
}

func checkSkippedTables(_ context.Context, p *preflight) error {
	var skipped []string
	for _, t := range p.tables.skipped {
		if t.Reason != "excluded" {
			skipped = append(skipped, t.String())
		}
	}
	p.passOrFail("unlogged and temporary tables", skipped, CheckWarn, "none",
		"skipped, their rows will not reach the replica", remedy("make them logged (ALTER TABLE ... SET LOGGED) if their data must move"))
	return nil
}

func checkLargeObjects(ctx context.Context, p *preflight) error {
	var n int64
	if err := p.primary.conn.QueryRow(ctx, `SELECT count(*) FROM pg_largeobject_metadata`).Scan(&n); err != nil {
		return fmt.Errorf("primary: count large objects: %w", err)
	}
	if n > 0 {
		p.add("large objects", CheckWarn, fmt.Sprintf("%d large objects: logical replication does not carry them", n),
			remedy("copy them separately with pg_dump (its large-objects option) after cutover, or move them into bytea columns"))
	} else {
		p.pass("large objects", "none")
	}
	return nil
}

func checkGeneratedColumns(_ context.Context, p *preflight) error {
	var gen []string
	for _, t := range p.tables.publish {
		if t.HasGenerated {
			gen = append(gen, t.String())
		}
	}
	if len(gen) > 0 {
		p.pass("generated columns", fmt.Sprintf("the replica computes them itself: %v", firstN(gen, 20)))
	} else {
		p.pass("generated columns", "none")
	}
	return nil
}

func checkRowSecurity(_ context.Context, p *preflight) error {
	var hidden []string
	for _, t := range p.tables.publish {
		if t.RLSHidesRows {
			hidden = append(hidden, t.String())
		}
	}
	p.passOrFail("row-level security", hidden, CheckFail, "no table hides rows from the primary's user",
		"tables whose row-level security policies hide rows from the primary's user (they would copy incomplete)",
		remedy("give the migration user BYPASSRLS, or run the migration as the tables' owner"))
	return nil
}

func checkSlotWALLimit(ctx context.Context, p *preflight) error {
	var limitMB, dbSize int64
	err := p.primary.conn.QueryRow(ctx, `SELECT (SELECT setting::bigint FROM pg_settings WHERE name = 'max_slot_wal_keep_size'),
		pg_database_size(current_database())`).Scan(&limitMB, &dbSize)
	if err != nil {
		return fmt.Errorf("primary: read max_slot_wal_keep_size: %w", err)
	}
	switch {
	case limitMB < 0:
		p.add("max_slot_wal_keep_size", CheckWarn, "unlimited: if the replica stops, the slot keeps WAL until the primary's disk fills",
			remedy("set max_slot_wal_keep_size to what the primary's disk can hold, and watch status while replicating"))
	case limitMB*1024*1024 < dbSize:
		p.add("max_slot_wal_keep_size", CheckWarn, fmt.Sprintf("%d MB, less than the database (%d MB): a long initial copy could lose its slot", limitMB, dbSize>>20),
			remedy("raise max_slot_wal_keep_size above the WAL written during the initial copy"))
	default:
		p.pass("max_slot_wal_keep_size", fmt.Sprintf("%d MB", limitMB))
	}
	return nil
}

func checkPgDumpStep(ctx context.Context, p *preflight) error {
	_, line, err := checkPgDump(ctx, p.opts.PgDump, p.primary)
	p.res.PgDumpVersion = line
	if err != nil {
		p.add("pg_dump", CheckFail, err.Error(), Hint(err))
	} else {
		p.pass("pg_dump", line)
	}
	return nil
}

func checkNameFree(ctx context.Context, p *preflight) error {
	st, err := readPrimaryState(ctx, p.primary, p.opts.Migration)
	if err != nil {
		return err
	}
	switch {
	case st.slotElsewhere != "":
		p.add("migration name", CheckFail, fmt.Sprintf("a replication slot %s exists for database %s", p.opts.name(), st.slotElsewhere),
			remedy("choose another ", OptName))
	case st.publication || st.slot != nil:
		p.pass("migration name", fmt.Sprintf("migration %s is already (partly) set up: setup will resume it", p.opts.name()))
	default:
		p.pass("migration name", p.opts.name()+" is free")
	}
	return nil
}
