package faultnet

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"testing"
	"time"
)

func forwarderTo(t *testing.T, s *fakeServer) *Forwarder {
	t.Helper()
	f, err := Listen(s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func TestPassForwardsBothWays(t *testing.T) {
	s := startFakeServer(t)
	c := dial(t, forwarderTo(t, s))
	c.roundTrip("SELECT 1")
	c.roundTrip("COMMIT")
	if got := s.received(); !slices.Equal(got, []string{"SELECT 1", "COMMIT"}) {
		t.Fatalf("server received %q", got)
	}
}

// A black hole holds a query back, however long it lasts, and delivers it when it ends.
func TestBlackHoleHoldsTrafficUntilPass(t *testing.T) {
	s := startFakeServer(t)
	f := forwarderTo(t, s)
	c := dial(t, f)
	f.SetMode(BlackHole)
	c.send(query("SELECT 1"))
	select {
	case q := <-s.got:
		t.Fatalf("the server received %q through a black hole", q)
	case <-time.After(200 * time.Millisecond):
	}
	f.SetMode(Pass)
	if q := <-s.got; q != "SELECT 1" {
		t.Fatalf("received %q", q)
	}
	c.expect('C')
	c.expect('Z')
}

// A black hole holds replies too: the server answers, the client hears nothing.
func TestBlackHoleHoldsReplies(t *testing.T) {
	s := startFakeServer(t)
	f := forwarderTo(t, s)
	c := dial(t, f)
	f.SetMode(BlackHole)
	c.send(query("SELECT 1"))
	f.SetMode(Pass)
	<-s.got
	f.SetMode(BlackHole)
	c.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.r.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		// The reply may have crossed before the black hole: then it must be whole.
		c.r.UnreadByte()
	}
	c.c.SetReadDeadline(time.Time{})
	f.SetMode(Pass)
	c.expect('C')
	c.expect('Z')
}

func TestCutClosesEverything(t *testing.T) {
	s := startFakeServer(t)
	f := forwarderTo(t, s)
	c := dial(t, f)
	f.SetMode(Cut)
	if _, err := c.r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("read after cut: %v, want EOF", err)
	}
	conn, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("a new connection stayed open while cut")
	}
	f.SetMode(Pass)
	dial(t, f).roundTrip("SELECT 1")
}

// The COMMIT reaches the server, which commits and answers; the client gets no answer and
// its connection closes.
func TestDropReplyThenClose(t *testing.T) {
	s := startFakeServer(t)
	f := forwarderTo(t, s)
	other := dial(t, f)
	c := dial(t, f)
	dropped := f.DropReply(EndsTransaction, CloseClient)
	c.roundTrip("BEGIN")
	c.send(query("COMMIT"))
	if _, err := c.r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the dropped reply: %v, want EOF", err)
	}
	<-dropped
	if got := s.received(); !slices.Contains(got, "COMMIT") {
		t.Fatalf("the server never received the COMMIT: %q", got)
	}
	// The rule fires once: other connections, and later COMMITs, pass.
	other.roundTrip("COMMIT")
}

// Held, the client's connection stays open and silent.
func TestDropReplyThenHold(t *testing.T) {
	s := startFakeServer(t)
	f := forwarderTo(t, s)
	c := dial(t, f)
	dropped := f.DropReply(QueryContains("COMMIT"), HoldClient)
	c.send(query("SELECT 1; COMMIT"))
	<-dropped
	c.send(query("SELECT 2"))
	c.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.r.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on a held connection: %v, want no answer", err)
	}
	if got := s.received(); slices.Contains(got, "SELECT 2") {
		t.Fatalf("a held client's later query reached the server: %q", got)
	}
}
