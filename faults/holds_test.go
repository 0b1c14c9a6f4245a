//go:build faults

package faults

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Database-side means of holding a command at a step long enough to hit it: nothing in
// pghandoff knows of them.

// gateKey is the advisory lock the sentinel gate waits on.
const gateKey = 90_000_009

// sentinelGate holds back, on node, the apply of every sentinel row but status's round
// trips: a trigger on the sentinel table, fired by the apply worker too (ENABLE ALWAYS),
// waits for an advisory lock that the test holds while the gate is shut. A cutover's
// sentinel is then late for as long as the test wants, and the test can see on the server
// that it has arrived and waits.
type sentinelGate struct {
	n    *node
	conn *pgx.Conn // holds gateKey while shut
	shut bool
}

// installGate creates the trigger (once the sentinel table exists, after setup) and shuts it.
func (e *env) installGate(n *node) *sentinelGate {
	e.t.Helper()
	table := fmt.Sprintf(`public.%q`, e.name)
	n.exec(e.t, fmt.Sprintf(`
		CREATE FUNCTION public.faults_sentinel_gate() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_advisory_xact_lock(%d); RETURN NEW; END $$;
		CREATE TRIGGER faults_sentinel_gate BEFORE INSERT ON %s FOR EACH ROW
			WHEN (NEW.status IS DISTINCT FROM 'pghandoff status') EXECUTE FUNCTION public.faults_sentinel_gate();
		ALTER TABLE %s ENABLE ALWAYS TRIGGER faults_sentinel_gate`, gateKey, table, table))
	g := &sentinelGate{n: n, conn: n.connect(e.t)}
	if _, err := g.conn.Exec(context.Background(), "SELECT pg_advisory_lock($1)", gateKey); err != nil {
		e.t.Fatalf("shut the sentinel gate: %v", err)
	}
	g.shut = true
	e.t.Cleanup(g.open)
	return g
}

// reached waits until a sentinel row waits at the gate: the command wrote it and is
// waiting for it to arrive.
func (g *sentinelGate) reached(ctx context.Context) error {
	return waitForWaiter(ctx, g.conn, `locktype = 'advisory' AND classid = 0 AND objid = $1`, gateKey)
}

// open lets the sentinel through.
func (g *sentinelGate) open() {
	if g.shut {
		_, _ = g.conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", gateKey)
		g.shut = false
	}
}

// heldLock is a transaction the test keeps open, holding a lock a command will wait for.
type heldLock struct {
	conn *pgx.Conn
	open bool
}

// holdLock runs stmts in a transaction on a connection of its own (dsn) and keeps it open.
func holdLock(t *testing.T, dsn string, stmts ...string) *heldLock {
	t.Helper()
	conn, err := pgx.Connect(ctxFor(t, time.Minute), dsn)
	if err != nil {
		t.Fatal(err)
	}
	h := &heldLock{conn: conn}
	t.Cleanup(func() { h.release(); conn.Close(context.Background()) })
	if _, err := conn.Exec(context.Background(), "BEGIN"); err != nil {
		t.Fatal(err)
	}
	h.open = true
	for _, stmt := range stmts {
		if _, err := conn.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("hold a lock: %v\n%s", err, stmt)
		}
	}
	return h
}

// waiting waits until another session waits for a lock matching where (with args) on the
// held lock's server.
func (h *heldLock) waiting(ctx context.Context, where string, args ...any) error {
	return waitForWaiter(ctx, h.conn, where, args...)
}

func (h *heldLock) release() {
	if h.open {
		_, _ = h.conn.Exec(context.Background(), "ROLLBACK")
		h.open = false
	}
}

// holdAppTransaction is an application transaction through the proxy that has read a
// foreign table and stays open: the pause's ACCESS EXCLUSIVE lock on it must wait. It reads
// nothing the workload writes, so the workload itself goes on.
func (e *env) holdAppTransaction() *heldLock {
	return holdLock(e.t, e.proxy.direct(), "SELECT count(*) FROM public.ledger WHERE false")
}

// waitForWaiter polls pg_locks of conn's server for a lock not granted, matching where.
func waitForWaiter(ctx context.Context, conn *pgx.Conn, where string, args ...any) error {
	query := "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND " + where + ")"
	return waitFor(ctx, func() (bool, error) {
		var waits bool
		err := conn.QueryRow(ctx, query, args...).Scan(&waits)
		return waits, err
	})
}
