package core

import (
	"context"
)

// TeardownOptions configures Teardown.
type TeardownOptions struct {
	Migration
	Drop    bool   // also drop, on the replica, every object the schema import created
	Confirm bool   // required with Drop: the operator confirmed it
	PgDump  string // for Drop; FindPgDump() when empty
	Execution
}

// TeardownResult lists what Teardown removed, or under dry-run would remove.
type TeardownResult struct {
	Name    string   `json:"name"`
	DryRun  bool     `json:"dry_run"`
	Drop    bool     `json:"drop"` // the imported schema was dropped too (or, under dry-run, would be)
	Removed []string `json:"removed"`
	// DroppedRoles are the roles setup had created on the replica, dropped with Drop; the
	// replica's other roles are never touched.
	DroppedRoles []string    `json:"dropped_roles,omitempty"`
	Warnings     []string    `json:"warnings,omitempty"`
	Statements   []Statement `json:"statements"`
}

// Teardown removes the migration's replication from both servers, from whatever state it is
// in: the subscription and its replication origins, the publication, the slot (and the table
// synchronisation slots an interrupted copy leaves), the sentinel tables, and the replica
// identities setup changed. With Drop it also drops the imported schema on the replica, and
// the roles setup created there (teardown_roles.go).
func Teardown(ctx context.Context, opts TeardownOptions) (*TeardownResult, error) {
	if opts.Drop && !opts.Confirm && !opts.DryRun {
		return nil, refused(remedy("add ", OptYes, " to confirm, or ", OptDryRun, " to see what it would drop"),
			"dropping deletes every replicated table and its data on the replica")
	}
	ctx, end, err := opts.reserve(ctx, "teardown", need{rolePrimary: 3, roleReplica: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	op, err := beginOperation(ctx, "teardown", opts.Migration, opts.Execution, rolePrimary, roleReplica)
	if err != nil {
		return nil, err
	}
	defer op.close()
	t := &teardown{opts: opts, primary: op.primary, replica: op.replica, r: op.r,
		res: &TeardownResult{Name: opts.name(), DryRun: opts.DryRun, Drop: opts.Drop, Removed: []string{}}}
	err = t.run(ctx)
	t.res.Statements = op.statements()
	return t.res, err
}

type teardown struct {
	opts             TeardownOptions
	primary, replica *server
	pst              primaryState
	rst              replicaState
	r                *runner
	res              *TeardownResult
}

func (t *teardown) run(ctx context.Context) error {
	var err error
	if t.pst, err = readPrimaryState(ctx, t.primary, t.opts.Migration); err != nil {
		return err
	}
	if t.rst, err = readReplicaState(ctx, t.replica, t.opts.Migration); err != nil {
		return err
	}
	// The subscription goes first: while it runs, it holds the slot on the primary.
	steps := []func(context.Context) error{t.dropSubscription, t.dropPublication, t.dropSlots,
		t.restoreIdentities, t.dropSentinels, t.dropSchema, t.dropCreatedRoles, t.dropHelperSchemas}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	if len(t.res.Removed) == 0 {
		t.r.note(ctx, "", "nothing of migration %s was left to remove", t.opts.name())
	}
	return nil
}

func (t *teardown) removed(what string) { t.res.Removed = append(t.res.Removed, what) }
