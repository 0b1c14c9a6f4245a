package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) sequencesCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var skip int64
	var window time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sequences --primary DSN --replica DSN",
		Short: "Move every sequence of the replica ahead of the primary's (the switch without a proxy)",
		Long: `Watches every sequence of the primary (identity sequences included) at once for one
--window, without consuming values, then sets each sequence on the replica --skip seconds of
its observed use ahead of the primary. It never moves a sequence backwards, and refuses,
changing nothing, to take one past its maximum. Use it with fence and wait to switch without
a proxy: fence the writers, wait, run sequences, then point the application at the replica.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migration(cmd, &s, primaryFlag, replicaFlag)
			if err != nil {
				return err
			}
			res, err := core.Sequences(cmd.Context(), core.SequencesOptions{Migration: m, Skip: skip, Window: window,
				Execution: x.execution(a.observer())})
			return show(a, asJSON, res, err, renderSequences)
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag)
	cmd.Flags().Int64Var(&skip, "skip", core.DefaultSkip, "seconds of observed use to move each sequence ahead by")
	durationFlag(cmd, &window, "window", core.DefaultWindow, "how long to watch the primary's sequences")
	x.addFlags(cmd, "read and compute, print the SQL, change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func renderSequences(w io.Writer, r *core.SequencesResult) {
	if r.DryRun {
		fmt.Fprintf(w, "Dry run: watched %d sequences for %.0f ms; these statements would run (nothing was changed):\n", len(r.Sequences), r.WindowMS)
		printStatements(w, r.Statements)
		return
	}
	fmt.Fprintf(w, "Sequences: watched %d for %.0f ms, moved %d on the replica %d seconds of use ahead.\n", len(r.Sequences), r.WindowMS, r.Changed, r.SkipSeconds)
	for _, q := range r.Sequences {
		state := "already ahead"
		if q.Changed {
			state = "moved"
		}
		fmt.Fprintf(w, "  %-40s primary next %d, %.2f/s; replica next %d → %d (%s)\n", q.TableName, q.PrimaryNext, q.RatePerSecond, q.ReplicaNext, q.Next, state)
	}
	printList(w, "Missing on the replica", tableNames(r.Missing))
	printList(w, "Warnings", r.Warnings)
}
