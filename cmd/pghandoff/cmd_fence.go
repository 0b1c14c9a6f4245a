package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) fenceCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var roles string
	var undo, force, asJSON bool
	cmd := &cobra.Command{
		Use:   "fence --primary DSN --role R[,R...] [--undo]",
		Short: "Stop the application's roles writing on the primary (the switch without a proxy)",
		Long: `Stops the given roles from writing on the primary: their transactions become read-only in
the migration's database (default_transaction_read_only, per role and database) and their
open sessions are ended, so nothing they already hold keeps writing. --undo gives each role
back exactly the setting it had. With wait and sequences this is the safe switch without a
proxy: fence, wait until the replica has caught up, move the sequences, switch the
application to the replica. Given --replica, it first checks that each role can log in to
the replica and may do there what it does on the primary, and refuses otherwise.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migrationWith(cmd, &s, []serverFlag{primaryFlag}, []serverFlag{replicaFlag})
			if err != nil {
				return err
			}
			list := splitList(roles)
			if len(list) == 0 {
				return &usageError{cmd: cmd, err: fmt.Errorf("missing --role: the roles the application writes as")}
			}
			res, err := core.Fence(cmd.Context(), core.FenceOptions{Migration: m, Roles: list, Undo: undo, Force: force,
				Execution: x.execution(a.observer())})
			return show(a, asJSON, res, err, renderFence)
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag.withHelp("connection string of the replica, to check the roles there before fencing them"))
	cmd.Flags().StringVar(&roles, "role", "", "comma-separated roles the application writes as")
	cmd.Flags().BoolVar(&undo, "undo", false, "lift the fence: restore each role's setting as it was")
	cmd.Flags().BoolVar(&force, "force", false, "go on when sessions from before the fence could not be ended (they can write until they reconnect)")
	x.addFlags(cmd, "print the SQL it would run, change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func renderFence(w io.Writer, r *core.FenceResult) {
	if printDryRun(w, r.DryRun, "fence of "+r.Name, r.Statements) {
		return
	}
	verb := "Fenced"
	if r.Undo {
		verb = "Unfenced"
	}
	fmt.Fprintf(w, "%s on database %s (%s); %d sessions ended.\n", verb, r.Database, r.Method, r.Terminated)
	for _, role := range r.Roles {
		state := "changed"
		if !role.Changed {
			state = "already so"
		}
		fmt.Fprintf(w, "  %-30s %s\n", role.Role, state)
	}
	printList(w, "Warnings", r.Warnings)
}
