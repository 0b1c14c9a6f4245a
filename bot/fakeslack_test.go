package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSlack is Slack's Web API as the bot uses it, recording every call: chat.postMessage,
// chat.update, chat.postEphemeral, chat.getPermalink, usergroups.users.list, and the
// response URLs of commands and clicks.
type fakeSlack struct {
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []slackCall
	groups map[string][]string
	nextTS int
	// socketURL is what apps.connections.open answers: the WebSocket of a Socket Mode test.
	socketURL string
}

// slackCall is one recorded request.
type slackCall struct {
	Method string // "chat.postMessage", ..., or "response" for a response URL
	Path   string
	Form   url.Values // form fields (Web API)
	JSON   map[string]any
	Raw    string
	Auth   string // the Authorization header: which token the bot used
}

// Text is what the call would show: its text and blocks.
func (c slackCall) Text() string {
	if c.JSON != nil {
		return unescapeJSON(c.Raw)
	}
	return c.Form.Get("text") + "\n" + unescapeJSON(c.Form.Get("blocks"))
}

// unescapeJSON undoes Go's HTML-safe escaping, so tests can look for <@U…> mentions.
func unescapeJSON(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{groups: map[string][]string{}, nextTS: 100}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) apiURL() string { return f.srv.URL + "/api/" }

func (f *fakeSlack) responseURL(id string) string { return f.srv.URL + "/response/" + id }

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	call := slackCall{Raw: string(body), Path: r.URL.Path, Auth: r.Header.Get("Authorization")}
	if strings.HasPrefix(r.URL.Path, "/response/") {
		call.Method = "response"
		_ = json.Unmarshal(body, &call.JSON)
		f.record(call)
		_, _ = io.WriteString(w, "ok")
		return
	}
	call.Method = strings.TrimPrefix(r.URL.Path, "/api/")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &call.JSON)
	} else {
		call.Form, _ = url.ParseQuery(string(body))
	}
	f.record(call)
	w.Header().Set("Content-Type", "application/json")
	channel := call.Form.Get("channel")
	switch call.Method {
	case "chat.postMessage", "chat.postEphemeral":
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": channel, "ts": f.ts(), "message_ts": f.ts()})
	case "chat.update":
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": channel, "ts": call.Form.Get("ts"), "text": call.Form.Get("text")})
	case "chat.getPermalink":
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": channel,
			"permalink": fmt.Sprintf("https://example.slack.com/archives/%s/p%s", channel, strings.ReplaceAll(call.Form.Get("message_ts"), ".", ""))})
	case "apps.connections.open":
		f.mu.Lock()
		u := f.socketURL
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": u != "", "url": u, "error": map[bool]string{true: "", false: "no_socket"}[u != ""]})
	case "usergroups.users.list":
		f.mu.Lock()
		users := f.groups[call.Form.Get("usergroup")]
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "users": users})
	default:
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (f *fakeSlack) ts() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextTS++
	return fmt.Sprintf("1700000000.%06d", f.nextTS)
}

func (f *fakeSlack) record(c slackCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// all returns every call so far.
func (f *fakeSlack) all() []slackCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]slackCall(nil), f.calls...)
}

// matching returns the calls of a method whose text contains every one of the strings.
func (f *fakeSlack) matching(method string, contains ...string) []slackCall {
	var out []slackCall
	for _, c := range f.all() {
		if c.Method != method {
			continue
		}
		ok := true
		for _, s := range contains {
			ok = ok && strings.Contains(c.Text(), s)
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// waitFor waits until a call of method contains every string, and returns it.
func (f *fakeSlack) waitFor(t *testing.T, timeout time.Duration, method string, contains ...string) slackCall {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := f.matching(method, contains...); len(m) > 0 {
			return m[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s call containing %q within %s; calls:\n%s", method, contains, timeout, f.dump())
	return slackCall{}
}

func (f *fakeSlack) dump() string {
	var b strings.Builder
	for _, c := range f.all() {
		fmt.Fprintf(&b, "- %s: %s\n", c.Method, truncate(c.Text(), 400))
	}
	return b.String()
}

// responses returns the texts posted to one response URL.
func (f *fakeSlack) responses(responseURL string) []string {
	var out []string
	path := strings.TrimPrefix(responseURL, f.srv.URL)
	for _, c := range f.all() {
		if c.Method == "response" && c.Path == path {
			out = append(out, unescapeJSON(c.Raw))
		}
	}
	return out
}

// waitResponse waits for a post to a response URL containing every string.
func (f *fakeSlack) waitResponse(t *testing.T, responseURL string, contains ...string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, r := range f.responses(responseURL) {
			ok := true
			for _, s := range contains {
				ok = ok && strings.Contains(r, s)
			}
			if ok {
				return r
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no response on %s containing %q; calls:\n%s", responseURL, contains, f.dump())
	return ""
}
