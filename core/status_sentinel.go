package core

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// sentinelRoundTrip writes a row to the sentinel table on the stream's source and times its
// arrival on its target: proof that replication delivers writes now, not only that it is
// connected.
func (c *statusChecker) sentinelRoundTrip(ctx context.Context, st *Status, s stream) error {
	if c.opts.NoSentinel || st.Subscription == nil || !st.Subscription.WorkerRunning || !tableReady(st, c.opts.sentinel()) {
		return nil
	}
	took, arrived, ts, err := sentinelTrip(ctx, s.source, s.target, c.opts.Migration, "pghandoff status", c.opts.SentinelTimeout)
	if sqlState(err) == codeInsufficientPriv {
		// A watch-only role: report without the round trip rather than not at all.
		st.Warnings = append(st.Warnings, fmt.Sprintf("no sentinel round trip: the user may not write the sentinel table on the %s (GRANT INSERT, DELETE on %s)", s.source.role, c.opts.sentinel()))
		return nil
	}
	if err != nil {
		return err
	}
	if arrived {
		ms := float64(took.Microseconds()) / 1000
		st.SentinelMS = &ms
	} else {
		st.Reasons = append(st.Reasons, fmt.Sprintf("a sentinel row written to the %s did not reach the %s within %s", s.source.role, s.target.role, c.opts.SentinelTimeout))
	}
	// Keep the sentinel table small: rows older than an hour have served their purpose.
	_, err = s.source.conn.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE ts < $1`, c.opts.sentinel()), ts-int64(time.Hour/time.Microsecond))
	if err != nil {
		return fmt.Errorf("%s: prune sentinel rows: %w", s.source.role, err)
	}
	return nil
}

// sentinelTrip writes a row to the migration's sentinel table on source, and waits up to
// timeout for it on target: once there, the target has applied everything source committed
// before it. It reports how long that took, whether it arrived, and the row's key.
func sentinelTrip(ctx context.Context, source, target *server, m Migration, note string, timeout time.Duration) (time.Duration, bool, int64, error) {
	sentinel := m.sentinel().String()
	ts := time.Now().UnixMicro()
	start := time.Now()
	// The walsender sends only flushed WAL: on a primary with synchronous_commit off the row
	// would wait for the WAL writer (up to wal_writer_delay), and the round trip would measure
	// that instead of replication.
	err := pgx.BeginFunc(ctx, source.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = on"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (ts, status) VALUES ($1, $2) ON CONFLICT (ts) DO NOTHING`, sentinel), ts, note)
		return err
	})
	if err != nil {
		return 0, false, ts, fmt.Errorf("%s: write sentinel row: %w", source.role, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		arrived, err := target.exists(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s WHERE ts = $1)`, sentinel), ts)
		switch {
		case err != nil:
			return 0, false, ts, fmt.Errorf("%s: read sentinel row: %w", target.role, err)
		case arrived:
			return time.Since(start), true, ts, nil
		case time.Now().After(deadline):
			return time.Since(start), false, ts, nil
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return 0, false, ts, err
		}
	}
}

func tableReady(st *Status, t TableName) bool {
	return slices.ContainsFunc(st.Tables, func(s TableState) bool { return s.TableName == t && s.State == "ready" })
}
