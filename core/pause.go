package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The pause: how traffic moves from one of the migration's servers to the other without
// losing a write. Cutover runs it from the primary to the replica, rollback from the replica
// back to the primary, through whichever traffic switch the application uses (the
// postgres_fdw proxy: pause_fdw.go; PgBouncer: pause_pgbouncer.go).
//
//  1. Hold: the switch stops new work and waits for the work in flight (for the proxy: an
//     ACCESS EXCLUSIVE lock on every foreign table, in one transaction; for PgBouncer: PAUSE).
//  2. Sentinel: a row written on the source server; once it is on the target, the target
//     has every write the source took before it, and no new one can reach the source.
//  3. Turnaround (with the failsafe): replication from the source to the target stops, and
//     replication back starts exactly here (pause_turnaround.go).
//  4. Sequences: every sequence on the target is set from the source's exact values plus a
//     margin, never backwards.
//  5. Repoint and release: the switch points at the target, and lets the held work go.
//
// The pause is bounded by its deadline (max pause) on both sides: every query pghandoff runs
// in it carries the deadline, and the switch enforces it on its own (the proxy: statement and
// idle timeouts on the switch's transaction; PgBouncer: a watchdog process that resumes), so
// that a pghandoff that dies, freezes or loses its network cannot hold the application
// longer. A sentinel that arrives after the deadline aborts. Whatever fails before the release leaves traffic where it was; a failure at or
// after the release is reported by reading where the switch points, never guessed.

// trafficSwitch is what the application's traffic goes through, as the pause drives it.
type trafficSwitch interface {
	// prepare readies the switch for an attempt before the pause's clock starts, nothing held
	// yet: everything taking hold needs that can be done without holding anything
	// (connections, statements, caches, a watchdog). The pause is for what cannot.
	prepare(ctx context.Context, p *pause) error
	// hold stops new work and waits for the work in flight, within the pause's deadline.
	// retry: it could not get hold in time (locks held by application transactions), and
	// has let everything go; a new attempt may succeed. On an error, it has let everything go.
	hold(ctx context.Context, p *pause, attempt int) (retry bool, err error)
	// repoint makes the held work go to the pause's target once released.
	repoint(ctx context.Context, p *pause) error
	// release lets the held work go. An error leaves the outcome unknown.
	release(ctx context.Context, p *pause) error
	// abort lets the held work go where it went before the pause, undoing repoint. An error
	// says it could not be sure of that: where traffic goes must then be read.
	abort(p *pause) error
	// waiting counts the application's statements held by the pause now.
	waiting(ctx context.Context) int
	// target reads where the switch sends traffic now, on a connection of its own: the
	// primary, the replica, or neither ("").
	target(ctx context.Context) (string, error)
}

// PauseReport is what a pause did, measured.
type PauseReport struct {
	// PauseMS is how long the application's statements were held: from asking for the
	// hold to the release (or the abort) of the last attempt.
	PauseMS float64 `json:"pause_ms"`
	// The pause's split, in the order of its steps; they add up to PauseMS.
	LockMS     float64 `json:"lock_ms"`     // taking hold (the proxy's locks)
	SentinelMS float64 `json:"sentinel_ms"` // writing the sentinel on the source and waiting for it on the target
	CatchUpMS  float64 `json:"catch_up_ms"` // of which waiting for it on the target
	// TurnaroundMS is turning replication around (with the failsafe).
	TurnaroundMS float64 `json:"turnaround_ms,omitempty"`
	// SequencesMS is reading the source's sequences (beyond the wait for the sentinel, during
	// which they are read) and setting the target's.
	SequencesMS float64 `json:"sequences_ms"`
	SwitchMS    float64 `json:"switch_ms"` // repointing the switch and releasing the held work
	// LockAttempts is how many times the pause took hold; RetriedMS the time spent in
	// earlier attempts that gave up and let everything go.
	LockAttempts int     `json:"lock_attempts"`
	RetriedMS    float64 `json:"retried_ms"`
	// WaitedStatements is the most application statements seen held: through PgBouncer, the
	// clients waiting for a server connection, each with the statement it sent.
	WaitedStatements int `json:"waited_statements"`
	// Strategy is what traffic switched through: StrategyProxy or StrategyPgBouncer.
	Strategy    string `json:"strategy"`
	Tables      int    `json:"tables"`       // foreign tables the proxy locked
	SourceLSN   string `json:"source_lsn"`   // the source's WAL position once held
	SentinelLSN string `json:"sentinel_lsn"` // the source's WAL position after the sentinel's commit
	TargetLSN   string `json:"target_lsn"`   // the target's WAL position at the switch
	SentinelTS  int64  `json:"sentinel_ts"`  // the sentinel row's key
	// Sequences are the target's sequences, set from the source's exact values plus the margin.
	Sequences        []SequenceSet `json:"sequences"`
	SequencesChanged int           `json:"sequences_changed"`
	AbortReason      string        `json:"abort_reason,omitempty"` // why it gave up, traffic unmoved
	// OutcomeUnknown: the release's answer was lost and where traffic goes could not be read
	// either. The next run reads it and settles.
	OutcomeUnknown bool `json:"outcome_unknown,omitempty"`
}

// ErrAborted: the pause gave up before the switch and let traffic go where it went before.
// Nothing was lost; the result's AbortReason says why.
var ErrAborted = errors.New("aborted: traffic stays where it was")

// errUnknownOutcome: the release was sent, but its answer did not arrive.
var errUnknownOutcome = errors.New("the switch's release was sent, but its outcome did not arrive")

// pause is one switch of traffic from source to target.
type pause struct {
	m                Migration
	sw               trafficSwitch
	source, target   *server
	targetDSN        DSN
	maxPause         time.Duration
	lockTimeout      time.Duration
	attempts         int
	margin           int64
	dryRun           bool
	r                *runner
	rep              *PauseReport
	sourceSeqs       []seqInfo // matched, in order, with targetSeqs
	targetSeqs       []seqInfo
	turn             *turnaround // nil: replication does not turn around at the switch
	deadline         time.Time   // of the attempt under way
	released         bool        // the release was sent
	sourceRole, role string      // the source's and target's roles, for messages
}

// run makes the pause, holding again after an attempt that could not get hold in time.
func (p *pause) run(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		p.rep.LockAttempts = attempt
		retry, err := p.attempt(ctx, attempt)
		if !retry {
			return err
		}
		if attempt == p.attempts {
			return p.abort("could not take hold of the traffic in %d attempts (lock timeout %s): long application transactions hold it",
				attempt, p.lockTimeout)
		}
		if err := sleep(ctx, time.Duration(attempt)*200*time.Millisecond); err != nil {
			return err
		}
	}
}

// ready prepares the switch for an attempt; a failure gives up, nothing held.
func (p *pause) ready(ctx context.Context) error {
	if err := p.sw.prepare(ctx, p); err != nil {
		return p.abortWith(err, "preparing the switch failed")
	}
	return nil
}

// attempt is one pause. Everything in it runs under the deadline.
func (p *pause) attempt(ctx context.Context, attempt int) (retry bool, err error) {
	if err := p.ready(ctx); err != nil {
		return false, err
	}
	start := time.Now()
	p.deadline = start.Add(p.maxPause)
	pctx, cancel := context.WithDeadline(ctx, p.deadline)
	defer cancel()
	defer func() { p.rep.PauseMS = ms(time.Since(start)) }()
	if retry, err := p.sw.hold(pctx, p, attempt); err != nil || retry {
		p.rep.RetriedMS += ms(time.Since(start))
		if err != nil {
			return false, p.abortWith(err, "taking hold of the traffic failed")
		}
		return true, nil
	}
	p.rep.LockMS = ms(time.Since(start))
	err = p.held(pctx)
	if err != nil && !p.released {
		if aerr := p.sw.abort(p); aerr != nil {
			// The switch may have sent traffic to the target after all: read, do not undo.
			p.released = true
			return false, fmt.Errorf("%w: %s; letting traffic go back failed: %w", errUnknownOutcome, err, aerr)
		}
		p.turn.undo(p)
		if !errors.Is(err, ErrAborted) {
			err = p.abortWith(err, "the pause failed")
		}
	}
	return false, err
}

// held runs the pause once the switch holds the traffic.
func (p *pause) held(ctx context.Context) error {
	lap := stopwatch()
	if err := p.writeSentinel(ctx); err != nil {
		return p.abortWith(err, "writing the sentinel on the %s failed", p.sourceRole)
	}
	// No write can reach the source now: read its sequences while the target catches up.
	seqsRead := make(chan error, 1)
	go func() { seqsRead <- readSequenceValues(ctx, p.source, p.sourceSeqs) }()
	if err := p.waitSentinel(ctx); err != nil {
		<-seqsRead
		return err
	}
	p.rep.SentinelMS = lap()
	if err := <-seqsRead; err != nil {
		return p.abortWith(err, "reading the %s's sequences failed", p.sourceRole)
	}
	p.rep.SequencesMS = lap()
	if err := p.turn.stop(ctx, p); err != nil {
		return p.abortWith(err, "the failsafe could not be started")
	}
	p.rep.TurnaroundMS = lap()
	if err := p.setSequences(ctx); err != nil {
		return p.abortWith(err, "setting the sequences failed")
	}
	p.rep.SequencesMS += lap()
	defer func() { p.rep.SwitchMS = lap() }()
	if err := p.sw.repoint(ctx, p); err != nil {
		return p.abortWith(err, "repointing the traffic failed")
	}
	p.countWaiting(ctx)
	if err := p.target.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&p.rep.TargetLSN); err != nil {
		return p.abortWith(err, "reading the target's WAL position failed")
	}
	if time.Now().After(p.deadline) {
		return p.abort("the pause reached its limit of %s before the switch", p.maxPause)
	}
	p.released = true
	if err := p.sw.release(ctx, p); err != nil {
		return fmt.Errorf("%w: %w", errUnknownOutcome, err)
	}
	return nil
}

// writeSentinel writes the sentinel row on the source. Everything the switch sent the source
// was committed before the hold was granted, so it all precedes this row.
func (p *pause) writeSentinel(ctx context.Context) error {
	if err := p.source.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&p.rep.SourceLSN); err != nil {
		return fmt.Errorf("%s: %w", p.source.role, err)
	}
	p.rep.SentinelTS = time.Now().UnixMicro()
	// Committed synchronously: the walsender sends only flushed WAL, and a server running
	// with synchronous_commit off would otherwise hold the sentinel back until its WAL
	// writer's next round. The statement carries the pause's deadline to the server.
	insert := fmt.Sprintf("INSERT INTO %s (ts, status) VALUES (%d, 'pghandoff %s')", p.m.sentinel(), p.rep.SentinelTS, p.r.op)
	if err := p.r.batch(ctx, p.source, []string{"BEGIN", p.statementTimeout(), "SET LOCAL synchronous_commit = on", insert, "COMMIT"}); err != nil {
		rollback(p.source)
		return err
	}
	if err := p.source.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&p.rep.SentinelLSN); err != nil {
		return fmt.Errorf("%s: %w", p.source.role, err)
	}
	return nil
}

// waitSentinel waits for the sentinel row on the target until the pause's deadline. A
// sentinel that arrives after it aborts all the same.
func (p *pause) waitSentinel(ctx context.Context) error {
	if p.dryRun {
		return nil
	}
	written := time.Now()
	query := fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE ts = $1)", p.m.sentinel())
	for i := 0; ; i++ {
		pctx, cancel := p.pollContext(ctx)
		arrived, err := p.target.exists(pctx, query, p.rep.SentinelTS)
		cancel()
		late := time.Now().After(p.deadline)
		switch {
		case err != nil && !late:
			return p.abortWith(err, "reading the sentinel on the %s failed", p.role)
		case arrived && !late:
			p.rep.CatchUpMS = ms(time.Since(written))
			p.r.note(ctx, p.role, "the %s applied the sentinel in %.1f ms: it has every write the %s took", p.role, p.rep.CatchUpMS, p.sourceRole)
			return nil
		case late:
			return p.abort("the %s had not applied a sentinel row %s after it was written to the %s, and the pause reached its limit of %s: replication is behind or stopped",
				p.role, time.Since(written).Round(time.Millisecond), p.sourceRole, p.maxPause)
		}
		if i%20 == 0 {
			p.countWaiting(ctx)
		}
		if err := sleep(ctx, time.Millisecond); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
}

// setSequences sets every sequence of the target from the source's values read during the
// pause, plus the margin, never backwards, in one round trip under the deadline.
func (p *pause) setSequences(ctx context.Context) error {
	sets, moves, err := planSequenceSets(p.sourceSeqs, p.targetSeqs, func(int) float64 { return float64(p.margin) })
	if err != nil {
		return err
	}
	p.rep.Sequences = sets
	for _, s := range sets {
		if s.Changed {
			p.rep.SequencesChanged++
		}
	}
	return moveSequences(ctx, p.r, p.target, moves, func() []string { return []string{"BEGIN", p.statementTimeout()} })
}

// statementTimeout bounds the next statements of a transaction by what is left of the pause,
// so that the servers stop them even if pghandoff cannot.
func (p *pause) statementTimeout() string {
	return fmt.Sprintf("SET LOCAL statement_timeout = %d", max(1, time.Until(p.deadline).Milliseconds()))
}

// countWaiting samples how many application statements the pause holds.
func (p *pause) countWaiting(ctx context.Context) {
	ctx, cancel := p.pollContext(ctx)
	defer cancel()
	if n := p.sw.waiting(ctx); n > p.rep.WaitedStatements {
		p.rep.WaitedStatements = n
	}
}

// pollContext bounds one of the pause's short reads by the deadline plus a second, not by the
// deadline itself: a query its context cuts short makes pgx close the connection, which the
// steps after an abort (settling replication) still need. The read ends in milliseconds; the
// deadline is checked after it.
func (p *pause) pollContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithDeadline(context.WithoutCancel(ctx), p.deadline.Add(time.Second))
}

// abort records why the pause gives up; the caller lets the traffic go.
func (p *pause) abort(format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	p.rep.AbortReason = reason
	p.r.warn(context.Background(), "", "giving up the pause: %s", reason)
	return withHint(fmt.Errorf("%w: %s", ErrAborted, reason),
		remedyf("traffic stayed on the %s, and nothing was lost. Check status, then try again", p.sourceRole))
}

// abortWith is abort for an error, with what was being done.
func (p *pause) abortWith(err error, format string, args ...any) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return p.abort("the pause reached its limit of %s: %s", p.maxPause, fmt.Sprintf(format, args...))
	}
	return p.abort("%s: %s", fmt.Sprintf(format, args...), redactErr(err, p.targetDSN))
}

// redactErr keeps an error about statements that carry dsn's password from showing it.
func redactErr(err error, dsn DSN) string {
	msg := err.Error()
	for _, s := range dsn.Secrets() {
		msg = strings.ReplaceAll(msg, s, "********")
	}
	return msg
}
