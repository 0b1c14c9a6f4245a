package core

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// SchemaSyncOptions configures SchemaSync.
type SchemaSyncOptions struct {
	Migration        // Primary and Replica; with Proxy, its foreign tables are brought in line too
	PgDump    string // the pg_dump that copies new tables' definitions; FindPgDump() when empty
	// ReplicaIdentityFull lets a new table without a primary key join the migration with
	// REPLICA IDENTITY FULL, as setup's option does.
	ReplicaIdentityFull bool
	Execution
}

// SchemaSyncResult is what SchemaSync applied, or under dry-run would apply, and what it left.
type SchemaSyncResult struct {
	Name    string `json:"name"`
	DryRun  bool   `json:"dry_run"`
	Changed bool   `json:"changed"`
	// Applied are the differences it brought in line.
	Applied SchemaChanges `json:"applied"`
	// Remaining are the differences still there afterwards (under dry-run: those it would
	// leave): the ones that need a decision, with the statements to run, and a NOT NULL
	// that waits for replication to fill the column's rows (run schema sync again then).
	Remaining    SchemaChanges `json:"remaining"`
	ProxyChecked bool          `json:"proxy_checked"`
	Warnings     []string      `json:"warnings,omitempty"`
	Statements   []Statement   `json:"statements"`
}

// SchemaSync applies to the replica, then to the proxy's foreign tables, what the primary's
// schema gained since setup and can be applied without a decision: new columns (with their
// defaults, identity and NOT NULL), new tables and partitions (their definitions by pg_dump,
// published, and copied), new indexes, constraints, enum types and values, sequences, and
// changed defaults and nullability. The replica first: its apply worker, stopped at a change
// it could not apply, resumes by itself and nothing is lost. What needs a decision (a
// dropped or renamed column, a changed type) it leaves, and explains with the statements to
// run and their order. It is safe to run again at any time.
func SchemaSync(ctx context.Context, opts SchemaSyncOptions) (*SchemaSyncResult, error) {
	if opts.PgDump == "" {
		opts.PgDump = FindPgDump()
	}
	// The operation's connection, its lock's and pg_dump's on the primary, one to each other
	// server.
	ctx, end, err := opts.reserve(ctx, "schema sync", need{rolePrimary: 3, roleReplica: 1, roleProxy: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	op, err := beginOperation(ctx, "schema sync", opts.Migration, opts.Execution, opts.rolesWithProxy()...)
	if err != nil {
		return nil, err
	}
	defer op.close()
	res := &SchemaSyncResult{Name: opts.name(), DryRun: opts.DryRun, Applied: SchemaChanges{}, Remaining: SchemaChanges{}}
	s := &schemaSync{opts: opts, op: op, res: res}
	err = s.run(ctx)
	res.Statements = op.statements()
	res.Changed = len(res.Statements) > 0 && !opts.DryRun
	return res, err
}

// schemaSync is one run of SchemaSync.
type schemaSync struct {
	opts SchemaSyncOptions
	op   *operation
	res  *SchemaSyncResult
	pst  primaryState
}

func (s *schemaSync) run(ctx context.Context) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	cmp, err := compareSchemas(ctx, s.op.primary, s.op.replica, migrationScope(s.opts.Migration, s.pst.meta))
	if err != nil {
		return err
	}
	plan := planReplicaSync(cmp)
	if err := plan.apply(ctx, s.op.r, s.op.replica, s.opts.Migration, s.opts.PgDump); err != nil {
		return withHint(err, remedy("what ran before it stays, and is right: fix the cause, then run ", CmdSchemaSync, " again"))
	}
	if len(plan.newTables) > 0 {
		if err := s.addTables(ctx); err != nil {
			return err
		}
	}
	if err := plan.applyLast(ctx, s.op.r, s.op.replica, s.caughtUp(ctx, plan)); err != nil {
		return withHint(err, remedy("fix the cause (rows that break the constraint, for one), then run ", CmdSchemaSync, " again"))
	}
	s.res.Applied = append(s.res.Applied, plan.applied...)
	s.res.Remaining = append(s.res.Remaining, plan.left...)
	if err := s.syncProxy(ctx); err != nil {
		return err
	}
	return s.confirm(ctx)
}

// syncCatchUp bounds how long schema sync waits for the replica to catch up before it
// tightens: longer, and it leaves that for the next run.
const syncCatchUp = time.Minute

// caughtUp waits until the replica has applied everything the primary committed so far (a
// sentinel row); not at all while a difference left for a decision stops replication, nor
// under dry-run.
func (s *schemaSync) caughtUp(ctx context.Context, plan *replicaSync) func() (bool, error) {
	return func() (bool, error) {
		if s.opts.DryRun {
			return true, nil
		}
		if slices.ContainsFunc(plan.left, func(c SchemaChange) bool { return c.Effect == EffectBreaks }) {
			return false, nil
		}
		s.op.r.note(ctx, roleReplica, "waiting until the replica has applied what the primary committed, before what tightens")
		_, arrived, _, err := sentinelTrip(ctx, s.op.primary, s.op.replica, s.opts.Migration, "pghandoff schema sync", syncCatchUp)
		return arrived, err
	}
}

// check refuses a migration that is not set up, or whose traffic has moved to the replica:
// from then on the replica is the primary, and its schema the one to change.
func (s *schemaSync) check(ctx context.Context) error {
	phase, err := readPhase(ctx, s.op.primary, s.opts.Migration)
	if err != nil {
		return err
	}
	if phase.Phase != PhaseReplicating {
		return refused(remedy("change the schema on the new primary (the replica) itself; to bring the old one in line, run ", CmdStatus, " for what differs"),
			"migration %s is %s since %s: schema sync brings the replica in line with the old primary, and traffic no longer goes there", s.opts.name(), phase.Phase, phase.At.Format(time.RFC3339))
	}
	if s.pst, err = readPrimaryState(ctx, s.op.primary, s.opts.Migration); err != nil {
		return err
	}
	if !s.pst.publication {
		return withHint(fmt.Errorf("%w: migration %s has no publication on the primary", ErrNotFound, s.opts.name()), remedy("run ", CmdSetup, " first"))
	}
	return nil
}

// addTables publishes the new tables, whose definitions are on the replica now, and copies
// their rows.
func (s *schemaSync) addTables(ctx context.Context) error {
	warnings, err := publishNewTables(ctx, s.op, SetupOptions{Migration: s.opts.Migration, PgDump: s.opts.PgDump, Execution: s.opts.Execution,
		Selection: Selection{Schemas: s.pst.meta.Schemas, ExcludeTables: s.pst.meta.ExcludeTables, ReplicaIdentityFull: s.opts.ReplicaIdentityFull}})
	s.res.Warnings = append(s.res.Warnings, warnings...)
	return err
}

// publishNewTables adds the tables of the migration's schemas that exist on both servers
// but are not published yet to the migration, with setup's own steps: replica identities
// where opted in, the publication, the subscription's refresh (which copies their rows).
func publishNewTables(ctx context.Context, op *operation, opts SetupOptions) ([]string, error) {
	if opts.PgDump == "" {
		opts.PgDump = FindPgDump() // setup checks it, although nothing is dumped here
	}
	res := &SetupResult{}
	p, err := planSetup(ctx, opts, op.primary, op.replica, res)
	if err != nil {
		return nil, err
	}
	for _, step := range []func(context.Context, *runner) error{p.setReplicaIdentities, p.publish, p.subscribe} {
		if err := step(ctx, op.r); err != nil {
			return res.Warnings, err
		}
	}
	return res.Warnings, nil
}

// syncProxy brings the proxy's foreign tables and types in line with the primary.
func (s *schemaSync) syncProxy(ctx context.Context) error {
	if s.op.proxy == nil {
		s.res.Warnings = append(s.res.Warnings, "no proxy given: its foreign tables were not checked")
		return nil
	}
	s.res.ProxyChecked = true
	applied, left, err := syncProxyTables(ctx, s.op, s.opts.Migration, s.opts.Execution)
	s.res.Applied = append(s.res.Applied, applied...)
	s.res.Remaining = append(s.res.Remaining, left...)
	if err != nil {
		return withHint(err, remedy("the replica is in line already; nothing was kept on the proxy: fix the cause, then run ", CmdSchemaSync, " again"))
	}
	return nil
}

// syncProxyTables makes the proxy's foreign tables and types what proxy create would make
// them now, for the roles it mapped: it returns the differences it applied, and those that
// need a decision.
func syncProxyTables(ctx context.Context, op *operation, m Migration, exec Execution) (applied, left SchemaChanges, err error) {
	srv, err := readFDWServer(ctx, op.proxy, m)
	if err != nil || !srv.exists {
		return nil, SchemaChanges{proxyMissing(m)}, err
	}
	var roles []string
	for _, um := range srv.mappings {
		if um.role != "PUBLIC" {
			roles = append(roles, um.role)
		}
	}
	p, err := planProxy(ctx, ProxyCreateOptions{Migration: m, MapRoles: roles, Execution: exec}, op.primary, op.proxy, &ProxyCreateResult{})
	if err != nil {
		return nil, nil, err
	}
	cols, err := readProxyColumns(ctx, op.proxy, m)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range p.drift(cols) {
		if c.Sync {
			applied = append(applied, c)
		} else {
			left = append(left, c)
		}
	}
	return applied, left, p.apply(ctx, op.r)
}

// confirm compares the replica with the primary again, once everything ran: what still
// differs is what remains, and no longer only what the plan left.
func (s *schemaSync) confirm(ctx context.Context) error {
	if s.opts.DryRun {
		return nil
	}
	after, err := compareSchemas(ctx, s.op.primary, s.op.replica, migrationScope(s.opts.Migration, s.pst.meta))
	if err != nil {
		return err
	}
	proxyLeft := slices.DeleteFunc(s.res.Remaining, func(c SchemaChange) bool { return c.Target != roleProxy })
	s.res.Remaining = append(SchemaChanges{}, after.changes...)
	s.res.Remaining = append(s.res.Remaining, proxyLeft...)
	sortChanges(s.res.Remaining)
	return nil
}
