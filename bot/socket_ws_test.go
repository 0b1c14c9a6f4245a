package bot

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pghandoff/pghandoff/internal/version"
)

// socketServer is Slack's end of Socket Mode: the WebSocket that apps.connections.open hands
// out. It greets each connection with hello, as Slack does, and gives it to the test, which
// sends envelopes and reads the acknowledgements.
type socketServer struct {
	srv   *httptest.Server
	conns chan *websocket.Conn
}

func newSocketServer(t *testing.T) *socketServer {
	s := &socketServer{conns: make(chan *websocket.Conn, 4)}
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		hello := map[string]any{"type": "hello", "num_connections": 1,
			"connection_info": map[string]any{"app_id": "A0TEST"}, "debug_info": map[string]any{"host": "test"}}
		if err := conn.WriteJSON(hello); err != nil {
			t.Errorf("hello: %v", err)
		}
		s.conns <- conn
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *socketServer) url() string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link/?ticket=test"
}

// accept waits for the bot to connect.
func (s *socketServer) accept(t *testing.T) *websocket.Conn {
	t.Helper()
	select {
	case c := <-s.conns:
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("the bot did not open a Socket Mode connection")
		return nil
	}
}

// slashEnvelope sends a slash command as Slack does over Socket Mode.
func slashEnvelope(t *testing.T, c *websocket.Conn, id, user, text, responseURL string) {
	t.Helper()
	env := map[string]any{"envelope_id": id, "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{"token": "unused", "team_id": testTeam, "channel_id": testChannel, "user_id": user,
			"command": "/pghandoff", "text": text, "response_url": responseURL, "trigger_id": "trig"}}
	if err := c.WriteJSON(env); err != nil {
		t.Fatal(err)
	}
}

// readAck reads until the acknowledgement of envelope id and returns its payload.
func readAck(t *testing.T, c *websocket.Conn, id string) map[string]any {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var msg struct {
			EnvelopeID string         `json:"envelope_id"`
			Payload    map[string]any `json:"payload"`
		}
		if err := c.ReadJSON(&msg); err != nil {
			t.Fatalf("reading the ack of %s: %v", id, err)
		}
		if msg.EnvelopeID == id {
			return msg.Payload
		}
	}
}

// The bot's real Socket Mode path (serve.go, socket.go, slack-go's client) over a real
// WebSocket: it opens the connection with the app-level token, takes a slash command
// envelope, acknowledges it with the answer, and runs commands whose answer comes later.
func TestSocketModeOverWebSocket(t *testing.T) {
	const appToken = "xapp-1-A0TEST-test-app-level-token"
	ws := newSocketServer(t)
	fs := newFakeSlack(t)
	fs.socketURL = ws.url()
	env := map[string]string{"STATE_DSN": stateDB(t), EnvAppToken: appToken}
	migs := notSetUpMigration(t, env, "orders")
	h := startBot(t, harnessOpts{config: testConfig(migs, ""), env: env, slack: fs})
	conn := ws.accept(t)

	slashEnvelope(t, conn, "env-1", "U0ANY", "help", fs.responseURL("ws1"))
	ack := readAck(t, conn, "env-1")
	text, _ := ack["text"].(string)
	if !strings.Contains(text, "status [migration]") || !strings.Contains(text, version.Get().String()) || ack["response_type"] != "ephemeral" {
		t.Fatalf("help's ack: %v", ack)
	}

	slashEnvelope(t, conn, "env-2", "U0ANY", "status orders", fs.responseURL("ws2"))
	readAck(t, conn, "env-2")
	fs.waitResponse(t, fs.responseURL("ws2"), "orders", "not set up")

	slashEnvelope(t, conn, "env-3", "U0ANY", "setup orders", fs.responseURL("ws3"))
	if ack := readAck(t, conn, "env-3"); !strings.Contains(ack["text"].(string), "You may not") {
		t.Fatalf("a denied command's ack: %v", ack)
	}

	opens := fs.matching("apps.connections.open")
	if len(opens) == 0 || opens[0].Auth != "Bearer "+appToken {
		t.Fatalf("apps.connections.open was not called with the app-level token: %+v", opens)
	}
	if strings.Contains(h.logs.String(), appToken) {
		t.Fatal("the app-level token appears in the bot's log")
	}
}
