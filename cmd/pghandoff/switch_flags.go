package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

// switchFlags are the flags of a switch of traffic, cutover's and rollback's: the three
// servers, the pause's bounds and the margin.
type switchFlags struct {
	servers
	x                     executionFlags
	maxPause, lockTimeout time.Duration
	margin                int64
	maxLag                bytesValue
	asJSON                bool
}

// replicaWithAlias is --replica, also spelled --server as mv-proxy.sh named it.
var replicaWithAlias = replicaFlag.withAlias("server")

func (f *switchFlags) addFlags(cmd *cobra.Command, target string) {
	f.servers.addFlags(cmd, proxyFlag, primaryFlag, replicaWithAlias, replicaForPrimaryFlag)
	durationFlag(cmd, &f.maxPause, "max-pause", core.DefaultMaxPause, "give up, traffic staying where it was, if the "+target+" has not caught up within this pause")
	durationFlag(cmd, &f.lockTimeout, "pause-lock-timeout", core.DefaultPauseLockTimeout, "wait at most this long for each table's lock in the pause")
	cmd.Flags().Int64Var(&f.margin, "margin", core.DefaultMargin, "move every sequence on the "+target+" this many values past the other's, for writers that bypass the proxy")
	maxLagFlag(cmd, &f.maxLag)
	f.x.addFlags(cmd, "check readiness and print the SQL it would run, change nothing")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the result as JSON")
}

// options resolves the servers and builds the switch's options.
func (f *switchFlags) options(a *app, cmd *cobra.Command) (core.SwitchOptions, error) {
	m, err := a.migrationWith(cmd, &f.servers, []serverFlag{proxyFlag, primaryFlag, replicaWithAlias}, []serverFlag{replicaForPrimaryFlag})
	return core.SwitchOptions{Migration: m, MaxPause: f.maxPause, Margin: f.margin, MaxLag: int64(f.maxLag),
		LockTimeout: f.lockTimeout, Execution: f.x.execution(a.observer())}, err
}

// renderPause prints what a pause measured.
func renderPause(w io.Writer, p core.PauseReport, source, target string) {
	if p.LockAttempts == 0 {
		return
	}
	fmt.Fprintf(w, "  pause            %.1f ms (locks %.1f ms, catch-up %.1f ms), %d attempt(s), %d statements waited, %d tables\n",
		p.PauseMS, p.LockMS, p.CatchUpMS, p.LockAttempts, p.WaitedStatements, p.Tables)
	fmt.Fprintf(w, "  LSNs             %s %s, sentinel %s, %s %s\n", source, orNone(p.SourceLSN), orNone(p.SentinelLSN), target, orNone(p.TargetLSN))
}
