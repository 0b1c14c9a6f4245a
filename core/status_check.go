package core

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"time"
)

// The checks behind status, wait and cutover's readiness: one set of connections, checked
// as often as the caller wants.

//go:embed sql/slot_status.sql
var slotStatusSQL string

//go:embed sql/subscription_tables.sql
var subscriptionTablesSQL string

// statusChecker keeps its connections between checks, for Wait's polling.
type statusChecker struct {
	opts             StatusOptions
	primary, replica *server
}

func newStatusChecker(ctx context.Context, opts StatusOptions, operation string) (*statusChecker, error) {
	if err := opts.requireRoles(rolePrimary, roleReplica); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	primary, err := openServer(ctx, rolePrimary, opts.Primary, operation)
	if err != nil {
		return nil, err
	}
	replica, err := openServer(ctx, roleReplica, opts.Replica, operation)
	if err != nil {
		primary.close()
		return nil, err
	}
	return &statusChecker{opts: opts, primary: primary, replica: replica}, nil
}

func (c *statusChecker) close() {
	c.primary.close()
	c.replica.close()
}

func (c *statusChecker) check(ctx context.Context) (*Status, error) {
	name := c.opts.name()
	st := &Status{Name: name, CheckedAt: time.Now().UTC(), MaxLagBytes: c.opts.MaxLag, TableCounts: map[string]int{},
		Tables: []TableState{}, PrimaryVersion: c.primary.versionString(), ReplicaVersion: c.replica.versionString()}
	pst, err := readPrimaryState(ctx, c.primary, c.opts.Migration)
	if err != nil {
		return nil, err
	}
	rst, err := readReplicaState(ctx, c.replica, c.opts.Migration)
	if err != nil {
		return nil, err
	}
	if !pst.publication && pst.slot == nil && rst.subscription == nil {
		st.State = StateNotSetUp
		st.Reasons = []string{fmt.Sprintf("migration %s is not set up: run setup", name)}
		return st, nil
	}
	if pst.publication {
		st.Publication = &PublicationStatus{Name: name, Tables: len(pst.published)}
	}
	if err := c.readSlot(ctx, st, pst); err != nil {
		return nil, err
	}
	if err := c.readSubscription(ctx, st, rst); err != nil {
		return nil, err
	}
	if err := c.checkDrift(ctx, st, pst); err != nil {
		return nil, err
	}
	if err := c.sentinelRoundTrip(ctx, st); err != nil {
		return nil, err
	}
	judge(st, pst)
	return st, nil
}

func (c *statusChecker) readSlot(ctx context.Context, st *Status, pst primaryState) error {
	if pst.slot == nil {
		return nil
	}
	slot := &SlotStatus{Name: st.Name}
	var lag int64
	err := c.primary.conn.QueryRow(ctx, slotStatusSQL, st.Name).Scan(&slot.Active, &slot.WALStatus,
		&slot.SafeWALSizeBytes, &st.PrimaryLSN, &slot.ConfirmedFlushLSN, &lag, &st.LagSeconds)
	if err != nil {
		return fmt.Errorf("primary: read slot %s: %w", st.Name, err)
	}
	st.Slot, st.LagBytes = slot, &lag
	if st.LagSeconds == nil && slot.Active {
		zero := 0.0 // the walsender reports no lag once the subscriber has been idle and caught up
		st.LagSeconds = &zero
	}
	return nil
}

func (c *statusChecker) readSubscription(ctx context.Context, st *Status, rst replicaState) error {
	if rst.subscription == nil {
		return nil
	}
	sub := &SubscriptionStatus{Name: st.Name, Enabled: rst.subscription.enabled}
	err := c.replica.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_subscription
		WHERE subid = $1 AND relid IS NULL AND pid IS NOT NULL)`, rst.subscription.oid).Scan(&sub.WorkerRunning)
	if err != nil {
		return fmt.Errorf("replica: read subscription workers: %w", err)
	}
	st.Subscription = sub
	rows, err := c.replica.conn.Query(ctx, subscriptionTablesSQL, st.Name)
	if err != nil {
		return fmt.Errorf("replica: read table states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t TableState
		var code string
		if err := rows.Scan(&t.Schema, &t.Name, &code); err != nil {
			return err
		}
		if t.State = tableStates[code]; t.State == "" {
			t.State = "unknown"
		}
		st.Tables = append(st.Tables, t)
		st.TableCounts[t.State]++
	}
	return rows.Err()
}

// checkDrift warns about tables of the migration's schemas that the publication lacks:
// tables created on the primary after setup, whose rows are not replicated.
func (c *statusChecker) checkDrift(ctx context.Context, st *Status, pst primaryState) error {
	if !pst.publication {
		return nil
	}
	all, err := listTables(ctx, c.primary)
	if err != nil {
		return err
	}
	plan := planTables(all, Selection{Schemas: pst.meta.Schemas, ExcludeTables: pst.meta.ExcludeTables}, c.opts.sentinel())
	var missing []TableName
	for _, t := range plan.publish {
		if !slices.Contains(pst.published, t.TableName) {
			missing = append(missing, t.TableName)
		}
	}
	if len(missing) > 0 {
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d table(s) on the primary are not replicated (created after setup?): %s; run setup again to add them",
			len(missing), tableList(firstN(missing, 10))))
	}
	return nil
}
