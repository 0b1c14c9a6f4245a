package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) schemaCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Compare the replica's and the proxy's schema with the primary's, and bring them in line",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{cmd: cmd, err: fmt.Errorf("schema needs a subcommand: diff or sync")}
		},
	}
	cmd.AddCommand(a.schemaDiffCommand(), a.schemaSyncCommand())
	return cmd
}

func (a *app) schemaDiffCommand() *cobra.Command {
	var s servers
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff --primary DSN --replica DSN [--proxy DSN]",
		Short: "Print every difference between the primary's schema and the replica's (and the proxy's)",
		Long: `Compares the definitions of the migration's tables on the primary and the replica:
columns with their types, defaults and nullability, indexes, constraints, partitions, enum
types and sequences; with --proxy, the proxy's foreign tables too. Each difference says what
it does to the migration (stops replication, may stop it, leaves rows out, matters after
cutover, harmless) and what to do: run pghandoff schema sync, or, when it needs a decision,
the statements to run, in order. Changes nothing. Exits 0 when the schemas agree, 3 when
they differ.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migrationWith(cmd, &s, []serverFlag{primaryFlag, replicaFlag}, []serverFlag{proxyFlag})
			if err != nil {
				return err
			}
			res, err := core.SchemaDiff(cmd.Context(), core.SchemaDiffOptions{Migration: m, Observer: a.silentObserver()})
			if err = show(a, asJSON, res, err, renderSchemaDiff); err == nil && res.Differs {
				return &exitError{code: exitNotReady}
			}
			return err
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag, proxyFlag.withHelp("the proxy's connection string, to compare its foreign tables too"))
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the differences as JSON")
	return cmd
}

func renderSchemaDiff(w io.Writer, r *core.SchemaDiffResult) {
	with := "the replica"
	if r.ProxyChecked {
		with = "the replica and the proxy"
	}
	if !r.Differs {
		fmt.Fprintf(w, "Migration %s: %s hold the primary's schema (%d tables compared).\n", r.Name, with, r.Tables)
		return
	}
	fmt.Fprintf(w, "Migration %s: %d difference(s) between the primary's schema and %s (%d tables compared):\n", r.Name, len(r.Changes), with, r.Tables)
	printChanges(w, r.Changes, true)
}

// effectTags mark each difference by what it does, gravest first.
var effectTags = map[core.Effect]string{
	core.EffectBreaks: "STOPS", core.EffectMayBreak: "MAY STOP", core.EffectNotReplicated: "MISSING",
	core.EffectAfterCutover: "CUTOVER", core.EffectNone: "harmless",
}

// printChanges lists schema differences with what to do about each (todo): the remedy, and
// the statements of a decision in their order.
func printChanges(w io.Writer, changes core.SchemaChanges, todo bool) {
	for _, c := range changes {
		fmt.Fprintf(w, "  %-9s %s\n", effectTags[c.Effect], c.Message)
		if !todo {
			continue
		}
		if h := c.Remedy.Render(cliSpeller{}); h != "" {
			fmt.Fprintf(w, "            Try: %s\n", h)
		}
		for _, s := range c.Statements {
			fmt.Fprintf(w, "              on the %s: %s;\n", s.Server, s.SQL)
		}
	}
}

func (a *app) schemaSyncCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var asJSON, replicaIdentityFull bool
	var pgDump string
	cmd := &cobra.Command{
		Use:   "sync --primary DSN --replica DSN [--proxy DSN]",
		Short: "Apply to the replica, then the proxy, what the primary's schema gained since setup",
		Long: `Brings the replica's schema in line with the primary's, then the proxy's foreign tables:
new columns (with their defaults and NOT NULL), new tables and partitions (their definitions
by pg_dump, published and copied), new indexes, constraints, enum types and values,
sequences, changed defaults and nullability. The replica first: its apply worker, stopped at
a change it could not apply, resumes by itself and nothing is lost. A NOT NULL whose rows
replication has not filled yet waits: run it again once status is ready.

What needs a decision (a dropped or renamed column, a changed type) it leaves, and prints
the statements to run and their order. Run pghandoff schema diff first to see everything;
--dry-run prints every statement and changes nothing.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migrationWith(cmd, &s, []serverFlag{primaryFlag, replicaFlag}, []serverFlag{proxyFlag})
			if err != nil {
				return err
			}
			res, err := core.SchemaSync(cmd.Context(), core.SchemaSyncOptions{Migration: m, PgDump: pgDump,
				ReplicaIdentityFull: replicaIdentityFull, Execution: x.execution(a.observer())})
			return show(a, asJSON, res, err, renderSchemaSync)
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag, proxyFlag.withHelp("the proxy's connection string, to bring its foreign tables in line too"))
	x.addFlags(cmd, dryRunHelp)
	cmd.Flags().BoolVar(&replicaIdentityFull, "replica-identity-full", false,
		"let new tables without a primary key join with REPLICA IDENTITY FULL instead of refusing them")
	cmd.Flags().StringVar(&pgDump, "pg-dump", "", "pg_dump for new tables' definitions, at least as new as the primary (default: the newest installed)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func renderSchemaSync(w io.Writer, r *core.SchemaSyncResult) {
	if printDryRun(w, r.DryRun, "schema sync of "+r.Name, r.Statements) {
		if len(r.Remaining) > 0 {
			fmt.Fprintln(w, "It would leave:")
			printChanges(w, r.Remaining, true)
		}
		return
	}
	switch {
	case len(r.Applied) == 0 && len(r.Remaining) == 0:
		fmt.Fprintf(w, "Migration %s: the replica holds the primary's schema: nothing to do.\n", r.Name)
	case len(r.Applied) > 0:
		fmt.Fprintf(w, "Migration %s: %d difference(s) brought in line (%d statements); replication resumes by itself.\n", r.Name, len(r.Applied), len(r.Statements))
		printChanges(w, r.Applied, false)
	}
	if len(r.Remaining) > 0 {
		fmt.Fprintf(w, "Still different (%d):\n", len(r.Remaining))
		printChanges(w, r.Remaining, true)
	}
	printList(w, "Warnings", r.Warnings)
}
