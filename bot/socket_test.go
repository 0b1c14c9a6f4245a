package bot

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// fakeAcker records Socket Mode acknowledgements.
type fakeAcker struct {
	mu   sync.Mutex
	acks map[string][]any
}

var _ socketAcker = (*fakeAcker)(nil)

func (f *fakeAcker) Ack(req socketmode.Request, payload ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acks[req.EnvelopeID] = payload
	return nil
}

func (f *fakeAcker) ack(t *testing.T, id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.acks[id]
	if !ok {
		t.Fatalf("envelope %s not acknowledged", id)
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// Socket Mode events need no signature: the commands and clicks they carry run the same way.
func TestSocketModeEvents(t *testing.T) {
	fc := &fakeCutover{}
	h := basicBot(t, "", fc.install)
	acker := &fakeAcker{acks: map[string][]any{}}
	ctx := context.Background()
	slash := func(id, user, text string) {
		h.bot.handleSocketEvent(ctx, acker, socketmode.Event{Type: socketmode.EventTypeSlashCommand,
			Request: &socketmode.Request{EnvelopeID: id},
			Data: slack.SlashCommand{TeamID: testTeam, UserID: user, ChannelID: testChannel, Text: text,
				ResponseURL: h.slack.responseURL(id)}})
	}
	slash("e1", "U0ANY", "help")
	if got := acker.ack(t, "e1"); !strings.Contains(got, "status [migration]") || !strings.Contains(got, "ephemeral") {
		t.Fatalf("help ack: %s", got)
	}
	slash("e2", "U0ANY", "setup orders")
	if got := acker.ack(t, "e2"); !strings.Contains(got, "You may not") {
		t.Fatalf("denial ack: %s", got)
	}
	slash("e3", "U0BOSS", "cutover orders")
	ts, id := confirmation(t, h, "cutover orders")
	var cb slack.InteractionCallback
	raw := `{"type":"block_actions","user":{"id":"U0APPR"},"team":{"id":"` + testTeam + `"},"response_url":"` + h.slack.responseURL("e4") +
		`","actions":[{"action_id":"` + actionApprove + `","block_id":"pghandoff_confirm","value":"` + id + `","type":"button"}]}`
	if err := json.Unmarshal([]byte(raw), &cb); err != nil {
		t.Fatal(err)
	}
	h.bot.handleSocketEvent(ctx, acker, socketmode.Event{Type: socketmode.EventTypeInteractive, Request: &socketmode.Request{EnvelopeID: "e4"}, Data: cb})
	acker.ack(t, "e4")
	h.slack.waitFor(t, 30*time.Second, "chat.update", ":white_check_mark:", "switched in 12 ms")
	if got := h.slack.matching("chat.update", "approved by <@U0APPR>"); len(got) == 0 || got[0].Form.Get("ts") != ts {
		t.Fatalf("buttons not replaced:\n%s", h.slack.dump())
	}
}

// Shutdown waits for a running operation to finish and report before Run returns.
func TestShutdownWaitsForOperations(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	h := basicBot(t, "", func(b *Bot) {
		b.ops["verify"] = func(ctx context.Context, r *run) (*outcome, error) {
			close(started)
			<-release
			return textOutcome("7 tables match (fake)", "All good."), nil
		}
	})
	h.command("U0OPER", "verify orders")
	<-started
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		t.Fatalf("Run returned (%v) while an operation was running", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return")
	}
	if len(h.slack.matching("chat.update", ":white_check_mark:", "7 tables match (fake)")) != 1 {
		t.Fatalf("the operation's result was not posted before shutdown:\n%s", h.slack.dump())
	}
}
