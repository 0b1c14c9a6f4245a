package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// switchBatch points the foreign server and every user mapping at the replica.
func (c *cutover) switchBatch() (real, shown []string) {
	name := ident(c.opts.name())
	if clause := alterOptionsClause(c.srv.options, connectionOptions(c.opts.Replica), isTuningOption); clause != "" {
		real = append(real, "ALTER SERVER "+name+" "+clause)
		shown = append(shown, "ALTER SERVER "+name+" "+clause)
	}
	creds, masked := mappingOptions(c.opts.Replica)
	notCredential := func(k string) bool { return k != "user" && k != "password" }
	for _, um := range c.srv.mappings {
		prefix := "ALTER USER MAPPING FOR " + mappingRole(um.role) + " SERVER " + name + " "
		if clause := alterOptionsClause(um.options, creds, notCredential); clause != "" {
			real = append(real, prefix+clause)
			shown = append(shown, prefix+alterOptionsClause(maskPassword(um.options), masked, notCredential))
		}
	}
	return real, shown
}

func maskPassword(opts map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range opts {
		if k == "password" {
			v = "(old)"
		}
		out[k] = v
	}
	return out
}

// pauseWithRetries makes the pause, taking the locks again after a lock timeout.
func (c *cutover) pauseWithRetries(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		c.res.LockAttempts = attempt
		retry, err := c.pause(ctx)
		if !retry {
			return err
		}
		if attempt == c.opts.LockAttempts {
			reason := fmt.Sprintf("could not take the locks on the proxy's %d foreign tables in %d attempts (lock timeout %s): long application transactions hold them",
				len(c.tables), attempt, c.opts.LockTimeout)
			c.res.AbortReason = reason
			return withHint(fmt.Errorf("%w: %s", ErrAborted, reason),
				remedy("nothing was changed: cut over at a quieter time, or raise the lock timeout"))
		}
		if err := sleep(ctx, time.Duration(attempt)*200*time.Millisecond); err != nil {
			return err
		}
	}
}

// pause is one attempt. It reports retry when the locks were not available in time; the
// transaction is then rolled back, as after any failure.
func (c *cutover) pause(ctx context.Context) (retry bool, err error) {
	start := time.Now()
	p := &pauseRun{c: c, start: start, deadline: start.Add(c.opts.MaxPause)}
	defer func() { c.res.PauseMS = ms(time.Since(start)) }()
	if failed, err := c.takeLocks(ctx, c.res.LockAttempts); err != nil {
		rollback(c.proxy)
		c.res.RetriedMS += ms(time.Since(start))
		deadlock := errors.Is(err, errDeadlock)
		if sqlState(err) != codeLockNotAvailable && !deadlock {
			return false, err
		}
		// Next time, wait for this table first, holding no other: an application
		// transaction that holds it and wants another then finishes instead of deadlocking.
		if failed >= 0 && failed < len(c.tables) {
			t := c.tables[failed]
			why := fmt.Sprintf("was not granted within %s", c.opts.LockTimeout)
			if deadlock {
				why = "is held by an application transaction waiting for a table the pause held"
			}
			c.r.warn(ctx, roleProxy, "the lock on %s %s: released every lock, trying again with that table first", t.name, why)
			c.tables = append([]lockTarget{t}, append(c.tables[:failed:failed], c.tables[failed+1:]...)...)
		}
		return true, err
	}
	c.res.LockMS = ms(time.Since(start))
	c.emit(ctx, roleProxy, "locks taken on %d foreign tables in %.1f ms: no write reaches the primary through the proxy now", len(c.tables), c.res.LockMS)
	if err := p.run(ctx); err != nil {
		rollback(c.proxy)
		p.undo()
		return false, err
	}
	return false, nil
}

// pauseRun is one pause holding the locks.
type pauseRun struct {
	c               *cutover
	start, deadline time.Time
	forwardStopped  bool
}

func (p *pauseRun) run(ctx context.Context) error {
	c := p.c
	if err := p.writeSentinel(ctx); err != nil {
		return err
	}
	// The primary's sequences cannot move through the proxy any more: read them while the
	// replica catches up (the primary's connection is free meanwhile).
	seqsRead := make(chan error, 1)
	go func() { seqsRead <- readSequenceValues(ctx, c.primary, c.seqs) }()
	if !c.opts.DryRun {
		if err := p.waitSentinel(ctx); err != nil {
			<-seqsRead
			return err
		}
	}
	if err := <-seqsRead; err != nil {
		return err
	}
	if c.opts.Failsafe {
		p.forwardStopped = true
		if err := p.stopForward(ctx); err != nil {
			return p.abort("the failsafe could not be started: %v", err)
		}
	}
	if err := p.setSequences(ctx); err != nil {
		return p.abort("%v", err)
	}
	real, shown := c.switchBatch()
	for _, sql := range shown {
		c.r.record(ctx, c.proxy, sql)
	}
	if !c.opts.DryRun && len(real) > 0 {
		if _, err := c.proxy.conn.Exec(ctx, strings.Join(real, ";\n")); err != nil {
			return p.abort("pointing the proxy at the replica failed: %v", redactErr(err, c.opts.Replica))
		}
	}
	p.countWaiting(ctx)
	if err := c.replica.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&c.res.ReplicaLSN); err != nil {
		return p.abort("reading the replica's WAL position failed: %v", err)
	}
	if err := c.r.exec(ctx, c.proxy, "COMMIT", ""); err != nil {
		return p.abort("the commit on the proxy failed: %v", err)
	}
	if c.opts.DryRun {
		c.emit(ctx, "", "dry run: nothing was changed")
		return nil
	}
	c.res.Switched = true
	c.emit(ctx, roleProxy, "switched: the proxy points at the replica; the pause lasted %.1f ms", ms(time.Since(p.start)))
	return nil
}

// writeSentinel writes the sentinel row on the primary. Everything the proxy sent the
// primary was committed before the locks were granted, so it all precedes this row.
func (p *pauseRun) writeSentinel(ctx context.Context) error {
	c := p.c
	if err := c.primary.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&c.res.PrimaryLSN); err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	c.res.SentinelTS = time.Now().UnixMicro()
	// Committed synchronously: the walsender sends only flushed WAL, and a primary running
	// with synchronous_commit off would otherwise hold the sentinel back until its WAL
	// writer's next round.
	insert := fmt.Sprintf("INSERT INTO %s (ts, status) VALUES (%d, 'pghandoff cutover')", c.opts.sentinel(), c.res.SentinelTS)
	if err := c.r.batch(ctx, c.primary, []string{"BEGIN", "SET LOCAL synchronous_commit = on", insert, "COMMIT"}); err != nil {
		rollback(c.primary)
		return err
	}
	if err := c.primary.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&c.res.SentinelLSN); err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	return nil
}

// waitSentinel waits for the sentinel row on the replica until the pause's deadline.
func (p *pauseRun) waitSentinel(ctx context.Context) error {
	c := p.c
	written := time.Now()
	query := fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE ts = $1)", c.opts.sentinel())
	for i := 0; ; i++ {
		arrived, err := c.replica.exists(ctx, query, c.res.SentinelTS)
		if err != nil {
			return fmt.Errorf("replica: read sentinel row: %w", err)
		}
		if arrived {
			c.res.CatchUpMS = ms(time.Since(written))
			c.emit(ctx, roleReplica, "the replica applied the sentinel in %.1f ms: it has every write the primary took through the proxy", c.res.CatchUpMS)
			return nil
		}
		if i%20 == 0 {
			p.countWaiting(ctx)
		}
		if time.Now().After(p.deadline) {
			return p.abort("the replica had not applied a sentinel row %s after it was written to the primary, and the pause reached its limit of %s: replication is behind or stopped",
				time.Since(written).Round(time.Millisecond), c.opts.MaxPause)
		}
		if err := sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
}

// setSequences sets every sequence of the replica from the primary's values read during the
// pause, plus the margin, never backwards (the replica's were read before the pause, and
// each setval checks again that it moves its sequence forward).
func (p *pauseRun) setSequences(ctx context.Context) error {
	c := p.c
	sets, stmts, err := planSequenceSets(c.seqs, c.replicaSeqs, func(int) float64 { return float64(c.opts.Margin) })
	if err != nil {
		return err
	}
	c.res.Sequences = sets
	for _, s := range sets {
		if s.Changed {
			c.res.SequencesChanged++
		}
	}
	return c.r.batch(ctx, c.replica, stmts)
}

// countWaiting samples how many application statements wait for the pause's locks.
func (p *pauseRun) countWaiting(ctx context.Context) {
	c := p.c
	oids := make([]uint32, len(c.tables))
	for i, t := range c.tables {
		oids[i] = t.oid
	}
	var n int
	err := c.proxy.conn.QueryRow(ctx, `SELECT count(DISTINCT pid) FROM pg_locks
		WHERE NOT granted AND locktype = 'relation' AND relation = ANY ($1::oid[])
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, oids).Scan(&n)
	if err == nil && n > c.res.WaitedStatements {
		c.res.WaitedStatements = n
	}
}

// abort records why the pause gives up; the caller rolls back.
func (p *pauseRun) abort(format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	p.c.res.AbortReason = reason
	p.c.r.warn(context.Background(), roleProxy, "rolling back: %s", reason)
	return withHint(fmt.Errorf("%w: %s", ErrAborted, reason),
		remedy("the proxy still points at the primary and traffic resumed there; nothing was lost. Check status, then cut over again"))
}

// undo puts back what the pause changed outside the proxy's transaction: the forward
// subscription, if the failsafe stopped it. Sequences moved forward stay: never backwards.
func (p *pauseRun) undo() {
	if !p.forwardStopped {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.c.r.exec(ctx, p.c.replica, "ALTER SUBSCRIPTION "+ident(p.c.opts.name())+" ENABLE", ""); err != nil {
		p.c.res.Warnings = append(p.c.res.Warnings, "could not enable the forward subscription again: "+err.Error()+"; run setup again")
	}
}

// redactErr keeps an error about statements that carry dsn's password from showing it.
func redactErr(err error, dsn DSN) string {
	msg := err.Error()
	for _, s := range dsn.Secrets() {
		msg = strings.ReplaceAll(msg, s, "********")
	}
	return msg
}
