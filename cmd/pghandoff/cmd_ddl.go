package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) ddlCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var yes, asJSON bool
	cmd := &cobra.Command{
		Use:   `ddl "SQL" --primary DSN --replica DSN [--proxy DSN] [--yes]`,
		Short: "Run a schema change on the replica, the primary and the proxy, in the order it needs",
		Long: `Runs a schema change during the move in the order that keeps replication running:
pghandoff first tries the statement on the replica in a transaction it rolls back, to learn
what it changes, then orders the servers:
  adds or relaxes (a column, table, index, enum value; a default; a dropped constraint):
    the replica, then the primary, then the proxy's foreign tables
  tightens (a constraint, a unique index, NOT NULL): the primary, then the replica
  drops a column: the proxy, then the primary, then the replica
A type change, a rename or a dropped table has no safe order without a decision: it is
refused, with what to do. New tables are added to the replication.

Nothing runs without --yes: without it (or with --dry-run) ddl prints the plan, each step
with its statements, and exits. With --yes each step is confirmed by reading the server's
definitions back before the next; the first that fails stops the run with where each server
stands, and running the same command again skips the steps done.

The statement is the only argument; "-" reads it from standard input. Several statements run
as one transaction on each server; CREATE or DROP INDEX CONCURRENTLY must come alone.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.migrationWith(cmd, &s, []serverFlag{primaryFlag, replicaFlag}, []serverFlag{proxyFlag})
			if err != nil {
				return err
			}
			sql, err := ddlStatement(cmd, args)
			if err != nil {
				return err
			}
			res, err := core.DDL(cmd.Context(), core.DDLOptions{Migration: m, SQL: sql, Confirm: yes, Execution: x.execution(a.observer())})
			return show(a, asJSON, res, err, renderDDL)
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag, proxyFlag.withHelp("the proxy's connection string, for its foreign tables to follow the change"))
	cmd.Flags().BoolVar(&yes, "yes", false, "run the plan (without it, ddl prints the plan and exits)")
	x.addFlags(cmd, "print the plan and every statement, change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// ddlStatement is the statement given as the argument, or on standard input for "-".
func ddlStatement(cmd *cobra.Command, args []string) (string, error) {
	if len(args) == 0 {
		return "", &usageError{cmd: cmd, err: fmt.Errorf("no statement given")}
	}
	if args[0] != "-" {
		return args[0], nil
	}
	b, err := io.ReadAll(cmd.InOrStdin())
	if err != nil {
		return "", fmt.Errorf("read the statement from standard input: %w", err)
	}
	return string(b), nil
}

func renderDDL(w io.Writer, r *core.DDLResult) {
	switch {
	case r.Planned:
		fmt.Fprintln(w, "Plan (nothing ran):")
	case r.DryRun:
		fmt.Fprintln(w, "Dry run (nothing was changed):")
	case r.Complete:
		fmt.Fprintln(w, "Done on every server:")
	default:
		fmt.Fprintln(w, "Stopped:")
	}
	for _, c := range r.Changes {
		fmt.Fprintf(w, "  it %s\n", c.Message)
	}
	if len(r.Order) > 0 {
		fmt.Fprintf(w, "  order: %s, because %s\n", strings.Join(r.Order, " → "), r.Why)
	}
	for i, s := range r.Steps {
		fmt.Fprintf(w, "  %d. %-8s %-8s %s\n", i+1, s.Server, s.State, s.What)
		for _, sql := range s.SQL {
			fmt.Fprintf(w, "       %s;\n", sql)
		}
		if s.Confirmed != "" {
			fmt.Fprintf(w, "       %s\n", s.Confirmed)
		}
		if s.Error != "" {
			fmt.Fprintf(w, "       error: %s\n", s.Error)
		}
	}
	printList(w, "Warnings", r.Warnings)
}
