package bot

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeCutover replaces the cutover operation and its precondition with counters, so the
// flow can be tested without a proxy; the real cutover is tested on PostgreSQL elsewhere.
type fakeCutover struct {
	runs, prechecks atomic.Int32
	notReady        atomic.Bool
}

func (f *fakeCutover) install(b *Bot) {
	b.ops["cutover"] = func(ctx context.Context, r *run) (*outcome, error) {
		f.runs.Add(1)
		r.prog.note("pausing writes (fake)")
		return textOutcome("switched in 12 ms (fake)", "Cutover done (fake)."), nil
	}
	b.prechecks["cutover"] = func(ctx context.Context, r *run) (*outcome, error) {
		f.prechecks.Add(1)
		if f.notReady.Load() {
			return nil, errFakeNotReady
		}
		return &outcome{Summary: "lag 0 B"}, nil
	}
}

var errFakeNotReady = &fakeErr{"replication is not ready: lag is 5 MiB"}

type fakeErr struct{ s string }

func (e *fakeErr) Error() string { return e.s }

// confirmation waits for the confirmation message and returns its ts and approval id.
func confirmation(t *testing.T, h *harness, contains string) (ts, id string) {
	t.Helper()
	call := h.slack.waitFor(t, 30*time.Second, "chat.postMessage", contains, actionApprove)
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(call.Form.Get("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b["type"] != "actions" {
			continue
		}
		for _, el := range b["elements"].([]any) {
			e := el.(map[string]any)
			if e["action_id"] == actionApprove {
				if e["style"] != "danger" || e["confirm"] == nil {
					t.Fatalf("the approve button is not a danger button with a confirm dialog: %v", e)
				}
				id = e["value"].(string)
			}
		}
	}
	ts = h.slack.matching("chat.postMessage", contains, actionApprove)[0].Form.Get("ts")
	// The fake returns the ts in its answer: find it through the approval row.
	a, err := h.bot.store.approvalGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.MessageTS, id
}

func TestAuthorization(t *testing.T) {
	h := basicBot(t, "", nil)
	h.slack.groups["S0OPS"] = []string{"U0GROUPIE"}

	// Deny by default, ephemeral, saying who may.
	text, _ := h.command("U0RANDOM", "setup orders")
	if !strings.Contains(text, "You may not run `setup orders`") || !strings.Contains(text, "<@U0OPER>") || !strings.Contains(text, "<!subteam^S0OPS>") || !strings.Contains(text, "<@U0BOSS>") {
		t.Fatalf("denial: %q", text)
	}
	// Destroy is not operate.
	if text, _ := h.command("U0OPER", "teardown orders --drop"); !strings.Contains(text, "You may not") || !strings.Contains(text, "<@U0BOSS>") || strings.Contains(text, "U0OPER") {
		t.Fatalf("operate user asked for --drop: %q", text)
	}
	// A dry run of a destructive command is an operate command.
	if text, _ := h.command("U0OPER", "teardown orders --drop --dry-run"); strings.Contains(text, "You may not") {
		t.Fatalf("dry run denied: %q", text)
	}
	// Group membership, through usergroups.users.list.
	if text, _ := h.command("U0GROUPIE", "lock orders 1h testing"); strings.Contains(text, "You may not") {
		t.Fatalf("group member denied: %q", text)
	}
	h.slack.waitFor(t, 30*time.Second, "response", "locked *orders*")
	if len(h.slack.matching("usergroups.users.list")) == 0 {
		t.Fatal("group membership was not read from Slack")
	}
	// The lock holds others off, and says who holds it.
	if text, _ := h.command("U0OPER", "setup orders"); !strings.Contains(text, "locked by <@U0GROUPIE>") {
		t.Fatalf("lock not enforced: %q", text)
	}
	// Another workspace is refused whatever the user id.
	if text, _ := h.commandFrom("T0OTHER", "U0BOSS", "status"); !strings.Contains(text, "another workspace") {
		t.Fatalf("other workspace: %q", text)
	}
	// Unknown text gets the help.
	if text, _ := h.command("U0RANDOM", "frobnicate"); !strings.Contains(text, "unknown command") || !strings.Contains(text, "`help`") {
		t.Fatalf("unknown: %q", text)
	}
	// Denials are audited.
	entries, err := h.bot.store.auditList(context.Background(), "orders", 50)
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, e := range entries {
		if e.Result == resultDenied {
			denied++
		}
	}
	if denied != 2 {
		t.Fatalf("%d denials audited, want 2: %+v", denied, entries)
	}
}

func TestCutoverNeedsASecondPerson(t *testing.T) {
	fc := &fakeCutover{}
	h := basicBot(t, "", fc.install)

	text, _ := h.command("U0BOSS", "cutover orders")
	if !strings.Contains(text, "confirmation follows") {
		t.Fatalf("ack: %q", text)
	}
	ts, id := confirmation(t, h, "asks to run `cutover orders`")
	msg := h.slack.matching("chat.postMessage", actionApprove)[0].Text()
	for _, want := range []string{"Source (old primary)", "Target (new primary)", "lag 0 B", "What happens", "second person", "<@U0APPR>"} {
		if !strings.Contains(msg, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, msg)
		}
	}

	// The requester may not approve their own cutover.
	r := h.click("U0BOSS", actionApprove, id, ts)
	h.slack.waitResponse(t, r, "a second person must approve")
	// Nor may someone who is not an approver.
	r = h.click("U0OPER", actionApprove, id, ts)
	h.slack.waitResponse(t, r, "Only <@U0APPR> may approve")
	// Preconditions are checked again on the click: not ready, nothing runs, still pending.
	fc.notReady.Store(true)
	r = h.click("U0APPR", actionApprove, id, ts)
	h.slack.waitResponse(t, r, "Not now", "not ready", "stays open")
	fc.notReady.Store(false)
	// The approver's click runs it, once; the buttons are replaced by who approved.
	h.click("U0APPR", actionApprove, id, ts)
	h.slack.waitFor(t, 30*time.Second, "chat.update", "approved by <@U0APPR>")
	h.slack.waitFor(t, 30*time.Second, "chat.postMessage", "Cutover done (fake)")
	final := h.slack.waitFor(t, 30*time.Second, "chat.update", ":white_check_mark:", "switched in 12 ms")
	if final.Form.Get("ts") != ts || strings.Contains(final.Text(), actionApprove) {
		t.Fatalf("the parent message is not the confirmation, or keeps its buttons: %+v", final.Form)
	}
	broadcast := h.slack.matching("chat.postMessage", "Cutover done (fake)")[0]
	if broadcast.Form.Get("reply_broadcast") != "true" || broadcast.Form.Get("thread_ts") != ts {
		t.Fatalf("the result is not broadcast from the thread: %v", broadcast.Form)
	}
	// A replayed click (same payload) runs nothing twice.
	r = h.click("U0APPR", actionApprove, id, ts)
	h.slack.waitResponse(t, r, "already approved by <@U0APPR>", "nothing was run again")
	if n := fc.runs.Load(); n != 1 {
		t.Fatalf("cutover ran %d times", n)
	}
	// The audit log has it all: who asked, the result, the message link.
	entries, _ := h.bot.store.auditList(context.Background(), "orders", 10)
	if len(entries) == 0 || entries[0].Result != resultOK || entries[0].UserID != "U0BOSS" || !strings.Contains(entries[0].Link, "https://") {
		t.Fatalf("audit: %+v", entries)
	}
	_, resp := h.command("U0RANDOM", "audit orders")
	h.slack.waitResponse(t, resp, "cutover orders", "ok", "|message>")
}

func TestConfirmationExpires(t *testing.T) {
	fc := &fakeCutover{}
	h := basicBot(t, "", fc.install)
	h.command("U0BOSS", "teardown orders --drop")
	ts, id := confirmation(t, h, "teardown orders --drop")
	if strings.Contains(h.slack.matching("chat.postMessage", actionApprove)[0].Text(), "second person") {
		t.Fatal("teardown --drop asks for a second person; only cutover does")
	}
	h.clock.Add(11 * time.Minute)
	r := h.click("U0BOSS", actionApprove, id, ts)
	h.slack.waitResponse(t, r, "expired")
	h.slack.waitFor(t, 10*time.Second, "chat.update", "expired at")
	// Clicking again after expiry: still nothing.
	r = h.click("U0BOSS", actionApprove, id, ts)
	h.slack.waitResponse(t, r, "already expired")
	a, err := h.bot.store.approvalGet(context.Background(), id)
	if err != nil || a.State != approvalExpired {
		t.Fatalf("approval %+v %v", a, err)
	}
	// Cancel works before expiry, and only for the requester or the destroy class.
	h.command("U0BOSS", "cutover orders")
	ts, id = confirmation(t, h, "cutover orders")
	r = h.click("U0OPER", actionCancel, id, ts)
	h.slack.waitResponse(t, r, "may decide")
	h.click("U0BOSS", actionCancel, id, ts)
	h.slack.waitFor(t, 10*time.Second, "chat.update", "cancelled by <@U0BOSS>")
	// An approval nobody clicks loses its buttons when it expires.
	h.command("U0BOSS", "teardown orders --drop")
	for deadline := time.Now().Add(30 * time.Second); len(h.slack.matching("chat.postMessage", "asks to run `teardown orders --drop`")) < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("no second confirmation:\n%s", h.slack.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := len(h.slack.matching("chat.update", "expired at"))
	h.clock.Add(11 * time.Minute)
	h.bot.sweepApprovals(context.Background())
	if got := len(h.slack.matching("chat.update", "expired at")); got != before+1 {
		t.Fatalf("sweep expired %d approvals, want 1", got-before)
	}
	if fc.runs.Load() != 0 {
		t.Fatal("something ran")
	}
}
