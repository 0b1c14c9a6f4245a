package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) teardownCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var drop, yes, asJSON bool
	var pgDump string
	cmd := &cobra.Command{
		Use:   "teardown --primary DSN --replica DSN [--drop --yes]",
		Short: "Remove the replication from both servers, from any state",
		Long: `Removes what setup made, from whatever state it is in: the subscription and its
replication origins on the replica, the publication and the replication slot (and any table
synchronisation slots) on the primary, the sentinel tables, and the REPLICA IDENTITY FULL
setup set. It lists what it removed. Run it after cutover, or to start over.

--drop also drops, on the replica, every object the schema import created, with its data,
and the roles setup created there (--create-roles), and no other (dangerous: it needs --yes,
and with --dry-run only prints the statements). Without --drop those roles stay.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migration(cmd, &s, primaryFlag, replicaFlag)
			if err != nil {
				return err
			}
			if drop && !yes && !x.dryRun {
				return &usageError{cmd: cmd, err: fmt.Errorf("--drop deletes the replicated tables and their data on the replica: add --yes to confirm")}
			}
			res, err := core.Teardown(cmd.Context(), core.TeardownOptions{Migration: m, Drop: drop, Confirm: yes,
				PgDump:    pgDump,
				Execution: x.execution(a.observer())})
			return show(a, asJSON, res, err, renderTeardown)
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag)
	cmd.Flags().BoolVar(&drop, "drop", false, "also drop the replicated objects and their data on the replica (needs --yes)")
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm --drop")
	x.addFlags(cmd, dryRunHelp)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&pgDump, "pg-dump", "", "pg_dump for --drop (default: the newest installed)")
	return cmd
}

func renderTeardown(w io.Writer, r *core.TeardownResult) {
	if printDryRun(w, r.DryRun, "teardown of "+r.Name, r.Statements) {
		return
	}
	if len(r.Removed) == 0 {
		fmt.Fprintf(w, "Nothing of migration %s was left to remove.\n", r.Name)
		return
	}
	printList(w, fmt.Sprintf("Removed (migration %s)", r.Name), r.Removed)
	printList(w, "Warnings", r.Warnings)
}
