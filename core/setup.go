package core

import (
	"context"
)

// SetupOptions configures Setup.
type SetupOptions struct {
	Migration
	Selection
	DryRun   bool   // print the statements, change nothing
	PgDump   string // the pg_dump to run; FindPgDump() when empty
	Timeouts Timeouts
	Observer
}

// SetupResult is what Setup did, or under dry-run would do.
type SetupResult struct {
	Name                string         `json:"name"`
	DryRun              bool           `json:"dry_run"`
	Changed             bool           `json:"changed"` // false: everything was already in place
	Tables              []TableName    `json:"tables"`
	Skipped             []SkippedTable `json:"skipped,omitempty"`
	ReplicaIdentityFull []TableName    `json:"replica_identity_full,omitempty"`
	SchemaImported      bool           `json:"schema_imported"`
	Warnings            []string       `json:"warnings,omitempty"`
	PgDump              string         `json:"pg_dump"`
	Statements          []Statement    `json:"statements"`
}

// Setup starts logically replicating the primary into the replica: the sentinel table, the
// schema, the publication, the slot and the subscription. It checks everything it can before
// changing anything, so a refused setup leaves nothing behind, and it only does what is
// missing, so running it again after a success or a crash converges.
func Setup(ctx context.Context, opts SetupOptions) (*SetupResult, error) {
	if err := opts.require(true, true, false); err != nil {
		return nil, err
	}
	if opts.PgDump == "" {
		opts.PgDump = FindPgDump()
	}
	res := &SetupResult{Name: opts.name(), DryRun: opts.DryRun}
	session, err := openSession(ctx, opts.Migration, "setup", opts.DryRun, rolePrimary, roleReplica)
	if err != nil {
		return nil, err
	}
	defer session.close()
	if err := checkPrimaryVersion(session.primary); err != nil {
		return nil, err
	}
	if err := checkWalLevel(ctx, session.primary); err != nil {
		return nil, err
	}
	s, err := planSetup(ctx, opts, session.primary, session.replica, res)
	if err != nil {
		return nil, err
	}
	r := &runner{op: "setup", dryRun: opts.DryRun, obs: opts.Observer, timeouts: opts.Timeouts}
	err = s.apply(ctx, r)
	res.Statements = r.done
	res.Changed = len(r.done) > 0
	if err == nil && !res.Changed {
		r.note(ctx, "", "migration %s is already set up: nothing to do", opts.name())
	}
	return res, err
}
