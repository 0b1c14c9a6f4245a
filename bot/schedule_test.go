package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Two replicas share one state store and the same every-second schedule: the report is
// posted within its period, and each firing once.
func TestScheduledReportPostsOncePerRun(t *testing.T) {
	env := map[string]string{"STATE_DSN": stateDB(t)}
	migs := notSetUpMigration(t, env, "orders")
	cfg := testConfig(migs, "reports:\n  schedules:\n    - {migration: orders, cron: \"* * * * * *\", channel: C0REPORTS}\n")
	fake := newFakeSlack(t)
	a := startBot(t, harnessOpts{config: cfg, env: env, slack: fake})
	b := startBot(t, harnessOpts{config: cfg, env: env, slack: fake})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(fake.matching("chat.postMessage", "Report", "orders")) < 4 {
		time.Sleep(100 * time.Millisecond)
	}
	a.stop()
	b.stop()
	posts := fake.matching("chat.postMessage", "Report", "orders", "not set up")
	if len(posts) < 4 {
		t.Fatalf("%d reports in 30s of an every-second schedule:\n%s", len(posts), fake.dump())
	}
	for _, p := range posts {
		if p.Form.Get("channel") != "C0REPORTS" {
			t.Fatalf("report posted to %s", p.Form.Get("channel"))
		}
	}
	// Both replicas fired the job; the one that lost a firing posted nothing.
	if !strings.Contains(a.logs.String(), "posted_here=false") && !strings.Contains(b.logs.String(), "posted_here=false") {
		t.Fatalf("no replica ever skipped a firing: the dedup was not exercised\n%s", a.logs)
	}
	// Every post has its run row, and no run was posted twice.
	conn, err := pgx.Connect(context.Background(), env["STATE_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var runs, slots int
	if err := conn.QueryRow(context.Background(), "SELECT count(*), count(DISTINCT slot) FROM pghandoff_bot.report_runs").Scan(&runs, &slots); err != nil {
		t.Fatal(err)
	}
	if runs != len(posts) || slots != runs {
		t.Fatalf("%d posts for %d runs (%d distinct firings): a firing was posted twice", len(posts), runs, slots)
	}
}
