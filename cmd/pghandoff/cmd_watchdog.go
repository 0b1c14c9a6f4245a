package main

import (
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

// watchdogCommandName is the hidden subcommand that runs the PgBouncer watchdog: a cutover
// or rollback through PgBouncer starts this binary with it, in a process of its own, to
// PAUSE, repoint and RESUME, and to RESUME on its own if the switch dies or freezes (see
// core/pgbouncer_watchdog.go). The Action and the bot run as this binary too.
const watchdogCommandName = "pgbouncer-watchdog"

func (a *app) watchdogCommand() *cobra.Command {
	return &cobra.Command{
		Use:    watchdogCommandName,
		Short:  "Run the PgBouncer watchdog (started by cutover and rollback, not by people)",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Requests on stdin, replies on stdout: the pipes of the pghandoff that started it,
			// unmasked (they carry JSON, and the requests the secrets it needs).
			return core.RunBouncerWatchdog(cmd.Context(), os.Stdin, a.rawStdout)
		},
	}
}

// bouncerWatchdog makes the command that runs this binary as the PgBouncer watchdog.
func bouncerWatchdog() *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, watchdogCommandName)
}
