package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

// executionFlags are the flags of every command that changes a server: --dry-run, and the
// timeouts of the statements that take locks or change schema.
type executionFlags struct {
	dryRun          bool
	lock, statement time.Duration
}

// addFlags registers them; dryRunHelp says what this command's dry run does.
func (f *executionFlags) addFlags(cmd *cobra.Command, dryRunHelp string) {
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, dryRunHelp)
	durationFlag(cmd, &f.lock, "lock-timeout", core.DefaultLockTimeout, "give up a DDL statement waiting this long for a lock (it is retried 3 times)")
	durationFlag(cmd, &f.statement, "statement-timeout", core.DefaultStatementTimeout, "give up any statement running this long")
}

// execution is how core runs the command, with its progress shown by obs.
func (f *executionFlags) execution(obs core.Observer) core.Execution {
	return core.Execution{DryRun: f.dryRun, Timeouts: core.Timeouts{Lock: f.lock, Statement: f.statement}, Observer: obs}
}

// dryRunHelp is what most commands' --dry-run does.
const dryRunHelp = "print the SQL it would run on each server, change nothing"
