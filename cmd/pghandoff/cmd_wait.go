package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) waitCommand() *cobra.Command {
	var s servers
	var maxLag bytesValue
	var timeout, interval time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "wait --primary DSN --replica DSN",
		Short: "Block until the replica has caught up, or a timeout passes",
		Long: `Checks the status every --interval until every table is replicating and the lag is under
--max-lag, printing progress. Exits 0 when ready, 3 when --timeout passes first (with the
reasons). For workflows: run it before cutover.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migration(cmd, &s, primaryFlag, replicaFlag)
			if err != nil {
				return err
			}
			st, err := core.Wait(cmd.Context(), core.WaitOptions{
				StatusOptions: core.StatusOptions{Migration: m, MaxLag: int64(maxLag), Observer: a.silentObserver()},
				Timeout:       timeout, Interval: interval,
				OnStatus: func(st *core.Status) { fmt.Fprintln(a.stderr, progressLine(st)) },
			})
			return show(a, asJSON, st, err, renderStatus)
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag)
	maxLagFlag(cmd, &maxLag)
	durationFlag(cmd, &timeout, "timeout", core.DefaultWaitTimeout, "give up after this long and exit 3 (0: wait until ready)")
	durationFlag(cmd, &interval, "interval", core.DefaultWaitInterval, "time between checks")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the final status as JSON")
	return cmd
}

// progressLine is one line per check: the verdict, lag and table counts.
func progressLine(st *core.Status) string {
	lag := "?"
	if st.LagBytes != nil {
		lag = core.FormatBytes(*st.LagBytes)
	}
	line := fmt.Sprintf("%s  %-12s lag %-10s tables %s", st.CheckedAt.Format("15:04:05"), st.State, lag, tableCounts(st.TableCounts))
	if sub := st.Subscription; sub != nil && sub.Copying > 0 {
		line += fmt.Sprintf(", copying %d at once (at most %d)", sub.Copying, sub.MaxCopying)
	}
	if !st.Ready && len(st.Reasons) > 0 {
		line += "  (" + st.Reasons[0] + ")"
	}
	return line
}
