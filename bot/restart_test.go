package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Schedules, locks, pending approvals and the audit log live in the store: a new bot process
// finds them all.
func TestStateSurvivesRestart(t *testing.T) {
	env := map[string]string{"STATE_DSN": stateDB(t)}
	cfg := testConfig(notSetUpMigration(t, env, "orders"), "")
	fake, clock := newFakeSlack(t), &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	fc := &fakeCutover{}
	first := startBot(t, harnessOpts{config: cfg, env: env, slack: fake, clock: clock, onBot: fc.install})
	_, resp := first.command("U0OPER", "report orders 0 9 * * 1-5")
	fake.waitResponse(t, resp, "scheduled reports on *orders*", "in_channel")
	_, resp = first.command("U0BOSS", "lock orders 3h cutover window")
	fake.waitResponse(t, resp, "locked *orders*")
	first.command("U0BOSS", "cutover orders")
	ts, id := confirmation(t, first, "cutover orders")
	first.stop()

	second := startBot(t, harnessOpts{config: cfg, env: env, slack: fake, clock: clock, onBot: fc.install})
	second.bot.sched.mu.Lock()
	entry, ok := second.bot.sched.entries["orders\x00"+testChannel]
	second.bot.sched.mu.Unlock()
	if !ok || entry.spec != "0 9 * * 1-5" {
		t.Fatalf("schedule not reloaded: %+v", second.bot.sched.entries)
	}
	_, resp = second.command("U0RANDOM", "who orders")
	fake.waitResponse(t, resp, "Slack lock: <@U0BOSS>", "cutover window", "Operation lock: free")
	// The approval made before the restart is still pending and runs once.
	second.click("U0APPR", actionApprove, id, ts)
	fake.waitFor(t, 30*time.Second, "chat.update", ":white_check_mark:", "switched in 12 ms")
	if fc.runs.Load() != 1 {
		t.Fatalf("cutover ran %d times", fc.runs.Load())
	}
	// The audit log kept the commands of the first process.
	entries, err := second.bot.store.auditList(context.Background(), "orders", 20)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, e := range entries {
		cmds = append(cmds, e.Command+"="+e.Result)
	}
	joined := strings.Join(cmds, " ")
	for _, want := range []string{"report orders 0 9 * * 1-5=ok", "lock orders 3h cutover window=ok", "cutover orders=ok", "who orders=ok"} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit lacks %q: %s", want, joined)
		}
	}
	// Turning reports off from Slack survives a restart too, against the config.
	_, resp = second.command("U0OPER", "report orders off")
	fake.waitResponse(t, resp, "turned off")
	second.stop()
	third := startBot(t, harnessOpts{config: cfg, env: env, slack: fake, clock: clock})
	if len(third.bot.sched.entries) != 0 {
		t.Fatalf("schedules after off and restart: %+v", third.bot.sched.entries)
	}
}
