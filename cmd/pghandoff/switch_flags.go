package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

// switchFlags are the flags of a switch of traffic, cutover's and rollback's: the primary,
// the replica and the proxy or PgBouncer, the pause's bounds and the margin.
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
	f.servers.addFlags(cmd, append([]serverFlag{proxyFlag, primaryFlag, replicaWithAlias, replicaForPrimaryFlag}, bouncerFlags...)...)
	durationFlag(cmd, &f.maxPause, "max-pause", core.DefaultMaxPause, "give up, traffic staying where it was, if the "+target+" has not caught up within this pause")
	durationFlag(cmd, &f.lockTimeout, "pause-lock-timeout", core.DefaultPauseLockTimeout,
		"wait at most this long for each table's lock in the pause (through PgBouncer: for PAUSE, while transactions in flight end), then let go and try again")
	cmd.Flags().Int64Var(&f.margin, "margin", core.DefaultMargin, "move every sequence on the "+target+" this many values past the other's, for writers that bypass the proxy or PgBouncer")
	maxLagFlag(cmd, &f.maxLag)
	f.x.addFlags(cmd, "check readiness and print the SQL it would run, change nothing")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the result as JSON")
}

// options resolves the servers and builds the switch's options.
func (f *switchFlags) options(a *app, cmd *cobra.Command) (core.SwitchOptions, error) {
	m, err := a.switchMigration(cmd, &f.servers, []serverFlag{primaryFlag, replicaWithAlias}, replicaForPrimaryFlag)
	return core.SwitchOptions{Migration: m, MaxPause: f.maxPause, Margin: f.margin, MaxLag: int64(f.maxLag),
		LockTimeout: f.lockTimeout, Watchdog: bouncerWatchdog, Execution: f.x.execution(a.observer())}, err
}

// via names what traffic goes through, for the strategy a result names.
func via(strategy string) string {
	if strategy == core.StrategyPgBouncer {
		return "PgBouncer"
	}
	return "the proxy"
}

// capitalized is s with its first letter upper-case: "The proxy".
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// renderPause prints what a pause measured.
func renderPause(w io.Writer, p core.PauseReport, source, target string) {
	switch {
	case p.LockAttempts == 0:
		return
	case p.Strategy == core.StrategyPgBouncer:
		fmt.Fprintf(w, "  pause            %.1f ms (%s), %d attempt(s), %d clients waited\n",
			p.PauseMS, p.Split(), p.LockAttempts, p.WaitedStatements)
	default:
		fmt.Fprintf(w, "  pause            %.1f ms (%s), %d attempt(s), %d statements waited, %d tables\n",
			p.PauseMS, p.Split(), p.LockAttempts, p.WaitedStatements, p.Tables)
	}
	fmt.Fprintf(w, "  LSNs             %s %s, sentinel %s, %s %s\n", source, orNone(p.SourceLSN), orNone(p.SentinelLSN), target, orNone(p.TargetLSN))
}
