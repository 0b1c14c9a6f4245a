package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) cutoverCommand() *cobra.Command {
	var s servers
	var x executionFlags
	var maxPause, lockTimeout time.Duration
	var margin int64
	var maxLag bytesValue
	var failsafe, asJSON bool
	replica := replicaFlag.withAlias("server")
	cmd := &cobra.Command{
		Use:   "cutover --proxy DSN --primary DSN --replica DSN",
		Short: "Switch the proxy from the primary to the replica without losing a write",
		Long: `Switches the proxy from the old primary to the replica in one short pause:
  1. refuses unless replication is ready (a replica catching up gets 10 s to be);
  2. locks every foreign table of the migration on the proxy, which also waits for the
     application's transactions in flight (bounded by --pause-lock-timeout, retried);
  3. writes a sentinel row on the primary and waits until the replica has applied it:
     everything committed before the pause is then on the replica;
  4. sets every sequence on the replica from the primary's exact values plus --margin;
  5. points the foreign server and user mappings at the replica, and commits. The queued
     statements run against the replica.
If the replica has not caught up within --max-pause, everything rolls back: traffic resumes on
the primary, nothing is lost, and the output says why (exit 1). It reports the pause in
milliseconds, how many statements waited, and the LSNs.

--failsafe also sets up replication back from the replica to the old primary, starting
exactly at the switch, so that going back loses nothing.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migration(cmd, &s, proxyFlag, primaryFlag, replica)
			if err != nil {
				return err
			}
			res, err := core.Cutover(cmd.Context(), core.CutoverOptions{SwitchOptions: core.SwitchOptions{Migration: m, MaxPause: maxPause, Margin: margin, MaxLag: int64(maxLag), LockTimeout: lockTimeout, Execution: x.execution(a.observer())}, Failsafe: failsafe})
			return show(a, asJSON, res, err, renderCutover)
		},
	}
	s.addFlags(cmd, proxyFlag, primaryFlag, replica)
	durationFlag(cmd, &maxPause, "max-pause", core.DefaultMaxPause, "roll back if the replica has not caught up within this pause")
	durationFlag(cmd, &lockTimeout, "pause-lock-timeout", core.DefaultPauseLockTimeout, "wait at most this long for each table's lock in the pause")
	cmd.Flags().Int64Var(&margin, "margin", core.DefaultMargin, "move every sequence this many values past the primary's, for writers that bypass the proxy")
	maxLagFlag(cmd, &maxLag)
	cmd.Flags().BoolVar(&failsafe, "failsafe", false, "also replicate back from the replica to the old primary, from the switch on")
	x.addFlags(cmd, "check readiness and print the SQL it would run, change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func renderCutover(w io.Writer, r *core.CutoverResult) {
	switch {
	case r.DryRun:
		fmt.Fprintf(w, "Dry run: cutover of %s would run these statements (nothing was changed):\n", r.Name)
		printStatements(w, r.Statements)
		return
	case r.AlreadySwitched:
		fmt.Fprintf(w, "The proxy for %s already points at the replica: nothing changed.\n", r.Name)
	case r.Switched:
		fmt.Fprintf(w, "Switched: the proxy now sends %s's traffic to the replica.\n", r.Name)
	default:
		fmt.Fprintf(w, "NOT switched: the proxy still points at the primary. %s\n", r.AbortReason)
	}
	if r.LockAttempts > 0 {
		fmt.Fprintf(w, "  pause            %.1f ms (locks %.1f ms, catch-up %.1f ms), %d attempt(s), %d statements waited, %d tables\n",
			r.PauseMS, r.LockMS, r.CatchUpMS, r.LockAttempts, r.WaitedStatements, r.Tables)
		fmt.Fprintf(w, "  LSNs             primary %s, sentinel %s, replica %s\n", orNone(r.SourceLSN), orNone(r.SentinelLSN), orNone(r.TargetLSN))
	}
	if r.Switched && !r.AlreadySwitched {
		fmt.Fprintf(w, "  sequences        %d set on the replica (%d moved)\n", len(r.Sequences), r.SequencesChanged)
	}
	if f := r.Failsafe; f != nil {
		fmt.Fprintf(w, "  failsafe         %s → old primary from %s, subscribed %t\n", f.Publication, orNone(f.StartLSN), f.Subscribed)
	}
	printList(w, "Warnings", r.Warnings)
}
