package bot

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/core"
)

// The example config and the help show the defaults the bot applies: core's for what every
// front end shares, the bot's own for the rest.
func TestExampleConfigShowsDefaults(t *testing.T) {
	b, err := os.ReadFile("../examples/bot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"name":                core.DefaultName,
		"max_lag_bytes":       core.FormatBytesExact(core.DefaultMaxLag),
		"max_pause":           core.FormatDuration(core.DefaultMaxPause),
		"margin":              strconv.FormatInt(core.DefaultMargin, 10),
		"operation_timeout":   core.FormatDuration(defaultOperationTimeout),
		"lock_ttl":            core.FormatDuration(defaultLockTTL),
		"expires_after":       core.FormatDuration(defaultApprovalExpiry),
		"min_interval":        core.FormatDuration(defaultReportMinInterval),
		"every":               defaultAlertsEvery,
		"connections":         strconv.Itoa(core.DefaultConnections),
		"jobs":                strconv.Itoa(core.DefaultJobs),
		"status_max_age":      core.FormatDuration(defaultStatusMaxAge),
		"commands_per_minute": strconv.Itoa(defaultCommandsPerMinute),
	}
	line := regexp.MustCompile(`^\s*([a-z_]+):.*default (.+)$`)
	seen := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		w, ok := want[m[1]]
		if !ok {
			t.Errorf("examples/bot.yaml gives a default for %s, which the test does not know: %q", m[1], l)
			continue
		}
		if strings.TrimSpace(m[2]) != w {
			t.Errorf("examples/bot.yaml says %s defaults to %q; it is %q", m[1], m[2], w)
		}
		seen[m[1]] = true
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("examples/bot.yaml does not show the default of %s", k)
		}
	}
	help := helpText("")
	for _, v := range []string{core.DefaultName, want["max_lag_bytes"], want["max_pause"], want["margin"]} {
		if !strings.Contains(help, v) {
			t.Errorf("the help does not show the default %q:\n%s", v, help)
		}
	}
}
