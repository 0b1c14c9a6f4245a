package core

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// switcher is what cutover and rollback share: the primary and the replica, the migration's
// recorded phase, the traffic switch (the proxy or PgBouncer), and the steps around the pause.
type switcher struct {
	opts             SwitchOptions
	op               *operation
	primary, replica *server
	r                *runner
	sw               trafficStrategy
	phase            PhaseRecord
}

// trafficStrategy is a traffic switch as cutover and rollback drive it: the pause's
// trafficSwitch, and what the steps around the pause need of it.
type trafficStrategy interface {
	trafficSwitch
	// pointsAt is where the switch sent traffic when the operation began: the primary, the
	// replica, or "".
	pointsAt() string
	// role names the switch in events; name in sentences ("the proxy"); subject names the
	// object pghandoff repoints ("the proxy's foreign server x").
	role() string
	name() string
	subject() string
	// settled says what the switch put right of an earlier run before this one began.
	settled() []string
	// applicationRoles are the roles the application reaches the servers as through the
	// switch, which must work on the replica after it.
	applicationRoles(ctx context.Context) ([]string, error)
	close()
}

// beginSwitch starts operation name: it connects to the servers, takes the lock, and reads
// the phase and the traffic switch (the proxy's foreign server, or PgBouncer's entry, after
// resuming a pause an earlier run left).
func beginSwitch(ctx context.Context, name string, opts SwitchOptions) (*switcher, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if errs := opts.checkStrategy(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	roles := []string{rolePrimary, roleReplica, roleProxy}
	if opts.usesBouncer() {
		roles = roles[:2] // PgBouncer's admin console is not a PostgreSQL server
	}
	op, err := beginOperation(ctx, name, opts.Migration, opts.Execution, roles...)
	if err != nil {
		return nil, err
	}
	s := &switcher{opts: opts, op: op, primary: op.primary, replica: op.replica, r: op.r}
	if s.phase, err = readPhase(ctx, s.primary, opts.Migration); err == nil {
		s.sw, err = s.newStrategy(ctx, op)
	}
	if err != nil {
		op.close()
		return nil, err
	}
	return s, nil
}

// newStrategy builds the switch the migration's options name.
func (s *switcher) newStrategy(ctx context.Context, op *operation) (trafficStrategy, error) {
	if s.opts.usesBouncer() {
		return newBouncerSwitch(ctx, s.opts, s.r)
	}
	return newFDWSwitch(ctx, op.proxy, s.opts.Migration, s.r)
}

func (s *switcher) close() {
	if s.sw != nil {
		s.sw.close()
	}
	s.op.close()
}

// reconnect opens again the connections to the primary and the replica that the pause left
// closed, for what follows it, with the operation's timeouts.
func (s *switcher) reconnect(ctx context.Context) error {
	for _, srv := range []*server{s.primary, s.replica} {
		reopened, err := srv.reopen(ctx, s.r.op)
		if err == nil && reopened {
			err = s.r.prepare(ctx, srv)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// pointsAt is where the switch sends traffic, as read when the operation began.
func (s *switcher) pointsAt() string { return s.sw.pointsAt() }

// refuseNowhere refuses a switch that points at neither server: given is the option whose
// connection string must reach the server it points at.
func (s *switcher) refuseNowhere(given Option) error {
	return refused(remedy("check the ", given, " connection string: it must reach the server ", s.sw.name(), " points at"),
		"%s points at neither the primary nor the replica", s.sw.subject())
}

// readyGrace is how long a switch gives a replication that is catching up to be ready: the
// lag counts every database's WAL on the source, and a burst of writes elsewhere can lift it
// over the threshold for a moment. A broken replication is refused at once.
const readyGrace = 10 * time.Second

// checkReady refuses to start unless the replication the switch relies on is ready (the
// status follows the phase: forward before a failsafe switch, back after it). Under dry-run
// the check writes no sentinel row. It returns the status it started from.
func (s *switcher) checkReady(ctx context.Context, what Command) (*Status, error) {
	deadline := time.Now().Add(readyGrace)
	// The switch's own connections serve the checks: no new ones every 250 ms.
	opts, err := StatusOptions{Migration: s.opts.Migration, MaxLag: s.opts.MaxLag, NoSentinel: s.opts.DryRun,
		Observer: s.opts.Observer}.withDefaults()
	if err != nil {
		return nil, err
	}
	checker := &statusChecker{opts: opts, primary: s.primary, replica: s.replica}
	for {
		st, err := checker.check(ctx)
		if err != nil {
			return nil, err
		}
		if st.Ready {
			return st, nil
		}
		if st.State != StateCatchingUp || time.Now().After(deadline) {
			return st, withHint(fmt.Errorf("%w: %s", ErrNotReady, joinReasons(st.Reasons)),
				remedy("nothing was changed: run ", CmdStatus, " to see why, or wait until it is ready, then run ", what, " again"))
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return st, err
		}
	}
}

// matchSequences lists the sequences source and target both have and reads both sides, so
// that the pause reads the source's again with what it knows of them (sequences_read.go),
// and primes the target's, which nothing uses before the switch (sequences_prime.go), so
// that the pause sets them all in one statement.
func (s *switcher) matchSequences(ctx context.Context, source, target *server) (sourceSeqs, targetSeqs []seqInfo, warning string, err error) {
	onSource, onTarget, err := matchedSequences(ctx, source, target)
	if err != nil {
		return nil, nil, "", err
	}
	if len(onSource.missing) > 0 {
		warning = fmt.Sprintf("%d sequence(s) of the %s are missing on the %s and were not set: %s",
			len(onSource.missing), source.role, target.role, tableList(firstN(onSource.missing, 10)))
	}
	if err := readSequenceValues(ctx, target, onTarget); err != nil {
		return nil, nil, "", err
	}
	if err := readSequenceValues(ctx, source, onSource.seqs); err != nil {
		return nil, nil, "", err
	}
	return onSource.seqs, onTarget, warning, primeSequences(ctx, s.r, target, onSource.seqs, onTarget, s.opts.Margin)
}

// newPause is the pause from source to target with the switch's options.
func (s *switcher) newPause(source, target *server, rep *PauseReport, sourceSeqs, targetSeqs []seqInfo, turn *turnaround) *pause {
	rep.Strategy = s.opts.strategy()
	return &pause{m: s.opts.Migration, sw: s.sw, source: source, target: target, targetDSN: target.dsn,
		maxPause: s.opts.MaxPause, lockTimeout: s.opts.LockTimeout, attempts: s.opts.LockAttempts, margin: s.opts.Margin,
		dryRun: s.opts.DryRun, r: s.r, rep: rep, sourceSeqs: sourceSeqs, targetSeqs: targetSeqs, turn: turn,
		sourceRole: source.role, role: target.role}
}

// outcome is where traffic went after a pause that ended with err (then, for what follows,
// it connects again to the servers the pause cut off): the target when it
// ended well, the source when it gave up before its release, and, when its release's answer
// was lost, where the switch says it points, read on a fresh connection. It returns "" and
// an error that says so when even that cannot be read: nothing more may then be done, and
// the phase stays as recorded before the pause for the next run to settle.
func (s *switcher) outcome(ctx context.Context, p *pause, err error, again Command) (string, error) {
	where, err := s.where(ctx, p, err, again)
	if where == "" {
		return where, err
	}
	if rerr := s.reconnect(ctx); rerr != nil {
		return "", errors.Join(err, rerr)
	}
	return where, err
}

// where reads where traffic went: outcome without reconnecting.
func (s *switcher) where(ctx context.Context, p *pause, err error, again Command) (string, error) {
	switch {
	case err == nil:
		return p.target.role, nil
	case errors.Is(err, ErrAborted) || !p.released:
		return p.source.role, err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	where, terr := s.sw.target(rctx)
	if terr != nil || where == "" {
		p.rep.OutcomeUnknown = true
		return "", withHint(fmt.Errorf("%w; reading where %s points failed too: %w", err, s.sw.name(), errors.Join(terr, errors.New("unknown target"))),
			remedy("traffic may be on either server. Once ", s.sw.name(), " is reachable, run ", again,
				" again: it reads where it points, then finishes or undoes what this run began"))
	}
	s.r.warn(ctx, s.sw.role(), "the pause's outcome was lost; %s points at the %s", s.sw.name(), where)
	if where == p.target.role {
		p.rep.AbortReason = "" // it switched after all
		return where, nil
	}
	return where, err
}

// refuseHandMadeReturn refuses to treat a switch that points at the primary as the start of
// a new switch when the recorded phase says traffic is on the replica: someone pointed it
// back by hand, and nothing recorded the writes made on the replica since.
func (s *switcher) refuseHandMadeReturn() error {
	if s.phase.Phase != PhaseSwitched {
		return nil
	}
	what := s.sw.name()
	return refused(remedy("if traffic must go to the replica, point "+what+" back at it; if going back was meant, check that the old primary has every write, then ", CmdTeardown, " and set up again"),
		"%s points at the primary, but migration %s was switched to the replica at %s and no rollback was recorded: someone pointed it back by hand",
		what, s.opts.name(), s.phase.At.Format(time.RFC3339))
}
