package core

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/slot_status.sql
var slotStatusSQL string

//go:embed sql/subscription_tables.sql
var subscriptionTablesSQL string

// StatusOptions configures GetStatus and Wait.
type StatusOptions struct {
	Migration
	MaxLag          int64         // lag in bytes under which the migration is ready; DefaultMaxLag when 0
	SentinelTimeout time.Duration // how long to wait for the sentinel row; 5s when 0
	NoSentinel      bool          // do not write a sentinel row to the primary
	Observer
}

func (o StatusOptions) maxLag() int64 {
	if o.MaxLag <= 0 {
		return DefaultMaxLag
	}
	return o.MaxLag
}

func (o StatusOptions) sentinelTimeout() time.Duration {
	if o.SentinelTimeout <= 0 {
		return 5 * time.Second
	}
	return o.SentinelTimeout
}

// GetStatus reports on a migration's replication: per-table state, lag, a sentinel round
// trip, slot safety, schema drift, and a verdict with its reasons.
func GetStatus(ctx context.Context, opts StatusOptions) (*Status, error) {
	c, err := newStatusChecker(ctx, opts, "status")
	if err != nil {
		return nil, err
	}
	defer c.close()
	return c.check(ctx)
}

// statusChecker keeps its connections between checks, for Wait's polling.
type statusChecker struct {
	opts             StatusOptions
	primary, replica *server
}

func newStatusChecker(ctx context.Context, opts StatusOptions, operation string) (*statusChecker, error) {
	if err := opts.require(true, true, false); err != nil {
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
	st := &Status{Name: name, CheckedAt: time.Now().UTC(), MaxLagBytes: c.opts.maxLag(), TableCounts: map[string]int{},
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

// sentinelRoundTrip writes a row to the sentinel table on the primary and times its arrival
// on the replica: proof that replication delivers writes now, not only that it is connected.
func (c *statusChecker) sentinelRoundTrip(ctx context.Context, st *Status) error {
	if c.opts.NoSentinel || st.Subscription == nil || !st.Subscription.WorkerRunning || !tableReady(st, c.opts.sentinel()) {
		return nil
	}
	sentinel := c.opts.sentinel().String()
	ts := time.Now().UnixMicro()
	start := time.Now()
	// The walsender sends only flushed WAL: on a primary with synchronous_commit off the row
	// would wait for the WAL writer (up to wal_writer_delay), and the round trip would measure
	// that instead of replication.
	err := pgx.BeginFunc(ctx, c.primary.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = on"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (ts, status) VALUES ($1, 'pghandoff status') ON CONFLICT (ts) DO NOTHING`, sentinel), ts)
		return err
	})
	if err != nil {
		return fmt.Errorf("primary: write sentinel row: %w", err)
	}
	deadline := time.Now().Add(c.opts.sentinelTimeout())
	for {
		arrived, err := c.replica.exists(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s WHERE ts = $1)`, sentinel), ts)
		if err != nil {
			return fmt.Errorf("replica: read sentinel row: %w", err)
		}
		if arrived {
			ms := float64(time.Since(start).Microseconds()) / 1000
			st.SentinelMS = &ms
			break
		}
		if time.Now().After(deadline) {
			st.Reasons = append(st.Reasons, fmt.Sprintf("a sentinel row written to the primary did not reach the replica within %s", c.opts.sentinelTimeout()))
			break
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
	// Keep the sentinel table small: rows older than an hour have served their purpose.
	_, err = c.primary.conn.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE ts < $1`, sentinel), ts-int64(time.Hour/time.Microsecond))
	if err != nil {
		return fmt.Errorf("primary: prune sentinel rows: %w", err)
	}
	return nil
}

func tableReady(st *Status, t TableName) bool {
	return slices.ContainsFunc(st.Tables, func(s TableState) bool { return s.TableName == t && s.State == "ready" })
}

// judge sets the verdict from what the checks found.
func judge(st *Status, pst primaryState) {
	broken := func(format string, args ...any) {
		st.Reasons = append(st.Reasons, fmt.Sprintf(format, args...))
		st.State = StateBroken
	}
	// A late sentinel alone means catching up: under a backlog it waits its turn.
	st.State = StateCatchingUp
	switch {
	case !pst.publication:
		broken("the publication %s is missing on the primary: run setup again", st.Name)
	case st.Slot == nil:
		broken("the replication slot %s is missing on the primary: run setup again", st.Name)
	case st.Slot.WALStatus == "lost":
		broken("the primary has removed WAL the slot needed (wal_status lost): replication cannot resume; tear down and set up again")
	case st.Slot.WALStatus == "unreserved":
		st.Warnings = append(st.Warnings, "the slot's WAL is no longer reserved (wal_status unreserved): the primary will drop it at the next checkpoint unless the replica catches up; raise max_slot_wal_keep_size")
	}
	switch {
	case st.Subscription == nil:
		broken("the subscription %s is missing on the replica: run setup again", st.Name)
	case !st.Subscription.Enabled:
		broken("the subscription %s is disabled on the replica: ALTER SUBSCRIPTION %s ENABLE, or run setup again", st.Name, ident(st.Name))
	case !st.Subscription.WorkerRunning:
		broken("the replica's apply worker for %s is not running: check the replica's log for errors", st.Name)
	}
	notReady := len(st.Tables) - st.TableCounts["ready"]
	if st.Subscription != nil && notReady > 0 {
		st.Reasons = append(st.Reasons, fmt.Sprintf("%d of %d tables are not replicating yet (initial copy)", notReady, len(st.Tables)))
	}
	if st.Subscription != nil && len(st.Tables) == 0 {
		st.Reasons = append(st.Reasons, "the subscription has no tables yet")
	}
	if st.LagBytes != nil && *st.LagBytes > st.MaxLagBytes {
		st.Reasons = append(st.Reasons, fmt.Sprintf("lag is %d bytes, above the %d allowed", *st.LagBytes, st.MaxLagBytes))
	}
	if len(st.Reasons) == 0 {
		st.State, st.Ready = StateReady, true
	}
}
