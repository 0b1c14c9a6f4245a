package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/workload"
)

func (a *app) demoCommand() *cobra.Command {
	var clients int
	var strategy string
	cmd := &cobra.Command{
		Use:   "demo [--strategy proxy|pgbouncer]",
		Short: "Run a whole migration on throwaway local PostgreSQL servers",
		Long: `Starts throwaway local PostgreSQL servers (a primary, a replica and a proxy), loads sample
data, and runs a whole migration under a live write workload through the proxy: preflight,
setup, wait, proxy create, cutover (with the failsafe), verify, proxy remove and teardown.
It ends with a summary (rows moved, time to ready, the pause, writes during the cutover,
lost writes) and removes the servers, on Ctrl-C too. It needs the PostgreSQL server binaries
that ` + "`make demo`" + ` installs.

--strategy pgbouncer runs the application through a throwaway PgBouncer (transaction
pooling) instead of the proxy: no proxy server; proxy create takes over PgBouncer's entry,
cutover pauses and repoints it. It needs PgBouncer, which ` + "`make demo`" + ` installs too.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strategy != core.StrategyProxy && strategy != core.StrategyPgBouncer {
				return &usageError{cmd: cmd, err: fmt.Errorf("--strategy %q: use proxy or pgbouncer", strategy)}
			}
			d := &demo{out: a.stdout, obs: a.silentObserver(), clients: clients, strategy: strategy}
			defer d.stopServers()
			return d.run(cmd.Context())
		},
	}
	cmd.Flags().IntVar(&clients, "clients", 8, "application clients writing through the proxy or PgBouncer")
	cmd.Flags().StringVar(&strategy, "strategy", core.StrategyProxy, "what the application's traffic goes through: proxy (postgres_fdw) or pgbouncer")
	return cmd
}

// demo is one run of the demo: its servers, its migration, and what it measured.
type demo struct {
	out      io.Writer
	obs      core.Observer
	clients  int
	strategy string

	primary, replica, proxy *pgcluster.Cluster
	bouncer                 *pgbouncer.Bouncer // with --strategy pgbouncer, instead of the proxy
	m                       core.Migration
	app                     *workload.Workload
	step                    int

	rows                     int64
	setupStart               time.Time
	toReady, pause           time.Duration
	cutoverStart, cutoverEnd time.Time
	report                   workload.Report
}

const demoDB = "app"

func (d *demo) run(ctx context.Context) error {
	through := "the proxy"
	if d.viaBouncer() {
		through = "PgBouncer"
	}
	fmt.Fprintln(d.out, "pghandoff demo: a whole migration on throwaway local PostgreSQL servers,")
	fmt.Fprintf(d.out, "with an application writing through %s the whole time.\n", through)
	steps := []struct {
		title string
		do    func(context.Context) (string, error)
	}{
		{"start the servers", d.startServers},
		{"load sample data on the primary", d.loadData},
		{"preflight", d.preflight},
		{"setup", d.setup},
		{"wait for the replica to catch up", d.wait},
		{"proxy create, and start the application on " + through, d.proxyCreate},
		{"cutover, with the failsafe back to the old primary", d.cutover},
		{"check every acknowledged write, then verify every table", d.check},
		{"proxy remove and teardown", d.cleanUp},
	}
	for i, s := range steps {
		d.step = i + 1
		fmt.Fprintf(d.out, "\n[%d/%d] %s\n", d.step, len(steps), s.title)
		start := time.Now()
		detail, err := s.do(ctx)
		if err != nil {
			if d.app != nil {
				d.app.Stop()
			}
			return fmt.Errorf("demo step %d (%s): %w", d.step, s.title, err)
		}
		fmt.Fprintf(d.out, "      %s (%.1f s)\n", detail, time.Since(start).Seconds())
	}
	return d.summary()
}

func (d *demo) summary() error {
	fmt.Fprintf(d.out, "\nSummary\n")
	fmt.Fprintf(d.out, "  traffic through         %s\n", d.strategy)
	fmt.Fprintf(d.out, "  rows moved              %d\n", d.rows)
	fmt.Fprintf(d.out, "  time to ready           %.1f s\n", d.toReady.Seconds())
	fmt.Fprintf(d.out, "  cutover pause           %.1f ms\n", float64(d.pause.Microseconds())/1000)
	fmt.Fprintf(d.out, "  writes during cutover   %d (in flight while the cutover command ran, %.1f s)\n", d.writesDuringCutover(), d.cutoverEnd.Sub(d.cutoverStart).Seconds())
	fmt.Fprintf(d.out, "  writes acknowledged     %d inserts, %d increments (%d serialization retries)\n", d.report.Inserts, d.report.Increments, d.report.Retries)
	fmt.Fprintf(d.out, "  lost writes             %d\n", d.report.Lost)
	if !d.report.OK() {
		return fmt.Errorf("the new primary does not hold exactly what was acknowledged: %v", d.report.Problems)
	}
	return nil
}

// writesDuringCutover counts the inserts in flight at some moment of the cutover.
func (d *demo) writesDuringCutover() int {
	n := 0
	for _, w := range d.app.Inserts() {
		if w.Acked.After(d.cutoverStart) && w.Started.Before(d.cutoverEnd) {
			n++
		}
	}
	return n
}
