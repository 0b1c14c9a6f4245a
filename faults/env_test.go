//go:build faults

package faults

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pghandoff/pghandoff/internal/faultnet"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// maxPause is the --max-pause every cutover of the suite runs with; stallSlack is what the
// application may wait beyond it (see checkStall).
const (
	maxPause   = 2 * time.Second
	stallSlack = time.Second
)

// faultLength is how long a freeze or a black hole lasts: well past the max pause plus its
// slack, so that a pause the servers do not bound shows as a stall of seconds, not jitter.
const faultLength = maxPause + 4*time.Second

// env is one scenario's migration: a database on each of the primary, the replica and the
// proxy clusters, each behind a forwarder, under an application writing through the proxy;
// or, for the PgBouncer strategy, no proxy and a PgBouncer in front of the primary.
type env struct {
	t                       *testing.T
	name                    string // the migration's name: slots are per cluster, so per test
	primary, replica, proxy *node
	bouncer                 *bouncerFront // the PgBouncer strategy's; nil with the proxy
	app                     *workload.Workload
	directions              *directionWatch
	runs                    []*outcome    // every pghandoff command the scenario ran
	hangAfter               time.Duration // a command running longer hangs: it is killed
}

// node is one server of the migration. Everything that is part of the migration reaches it
// through the forwarder (pghandoff, the proxy's foreign server, the subscriptions, which are
// built from pghandoff's connection strings); the checks and the application go straight.
type node struct {
	role string
	c    *pgtest.Cluster
	db   string
	fw   *faultnet.Forwarder
	conn *pgx.Conn // the test goroutine's direct connection, opened on first use
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := newServers(t)
	e.proxy = newNode(t, "proxy", pgtest.Server(t, "proxy15", 15))
	return e
}

// newServers is an env with the primary and the replica, and nothing in front of them yet.
func newServers(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, hangAfter: commandTimeout}
	e.primary = newNode(t, "primary", pgtest.Server(t, "primary15", 15))
	e.replica = newNode(t, "replica", pgtest.Server(t, "replica15", 15))
	e.name = "m" + e.primary.db // t_<hex>: unique, and a valid slot name
	return e
}

func newNode(t *testing.T, role string, c *pgtest.Cluster) *node {
	t.Helper()
	n := &node{role: role, c: c, db: pgtest.Database(t, c)}
	fw, err := faultnet.Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fw.Close)
	n.fw = fw
	return n
}

// dsn reaches the node through its forwarder.
func (n *node) dsn() string {
	u, _ := url.Parse(n.c.DSN(n.db))
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(n.fw.Port()))
	return u.String()
}

// direct reaches the node's server without the forwarder.
func (n *node) direct() string { return n.c.DSN(n.db) }

// connect opens a direct connection, closed when the test ends.
func (n *node) connect(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctxFor(t, time.Minute), n.direct())
	if err != nil {
		t.Fatalf("%s: %v", n.role, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// session is the test goroutine's direct connection to the node.
func (n *node) session(t *testing.T) *pgx.Conn {
	t.Helper()
	if n.conn == nil || n.conn.IsClosed() {
		n.conn = n.connect(t)
	}
	return n.conn
}

// exec runs SQL on the node, directly.
func (n *node) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := n.session(t).Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v\n%s", n.role, err, sql)
	}
}

// scan reads one row from the node, directly.
func (n *node) scan(t *testing.T, sql string, dest ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := n.session(t).QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v\n%s", n.role, err, sql)
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond every few milliseconds until it holds, it fails, or ctx ends.
func waitFor(ctx context.Context, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// failsafeName is the failsafe's publication, slot and subscription (core/failsafe.go).
func (e *env) failsafeName() string { return e.name + "_failsafe" }

func (e *env) primaryNode() *node { return e.primary }
func (e *env) replicaNode() *node { return e.replica }
func (e *env) proxyNode() *node   { return e.proxy }
