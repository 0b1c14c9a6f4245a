package bot

import (
	"fmt"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// The bot's own defaults, for settings only the bot has. Every operation it runs takes core's
// defaults (core/defaults.go) for what its config leaves out or sets to zero, as the CLI and
// the Action do.
const (
	defaultOperationTimeout  = 2 * time.Hour    // operation_timeout
	defaultLockTTL           = 2 * time.Hour    // lock_ttl
	defaultApprovalExpiry    = 15 * time.Minute // approval.expires_after
	defaultReportMinInterval = time.Minute      // reports.min_interval
	defaultAlertsEvery       = "@every 1m"      // alerts.every
	defaultShutdownGrace     = 10 * time.Minute
	defaultStatusMaxAge      = 5 * time.Second // limits.status_max_age
	defaultCommandsPerMinute = 30              // limits.commands_per_minute
	// waitInterval is the time between a `wait`'s checks: longer than a terminal's, since the
	// bot shares the primary with the application and reports progress every 30 s anyway.
	waitInterval = 5 * time.Second
)

// defaultsText is what the help says of the settings a migration's config may change.
func defaultsText() string {
	return fmt.Sprintf("Unless a migration's config says otherwise: objects named `%s`, ready under %s of lag (`max_lag_bytes`), "+
		"cutover pauses writes at most %s (`cutover.max_pause`) and moves sequences %d past the old primary's (`cutover.margin`).",
		core.DefaultName, core.FormatBytesExact(core.DefaultMaxLag), core.FormatDuration(core.DefaultMaxPause), core.DefaultMargin)
}
