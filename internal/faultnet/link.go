package faultnet

import (
	"bufio"
	"io"
	"net"
	"sync"
)

// link is one client connection and its connection to the server.
type link struct {
	f              *Forwarder
	client, server net.Conn
	done           chan struct{} // closed when the link closes
	closeOnce      sync.Once

	// negotiated carries the server's one-byte answer to an SSLRequest or GSSENCRequest
	// from the server pump to the client pump, which must not read on before it knows
	// whether encryption (which it cannot frame) follows.
	negotiated chan byte
	awaiting   chan struct{} // the client pump forwarded such a request: one byte is due

	mu   sync.Mutex
	drop *dropRule // the rule whose message this link forwarded: its reply is lost
}

func newLink(f *Forwarder, client, server net.Conn) *link {
	return &link{f: f, client: client, server: server, done: make(chan struct{}),
		negotiated: make(chan byte, 1), awaiting: make(chan struct{}, 1)}
}

func (l *link) close() {
	l.closeOnce.Do(func() {
		close(l.done)
		l.client.Close()
		l.server.Close()
	})
}

// run forwards both ways until the link closes.
func (l *link) run() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); defer l.close(); l.fromClient() }()
	go func() { defer wg.Done(); defer l.close(); l.fromServer() }()
	wg.Wait()
}

// fromClient forwards the client's messages: the startup phase, then typed messages.
func (l *link) fromClient() {
	r := bufio.NewReader(l.client)
	for {
		m, err := readUntyped(r)
		if err != nil {
			return
		}
		code := m.code()
		negotiating := code == codeSSL || code == codeGSSENC
		if negotiating {
			l.awaiting <- struct{}{} // before the server can answer
		}
		if !l.forward(l.server, m.Raw) {
			return
		}
		if !negotiating {
			break // the startup packet, or a cancel request the server answers by closing
		}
		select {
		case answer := <-l.negotiated:
			if answer == 'S' || answer == 'G' {
				l.copyRaw(l.server, r) // encrypted: nothing left to frame
				return
			}
		case <-l.done:
			return
		}
	}
	for {
		m, err := readTyped(r)
		if err != nil {
			return
		}
		if l.lostReply() != nil {
			continue // the client waits for a reply that never comes: it talks to no one
		}
		if rule := l.f.match(m); rule != nil {
			l.mu.Lock()
			l.drop = rule
			l.mu.Unlock()
		}
		if !l.forward(l.server, m.Raw) {
			return
		}
	}
}

// fromServer forwards the server's messages, answering the startup phase's negotiation
// bytes and losing the reply to a dropped message.
func (l *link) fromServer() {
	r := bufio.NewReader(l.server)
	for {
		if _, err := r.Peek(1); err != nil {
			return
		}
		select {
		case <-l.awaiting:
			b, _ := r.ReadByte()
			if !l.forward(l.client, []byte{b}) {
				return
			}
			l.negotiated <- b
			if b == 'S' || b == 'G' {
				l.copyRaw(l.client, r)
				return
			}
			continue
		default:
		}
		m, err := readTyped(r)
		if err != nil {
			return
		}
		if rule := l.lostReply(); rule != nil {
			// ReadyForQuery ends the reply: the server has done what the message asked.
			if m.Type == 'Z' && rule.replyLost(l) {
				return
			}
			continue
		}
		if !l.forward(l.client, m.Raw) {
			return
		}
	}
}

func (l *link) lostReply() *dropRule {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.drop
}

// forward writes one message once the forwarder lets traffic pass.
func (l *link) forward(to net.Conn, raw []byte) bool {
	if !l.f.waitPass(l) {
		return false
	}
	_, err := to.Write(raw)
	return err == nil
}

// copyRaw forwards bytes it cannot frame, still subject to the mode.
func (l *link) copyRaw(to net.Conn, from io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 && !l.forward(to, buf[:n]) {
			return
		}
		if err != nil {
			return
		}
	}
}
