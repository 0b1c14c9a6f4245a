package bot

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/version"
)

// notSetUpMigration is a migration whose servers exist but hold nothing of it: status answers
// "not set up" quickly, and nothing else needs a replication pair.
func notSetUpMigration(t *testing.T, env map[string]string, key string) string {
	c := pgtest.Server(t, "primary15", 15)
	env[strings.ToUpper(key)+"_P"] = c.DSN(pgtest.Database(t, c))
	env[strings.ToUpper(key)+"_R"] = c.DSN(pgtest.Database(t, c))
	return "  " + key + ":\n    name: " + key + "_import\n    primary: {env: " + strings.ToUpper(key) + "_P}\n    replica: {env: " + strings.ToUpper(key) + "_R}\n"
}

func basicBot(t *testing.T, extra string, onBot func(*Bot)) *harness {
	env := map[string]string{"STATE_DSN": stateDB(t)}
	migs := notSetUpMigration(t, env, "orders")
	return startBot(t, harnessOpts{config: testConfig(migs, extra), env: env, onBot: onBot})
}

func TestSignedRequestsOnly(t *testing.T) {
	h := basicBot(t, "", nil)
	form := url.Values{"command": {"/pghandoff"}, "text": {"status orders"}, "team_id": {testTeam}, "user_id": {"U0ANY"},
		"channel_id": {testChannel}, "response_url": {h.slack.responseURL("x")}}.Encode()
	now := time.Now()
	refused := []struct {
		name   string
		secret string
		ts     time.Time
		body   string
	}{
		{"unsigned", "", now, form},
		{"stale", testSecret, now.Add(-10 * time.Minute), form},
		{"forged", "not-the-secret", now, form},
		{"body changed after signing", testSecret, now, ""}, // signed below over another body
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "http://"+h.addr+"/slack/commands", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if c.secret != "" {
				body := c.body
				if body == "" {
					body = strings.Replace(form, "status", "teardown", 1)
				}
				req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(c.ts.Unix(), 10))
				req.Header.Set("X-Slack-Signature", sign(c.secret, c.ts.Unix(), body))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("HTTP %d, want 401", resp.StatusCode)
			}
		})
	}
	// A forged click is refused the same way.
	if code, _ := h.post("/slack/interactivity", url.Values{"payload": {`{"type":"block_actions"}`}}.Encode(), "wrong", now); code != http.StatusUnauthorized {
		t.Fatalf("forged click: HTTP %d", code)
	}
	time.Sleep(200 * time.Millisecond)
	if calls := h.slack.all(); len(calls) != 0 {
		t.Fatalf("refused requests reached Slack:\n%s", h.slack.dump())
	}
	if n := auditCount(t, h); n != 0 {
		t.Fatalf("refused requests were audited as run: %d lines", n)
	}

	// The valid one: 200, an answer, and the status posted.
	text, resp := h.command("U0ANY", "help")
	if !strings.Contains(text, "status [migration]") || !strings.Contains(text, "_pghandoff "+version.Get().String()+"_") {
		t.Fatalf("help without the commands or the version: %q", text)
	}
	_, resp = h.command("U0ANY", "status")
	if got := h.slack.waitResponse(t, resp, "orders", "not set up"); !strings.Contains(got, `"response_type":"in_channel"`) {
		t.Fatalf("status is not posted to the channel: %s", got)
	}

	// Health.
	res, err := http.Get("http://" + h.addr + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("health: %v %v", res, err)
	}
	res.Body.Close()
}

func auditCount(t *testing.T, h *harness) int {
	var n int
	if err := h.bot.store.pool.QueryRow(context.Background(), "SELECT count(*) FROM pghandoff_bot.audit").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
