package core

import (
	"context"
)

// SetupOptions configures Setup.
type SetupOptions struct {
	Migration
	Selection
	RoleOptions        // what the application's roles and the objects' privileges become on the replica
	PgDump      string // the pg_dump to run; FindPgDump() when empty
	// IndexesFirst imports every index and constraint before the copy, as pghandoff did
	// before: slower, but the replica has every index as soon as each table is copied. By
	// default the secondary ones are built after each table's copy, by wait (deferred.go).
	IndexesFirst bool
	// SyncWorkers, when set, has the replica copy that many tables at once: setup sets its
	// worker settings (the ones that need a restart take effect at the next). 0 leaves them.
	SyncWorkers int
	// CopyByWorkers leaves every table's copy to the replica's sync workers, as pghandoff did
	// before. By default setup copies the small tables itself, from one snapshot
	// (setup_copy.go), and the workers copy the rest.
	CopyByWorkers bool
	// CopyTableMax and CopyTotalMax bound what setup copies itself: the largest table, and
	// all of them; zero means SetupCopyTableMax and SetupCopyTotalMax.
	CopyTableMax, CopyTotalMax int64
	Execution
}

// SetupResult is what Setup did, or under dry-run would do.
type SetupResult struct {
	Name                string         `json:"name"`
	DryRun              bool           `json:"dry_run"`
	Changed             bool           `json:"changed"`  // false: everything was already in place
	Complete            bool           `json:"complete"` // every step succeeded: replication is set up
	Tables              []TableName    `json:"tables"`
	Skipped             []SkippedTable `json:"skipped,omitempty"`
	ReplicaIdentityFull []TableName    `json:"replica_identity_full,omitempty"`
	SchemaImported      bool           `json:"schema_imported"`
	// Deferred are the indexes and constraints left for after the copy, by this run: wait
	// builds them as each table is synchronised.
	Deferred []DeferredObject `json:"deferred,omitempty"`
	// Transfer is how the subscription this run created carries rows (binary, streaming).
	Transfer *Transfer `json:"transfer,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
	PgDump   string    `json:"pg_dump"`
	// Roles are the primary's roles that own migrated objects, hold privileges on them or
	// are the application's, and what setup did about each (roles_plan.go).
	Roles                []MigratedRole `json:"roles,omitempty"`
	CreatedRoles         []string       `json:"created_roles,omitempty"`          // by this run, on the replica
	RolesWithoutPassword []string       `json:"roles_without_password,omitempty"` // created login roles the primary's password could not follow
	PrivilegeStatements  int            `json:"privilege_statements"`             // owners, grants, revokes and default privileges set
	// SyncWorkers are the replica's worker settings in effect once setup changed them (the
	// sync-workers option); nil when it did not.
	SyncWorkers *SyncWorkerSettings `json:"sync_workers,omitempty"`
	// Copied is what setup copied itself before subscribing; nil when it left every table to
	// the replica's sync workers.
	Copied     *SetupCopy  `json:"copied,omitempty"`
	Statements []Statement `json:"statements"`
}

// Setup starts logically replicating the primary into the replica: the sentinel table, the
// schema, the publication, the slot and the subscription. It checks everything it can before
// changing anything, so a refused setup leaves nothing behind, and it only does what is
// missing, so running it again after a success or a crash converges.
func Setup(ctx context.Context, opts SetupOptions) (*SetupResult, error) {
	if opts.PgDump == "" {
		opts.PgDump = FindPgDump()
	}
	res := &SetupResult{Name: opts.name(), DryRun: opts.DryRun}
	ctx, end, err := opts.reserve(ctx, "setup", need{rolePrimary: 3, roleReplica: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	op, err := beginOperation(ctx, "setup", opts.Migration, opts.Execution, rolePrimary, roleReplica)
	if err != nil {
		return nil, err
	}
	defer op.close()
	if err := checkPrimaryVersion(op.primary); err != nil {
		return nil, err
	}
	if err := checkWalLevel(ctx, op.primary); err != nil {
		return nil, err
	}
	s, err := planSetup(ctx, opts, op.primary, op.replica, res)
	if err != nil {
		return nil, err
	}
	err = s.apply(ctx, op.r)
	res.Statements = op.statements()
	res.Changed = len(res.Statements) > 0
	res.Complete = err == nil
	if err == nil && !res.Changed {
		op.r.note(ctx, "", "migration %s is already set up: nothing to do", opts.name())
	}
	return res, err
}
