package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) waitCommand() *cobra.Command {
	var s servers
	var maxLag bytesValue
	var timeout, interval time.Duration
	var asJSON bool
	var jobs int
	cmd := &cobra.Command{
		Use:   "wait --primary DSN --replica DSN",
		Short: "Block until the replica has caught up, or a timeout passes",
		Long: `Checks the status every --interval until every table is replicating, every index and
constraint setup left for after the copy is built, and the lag is under --max-lag, printing
progress: on a terminal one line kept up to date (the copy in bytes, its rate and the time
left, the index builds), otherwise a line at each change. Meanwhile it builds those indexes
and constraints, each as soon as its tables are copied, --jobs at a time; interrupted, the
next wait (or the bot) carries on where it stopped. Exits 0 when ready, 3 when --timeout
passes first (with the reasons). For workflows: run it before cutover.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migration(cmd, &s, primaryFlag, replicaFlag)
			if err != nil {
				return err
			}
			progress := newProgressPrinter(a.stderr, a.rawStderr)
			st, err := core.Wait(cmd.Context(), core.WaitOptions{
				StatusOptions: core.StatusOptions{Migration: m, MaxLag: int64(maxLag), Observer: a.silentObserver()},
				Timeout:       timeout, Interval: interval, Jobs: jobs,
				OnStatus: progress.show,
			})
			progress.end()
			return show(a, asJSON, st, err, renderStatus)
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag)
	maxLagFlag(cmd, &maxLag)
	durationFlag(cmd, &timeout, "timeout", core.DefaultWaitTimeout, "give up after this long and exit 3 (0: wait until ready)")
	durationFlag(cmd, &interval, "interval", core.DefaultWaitInterval, "time between checks")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the final status as JSON")
	jobsFlag(cmd, &jobs)
	return cmd
}
