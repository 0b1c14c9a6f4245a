package bot

import (
	"context"
	"math"
	"testing"

	"github.com/pghandoff/pghandoff/internal/metrics/metricstest"
)

// checkReplicationMetrics scrapes the bot's /metrics after a status of a migration that has
// caught up, on real clusters, with `tables` tables.
func checkReplicationMetrics(t *testing.T, h *harness, key string, tables int) {
	t.Helper()
	s := metricstest.Scrape(t, "http://"+h.addr+"/metrics")
	l := `{migration="` + key + `"}`
	with := func(label, value string) string { return `{migration="` + key + `",` + label + `="` + value + `"}` }
	for series, want := range map[string]float64{
		"pghandoff_up" + l: 1, "pghandoff_ready" + l: 1, "pghandoff_state" + with("state", "ready"): 1,
		"pghandoff_state" + with("state", "catching_up"): 0, "pghandoff_max_lag_bytes" + l: 1 << 20,
		"pghandoff_tables" + with("state", "ready"): float64(tables), "pghandoff_tables" + with("state", "init"): 0,
		"pghandoff_slot_active" + l: 1, "pghandoff_subscription_worker_running" + l: 1,
		"pghandoff_slot_wal_status" + with("wal_status", "lost"): 0,
	} {
		if got := s.Get(t, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if lag := s.Get(t, "pghandoff_lag_bytes"+l); lag < 0 || lag > 1<<20 {
		t.Errorf("lag %v bytes, yet ready", lag)
	}
	if rt := s.Get(t, "pghandoff_sentinel_round_trip_seconds"+l); rt <= 0 {
		t.Errorf("sentinel round trip %v", rt)
	}
	if safe := s.Get(t, "pghandoff_slot_wal_status"+with("wal_status", "reserved")) + s.Get(t, "pghandoff_slot_wal_status"+with("wal_status", "extended")); safe != 1 {
		t.Errorf("the slot's WAL is neither reserved nor extended")
	}
}

// checkCutoverMetrics: the cutover the bot ran is recorded in the store, for every replica
// and after a restart, and /metrics reports its pause.
func checkCutoverMetrics(t *testing.T, h *harness, key string) {
	t.Helper()
	last, err := h.bot.store.cutoversLast(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, ok := last[key]
	if !ok || !c.Switched || c.PauseMS <= 0 {
		t.Fatalf("cutover of %s recorded as %+v (found %t)", key, c, ok)
	}
	s := metricstest.Scrape(t, "http://"+h.addr+"/metrics")
	l := `{migration="` + key + `"}`
	if got := s.Get(t, "pghandoff_cutover_pause_seconds"+l); math.Abs(got-c.PauseMS/1000) > 1e-9 {
		t.Errorf("pause %v s in /metrics, %v ms recorded", got, c.PauseMS)
	}
	if s.Get(t, "pghandoff_cutover_switched"+l) != 1 {
		t.Error("cutover_switched is not 1")
	}
}
