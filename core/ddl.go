package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// DDLOptions configures DDL.
type DDLOptions struct {
	Migration // Primary and Replica; with Proxy, its foreign tables follow
	// SQL is the schema change, one statement or several (run as one transaction on each
	// server); CREATE or DROP INDEX CONCURRENTLY alone.
	SQL string
	// Confirm runs the plan. Without it, DDL shows the plan (as under DryRun) and refuses:
	// the statements change three servers, and nobody is asked at a prompt.
	Confirm bool
	Execution
}

// DDLResult is DDL's plan, and how far it ran.
type DDLResult struct {
	Name   string `json:"name"`
	SQL    string `json:"sql"`
	DryRun bool   `json:"dry_run"`
	// Planned: the plan was shown and nothing ran, for want of confirmation.
	Planned bool `json:"planned"`
	// Changes are what the statement changes, as a trial on the replica (rolled back) shows.
	Changes SchemaChanges `json:"changes"`
	// Order is the order of the servers, and Why the reason for it.
	Order []string  `json:"order"`
	Why   string    `json:"why"`
	Steps []DDLStep `json:"steps"`
	// Complete: every step is done; replication and the proxy carry the change.
	Complete   bool        `json:"complete"`
	Warnings   []string    `json:"warnings,omitempty"`
	Statements []Statement `json:"statements"`
}

// DDLStep is the statement's step on one server.
type DDLStep struct {
	Server string    `json:"server"`
	What   string    `json:"what"`
	State  StepState `json:"state"`
	SQL    []string  `json:"sql,omitempty"`
	// Confirmed says how pghandoff checked the step before going on.
	Confirmed string `json:"confirmed,omitempty"`
	Error     string `json:"error,omitempty"`
}

// StepState is where a step of DDL stands.
type StepState string

// The states of a DDLStep.
const (
	StepPlanned StepState = "planned" // shown, not run (dry run, or not confirmed)
	StepAlready StepState = "already" // the server had the change before this run
	StepDone    StepState = "done"    // run and confirmed
	StepFailed  StepState = "failed"
	StepNotRun  StepState = "not_run" // after a failed step
	StepSkipped StepState = "skipped" // no server to run it on (no proxy given)
)

// DDL runs a schema change on the migration's servers in the order that keeps replication
// running and loses nothing, which depends on what the change does; a trial on the replica
// in a transaction it rolls back tells what that is, without parsing SQL:
//   - adds or relaxes (a column, table, index, enum value, sequence; a default; a dropped
//     constraint or NOT NULL): the replica, then the primary, then the proxy's foreign
//     tables. The replica accepts what the primary will send before it sends it.
//   - tightens (a constraint, a unique index, NOT NULL): the primary, then the replica: the
//     primary refuses the rows the replica would refuse before the replica checks them.
//   - drops a column: the proxy (whose INSERTs name every column), the primary, the replica.
//
// A change of type, a rename or a dropped table has no order that is safe without a
// decision: DDL refuses it and says what to run. Each step is confirmed by reading the
// server's definitions back before the next starts; a failed step stops the run, and
// running DDL again skips the steps already done.
func DDL(ctx context.Context, opts DDLOptions) (*DDLResult, error) {
	stmts, noTx, err := parseDDL(opts.SQL)
	if err != nil {
		return nil, err
	}
	planned := !opts.Confirm && !opts.DryRun
	if planned {
		opts.DryRun = true
	}
	// The operation's connection and its lock's on the primary, one to each other server.
	ctx, end, err := opts.reserve(ctx, "ddl", need{rolePrimary: 2, roleReplica: 1, roleProxy: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	op, err := beginOperation(ctx, "ddl", opts.Migration, opts.Execution, opts.rolesWithProxy()...)
	if err != nil {
		return nil, err
	}
	defer op.close()
	res := &DDLResult{Name: opts.name(), SQL: opts.SQL, DryRun: opts.DryRun && !planned, Planned: planned, Changes: SchemaChanges{}}
	d := &ddlRun{opts: opts, op: op, res: res, stmts: stmts, noTx: noTx}
	err = d.run(ctx)
	res.Statements = op.statements()
	switch {
	case err != nil:
		return res, err
	case planned:
		return res, refused(remedy("read the plan, then run the same command with ", OptYes, " to carry it out (", OptDryRun, " shows the plan without this error)"),
			"ddl changes the replica, the primary and the proxy: it runs only when confirmed")
	}
	return res, nil
}

// parseDDL splits the statements, and says whether they must run outside a transaction:
// an index built or dropped CONCURRENTLY, which must then be the only statement.
func parseDDL(sql string) ([]string, bool, error) {
	stmts := splitScript(sql)
	if len(stmts) == 0 {
		return nil, false, errors.New("no statement given: pass the schema change, e.g. ddl \"ALTER TABLE items ADD COLUMN price numeric\"")
	}
	for _, s := range stmts {
		if transactionControl.MatchString(s) {
			return nil, false, fmt.Errorf("%q: ddl runs the statements in a transaction of its own on each server: leave BEGIN, COMMIT and the like out", abbreviate(s, 60))
		}
	}
	concurrent := concurrently.MatchString(stmts[0])
	if concurrent && len(stmts) > 1 {
		return nil, false, errors.New("an index built or dropped CONCURRENTLY cannot run in a transaction: give it alone")
	}
	return stmts, concurrent, nil
}

// ddlRun is one run of DDL.
type ddlRun struct {
	opts  DDLOptions
	op    *operation
	res   *DDLResult
	stmts []string
	noTx  bool
	pst   primaryState
	plan  *ddlPlan
}

func (d *ddlRun) run(ctx context.Context) error {
	if err := d.check(ctx); err != nil {
		return err
	}
	plan, err := d.planned(ctx)
	if err != nil {
		return err
	}
	d.plan = plan
	d.res.Changes, d.res.Why = plan.changes, plan.order.why()
	for _, s := range plan.steps {
		d.res.Order = append(d.res.Order, s.server)
	}
	return d.execute(ctx)
}

// check refuses a migration that is not set up, or whose traffic has moved, as schema sync.
func (d *ddlRun) check(ctx context.Context) error {
	s := &schemaSync{opts: SchemaSyncOptions{Migration: d.opts.Migration}, op: d.op}
	err := s.check(ctx)
	d.pst = s.pst
	return err
}

func (d *ddlRun) scope() schemaScope { return migrationScope(d.opts.Migration, d.pst.meta) }

// statementText is the statements as one, for messages.
func (d *ddlRun) statementText() string { return abbreviate(strings.Join(d.stmts, "; "), 200) }
