package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) preflightCommand() *cobra.Command {
	var s servers
	var sel selectionFlags
	var roles roleFlags
	var asJSON, indexesFirst, copyByWorkers bool
	var pgDump string
	var jobs int
	cmd := &cobra.Command{
		Use:   "preflight --primary DSN --replica DSN",
		Short: "Check both servers before a migration, changing nothing",
		Long: `Checks, without changing anything, whether the primary can be migrated to the replica:
wal_level, free replication slots and WAL senders, the REPLICATION privilege, table
ownership and read access, tables without a replica identity, unlogged tables, large
objects, generated columns, row-level security, max_slot_wal_keep_size, extensions missing
on the replica, the subscription privilege, versions of both servers and of pg_dump; and the
roles that own migrated objects or hold privileges on them: which exist on the replica and
can log in there, and what setup will do about the others (given the same --map-role,
--create-roles, --owners and --no-privileges as setup); how many indexes and constraints setup
leaves for after the copy and how many the replica builds at once (--jobs, --indexes-first);
whether rows travel in binary and large transactions stream; which small tables setup copies
itself and how many the replica's sync workers copy, at once and in about how long
(--copy-by-workers: all of them).
Each check passes, warns or fails with a remedy. Exits 3 when a check fails.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migrationWith(cmd, &s, []serverFlag{primaryFlag, replicaFlag}, []serverFlag{primaryForReplicaFlag, replicaForPrimaryFlag})
			if err != nil {
				return err
			}
			selection, err := sel.selection(cmd)
			if err != nil {
				return err
			}
			res, err := core.Preflight(cmd.Context(), core.PreflightOptions{Migration: m, Selection: selection, RoleOptions: roles.options(),
				PgDump: pgDump, IndexesFirst: indexesFirst, Jobs: jobs, CopyByWorkers: copyByWorkers, Observer: a.silentObserver()})
			if err = show(a, asJSON, res, err, renderPreflight); err == nil && !res.OK {
				return &exitError{code: exitNotReady}
			}
			return err
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag, primaryForReplicaFlag, replicaForPrimaryFlag)
	sel.addFlags(cmd)
	roles.addFlags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&pgDump, "pg-dump", "", "pg_dump to check (default: the newest installed)")
	indexesFirstFlag(cmd, &indexesFirst)
	copyByWorkersFlag(cmd, &copyByWorkers)
	jobsFlag(cmd, &jobs)
	return cmd
}

func renderPreflight(w io.Writer, r *core.PreflightResult) {
	if r.OK {
		fmt.Fprintln(w, "Preflight: ready to set up.")
	} else {
		fmt.Fprintf(w, "Preflight: %d blocker(s) to fix before setup.\n", len(r.Failed()))
	}
	renderChecks(w, r.Checks)
}

// renderChecks lists checks, with the remedy of each that did not pass.
func renderChecks(w io.Writer, checks []core.Check) {
	marks := map[string]string{core.CheckPass: "ok  ", core.CheckWarn: "WARN", core.CheckFail: "FAIL"}
	for _, c := range checks {
		fmt.Fprintf(w, "  %s %-30s %s\n", marks[c.Status], c.Name, c.Detail)
		if !c.Remedy.IsZero() && c.Status != core.CheckPass {
			fmt.Fprintf(w, "       %-30s fix: %s\n", "", c.Remedy.Render(cliSpeller{}))
		}
	}
}
