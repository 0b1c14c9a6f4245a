// Package faultnet puts network faults between a PostgreSQL client and its server, for the
// fault tests: a TCP forwarder on a loopback port that passes traffic through, black-holes
// it, cuts it, or lets one chosen client message through and loses the server's reply.
//
// It frames the PostgreSQL wire protocol (see wire.go) rather than copying bytes, so that a
// fault starts and ends between whole messages and a rule can pick a message by its SQL.
package faultnet

import (
	"fmt"
	"net"
	"strconv"
	"sync"
)

// Mode is what the forwarder does with traffic.
type Mode int

const (
	// Pass forwards everything, in both directions.
	Pass Mode = iota
	// BlackHole keeps every connection open and forwards nothing, in either direction, as a
	// network partition does; new connections are accepted and hang. What was held back is
	// delivered when the mode returns to Pass, as TCP retransmission would after the
	// partition heals.
	BlackHole
	// Cut closes every connection, and every new one at once.
	Cut
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case BlackHole:
		return "black hole"
	case Cut:
		return "cut"
	}
	return "mode " + strconv.Itoa(int(m))
}

// Forwarder listens on a loopback port and forwards each connection to its target.
type Forwarder struct {
	target string
	ln     net.Listener

	mu      sync.Mutex
	mode    Mode
	changed chan struct{} // closed and replaced at every change of mode
	links   map[*link]struct{}
	drop    *dropRule // armed rule, nil when none
	closed  bool
	wg      sync.WaitGroup
}

// Listen starts a forwarder to target (host:port) on a free loopback port, in Pass mode.
func Listen(target string) (*Forwarder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultnet: listen: %w", err)
	}
	f := &Forwarder{target: target, ln: ln, changed: make(chan struct{}), links: map[*link]struct{}{}}
	f.wg.Add(1)
	go f.accept()
	return f, nil
}

// Port is the loopback port clients connect to.
func (f *Forwarder) Port() int { return f.ln.Addr().(*net.TCPAddr).Port }

// Addr is the forwarder's host:port.
func (f *Forwarder) Addr() string { return f.ln.Addr().String() }

// SetMode switches every connection, open or new, to m.
func (f *Forwarder) SetMode(m Mode) {
	f.mu.Lock()
	f.mode = m
	close(f.changed)
	f.changed = make(chan struct{})
	var cut []*link
	if m == Cut {
		for l := range f.links {
			cut = append(cut, l)
		}
	}
	f.mu.Unlock()
	for _, l := range cut {
		l.close()
	}
}

// Mode is the current mode.
func (f *Forwarder) Mode() Mode {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mode
}

// Close stops listening and closes every connection.
func (f *Forwarder) Close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	links := make([]*link, 0, len(f.links))
	for l := range f.links {
		links = append(links, l)
	}
	f.mu.Unlock()
	f.ln.Close()
	for _, l := range links {
		l.close()
	}
	f.wg.Wait()
}

func (f *Forwarder) accept() {
	defer f.wg.Done()
	for {
		client, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		if f.closed || f.mode == Cut {
			f.mu.Unlock()
			client.Close()
			continue
		}
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.serve(client)
		}()
	}
}

// serve dials the target for one client and forwards until either side ends.
func (f *Forwarder) serve(client net.Conn) {
	server, err := net.Dial("tcp", f.target)
	if err != nil {
		client.Close()
		return
	}
	l := newLink(f, client, server)
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		l.close()
		return
	}
	f.links[l] = struct{}{}
	f.mu.Unlock()
	l.run()
	f.mu.Lock()
	delete(f.links, l)
	f.mu.Unlock()
}

// waitPass blocks while the forwarder black-holes traffic. It returns false when the traffic
// must not go through: the forwarder cut it, or the link closed.
func (f *Forwarder) waitPass(l *link) bool {
	for {
		f.mu.Lock()
		mode, changed := f.mode, f.changed
		f.mu.Unlock()
		switch mode {
		case Pass:
			return true
		case Cut:
			return false
		}
		select {
		case <-changed:
		case <-l.done:
			return false
		}
	}
}
