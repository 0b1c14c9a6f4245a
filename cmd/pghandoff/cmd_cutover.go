package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) cutoverCommand() *cobra.Command {
	var f switchFlags
	var failsafe bool
	cmd := &cobra.Command{
		Use:   "cutover (--proxy DSN | --pgbouncer DSN --pgbouncer-config FILE) --primary DSN --replica DSN",
		Short: "Switch the proxy or PgBouncer from the primary to the replica without losing a write",
		Long: `Switches the proxy from the old primary to the replica in one short pause:
  1. refuses unless replication is ready (a replica catching up gets 10 s to be);
  2. locks every foreign table of the migration on the proxy, which also waits for the
     application's transactions in flight (bounded by --pause-lock-timeout, retried);
  3. writes a sentinel row on the primary and waits until the replica has applied it:
     everything committed before the pause is then on the replica;
  4. sets every sequence on the replica from the primary's exact values plus --margin;
  5. points the foreign server and user mappings at the replica, and commits. The queued
     statements run against the replica.
The pause never lasts longer than --max-pause: past it, or on any failure before the commit,
traffic resumes on the primary, nothing is lost, and the output says why (exit 1). The proxy
itself enforces the bound, so a cutover that is killed or loses its network cannot hold the
application longer. When the commit's answer is lost, cutover reads where the proxy points
and says so. It reports the pause in milliseconds, how many statements waited, and the LSNs.

With --pgbouncer (and --pgbouncer-config) instead of --proxy, the application goes through
PgBouncer, and the same pause holds it there: PAUSE of the database entry (transactions in
flight finish, new ones queue; bounded by --pause-lock-timeout, retried), the sentinel and
the sequences as above, the entry rewritten in the file to point at the replica, RELOAD,
confirmed in SHOW DATABASES, RESUME. A watchdog process of pghandoff's issues PAUSE, the
repoint and RESUME, and resumes on its own when cutover dies, or at --max-pause plus 0.5 s
when it freezes or is cut off: PgBouncer never stays paused. Each run first resumes a pause
an earlier run left. It reports the pause, how many clients waited, and the LSNs.

--failsafe also sets up replication back from the replica to the old primary, starting
exactly at the switch, so that rollback can go back without losing anything.

Run it again at any time: after a switch it finishes what a crashed run left undone, after
a crashed pause it puts replication back first.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := f.options(a, cmd)
			if err != nil {
				return err
			}
			res, err := core.Cutover(cmd.Context(), core.CutoverOptions{SwitchOptions: opts, Failsafe: failsafe})
			return show(a, f.asJSON, res, err, renderCutover)
		},
	}
	f.addFlags(cmd, "replica")
	cmd.Flags().BoolVar(&failsafe, "failsafe", false, "also replicate back from the replica to the old primary, from the switch on")
	return cmd
}

func renderCutover(w io.Writer, r *core.CutoverResult) {
	switch {
	case printDryRun(w, r.DryRun, "cutover of "+r.Name, r.Statements):
		return
	case r.AlreadySwitched:
		fmt.Fprintf(w, "%s for %s already points at the replica: nothing changed.\n", capitalized(via(r.Strategy)), r.Name)
	case r.Switched:
		fmt.Fprintf(w, "Switched: %s now sends %s's traffic to the replica.\n", via(r.Strategy), r.Name)
	case r.OutcomeUnknown:
		fmt.Fprintf(w, "OUTCOME UNKNOWN: the release was sent, but neither its answer nor where %s points could be read. Run cutover again.\n", via(r.Strategy))
	case r.AbortReason != "":
		fmt.Fprintf(w, "NOT switched: traffic stayed on the primary, nothing was lost. %s\n", r.AbortReason)
	default:
		fmt.Fprintf(w, "NOT switched: nothing was changed.\n")
	}
	printList(w, "Put right from an earlier run", r.Settled)
	printList(w, "Materialized views populated on the replica", r.Refreshed)
	renderPause(w, r.PauseReport, "primary", "replica")
	if r.Switched && !r.AlreadySwitched {
		fmt.Fprintf(w, "  sequences        %d set on the replica (%d moved)\n", len(r.Sequences), r.SequencesChanged)
	}
	if f := r.Failsafe; f != nil {
		fmt.Fprintf(w, "  failsafe         %s → old primary from %s, subscribed %t\n", f.Publication, orNone(f.StartLSN), f.Subscribed)
	}
	printList(w, "Warnings", r.Warnings)
}
