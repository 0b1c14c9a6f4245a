package bot

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// blackHole is a server that accepts connections and never answers: operations on it hold
// their connections until their connect timeout.
func blackHole(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "postgres://app@" + ln.Addr().String() + "/app?connect_timeout=5"
}

// A command that must wait for the migration's connections is told so at once, with how
// many wait before it, instead of an answer that comes late or an error from the database.
var queuedNotice = regexp.MustCompile(`Queued: [12] operations? on \*orders\* wait`)

func TestQueuedCommandIsToldWhere(t *testing.T) {
	hole := blackHole(t)
	env := map[string]string{"STATE_DSN": stateDB(t), "P": hole, "R": hole}
	migs := "  orders:\n    primary: {env: P}\n    replica: {env: R}\n"
	h := startBot(t, harnessOpts{config: testConfig(migs, ""), env: env})
	budget := h.bot.migs["orders"].M.Client.Budget

	// status holds a connection to each server, who one to the primary: preflight, which
	// needs two on each, waits.
	h.command("U0RANDOM", "status orders")
	h.command("U0RANDOM", "who orders")
	h.command("U0RANDOM", "preflight orders")
	deadline := time.Now().Add(5 * time.Second)
	for budget.Waiting() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("preflight never waited for the budget")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// status and the first who may reach the budget in either order with preflight: one or
	// two operations wait before this one.
	reply, _ := h.command("U0RANDOM", "who orders")
	if !queuedNotice.MatchString(reply) || !strings.Contains(reply, "at most 3") {
		t.Fatalf("a queued command was not told where it stands: %q", reply)
	}
}

// One user's flood of commands is answered politely once over the rate; help stays free,
// and other users are not held back.
func TestUserRateLimit(t *testing.T) {
	env := map[string]string{"STATE_DSN": stateDB(t), "P": "postgres://app@127.0.0.1:1/app", "R": "postgres://app@127.0.0.1:1/app"}
	migs := "  orders:\n    primary: {env: P}\n    replica: {env: R}\n"
	h := startBot(t, harnessOpts{config: testConfig(migs, "limits:\n  commands_per_minute: 6\n"), env: env})
	for range 2 { // a third of the minute's at once, then one every 10s
		if reply, _ := h.command("U0FLOOD", "audit orders"); strings.Contains(reply, ":snail:") {
			t.Fatalf("slowed down within the rate: %q", reply)
		}
	}
	slowed, _ := h.command("U0FLOOD", "audit orders")
	if !strings.Contains(slowed, ":snail:") || !strings.Contains(slowed, "6 a minute") || !strings.Contains(slowed, "Try again in") {
		t.Fatalf("the command over the rate was answered %q", slowed)
	}
	if reply, _ := h.command("U0FLOOD", "help"); strings.Contains(reply, ":snail:") {
		t.Fatalf("help was limited: %q", reply)
	}
	if reply, _ := h.command("U0OTHER", "audit orders"); strings.Contains(reply, ":snail:") {
		t.Fatalf("another user was slowed down by the first one's flood: %q", reply)
	}
}
