package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

const alertPassword = "s3cr3t-alert-pw"

// An alert goes out once per incident however many checks see it, and a follow-up once
// when it clears; no secret of the failing connection reaches Slack or the log.
func TestAlertOncePerIncident(t *testing.T) {
	env := map[string]string{"STATE_DSN": stateDB(t),
		"DOWN_P": "postgres://app:" + alertPassword + "@127.0.0.1:1/db?connect_timeout=2",
		"DOWN_R": "postgres://app:" + alertPassword + "@127.0.0.1:1/db2?connect_timeout=2"}
	migs := "  down:\n    primary: {env: DOWN_P}\n    replica: {env: DOWN_R}\n"
	h := startBot(t, harnessOpts{config: testConfig(migs, "alerts:\n  every: \"@every 1h\"\n  channel: C0ALERTS\n  lag_bytes: 1000\n"), env: env})
	ctx := context.Background()
	for range 3 {
		h.bot.checkAlerts(ctx)
	}
	alerts := h.slack.matching("chat.postMessage", ":rotating_light:", "down")
	if len(alerts) != 1 || alerts[0].Form.Get("channel") != "C0ALERTS" || !strings.Contains(alerts[0].Text(), "cannot check replication") {
		t.Fatalf("%d alerts for one incident:\n%s", len(alerts), h.slack.dump())
	}
	// The servers come back (nothing set up there: nothing to alert about): one follow-up.
	c := pgtest.Server(t, "primary15", 15)
	h.bot.migs["down"].M.Primary = core.MustParseDSN(c.DSN(pgtest.Database(t, c)))
	h.bot.migs["down"].M.Replica = core.MustParseDSN(c.DSN(pgtest.Database(t, c)))
	for range 2 {
		h.bot.checkAlerts(ctx)
	}
	cleared := h.slack.matching("chat.postMessage", ":white_check_mark:", "cleared after")
	if len(cleared) != 1 || cleared[0].Form.Get("thread_ts") == "" || cleared[0].Form.Get("reply_broadcast") != "true" {
		t.Fatalf("%d follow-ups:\n%s", len(cleared), h.slack.dump())
	}
	for _, call := range h.slack.all() {
		if strings.Contains(call.Raw, alertPassword) {
			t.Fatalf("a password reached Slack: %s", call.Raw)
		}
	}
	if strings.Contains(h.logs.String(), alertPassword) {
		t.Fatal("a password reached the log")
	}
}

func TestEvaluateThresholds(t *testing.T) {
	lag, secs, safe := int64(5000), 120.0, int64(10)
	st := &core.Status{State: core.StateCatchingUp, LagBytes: &lag, LagSeconds: &secs,
		Slot:         &core.SlotStatus{WALStatus: "extended", SafeWALSizeBytes: &safe},
		Subscription: &core.SubscriptionStatus{Enabled: true, WorkerRunning: false}}
	got := evaluate(st, Thresholds{LagBytes: 1000, LagSeconds: 60, SafeWALSizeBytes: 100})
	for _, k := range []string{alertLagBytes, alertLagSeconds, alertSlot, alertSubscription} {
		if got[k] == "" {
			t.Errorf("no %s alert: %v", k, got)
		}
	}
	st.Slot.WALStatus, st.Subscription.WorkerRunning = "reserved", true
	if got := evaluate(st, Thresholds{LagBytes: 10000, SafeWALSizeBytes: 5}); len(got) != 0 {
		t.Errorf("alerts under every threshold: %v", got)
	}
	st.Slot.WALStatus = "unreserved" // alerts by default
	if got := evaluate(st, Thresholds{}); got[alertSlot] == "" {
		t.Errorf("no alert for an unreserved slot: %v", got)
	}
	if got := evaluate(&core.Status{State: core.StateNotSetUp}, Thresholds{LagBytes: 1}); len(got) != 0 {
		t.Errorf("alerts for a migration not set up: %v", got)
	}
}
