package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The failsafe's three steps in a cutover (see failsafe.go for why they are these).

// prepareFailsafe checks that the failsafe can work, then creates its publication and slot
// on the replica, before the pause.
func (c *cutover) prepareFailsafe(ctx context.Context) error {
	if !c.opts.Failsafe {
		return nil
	}
	m := c.opts.Migration
	name := m.failsafeName()
	c.res.Failsafe = &FailsafeInfo{Publication: name, Slot: name, Subscription: name}
	if err := c.checkFailsafe(ctx); err != nil {
		return err
	}
	fs, err := readFailsafeState(ctx, c.primary, c.replica, m)
	if err != nil {
		return err
	}
	switch {
	case fs.subscription != nil:
		return refused(remedy("run ", Run(CmdProxyRemove, OptPrimary, OptReplica), " to remove the old failsafe, or drop that subscription, then cut over again"),
			"the primary already has a subscription %s", name)
	case fs.slot != nil && fs.slot.database != c.opts.Replica.Database():
		return refused(remedy("choose another ", OptName, ": slot names are shared by every database of a server"),
			"the replica has a replication slot %s for database %s", name, fs.slot.database)
	}
	pst, err := readPrimaryState(ctx, c.primary, m)
	if err != nil {
		return err
	}
	tables := slices.DeleteFunc(slices.Clone(pst.published), func(t TableName) bool { return t == m.sentinel() })
	if len(tables) == 0 {
		return refused(remedy("run setup first"), "the migration publishes no tables for the failsafe to carry back")
	}
	if err := ensureHelperSchema(ctx, c.r, c.replica, m); err != nil {
		return err
	}
	if !fs.publication {
		sql := fmt.Sprintf("CREATE PUBLICATION %s FOR TABLE %s WITH (publish_via_partition_root = true)", ident(name), tableList(tables))
		if err := c.r.exec(ctx, c.replica, sql, ""); err != nil {
			return err
		}
	}
	if fs.slot == nil {
		if err := c.r.exec(ctx, c.replica, fmt.Sprintf("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", literal(name)), ""); err != nil {
			return err
		}
	}
	// The switch is recorded in a table of the helper schema (created on the replica with the
	// sequence views): that write is what makes the switch's synchronous commit flush the WAL.
	if err := c.r.exec(ctx, c.replica, "CREATE TABLE IF NOT EXISTS "+c.switchTable()+" (at timestamptz NOT NULL DEFAULT now(), start_lsn pg_lsn)", ""); err != nil {
		return err
	}
	// Skipping ahead now, to what the forward subscription has applied so far, leaves the
	// pause little WAL to decode when it moves the slot to the switch.
	_, err = c.r.queryText(ctx, c.replica, c.advanceStatement())
	return err
}

func (c *cutover) switchTable() string { return ident(c.opts.helperSchema(), "failsafe_switch") }

func (c *cutover) advanceStatement() string {
	return fmt.Sprintf("SELECT end_lsn::text FROM pg_replication_slot_advance(%s, pg_current_wal_flush_lsn())", literal(c.opts.failsafeName()))
}

// checkFailsafe refuses, before anything changes, what would make the failsafe fail: a
// replica without logical decoding, a primary user that may not subscribe, and tables of the
// replica whose updates a publication would make fail.
func (c *cutover) checkFailsafe(ctx context.Context) error {
	if err := checkWalLevel(ctx, c.replica); err != nil {
		return withHint(fmt.Errorf("failsafe: the replica's wal_level must be logical: %w", err), remedy("set wal_level = logical on the replica, or cut over without ", OptFailsafe))
	}
	var canSubscribe bool
	err := c.primary.conn.QueryRow(ctx, `SELECT rolsuper OR (current_setting('server_version_num')::int >= 160000
		AND pg_has_role(current_user, 'pg_create_subscription', 'MEMBER')) FROM pg_roles WHERE rolname = current_user`).Scan(&canSubscribe)
	if err != nil {
		return fmt.Errorf("primary: read privileges: %w", err)
	}
	if !canSubscribe {
		return refused(remedy("use a superuser (on RDS, a member of rds_superuser) in the ", OptPrimary, " connection string, or cut over without ", OptFailsafe),
			"failsafe: the primary's user may not create subscriptions")
	}
	var noIdentity []TableName
	all, err := listTables(ctx, c.replica)
	if err != nil {
		return err
	}
	pst, err := readPrimaryState(ctx, c.primary, c.opts.Migration)
	if err != nil {
		return err
	}
	for _, t := range all {
		if !t.HasIdentity && slices.Contains(pst.published, t.TableName) {
			noIdentity = append(noIdentity, t.TableName)
		}
	}
	if len(noIdentity) > 0 {
		return refused(remedy("add a primary key to those tables on the replica, or ALTER TABLE ... REPLICA IDENTITY FULL there, or cut over without ", OptFailsafe),
			"failsafe: %d table(s) have no replica identity on the replica, so publishing them would make their UPDATEs and DELETEs fail there: %s",
			len(noIdentity), tableList(firstN(noIdentity, 10)))
	}
	return nil
}

// stopForward, in the pause, stops the primary → replica subscription and moves the failsafe
// slot to the replica's flushed WAL position: the exact switch point.
func (p *pauseRun) stopForward(ctx context.Context) error {
	c := p.c
	info := c.res.Failsafe
	name := ident(c.opts.name())
	if err := c.r.exec(ctx, c.replica, "ALTER SUBSCRIPTION "+name+" DISABLE", ""); err != nil {
		return err
	}
	// A disabled subscription's worker notices on its next wakeup; ending it is immediate
	// and safe (it resumes from its origin's position when enabled again).
	workers := fmt.Sprintf(`SELECT count(pg_terminate_backend(w.pid)) FROM pg_stat_subscription w
		JOIN pg_subscription s ON s.oid = w.subid JOIN pg_database d ON d.oid = s.subdbid
		WHERE s.subname = %s AND d.datname = current_database() AND w.pid IS NOT NULL`, literal(c.opts.name()))
	if _, err := c.r.queryInt(ctx, c.replica, workers); err != nil {
		return err
	}
	if err := p.waitWorkersGone(ctx); err != nil {
		return err
	}
	// A synchronous commit that writes WAL (a transaction that writes none is not flushed,
	// whatever synchronous_commit says) flushes everything the worker applied before it.
	record := "INSERT INTO " + c.switchTable() + " (start_lsn) VALUES (pg_current_wal_insert_lsn())"
	if err := c.r.batch(ctx, c.replica, []string{"BEGIN", "SET LOCAL synchronous_commit = on", record, "COMMIT"}); err != nil {
		rollback(c.replica)
		return err
	}
	lsn, err := c.r.queryText(ctx, c.replica, c.advanceStatement())
	if err != nil {
		return err
	}
	info.StartLSN, info.ForwardDisabled = lsn, !c.opts.DryRun
	return nil
}

func (p *pauseRun) waitWorkersGone(ctx context.Context) error {
	c := p.c
	if c.opts.DryRun {
		return nil
	}
	for {
		var n int
		err := c.replica.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_subscription w JOIN pg_subscription s ON s.oid = w.subid
			JOIN pg_database d ON d.oid = s.subdbid WHERE s.subname = $1 AND d.datname = current_database() AND w.pid IS NOT NULL`,
			c.opts.name()).Scan(&n)
		if err != nil {
			return fmt.Errorf("replica: read subscription workers: %w", err)
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(p.deadline) {
			return fmt.Errorf("the forward subscription's apply worker did not stop within the pause")
		}
		if err := sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
}

// finishFailsafe subscribes the old primary to the failsafe publication, after the switch.
// A cutover run again after a switch finishes it, if the switch prepared it.
func (c *cutover) finishFailsafe(ctx context.Context) error {
	m := c.opts.Migration
	name := m.failsafeName()
	if c.res.Failsafe == nil {
		c.res.Failsafe = &FailsafeInfo{Publication: name, Slot: name, Subscription: name}
	}
	info := c.res.Failsafe
	fs, err := readFailsafeState(ctx, c.primary, c.replica, m)
	if err != nil {
		return err
	}
	if fs.subscription != nil {
		info.Subscribed = true
		return nil
	}
	if !c.opts.DryRun && (fs.slot == nil || !fs.publication) {
		return refused(remedy("the failsafe must be set up by the cutover itself (", Run(CmdCutover, OptFailsafe), "), which alone knows the switch point: set up replication back with setup, copying data, instead"),
			"the replica has no failsafe slot and publication %s", name)
	}
	withOpts := []string{"create_slot = false", "slot_name = " + literal(name), "copy_data = false"}
	if c.primary.major() >= 14 && c.replica.major() >= 14 {
		withOpts = append(withOpts, "streaming = on")
	}
	format := "CREATE SUBSCRIPTION " + ident(name) + " CONNECTION %s PUBLICATION " + ident(name) + " WITH (" + strings.Join(withOpts, ", ") + ")"
	err = c.r.exec(ctx, c.primary, fmt.Sprintf(format, literal(c.opts.Replica.ConnInfo())), fmt.Sprintf(format, literal(c.opts.Replica.redactedConnInfo())))
	if err != nil {
		info.Error = redactErr(err, c.opts.Replica)
		return withHint(err, remedy("the switch is done; the failsafe subscription on the old primary is not: fix the cause (can the old primary reach the replica?), then run ", Run(CmdCutover, OptFailsafe), " again to finish it"))
	}
	info.Subscribed = !c.opts.DryRun
	return nil
}
