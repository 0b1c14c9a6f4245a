package metrics

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/metrics/metricstest"
	"github.com/pghandoff/pghandoff/internal/version"
)

// A status becomes the series a dashboard reads; a failed check leaves only up=0; the
// sentinel's round trip is kept from the last check that measured one.
func TestCollector(t *testing.T) {
	c := New()
	srv := httptest.NewServer(Handler(c))
	defer srv.Close()
	lag, lagS, sentinel, safe := int64(4096), 1.5, 12.5, int64(1<<30)
	at := time.Unix(1_700_000_000, 0)
	c.Observe("orders", &core.Status{Name: "x", State: core.StateReady, Ready: true, LagBytes: &lag, LagSeconds: &lagS,
		MaxLagBytes: 1 << 20, SentinelMS: &sentinel, TableCounts: map[string]int{"ready": 7, "copy": 1},
		Slot:         &core.SlotStatus{WALStatus: "extended", Active: true, SafeWALSizeBytes: &safe},
		Subscription: &core.SubscriptionStatus{Enabled: true, WorkerRunning: true}}, nil, at)
	c.ObserveCutover("orders", Cutover{At: at, PauseMS: 44, Switched: true})

	s := metricstest.Scrape(t, srv.URL)
	for series, want := range map[string]float64{
		`pghandoff_up{migration="orders"}`:                                    1,
		`pghandoff_ready{migration="orders"}`:                                 1,
		`pghandoff_state{migration="orders",state="ready"}`:                   1,
		`pghandoff_state{migration="orders",state="broken"}`:                  0,
		`pghandoff_lag_bytes{migration="orders"}`:                             4096,
		`pghandoff_lag_seconds{migration="orders"}`:                           1.5,
		`pghandoff_max_lag_bytes{migration="orders"}`:                         1 << 20,
		`pghandoff_sentinel_round_trip_seconds{migration="orders"}`:           0.0125,
		`pghandoff_tables{migration="orders",state="ready"}`:                  7,
		`pghandoff_tables{migration="orders",state="copy"}`:                   1,
		`pghandoff_tables{migration="orders",state="init"}`:                   0,
		`pghandoff_slot_wal_status{migration="orders",wal_status="extended"}`: 1,
		`pghandoff_slot_wal_status{migration="orders",wal_status="lost"}`:     0,
		`pghandoff_slot_safe_wal_size_bytes{migration="orders"}`:              1 << 30,
		`pghandoff_slot_active{migration="orders"}`:                           1,
		`pghandoff_subscription_worker_running{migration="orders"}`:           1,
		`pghandoff_cutover_pause_seconds{migration="orders"}`:                 0.044,
		`pghandoff_cutover_switched{migration="orders"}`:                      1,
		`pghandoff_last_check_timestamp_seconds{migration="orders"}`:          1_700_000_000,
	} {
		if got := s.Get(t, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	v := version.Get()
	s.Get(t, `pghandoff_build_info{commit="`+v.Commit+`",goversion="`+v.GoVersion+`",version="`+v.Version+`"}`)
	s.Get(t, "go_goroutines")

	// A check without a sentinel keeps the last one measured; a failed check keeps only up.
	c.Observe("orders", &core.Status{State: core.StateCatchingUp, TableCounts: map[string]int{}}, nil, at.Add(time.Minute))
	s = metricstest.Scrape(t, srv.URL)
	if s.Get(t, `pghandoff_sentinel_round_trip_seconds{migration="orders"}`) != 0.0125 || s.Get(t, `pghandoff_ready{migration="orders"}`) != 0 {
		t.Errorf("after a check without sentinel: %v", s)
	}
	c.Observe("orders", nil, errUnreachable{}, at.Add(2*time.Minute))
	s = metricstest.Scrape(t, srv.URL)
	if s.Get(t, `pghandoff_up{migration="orders"}`) != 0 {
		t.Error("up after a failed check")
	}
	if _, ok := s[`pghandoff_lag_bytes{migration="orders"}`]; ok {
		t.Error("a failed check left the old lag in place")
	}
	s.Get(t, `pghandoff_cutover_pause_seconds{migration="orders"}`)
}

type errUnreachable struct{}

func (errUnreachable) Error() string { return "unreachable" }
