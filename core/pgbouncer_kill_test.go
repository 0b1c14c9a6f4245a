package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// A cutover killed (SIGKILL) mid-pause, while it waits for its sentinel on the replica with
// PgBouncer paused and the max pause far off, does not leave PgBouncer paused: its watchdog
// resumes at once, on the primary, and the application writes on. Cutover run again then
// switches, and no acknowledged write is lost.
func TestBouncerCutoverKilledMidPause(t *testing.T) {
	t.Parallel()
	e := newBouncerMove(t, pgtest.Pairs(t)[0])
	w := startWorkload(t, e.appDSN(), 4)
	waitAcked(t, w, 200)
	gate := e.shutSentinelGate()
	cmd := helperCommand("cutover")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	order := cutoverOrder{Name: e.m.Name, Primary: e.pair.Primary.DSN(e.primaryDB), Replica: e.pair.Replica.DSN(e.replicaDB),
		Admin: e.b.AdminDSN(), Config: e.b.Include, MaxPause: time.Minute}
	if err := json.NewEncoder(in).Encode(order); err != nil {
		t.Fatal(err)
	}
	gate.waitSentinel(t, &out)
	if !e.state().Loaded.Paused {
		t.Fatal("PgBouncer is not paused while the cutover waits for its sentinel")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitAcked(t, w, 200) // the application writes again: the watchdog resumed
	e.pointsAt(e.pair.Primary, e.primaryDB)
	gate.open(t)
	res, err := core.Cutover(ctxFor(t, time.Minute), core.CutoverOptions{SwitchOptions: e.switchOptions()})
	if err != nil || !res.Switched {
		t.Fatalf("cutover after the kill: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
	}
	t.Logf("put right: %v", res.Settled)
	split := time.Now()
	e.pointsAt(e.pair.Replica, e.replicaDB)
	waitAcked(t, w, 200)
	checkWorkload(t, w, e.replicaConn(), split)
}

// sentinelGate holds back the apply of the migration's sentinel rows on the replica: a
// trigger fired by the apply worker too (ENABLE ALWAYS) waits for an advisory lock the test
// holds, on a connection of its own.
type sentinelGate struct {
	conn *pgx.Conn
}

const gateKey = 90_000_013

func (e *bouncerMove) shutSentinelGate() *sentinelGate {
	e.t.Helper()
	table := fmt.Sprintf(`public.%q`, e.m.Name)
	e.execReplica(fmt.Sprintf(`CREATE FUNCTION public.sentinel_gate() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_advisory_xact_lock(%d); RETURN NEW; END $$;
		CREATE TRIGGER sentinel_gate BEFORE INSERT ON %s FOR EACH ROW
			WHEN (NEW.status IS DISTINCT FROM 'pghandoff status') EXECUTE FUNCTION public.sentinel_gate();
		ALTER TABLE %s ENABLE ALWAYS TRIGGER sentinel_gate`, gateKey, table, table))
	g := &sentinelGate{conn: e.replicaConn()}
	if _, err := g.conn.Exec(ctxFor(e.t, time.Minute), "SELECT pg_advisory_lock($1)", gateKey); err != nil {
		e.t.Fatal(err)
	}
	return g
}

// waitSentinel waits until a sentinel row waits at the gate.
func (g *sentinelGate) waitSentinel(t *testing.T, out fmt.Stringer) {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	for {
		var waits bool
		err := g.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'advisory' AND objid = $1)`, gateKey).Scan(&waits)
		if err != nil {
			t.Fatalf("the cutover's sentinel never reached the gate: %v\n%s", err, out)
		}
		if waits {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (g *sentinelGate) open(t *testing.T) {
	t.Helper()
	if _, err := g.conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", gateKey); err != nil {
		t.Fatal(err)
	}
}
