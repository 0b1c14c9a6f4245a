package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Setup's own copy of the small tables. The replica's sync workers copy a table each, and
// each costs a process, a slot, a snapshot and two handshakes with the apply worker: some
// 40 to 100 ms whatever the table's size, so that 1,000 small tables took 40 s on an idle
// machine with eight workers. Setup instead makes the migration's slot on a replication
// connection that exports the snapshot the slot starts at, copies every small table from
// that one snapshot, and subscribes with copy_data = false: the subscription streams every
// change after the snapshot, so nothing is missed and nothing applied twice.
//
// On the replica the copy and CREATE SUBSCRIPTION are one transaction: a run that stops
// half-way leaves no rows and no subscription, only the slot on the primary, which the next
// run drops (its snapshot went with that run) and makes again. The tables left to the
// workers join the publication once the subscription exists (publishRest).

// copyAndSubscribe makes the slot, copies the small tables and subscribes, when setup copies
// any (planCopy). Under dry-run it records the same statements.
func (p *setupPlan) copyAndSubscribe(ctx context.Context, r *runner) error {
	if p.copy == nil {
		return nil
	}
	c := &snapshotCopy{p: p, r: r}
	if !r.dryRun {
		var err error
		if c.slot, err = openReplication(ctx, p.primary, r.op); err != nil {
			return p.leaveCopyToWorkers(ctx, r, err)
		}
		defer c.slot.close()
	}
	if p.pst.slot != nil {
		// Left by a run that stopped before subscribing: its snapshot went with that run.
		if err := r.exec(ctx, p.primary, fmt.Sprintf("SELECT pg_drop_replication_slot(%s)", literal(p.opts.name())), ""); err != nil {
			return err
		}
	}
	start := time.Now()
	err := c.run(ctx)
	if err == nil {
		err = p.createSubscription(ctx, r, false)
	}
	if err == nil {
		err = r.exec(ctx, p.replica, "COMMIT", "")
	}
	if err != nil {
		if !r.dryRun {
			rollback(p.replica)
		}
		return err
	}
	p.res.Copied = &SetupCopy{Tables: len(p.copy.tables), Bytes: p.copy.bytes, Rows: c.rows,
		Seconds: time.Since(start).Seconds(), ByWorkers: len(p.copy.workers)}
	return nil
}

// leaveCopyToWorkers gives every table to the replica's sync workers when setup cannot open
// the replication connection its copy needs (a firewall or pg_hba that refuses it from this
// machine): the publication gets the other tables before the slot, as before.
func (p *setupPlan) leaveCopyToWorkers(ctx context.Context, r *runner, cause error) error {
	msg := fmt.Sprintf("every table is copied by the replica's sync workers: setup could not open the replication connection its own copy needs (%v)", cause)
	r.warn(ctx, rolePrimary, "%s", msg)
	p.res.Warnings = append(p.res.Warnings, msg)
	rest := p.copy.workers
	p.copy = nil
	if len(rest) == 0 {
		return nil
	}
	return p.addToPublication(ctx, r, rest)
}

// snapshotCopy is one run of setup's copy: the slot's snapshot read on the primary's
// connection, the rows written in one transaction on the replica's, left open for the
// subscription.
type snapshotCopy struct {
	p    *setupPlan
	r    *runner
	slot *snapshotSlot // nil under dry-run
	rows int64
}

func (c *snapshotCopy) run(ctx context.Context) error {
	p, r, name := c.p, c.r, c.p.opts.name()
	r.record(ctx, p.primary, createSlotCommand(name, p.primary.major()))
	if !r.dryRun {
		if err := c.begin(ctx); err != nil {
			return err
		}
		defer rollback(p.primary) // read only: ending it is all that is left
		r.note(ctx, roleReplica, "copying %d tables (%s) from the snapshot where slot %s starts, at %s; %d left to the replica's sync workers",
			len(p.copy.tables), FormatBytes(p.copy.bytes), name, c.slot.lsn, len(p.copy.workers))
	}
	last := time.Now()
	for i, t := range p.copy.tables {
		r.record(ctx, p.replica, t.copyInSQL())
		if r.dryRun {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := copyTable(ctx, p.primary, p.replica, t)
		if err != nil {
			return err
		}
		c.rows += n
		if time.Since(last) >= 2*time.Second {
			r.note(ctx, roleReplica, "copied %d of %d tables", i+1, len(p.copy.tables))
			last = time.Now()
		}
	}
	if !r.dryRun {
		r.note(ctx, roleReplica, "copied %d tables, %d rows", len(p.copy.tables), c.rows)
	}
	return nil
}

// begin makes the slot, imports its snapshot in a read-only transaction on the primary, and
// opens the replica's transaction, which applies rows as replication does (no triggers, no
// foreign key checks: the primary checked them).
func (c *snapshotCopy) begin(ctx context.Context) error {
	p := c.p
	if err := c.slot.create(ctx, p.opts.name(), p.primary.major()); err != nil {
		return err
	}
	_, err := p.primary.conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT "+literal(c.slot.snapshot)+"; SET LOCAL statement_timeout = 0")
	c.slot.close() // the snapshot is the transaction's now
	if err != nil {
		rollback(p.primary)
		return fmt.Errorf("primary: read from the slot's snapshot: %w", err)
	}
	if _, err := p.replica.conn.Exec(ctx, "BEGIN; SET LOCAL session_replication_role = replica; SET LOCAL statement_timeout = 0"); err != nil {
		rollback(p.primary)
		return fmt.Errorf("replica: begin the copy: %w", err)
	}
	return nil
}

// copyOutSQL reads the table's rows on the primary: a partitioned table's through its root,
// as the publication sends them.
func (t copiedTable) copyOutSQL() string {
	if t.Partitioned {
		return fmt.Sprintf("COPY (SELECT %s FROM %s) TO STDOUT", t.columns, t)
	}
	return fmt.Sprintf("COPY %s (%s) TO STDOUT", t, t.columns)
}

func (t copiedTable) copyInSQL() string {
	return fmt.Sprintf("COPY %s (%s) FROM STDIN", t, t.columns)
}

// copyTable streams one table from the primary into the replica, and counts its rows.
func copyTable(ctx context.Context, primary, replica *server, t copiedTable) (int64, error) {
	pr, pw := io.Pipe()
	out := make(chan error, 1)
	go func() {
		_, err := primary.conn.PgConn().CopyTo(ctx, pw, t.copyOutSQL())
		pw.CloseWithError(err)
		out <- err
	}()
	tag, inErr := replica.conn.PgConn().CopyFrom(ctx, pr, t.copyInSQL())
	pr.CloseWithError(io.ErrClosedPipe) // a reader that stopped early unblocks the writer
	outErr := <-out
	switch {
	case outErr != nil && !errors.Is(outErr, io.ErrClosedPipe):
		return 0, fmt.Errorf("primary: copy %s: %w", t.TableName, outErr)
	case inErr != nil:
		return 0, fmt.Errorf("replica: copy %s: %w", t.TableName, inErr)
	case outErr != nil:
		return 0, fmt.Errorf("primary: copy %s: %w", t.TableName, outErr)
	}
	return tag.RowsAffected(), nil
}
