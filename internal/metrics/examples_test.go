package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

var metricName = regexp.MustCompile(`pghandoff_[a-z_]+`)

// checkExpr fails on a metric name pghandoff does not serve: a rule or panel that would
// silently never match.
func checkExpr(t *testing.T, where, expr string) []string {
	t.Helper()
	found := metricName.FindAllString(expr, -1)
	if len(found) == 0 {
		t.Errorf("%s: %q uses no pghandoff metric", where, expr)
	}
	for _, n := range found {
		if !slices.Contains(Names(), n) {
			t.Errorf("%s: %q uses %s, which pghandoff does not serve", where, expr, n)
		}
	}
	return found
}

// examples/prometheus-alerts.yml: a rules file whose every rule names an alert and uses
// metrics that exist.
func TestExampleAlertRules(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "prometheus-alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr, For string
				Annotations      map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(b, &file); err != nil || len(file.Groups) == 0 {
		t.Fatalf("rules file: %v", err)
	}
	used := map[string]bool{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q lacks a name or a summary", r.Expr)
			}
			for _, n := range checkExpr(t, r.Alert, r.Expr) {
				used[n] = true
			}
		}
	}
	for _, want := range []string{"pghandoff_up", "pghandoff_lag_bytes", "pghandoff_slot_wal_status", "pghandoff_slot_safe_wal_size_bytes", "pghandoff_subscription_worker_running"} {
		if !used[want] {
			t.Errorf("no alert on %s", want)
		}
	}
}

// examples/grafana-dashboard.json: a dashboard whose panels show every figure of the
// metrics: readiness, lag in bytes and time, the sentinel, tables, the slot, the last pause.
func TestExampleDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string
		UID    string
		Panels []struct {
			ID      int
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("dashboard: %v", err)
	}
	used, ids := map[string]bool{}, map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		for _, target := range p.Targets {
			for _, n := range checkExpr(t, p.Title, target.Expr) {
				used[n] = true
			}
		}
	}
	for _, want := range []string{"pghandoff_ready", "pghandoff_lag_bytes", "pghandoff_lag_seconds", "pghandoff_sentinel_round_trip_seconds",
		"pghandoff_tables", "pghandoff_slot_wal_status", "pghandoff_slot_safe_wal_size_bytes", "pghandoff_cutover_pause_seconds"} {
		if !used[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
}
