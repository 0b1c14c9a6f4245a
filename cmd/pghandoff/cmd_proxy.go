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
		Short: "Create or remove the postgres_fdw proxy (or PgBouncer's entry) the application talks to during the move",
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
	replica := replicaFlag.withHelp("with --pgbouncer: connection string of the replica, where the checks look for the application's roles and privileges")
	cmd := &cobra.Command{
		Use:   "create (--proxy DSN | --pgbouncer DSN --pgbouncer-config FILE --replica DSN) --primary DSN",
		Short: "Make the proxy database stand in for the primary through postgres_fdw, or take over PgBouncer's entry",
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
REPEATABLE READ; advisory locks and LISTEN/NOTIFY stay on the proxy. The output repeats this.

With --pgbouncer instead, the application goes through PgBouncer (transaction or statement
pooling) and keeps its own database's semantics: pghandoff takes over the database entry
(--pgbouncer-database, by default the primary's database name) in --pgbouncer-config, a
file that PgBouncer's configuration %includes. It checks first, and explains each refusal:
an admin user, PgBouncer 1.8 or newer, no session pooling, TLS to the servers,
query_wait_timeout above the max pause, the entry defined nowhere else, the application's
roles (--map-role, else the users of the entry's pools) able to log in to the new primary
with the privileges they have on the old one, and server authentication (auth_file or
auth_query) that will work there. Then it writes the entry pointing at the primary,
RELOADs, and confirms it in SHOW DATABASES. It never takes over an entry that points
anywhere else. Without a PgBouncer yet, include the file in its configuration first (the
README shows how, for a container and a Kubernetes sidecar).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.switchMigration(cmd, &s, []serverFlag{primary}, replica)
			if err != nil {
				return err
			}
			if !m.PgBouncer.Admin.IsZero() && m.Replica.IsZero() {
				return &usageError{cmd: cmd, err: fmt.Errorf("missing --replica: with --pgbouncer, the checks read the new primary")}
			}
			res, err := core.ProxyCreate(cmd.Context(), core.ProxyCreateOptions{Migration: m, MapRoles: splitList(mapRoles),
				Execution: x.execution(a.observer())})
			return show(a, asJSON, res, err, renderProxyCreate)
		},
	}
	s.addFlags(cmd, append([]serverFlag{proxyFlag, primary, replica}, bouncerFlags...)...)
	cmd.Flags().StringVar(&mapRoles, "map-role", "", mapRoleHelp+"; with --pgbouncer, checked on the new primary")
	x.addFlags(cmd, dryRunHelp)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func renderProxyCreate(w io.Writer, r *core.ProxyCreateResult) {
	if r.Strategy == core.StrategyPgBouncer {
		renderBouncerCreate(w, r)
		return
	}
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

// renderBouncerCreate prints what proxy create did with PgBouncer: every check, then the entry.
func renderBouncerCreate(w io.Writer, r *core.ProxyCreateResult) {
	printList(w, "Put right from an earlier run", r.Settled)
	if b := r.PgBouncer; b != nil {
		fmt.Fprintf(w, "PgBouncer %s, entry %s:\n", orNone(b.Version), b.Entry)
		renderChecks(w, b.Checks)
	}
	switch {
	case printDryRun(w, r.DryRun, "proxy create for "+r.Name, r.Statements):
		return
	case r.PgBouncer == nil || !r.PgBouncer.OK:
		fmt.Fprintln(w, "PgBouncer's entry was not written: fix what failed above, then run proxy create again.")
	case r.Changed:
		fmt.Fprintf(w, "PgBouncer's entry %s points at the primary (%s): written and loaded.\n", r.Server, r.PointsAt)
		fmt.Fprintln(w, "Next: pghandoff cutover with the same --pgbouncer options when status is ready.")
	default:
		fmt.Fprintf(w, "PgBouncer's entry %s already points at the primary: nothing changed.\n", r.Server)
	}
	printList(w, "Warnings", r.Warnings)
}

func (a *app) proxyRemoveCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "remove (--proxy DSN | --pgbouncer DSN --pgbouncer-config FILE) --primary DSN [--replica DSN]",
		Short: "Remove everything proxy create and cutover made, on every server given",
		Long: `Removes what proxy create and cutover made: on the proxy the foreign server, its user
mappings and foreign tables, helper functions, and the schemas and types it created; with
the primary (required: the migration's operation lock lives there) and, with --replica, the
replica, the sequence helper views, the watch for writes that bypass the proxy and the
failsafe's replication.
After proxy remove and teardown nothing of pghandoff is left on any server. The application
must no longer use the proxy. As rm-proxy.sh, it also takes the proxy's connection string as
its only argument.

With --pgbouncer instead of --proxy, PgBouncer's entry stays as it is, pointing wherever
traffic goes now: removing it would disconnect the application. It is yours from then on
(move it into PgBouncer's own configuration when convenient); the output says so. A pause an
earlier run left is resumed, and the rest is removed as above.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if proxy := s.conns[core.OptProxy]; len(args) == 1 && *proxy == "" {
				*proxy = args[0] // rm-proxy.sh CONNINFO
			}
			m, err := a.switchMigration(cmd, &s, []serverFlag{primaryFlag}, replicaFlag)
			if err != nil {
				return err
			}
			res, err := core.ProxyRemove(cmd.Context(), core.ProxyRemoveOptions{Migration: m, Execution: x.execution(a.observer())})
			return show(a, asJSON, res, err, renderProxyRemove)
		},
	}
	s.addFlags(cmd, append([]serverFlag{proxyFlag, primaryFlag, replicaFlag}, bouncerFlags...)...)
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
	printList(w, "Put right from an earlier run", r.Settled)
	printList(w, fmt.Sprintf("Removed (migration %s)", r.Name), r.Removed)
	printList(w, "Kept", r.Kept)
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
