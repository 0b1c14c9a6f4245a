//go:build faults

package faults

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// What the servers hold, read straight from them: the truth pghandoff's reports are
// checked against.

// Where the proxy's foreign server points.
const (
	atPrimary = "primary"
	atReplica = "replica"
)

// target names the server traffic points at: the proxy's foreign server's, or PgBouncer's
// entry's; "" when there is none.
func (e *env) target() string {
	e.t.Helper()
	switch {
	case e.bouncer != nil:
		return e.bouncer.target(e)
	case e.proxyHasServer():
		return e.proxyTarget()
	}
	return ""
}

func (e *env) proxyHasServer() bool {
	e.t.Helper()
	var n int
	e.proxy.scan(e.t, fmt.Sprintf(`SELECT count(*) FROM pg_foreign_server WHERE srvname = '%s'`, e.name), &n)
	return n > 0
}

// proxyTarget names the server the proxy's foreign server points at, from its options.
func (e *env) proxyTarget() string {
	e.t.Helper()
	var opts []string
	e.proxy.scan(e.t, fmt.Sprintf(`SELECT coalesce(srvoptions, '{}') FROM pg_foreign_server WHERE srvname = '%s'`, e.name), &opts)
	kv := map[string]string{}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		kv[k] = v
	}
	if role := e.nodeOf(kv["port"], kv["dbname"]); role != "" {
		return role
	}
	return fmt.Sprintf("elsewhere (%s)", strings.Join(opts, " "))
}

// nodeOf names the node whose database is at port (its forwarder's or its server's), or "".
func (e *env) nodeOf(port, database string) string {
	for _, n := range []*node{e.primary, e.replica} {
		if database == n.db && (port == strconv.Itoa(n.fw.Port()) || port == strconv.Itoa(n.c.Port)) {
			return n.role
		}
	}
	return ""
}

// nodeAt is the node traffic points at.
func (e *env) nodeAt(target string) *node {
	switch target {
	case atPrimary:
		return e.primary
	case atReplica:
		return e.replica
	}
	e.t.Fatalf("traffic points %s", target)
	return nil
}

// subscription is one subscription as its server has it.
type subscription struct {
	exists, enabled, running bool
}

func (s subscription) String() string {
	switch {
	case !s.exists:
		return "absent"
	case s.running:
		return "enabled, worker running"
	case s.enabled:
		return "enabled, no worker"
	}
	return "disabled"
}

// subscriptionSQL reads a subscription of the connection's database and whether its apply
// worker runs (tablesync workers have a relid; the apply worker has none).
const subscriptionSQL = `SELECT s.subenabled, EXISTS (SELECT 1 FROM pg_stat_subscription w
		WHERE w.subid = s.oid AND w.relid IS NULL AND w.pid IS NOT NULL)
	FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid
	WHERE d.datname = current_database() AND s.subname = $1`

func readSubscription(ctx context.Context, conn *pgx.Conn, name string) (subscription, error) {
	s := subscription{exists: true}
	err := conn.QueryRow(ctx, subscriptionSQL, name).Scan(&s.enabled, &s.running)
	if err == pgx.ErrNoRows {
		return subscription{}, nil
	}
	if err != nil {
		return s, fmt.Errorf("read subscription %s: %w", name, err)
	}
	return s, nil
}

// forward is the primary → replica subscription, on the replica; failsafe is the replica
// → old primary one, on the primary.
func (e *env) forward() subscription  { return e.subscriptionOn(e.replica, e.name) }
func (e *env) failsafe() subscription { return e.subscriptionOn(e.primary, e.failsafeName()) }

func (e *env) subscriptionOn(n *node, name string) subscription {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := readSubscription(ctx, n.session(e.t), name)
	if err != nil {
		e.t.Fatalf("%s: %v", n.role, err)
	}
	return s
}

// slot is a replication slot of one of the migration's databases.
type slot struct {
	node     string
	name     string
	active   bool
	retained int64 // bytes of WAL it keeps from being recycled
}

func (s slot) String() string {
	return fmt.Sprintf("%s on the %s (active %t, retaining %d bytes of WAL)", s.name, s.node, s.active, s.retained)
}

// slots lists the replication slots of the migration's databases on both servers.
func (e *env) slots() []slot {
	e.t.Helper()
	var out []slot
	for _, n := range []*node{e.primary, e.replica} {
		rows, err := n.session(e.t).Query(context.Background(), `SELECT slot_name::text, active,
			coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint
			FROM pg_replication_slots WHERE database = current_database() ORDER BY 1`)
		if err != nil {
			e.t.Fatalf("%s: read slots: %v", n.role, err)
		}
		for rows.Next() {
			s := slot{node: n.role}
			if err := rows.Scan(&s.name, &s.active, &s.retained); err != nil {
				e.t.Fatal(err)
			}
			out = append(out, s)
		}
		rows.Close()
	}
	return out
}
