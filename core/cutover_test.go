package core_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// proxyPointsAt reports whether the proxy's foreign server points at the cluster port.
func (e *proxyEnv) proxyPointsAt(port int, db string) bool {
	var opts []string
	e.scanProxy(`SELECT srvoptions FROM pg_foreign_server WHERE srvname = '`+e.m.Name+`'`, &opts)
	return strings.Contains(strings.Join(opts, " "), "port="+strconv.Itoa(port)) && strings.Contains(strings.Join(opts, " "), "dbname="+db)
}

// Under a concurrent write workload through the proxy, cutover loses nothing: every
// acknowledged insert exists exactly once on the new primary, every counter equals its
// acknowledged increments, inserts after cutover get keys above every earlier one, and no
// write reaches the old primary after the switch.
func TestCutoverUnderLoad(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		e.setUp(workload.Schema)
		w := startWorkload(t, e.proxy.DSN(e.proxyDB), 6)
		waitAcked(t, w, 300)
		res, err := core.Cutover(ctxFor(t, time.Minute), e.cutoverOptions())
		split := time.Now()
		if err != nil || !res.Switched {
			t.Fatalf("cutover: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
		}
		if res.PauseMS <= 0 || res.SentinelLSN == "" || res.TargetLSN == "" || res.SourceLSN == "" || res.Tables != 3 || res.LockAttempts < 1 {
			t.Fatalf("result lacks its measures: %s", statementsText(res))
		}
		t.Logf("pause %.1f ms (locks %.1f ms, catch-up %.1f ms), %d statements waited, %d lock attempts",
			res.PauseMS, res.LockMS, res.CatchUpMS, res.WaitedStatements, res.LockAttempts)
		waitAcked(t, w, 300)
		checkWorkload(t, w, e.replicaConn(), split)
		var onPrimary []int64
		e.scan(false, `SELECT coalesce(array_agg(id), '{}') FROM public.ledger`, &onPrimary)
		last := slices.Max(append(onPrimary, 0))
		for _, a := range w.Inserts() {
			if a.Started.After(split) && a.ID <= last { // a row on the old primary has a key at most last
				t.Fatalf("insert %+v made after cutover is at or below the old primary's last key %d", a, last)
			}
		}
		if !e.proxyPointsAt(e.pair.Replica.Port, e.replicaDB) {
			t.Fatal("the proxy does not point at the replica")
		}
		again, err := core.Cutover(ctxFor(t, time.Minute), e.cutoverOptions())
		if err != nil || !again.AlreadySwitched {
			t.Fatalf("second cutover: %v, %+v", err, again)
		}
	})
}

// With the replica's apply stopped during the pause, cutover gives up after MaxPause and
// rolls back: the proxy still points at the primary, the workload goes on, nothing is lost.
func TestCutoverAbortsWhenReplicaStalls(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		e.setUp(workload.Schema)
		w := startWorkload(t, e.proxy.DSN(e.proxyDB), 4)
		waitAcked(t, w, 200)
		// Readiness was checked before the pause: stop the apply once the locks are held.
		e.events.hook = func(ev core.Event) {
			if strings.Contains(ev.Message, "locks taken") {
				e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` DISABLE`)
			}
		}
		opts := e.cutoverOptions()
		opts.MaxPause = time.Second
		res, err := core.Cutover(ctxFor(t, time.Minute), opts)
		e.events.hook = nil
		if !errors.Is(err, core.ErrAborted) || res == nil || res.Switched || res.AbortReason == "" || core.Hint(err).IsZero() {
			t.Fatalf("cutover: got %v, want ErrAborted with a reason: %s", err, statementsText(res))
		}
		if res.PauseMS < 1000 {
			t.Fatalf("gave up after %.1f ms, before the max pause", res.PauseMS)
		}
		t.Logf("aborted after %.1f ms: %s", res.PauseMS, res.AbortReason)
		if !e.proxyPointsAt(e.pair.Primary.Port, e.primaryDB) {
			t.Fatal("the proxy no longer points at the primary")
		}
		waitAcked(t, w, 200)
		e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` ENABLE`)
		checkWorkload(t, w, e.primaryConn(), time.Time{})
		e.waitReady()
		e.assertSame()
	})
}

// Cutover refuses to start when replication is not ready, and under dry-run changes nothing.
func TestCutoverRefusesWhenNotReadyAndDryRun(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		e.setUp(workload.Schema)
		// Setup made the helper schema on the replica, for the indexes it left for after
		// the copy; cutover would add its objects there.
		const helperObjects = `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pghandoff_' || $1::text`
		before := e.queryInt(true, helperObjects, e.m.Name)
		opts := e.cutoverOptions()
		opts.DryRun = true
		dry, err := core.Cutover(ctxFor(t, time.Minute), opts)
		if err != nil || dry.Switched || len(dry.Statements) == 0 {
			t.Fatalf("dry run: %v, %s", err, statementsText(dry))
		}
		if !contains(statementsOf(dry.Statements), "ALTER SERVER") || !contains(statementsOf(dry.Statements), "LOCK TABLE") {
			t.Fatalf("dry run does not show the switch: %s", statementsText(dry.Statements))
		}
		if !e.proxyPointsAt(e.pair.Primary.Port, e.primaryDB) || e.queryInt(true, helperObjects, e.m.Name) != before {
			t.Fatal("a dry run changed something")
		}
		e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` DISABLE`)
		res, err := core.Cutover(ctxFor(t, time.Minute), e.cutoverOptions())
		if !errors.Is(err, core.ErrNotReady) || res.Readiness == nil || res.Readiness.Ready {
			t.Fatalf("cutover with replication stopped: got %v, want ErrNotReady", err)
		}
		if !e.proxyPointsAt(e.pair.Primary.Port, e.primaryDB) {
			t.Fatal("a refused cutover switched the proxy")
		}
		assertNoSecrets(t, e.m, statementsText(dry), e.events.text())
	})
}

// After cutover with the failsafe, writes on the new primary (through the proxy or not)
// reach the old primary, starting exactly at the switch, with nothing looping back; proxy
// remove and teardown then leave nothing.
func TestCutoverFailsafe(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		e.setUp(workload.Schema)
		w := startWorkload(t, e.proxy.DSN(e.proxyDB), 4)
		waitAcked(t, w, 200)
		opts := e.cutoverOptions()
		opts.Failsafe = true
		res, err := core.Cutover(ctxFor(t, time.Minute), opts)
		split := time.Now()
		if err != nil || !res.Switched || res.Failsafe == nil || !res.Failsafe.Subscribed || !res.Failsafe.ForwardDetached || res.Failsafe.StartLSN == "" {
			t.Fatalf("cutover --failsafe: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
		}
		t.Logf("failsafe from %s, pause %.1f ms", res.Failsafe.StartLSN, res.PauseMS)
		waitAcked(t, w, 200)
		checkWorkload(t, w, e.replicaConn(), split)
		e.execReplica(`INSERT INTO public.ledger (client, n) VALUES (-1, 1)`)
		deadline := time.Now().Add(time.Minute)
		for {
			_, err := core.Verify(ctxFor(t, time.Minute), core.VerifyOptions{Migration: e.m})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the old primary did not catch up with the new one: %v\nprimary log:\n%s", err, e.pair.Primary.Log())
			}
			time.Sleep(200 * time.Millisecond)
		}
		if n := e.queryInt(false, `SELECT count(*) FROM public.ledger WHERE client = -1`); n != 1 {
			t.Fatalf("a write made directly on the new primary reached the old one %d times", n)
		}
		// Setting up again would re-enable the forward subscription: changes would flow both ways.
		if _, err := core.Setup(ctxFor(t, time.Minute), core.SetupOptions{Migration: e.m, PgDump: e.pgDump}); !errors.Is(err, core.ErrRefused) {
			t.Fatalf("setup after a failsafe cutover: %v, want ErrRefused", err)
		}
		removed, err := core.ProxyRemove(ctxFor(t, time.Minute), core.ProxyRemoveOptions{Migration: e.m, Execution: core.Execution{Observer: e.observer()}})
		if err != nil {
			t.Fatalf("proxy remove: %v (%s)", err, core.Hint(err))
		}
		if _, err := core.Teardown(ctxFor(t, time.Minute), core.TeardownOptions{Migration: e.m}); err != nil {
			t.Fatalf("teardown: %v", err)
		}
		if left := append(e.proxyLeftovers(), e.leftovers()...); len(left) > 0 {
			t.Fatalf("left after proxy remove and teardown: %v (removed %v)", left, removed.Removed)
		}
		assertNoSecrets(t, e.m, statementsText(res), statementsText(removed), e.events.text())
	})
}

func statementsOf(stmts []core.Statement) []string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = s.SQL
	}
	return out
}

// When the pause and an application transaction wait for each other (the application holds
// a table the pause asks for and asks for one the pause holds), cutover gives way at once,
// not after its lock timeout, and tries again with that table first: the application's
// transaction commits, and the cutover goes through.
func TestCutoverGivesWayInDeadlock(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		e.setUp(workload.Schema)
		ctx := ctxFor(t, time.Minute)
		tx := e.holdLedger(ctx)
		opts := e.cutoverOptions()
		opts.LockTimeout = 30 * time.Second // only the deadlock watch can end the first attempt
		type outcome struct {
			res *core.CutoverResult
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			res, err := core.Cutover(ctxFor(t, time.Minute), opts)
			done <- outcome{res, err}
		}()
		// Once the pause holds counters and waits for the ledger, the application asks for
		// counters: a deadlock.
		for e.queryProxy(`SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE l.mode = 'AccessExclusiveLock' AND ((c.relname = 'counters' AND l.granted) OR (c.relname = 'ledger' AND NOT l.granted))`) < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := tx.Exec(ctx, `UPDATE public.counters SET hits = hits + 1 WHERE id = 1`); err != nil {
			t.Fatalf("the application's transaction failed: %v", err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("the application's commit failed: %v", err)
		}
		o := <-done
		if o.err != nil || !o.res.Switched || o.res.LockAttempts != 2 {
			t.Fatalf("cutover: %v, %s", o.err, statementsText(o.res))
		}
		if !strings.Contains(e.events.text(), "held by an application transaction waiting for a table the pause held") {
			t.Fatalf("no deadlock reported: %s", e.events.text())
		}
		if n := e.queryInt(true, `SELECT hits FROM public.counters WHERE id = 1`); n != 1 {
			t.Fatalf("the application's increment is not on the new primary: %d", n)
		}
	})
}

// Cutover checks, before it pauses anything, that the proxy has lock slots for every foreign
// table of the migration, and says what to raise.
func TestCutoverChecksLockSlots(t *testing.T) {
	pair := pgtest.Pairs(t)[0]
	small := pgtest.Server(t, "proxy15fewlocks", 15)
	if err := small.Restart(ctxFor(t, time.Minute), "max_locks_per_transaction = 10"); err != nil {
		t.Fatal(err)
	}
	e := &proxyEnv{env: newEnv(t, pair), proxy: small, events: &eventLog{}}
	e.proxyDB = pgtest.Database(t, small)
	e.m.Proxy = core.MustParseDSN(small.DSN(e.proxyDB))
	e.setUp(workload.Schema)
	_, err := core.Cutover(ctxFor(t, time.Minute), e.cutoverOptions())
	if !errors.Is(err, core.ErrRefused) || !strings.Contains(core.Hint(err).String(), "max_locks_per_transaction") {
		t.Fatalf("cutover on a proxy with 10 lock slots per transaction: got %v (hint %q), want a refusal", err, core.Hint(err))
	}
	if !e.proxyPointsAt(pair.Primary.Port, e.primaryDB) {
		t.Fatal("a refused cutover switched the proxy")
	}
}
