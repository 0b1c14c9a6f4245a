package faultnet

import (
	"bufio"
	"encoding/binary"
	"net"
	"sync"
	"testing"
)

// fakeServer speaks just enough of the protocol: it answers an SSLRequest with 'N', a
// startup packet with AuthenticationOk and ReadyForQuery, and every Query with
// CommandComplete (tagged with the query) and ReadyForQuery. It records the queries.
type fakeServer struct {
	ln      net.Listener
	mu      sync.Mutex
	queries []string
	got     chan string
}

func startFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, got: make(chan string, 100)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *fakeServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		m, err := readUntyped(r)
		if err != nil {
			return
		}
		if m.code() != codeSSL {
			break
		}
		c.Write([]byte{'N'})
	}
	c.Write(append(typed('R', []byte{0, 0, 0, 0}), typed('Z', []byte{'I'})...))
	for {
		m, err := readTyped(r)
		if err != nil || m.Type == 'X' {
			return
		}
		q := m.Query()
		s.mu.Lock()
		s.queries = append(s.queries, q)
		s.mu.Unlock()
		s.got <- q
		c.Write(append(typed('C', append([]byte(q), 0)), typed('Z', []byte{'I'})...))
	}
}

func (s *fakeServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// typed frames a typed message.
func typed(kind byte, payload []byte) []byte {
	b := make([]byte, 5, 5+len(payload))
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(payload)))
	return append(b, payload...)
}

// untyped frames a startup-phase message with its code.
func untyped(code uint32, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint32(b, uint32(8+len(payload)))
	binary.BigEndian.PutUint32(b[4:], code)
	return append(b, payload...)
}

func query(sql string) []byte { return typed('Q', append([]byte(sql), 0)) }

// fakeClient is a raw protocol client.
type fakeClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

// dial connects through f, asks for SSL (refused), starts up and waits for ReadyForQuery.
func dial(t *testing.T, f *Forwarder) *fakeClient {
	t.Helper()
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fc := &fakeClient{t: t, c: c, r: bufio.NewReader(c)}
	fc.send(untyped(codeSSL, nil))
	if b, err := fc.r.ReadByte(); err != nil || b != 'N' {
		t.Fatalf("SSLRequest answered %q, %v", b, err)
	}
	fc.send(untyped(196608, []byte("user\x00u\x00\x00")))
	fc.expect('R')
	fc.expect('Z')
	return fc
}

func (fc *fakeClient) send(b []byte) {
	fc.t.Helper()
	if _, err := fc.c.Write(b); err != nil {
		fc.t.Fatal(err)
	}
}

func (fc *fakeClient) expect(kind byte) Message {
	fc.t.Helper()
	m, err := readTyped(fc.r)
	if err != nil || m.Type != kind {
		fc.t.Fatalf("read %q (%v), want %q", m.Type, err, kind)
	}
	return m
}

// roundTrip sends a query and reads its CommandComplete and ReadyForQuery.
func (fc *fakeClient) roundTrip(sql string) {
	fc.t.Helper()
	fc.send(query(sql))
	if got := cString(fc.expect('C').Payload()); got != sql {
		fc.t.Fatalf("reply to %q: %q", sql, got)
	}
	fc.expect('Z')
}
