package bot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/internal/redact"
)

// The README's example config loads, and says what it says.
func TestExampleConfigLoads(t *testing.T) {
	cfg, err := LoadConfig("../examples/bot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.MigrationKeys(); strings.Join(got, ",") != "billing,orders" {
		t.Fatalf("migrations %v", got)
	}
	if !cfg.Approval.SecondPerson || cfg.Approval.ExpiresAfter.D(0).Minutes() != 15 {
		t.Fatalf("approval %+v", cfg.Approval)
	}
	if len(cfg.Reports.Schedules) != 2 || cfg.thresholds("billing").LagBytes != 1<<30 || cfg.thresholds("orders").LagBytes != 256<<20 {
		t.Fatalf("reports %+v, thresholds %+v / %+v", cfg.Reports, cfg.thresholds("billing"), cfg.thresholds("orders"))
	}
	a := &authorizer{cfg: cfg}
	if got := describe(a.principals(classOperate, "billing")); got != "<@U0BILLING>, <@U0LEADDBA>, <@U0SRELEAD>" {
		t.Fatalf("operate on billing: %s", got)
	}
	env := map[string]string{"PGHANDOFF_BOT_STATE_DSN": "postgres://bot:pw@localhost/state",
		"ORDERS_PRIMARY_DSN": "postgres://a:secretA@old/db", "ORDERS_REPLICA_DSN": "postgres://b:secretB@new/db",
		"BILLING_PRIMARY_DSN": "host=old user=c password=secretC dbname=b", "BILLING_REPLICA_DSN": "host=new user=d dbname=b",
		"BILLING_PGBOUNCER_DSN": "postgres://admin:secretE@bouncer:6432/pgbouncer"}
	_, err = cfg.resolve(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "orders_proxy_dsn") || !strings.Contains(err.Error(), "migrations.orders.proxy") {
		t.Fatalf("missing proxy file: %v", err)
	}
}

func TestConfigErrorsGiveLineAndReason(t *testing.T) {
	base := testConfig("  m:\n    primary: {env: P}\n    replica: {env: R}\n", "")
	cases := []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"unknown key", strings.Replace(base, "permissions:", "permisions:", 1), 5, "field permisions not found"},
		{"inline connection string", testConfig("  m:\n    primary: postgres://u:hunter2@h/db\n    replica: {env: R}\n", ""), 14, "never written in the config"},
		{"bad cron", base + "reports:\n  schedules:\n    - {migration: m, cron: \"61 * * * *\", channel: C0X1}\n", 18, "not a cron spec"},
		{"unknown migration in report", base + "reports:\n  schedules:\n    - {migration: nope, cron: \"@hourly\", channel: C0X1}\n", 18, `no migration "nope"`},
		{"user name instead of id", strings.Replace(base, "[U0BOSS]", "[alice]", 1), 7, "not a Slack user id"},
		{"missing team", strings.Replace(base, "team_id: "+testTeam, "team_id: ''", 1), 2, "team id"},
		{"missing replica", testConfig("  m:\n    primary: {env: P}\n", ""), 14, "migrations.m.replica: required"},
		{"bad duration", strings.Replace(base, "expires_after: 10m", "expires_after: soon", 1), 11, "not a duration"},
		{"bad time zone", base + "timezone: Mars/Olympus\n", 16, "unknown time zone"},
		{"alerts without channel", base + "alerts:\n  lag_bytes: 100\n", 14, "no channel"},
		{"bad wal status", base + "alerts:\n  channel: C0A1\n  slot_wal_status: [gone]\n", 18, `"gone" is not a wal_status`},
		{"bad table", testConfig("  m:\n    primary: {env: P}\n    replica: {env: R}\n    setup: {exclude_tables: [\".x\"]}\n", ""), 16, "not schema.table"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig("bot.yaml", []byte(c.yaml))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a ConfigError, got %v", err)
			}
			if ce.Line != c.line || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %q (line %d), want line %d and %q\n%s", err, ce.Line, c.line, c.want, numbered(c.yaml))
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error repeats a secret: %v", err)
			}
		})
	}
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%3d %s\n", i+1, l)
	}
	return b.String()
}

func TestSecretsResolveFromEnvAndFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "replica")
	if err := os.WriteFile(file, []byte("postgres://r:filepass@h2/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig("bot.yaml", []byte(testConfig("  m:\n    primary: {env: P}\n    replica: {file: "+file+"}\n", "")))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STATE_DSN": "postgres://s:statepass@h3/state"}
	_, err = cfg.resolve(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "bot.yaml:14: migrations.m.primary: environment variable P is unset") {
		t.Fatalf("unset variable: %v", err)
	}
	env["P"] = "postgres://p:envpass@h1/db"
	res, err := cfg.resolve(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := res.migrations["m"].M
	if m.Primary.Host() != "h1" || m.Replica.Password() != "filepass" || res.stateDSN.Host() != "h3" {
		t.Fatalf("resolved %s %s %s", m.Primary, m.Replica, res.stateDSN)
	}
	masker := redact.New(redact.DefaultMask)
	masker.Add(res.secrets...)
	masked := masker.Redact("a envpass b filepass c statepass d postgres://p:envpass@h1/db")
	if strings.Contains(masked, "pass") {
		t.Fatalf("masking left a secret: %s", masked)
	}
}

// A migration through PgBouncer resolves its admin console's connection string (masked like
// the others) and its file; its file left out is refused at the pgbouncer key's line.
func TestPgBouncerResolves(t *testing.T) {
	env := map[string]string{"STATE_DSN": "postgres://s:statepass@h3/state", "P": "postgres://p:pw@h1/db",
		"R": "postgres://r:pw@h2/db", "B": "postgres://admin:bouncerpass@h4:6432/pgbouncer"}
	migration := "  m:\n    primary: {env: P}\n    replica: {env: R}\n    pgbouncer:\n      admin: {env: B}\n"
	cfg, err := ParseConfig("bot.yaml", []byte(testConfig(migration+"      config: /etc/pgbouncer/pghandoff.ini\n", "")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := cfg.resolve(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if pb := res.migrations["m"].M.PgBouncer; pb.Admin.Host() != "h4" || pb.Config != "/etc/pgbouncer/pghandoff.ini" || !slices.Contains(res.secrets, "bouncerpass") {
		t.Fatalf("resolved %+v; secrets masked: %v", pb, len(res.secrets))
	}
	cfg, err = ParseConfig("bot.yaml", []byte(testConfig(migration, "")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err = cfg.resolve(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "migrations.m.pgbouncer.config") {
		t.Fatalf("without the file: %v", err)
	}
}
