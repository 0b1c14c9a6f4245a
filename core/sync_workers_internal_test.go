package core

import (
	"strings"
	"testing"
)

// The settings that copy n tables at once leave room for the subscription's apply worker,
// the other subscriptions' workers and the launcher, and never lower a setting.
func TestSyncWorkerSettingsFor(t *testing.T) {
	for _, c := range []struct {
		now, want SyncWorkerSettings
		n, atOnce int
	}{
		{SyncWorkerSettings{2, 4, 8, 0}, SyncWorkerSettings{8, 9, 11, 0}, 8, 2},
		{SyncWorkerSettings{2, 4, 8, 3}, SyncWorkerSettings{8, 12, 14, 3}, 8, 1}, // three workers of other subscriptions
		{SyncWorkerSettings{2, 40, 48, 0}, SyncWorkerSettings{8, 40, 48, 0}, 8, 2},
		{SyncWorkerSettings{16, 40, 48, 0}, SyncWorkerSettings{16, 40, 48, 0}, 8, 16},
	} {
		if got := c.now.For(c.n); got != c.want || got.AtOnce() < c.n || c.now.AtOnce() != c.atOnce {
			t.Errorf("%+v for %d: %+v (%d at once), want %+v; now %d at once, want %d", c.now, c.n, got, got.AtOnce(), c.want, c.now.AtOnce(), c.atOnce)
		}
	}
}

// When only the settings that need a restart are short, the remedy says only those.
func TestCopyRemedyRestartOnly(t *testing.T) {
	a := &CopyAdvice{Settings: SyncWorkerSettings{8, 4, 8, 0}, Suggested: SyncWorkerSettings{8, 9, 11, 0}, SuggestedAtOnce: 8}
	got := copyRemedy(a).String()
	if strings.Contains(got, "reload") || !strings.Contains(got, "max_logical_replication_workers = 9, max_worker_processes = 11 (a restart)") {
		t.Fatalf("remedy %q", got)
	}
}
