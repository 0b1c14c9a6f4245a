package action

import (
	"context"
	"fmt"
	"strconv"

	"github.com/pghandoff/pghandoff/core"
)

func (j *job) selection() core.Selection {
	return core.Selection{Schemas: j.p.schemas, ExcludeTables: j.p.excludeTables,
		ReplicaIdentityFull: j.p.replicaIdentityFull}
}

func (j *job) roleOptions() core.RoleOptions {
	return core.RoleOptions{MapRoles: j.p.mapRoles, CreateRoles: j.p.createRoles, Owners: j.p.owners, NoPrivileges: j.p.noPrivileges}
}

// runSetup starts replication; it is idempotent, so re-running a failed job converges.
func runSetup(ctx context.Context, j *job) (*outcome, error) {
	return rendered(setupOutcome)(core.Setup(ctx, core.SetupOptions{Migration: j.p.m, Selection: j.selection(),
		RoleOptions: j.roleOptions(), IndexesFirst: j.p.indexesFirst, SyncWorkers: j.p.syncWorkers,
		CopyByWorkers: j.p.copyByWorkers, Execution: j.execution()}))
}

// setupOutcome renders what Setup did.
func setupOutcome(res *core.SetupResult, _ error) *outcome {
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res}
	switch {
	case res.DryRun:
		out.headline = fmt.Sprintf("dry run: %d statements would set up replication of %d tables", len(res.Statements), len(res.Tables))
	case !res.Complete:
		out.headline = fmt.Sprintf("setup did not finish (%d statements ran); run it again once the error is fixed", len(res.Statements))
	case res.Changed:
		out.headline = fmt.Sprintf("replication set up for %d tables; wait for it to catch up", len(res.Tables))
	default:
		out.headline = fmt.Sprintf("already set up (%d tables): nothing to do", len(res.Tables))
	}
	out.set(outChanged, boolText(res.Changed && !res.DryRun))
	out.set(outTables, strconv.Itoa(len(res.Tables)))
	out.fact("Tables", strconv.Itoa(len(res.Tables)))
	out.fact("Schema imported", boolText(res.SchemaImported))
	if len(res.Deferred) > 0 {
		out.fact("Left for after the copy", fmt.Sprintf("%d indexes and constraints: the wait step builds them as each table's copy ends", len(res.Deferred)))
	}
	if res.Copied != nil {
		out.fact("Copy", text(res.Copied.String()))
	}
	if res.Transfer != nil {
		out.fact("Transfer", text(res.Transfer.Why))
	}
	if res.PgDump != "" {
		out.fact("pg_dump", code(res.PgDump))
	}
	if len(res.ReplicaIdentityFull) > 0 {
		out.fact("REPLICA IDENTITY FULL set on", tableNames(res.ReplicaIdentityFull))
	}
	if len(res.Skipped) > 0 {
		out.section("Tables left out", skippedTable(res.Skipped))
	}
	if len(res.CreatedRoles) > 0 {
		out.fact("Roles created on the new primary", codes(res.CreatedRoles))
	}
	out.fact("Privilege statements", strconv.Itoa(res.PrivilegeStatements))
	if sw := res.SyncWorkers; sw != nil {
		out.fact("Initial copy", fmt.Sprintf("%d tables at once (max_sync_workers_per_subscription %d, max_logical_replication_workers %d, max_worker_processes %d)",
			sw.AtOnce(), sw.SyncWorkers, sw.LogicalWorkers, sw.WorkerProcesses))
	}
	if len(res.Roles) > 0 {
		out.section("Roles", rolesTable(res.Roles))
	}
	if len(res.Tables) > 0 {
		out.section("Replicated tables", details(fmt.Sprintf("%d tables", len(res.Tables)), tableNames(res.Tables)))
	}
	out.section("Statements", statements(res.Statements, res.DryRun))
	return out
}

// runTeardown removes the migration's replication from whatever state it is in.
func runTeardown(ctx context.Context, j *job) (*outcome, error) {
	return rendered(teardownOutcome)(core.Teardown(ctx, core.TeardownOptions{Migration: j.p.m, Drop: j.p.drop,
		Confirm:   j.p.yes,
		Execution: j.execution()}))
}

// teardownOutcome renders what Teardown removed.
func teardownOutcome(res *core.TeardownResult, _ error) *outcome {
	out := removalOutcome(res.DryRun, res.Removed, res.Warnings, res.Statements, res)
	if res.Drop {
		out.fact("Drop replicated tables", "yes")
	}
	return out
}

// removalOutcome renders what a removing command (teardown, proxy-remove) removed.
func removalOutcome(dryRun bool, removed, warnings []string, stmts []core.Statement, report any) *outcome {
	out := &outcome{icon: iconOK, warnings: warnings, report: report}
	switch {
	case dryRun:
		out.headline = fmt.Sprintf("dry run: %d statements would remove it", len(stmts))
	case len(removed) > 0:
		out.headline = fmt.Sprintf("removed %d objects", len(removed))
	default:
		out.headline = "nothing of the migration was left to remove"
	}
	out.set(outChanged, boolText(len(removed) > 0 && !dryRun))
	if len(removed) > 0 {
		out.section("Removed", bullets(removed))
	}
	out.section("Statements", statements(stmts, dryRun))
	return out
}

func skippedTable(skipped []core.SkippedTable) string {
	rows := make([][]string, len(skipped))
	for i, s := range skipped {
		rows[i] = []string{code(s.TableName.String()), text(s.Reason)}
	}
	return table([]string{"Table", "Reason"}, rows)
}
