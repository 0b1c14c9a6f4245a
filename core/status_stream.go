package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// stream is the direction of replication a status judges: forward, from the primary to the
// replica, until a failsafe switch; back, from the replica to the old primary, after it.
type stream struct {
	name     string  // of its publication, slot and subscription
	source   *server // publishes, and holds the slot
	target   *server // subscribes
	back     bool    // the failsafe
	settleBy Command // what puts a missing piece back
}

func (c *statusChecker) forward() stream {
	return stream{name: c.opts.name(), source: c.primary, target: c.replica, settleBy: CmdSetup}
}

func (c *statusChecker) failsafe() stream {
	return stream{name: c.opts.failsafeName(), source: c.replica, target: c.primary, back: true, settleBy: CmdCutover}
}

// direction says where the stream carries changes, for people.
func (s stream) direction() string {
	if s.back {
		return "replica → old primary (failsafe)"
	}
	return "primary → replica"
}

// streamState is what exists of a stream: its publication on the source, with the tables it
// publishes, its slot there, and its subscription on the target.
type streamState struct {
	publication  bool
	published    int
	slot         *slotState
	subscription *subscriptionState
}

func (st streamState) exists() bool {
	return st.publication || st.slot != nil || st.subscription != nil
}

func readStream(ctx context.Context, s stream) (streamState, error) {
	var st streamState
	err := s.source.conn.QueryRow(ctx, `SELECT count(pr.prrelid) FROM pg_publication p
		LEFT JOIN pg_publication_rel pr ON pr.prpubid = p.oid WHERE p.pubname = $1 GROUP BY p.oid`, s.name).Scan(&st.published)
	switch {
	case err == nil:
		st.publication = true
	case !errors.Is(err, pgx.ErrNoRows):
		return st, fmt.Errorf("%s: read publication %s: %w", s.source.role, s.name, err)
	}
	var slot slotState
	err = s.source.conn.QueryRow(ctx, `SELECT active, coalesce(database, ''), coalesce(plugin, '')
		FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()`, s.name).Scan(&slot.active, &slot.database, &slot.plugin)
	switch {
	case err == nil:
		st.slot = &slot
	case !errors.Is(err, pgx.ErrNoRows):
		return st, fmt.Errorf("%s: read replication slot %s: %w", s.source.role, s.name, err)
	}
	var sub subscriptionState
	err = s.target.conn.QueryRow(ctx, `SELECT s.oid::int8, s.subenabled, s.subpublications, s.subslotname
		FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid
		WHERE s.subname = $1 AND d.datname = current_database()`, s.name).Scan(&sub.oid, &sub.enabled, &sub.publications, &sub.slotName)
	switch {
	case err == nil:
		st.subscription = &sub
	case !errors.Is(err, pgx.ErrNoRows):
		return st, fmt.Errorf("%s: read subscription %s: %w", s.target.role, s.name, err)
	}
	return st, nil
}

// readSlot reads the stream's slot on its source: WAL safety and how far the subscriber is.
func (c *statusChecker) readSlot(ctx context.Context, st *Status, s stream, ss streamState) error {
	if ss.slot == nil {
		return nil
	}
	slot := &SlotStatus{Name: s.name}
	var lag int64
	err := s.source.conn.QueryRow(ctx, slotStatusSQL, s.name).Scan(&slot.Active, &slot.WALStatus,
		&slot.SafeWALSizeBytes, &st.SourceLSN, &slot.ConfirmedFlushLSN, &lag, &st.LagSeconds)
	if err != nil {
		return fmt.Errorf("%s: read slot %s: %w", s.source.role, s.name, err)
	}
	st.Slot, st.LagBytes = slot, &lag
	if st.LagSeconds == nil && slot.Active {
		zero := 0.0 // the walsender reports no lag once the subscriber has been idle and caught up
		st.LagSeconds = &zero
	}
	return nil
}

// readSubscription reads the stream's subscription on its target: its worker, and each
// table's synchronisation state.
func (c *statusChecker) readSubscription(ctx context.Context, st *Status, s stream, ss streamState) error {
	if ss.subscription == nil {
		return nil
	}
	sub := &SubscriptionStatus{Name: s.name, Enabled: ss.subscription.enabled, Attached: ss.subscription.slotName != nil}
	errorCounts := "NULL::int8, NULL::int8"
	if s.target.major() >= 15 {
		errorCounts = `(SELECT apply_error_count FROM pg_stat_subscription_stats WHERE subid = $1),
			(SELECT sync_error_count FROM pg_stat_subscription_stats WHERE subid = $1)`
	}
	err := s.target.conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE relid IS NULL) > 0, count(*) FILTER (WHERE relid IS NOT NULL)::int,
		current_setting('max_sync_workers_per_subscription')::int, `+errorCounts+`
		FROM pg_stat_subscription WHERE subid = $1 AND pid IS NOT NULL`, ss.subscription.oid).
		Scan(&sub.WorkerRunning, &sub.Copying, &sub.MaxCopying, &sub.ApplyErrors, &sub.SyncErrors)
	if err != nil {
		return fmt.Errorf("%s: read subscription workers: %w", s.target.role, err)
	}
	st.Subscription = sub
	rows, err := s.target.conn.Query(ctx, subscriptionTablesSQL, s.name)
	if err != nil {
		return fmt.Errorf("%s: read table states: %w", s.target.role, err)
	}
	return forEachRow(rows, func(row pgx.CollectableRow) error {
		var t TableState
		var code string
		if err := row.Scan(&t.Schema, &t.Name, &code); err != nil {
			return err
		}
		if t.State = tableStates[code]; t.State == "" {
			t.State = "unknown"
		}
		st.Tables = append(st.Tables, t)
		st.TableCounts[t.State]++
		return nil
	})
}
