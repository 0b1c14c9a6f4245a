package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) setupCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var sel selectionFlags
	var roles roleFlags
	var asJSON, indexesFirst, copyByWorkers bool
	var pgDump string
	var syncWorkers int
	cmd := &cobra.Command{
		Use:   "setup --primary DSN --replica DSN",
		Short: "Start replicating the primary into the replica (schema, publication, subscription)",
		Long: `Sets up logical replication from the primary to the replica: checks wal_level, refuses
tables without a primary key or replica identity (unless --replica-identity-full or
--exclude-tables), imports the schema with pg_dump in one transaction (stopping at the first
failing statement), then creates the sentinel table, the publication, the replication slot
and the subscription. Every schema but the system ones is covered unless --schemas says
otherwise. It only does what is missing: run it again after a success or a crash and it
converges. --dry-run prints every statement it would run and changes nothing.

The objects' privileges come along: every GRANT and default privilege of the primary, for
the roles the replica has (--map-role names a role that has another name there), and the
owners' privileges as grants (--owners makes them the owners instead). --create-roles
creates the roles the replica lacks, with the primary's attributes and password where the
primary lets it be read (a superuser may read them; a managed service's users may not:
those roles are created without one, and the output says how to set it). Run again, setup
carries the privileges of tables added since. --no-privileges carries none.

The tables are imported with their primary key or replica identity only: their other
indexes, unique and exclusion constraints and foreign keys are built after each table's copy
(several times faster than a copy that maintains them row by row), by pghandoff wait, which
also reports them; status shows a copied table as indexing until they exist. Between two
servers of PostgreSQL 16 or newer the rows travel in binary. --indexes-first imports
everything before the copy, as pghandoff did before.

Setup copies the small tables itself (up to 64 MiB each, 1 GiB in all), all from the
snapshot its replication slot starts at, in one transaction on the replica with the
subscription that then streams every later change: a table-sync worker costs 40 to 100 ms a
table whatever its size, so 1,000 small tables are ready in seconds instead of a minute. The
replica's sync workers copy the bigger tables as before, in parallel, with their progress in
status. --copy-by-workers leaves every table to them. A setup stopped during its copy leaves
no rows on the replica, and the next run starts the copy again.

Many tables: --sync-workers N has the replica copy N tables at once (preflight suggests N
with an estimate of the copy's time). Setup sets max_sync_workers_per_subscription on the
replica with ALTER SYSTEM and reloads; max_logical_replication_workers and
max_worker_processes, raised to match, take effect only at the replica's next restart, which
it leaves to you. Without the flag the replica's settings stay as they are.

After a cutover with --failsafe it refuses (replication runs the other way now). After a
failsafe cutover that gave up, it turns replication from the primary back on; after one that
did not record how it ended, it does so only when --proxy lets it read where traffic goes.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migrationWith(cmd, &s, []serverFlag{primaryFlag, replicaFlag}, []serverFlag{proxyFlag, primaryForReplicaFlag})
			if err != nil {
				return err
			}
			selection, err := sel.selection(cmd)
			if err != nil {
				return err
			}
			res, err := core.Setup(cmd.Context(), core.SetupOptions{Migration: m, Selection: selection,
				RoleOptions:   roles.options(),
				PgDump:        pgDump,
				IndexesFirst:  indexesFirst,
				SyncWorkers:   syncWorkers,
				CopyByWorkers: copyByWorkers,
				Execution:     x.execution(a.observer())})
			return show(a, asJSON, res, err, renderSetup)
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag, primaryForReplicaFlag, proxyFlag.withHelp("the proxy's connection string, only to read where traffic goes after a cutover that did not record its end"))
	sel.addFlags(cmd)
	roles.addFlags(cmd)
	x.addFlags(cmd, dryRunHelp)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&pgDump, "pg-dump", "", "pg_dump to use, at least as new as the primary (default: the newest installed)")
	indexesFirstFlag(cmd, &indexesFirst)
	cmd.Flags().IntVar(&syncWorkers, "sync-workers", 0, "have the replica copy this many tables at once, setting its worker settings (default: leave them)")
	copyByWorkersFlag(cmd, &copyByWorkers)
	return cmd
}

func renderSetup(w io.Writer, r *core.SetupResult) {
	if printDryRun(w, r.DryRun, "setup of "+r.Name, r.Statements) {
		return
	}
	switch {
	case !r.Complete:
		fmt.Fprintf(w, "Setup of migration %s did NOT finish (%d statements ran): see the error below.\n", r.Name, len(r.Statements))
	case !r.Changed:
		fmt.Fprintf(w, "Migration %s is already set up: nothing changed.\n", r.Name)
	default:
		fmt.Fprintf(w, "Migration %s is set up: %d tables replicating from the primary (%d statements run).\n", r.Name, len(r.Tables), len(r.Statements))
		fmt.Fprintln(w, "Next: pghandoff wait (or status) until the replica has caught up.")
	}
	if n := len(r.Deferred); n > 0 && r.Complete {
		fmt.Fprintf(w, "%d secondary index(es) and constraint(s) will be built after their tables' copy: pghandoff wait builds them.\n", n)
	}
	if r.Copied != nil {
		fmt.Fprintf(w, "Copy: %s.\n", r.Copied)
	}
	if r.Transfer != nil {
		fmt.Fprintf(w, "Transfer: %s.\n", r.Transfer.Why)
	}
	printList(w, "Set REPLICA IDENTITY FULL on", tableNames(r.ReplicaIdentityFull))
	renderRoles(w, r.Roles)
	printList(w, "Roles created on the replica", r.CreatedRoles)
	if sw := r.SyncWorkers; sw != nil {
		fmt.Fprintf(w, "Initial copy: %d table(s) at once (max_sync_workers_per_subscription %d, max_logical_replication_workers %d, max_worker_processes %d).\n",
			sw.AtOnce(), sw.SyncWorkers, sw.LogicalWorkers, sw.WorkerProcesses)
	}
	if r.PrivilegeStatements > 0 {
		fmt.Fprintf(w, "Privileges: %d statement(s) gave the replica's objects the primary's owners, grants and default privileges.\n", r.PrivilegeStatements)
	}
	printList(w, "Warnings", r.Warnings)
}
