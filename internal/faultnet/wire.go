package faultnet

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// The PostgreSQL wire protocol's framing, as far as the forwarder needs it. A client opens
// with untyped messages (int32 length, then an int32 code and the rest): an SSLRequest or a
// GSSENCRequest, each answered by the server with one byte, then the startup packet (or a
// CancelRequest). Every later message in either direction is typed: one type byte, then an
// int32 length that counts itself but not the type byte.

// Request codes of untyped client messages.
const (
	codeCancel   = 80877102
	codeSSL      = 80877103
	codeGSSENC   = 80877104
	maxMessage   = 1 << 30 // PostgreSQL's own limit on a message's length
	untypedBytes = 8       // length and code
)

// Message is one framed message as it crossed the forwarder.
type Message struct {
	Type byte   // 0 for an untyped startup-phase message
	Raw  []byte // the whole message, header included, as forwarded
}

// Payload is the message's body, after the type byte and the length.
func (m Message) Payload() []byte {
	if m.Type == 0 {
		return m.Raw[4:]
	}
	return m.Raw[5:]
}

// Query is the SQL text of a simple-protocol Query ('Q') or of an extended-protocol Parse
// ('P'), and "" for any other message. pgx sends conn.Exec(ctx, "COMMIT") without arguments
// as a Query.
func (m Message) Query() string {
	p := m.Payload()
	switch m.Type {
	case 'Q':
		return cString(p)
	case 'P':
		_, rest, _ := bytes.Cut(p, []byte{0}) // the prepared statement's name comes first
		return cString(rest)
	}
	return ""
}

func cString(b []byte) string {
	s, _, _ := bytes.Cut(b, []byte{0})
	return string(s)
}

// code is an untyped message's request code (or protocol version).
func (m Message) code() uint32 {
	if m.Type != 0 || len(m.Raw) < untypedBytes {
		return 0
	}
	return binary.BigEndian.Uint32(m.Raw[4:8])
}

// readUntyped reads a startup-phase client message.
func readUntyped(r *bufio.Reader) (Message, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return Message{}, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < untypedBytes || n > maxMessage {
		return Message{}, fmt.Errorf("faultnet: startup message of %d bytes", n)
	}
	raw := make([]byte, n)
	copy(raw, head[:])
	if _, err := io.ReadFull(r, raw[4:]); err != nil {
		return Message{}, err
	}
	return Message{Raw: raw}, nil
}

// readTyped reads a typed message.
func readTyped(r *bufio.Reader) (Message, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return Message{}, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n < 4 || n > maxMessage {
		return Message{}, fmt.Errorf("faultnet: message %q of %d bytes", head[0], n)
	}
	raw := make([]byte, 1+n)
	copy(raw, head[:])
	if _, err := io.ReadFull(r, raw[5:]); err != nil {
		return Message{}, err
	}
	return Message{Type: head[0], Raw: raw}, nil
}

// EndsTransaction matches a Query or Parse whose SQL is, or whose last statement is, COMMIT
// or END: the message whose reply tells the client whether its transaction committed. It
// splits statements on semicolons, which is enough for the statements tests send.
func EndsTransaction(m Message) bool {
	q := m.Query()
	if q == "" {
		return false
	}
	stmts := strings.Split(q, ";")
	for i := len(stmts) - 1; i >= 0; i-- {
		s := strings.ToUpper(strings.TrimSpace(stmts[i]))
		if s == "" {
			continue
		}
		return s == "COMMIT" || s == "END" || strings.HasPrefix(s, "COMMIT ") || strings.HasPrefix(s, "END ")
	}
	return false
}

// QueryContains matches a Query or Parse whose SQL contains s.
func QueryContains(s string) func(Message) bool {
	return func(m Message) bool { return m.Type != 0 && s != "" && strings.Contains(m.Query(), s) }
}
