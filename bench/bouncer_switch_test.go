package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pghandoff/pghandoff/core"
)

// switchFigures is what one switch through PgBouncer measured.
type switchFigures struct {
	PauseMS     float64 // PAUSE asked → RESUME answered: how long new transactions were held
	DrainMS     float64 // of which PAUSE waiting for the transactions in flight
	CatchUpMS   float64 // of which the sentinel's trip to the replica
	SequencesMS float64 // of which reading the primary's sequences and setting the replica's
	RepointMS   float64 // of which the watchdog's write, RELOAD and SHOW DATABASES
	ResumeMS    float64 // of which RESUME
	Waiting     int     // the most clients seen queued behind the pause
	PrimaryLSN  string
	SentinelLSN string
}

// sequenceMargin is how far past the primary's value every sequence of the replica is set,
// for writers that reach the primary without PgBouncer (the cutover's default).
const sequenceMargin = 1000

// switchOver is the whole switch by hand, as the cutover strategy will do it: a watchdog
// that PAUSEs (bounded by maxPause), the sentinel written on the primary and awaited on the
// replica, the replica's sequences set from the primary's exact values plus the margin,
// the entry repointed through the watchdog (write, RELOAD, confirm), RESUME. On any failure
// the watchdog releases the pause with the entry where it was.
func (mv *bouncerMove) switchOver(ctx context.Context, maxPause time.Duration) (f switchFigures, err error) {
	primary, err := pgx.Connect(ctx, mv.m.Primary.ConnInfo())
	if err != nil {
		return f, err
	}
	defer primary.Close(context.Background())
	replica, err := pgx.Connect(ctx, mv.m.Replica.ConnInfo())
	if err != nil {
		return f, err
	}
	defer replica.Close(context.Background())
	w, err := core.StartBouncerWatchdog(ctx, watchdogCommand(), core.BouncerWatchdogOptions{
		Admin: mv.admin, Database: mv.pdb, File: mv.bouncer.Include, Limit: maxPause + 5*time.Second})
	if err != nil {
		return f, err
	}
	defer w.Kill()
	stopSampling, err := mv.sampleWaiting(ctx, &f.Waiting)
	if err != nil {
		return f, err
	}
	start := time.Now()
	defer func() { f.PauseMS = ms(time.Since(start)) }()
	if err := mv.pauseSteps(ctx, start.Add(maxPause), primary, replica, w, &f); err != nil {
		stopSampling()
		if release := w.Release(context.WithoutCancel(ctx)); release != nil {
			err = errors.Join(err, fmt.Errorf("release: %w", release))
		}
		return f, err
	}
	step := time.Now()
	err = w.Release(ctx)
	f.ResumeMS = ms(time.Since(step))
	stopSampling()
	return f, err
}

// pauseSteps runs the steps between PAUSE and RESUME, each timed.
func (mv *bouncerMove) pauseSteps(ctx context.Context, deadline time.Time, primary, replica *pgx.Conn, w *core.BouncerWatchdog, f *switchFigures) error {
	step := time.Now()
	pauseCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if err := w.Pause(pauseCtx); err != nil {
		return fmt.Errorf("pause: %w", err)
	}
	f.DrainMS, step = ms(time.Since(step)), time.Now()
	if err := mv.sentinel(pauseCtx, primary, replica, f); err != nil {
		return err
	}
	f.CatchUpMS, step = ms(time.Since(step)), time.Now()
	if err := setSequences(pauseCtx, primary, replica); err != nil {
		return err
	}
	f.SequencesMS, step = ms(time.Since(step)), time.Now()
	if err := w.Repoint(pauseCtx, mv.toReplica); err != nil {
		return fmt.Errorf("repoint: %w (%s)", err, core.Hint(err))
	}
	f.RepointMS = ms(time.Since(step))
	return nil
}

// sentinel writes a row on the primary, committed synchronously (the walsender sends only
// flushed WAL), and waits until the replica has it: everything committed before it, which is
// everything the application committed before the pause, has then been applied.
func (mv *bouncerMove) sentinel(ctx context.Context, primary, replica *pgx.Conn, f *switchFigures) error {
	table := pgx.Identifier{"public", mv.m.Name}.Sanitize()
	ts := time.Now().UnixMicro()
	if err := primary.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&f.PrimaryLSN); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	batch.Queue("SET LOCAL synchronous_commit = on")
	batch.Queue("INSERT INTO "+table+" (ts, status) VALUES ($1, 'pgbouncer spike')", ts)
	batch.Queue("COMMIT")
	batch.Queue("SELECT pg_current_wal_lsn()::text").QueryRow(func(row pgx.Row) error { return row.Scan(&f.SentinelLSN) })
	if err := primary.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("primary: sentinel: %w", err)
	}
	for {
		var arrived bool
		if err := replica.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+" WHERE ts = $1)", ts).Scan(&arrived); err != nil {
			return fmt.Errorf("replica: sentinel: %w", err)
		}
		if arrived {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the sentinel did not reach the replica in time: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// setSequences sets every sequence of the replica to the primary's value plus the margin,
// never backwards.
func setSequences(ctx context.Context, primary, replica *pgx.Conn) error {
	rows, err := primary.Query(ctx, `SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences WHERE last_value IS NOT NULL`)
	if err != nil {
		return err
	}
	values, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		Name  string
		Value int64
	}])
	if err != nil {
		return fmt.Errorf("primary: read sequences: %w", err)
	}
	batch := &pgx.Batch{}
	for _, v := range values {
		batch.Queue(`SELECT setval($1::text::regclass, greatest($2::bigint, (SELECT coalesce(last_value, 1) FROM pg_sequences WHERE format('%I.%I', schemaname, sequencename) = $1::text)))`,
			v.Name, v.Value+sequenceMargin)
	}
	if err := replica.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("replica: set sequences: %w", err)
	}
	return nil
}

// sampleWaiting records the most clients queued on the entry, every 5 ms on an admin
// connection of its own, until the returned function is called.
func (mv *bouncerMove) sampleWaiting(ctx context.Context, most *int) (func(), error) {
	b, err := core.OpenBouncer(ctx, mv.admin)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer b.Close()
		for ctx.Err() == nil {
			if c, err := b.Clients(ctx, mv.pdb); err == nil && c.Waiting > *most {
				*most = c.Waiting
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() { cancel(); <-done }, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
