package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// setupPlan is what Setup found and what it will change.
type setupPlan struct {
	opts             SetupOptions
	primary, replica *server
	pst              primaryState
	rst              replicaState
	tables           tablePlan
	app              applicationRoles // the application's roles: given, and recorded by an earlier setup
	extensions       []string
	dumpMajor        int  // pg_dump's major version: it decides which options it takes
	settle           bool // an aborted failsafe cutover left forward replication off: turn it on
	workers          SyncWorkerSettings
	workerChanges    []settingChange // the replica's settings the sync-workers option changes
	copy             *setupCopyPlan  // the tables setup copies itself; nil: the workers copy all
	res              *SetupResult
}

func planSetup(ctx context.Context, opts SetupOptions, primary, replica *server, res *SetupResult) (*setupPlan, error) {
	p := &setupPlan{opts: opts, primary: primary, replica: replica, res: res}
	for _, step := range []func(context.Context) error{p.read, p.checkTables, p.checkExtensions, p.checkReplica, p.checkSlot, p.checkRoles, p.checkSyncWorkers, p.planCopy} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	p.report()
	return p, nil
}

// read finds what exists of the migration on both servers, and the primary's tables.
func (p *setupPlan) read(ctx context.Context) error {
	var err error
	if p.dumpMajor, p.res.PgDump, err = checkPgDump(ctx, p.opts.PgDump, p.primary); err != nil {
		return err
	}
	if p.pst, err = readPrimaryState(ctx, p.primary, p.opts.Migration); err != nil {
		return err
	}
	if p.rst, err = readReplicaState(ctx, p.replica, p.opts.Migration); err != nil {
		return err
	}
	all, err := listTables(ctx, p.primary)
	if err != nil {
		return err
	}
	p.tables = planTables(all, p.opts.Selection, p.opts.sentinel())
	if !slices.ContainsFunc(p.tables.publish, func(t catalogTable) bool { return t.TableName == p.opts.sentinel() }) {
		p.tables.publish = append([]catalogTable{{TableName: p.opts.sentinel(), Persistence: "p", HasIdentity: true}}, p.tables.publish...)
	}
	return nil
}

// checkTables refuses names that match nothing, and tables without a replica identity unless
// the operator opted in.
func (p *setupPlan) checkTables(context.Context) error {
	if len(p.tables.unknownNames) > 0 {
		return refused(remedy("check the names: they are matched exactly, case included; quote a name holding a dot or a comma"),
			"not found on the primary: %s", strings.Join(p.tables.unknownNames, ", "))
	}
	if len(p.tables.noIdentity) > 0 && !p.opts.ReplicaIdentityFull {
		return refused(remedy("add a primary key to each, or exclude them with ", OptExcludeTables, ", or set ", OptReplicaIdentityFull, " to have pghandoff set REPLICA IDENTITY FULL on them (UPDATE and DELETE then log whole old rows)"),
			"%d table(s) have no primary key or replica identity, and publishing them would make every UPDATE and DELETE on them fail on the primary: %s",
			len(p.tables.noIdentity), tableList(p.tables.noIdentity))
	}
	return nil
}

func (p *setupPlan) checkExtensions(ctx context.Context) error {
	var missing []string
	var err error
	if p.extensions, missing, err = missingExtensions(ctx, p.primary, p.replica); err != nil {
		return err
	}
	if len(missing) > 0 && !p.rst.sentinel {
		return refused(remedy("install them on the replica (or ask its provider to allow them), then run setup again"),
			"the primary uses extensions the replica does not have: %s", strings.Join(missing, ", "))
	}
	return nil
}

// checkReplica refuses an import into tables that exist, and a setup after a failsafe cutover.
func (p *setupPlan) checkReplica(ctx context.Context) error {
	if !p.rst.sentinel {
		if err := p.checkReplicaEmpty(ctx); err != nil {
			return err
		}
	}
	return p.checkNoFailsafe(ctx)
}

// checkSlot refuses a slot of the migration's name that is not the migration's.
func (p *setupPlan) checkSlot(context.Context) error {
	name, slot := p.opts.name(), p.pst.slot
	switch {
	case p.pst.slotElsewhere != "":
		return refused(remedy("choose another ", OptName, ": slot names are shared by every database of a server"),
			"a replication slot named %s already exists on the primary, for database %s", name, p.pst.slotElsewhere)
	case slot != nil && slot.plugin != "pgoutput":
		return refused(remedy("choose another ", OptName, ", or drop that slot if it is unused"),
			"a replication slot named %s exists on the primary with plugin %s", name, slot.plugin)
	case slot != nil && slot.active && p.rst.subscription == nil:
		return refused(remedy("choose another ", OptName, ": this slot feeds some other subscriber"),
			"replication slot %s is in use on the primary, but the replica has no subscription of that name", name)
	}
	return nil
}

// report fills the result with the tables and what the operator should know about them.
func (p *setupPlan) report() {
	for _, t := range p.tables.skipped {
		if t.Reason != "excluded" {
			p.res.Warnings = append(p.res.Warnings, fmt.Sprintf("skipping %s: %s", t.TableName, t.Reason))
		}
	}
	for _, t := range p.tables.publish {
		p.res.Tables = append(p.res.Tables, t.TableName)
		if t.HasGenerated {
			p.res.Warnings = append(p.res.Warnings, fmt.Sprintf("%s has generated columns: the replica computes them itself", t.TableName))
		}
	}
	p.res.Skipped = p.tables.skipped
}

// checkNoFailsafe refuses to set up again while replication runs the other way, and plans
// to put forward replication back when a failsafe cutover that did not switch left it off.
func (p *setupPlan) checkNoFailsafe(ctx context.Context) error {
	phase, err := readPhase(ctx, p.primary, p.opts.Migration)
	if err != nil {
		return err
	}
	if phase.interrupted() && !p.opts.Proxy.IsZero() {
		// Given the proxy, setup can read where traffic goes, as cutover would.
		where, err := proxyTarget(ctx, p.opts.Migration)
		if err != nil {
			return err
		}
		if where == rolePrimary {
			phase = PhaseRecord{Phase: PhaseReplicating, ForwardStopped: true}
		} else {
			phase = PhaseRecord{Phase: PhaseSwitched, Failsafe: true, At: phase.At}
		}
	}
	switch {
	case phase.onReplica() && phase.Failsafe:
		return refused(remedy("to go back, run ", CmdRollback, "; to start over, run ", Run(CmdProxyRemove, OptPrimary, OptReplica), " and ", CmdTeardown, " first"),
			"migration %s was cut over with the failsafe at %s: the replica is the primary now, and replication from the old primary stays off so that changes do not flow both ways",
			p.opts.name(), phase.At.Format(time.RFC3339))
	case phase.interrupted():
		return refused(remedy("run ", CmdCutover, " again: it reads where the proxy points, then finishes the switch or puts replication back; or give setup the ", OptProxy, " so that it can"),
			"a cutover of migration %s began its pause at %s and did not record how it ended", p.opts.name(), phase.At.Format(time.RFC3339))
	}
	// A failsafe subscription without a record of the switch (made by an older pghandoff)
	// means the same: replication runs from the replica to the old primary.
	fs, err := readFailsafeState(ctx, p.primary, nil, p.opts.Migration)
	if err != nil {
		return err
	}
	if fs.subscription != nil && !phase.ForwardStopped {
		return refused(remedy("to start over, run ", Run(CmdProxyRemove, OptPrimary, OptReplica), " and ", CmdTeardown, " first"),
			"the old primary subscribes to the failsafe %s: replication runs from the replica to it, and running the other way too would send every change both ways", p.opts.failsafeName())
	}
	p.settle = phase.ForwardStopped
	return nil
}

// checkReplicaEmpty refuses an import that would collide with tables already on the replica.
func (p *setupPlan) checkReplicaEmpty(ctx context.Context) error {
	found, err := existingTables(ctx, p.replica, catalogNames(p.tables.publish))
	if err != nil {
		return fmt.Errorf("look for the tables on the replica: %w", err)
	}
	clash := slices.DeleteFunc(found, func(t TableName) bool { return t == p.opts.sentinel() })
	if len(clash) > 0 {
		return refused(remedy("set up into an empty database, or drop those tables on the replica first"),
			"the replica already has %d of the tables the schema import would create: %s", len(clash), tableList(firstN(clash, 10)))
	}
	return nil
}
