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
	phase, err := readPhase(ctx, c.primary, c.opts.Migration)
	if err != nil {
		return nil, err
	}
	st.Phase, st.PhaseAt = phase.Phase, phase.At
	s := c.forward()
	if phase.onReplica() && phase.Failsafe {
		s = c.failsafe()
	}
	st.Direction = s.direction()
	ss, err := readStream(ctx, s)
	if err != nil {
		return nil, err
	}
	if !ss.exists() && !s.back {
		st.State, st.Direction = StateNotSetUp, ""
		st.Reasons = []string{fmt.Sprintf("migration %s is not set up: run setup", name)}
		return st, nil
	}
	if ss.publication {
		st.Publication = &PublicationStatus{Name: s.name, Tables: ss.published}
	}
	for _, read := range []func(context.Context, *Status, stream, streamState) error{c.readSlot, c.readSubscription} {
		if err := read(ctx, st, s, ss); err != nil {
			return nil, err
		}
	}
	if !s.back {
		if err := c.checkDrift(ctx, st); err != nil {
			return nil, err
		}
	}
	if err := c.sentinelRoundTrip(ctx, st, s); err != nil {
		return nil, err
	}
	if err := c.checkBypass(ctx, st, phase); err != nil {
		return nil, err
	}
	judge(st, s, ss, phase)
	return st, nil
}

// checkBypass reports, loudly, writes the old primary took after the switch.
func (c *statusChecker) checkBypass(ctx context.Context, st *Status, phase PhaseRecord) error {
	if !phase.onReplica() {
		return nil
	}
	writes, err := readBypassWrites(ctx, c.primary, c.opts.Migration)
	if err != nil || len(writes) == 0 {
		return err
	}
	st.BypassWrites = writes
	st.Warnings = append(st.Warnings, bypassWarning("old primary", writes, phase.Failsafe))
	return nil
}

// checkDrift compares the replica's definitions with the primary's (status_schema.go), and
// warns about tables of the migration's schemas that the publication lacks: tables created
// on the primary after setup, whose rows are not replicated.
func (c *statusChecker) checkDrift(ctx context.Context, st *Status) error {
	pst, err := readPrimaryState(ctx, c.primary, c.opts.Migration)
	if err != nil || !pst.publication {
		return err
	}
	if err := c.checkSchema(ctx, st, pst); err != nil {
		return err
	}
	all, err := listTables(ctx, c.primary)
	if err != nil {
		return err
	}
	plan := planTables(all, Selection{Schemas: pst.meta.Schemas, ExcludeTables: pst.meta.ExcludeTables}, c.opts.sentinel())
	var missing []TableName
	for _, t := range plan.publish {
		if !slices.Contains(pst.published, t.TableName) && !st.Schema.lacks(t.TableName) {
			missing = append(missing, t.TableName)
		}
	}
	if len(missing) > 0 {
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d table(s) on the primary are not replicated (created after setup?): %s; run setup again to add them",
			len(missing), tableList(firstN(missing, 10))))
	}
	return nil
}
