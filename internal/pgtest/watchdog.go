package pgtest

import (
	"context"
	"os"
	"os/exec"

	"github.com/pghandoff/pghandoff/core"
)

// watchdogEnv, set, makes a test binary the PgBouncer watchdog instead of running its tests.
const watchdogEnv = "PGHANDOFF_TEST_WATCHDOG"

// Watchdog is the command of the PgBouncer watchdog for a switch that a test runs in-process
// (core.SwitchOptions.Watchdog): the test binary itself, which Run turns into the watchdog,
// as `pghandoff pgbouncer-watchdog` does.
func Watchdog() *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), watchdogEnv+"=1")
	return cmd
}

// runWatchdog is the watchdog's whole run when the binary was started as one; ok false
// otherwise.
func runWatchdog() (code int, ok bool) {
	if os.Getenv(watchdogEnv) == "" {
		return 0, false
	}
	if err := core.RunBouncerWatchdog(context.Background(), os.Stdin, os.Stdout); err != nil {
		return 1, true
	}
	return 0, true
}
