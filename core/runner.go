package core

import (
	"context"
	"fmt"
	"time"
)

// Statement is one SQL statement pghandoff ran or, under dry-run, would run.
type Statement struct {
	Server string `json:"server"`
	SQL    string `json:"sql"` // secrets masked
}

// Timeouts bound every statement that takes locks or changes schema, so that pghandoff never
// queues behind a long transaction on a production server and blocks everyone after it.
type Timeouts struct {
	Lock      time.Duration // lock_timeout; DefaultLockTimeout when 0
	Statement time.Duration // statement_timeout; DefaultStatementTimeout when 0
}

func (t Timeouts) withDefaults() (Timeouts, error) {
	var err error
	if t.Lock, err = orDefault(OptLockTimeout, t.Lock, DefaultLockTimeout); err != nil {
		return t, err
	}
	t.Statement, err = orDefault(OptStatementTimeout, t.Statement, DefaultStatementTimeout)
	return t, err
}

// lockRetries is how often a statement that timed out waiting for a lock is tried again.
const lockRetries = 3

// runner runs (or, under dry-run, records) the mutating statements of one operation.
type runner struct {
	op       string
	dryRun   bool
	obs      Observer
	timeouts Timeouts
	done     []Statement
}

// prepare sets the DDL timeouts on a server's session before the runner uses it. The runner's
// timeouts have their defaults applied (beginOperation).
func (r *runner) prepare(ctx context.Context, s *server) error {
	_, err := s.conn.Exec(ctx, fmt.Sprintf("SET lock_timeout = %d; SET statement_timeout = %d",
		r.timeouts.Lock.Milliseconds(), r.timeouts.Statement.Milliseconds()))
	if err != nil {
		return fmt.Errorf("%s: set timeouts: %w", s.role, err)
	}
	return nil
}

// exec runs sql on s. shown replaces sql in records and errors when sql carries a secret.
// A lock timeout is retried with backoff; any other error stops the operation.
func (r *runner) exec(ctx context.Context, s *server, sql, shown string) error {
	if shown == "" {
		shown = sql
	}
	r.obs.emit(ctx, Event{Operation: r.op, Server: s.role, Message: firstLine(shown), SQL: shown})
	r.done = append(r.done, Statement{Server: s.role, SQL: shown})
	if r.dryRun {
		return nil
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, err := s.conn.Exec(ctx, sql)
		if err == nil {
			return nil
		}
		if sqlState(err) != codeLockNotAvailable || attempt == lockRetries {
			return fmt.Errorf("%s: %s: %w", s.role, abbreviate(shown, 300), err)
		}
		r.obs.emit(ctx, Event{Operation: r.op, Server: s.role, Warning: true,
			Message: "lock not available, trying again: " + firstLine(shown)})
		if err := sleep(ctx, time.Duration(attempt+1)*500*time.Millisecond); err != nil {
			return err
		}
	}
}

// note records a step that is not a statement (a finding, a skip) as progress.
func (r *runner) note(ctx context.Context, role, format string, args ...any) {
	r.obs.emit(ctx, Event{Operation: r.op, Server: role, Message: fmt.Sprintf(format, args...)})
}

func (r *runner) warn(ctx context.Context, role, format string, args ...any) {
	r.obs.emit(ctx, Event{Operation: r.op, Server: role, Warning: true, Message: fmt.Sprintf(format, args...)})
}
