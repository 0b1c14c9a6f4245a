package core

import (
	"context"
	"fmt"
	"slices"
)

// The failsafe in a cutover: what is made before the pause (see failsafe.go for why).

// prepareFailsafe checks that the failsafe can work, then makes, on the replica, its
// publication and a slot of its own (a slot left by an earlier attempt is never reused: it
// does not start at this switch), and the turnaround that the pause runs.
func (c *cutover) prepareFailsafe(ctx context.Context) (*turnaround, error) {
	if !c.failsafe {
		return nil, nil
	}
	m := c.opts.Migration
	name := m.failsafeName()
	pst, err := readPrimaryState(ctx, c.primary, m)
	if err != nil {
		return nil, err
	}
	if len(slices.DeleteFunc(slices.Clone(pst.published), func(t TableName) bool { return t == m.sentinel() })) == 0 {
		return nil, refused(remedy("run ", CmdSetup, " first"), "the migration publishes no tables for the failsafe to carry back")
	}
	if err := c.checkFailsafe(ctx, pst); err != nil {
		return nil, err
	}
	fs, err := readFailsafeState(ctx, c.primary, c.replica, m)
	if err != nil {
		return nil, err
	}
	switch {
	case fs.subscription != nil:
		return nil, refused(remedy("run ", Run(CmdProxyRemove, OptPrimary, OptReplica), " to remove the old failsafe, or drop that subscription, then cut over again"),
			"the primary already has a subscription %s", name)
	case fs.slot != nil && fs.slot.database != c.opts.Replica.Database():
		return nil, refused(remedy("choose another ", OptName, ": slot names are shared by every database of a server"),
			"the replica has a replication slot %s for database %s", name, fs.slot.database)
	}
	if _, err := dropFailsafeOnReplica(ctx, c.r, c.replica, m, fs); err != nil {
		return nil, err
	}
	if err := ensureHelperSchema(ctx, c.r, c.replica, m); err != nil {
		return nil, err
	}
	// The sentinel goes back too: rollback's pause and status's round trip write it on the
	// new primary and wait for it on the old one.
	steps := []string{
		fmt.Sprintf("CREATE PUBLICATION %s FOR TABLE %s WITH (publish_via_partition_root = true)", ident(name), tableList(pst.published)),
		fmt.Sprintf("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", literal(name)),
	}
	for _, sql := range append(steps, turnaroundRecordDDL(m)...) {
		if err := c.r.exec(ctx, c.replica, sql, ""); err != nil {
			return nil, err
		}
	}
	// Moving the slot now to the replica's position leaves the pause little WAL to decode
	// when it moves the slot to the switch.
	if _, err := c.r.queryText(ctx, c.replica, advanceSlotSQL(name)); err != nil {
		return nil, err
	}
	return &turnaround{subscription: m.name(), slot: name, record: m.turnaroundTable()}, nil
}

// checkFailsafe refuses, before anything changes, what would make the failsafe fail: a
// replica without logical decoding, a primary user that may not subscribe, and tables of the
// replica whose updates a publication would make fail. A table setup replicates with REPLICA
// IDENTITY FULL (it has no key) gets it on the replica too: the way back honours the choice.
func (c *cutover) checkFailsafe(ctx context.Context, pst primaryState) error {
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
	all, err := listTables(ctx, c.replica)
	if err != nil {
		return err
	}
	var noIdentity []TableName
	for _, t := range all {
		if t.HasIdentity || !slices.Contains(pst.published, t.TableName) {
			continue
		}
		if slices.Contains(pst.meta.ReplicaIdentityFull, t.TableName) {
			if err := c.r.exec(ctx, c.replica, fmt.Sprintf("ALTER TABLE %s REPLICA IDENTITY FULL", t.TableName), ""); err != nil {
				return err
			}
			continue
		}
		noIdentity = append(noIdentity, t.TableName)
	}
	if len(noIdentity) > 0 {
		return refused(remedy("add a primary key to those tables on the replica, or ALTER TABLE ... REPLICA IDENTITY FULL there, or cut over without ", OptFailsafe),
			"failsafe: %d table(s) have no replica identity on the replica, so publishing them would make their UPDATEs and DELETEs fail there: %s",
			len(noIdentity), tableList(firstN(noIdentity, 10)))
	}
	return nil
}
