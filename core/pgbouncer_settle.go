package core

import (
	"context"
	"fmt"
	"time"
)

// Settling PgBouncer: what every pghandoff run with PgBouncer does first, under the
// operation lock, so that nothing an earlier run left (it was killed with its watchdog, or
// their host went) stays in the way: PgBouncer paused for ever, or a file that says
// something else than what PgBouncer has loaded. With the lock held, no other run of the
// migration acts on PgBouncer; a watchdog still connected belongs to a run that is gone, and
// resumes within its limit.

// staleWatchdogWait bounds the wait for a dead run's watchdog to let go: it resumes at once
// when its pghandoff is gone, at the max pause plus a margin at the latest.
const staleWatchdogWait = time.Minute

// settleBouncer reads the migration's entry and puts right a pause or a file an earlier run
// left. It returns what it did (or under dry-run would do) and the state PgBouncer is in
// after it. An entry whose file and loaded state disagree is set to what PgBouncer has
// loaded, the one the application's traffic follows, when that is one of the migration's
// servers; anything else is refused, changing nothing.
func settleBouncer(ctx context.Context, r *runner, b *Bouncer, m Migration) ([]string, BouncerState, error) {
	name, file := m.bouncerEntry(), m.PgBouncer.Config
	st, err := waitWatchdogGone(ctx, b, name, file)
	if err != nil || !st.Found || st.File == nil {
		return nil, st, err
	}
	var done []string
	if !st.Consistent {
		if done, err = alignBouncerFile(ctx, r, b, m, st); err != nil {
			return done, st, err
		}
	}
	if st.Loaded.Paused {
		q, err := bouncerIdent(name)
		if err != nil {
			return done, st, err
		}
		r.recordAs(ctx, roleBouncer, "RESUME "+q)
		if !r.dryRun {
			if err := b.Resume(ctx, name); err != nil {
				return done, st, err
			}
		}
		done = append(done, fmt.Sprintf("resumed PgBouncer's entry %s, which a run that did not finish left paused", name))
	}
	if r.dryRun {
		return done, st, nil
	}
	st, err = ReadBouncerState(ctx, b, name, file)
	return done, st, err
}

// waitWatchdogGone reads the entry's state once no watchdog holds it any more.
func waitWatchdogGone(ctx context.Context, b *Bouncer, name, file string) (BouncerState, error) {
	ctx, cancel := context.WithTimeout(ctx, staleWatchdogWait)
	defer cancel()
	for {
		st, err := ReadBouncerState(ctx, b, name, file)
		if err != nil || !st.Watchdog {
			return st, err
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return st, withHint(fmt.Errorf("a pghandoff watchdog still holds PgBouncer's entry %s after %s: %w", name, staleWatchdogWait, err),
				remedyf("find the pghandoff watchdog process connected to PgBouncer's admin console (SHOW CLIENTS shows its application_name %q) and end it, then try again", watchdogAppName(name)))
		}
	}
}

// alignBouncerFile writes into the file the entry PgBouncer has loaded, a repoint having
// been cut off between writing the file and reloading it, and reloads to confirm.
func alignBouncerFile(ctx context.Context, r *runner, b *Bouncer, m Migration, st BouncerState) ([]string, error) {
	where := st.pointsAt(m)
	if where == "" {
		return nil, refused(remedy("make the file's entry point where PgBouncer's does (SHOW DATABASES), then run the command again"),
			"PgBouncer's entry %s points at %s, and the file at %s: neither is a server of the migration", m.bouncerEntry(), loadedTarget(st.Loaded), fileTarget(st.File))
	}
	e, err := BouncerEntryFor(m.bouncerEntry(), m.dsn(where), st.File.User != "")
	if err != nil {
		return nil, err
	}
	r.recordAs(ctx, roleBouncer, fmt.Sprintf("write %s: %s", m.PgBouncer.Config, e))
	r.recordAs(ctx, roleBouncer, "RELOAD")
	if !r.dryRun {
		if err := WriteBouncerEntry(m.PgBouncer.Config, e); err != nil {
			return nil, err
		}
		if _, err := b.ReloadAndConfirm(ctx, e); err != nil {
			return nil, err
		}
	}
	return []string{fmt.Sprintf("PgBouncer's file pointed the entry %s at %s but PgBouncer had it at the %s (a repoint cut off half-way): wrote the %s back into the file",
		m.bouncerEntry(), fileTarget(st.File), where, where)}, nil
}

// pointsAt is the migration's server PgBouncer has the entry pointing at: the primary, the
// replica, or "".
func (st BouncerState) pointsAt(m Migration) string {
	for _, role := range []string{rolePrimary, roleReplica} {
		if d := m.dsn(role); !d.IsZero() && st.Found && st.Loaded.Host == d.Host() && st.Loaded.Port == int(d.Port()) && st.Loaded.Database == d.Database() {
			return role
		}
	}
	return ""
}

// ResumeStalePause settles migration m's PgBouncer entry as the next run would (see
// settleBouncer), on a connection of its own and without the operation lock: for tools and
// tests that must not leave PgBouncer paused. It returns what it did.
func ResumeStalePause(ctx context.Context, m Migration) ([]string, error) {
	b, err := OpenBouncer(ctx, m.PgBouncer.Admin)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	done, _, err := settleBouncer(ctx, &runner{op: "settle"}, b, m)
	return done, err
}
