package core_test

import (
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// When pghandoff reaches the primary but the replica cannot (the usual case of a primary in a
// private network), setup says so plainly, with the seed README's advice, and a second setup
// once the network is fixed converges.
func TestSetupWhenReplicaCannotReachPrimary(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[0])
	e.execPrimary(`CREATE TABLE t (id int PRIMARY KEY)`)
	gate := startReplicationGate(t, e.pair.Primary.Port)
	through, err := url.Parse(e.pair.Primary.DSN(e.primaryDB))
	if err != nil {
		t.Fatal(err)
	}
	through.Host = gate
	opts := e.setupOptions()
	opts.Primary = core.MustParseDSN(through.String())
	_, err = core.Setup(ctxFor(t, time.Minute), opts)
	if err == nil || !strings.Contains(err.Error(), "CREATE SUBSCRIPTION") || !strings.Contains(core.Hint(err).String(), "security group") {
		t.Fatalf("setup with an unreachable primary: %v (hint %q)", err, core.Hint(err))
	}
	if strings.Contains(err.Error()+core.Hint(err).String(), e.pair.Primary.Password) {
		t.Fatal("the error shows the password")
	}
	if _, err := core.Setup(ctxFor(t, time.Minute), e.setupOptions()); err != nil {
		t.Fatalf("setup once the replica can reach the primary: %v", err)
	}
	e.waitReady()
}

// startReplicationGate forwards connections to the primary's port but refuses replication
// connections, as a firewall in front of a primary would refuse the replica's network.
func startReplicationGate(t *testing.T, port int) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go gateConn(c, port)
		}
	}()
	return l.Addr().String()
}

func gateConn(c net.Conn, port int) {
	defer c.Close()
	for {
		msg, err := readStartup(c)
		if err != nil {
			return
		}
		code := binary.BigEndian.Uint32(msg[4:8])
		if code == 80877103 || code == 80877104 { // SSL or GSS encryption request: decline
			if _, err := c.Write([]byte("N")); err != nil {
				return
			}
			continue
		}
		if strings.Contains(string(msg), "replication\x00database") {
			return // the replica's subscription: dropped, as by a firewall
		}
		upstream, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return
		}
		defer upstream.Close()
		if _, err := upstream.Write(msg); err != nil {
			return
		}
		go io.Copy(upstream, c)
		io.Copy(c, upstream)
		return
	}
}

func readStartup(c net.Conn) ([]byte, error) {
	head := make([]byte, 4)
	if _, err := io.ReadFull(c, head); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head)
	if n < 8 || n > 1<<16 {
		return nil, io.ErrUnexpectedEOF
	}
	msg := make([]byte, n)
	copy(msg, head)
	_, err := io.ReadFull(c, msg[4:])
	return msg, err
}
