package core

import (
	"context"
	"fmt"
	"time"
)

// turnaround turns replication around at the switch, inside the pause: the replication from
// the source into the target stops, and replication back, from the target to the source,
// starts exactly at the switch. Cutover --failsafe turns the primary → replica subscription
// into the failsafe; rollback turns the failsafe back into it.
//
// PostgreSQL 15, which the old primary typically runs, cannot keep a change from coming back
// to where it came from (origin = none needs 16 on both sides), so the two directions never
// run at once: the one into the target stops first, then every change it applied is flushed
// and the slot of the way back is moved past them, to the target's WAL position. Every
// change the application makes on the target after the switch lies after it.
type turnaround struct {
	// subscription is, on the target, the replication from the source: stopped here.
	subscription string
	// slot is, on the target, the replication slot of the way back: moved here. It was made
	// before the pause (creating a slot waits for running transactions).
	slot string
	// record is a table of the helper schema on the target: the write into it is what makes
	// the flush reach the WAL (a transaction that writes nothing is not flushed).
	record string

	startLSN string // where the slot was moved: the switch, on the target
	stopped  bool   // the subscription was disabled
	undoErr  error  // enabling it again, after an abort, failed
}

// stop disables the subscription into the target, ends its worker, flushes the target's WAL
// and moves the way back's slot to it.
func (t *turnaround) stop(ctx context.Context, p *pause) error {
	if t == nil {
		return nil
	}
	target := p.target
	t.stopped = true
	if err := p.r.exec(ctx, target, "ALTER SUBSCRIPTION "+ident(t.subscription)+" DISABLE", ""); err != nil {
		return err
	}
	// A disabled subscription's worker notices on its next wakeup; ending it is immediate and
	// safe (it resumes from its origin's position when enabled again).
	workers := fmt.Sprintf(`SELECT count(pg_terminate_backend(w.pid)) FROM pg_stat_subscription w
		JOIN pg_subscription s ON s.oid = w.subid JOIN pg_database d ON d.oid = s.subdbid
		WHERE s.subname = %s AND d.datname = current_database() AND w.pid IS NOT NULL`, literal(t.subscription))
	if _, err := p.r.queryInt(ctx, target, workers); err != nil {
		return err
	}
	if err := t.waitWorkersGone(ctx, p); err != nil {
		return err
	}
	// A synchronous commit that writes WAL flushes everything the worker applied before it.
	write := "INSERT INTO " + t.record + " (start_lsn) VALUES (pg_current_wal_insert_lsn())"
	if err := p.r.batch(ctx, target, []string{"BEGIN", p.statementTimeout(), "SET LOCAL synchronous_commit = on", write, "COMMIT"}); err != nil {
		rollback(target)
		return err
	}
	lsn, err := p.r.queryText(ctx, target, advanceSlotSQL(t.slot))
	t.startLSN = lsn
	return err
}

// turnaroundTable records, on the target, each turnaround's switch point: where the slot of
// the way back must start (settle.go checks it before subscribing to that slot).
func (m Migration) turnaroundTable() string { return ident(m.helperSchema(), "turnaround") }

// turnaroundRecordDDL makes the record table on the target, empty: a row in it is then this
// pause's, and a slot moved past it was moved by this pause.
func turnaroundRecordDDL(m Migration) []string {
	return []string{
		"CREATE TABLE IF NOT EXISTS " + m.turnaroundTable() + " (at timestamptz NOT NULL DEFAULT clock_timestamp(), start_lsn pg_lsn NOT NULL)",
		"DELETE FROM " + m.turnaroundTable(),
	}
}

// advanceSlotSQL moves a slot to the server's flushed WAL position.
func advanceSlotSQL(slot string) string {
	return fmt.Sprintf("SELECT end_lsn::text FROM pg_replication_slot_advance(%s, pg_current_wal_flush_lsn())", literal(slot))
}

func (t *turnaround) waitWorkersGone(ctx context.Context, p *pause) error {
	if p.dryRun {
		return nil
	}
	for {
		var n int
		err := p.target.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_subscription w JOIN pg_subscription s ON s.oid = w.subid
			JOIN pg_database d ON d.oid = s.subdbid WHERE s.subname = $1 AND d.datname = current_database() AND w.pid IS NOT NULL`,
			t.subscription).Scan(&n)
		if err != nil {
			return fmt.Errorf("%s: read subscription workers: %w", p.target.role, err)
		}
		if n == 0 {
			return nil
		}
		if err := sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
}

// undo enables the subscription into the target again after a pause that did not switch:
// traffic stayed on the source, which must go on replicating into the target. A failure is
// kept in undoErr for the caller to record.
func (t *turnaround) undo(p *pause) {
	if t == nil || !t.stopped || p.dryRun {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.undoErr = p.r.exec(ctx, p.target, "ALTER SUBSCRIPTION "+ident(t.subscription)+" ENABLE", "")
	if t.undoErr == nil {
		t.stopped = false
	}
}
