package faultnet

import "sync"

// AfterDrop is what happens to the client's connection once its reply is lost.
type AfterDrop int

const (
	// CloseClient closes the connection on both sides once the server has answered: the
	// client sees its connection end without the answer, as after a crash of the network
	// path or of a pooler in between.
	CloseClient AfterDrop = iota
	// HoldClient keeps the connection open and silent: the client waits for an answer that
	// never comes (and whatever it sends after is lost too).
	HoldClient
)

// dropRule lets through the first client message it matches and loses the server's reply.
type dropRule struct {
	match func(Message) bool
	after AfterDrop
	// dropped is closed once the server has answered the message and the answer was lost.
	dropped   chan struct{}
	once      sync.Once
	forwarded Message
}

// DropReply arms a rule: the first client message (on any connection, open or new) that
// match accepts is forwarded to the server, and the server's reply to it is swallowed, up to
// and including its ReadyForQuery, so that the server has finished the work before the
// client is let down. Then the client's connection is closed or held, as after says. The
// returned channel is closed once a reply was lost. Arming a rule replaces any earlier one.
func (f *Forwarder) DropReply(match func(Message) bool, after AfterDrop) <-chan struct{} {
	rule := &dropRule{match: match, after: after, dropped: make(chan struct{})}
	f.mu.Lock()
	f.drop = rule
	f.mu.Unlock()
	return rule.dropped
}

// match disarms and returns the armed rule when it accepts m.
func (f *Forwarder) match(m Message) *dropRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.drop == nil || !f.drop.match(m) {
		return nil
	}
	rule := f.drop
	f.drop = nil
	rule.forwarded = m
	return rule
}

// replyLost records that l's reply was swallowed whole, and reports whether the link must
// close now.
func (r *dropRule) replyLost(l *link) bool {
	r.once.Do(func() { close(r.dropped) })
	return r.after == CloseClient
}
