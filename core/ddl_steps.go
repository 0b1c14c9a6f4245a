package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// execute runs the plan's steps in order, each confirmed before the next; the first that
// fails stops the run, and the result says where every server stands.
func (d *ddlRun) execute(ctx context.Context) error {
	var failed error
	var done []string
	for _, s := range d.plan.steps {
		step := DDLStep{Server: s.server, What: d.what(s), SQL: s.sql}
		switch {
		case failed != nil:
			step.State = StepNotRun
		case s.done:
			step.State, step.Confirmed = StepAlready, "the "+s.server+" has the change already"
		case s.server == roleProxy && d.op.proxy == nil:
			step.State = StepSkipped
			d.res.Warnings = append(d.res.Warnings, d.noProxyWarning(s))
		case d.opts.DryRun:
			step.State = StepPlanned
			if s.proxy {
				step.Confirmed = "under a dry run the primary lacks the change still, so the proxy's part shows once it has it"
			}
			if err := d.runStep(ctx, s); err != nil {
				return err
			}
		default:
			var err error
			if step.Confirmed, err = d.runConfirmed(ctx, s); err != nil {
				step.State, step.Error, failed = StepFailed, err.Error(), err
				break
			}
			step.State = StepDone
			done = append(done, s.server)
		}
		d.res.Steps = append(d.res.Steps, step)
	}
	if failed != nil {
		return withHint(failed, d.stoppedRemedy(done))
	}
	d.res.Complete = !d.opts.DryRun
	return nil
}

func (d *ddlRun) what(s *ddlStep) string {
	switch {
	case s.proxy:
		return "bring the foreign tables in line with the primary (as schema sync)"
	case s.server == roleProxy:
		return "drop the columns from the foreign tables"
	}
	return "the statement"
}

func (d *ddlRun) noProxyWarning(s *ddlStep) string {
	if s.proxy {
		return "no proxy given: run schema sync with the proxy afterwards, for the application to use the change through it"
	}
	return "no proxy given: its INSERTs into the tables fail until these run on it: " + strings.Join(s.sql, "; ")
}

// runStep runs one step's statements (recorded only, under a dry run).
func (d *ddlRun) runStep(ctx context.Context, s *ddlStep) error {
	switch {
	case s.proxy:
		_, left, err := syncProxyTables(ctx, d.op, d.opts.Migration, d.opts.Execution)
		for _, c := range left {
			if c.Kind == ChangeProxyMissing {
				d.res.Warnings = append(d.res.Warnings, c.Text())
			}
		}
		return err
	case s.server == roleProxy:
		return runTransaction(ctx, d.op.r, d.op.proxy, steps(s.sql))
	}
	srv := d.op.primary
	if s.server == roleReplica {
		srv = d.op.replica
	}
	if !d.noTx {
		return runTransaction(ctx, d.op.r, srv, steps(s.sql))
	}
	return d.runConcurrently(ctx, srv, s.sql[0])
}

// runConcurrently runs an index build or drop CONCURRENTLY. It blocks no writes while it
// waits for older transactions, so it runs without lock_timeout (statement_timeout still
// bounds it), and once only: a build that fails leaves an invalid index behind.
func (d *ddlRun) runConcurrently(ctx context.Context, srv *server, sql string) error {
	if !d.opts.DryRun {
		if _, err := srv.conn.Exec(ctx, "SET lock_timeout = 0"); err != nil {
			return fmt.Errorf("%s: %w", srv.role, err)
		}
		defer func() { _ = d.op.r.prepare(ctx, srv) }()
	}
	err := d.op.r.batch(ctx, srv, []string{sql})
	if err != nil && len(d.plan.changes) > 0 && d.plan.changes[0].Kind == ChangeIndexMissing {
		return withHint(err, remedyf("a failed CREATE INDEX CONCURRENTLY leaves an invalid index on the %s: drop it there (DROP INDEX CONCURRENTLY %s), fix the cause, then run ddl again",
			srv.role, d.plan.changes[0].Object))
	}
	return err
}

// runConfirmed runs a step, then checks it took: the server's definitions read back are
// the statement's (a new table is then published too, once both have it), or the proxy's
// foreign tables are in line. It says how it checked.
func (d *ddlRun) runConfirmed(ctx context.Context, s *ddlStep) (string, error) {
	if err := d.catchUp(ctx, s); err != nil {
		return "", err
	}
	if err := d.runStep(ctx, s); err != nil {
		return "", err
	}
	switch {
	case s.proxy:
		left, err := d.proxyLeft(ctx)
		if err != nil || len(left) > 0 {
			return "", errors.Join(err, fmt.Errorf("the proxy still differs from the primary: %s", joinList(messages(left), 3)))
		}
		return "the proxy's foreign tables, read back, match the primary's", nil
	case s.server == roleProxy:
		if ok, err := d.proxyDropped(ctx, d.plan); err != nil || !ok {
			return "", errors.Join(err, errors.New("the proxy's foreign tables, read back, still have the columns"))
		}
		return "the proxy's foreign tables, read back, lack the columns", nil
	}
	srv := d.op.primary
	if s.server == roleReplica {
		srv = d.op.replica
	}
	if len(d.plan.changes) == 0 {
		return "ran without error (it changes nothing status compares)", nil
	}
	if ok, err := d.matches(ctx, srv, d.plan); err != nil || !ok {
		return "", errors.Join(err, fmt.Errorf("the %s's definitions, read back, are not what the statement gave the replica", s.server))
	}
	if err := d.publishIfBoth(ctx, s); err != nil {
		return "", err
	}
	return "the " + s.server + "'s definitions, read back, have the change", nil
}

// catchUp waits, before the replica's step when the primary's came first, until the replica
// has applied everything the primary committed before: rows written before a constraint was
// added, or before a column was dropped, must reach the replica while it still takes them.
func (d *ddlRun) catchUp(ctx context.Context, s *ddlStep) error {
	if s.server != roleReplica || d.plan.order.servers()[0] == roleReplica {
		return nil
	}
	timeout := d.op.r.timeouts.Statement
	d.op.r.note(ctx, roleReplica, "waiting until the replica has applied what the primary committed before its step")
	took, arrived, _, err := sentinelTrip(ctx, d.op.primary, d.op.replica, d.opts.Migration, "pghandoff ddl", timeout)
	switch {
	case err != nil:
		return err
	case !arrived:
		return fmt.Errorf("the replica did not apply the primary's changes within %s: it must have them before its step", timeout)
	}
	d.op.r.note(ctx, roleReplica, "caught up in %s", took.Round(time.Millisecond))
	return nil
}

// publishIfBoth adds new tables to the migration once the second of the primary and the
// replica has them.
func (d *ddlRun) publishIfBoth(ctx context.Context, s *ddlStep) error {
	second := d.plan.order.servers()[1]
	if s.server != second || !d.createsTables() {
		return nil
	}
	warnings, err := publishNewTables(ctx, d.op, SetupOptions{Migration: d.opts.Migration, Execution: d.opts.Execution,
		Selection: Selection{Schemas: d.pst.meta.Schemas, ExcludeTables: d.pst.meta.ExcludeTables}})
	d.res.Warnings = append(d.res.Warnings, warnings...)
	return err
}

func (d *ddlRun) createsTables() bool {
	for _, c := range d.plan.changes {
		if c.Kind == ChangeTableMissing {
			return true
		}
	}
	return false
}

// proxyLeft compares the proxy with the primary again: the differences schema sync would
// still apply.
func (d *ddlRun) proxyLeft(ctx context.Context) (SchemaChanges, error) {
	all, err := diffProxy(ctx, d.opts.Migration, d.op.primary, d.op.proxy)
	var synced SchemaChanges
	for _, c := range all {
		if c.Sync {
			synced = append(synced, c)
		}
	}
	return synced, err
}

func messages(cs SchemaChanges) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Message
	}
	return out
}

// stoppedRemedy says where the servers stand after a failed step, and how to go on.
func (d *ddlRun) stoppedRemedy(done []string) Remedy {
	state := "nothing ran"
	if len(done) > 0 {
		state = "done on the " + strings.Join(done, " and the ")
	}
	tolerated := map[ddlOrder]string{
		orderReplicaFirst: "replication goes on meanwhile: the replica accepts what the primary sends",
		orderPrimaryFirst: "replication goes on meanwhile: the primary refuses what the replica would",
		orderProxyFirst:   "replication goes on meanwhile: the replica gets no value for the column in new rows",
	}[d.plan.order]
	return remedy(state+"; "+tolerated+". Fix the cause, then run ", CmdDDL, " again with the same statement and ", OptYes, ": it skips the steps done")
}
