package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) rollbackCommand() *cobra.Command {
	var f switchFlags
	cmd := &cobra.Command{
		Use:   "rollback (--proxy DSN | --pgbouncer DSN --pgbouncer-config FILE) --primary DSN --replica DSN",
		Short: "Switch the proxy or PgBouncer back to the old primary after a cutover with --failsafe, losing nothing",
		Long: `Switches the proxy back from the replica to the old primary, after a cutover made with
--failsafe, in one short pause, the cutover's read backwards:
  1. refuses unless the failsafe (replication from the replica to the old primary) is ready;
  2. locks every foreign table on the proxy;
  3. writes a sentinel row on the replica and waits until the old primary has applied it:
     every write the application made on the replica is then on the old primary;
  4. turns replication around: the failsafe stops, and replication from the old primary
     into the replica starts again exactly here;
  5. sets every sequence on the old primary past the replica's, plus --margin;
  6. points the proxy back at the old primary, and commits.
Like cutover it never pauses longer than --max-pause (traffic then stays on the replica,
nothing lost), reads where the proxy points when the commit's answer is lost, and finishes
what a crashed run left undone when run again. Without the failsafe it refuses: the old
primary would lack every write since the switch. Afterwards the migration replicates as
before cutover, and can be cut over again. With --pgbouncer instead of --proxy, PgBouncer's
entry is paused, pointed back at the old primary and resumed, as cutover describes.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := f.options(a, cmd)
			if err != nil {
				return err
			}
			res, err := core.Rollback(cmd.Context(), core.RollbackOptions{SwitchOptions: opts})
			return show(a, f.asJSON, res, err, renderRollback)
		},
	}
	f.addFlags(cmd, "old primary")
	return cmd
}

func renderRollback(w io.Writer, r *core.RollbackResult) {
	switch {
	case printDryRun(w, r.DryRun, "rollback of "+r.Name, r.Statements):
		return
	case r.AlreadyRolledBack:
		fmt.Fprintf(w, "%s for %s already points at the old primary: nothing to roll back.\n", capitalized(via(r.Strategy)), r.Name)
	case r.RolledBack:
		fmt.Fprintf(w, "Rolled back: %s sends %s's traffic to the old primary again, and replication into the replica resumed.\n", via(r.Strategy), r.Name)
	case r.OutcomeUnknown:
		fmt.Fprintf(w, "OUTCOME UNKNOWN: the release was sent, but neither its answer nor where %s points could be read. Run rollback again.\n", via(r.Strategy))
	case r.AbortReason != "":
		fmt.Fprintf(w, "NOT rolled back: traffic stayed on the replica, nothing was lost. %s\n", r.AbortReason)
	default:
		fmt.Fprintf(w, "NOT rolled back: nothing was changed.\n")
	}
	printList(w, "Put right from an earlier run", r.Settled)
	renderPause(w, r.PauseReport, "replica", "old primary")
	if r.RolledBack {
		fmt.Fprintf(w, "  sequences        %d set on the old primary (%d moved)\n", len(r.Sequences), r.SequencesChanged)
	}
	printList(w, "Warnings", r.Warnings)
}
