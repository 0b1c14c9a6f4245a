package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

const (
	testTeam    = "T0TEST"
	testSecret  = "test-signing-secret-0123456789"
	testToken   = "xoxb-test-bot-token-0123456789"
	testChannel = "C0CHAN"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

var _ Clock = (*fakeClock)(nil)

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// harness is a running bot behind a fake Slack, with its state in a database of its own.
type harness struct {
	t       testing.TB
	slack   *fakeSlack
	bot     *Bot
	addr    string
	clock   *fakeClock
	env     map[string]string
	cfgPath string
	logs    *syncBuffer
	cancel  context.CancelFunc
	done    chan error
}

// stateDB gives a test a state store database on the shared PostgreSQL 15 cluster.
func stateDB(t testing.TB) string {
	c := pgtest.Server(t, "primary15", 15)
	return c.DSN(pgtest.Database(t, c))
}

// testConfig is a config with one operator, one destroyer, one approver, and the given
// migrations section (YAML, indented by two spaces) and extra top-level YAML.
func testConfig(migrations, extra string) string {
	return `slack:
  team_id: ` + testTeam + `
state:
  dsn: {env: STATE_DSN}
permissions:
  operate: {users: [U0OPER], groups: [S0OPS]}
  destroy: {users: [U0BOSS]}
approval:
  second_person: true
  approvers: {users: [U0APPR]}
  expires_after: 10m
migrations:
` + migrations + extra
}

type harnessOpts struct {
	config string
	env    map[string]string
	onBot  func(*Bot)
	slack  *fakeSlack
	clock  *fakeClock
}

func startBot(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, slack: o.slack, clock: o.clock, env: o.env, logs: &syncBuffer{}}
	if h.slack == nil {
		h.slack = newFakeSlack(t)
	}
	if h.clock == nil {
		h.clock = &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	}
	h.env[EnvBotToken] = testToken
	h.env[EnvSigningSecret] = testSecret
	h.env[EnvAPIURL] = h.slack.apiURL()
	h.cfgPath = filepath.Join(t.TempDir(), "bot.yaml")
	if err := os.WriteFile(h.cfgPath, []byte(o.config), 0o600); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	botc := make(chan *Bot, 1)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	opts := Options{ConfigPath: h.cfgPath, Getenv: func(k string) string { return h.env[k] },
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Listen: "127.0.0.1:0", ShutdownGrace: time.Minute, Ready: func(a string) { ready <- a }, Watchdog: pgtest.Watchdog,
		clock: h.clock, onBot: func(b *Bot) {
			if o.onBot != nil {
				o.onBot(b)
			}
			botc <- b
		}}
	go func() { h.done <- Run(ctx, opts) }()
	select {
	case h.addr = <-ready:
		h.bot = <-botc
	case err := <-h.done:
		t.Fatalf("bot did not start: %v\nlog:\n%s", err, h.logs)
	case <-time.After(time.Minute):
		t.Fatal("bot did not start within a minute")
	}
	t.Cleanup(h.stop)
	return h
}

// stop shuts the bot down and waits for Run to return.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(2 * time.Minute):
		h.t.Error("Run did not return after shutdown")
	}
}

// sign signs a body as Slack does: v0=HMAC-SHA256(secret, "v0:<ts>:<body>").
func sign(secret string, ts int64, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts, body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// post sends a request to the bot, signed with secret at time ts (no signature when secret
// is empty), and returns the status and body.
func (h *harness) post(path, body, secret string, ts time.Time) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+h.addr+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
		req.Header.Set("X-Slack-Signature", sign(secret, ts.Unix(), body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var responseIDs struct {
	mu sync.Mutex
	n  int
}

func nextResponseID() string {
	responseIDs.mu.Lock()
	defer responseIDs.mu.Unlock()
	responseIDs.n++
	return "r" + strconv.Itoa(responseIDs.n)
}

// command sends a signed slash command from user and returns the immediate reply text and
// the response URL it gave.
func (h *harness) command(user, text string) (string, string) {
	h.t.Helper()
	return h.commandFrom(testTeam, user, text)
}

func (h *harness) commandFrom(team, user, text string) (string, string) {
	h.t.Helper()
	rid := nextResponseID()
	form := url.Values{"command": {"/pghandoff"}, "text": {text}, "team_id": {team}, "user_id": {user},
		"channel_id": {testChannel}, "response_url": {h.slack.responseURL(rid)}, "trigger_id": {"trig"}}
	code, body := h.post("/slack/commands", form.Encode(), testSecret, time.Now())
	if code != http.StatusOK {
		h.t.Fatalf("command %q: HTTP %d %s", text, code, body)
	}
	var rep struct{ Text string }
	if body != "" {
		_ = json.Unmarshal([]byte(body), &rep)
	}
	return rep.Text, h.slack.responseURL(rid)
}

// click sends a signed block_actions payload: user pressed the button actionID with value.
func (h *harness) click(user, actionID, value, messageTS string) string {
	h.t.Helper()
	rid := nextResponseID()
	payload := map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "team_id": testTeam},
		"team": map[string]any{"id": testTeam}, "channel": map[string]any{"id": testChannel},
		"container":    map[string]any{"type": "message", "message_ts": messageTS, "channel_id": testChannel},
		"response_url": h.slack.responseURL(rid), "trigger_id": "trig",
		"actions": []map[string]any{{"action_id": actionID, "block_id": "pghandoff_confirm", "value": value, "type": "button"}},
	}
	raw, _ := json.Marshal(payload)
	code, body := h.post("/slack/interactivity", url.Values{"payload": {string(raw)}}.Encode(), testSecret, time.Now())
	if code != http.StatusOK {
		h.t.Fatalf("click: HTTP %d %s", code, body)
	}
	return h.slack.responseURL(rid)
}

// syncBuffer is a log sink tests read while the bot writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
