package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) proxyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Create or remove the postgres_fdw proxy the application talks to during the move",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{cmd: cmd, err: fmt.Errorf("proxy needs a subcommand: create or remove")}
		},
	}
	cmd.AddCommand(a.proxyCreateCommand(), a.proxyRemoveCommand())
	return cmd
}

func (a *app) proxyCreateCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var mapRoles string
	var asJSON bool
	primary := primaryFlag.withAlias("server")
	cmd := &cobra.Command{
		Use:   "create --proxy DSN --primary DSN",
		Short: "Make the proxy database stand in for the primary through postgres_fdw",
		Long: `Turns the proxy database into a stand-in for the primary: a postgres_fdw foreign server
and user mappings built from the primary's connection string, and a foreign table for every
table and view of the migration in same-named schemas, every schema included. Column
defaults keep working through the proxy: serial and identity columns draw from the primary's
own sequences, expression defaults are kept. Enum types the proxy lacks are created; for
anything else it cannot proxy it stops, names the object and the remedy, and leaves nothing
half-made. It never prompts. Point the application at the proxy afterwards.

The user mapping is for the role the proxy reports (current_user), which on PlanetScale is
not the login name; --map-role adds mappings for the roles the application logs in as, as
setup's --map-role names them: ROLE, or OLD=NEW (the proxy maps OLD; NEW must be what setup
was given). Cutover checks each can log in to the new primary with the privileges it has.

postgres_fdw cannot carry INSERT ... ON CONFLICT DO UPDATE, and runs remote transactions at
REPEATABLE READ; advisory locks and LISTEN/NOTIFY stay on the proxy. The output repeats this.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migration(cmd, &s, proxyFlag, primary)
			if err != nil {
				return err
			}
			res, err := core.ProxyCreate(cmd.Context(), core.ProxyCreateOptions{Migration: m, MapRoles: splitList(mapRoles),
				Execution: x.execution(a.observer())})
			return show(a, asJSON, res, err, renderProxyCreate)
		},
	}
	s.addFlags(cmd, proxyFlag, primary)
	cmd.Flags().StringVar(&mapRoles, "map-role", "", mapRoleHelp)
	x.addFlags(cmd, dryRunHelp)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func renderProxyCreate(w io.Writer, r *core.ProxyCreateResult) {
	if printDryRun(w, r.DryRun, "proxy create for "+r.Name, r.Statements) {
		return
	}
	if !r.Changed {
		fmt.Fprintf(w, "The proxy for %s is already in place: nothing changed.\n", r.Name)
	} else {
		fmt.Fprintf(w, "The proxy stands in for the primary: foreign server %s → %s, %d tables, %d views, %d sequences wired to column defaults.\n",
			r.Server, r.PointsAt, len(r.Tables), len(r.Views), len(r.Sequences))
		fmt.Fprintln(w, "Next: point the application at the proxy, then pghandoff cutover when status is ready.")
	}
	fmt.Fprintf(w, "User mappings for: %s\n", strings.Join(r.Roles, ", "))
	printList(w, "Created types", r.CreatedTypes)
	printList(w, "Warnings", r.Warnings)
}

func (a *app) proxyRemoveCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "remove --proxy DSN --primary DSN [--replica DSN]",
		Short: "Remove everything proxy create and cutover made, on every server given",
		Long: `Removes what proxy create and cutover made: on the proxy the foreign server, its user
mappings and foreign tables, helper functions, and the schemas and types it created; with
the primary (required: the migration's operation lock lives there) and, with --replica, the
replica, the sequence helper views, the watch for writes that bypass the proxy and the
failsafe's replication.
After proxy remove and teardown nothing of pghandoff is left on any server. The application
must no longer use the proxy. As rm-proxy.sh, it also takes the proxy's connection string as
its only argument.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if proxy := s.conns[core.OptProxy]; len(args) == 1 && *proxy == "" {
				*proxy = args[0] // rm-proxy.sh CONNINFO
			}
			m, err := a.migrationWith(cmd, &s, []serverFlag{proxyFlag, primaryFlag}, []serverFlag{replicaFlag})
			if err != nil {
				return err
			}
			res, err := core.ProxyRemove(cmd.Context(), core.ProxyRemoveOptions{Migration: m, Execution: x.execution(a.observer())})
			return show(a, asJSON, res, err, renderProxyRemove)
		},
	}
	s.addFlags(cmd, proxyFlag, primaryFlag, replicaFlag)
	x.addFlags(cmd, dryRunHelp)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func renderProxyRemove(w io.Writer, r *core.ProxyRemoveResult) {
	if printDryRun(w, r.DryRun, "proxy remove for "+r.Name, r.Statements) {
		return
	}
	if len(r.Removed) == 0 {
		fmt.Fprintf(w, "Nothing of the proxy for %s was left to remove.\n", r.Name)
	}
	printList(w, fmt.Sprintf("Removed (migration %s)", r.Name), r.Removed)
	printList(w, "Warnings", r.Warnings)
}

// splitList reads a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
