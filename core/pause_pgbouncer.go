package core

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// bouncerSwitch is PgBouncer as the pause drives it: the hold is PAUSE of the application's
// database entry (the transactions in flight finish, new ones queue in PgBouncer); the
// repoint writes the entry pointing at the target into the file pghandoff owns, RELOADs and
// confirms it in SHOW DATABASES; the release is RESUME. The queued clients then run against
// the target.
//
// pghandoff does not PAUSE, repoint or RESUME itself: a watchdog process does all three on
// its request (pgbouncer_watchdog.go), one attempt's watchdog at a time, and resumes on its
// own when pghandoff goes or stops answering, at the max pause plus watchdogMargin from
// PAUSE. That is how PgBouncer, which never ends a pause by itself, is bounded like the
// proxy's server-side timeouts bound its transaction. pghandoff's own admin connection only
// reads (SHOW), and settles at the start what an earlier run left (pgbouncer_settle.go).
type bouncerSwitch struct {
	m        Migration
	admin    *Bouncer     // pghandoff's own admin connection: it reads, the watchdog acts
	state    BouncerState // as settled when the operation began
	done     []string     // what settling put right
	watchdog func() *exec.Cmd
	wd       *BouncerWatchdog // the attempt's watchdog; nil between attempts
	// repointSent: the attempt asked its watchdog to repoint, so the entry may point at the
	// target whatever the answer.
	repointSent bool
	r           *runner
	dryRun      bool
}

var _ trafficStrategy = (*bouncerSwitch)(nil)

// watchdogMargin is how much longer than the max pause the watchdog lets a pause run, from
// its PAUSE: pghandoff's own deadline comes first unless it is stuck, and the application
// waits at most the max pause plus this.
const watchdogMargin = 500 * time.Millisecond

// newBouncerSwitch connects to PgBouncer's admin console, settles what an earlier run left
// there, and checks that the entry exists and that PgBouncer's settings still allow a pause.
func newBouncerSwitch(ctx context.Context, opts SwitchOptions, r *runner) (*bouncerSwitch, error) {
	if opts.Watchdog == nil && !opts.DryRun {
		return nil, errors.New("a switch through PgBouncer needs the command of its watchdog (SwitchOptions.Watchdog)")
	}
	b, err := OpenBouncer(ctx, opts.PgBouncer.Admin)
	if err != nil {
		return nil, err
	}
	s := &bouncerSwitch{m: opts.Migration, admin: b, watchdog: opts.Watchdog, r: r, dryRun: opts.DryRun}
	if err := s.begin(ctx, opts.MaxPause); err != nil {
		b.Close()
		return nil, err
	}
	return s, nil
}

func (s *bouncerSwitch) begin(ctx context.Context, maxPause time.Duration) error {
	var err error
	if s.done, s.state, err = settleBouncer(ctx, s.r, s.admin, s.m); err != nil {
		return err
	}
	if !s.state.Found || s.state.File == nil {
		return withHint(fmt.Errorf("%w: PgBouncer has no entry %s from pghandoff's file %s", ErrNotFound, s.m.bouncerEntry(), s.m.PgBouncer.Config),
			remedy("run ", Run(CmdProxyCreate, OptPgBouncer, OptPgBouncerConfig), " first"))
	}
	return checkSwitchSettings(ctx, s.admin, s.m, maxPause)
}

func (s *bouncerSwitch) role() string      { return roleBouncer }
func (s *bouncerSwitch) name() string      { return "PgBouncer" }
func (s *bouncerSwitch) subject() string   { return "PgBouncer's entry " + s.m.bouncerEntry() }
func (s *bouncerSwitch) settled() []string { return s.done }

// pointsAt is where PgBouncer had the entry pointing once settled.
func (s *bouncerSwitch) pointsAt() string { return s.state.pointsAt(s.m) }

// prepare starts the attempt's watchdog, with its admin connections, before the pause's clock.
func (s *bouncerSwitch) prepare(ctx context.Context, p *pause) error {
	if s.dryRun || s.wd != nil {
		return nil
	}
	s.repointSent = false
	var err error
	s.wd, err = StartBouncerWatchdog(ctx, s.watchdog(), BouncerWatchdogOptions{Admin: s.m.PgBouncer.Admin,
		Database: s.m.bouncerEntry(), File: s.m.PgBouncer.Config, Limit: p.maxPause + watchdogMargin})
	return err
}

// command is an admin command on the entry, as recorded: "PAUSE appdb".
func (s *bouncerSwitch) command(verb string) string {
	q, err := bouncerIdent(s.m.bouncerEntry())
	if err != nil {
		q = s.m.bouncerEntry()
	}
	return verb + " " + q
}

// hold has the watchdog PAUSE the entry, waiting for the transactions in flight at most the
// lock timeout (and never past the pause's deadline). When they take longer, it resumes at
// once and asks for another attempt, as the proxy's lock timeout does.
func (s *bouncerSwitch) hold(ctx context.Context, p *pause, attempt int) (bool, error) {
	if attempt == 1 {
		s.r.recordAs(ctx, roleBouncer, s.command("PAUSE"))
	}
	if s.dryRun {
		return false, nil
	}
	pctx, cancel := context.WithTimeout(ctx, p.lockTimeout)
	defer cancel()
	err := s.wd.Pause(pctx)
	switch {
	case err == nil:
		s.r.note(ctx, roleBouncer, "PgBouncer paused %s: no transaction is in flight to the %s, new ones queue", s.m.bouncerEntry(), p.sourceRole)
		return false, nil
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		if lerr := s.letGo(); lerr != nil {
			return false, lerr
		}
		s.r.warn(ctx, roleBouncer, "PAUSE waited %s for transactions in flight: resumed, trying again", p.lockTimeout)
		return true, nil
	}
	return false, errors.Join(err, s.letGo())
}

// repoint has the watchdog point the entry at the target, reload and confirm.
func (s *bouncerSwitch) repoint(ctx context.Context, p *pause) error {
	e, err := s.entryFor(p.targetDSN)
	if err != nil {
		return err
	}
	s.r.recordAs(ctx, roleBouncer, fmt.Sprintf("write %s: %s", s.m.PgBouncer.Config, e))
	s.r.recordAs(ctx, roleBouncer, "RELOAD")
	if s.dryRun {
		return nil
	}
	s.repointSent = true
	return s.wd.Repoint(ctx, e)
}

// entryFor is the entry pointing at dsn, with a forced user when the file's has one.
func (s *bouncerSwitch) entryFor(dsn DSN) (BouncerEntry, error) {
	return BouncerEntryFor(s.m.bouncerEntry(), dsn, s.state.File != nil && s.state.File.User != "")
}

// release has the watchdog RESUME. If it cannot say it did, PgBouncer is resumed all the
// same (letGo), and the error leaves where traffic goes to be read.
func (s *bouncerSwitch) release(ctx context.Context, p *pause) error {
	s.r.recordAs(ctx, roleBouncer, s.command("RESUME"))
	if s.dryRun {
		return nil
	}
	err := s.wd.Release(ctx)
	if err == nil {
		s.wd = nil // it ends by itself
		return nil
	}
	return errors.Join(err, s.letGo())
}

// abort puts the entry back at the source if a repoint was asked for, then resumes. Unless
// the watchdog confirmed the entry back at the source, where traffic goes is uncertain: it
// may have resumed at its limit with the entry at the target.
func (s *bouncerSwitch) abort(p *pause) error {
	if s.dryRun || s.wd == nil {
		return nil
	}
	var err error
	if s.repointSent {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		e, eerr := s.entryFor(p.source.dsn)
		if err = eerr; err == nil {
			err = s.wd.Repoint(ctx, e)
		}
		cancel()
	}
	return errors.Join(err, s.letGo())
}

// letGo ends the attempt's watchdog, which resumes the entry; if it cannot answer, it is
// killed and pghandoff resumes the entry itself, as the next run would (settleBouncer).
func (s *bouncerSwitch) letGo() error {
	if s.wd == nil {
		return nil
	}
	w := s.wd
	s.wd = nil
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Release(ctx); err == nil {
		return nil
	}
	w.Kill()
	_, _, err := settleBouncer(ctx, &runner{op: s.r.op, obs: s.r.obs}, s.admin, s.m)
	if err != nil {
		return fmt.Errorf("resume PgBouncer after its watchdog failed: %w", err)
	}
	return nil
}

// waiting counts the entry's clients waiting for a server connection: the ones the pause holds.
func (s *bouncerSwitch) waiting(ctx context.Context) int {
	if s.dryRun {
		return 0
	}
	c, err := s.admin.Clients(ctx, s.m.bouncerEntry())
	if err != nil {
		return 0
	}
	return c.Waiting
}

// target reads, on a connection of its own, where PgBouncer has the entry pointing, and
// says nothing when the file disagrees (a repoint cut off half-way: the next run settles it).
func (s *bouncerSwitch) target(ctx context.Context) (string, error) {
	b, err := OpenBouncer(ctx, s.m.PgBouncer.Admin)
	if err != nil {
		return "", err
	}
	defer b.Close()
	st, err := ReadBouncerState(ctx, b, s.m.bouncerEntry(), s.m.PgBouncer.Config)
	switch {
	case err != nil:
		return "", err
	case !st.Consistent:
		return "", fmt.Errorf("PgBouncer's entry %s points at %s, and the file at %s", s.m.bouncerEntry(), loadedTarget(st.Loaded), fileTarget(st.File))
	}
	return st.pointsAt(s.m), nil
}

func (s *bouncerSwitch) close() {
	if err := s.letGo(); err != nil {
		s.r.warn(context.Background(), roleBouncer, "%v", err)
	}
	s.admin.Close()
}
