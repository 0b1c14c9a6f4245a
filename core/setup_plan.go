package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// setupPlan is what Setup found and what it will change.
type setupPlan struct {
	opts             SetupOptions
	primary, replica *server
	pst              primaryState
	rst              replicaState
	tables           tablePlan
	extensions       []string
	res              *SetupResult
}

func planSetup(ctx context.Context, opts SetupOptions, primary, replica *server, res *SetupResult) (*setupPlan, error) {
	p := &setupPlan{opts: opts, primary: primary, replica: replica, res: res}
	var err error
	if res.PgDump, err = checkPgDump(ctx, opts.PgDump, primary); err != nil {
		return nil, err
	}
	if p.pst, err = readPrimaryState(ctx, primary, opts.Migration); err != nil {
		return nil, err
	}
	if p.rst, err = readReplicaState(ctx, replica, opts.Migration); err != nil {
		return nil, err
	}
	all, err := listTables(ctx, primary)
	if err != nil {
		return nil, err
	}
	p.tables = planTables(all, opts.Selection, opts.sentinel())
	if !slices.ContainsFunc(p.tables.publish, func(t catalogTable) bool { return t.TableName == opts.sentinel() }) {
		p.tables.publish = append([]catalogTable{{TableName: opts.sentinel(), Persistence: "p", HasIdentity: true}}, p.tables.publish...)
	}
	if len(p.tables.unknownNames) > 0 {
		return nil, refused("check the names: they are matched exactly, case included; quote a name holding a dot or a comma",
			"not found on the primary: %s", strings.Join(p.tables.unknownNames, ", "))
	}
	if len(p.tables.noIdentity) > 0 && !opts.ReplicaIdentityFull {
		return nil, refused("add a primary key to each, or exclude them with --exclude-tables, or pass --replica-identity-full to have pghandoff set REPLICA IDENTITY FULL on them (UPDATE and DELETE then log whole old rows)",
			"%d table(s) have no primary key or replica identity, and publishing them would make every UPDATE and DELETE on them fail on the primary: %s",
			len(p.tables.noIdentity), tableList(p.tables.noIdentity))
	}
	var missing []string
	if p.extensions, missing, err = missingExtensions(ctx, primary, replica); err != nil {
		return nil, err
	}
	if len(missing) > 0 && !p.rst.sentinel {
		return nil, refused("install them on the replica (or ask its provider to allow them), then run setup again",
			"the primary uses extensions the replica does not have: %s", strings.Join(missing, ", "))
	}
	if !p.rst.sentinel {
		if err := p.checkReplicaEmpty(ctx); err != nil {
			return nil, err
		}
	}
	if err := p.checkNoFailsafe(ctx); err != nil {
		return nil, err
	}
	if p.pst.slotElsewhere != "" {
		return nil, refused("choose another --name: slot names are shared by every database of a server",
			"a replication slot named %s already exists on the primary, for database %s", opts.name(), p.pst.slotElsewhere)
	}
	if p.pst.slot != nil && p.pst.slot.plugin != "pgoutput" {
		return nil, refused("choose another --name, or drop that slot if it is unused",
			"a replication slot named %s exists on the primary with plugin %s", opts.name(), p.pst.slot.plugin)
	}
	if p.pst.slot != nil && p.pst.slot.active && p.rst.subscription == nil {
		return nil, refused("choose another --name: this slot feeds some other subscriber",
			"replication slot %s is in use on the primary, but the replica has no subscription of that name", opts.name())
	}
	for _, t := range p.tables.skipped {
		if t.Reason != "excluded" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("skipping %s: %s", t.TableName, t.Reason))
		}
	}
	for _, t := range p.tables.publish {
		res.Tables = append(res.Tables, t.TableName)
		if t.HasGenerated {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s has generated columns: the replica computes them itself", t.TableName))
		}
	}
	res.Skipped = p.tables.skipped
	return p, nil
}

// checkNoFailsafe refuses to set up again after a cutover with the failsafe: the replica is
// the primary now, replication back to the old one is running, and re-enabling the forward
// subscription would send every change both ways.
func (p *setupPlan) checkNoFailsafe(ctx context.Context) error {
	failsafe, err := p.replica.exists(ctx, `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)`, p.opts.failsafeName())
	if err != nil {
		return fmt.Errorf("replica: look for the failsafe: %w", err)
	}
	if failsafe {
		return refused("to start over, run proxy remove (with --primary and --replica) and teardown first",
			"migration %s was cut over with the failsafe: the replica is the primary now, and replication from the old primary stays off so that changes do not flow both ways", p.opts.name())
	}
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
		return refused("set up into an empty database, or drop those tables on the replica first",
			"the replica already has %d of the tables the schema import would create: %s", len(clash), tableList(firstN(clash, 10)))
	}
	return nil
}

func firstN[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
